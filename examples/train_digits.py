"""Train an MLP on scikit-learn's bundled 8x8 digits (no download) with both
engines, from the same seed, and compare them.

  python examples/train_digits.py                 # 30 epochs, both engines
  python examples/train_digits.py --quick         # 12 epochs (used by the tests)
  python examples/train_digits.py --epochs 50 --out curve.png

Standardised inputs, 64-128-64-10 MLP with ReLU, CrossEntropyLoss, Adam,
mini-batches of 64 with a tqdm bar per epoch. BLAS is pinned to one
thread (``--blas-threads``): with 64x128 matrices, more threads only add
contention. Prints the test accuracy of
each engine, a table (engine, mean epoch time, final accuracy, speed ratio)
and saves the loss curves as a PNG (matplotlib, Agg backend).
Needs the ``examples`` extra: pip install -e '.[examples]'.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import autograd_c as ag
from autograd_c import engines, nn, optim


def load_data(seed: int):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=seed, stratify=y)
    mu, sd = Xtr.mean(0), Xtr.std(0) + 1e-8   # statistics of the training set only
    return (Xtr - mu) / sd, (Xte - mu) / sd, ytr.astype(np.int64), yte.astype(np.int64)


def build_model(seed: int):
    ag.manual_seed(seed)
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                         nn.Linear(64, 10))


def accuracy(model, X, y) -> float:
    model.eval()
    with ag.no_grad():
        pred = model(X).data.argmax(1)
    model.train()
    return float((pred == y).mean())


def train(engine_name: str, data, epochs: int, seed: int, batch: int = 64, lr: float = 1e-3):
    from tqdm import tqdm

    Xtr, Xte, ytr, yte = data
    with engines.use_engine(engine_name):
        model = build_model(seed)
        opt = optim.Adam(model.parameters(), lr=lr)
        loss_fn = nn.CrossEntropyLoss()
        order_rng = np.random.default_rng(seed)
        losses, times = [], []
        for epoch in range(epochs):
            perm = order_rng.permutation(len(Xtr))
            t0 = time.perf_counter()
            total = 0.0
            bar = tqdm(range(0, len(Xtr), batch), desc=f"[{engine_name:6s}] epoch {epoch + 1:2d}",
                       leave=False, mininterval=0.5)
            for start in bar:
                idx = perm[start:start + batch]
                opt.zero_grad()
                loss = loss_fn(model(Xtr[idx]), ytr[idx])
                loss.backward()
                opt.step()
                total += loss.item() * len(idx)
            times.append(time.perf_counter() - t0)
            losses.append(total / len(Xtr))
        acc = accuracy(model, Xte, yte)
    return {"engine": engine_name, "losses": losses, "times": times, "acc": acc,
            "state": model.state_dict()}


def plot(results, path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for r in results:
        ax.plot(range(1, len(r["losses"]) + 1), r["losses"], marker="o", ms=3,
                label=f"{r['engine']} engine (test acc {r['acc']:.1%})")
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean training cross-entropy")
    ax.set_yscale("log")
    ax.set_title("MLP on sklearn digits, autograd_c")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=None, help="epochs (default 30, 12 with --quick)")
    ap.add_argument("--quick", action="store_true", help="few epochs, for a smoke test")
    ap.add_argument("--out", default="digits_loss.png", help="loss-curve PNG path")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--blas-threads", type=int, default=1,
                    help="BLAS threads (default 1: these matrices are tiny, and extra "
                         "threads only contend for the cores)")
    args = ap.parse_args(argv)
    try:
        from threadpoolctl import threadpool_limits   # installed with scikit-learn
        threadpool_limits(args.blas_threads)
    except ImportError:
        pass
    epochs = args.epochs if args.epochs is not None else (12 if args.quick else 30)

    data = load_data(args.seed)
    names = [n for n in ("c", "python") if n in engines.available]
    results = []
    for name in names:
        r = train(name, data, epochs, args.seed)
        print(f"{name} engine: final train loss {r['losses'][-1]:.6f}, "
              f"test accuracy {r['acc']:.4f}")
        results.append(r)

    print()
    print(f"{'engine':8s} {'mean epoch [s]':>15s} {'median [s]':>11s} {'test acc':>9s} "
          f"{'time / c':>9s}")
    base = np.mean(results[0]["times"])
    for r in results:
        mean_t = float(np.mean(r["times"]))
        print(f"{r['engine']:8s} {mean_t:15.4f} {float(np.median(r['times'])):11.4f} "
              f"{r['acc']:9.4f} {mean_t / base:9.2f}")
    if len(results) == 2:
        same = all(ag.equal(results[0]["state"][k], results[1]["state"][k])
                   for k in results[0]["state"])
        ratio = np.mean(results[1]["times"]) / np.mean(results[0]["times"])
        print(f"speed ratio python/c: {ratio:.2f}x; final weights identical on both "
              f"engines: {same}")
    plot(results, args.out)
    print(f"loss curve saved to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

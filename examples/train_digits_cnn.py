"""Train a small CNN (Conv2d, BatchNorm2d, MaxPool2d, Dropout) on
scikit-learn's bundled 8x8 digits with both autograd_c engines and with
PyTorch, from one training function, and compare them.

  python examples/train_digits_cnn.py                 # 15 epochs: c, python, torch
  python examples/train_digits_cnn.py --quick         # 4 epochs (a smoke run)
  python examples/train_digits_cnn.py --epochs 30 --out cnn.png --no-torch

The training code is written once against the PyTorch API and run with
``lib = autograd_c`` (``ag.use_engine("c")`` / ``"python"``) and with
``lib = torch``: ``lib.nn.Conv2d``, ``lib.nn.functional.cross_entropy``,
``lib.optim.Adam``, ``lib.utils.data.DataLoader(TensorDataset(...))``.
Images are standardised with the training set's mean and std, float32,
mini-batches of 64 shuffled by a seeded generator. Prints the test accuracy
and the mean epoch time of each run side by side, and saves the training
loss and test accuracy per epoch as a PNG (matplotlib, Agg backend). Each
library starts from its own seeded initialisation (same seed, its own
random stream), so the curves differ in detail but not in quality.
BLAS (and torch) run on one thread (``--threads``).
Needs the ``examples`` extra: pip install -e '.[examples]'.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import autograd_c as ag
from autograd_c import engines


def load_data(seed: int):
    """Train/test split of the digits as (N, 1, 8, 8) float32 images,
    standardised with the training set's statistics, and int64 labels."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=seed, stratify=y)
    mu, sd = Xtr.mean(), Xtr.std()
    as_images = lambda a: ((a - mu) / sd).astype(np.float32).reshape(-1, 1, 8, 8)  # noqa: E731
    return as_images(Xtr), as_images(Xte), ytr.astype(np.int64), yte.astype(np.int64)


def make_cnn(nn, dropout: float = 0.25):
    """The digits CNN from ``nn`` (``autograd_c.nn`` or ``torch.nn``): two
    3x3 convolutions with batch norm and ReLU, a 2x2 max pool, dropout and
    a linear classifier; (N, 1, 8, 8) -> (N, 10) logits. The convolutions
    have no bias: the batch norm after each would cancel it."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),   # 16x8x8
        nn.Conv2d(16, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),  # 32x8x8
        nn.MaxPool2d(2),                                                  # 32 x 4 x 4
        nn.Flatten(), nn.Dropout(dropout), nn.Linear(32 * 4 * 4, 10))


def train_step(lib, model, opt, xb, yb):
    """One step: forward, cross-entropy, backward, optimizer update; the loss."""
    opt.zero_grad()
    loss = lib.nn.functional.cross_entropy(model(xb), yb)
    loss.backward()
    opt.step()
    return loss


def accuracy(lib, model, X, y) -> float:
    model.eval()
    with lib.no_grad():
        pred = model(lib.from_numpy(X)).argmax(1).numpy()
    model.train()
    return float((pred == y).mean())


def train(lib, data, epochs: int, seed: int, label: str, batch: int = 64, lr: float = 2e-3):
    """Train the CNN with ``lib`` (autograd_c or torch); per-epoch mean loss,
    test accuracy and time, and the final state."""
    from tqdm import tqdm

    Xtr, Xte, ytr, yte = data
    lib.manual_seed(seed)
    model = make_cnn(lib.nn).float()     # float32 (autograd_c's layers default to float64)
    opt = lib.optim.Adam(model.parameters(), lr=lr)
    data_mod = lib.utils.data
    loader = data_mod.DataLoader(data_mod.TensorDataset(lib.from_numpy(Xtr), lib.from_numpy(ytr)),
                                 batch_size=batch, shuffle=True,
                                 generator=lib.Generator().manual_seed(seed))
    losses, accs, times = [], [], []
    for epoch in range(epochs):
        t0 = time.perf_counter()
        total = 0.0
        for xb, yb in tqdm(loader, desc=f"[{label:13s}] epoch {epoch + 1:2d}", leave=False,
                           mininterval=0.5):
            total += train_step(lib, model, opt, xb, yb).item() * len(yb)
        times.append(time.perf_counter() - t0)
        losses.append(total / len(Xtr))
        accs.append(accuracy(lib, model, Xte, yte))
    return {"label": label, "losses": losses, "accs": accs, "times": times, "acc": accs[-1],
            "state": {k: np.array(v.detach().numpy() if hasattr(v, "detach") else v)
                      for k, v in model.state_dict().items()}}   # torch's are tensors


def plot(results, path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    for r in results:
        ep = range(1, len(r["losses"]) + 1)
        ax1.plot(ep, r["losses"], marker="o", ms=3, label=r["label"])
        ax2.plot(ep, r["accs"], marker="o", ms=3, label=f"{r['label']} ({r['acc']:.1%})")
    ax1.set(xlabel="epoch", ylabel="mean training cross-entropy", yscale="log",
            title="training loss")
    ax2.set(xlabel="epoch", ylabel="test accuracy", title="test accuracy")
    for ax in (ax1, ax2):
        ax.legend()
        ax.grid(alpha=0.3)
    fig.suptitle("CNN on sklearn digits: autograd_c engines and PyTorch")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=None, help="epochs (default 15, 4 with --quick)")
    ap.add_argument("--quick", action="store_true", help="few epochs, for a smoke run")
    ap.add_argument("--out", default="digits_cnn.png", help="loss/accuracy PNG path")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--engines", default="c,python", help="autograd_c engines to run")
    ap.add_argument("--no-torch", action="store_true", help="skip the PyTorch run")
    ap.add_argument("--threads", type=int, default=1, help="BLAS and torch threads")
    args = ap.parse_args(argv)
    try:
        from threadpoolctl import threadpool_limits  # installed with scikit-learn
        threadpool_limits(args.threads)
    except ImportError:
        pass
    epochs = args.epochs if args.epochs is not None else (4 if args.quick else 15)

    data = load_data(args.seed)
    results = []
    for name in args.engines.split(","):
        if name not in engines.available:
            print(f"engine {name} not available, skipped")
            continue
        with ag.use_engine(name):
            results.append(train(ag, data, epochs, args.seed, f"{name} engine"))
    if not args.no_torch:
        try:
            import torch
        except ImportError:
            print("torch not installed: no PyTorch run")
        else:
            torch.set_num_threads(args.threads)
            results.append(train(torch, data, epochs, args.seed, "torch"))

    for r in results:
        print(f"{r['label']}: final train loss {r['losses'][-1]:.6f}, "
              f"test accuracy {r['acc']:.4f}")
    print()
    print(f"{'run':13s} {'test acc':>9s} {'mean epoch [s]':>15s} {'median [s]':>11s} "
          f"{'time / torch':>13s}")
    ref = next((np.mean(r["times"]) for r in results if r["label"] == "torch"), None)
    for r in results:
        mean_t = float(np.mean(r["times"]))
        rel = f"{mean_t / ref:13.2f}" if ref else f"{'':13s}"
        print(f"{r['label']:13s} {r['acc']:9.4f} {mean_t:15.4f} "
              f"{float(np.median(r['times'])):11.4f} {rel}")
    ours = [r for r in results if r["label"] != "torch"]
    if len(ours) == 2:
        same = all(np.array_equal(ours[0]["state"][k], ours[1]["state"][k])
                   for k in ours[0]["state"])
        print(f"final weights identical on both engines: {same}")
    plot(results, args.out)
    print(f"loss/accuracy curves saved to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

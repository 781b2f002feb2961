"""Train the digits MLP of examples/train_digits.py data-parallel on MPI ranks.

  mpiexec -n 2 python examples/train_digits_ddp.py              # 30 epochs, 2 ranks
  mpiexec -n 4 python examples/train_digits_ddp.py --epochs 10 --verify
  python examples/train_digits_ddp.py                           # one rank works too

Every rank holds a replica of the 64-128-64-10 MLP wrapped in
``nn.parallel.DistributedDataParallel`` and trains on its own shard of each
global batch (``--batch`` rows, split evenly over the ranks, so the
averaged gradient is the gradient of the whole batch and the learning rate
needs no rescaling). The test set is sharded too; correct predictions are
summed with ``all_reduce``. Rank 0 prints the mean training loss per epoch and
the final test accuracy. ``--verify`` also trains the model in one process on
the same global batches (rank 0) and prints the largest weight difference.

Needs the ``distributed`` and ``examples`` extras:
pip install '.[distributed,examples]'.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import autograd_c as ag
import autograd_c.distributed as dist
from autograd_c import engines, nn, optim
from autograd_c.nn.parallel import DistributedDataParallel as DDP


def load_data(seed: int):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=seed, stratify=y)
    mu, sd = Xtr.mean(0), Xtr.std(0) + 1e-8   # statistics of the training set only
    return (Xtr - mu) / sd, (Xte - mu) / sd, ytr.astype(np.int64), yte.astype(np.int64)


def build_model(seed: int):
    """float64, so that the check against one process can ask for 1e-10 (in
    float32 the two reduction orders differ in the last bits)."""
    ag.manual_seed(seed)
    f64 = dict(dtype=ag.float64)
    return nn.Sequential(nn.Linear(64, 128, **f64), nn.ReLU(), nn.Linear(128, 64, **f64),
                         nn.ReLU(), nn.Linear(64, 10, **f64))


def global_batches(n_rows: int, batch: int, epoch: int, seed: int):
    """The epoch's global batches: one permutation shared by all ranks (same
    seed), full batches only, so every rank gets the same number of rows."""
    perm = np.random.default_rng(seed + epoch).permutation(n_rows)
    for start in range(0, n_rows - batch + 1, batch):
        yield perm[start:start + batch]


def shard(idx: np.ndarray, rank: int, world: int) -> np.ndarray:
    # Sharding by hand; autograd_c.utils.data.DistributedSampler does this for a DataLoader.
    per = len(idx) // world
    return idx[rank * per:(rank + 1) * per]


def test_accuracy(model, X, y, rank: int, world: int) -> float:
    """Accuracy over the whole test set, each rank scoring its share of it."""
    part = np.array_split(np.arange(len(X)), world)[rank]
    model.eval()
    with ag.no_grad():
        pred = model(X[part]).data.argmax(1)
    model.train()
    counts = ag.tensor(np.array([(pred == y[part]).sum(), len(part)], dtype=np.int64))
    dist.all_reduce(counts)
    return float(counts.data[0] / counts.data[1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch", type=int, default=64, help="global batch (all ranks together)")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--engine", choices=("c", "python"), default=None)
    ap.add_argument("--bucket-cap-mb", type=float, default=25.0)
    ap.add_argument("--verify", action="store_true",
                    help="rank 0 also trains in one process and compares the weights")
    args = ap.parse_args(argv)
    try:
        from threadpoolctl import threadpool_limits   # installed with scikit-learn
        threadpool_limits(1)
    except ImportError:
        pass
    if args.engine:
        engines.set_engine(args.engine)

    dist.init_process_group()
    rank, world = dist.get_rank(), dist.get_world_size()
    if args.batch % world:
        raise SystemExit(f"--batch {args.batch} must be a multiple of the {world} ranks")
    Xtr, Xte, ytr, yte = load_data(args.seed)

    # every rank may start from different weights: DDP copies rank 0's
    model = DDP(build_model(args.seed + rank), bucket_cap_mb=args.bucket_cap_mb)
    opt = optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    if rank == 0:
        print(f"{world} rank(s), engine {ag.engine}, global batch {args.batch} "
              f"({args.batch // world} per rank), {len(model.buckets)} gradient bucket(s)",
              flush=True)
    t_start = time.perf_counter()
    for epoch in range(args.epochs):
        t0 = time.perf_counter()
        total, steps = 0.0, 0
        for idx in global_batches(len(Xtr), args.batch, epoch, args.seed):
            mine = shard(idx, rank, world)
            opt.zero_grad()
            loss = loss_fn(model(Xtr[mine]), ytr[mine])
            loss.backward()             # returns with gradients averaged over the ranks
            opt.step()
            total += loss.item()
            steps += 1
        mean_loss = ag.tensor([total / steps])
        dist.all_reduce(mean_loss, op=dist.ReduceOp.AVG)
        if rank == 0 and (epoch + 1) % max(1, args.epochs // 10) == 0:
            print(f"epoch {epoch + 1:3d}: mean train loss {mean_loss.item():.6f} "
                  f"({time.perf_counter() - t0:.3f} s)", flush=True)
    elapsed = time.perf_counter() - t_start
    acc = test_accuracy(model, Xte, yte, rank, world)
    if rank == 0:
        print(f"test accuracy {acc:.4f} after {args.epochs} epochs on {world} rank(s) "
              f"({elapsed:.2f} s of training)", flush=True)

    if args.verify and rank == 0:
        ref = build_model(args.seed)
        ref_opt = optim.Adam(ref.parameters(), lr=args.lr)
        for epoch in range(args.epochs):
            for idx in global_batches(len(Xtr), args.batch, epoch, args.seed):
                ref_opt.zero_grad()
                loss_fn(ref(Xtr[idx]), ytr[idx]).backward()
                ref_opt.step()
        diff = max(float(np.max(np.abs(a.data - b.data)))
                   for a, b in zip(ref.parameters(), model.module.parameters()))
        print(f"max |weight(ddp) - weight(one process)| = {diff:.3g}", flush=True)
    dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

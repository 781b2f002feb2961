"""Run under mpiexec -n N (N >= 1): DDP correctness on the engine named in argv[1].

Phase 1 (the issue's acceptance check): every rank builds the model from a
*different* seed, wraps it in DistributedDataParallel (which must broadcast
rank 0's weights), and takes 15 SGD-with-momentum steps on its shard of
each global batch. Then the weights of all ranks must be bitwise equal, and
equal (1e-12) to one process training rank 0's initial model on the whole
global batch. Phase 2: gradient accumulation with no_sync() against the
same single-process reference. Rank 0 prints one JSON list, a record per rank.
"""
import json
import sys

import numpy as np

import autograd_c as ag
import autograd_c.distributed as dist
from autograd_c import nn, optim
from autograd_c.nn.parallel import DistributedDataParallel as DDP

ag.set_default_dtype(ag.float64)   # checked against one process to 1e-12

STEPS = 15
LOCAL = 8          # rows per rank per step
LR, MOMENTUM = 0.1, 0.9


def build(seed):
    ag.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 16), nn.ReLU(),
                         nn.Linear(16, 3))


def batches(n_ranks, steps, seed=0):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        X = rng.standard_normal((n_ranks * LOCAL, 6))
        y = rng.integers(0, 3, n_ranks * LOCAL)
        yield X, y


def flat_params(model):
    return np.concatenate([p.data.ravel() for p in model.parameters()])


def main():
    engine = sys.argv[1] if len(sys.argv) > 1 else "c"
    ag.set_engine(engine)
    dist.init_process_group(timeout=20)
    r, n = dist.get_rank(), dist.get_world_size()
    loss_fn = nn.CrossEntropyLoss()
    rows = slice(r * LOCAL, (r + 1) * LOCAL)

    # -- phase 1: 15 steps, different initial weights on every rank -----------------
    local = build(seed=100 + r)
    rank0_init = build(seed=100)       # what rank 0 starts from (for the reference)
    before = ag.tensor(flat_params(local))
    dist.broadcast(before, src=0)
    started_different = not np.array_equal(before.data, flat_params(local))
    ddp = DDP(local, bucket_cap_mb=0.001)   # ~1 KB buckets: several buckets in flight
    assert np.array_equal(flat_params(local), before.data), "DDP must broadcast rank 0's weights"
    assert len(ddp.buckets) > 1
    opt = optim.SGD(ddp.parameters(), lr=LR, momentum=MOMENTUM)
    for X, y in batches(n, STEPS):
        opt.zero_grad()
        loss = loss_fn(ddp(ag.tensor(X[rows])), y[rows])
        loss.backward()
        opt.step()

    mine = flat_params(local)
    everyone = ag.zeros((n, mine.size), dtype=np.float64)
    dist.all_gather_into_tensor(everyone, ag.tensor(mine))
    bitwise = all(np.array_equal(everyone.data[k], mine) for k in range(n))

    ref = rank0_init
    ref_opt = optim.SGD(ref.parameters(), lr=LR, momentum=MOMENTUM)
    for X, y in batches(n, STEPS):
        ref_opt.zero_grad()
        loss_fn(ref(ag.tensor(X)), y).backward()
        ref_opt.step()
    diff = float(np.max(np.abs(flat_params(ref) - mine)))
    moved = float(np.max(np.abs(flat_params(build(seed=100)) - mine)))

    # -- phase 2: gradient accumulation with no_sync, 2 micro-batches per step ----------
    local2 = build(seed=200 + r)
    ddp2 = DDP(local2)                 # default 25 MB: one bucket
    opt2 = optim.SGD(ddp2.parameters(), lr=LR, momentum=MOMENTUM)
    ref2 = build(seed=200)
    ref2_opt = optim.SGD(ref2.parameters(), lr=LR, momentum=MOMENTUM)
    half = LOCAL // 2
    for X, y in batches(n, 4, seed=1):
        opt2.zero_grad()
        mine_rows = np.arange(r * LOCAL, (r + 1) * LOCAL)
        with ddp2.no_sync():
            # loss scaled by 1/2: two micro-batches make one local batch
            (loss_fn(ddp2(ag.tensor(X[mine_rows[:half]])), y[mine_rows[:half]]) * 0.5).backward()
        # inside no_sync nothing was averaged: grads are still local
        (loss_fn(ddp2(ag.tensor(X[mine_rows[half:]])), y[mine_rows[half:]]) * 0.5).backward()
        opt2.step()
        ref2_opt.zero_grad()
        # the same maths on one process: mean over each rank's micro-batch, halves, ranks
        total = None
        for k in range(n):
            for part in (slice(k * LOCAL, k * LOCAL + half), slice(k * LOCAL + half, (k + 1) * LOCAL)):
                term = loss_fn(ref2(ag.tensor(X[part])), y[part]) * (0.5 / n)
                total = term if total is None else total + term
        total.backward()
        ref2_opt.step()
    diff2 = float(np.max(np.abs(flat_params(ref2) - flat_params(local2))))

    mine = {"rank": r, "world": n, "engine": engine, "bitwise_equal": bitwise,
                      "max_abs_diff_vs_single_process": diff, "moved": moved,
                      "started_different": started_different,
                      "no_sync_max_abs_diff": diff2}
    # one line, written once by rank 0 (the launcher interleaves the ranks' output)
    records = [None] * n
    dist.all_gather_object(records, mine)
    if r == 0:
        sys.stdout.write(json.dumps(records) + "\n")
        sys.stdout.flush()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()

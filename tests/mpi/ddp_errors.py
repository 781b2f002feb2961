"""Run under mpiexec -n 2: DDP's clear errors, raised on every rank, no hang."""
import sys

import numpy as np

import autograd_c as ag
import autograd_c.distributed as dist
from autograd_c import nn
from autograd_c.nn.parallel import DistributedDataParallel as DDP


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(3, 4)
        self.head = nn.Linear(4, 2)
        self.unused = nn.Linear(4, 5)     # never called in forward

    def forward(self, x):
        return self.head(self.body(x).relu())


def expect(fn, exc, *texts):
    try:
        fn()
    except exc as e:
        for t in texts:
            assert t in str(e), (t, str(e))
        return str(e)
    raise AssertionError(f"expected {exc.__name__} mentioning {texts}")


def main():
    ag.set_engine(sys.argv[1] if len(sys.argv) > 1 else "c")
    dist.init_process_group(timeout=10)
    r = dist.get_rank()
    msgs = []

    # 1. a shape that differs between ranks: every rank gets the same error
    width = 4 if r == 0 else 5
    msgs.append(expect(lambda: DDP(nn.Sequential(nn.Linear(3, width), nn.Linear(width, 1))),
                       dist.DistributedError, "'0.weight'", "rank 1", "rank 0"))
    # 2. a parameter rank 0 does not have
    layers = [nn.Linear(3, 3)] + ([nn.Linear(3, 3)] if r == 1 else [])
    msgs.append(expect(lambda: DDP(nn.Sequential(*layers)), dist.DistributedError, "'1.weight'"))
    # 3. not a module
    expect(lambda: DDP(ag.zeros(3)), TypeError, "nn.Module")

    # 4. a parameter that never gets a gradient: the next forward says which
    model = DDP(TwoHeads())
    x = ag.tensor(np.ones((2, 3)))
    model(x).sum().backward()
    msgs.append(expect(lambda: model(x), dist.DistributedError, "'unused.weight'",
                       "'unused.bias'", "got none"))
    # freezing it (before wrapping) is the fix
    net = TwoHeads()
    for p in net.unused.parameters():
        p.requires_grad = False
    model = DDP(net)
    for _ in range(2):
        model(x).sum().backward()
    dist.barrier()
    if r == 0:
        for m in msgs:
            sys.stdout.write(f"MSG {m}\n")
    sys.stdout.write(f"rank {r}: DDP errors OK\n")   # one write each: the
    sys.stdout.flush()                                 # launcher interleaves ranks


if __name__ == "__main__":
    main()

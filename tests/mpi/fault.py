"""Run under mpiexec -n 2: rank 1 fails in the middle of DDP training.

argv[1] is the fault: "raise" (an uncaught exception), "kill" (SIGKILL),
"exit" (os._exit(0) without finalizing MPI) or "hang" (rank 1 stops
calling collectives; the others must time out, argv[2] seconds). Rank 0 is
then blocked in a backward pass, waiting for rank 1's gradients; the job
must end on its own, quickly, with a non-zero exit status. The faulting rank
prints "FAULT_AT <unix time>" just before the fault.
"""
import os
import signal
import sys
import time

import numpy as np

import autograd_c as ag
import autograd_c.distributed as dist
from autograd_c import nn, optim
from autograd_c.nn.parallel import DistributedDataParallel as DDP


def main():
    mode = sys.argv[1]
    timeout = float(sys.argv[2]) if len(sys.argv) > 2 else 60.0
    dist.init_process_group(timeout=timeout)
    r = dist.get_rank()
    ag.manual_seed(0)
    model = DDP(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)))
    opt = optim.SGD(model.parameters(), lr=0.1)
    rng = np.random.default_rng(r)
    for step in range(1000):
        if r == 1 and step == 3:
            sys.stdout.write(f"FAULT_AT {time.time():.6f}\n")
            sys.stdout.flush()
            if mode == "raise":
                raise ValueError("rank 1 failed on purpose")
            if mode == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            if mode == "exit":
                os._exit(0)
            if mode == "sysexit":
                sys.exit(3)
            if mode == "return":
                return
            if mode == "hang":
                time.sleep(3600)
        opt.zero_grad()
        x = ag.tensor(rng.standard_normal((16, 4)))
        model(x).sum().backward()       # rank 0 blocks here once rank 1 is gone
        opt.step()
    sys.stdout.write(f"rank {r} finished: the fault was not noticed\n")


if __name__ == "__main__":
    main()

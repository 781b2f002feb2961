"""Profile a training step on both engines: where the time goes, per op.

The tiny MLP of the benchmark (batch 32, 64-64-64-10, tanh then relu, summed
squared error, plain SGD), written as a user would write it with ``nn`` and
``optim``. For each engine it prints ``autograd_c.profiler``'s table (per op
type: count and total time of forward and backward rules, and what is left
for the engine itself), then the plain step time of both engines measured
side by side without the profiler.

    python examples/profile_tiny_mlp.py [steps]
"""
import sys
import time

import numpy as np

import autograd_c as ag
from autograd_c import nn, optim

STEPS = int(sys.argv[1]) if len(sys.argv) > 1 else 500


def build(engine):
    with ag.use_engine(engine):
        ag.manual_seed(0)
        model = nn.Sequential(nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 64), nn.ReLU(),
                              nn.Linear(64, 10))
        rng = np.random.default_rng(0)
        x = ag.Tensor(rng.standard_normal((32, 64)))
        y = ag.Tensor(rng.standard_normal((32, 10)))
    opt = optim.SGD(model.parameters(), lr=1e-4)

    def step():
        opt.zero_grad()
        d = model(x) - y
        loss = (d * d).sum()
        loss.backward()
        opt.step()
        return loss.item()
    return step


def main():
    engines = [e for e in ("c", "python") if e in ag.engines.available]
    steps = {e: build(e) for e in engines}
    for e in engines:
        for _ in range(20):                 # warm-up
            steps[e]()
        with ag.profiler() as prof:
            for _ in range(STEPS):
                loss = steps[e]()
        print(f"== engine {e}: {STEPS} steps, last loss {loss:.6f}")
        print(prof.table())
        print()
    # plain step time, engines interleaved so both see the same machine state
    times = {e: [] for e in engines}
    for _ in range(5):
        for e in engines:
            t0 = time.perf_counter()
            for _ in range(STEPS // 5 or 1):
                steps[e]()
            times[e].append((time.perf_counter() - t0) / (STEPS // 5 or 1))
    for e in engines:
        print(f"step time, engine {e}: {np.median(times[e]) * 1e6:.1f} us (median of 5 rounds)")
    if len(engines) == 2:
        print(f"compiled engine {np.median(times['python']) / np.median(times['c']):.2f}x "
              f"faster than the pure one on this model")


if __name__ == "__main__":
    main()

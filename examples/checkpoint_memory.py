"""Activation checkpointing on a deep MLP: same gradients, lower peak memory.

    python examples/checkpoint_memory.py [--layers 50] [--width 256] [--batch 2048]
                                         [--segment 7]

Each segment of ``--segment`` layers is checkpointed: only the segments'
inputs are kept during the forward pass; each segment's activations are
recomputed, one segment at a time, during backward.

Peak memory is measured with tracemalloc (numpy reports its array buffers to
it), for one forward + backward, with and without checkpointing each layer.
"""
import argparse
import tracemalloc

import numpy as np

import autograd_c as ag
from autograd_c.utils.checkpoint import checkpoint


def layer(h, w, b):
    return (h @ w + b).tanh()


def segment(*args):
    """Layers given as (h, w0, b0, w1, b1, ...)."""
    h = args[0]
    for i in range(1, len(args), 2):
        h = layer(h, args[i], args[i + 1])
    return h


def step(params, x, ckpt, every=1):
    for w, b in params:
        w.grad = b.grad = None
    h = x
    for i in range(0, len(params), every):
        flat = [p for wb in params[i:i + every] for p in wb]
        h = checkpoint(segment, h, *flat) if ckpt else segment(h, *flat)
    (h * h).mean().backward()
    return [p.grad.data.copy() for wb in params for p in wb]


def measure(params, x, ckpt, every=1):
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    grads = step(params, x, ckpt, every)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return grads, peak / 2**20


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--layers", type=int, default=50)
    ap.add_argument("--width", type=int, default=256)
    ap.add_argument("--batch", type=int, default=2048)
    ap.add_argument("--segment", type=int, default=7,
                    help="layers per checkpointed segment (about sqrt(layers))")
    ap.add_argument("--engine", default=None)
    args = ap.parse_args(argv)
    if args.engine:
        ag.set_engine(args.engine)
    rng = np.random.default_rng(0)
    scale = 1 / np.sqrt(args.width)
    params = [(ag.tensor(rng.standard_normal((args.width, args.width)) * scale, requires_grad=True),
               ag.tensor(np.zeros(args.width), requires_grad=True)) for _ in range(args.layers)]
    x = ag.tensor(rng.standard_normal((args.batch, args.width)))
    g_plain, mb_plain = measure(params, x, False)
    g_ckpt, mb_ckpt = measure(params, x, True, args.segment)
    diff = max(float(np.abs(a - b).max()) for a, b in zip(g_plain, g_ckpt))
    print(f"engine {ag.engine}: {args.layers}-layer MLP, width {args.width}, batch {args.batch}")
    print(f"peak memory without checkpointing: {mb_plain:8.1f} MB")
    print(f"peak memory with checkpointing:    {mb_ckpt:8.1f} MB  ({mb_ckpt / mb_plain:.2f}x; "
          f"segments of {args.segment} layers)")
    print(f"largest gradient difference: {diff:.3g}")
    return mb_plain, mb_ckpt, diff


if __name__ == "__main__":
    main()

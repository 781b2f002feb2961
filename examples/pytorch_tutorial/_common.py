"""Shared by the scripts in this folder: choose the library to run on, and
(for cross-checking) give every parameter the same start on both libraries.

Each script's ``main(torch, steps, same_init)`` uses only the ``torch`` module
it is handed, so the same program runs on PyTorch and on
``import autograd_c as torch``.
"""
import argparse
import importlib


def library(name):
    """``torch`` itself, or autograd_c under the name torch."""
    return importlib.import_module("torch" if name == "torch" else "autograd_c")


def cli(main, default_steps):
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--lib", choices=("torch", "autograd_c"), default="autograd_c",
                        help="run on PyTorch or on autograd_c (imported as torch)")
    parser.add_argument("--steps", type=int, default=default_steps)
    parser.add_argument("--same-init", action="store_true",
                        help="deterministic start values instead of random ones, so both "
                             "libraries start from the same point")
    args = parser.parse_args()
    loss = main(library(args.lib), steps=args.steps, same_init=args.same_init, verbose=True)
    print(f"final loss ({args.lib}): {loss:.6f}")


def fixed_start(torch, params, scale=0.1):
    """Overwrite ``params`` (in order) with ``scale * sin(k)``, k = 1, 2, ...:
    the same numbers on any library, no random generator involved."""
    k = 1.0
    with torch.no_grad():
        for p in params:
            n = p.numel()
            values = torch.sin(torch.arange(n, dtype=p.dtype) + k) * scale
            p.copy_(values.reshape(p.shape))
            k += n

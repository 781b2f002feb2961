"""Fit y = sin(x) with y = a + b * P3(c + d x), where P3 is the Legendre
polynomial of degree 3, P3(t) = (5 t^3 - 3 t) / 2, implemented as a custom
autograd Function with its own forward and backward.

Run: python examples/pytorch_tutorial/polynomial_custom_function.py [--lib torch]
"""
import math

try:
    from . import _common
except ImportError:
    import _common


def legendre3(torch):
    """The Function class for P3 on the library ``torch``."""

    class Legendre3(torch.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            ctx.save_for_backward(t)
            return 0.5 * (5 * t ** 3 - 3 * t)

        @staticmethod
        def backward(ctx, grad_output):
            (t,) = ctx.saved_tensors
            # dP3/dt = (15 t^2 - 3) / 2
            return grad_output * 1.5 * (5 * t ** 2 - 1)

    return Legendre3


def main(torch, steps=2000, same_init=False, verbose=False):
    """a + b * P3(c + d x) fit to sin(x); returns the final loss."""
    dtype = torch.float
    device = torch.device("cpu")
    x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype, device=device)
    y = torch.sin(x)

    # start near a useful fit (the series converges slowly from random values)
    a = torch.full((), 0.0, dtype=dtype, device=device, requires_grad=True)
    b = torch.full((), -1.0, dtype=dtype, device=device, requires_grad=True)
    c = torch.full((), 0.0, dtype=dtype, device=device, requires_grad=True)
    d = torch.full((), 0.3, dtype=dtype, device=device, requires_grad=True)
    p3 = legendre3(torch).apply

    learning_rate = 5e-6
    loss = None
    for step in range(steps):
        y_pred = a + b * p3(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        if verbose and step % 500 == 499:
            print(step, loss.item())
        loss.backward()
        with torch.no_grad():
            for w in (a, b, c, d):
                w -= learning_rate * w.grad
                w.grad = None
    if verbose:
        print(f"y = {a.item():.4f} + {b.item():.4f} * P3({c.item():.4f} + {d.item():.4f} x)")
    return loss.item()


if __name__ == "__main__":
    _common.cli(main, 2000)

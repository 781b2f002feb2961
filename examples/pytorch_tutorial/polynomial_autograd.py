"""Fit y = sin(x) on [-pi, pi] with a cubic a + b x + c x^2 + d x^3, written
with tensors and autograd only: the four coefficients are leaf tensors that
require grad, the loss is a summed squared error, and each step is a plain
gradient-descent update done under no_grad.

Run: python examples/pytorch_tutorial/polynomial_autograd.py [--lib torch]
"""
import math

try:
    from . import _common
except ImportError:
    import _common


def main(torch, steps=2000, same_init=False, verbose=False):
    """Cubic fit to sin(x) with tensors + autograd; returns the final loss."""
    dtype = torch.float
    device = torch.device("cpu")
    torch.manual_seed(0)

    x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype, device=device)
    y = torch.sin(x)

    coeffs = [torch.randn((), dtype=dtype, device=device, requires_grad=True) for _ in range(4)]
    if same_init:
        _common.fixed_start(torch, coeffs)
    a, b, c, d = coeffs

    learning_rate = 1e-6
    loss = None
    for step in range(steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        if verbose and step % 500 == 499:
            print(step, loss.item())
        loss.backward()
        with torch.no_grad():
            for w in coeffs:
                w -= learning_rate * w.grad
                w.grad = None
    if verbose:
        print(f"y = {a.item():.4f} + {b.item():.4f} x + {c.item():.4f} x^2 + {d.item():.4f} x^3")
    return loss.item()


if __name__ == "__main__":
    _common.cli(main, 2000)

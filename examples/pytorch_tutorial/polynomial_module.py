"""The cubic fit of sin(x) as a custom ``nn.Module``: four scalar
``nn.Parameter``s, a ``forward`` that evaluates the polynomial, trained with
``optim.SGD`` on ``nn.MSELoss(reduction="sum")``.

Run: python examples/pytorch_tutorial/polynomial_module.py [--lib torch]
"""
import math

try:
    from . import _common
except ImportError:
    import _common


def make_model(torch):
    class Cubic(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Parameter(torch.randn(()))
            self.b = torch.nn.Parameter(torch.randn(()))
            self.c = torch.nn.Parameter(torch.randn(()))
            self.d = torch.nn.Parameter(torch.randn(()))

        def forward(self, x):
            return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3

        def string(self):
            return (f"y = {self.a.item():.4f} + {self.b.item():.4f} x + "
                    f"{self.c.item():.4f} x^2 + {self.d.item():.4f} x^3")

    return Cubic()


def main(torch, steps=2000, same_init=False, verbose=False):
    """Module-based cubic fit to sin(x) with SGD; returns the final loss."""
    torch.manual_seed(0)
    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)

    model = make_model(torch)
    if same_init:
        _common.fixed_start(torch, model.parameters())
    criterion = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-6)

    loss = None
    for step in range(steps):
        loss = criterion(model(x), y)
        if verbose and step % 500 == 499:
            print(step, loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    if verbose:
        print(model.string())
    return loss.item()


if __name__ == "__main__":
    _common.cli(main, 2000)

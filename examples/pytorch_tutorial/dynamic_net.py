"""A model whose graph changes from one forward pass to the next: a cubic
plus, on each pass, a randomly chosen number (0, 1 or 2) of extra terms
e * x^4, e * x^5 that reuse the same parameter e. Autograd records whatever
graph the Python control flow built. Trained with SGD with momentum.

Run: python examples/pytorch_tutorial/dynamic_net.py [--lib torch]
"""
import math
import random

try:
    from . import _common
except ImportError:
    import _common


def make_model(torch):
    class DynamicNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Parameter(torch.randn(()))
            self.b = torch.nn.Parameter(torch.randn(()))
            self.c = torch.nn.Parameter(torch.randn(()))
            self.d = torch.nn.Parameter(torch.randn(()))
            self.e = torch.nn.Parameter(torch.randn(()))

        def forward(self, x):
            y = self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3
            # the same parameter e is used by 0, 1 or 2 extra terms
            for power in range(4, random.randint(4, 6)):
                y = y + self.e * x ** power
            return y

        def string(self):
            return (f"y = {self.a.item():.4f} + {self.b.item():.4f} x + {self.c.item():.4f} x^2 "
                    f"+ {self.d.item():.4f} x^3 + {self.e.item():.4f} x^4 ? "
                    f"+ {self.e.item():.4f} x^5 ?")

    return DynamicNet()


def main(torch, steps=30000, same_init=False, verbose=False):
    """Randomly-deep polynomial fit to sin(x) with SGD + momentum; returns the final loss."""
    torch.manual_seed(0)
    random.seed(0)          # the graph's shape on each step: the same on every library
    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)

    model = make_model(torch)
    if same_init:
        _common.fixed_start(torch, model.parameters(), scale=0.01)
    criterion = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-8, momentum=0.9)

    loss = None
    for step in range(steps):
        loss = criterion(model(x), y)
        if verbose and step % 2000 == 1999:
            print(step, loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    if verbose:
        print(model.string())
    return loss.item()


if __name__ == "__main__":
    _common.cli(main, 30000)

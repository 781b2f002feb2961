"""The nn cubic fit of sin(x), updated by an optimizer (``optim.RMSprop``)
instead of by hand.

Run: python examples/pytorch_tutorial/polynomial_optim.py [--lib torch]
"""
import math

try:
    from . import _common
except ImportError:
    import _common


def main(torch, steps=2000, same_init=False, verbose=False):
    """nn cubic fit to sin(x) trained with RMSprop; returns the final loss."""
    torch.manual_seed(0)
    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)
    features = x.unsqueeze(-1).pow(torch.tensor([1, 2, 3]))

    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
    if same_init:
        _common.fixed_start(torch, model.parameters())
    loss_fn = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)

    loss = None
    for step in range(steps):
        loss = loss_fn(model(features), y)
        if verbose and step % 500 == 499:
            print(step, loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    if verbose:
        linear = model[0]
        w = linear.weight.detach().reshape(-1).tolist()
        print(f"y = {linear.bias.item():.4f} + {w[0]:.4f} x + {w[1]:.4f} x^2 + {w[2]:.4f} x^3")
    return loss.item()


if __name__ == "__main__":
    _common.cli(main, 2000)

"""The cubic fit of sin(x) with the nn package: the features x, x^2, x^3 go
through ``nn.Linear(3, 1)`` and ``nn.Flatten(0, 1)``; the loss is
``nn.MSELoss(reduction="sum")``; the update is hand-written over
``model.parameters()``.

Run: python examples/pytorch_tutorial/polynomial_nn.py [--lib torch]
"""
import math

try:
    from . import _common
except ImportError:
    import _common


def main(torch, steps=2000, same_init=False, verbose=False):
    """nn.Sequential cubic fit to sin(x) with manual SGD; returns the final loss."""
    torch.manual_seed(0)
    x = torch.linspace(-math.pi, math.pi, 2000)
    y = torch.sin(x)

    powers = torch.tensor([1, 2, 3])
    features = x.unsqueeze(-1).pow(powers)          # (2000, 3): x, x^2, x^3

    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
    if same_init:
        _common.fixed_start(torch, model.parameters())
    loss_fn = torch.nn.MSELoss(reduction="sum")

    learning_rate = 1e-6
    loss = None
    for step in range(steps):
        y_pred = model(features)
        loss = loss_fn(y_pred, y)
        if verbose and step % 500 == 499:
            print(step, loss.item())
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for param in model.parameters():
                param -= learning_rate * param.grad
    if verbose:
        linear = model[0]
        w = linear.weight[:, 0].item(), linear.weight[:, 1].item(), linear.weight[:, 2].item()
        print(f"y = {linear.bias.item():.4f} + {w[0]:.4f} x + {w[1]:.4f} x^2 + {w[2]:.4f} x^3")
    return loss.item()


if __name__ == "__main__":
    _common.cli(main, 2000)

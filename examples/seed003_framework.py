"""Seed 003 ("let's build a deep learning framework"): its two training loops
re-run with autograd_c.

Reproducing the seed's initial weights: the seed's Tensor constructor calls
``np.random.randint(0, 100000)`` to give every tensor an id, and that draw
consumes the global numpy RNG *between* the weight draws. So after
``np.random.seed(42)`` the sequence is:

  loop 1: randint (data tensor), randint (target tensor),
          rand(2, 3), randint (its Tensor), rand(3, 1), randint (its Tensor)
  loop 2: randint (data), randint (target),
          Linear(2, 3): randn(2, 3) * sqrt(2/2), randint (weight Tensor),
                        zeros(3) bias, randint (bias Tensor)
          Linear(3, 1): randn(3, 1) * sqrt(2/3), randint, zeros(1), randint

and we make exactly those calls below with plain numpy. The seed's weight
matrices are (in, out) and multiply on the right; our ``nn.Linear`` weight is
(out, in), so we load the transposed matrices. The loss is the seed's
``((pred - target) * (pred - target)).sum(0)``, a shape-(1,) tensor,
backpropagated with a gradient of ones.

Loop 2 (Sequential + MSELoss + SGD(alpha=0.05)) matches the seed to the
printed digits with ordinary gradients: 3.65094627 ... 0.15067618.

Loop 1 (two bare matrices, SGD alpha=0.1) does not: the seed printed
1.11374267, 0.62255894, ... 0.00459155, while true gradient descent gives
1.11374267, 0.8024816, ... 0.08153841 (first loss equal, so the weights are
right). The seed's numbers are reproduced exactly when the first matrix moves
by 2x and the second by 1.5x the true gradient step: that notebook cell ran
an earlier version of its Tensor class (cell In [48]/[50] executed before the
class in In [79]) whose backward over-counted. The factors follow from that
class's bugs: its children check returned after looking at the first child
only, so ``pred`` (consumed by two ``sub`` nodes, each sending g/2) ran its
backward twice, with g/2 and then with g: w1 got 1.5 g. And ``mm`` passed its
input gradient on without saying where it came from, so ``data.mm(w0)`` also
ran twice, with g/2 and then with its accumulated g/2 + g: w0 got 2 g. We print both: the true
trajectory, and the seed's, obtained with autograd_c's true gradients and
per-parameter learning rates 0.2 / 0.15 (two SGD parameter groups).
Run: python examples/seed003_framework.py   (AUTOGRAD_C_ENGINE=python|c)
"""
import numpy as np

import autograd_c as ag
from autograd_c import nn, optim

DATA = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
TARGET = np.array([[0], [1], [0], [1]], dtype=np.float64)


def fmt(v):
    return np.format_float_positional(float(v), precision=8, trim="-")


def seed_id():
    """The seed's Tensor id draw; only its effect on the RNG matters."""
    np.random.randint(0, 100000)


def loop1_initial_weights():
    np.random.seed(42)
    seed_id()
    seed_id()                      # data, target
    w0 = np.random.rand(2, 3)
    seed_id()
    w1 = np.random.rand(3, 1)
    seed_id()
    return w0, w1


def loop2_initial_weights():
    np.random.seed(42)
    seed_id()
    seed_id()                      # data, target
    weights = []
    for n_in, n_out in ((2, 3), (3, 1)):
        w = np.random.randn(n_in, n_out) * np.sqrt(2.0 / n_in)
        seed_id()                  # weight Tensor
        seed_id()                  # bias Tensor (zeros: no draw of its own)
        weights.append((w, np.zeros(n_out)))
    return weights


def seed_loss(pred, target):
    return ((pred - target) * (pred - target)).sum(0)


def run_loop1(lrs):
    w0, w1 = loop1_initial_weights()
    w = [nn.Parameter(w0), nn.Parameter(w1)]
    opt = optim.SGD([{"params": [w[0]], "lr": lrs[0]}, {"params": [w[1]], "lr": lrs[1]}])
    data, target = ag.Tensor(DATA), ag.Tensor(TARGET)
    losses = []
    for _ in range(10):
        opt.zero_grad()
        loss = seed_loss(data @ w[0] @ w[1], target)
        loss.backward(np.ones_like(loss.data))
        opt.step()
        losses.append(loss.data[0])
    return losses


def run_loop2():
    model = nn.Sequential(nn.Linear(2, 3, dtype=ag.float64), nn.Linear(3, 1, dtype=ag.float64))
    (w0, b0), (w1, b1) = loop2_initial_weights()
    model.load_state_dict({"0.weight": w0.T, "0.bias": b0, "1.weight": w1.T, "1.bias": b1})
    opt = optim.SGD(model.parameters(), lr=0.05)
    data, target = ag.Tensor(DATA), ag.Tensor(TARGET)
    losses = []
    for _ in range(10):
        opt.zero_grad()
        loss = seed_loss(model(data), target)
        loss.backward(np.ones_like(loss.data))
        opt.step()
        losses.append(loss.data[0])
    return losses


print(f"engine {ag.engine}")
print("loop1 (true gradients, lr 0.1):", " ".join(fmt(v) for v in run_loop1((0.1, 0.1))))
print("loop1 (seed's printed run, lr 0.2/0.15):",
      " ".join(fmt(v) for v in run_loop1((0.2, 0.15))))
print("loop2 (Sequential, MSE, SGD 0.05):", " ".join(fmt(v) for v in run_loop2()))

"""Seed 000: the Bias / Linear / ReLU / SoftMax layers of the seed, written as
autograd_c modules, and their gradients checked two ways:

1. against central finite differences (``autograd_c.gradcheck``);
2. against the seed's hand-derived backward formulas, evaluated in numpy:
   Linear (Z = X W):  dL/dW = X^T G,  dL/dX = G W^T
   Bias (Z = X + b):  dL/db = G summed over the leading (batch) dimensions
   ReLU:              dL/dX = G where X > 0, else 0
   SoftMax (rows):    dL/dX = p * (G - sum(G * p, axis=1))

The network is X -> Linear -> Bias -> ReLU -> Linear -> Bias -> SoftMax, and
the scalar loss is sum(C * softmax) for a fixed random C (so the downstream
gradient reaching SoftMax is C).
Run: python examples/seed000_layers.py   (AUTOGRAD_C_ENGINE=python|c)
"""
import numpy as np

import autograd_c as ag
from autograd_c import nn


class Linear(nn.Module):
    """The seed's Linear: parameter W of shape (N, M), output X @ W."""

    def __init__(self, weights):
        super().__init__()
        self.weight = nn.Parameter(weights)

    def forward(self, x):
        return x @ self.weight


class Bias(nn.Module):
    """Adds a bias broadcast over the leading dimensions."""

    def __init__(self, bias):
        super().__init__()
        self.bias = nn.Parameter(np.squeeze(bias))

    def forward(self, x):
        return x + self.bias


rng = np.random.default_rng(0)
B, N, H, M = 4, 5, 6, 3
X = rng.standard_normal((B, N))
W1, b1 = rng.standard_normal((N, H)), rng.standard_normal(H)
W2, b2 = rng.standard_normal((H, M)), rng.standard_normal(M)
C = rng.standard_normal((B, M))

net = nn.Sequential(Linear(W1), Bias(b1), nn.ReLU(), Linear(W2), Bias(b2), nn.Softmax(dim=1))
x = ag.Tensor(X, requires_grad=True)
loss = (net(x) * C).sum()
loss.backward()
auto = {"x": x.grad.data}
auto.update({name: p.grad.data for name, p in net.named_parameters()})

# -- the seed's formulas, by hand in numpy -----------------------------------------
z1 = X @ W1
a1 = z1 + b1
h1 = np.maximum(0, a1)
z2 = h1 @ W2
a2 = z2 + b2
e = np.exp(a2 - np.max(a2))
p = e / np.sum(e, axis=1)[:, None]
g = C                                                   # d loss / d softmax
g = p * (g - np.sum(g * p, axis=1)[:, None])            # SoftMax
g_b2 = np.sum(g, axis=0)                                # Bias
g_W2, g = h1.T @ g, g @ W2.T                            # Linear
g = np.where(a1 > 0, g, 0.0)                            # ReLU
g_b1 = np.sum(g, axis=0)                                # Bias
g_W1, g_x = X.T @ g, g @ W1.T                           # Linear
hand = {"x": g_x, "0.weight": g_W1, "1.bias": g_b1, "3.weight": g_W2, "4.bias": g_b2}

print(f"engine {ag.engine}")
print(f"loss = {loss.item():.15f}")
worst = 0.0
for name in hand:
    diff = float(np.max(np.abs(auto[name] - hand[name])))
    worst = max(worst, diff)
    print(f"grad {name:9s} shape {str(auto[name].shape):7s} sum {auto[name].sum(): .12f}  "
          f"max|autograd - seed formula| = {diff:.1e}")
print(f"max difference to the seed's formulas: {worst:.1e}")


def f(x, w1, c1, w2, c2):
    """The same network as a function of all its inputs, for gradcheck."""
    return ag.softmax(ag.relu(x @ w1 + c1) @ w2 + c2, axis=1)


inputs = [ag.Tensor(a, requires_grad=True) for a in (X, W1, b1, W2, b2)]
print(f"gradcheck vs finite differences: {ag.gradcheck(f, inputs)}")

"""Seed 002: linear regression y = 2*x1 - 3*x2 + 1 fitted by full-batch SGD.

Data and initial weights are drawn exactly as the seed does (numpy
RandomState(0)); the inputs are float32 draws used in float64. The loss is
the sum of squared errors and the update is p -= 1e-2 * dL/dp with the
gradient of the whole batch (the seed sums its per-sample parameter VJPs over
the batch, which is the same thing).
Prints (seed's numbers): losses 110.2900527 ... 8.83465916, then the weights
[1.6269806, -1.09195793] and bias [0.121909].
Run: python examples/seed002_linear_regression.py   (AUTOGRAD_C_ENGINE=python|c)
"""
import numpy as np

import autograd_c as ag
from autograd_c import nn, optim


def fmt(v):
    return np.format_float_positional(float(v), precision=8, trim="-")


rng = np.random.RandomState(0)
x = rng.random((30, 2)).astype("float32")
y = np.expand_dims(np.dot(x, [2.0, -3.0]) + 1.0, axis=1).astype("float32")
x, y = x.astype(np.float64), y.astype(np.float64)

init = np.random.RandomState(0)
W, b = init.randn(2, 1), init.randn(1)

model = nn.Linear(2, 1, dtype=ag.float64)   # the seed computes in float64
model.load_state_dict({"weight": W.T, "bias": b})     # our weight is (out, in)
loss_fn = nn.MSELoss(reduction="sum")
opt = optim.SGD(model.parameters(), lr=1e-2)

print(f"engine {ag.engine}")
for epoch in range(10):
    opt.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()
    print(f"epoch {epoch} loss {fmt(loss.item())}")

print("weights", " ".join(fmt(v) for v in model.weight.data.ravel()))
print("bias", " ".join(fmt(v) for v in model.bias.data.ravel()))

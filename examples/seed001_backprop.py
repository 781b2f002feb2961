"""Seed 001: a 3-layer network (affine, sigmoid, affine, relu, affine) with a
summed squared error, differentiated by autograd_c.

Prints L (the seed prints 2.060075596202683) and the six gradients, then
checks them against finite differences (gradcheck).
Run: python examples/seed001_backprop.py   (AUTOGRAD_C_ENGINE=python|c)
"""
import numpy as np

import autograd_c as ag

np.set_printoptions(precision=17)

x = ag.Tensor([[1, 2, 3], [4, 5, 6]], dtype=float)
y = ag.Tensor([[1, 0], [0, 1]], dtype=float)
init = {
    "w1": [[1, 1], [-1, 1], [-2, 2]], "b1": [[0, 1]],
    "w2": [[.2, .5], [.5, -.5]], "b2": [[-1, .5]],
    "w3": [[.7, -.5], [-.2, .3]], "b3": [[.3, -.2]],
}
params = {k: ag.Tensor(v, dtype=float, requires_grad=True) for k, v in init.items()}


def network(w1, b1, w2, b2, w3, b3):
    h1 = ag.sigmoid(x @ w1 + b1)
    h2 = ag.relu(h1 @ w2 + b2)
    s3 = h2 @ w3 + b3
    return ((s3 - y) ** 2).sum()


L = network(**params)
L.backward()
print(f"engine {ag.engine}")
print(f"L = {L.item()!r}")
for name, p in params.items():
    # the seed's bias gradients are summed over the batch: shape (2,), ours keep (1, 2)
    print(f"grad {name} = {p.grad.data.ravel().tolist()!r}")

ok = ag.gradcheck(network, list(params.values()), eps=1e-6, atol=1e-7, rtol=1e-5)
print(f"gradcheck: {ok}")

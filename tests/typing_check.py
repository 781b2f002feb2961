"""A small user script type-checked with mypy (``mypy tests/typing_check.py``);
it also runs (``python tests/typing_check.py``). Not collected by pytest.

It exercises the public API the way a user would: construction, operators,
reductions, functions, backward, ``.grad``, ``no_grad`` and the in-place
update of an SGD step, so mypy sees the package's annotations (``py.typed``).
"""
from __future__ import annotations

from typing import List, Optional, Tuple

import numpy as np

import autograd_c as ag
from autograd_c import Tensor


def mlp_loss(x: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, y: Tensor) -> Tensor:
    h: Tensor = ag.tanh(x @ w1 + b1)
    logits: Tensor = h @ w2
    logp: Tensor = ag.log_softmax(logits, axis=1)
    return -(logp * y).sum() / x.shape[0]


def sgd_step(params: List[Tensor], lr: float) -> None:
    with ag.no_grad():
        for p in params:
            g: Optional[Tensor] = p.grad
            assert g is not None
            p -= lr * g
            p.grad = None


def main() -> Tuple[float, float]:
    rng = np.random.default_rng(0)
    x = ag.tensor(rng.standard_normal((8, 4)))
    y = ag.Tensor(np.eye(3)[rng.integers(0, 3, size=8)])
    w1 = ag.Tensor(rng.standard_normal((4, 5)) * 0.5, requires_grad=True)
    b1 = ag.zeros(5, requires_grad=True)
    w2 = ag.Tensor(rng.standard_normal((5, 3)) * 0.5, requires_grad=True)
    params = [w1, b1, w2]

    first: float = mlp_loss(x, w1, b1, w2, y).item()
    for _ in range(20):
        loss = mlp_loss(x, w1, b1, w2, y)
        loss.backward()
        sgd_step(params, 0.5)
    last: float = mlp_loss(x, w1, b1, w2, y).item()

    # a few more ops and attributes, checked against numpy
    a = ag.Tensor([[1.0, -2.0], [3.0, 0.5]], requires_grad=True)
    z = (ag.exp(a) * 2.0 - a ** 2).mean(axis=0, keepdims=True)
    total = (ag.relu(a).max() + ag.sigmoid(z).sum() + a.T.reshape(4).min()).sum()
    total.backward(retain_graph=True)
    grad_a: Optional[Tensor] = a.grad
    assert grad_a is not None
    shape: Tuple[int, ...] = grad_a.shape
    arr: np.ndarray = grad_a.numpy()
    assert shape == (2, 2) and arr.shape == (2, 2)
    with ag.no_grad():
        frozen = a * 3.0
    assert not frozen.requires_grad and a.requires_grad and a.is_leaf
    engine: str = ag.engine
    assert engine in ("c", "python")
    return first, last


if __name__ == "__main__":
    first, last = main()
    assert last < first, (first, last)
    print(f"loss {first:.4f} -> {last:.4f} on the {ag.engine} engine")

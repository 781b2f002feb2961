"""In-place ops on tensors in the graph, as numpy and PyTorch do them
(issue 12 item 6): the memory is written (aliases and views see it), the
history is rebased, and the version is bumped."""
import numpy as np
import pytest

import autograd_c as ag

torch = pytest.importorskip("torch")


def both(program):
    """Run ``program(m, w)`` with autograd_c and with torch; return both results."""
    w0 = np.array([1.0, 2.0, 3.0])
    ours = program(ag, ag.tensor(w0.copy(), requires_grad=True))
    theirs = program(torch, torch.tensor(w0.copy(), requires_grad=True))
    return ours, theirs


def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else t.data


def check(program):
    ours, theirs = both(program)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(_np(a) if not isinstance(a, np.ndarray) else a,
                                   _np(b) if not isinstance(b, np.ndarray) else b,
                                   rtol=1e-12, atol=1e-12)


def test_alias_sees_the_increment(engine):
    def program(m, w):
        h = w * 2
        alias = h
        h += 1
        loss = (alias * alias).sum()
        loss.backward()
        return [alias, h, loss, w.grad]
    check(program)


@pytest.mark.parametrize("name", ["add_", "mul_", "sub_", "div_"])
def test_named_inplace_with_tensor_operand(engine, name):
    def program(m, w):
        x = w * w
        y = (w + 1) * 0.5
        x2 = getattr(x, name)(y)
        assert x2 is x
        (x * w).sum().backward()
        return [x, w.grad]
    check(program)


def test_relu_clamp_and_unary_inplace(engine):
    def program(m, w):
        h = w - 2
        h.relu_()
        g = (w * 3).clamp_(min=2.0, max=7.0)
        e = (w * 0.1).sin_().exp_()
        (h * w + g * g + e).sum().backward()
        return [h, g, e, w.grad]
    check(program)


def test_chained_inplace_that_overwrites_a_saved_output_raises_like_torch(engine):
    # tanh_'s VJP reads its output, which exp_ then overwrites (torch raises too)
    w = ag.tensor(np.array([1.0, 2.0]), requires_grad=True)
    e = (w * 0.1).tanh_().exp_()
    with pytest.raises(RuntimeError, match="in-place"):
        e.sum().backward()


def test_inplace_on_leaf_that_requires_grad_raises(engine):
    w = ag.tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w.add_(1)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w += 1
    with ag.no_grad():
        w += 1
    np.testing.assert_allclose(w.data, 2.0)


def test_overwritten_value_needed_by_backward_raises(engine):
    w = ag.tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = w.exp()               # exp's VJP reads its output
    h.add_(1)
    with pytest.raises(RuntimeError, match="in-place"):
        h.sum().backward()


def test_saved_input_gets_a_private_copy(engine):
    def program(m, w):
        a = w * 1
        b = a * a             # saves a  # noqa: F841
        a.mul_(3)             # rebases a; b's saved a is now stale -> torch raises
        return [a]
    ours_w = ag.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    a = ours_w * 1
    b = a * a
    a.mul_(3)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        b.sum().backward()


def test_setitem_sends_gradients_to_base_and_value(engine):
    def program(m, w):
        h = w * 2
        v = (w[:2] * w[1:]).sum() * (m.ones(2, dtype=m.float64) if m is torch
                                     else ag.tensor(np.ones(2)))
        h[[0, 2]] = v
        h[1:2] = h[1:2] * 5
        (h * h).sum().backward()
        return [h, w.grad]
    check(program)


def test_setitem_boolean_index(engine):
    def program(m, w):
        h = w * 2
        mask = h > 3
        h[mask] = w[mask] * 10
        h.sum().backward()
        return [h, w.grad]
    check(program)


def test_second_order_through_inplace(engine):
    def program(m, w):
        h = w * w
        h.mul_(w)                              # w^3
        (g,) = m.autograd.grad(h.sum(), w, create_graph=True)
        (gg,) = m.autograd.grad(g.sum(), w)
        return [g, gg]
    check(program)

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


# -- in-place on views of tensors in the graph (PyTorch's CopySlices) ------------

def test_issue_example_inplace_on_a_view_reaches_the_base(engine):
    # issue 11 item 14 / issue 12 item 6, verbatim: a becomes [11, 12, 3], loss 274
    w = ag.tensor([1.0, 2.0, 3.0], requires_grad=True, dtype=ag.float64)
    a = w * 1
    v = a[0:2]
    v += 10
    loss = (a ** 2).sum()
    loss.backward()
    assert a.tolist() == [11.0, 12.0, 3.0] and v.tolist() == [11.0, 12.0]
    assert loss.item() == 274.0
    np.testing.assert_allclose(w.grad.data, 2 * a.data, rtol=0, atol=0)

    def program(m, w):
        a = w * 1
        v = a[0:2]
        v += 10
        loss = (a ** 2).sum()
        loss.backward()
        return [a, v, loss, w.grad]
    check(program)


_VIEW_UPDATES = {
    "iadd": lambda m, v, w: v.__iadd__(w[:2] * 3),
    "isub": lambda m, v, w: v.__isub__(w[1:] ** 2),
    "imul": lambda m, v, w: v.__imul__(w[:2] + 1),
    "idiv": lambda m, v, w: v.__itruediv__(w[1:] + 1),
    "add_": lambda m, v, w: v.add_(w[:2], alpha=2) if m is torch else v.add_(w[:2] * 2),
    "mul_": lambda m, v, w: v.mul_(w[1:]),
    "relu_": lambda m, v, w: (v.sub_(3.5), v.relu_()),
    "clamp_": lambda m, v, w: v.clamp_(min=2.5, max=3.5),
    "sin_": lambda m, v, w: v.sin_(),
    "exp_": lambda m, v, w: v.exp_(),
    "zero_": lambda m, v, w: v.zero_(),
    "fill_const": lambda m, v, w: v.fill_(7.0),
    "fill_tensor": lambda m, v, w: v.fill_((w * w).sum()),
    "copy_": lambda m, v, w: v.copy_(w[1:] * w[:2]),
    "copy_broadcast": lambda m, v, w: v.copy_(w[2:] * 5),
    "setitem": lambda m, v, w: v.__setitem__(1, w[0] * w[2]),
    "setitem_slice": lambda m, v, w: v.__setitem__(slice(0, 1), w[1:2] ** 3),
}


@pytest.mark.parametrize("update", sorted(_VIEW_UPDATES))
def test_inplace_on_a_slice_view_like_torch(engine, update):
    def program(m, w):
        a = w * m.tensor([1.0, 2.0, 3.0], dtype=m.float64)
        v = a[1:3]
        _VIEW_UPDATES[update](m, v, w)
        loss = (a * a * w).sum() + (v * w[:2]).sum()
        loss.backward()
        return [a, v, loss, w.grad]
    check(program)


def _mat(m, w):
    """A 3x4 matrix in the graph built from w."""
    base = m.arange(12, dtype=m.float64).reshape(3, 4) * 0.25
    return base * w.reshape(3, 1) + w.sum()


_VIEWS_OF = {
    "row": lambda a: a[1],
    "column": lambda a: a[:, 2],
    "block": lambda a: a[1:, ::2],
    "transpose": lambda a: a.T,
    "transpose_slice": lambda a: a.t()[1:3],
    "reshape": lambda a: a.reshape(2, 6),
    "view_of_view": lambda a: a[1:][:, 1:3][0],
    "diagonal": lambda a: a.diagonal(),
    "diagonal_offset": lambda a: a.diagonal(1),
    "narrow": lambda a: a.narrow(1, 1, 2),
    "unsqueeze": lambda a: a.unsqueeze(0)[:, 1:].squeeze(0),
}


@pytest.mark.parametrize("kind", sorted(_VIEWS_OF))
def test_inplace_on_strided_views_like_torch(engine, kind):
    def program(m, w):
        a = _mat(m, w)
        v = _VIEWS_OF[kind](a)
        v.mul_(v.detach() * 0 + w.sum())
        v += 1
        loss = (a ** 2).sum() + (v ** 3).sum()
        loss.backward()
        return [a, v, loss, w.grad]
    check(program)


def test_other_views_see_the_new_history(engine):
    # views made before the in-place read the new values and differentiate
    # through the update (torch regenerates their grad_fn)
    def program(m, w):
        a = w * 1
        u = a[1:]
        t = a.T if a.ndim > 1 else a.view(3)
        v = a[0:2]
        v.mul_(3)
        loss = (u ** 2).sum() + (t * w).sum()
        loss.backward()
        return [a, u, t, loss, w.grad]
    check(program)


def test_inplace_on_the_base_updates_its_views(engine):
    def program(m, w):
        a = w * 1
        u = a[1:]
        a.mul_(3)
        (u ** 2).sum().backward()
        return [a, u, w.grad]
    check(program)


def test_view_of_a_tensor_without_grad_enters_the_graph(engine):
    def program(m, w):
        b = m.zeros(3, 2, dtype=m.float64)
        u = b[:, 1]
        v = b[0:2, 0]
        v.copy_(w[:2] * 2)
        assert b.requires_grad and u.requires_grad and v.requires_grad
        b[1:, 1].mul_(w[1:])            # a view made after, through its own view
        loss = (b * b).sum() + ((u + 1) ** 2).sum()
        loss.backward()
        return [b, u, v, loss, w.grad]
    check(program)


def test_detached_view_is_written_without_touching_the_base_history(engine):
    def program(m, w):
        a = w * 2
        d = a.detach()
        d.add_(w)                      # d: its own history; a keeps mul's
        assert d.requires_grad
        loss = (a * a).sum() + (d * d).sum()
        loss.backward()
        return [a, d, loss, w.grad]
    check(program)


def test_second_order_through_an_inplace_on_a_view(engine):
    def program(m, w):
        a = w * w
        v = a[1:]
        v.mul_(w[:2])
        (g,) = m.autograd.grad((a ** 2).sum(), w, create_graph=True)
        (gg,) = m.autograd.grad((g * g).sum(), w)
        return [a, g, gg]
    check(program)


def test_inplace_on_a_view_of_a_leaf_that_requires_grad_raises(engine):
    w = ag.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    for update in (lambda v: v.add_(1), lambda v: v.__iadd__(1), lambda v: v.zero_(),
                   lambda v: v.__setitem__(0, 5.0), lambda v: v.copy_(ag.ones(2))):
        with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad "
                                               "is being used in an in-place operation"):
            update(w[0:2])
    assert w.tolist() == [1.0, 2.0, 3.0] and w.version == 0
    with ag.no_grad():                 # allowed, as in torch
        v = w[0:2]
        v += 1
        w[1:].mul_(2)
    assert w.tolist() == [2.0, 6.0, 6.0] and w.is_leaf


def test_inplace_on_an_expanded_view_raises(engine):
    w = ag.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    e = (w * 1).expand(2, 3)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        e.add_(1)


def test_overwritten_value_needed_by_backward_raises_through_a_view(engine):
    w = ag.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    a = w * 1
    b = a * a                 # saves a
    v = a[0:2]
    v += 1
    with pytest.raises(RuntimeError, match=r"modified by an in-place operation.*mul"):
        b.sum().backward()
    h = w.exp()               # exp's VJP reads its output, which the view shares
    h[1:].add_(1)
    with pytest.raises(RuntimeError, match="in-place"):
        h.sum().backward()


def test_versions_are_shared_by_a_base_and_its_views(engine):
    w = ag.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    a = w * 1
    u, v = a[1:], a[:2]
    v.mul_(2)
    u[0] = 7.0
    assert a.version == u.version == v.version == 2
    assert a.tolist() == [2.0, 7.0, 3.0] and v.tolist() == [2.0, 7.0]


@pytest.mark.parametrize("fill", ["zero_", "fill_", "copy_"])
def test_fills_on_graph_tensors_are_recorded(engine, fill):
    def program(m, w):
        a = w * w
        if fill == "zero_":
            a.zero_()
        elif fill == "fill_":
            a.fill_(w[0] * 3)
        else:
            a.copy_(w[1] * w)
        loss = (a * w).sum()
        loss.backward()
        return [a, loss, w.grad]
    check(program)


def test_forward_mode_through_an_inplace_on_a_view(engine):
    import autograd_c.autograd.forward_ad as fwAD

    def f(x):
        a = x * 2
        v = a[1:]
        v.mul_(x[:2])
        return a * x

    x0, t0 = np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0, 2.0])
    _, ref = torch.func.jvp(f, (torch.tensor(x0),), (torch.tensor(t0),))
    with fwAD.dual_level():
        out = f(fwAD.make_dual(ag.tensor(x0), ag.tensor(t0)))
        tangent = fwAD.unpack_dual(out).tangent
    np.testing.assert_allclose(tangent.data, ref.numpy(), rtol=1e-12, atol=1e-12)


def test_views_of_a_detached_tensor_do_not_touch_the_base_history(engine):
    def program(m, w):
        a = w * 2
        v = a.detach()[0:2]
        v.add_(w[1:])                  # v's own history; a keeps mul's
        a.mul_(w)                      # the detached view gets no history
        u = a.detach()[1:]
        assert v.requires_grad and not u.requires_grad
        loss = (a * a).sum() + (v * v).sum()
        loss.backward()
        return [a, v, u, loss, w.grad]
    check(program)


def test_augmented_assignment_through_an_index_like_torch(engine):
    # ``a[i] *= x`` is getitem (a view), in-place on it, then setitem back
    def program(m, w):
        a = w.reshape(3, 1) * m.ones(3, 2, dtype=m.float64)
        for i in range(3):
            a[i] *= w[i]
            a[i, 1:] += w[2 - i]
        b = m.zeros(2, 3, dtype=m.float64)
        b[0] += w
        b[1, ::2] -= w[:2] * 4
        loss = (a ** 2).sum() + (b * w).sum()
        loss.backward()
        return [a, b, loss, w.grad]
    check(program)

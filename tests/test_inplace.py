"""Version counters and in-place operations, on both engines, cross-checked with
PyTorch: every scenario below is written once against a tiny adapter and run on
autograd_c and on torch float64; both must raise, or both must give the same
gradients."""
import numpy as np
import pytest

import autograd_c as ag
from conftest import HAVE_TORCH, needs_torch

VERSION_MSG = "modified by an in-place operation"


# --------------------------------------------------------------------------
# adapters: the same scenario code runs on autograd_c and on torch
# --------------------------------------------------------------------------

class _Ours:
    name = "autograd_c"

    @staticmethod
    def t(data, rg=False):
        return ag.Tensor(np.array(data, dtype=np.float64), requires_grad=rg)

    no_grad = staticmethod(ag.no_grad)

    @staticmethod
    def grad(x):
        return None if x.grad is None else np.array(x.grad.data)


class _Torch:
    name = "torch"

    @staticmethod
    def t(data, rg=False):
        import torch
        return torch.tensor(np.array(data, dtype=np.float64), requires_grad=rg)

    @staticmethod
    def no_grad():
        import torch
        return torch.no_grad()

    @staticmethod
    def grad(x):
        return None if x.grad is None else x.grad.detach().numpy().copy()


def _run(scenario, lib):
    """Run ``scenario(lib) -> (loss, leaves)`` then backward: ('raise', msg) or ('ok', grads)."""
    loss, leaves = scenario(lib)
    try:
        loss.backward()
    except RuntimeError as e:
        return "raise", str(e)
    return "ok", [lib.grad(x) for x in leaves]


def _check_against_torch(scenario, expect_raise):
    ours = _run(scenario, _Ours)
    assert ours[0] == ("raise" if expect_raise else "ok"), ours
    if HAVE_TORCH:
        theirs = _run(scenario, _Torch)
        assert theirs[0] == ours[0], (ours, theirs)
        if ours[0] == "ok":
            for a, b in zip(ours[1], theirs[1]):
                np.testing.assert_allclose(a, b, rtol=1e-12, atol=0)
    return ours


A = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
B = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]


# -- scenarios that must raise -----------------------------------------------

def sc_mul_input(L):
    a, b = L.t(A, True), L.t(B, True)
    y = (a * b).sum()
    with L.no_grad():
        a += 1.0
    return y, [a, b]


def sc_mul_input_setitem(L):
    a, b = L.t(A, True), L.t(B, True)
    y = (a * b).sum()
    with L.no_grad():
        b[0, 1] = 7.0
    return y, [a, b]


def sc_matmul_input(L):
    a, b = L.t(A, True), L.t(np.array(B).T.copy(), True)
    y = (a @ b).sum()
    with L.no_grad():
        b *= 2.0
    return y, [a, b]


def sc_exp_output(L):
    a = L.t(A, True)
    e = a.exp()
    y = e.sum()
    with L.no_grad():
        e /= 2.0
    return y, [a]


def sc_tanh_output(L):
    a = L.t(B, True)
    t = a.tanh()
    y = (t * 3.0).sum()
    with L.no_grad():
        t -= 0.1
    return y, [a]


def sc_sigmoid_output(L):
    a = L.t(B, True)
    s = a.sigmoid()
    y = s.sum()
    with L.no_grad():
        s[1] = 0.0
    return y, [a]


def sc_optimizer_step_between_forward_and_backward(L):
    # the classic bug: an SGD-style update of the weight between forward and backward
    # (two layers, so the second weight is needed for the first layer's gradient:
    # PyTorch saves it then, and raises)
    w1 = L.t(np.array(A).T.copy() / 10, True)
    w2 = L.t(B, True)
    x = L.t([[1.0, -2.0], [0.5, 3.0]])
    loss = ((w2 @ (w1 @ x).tanh()) ** 2).sum()
    with L.no_grad():
        w2 -= 0.01 * w2
    return loss, [w1, w2]


def sc_deep_saved_input(L):
    # a tensor saved deep inside the graph, modified via a non-leaf alias
    a = L.t(A, True)
    h = a * 2.0
    y = (h * h).sum() + a.sum()
    with L.no_grad():
        h += 1.0
    return y, [a]


# -- scenarios that must not raise (nothing saved was modified) -------------

def sc_add_input(L):
    a, b = L.t(A, True), L.t(B, True)
    y = (a + b).sum()
    with L.no_grad():
        a += 10.0
        b *= 3.0
    return y, [a, b]


def sc_update_after_backward_then_new_forward(L):
    w = L.t(B, True)
    x = L.t(A)
    (w * x).sum().backward()
    with L.no_grad():
        w -= 0.1 * w.grad
    w.grad = None
    return (w * x).sum(), [w]


def sc_modify_unrelated_tensor(L):
    a = L.t(A, True)
    c = L.t(B)
    y = a.exp().sum()
    with L.no_grad():
        c += 1.0
    return y, [a]


RAISING = [sc_mul_input, sc_mul_input_setitem, sc_matmul_input, sc_exp_output, sc_tanh_output,
           sc_sigmoid_output, sc_optimizer_step_between_forward_and_backward,
           sc_deep_saved_input]
PASSING = [sc_add_input, sc_update_after_backward_then_new_forward, sc_modify_unrelated_tensor]


@pytest.mark.parametrize("scenario", RAISING, ids=lambda f: f.__name__[3:])
def test_modified_saved_tensor_raises_like_torch(engine, scenario):
    _, msg = _check_against_torch(scenario, expect_raise=True)
    assert VERSION_MSG in msg


@pytest.mark.parametrize("scenario", PASSING, ids=lambda f: f.__name__[3:])
def test_unsaved_or_unrelated_modification_is_fine_like_torch(engine, scenario):
    _check_against_torch(scenario, expect_raise=False)


# -- the message names the op and the tensor's shape ---------------------------

@pytest.mark.parametrize("opname,build", [
    ("mul", lambda a, b: a * b),
    ("matmul", lambda a, b: a @ b.T),
    ("div", lambda a, b: b / a),
])
def test_message_names_op_and_shape_of_saved_input(engine, opname, build):
    a = ag.Tensor(np.ones((2, 3)) + 1, requires_grad=True)
    b = ag.Tensor(np.full((2, 3), 0.5), requires_grad=True)
    y = build(a, b).sum()
    with ag.no_grad():
        a += 1
    with pytest.raises(RuntimeError, match=VERSION_MSG) as ei:
        y.backward()
    msg = str(ei.value)
    assert f"'{opname}'" in msg and "(2, 3)" in msg
    assert "version 1" in msg and "version 0" in msg
    assert a.grad is None and b.grad is None


@pytest.mark.parametrize("fn", ["exp", "tanh", "sigmoid"])
def test_message_names_op_and_shape_of_saved_output(engine, fn):
    a = ag.Tensor(np.zeros((4, 5)), requires_grad=True)
    out = getattr(a, fn)()
    y = out.sum()
    with ag.no_grad():
        out *= 2
    with pytest.raises(RuntimeError, match=VERSION_MSG) as ei:
        y.backward()
    assert f"'{fn}'" in str(ei.value) and "(4, 5)" in str(ei.value)


# -- version counters ------------------------------------------------------------

def test_inplace_ops_bump_version(engine):
    w = ag.Tensor(np.ones((2, 2)), requires_grad=True)
    assert w._version == 0 and w.version == 0
    with ag.no_grad():
        w += 1
        assert w._version == 1
        w -= 0.5
        assert w._version == 2
        w *= 4
        assert w._version == 3
        w /= 2
        assert w._version == 4
        w[0, 0] = 10.0
        assert w._version == 5
        w[1] = ag.Tensor([7.0, 8.0])
        assert w._version == 6
    np.testing.assert_array_equal(w.data, [[10.0, 3.0], [7.0, 8.0]])
    assert w.is_leaf and w.requires_grad


def test_inplace_keeps_identity_and_storage(engine):
    w = ag.Tensor(np.ones(3), requires_grad=True)
    data = w.data
    ident = id(w)
    with ag.no_grad():
        w *= 3
    assert id(w) == ident and w.data is data
    np.testing.assert_array_equal(data, [3.0, 3.0, 3.0])


def test_inplace_on_plain_tensor_outside_no_grad_bumps_version(engine):
    c = ag.Tensor([1.0, 2.0])
    c += 1
    c[0] = 0.0
    assert c._version == 2
    np.testing.assert_array_equal(c.data, [0.0, 3.0])


def test_failed_inplace_does_not_bump_version(engine):
    c = ag.Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError):
        c += np.ones((4, 5))
    with pytest.raises(IndexError):
        c[7] = 1.0
    assert c._version == 0
    np.testing.assert_array_equal(c.data, np.ones((2, 3)))


@pytest.mark.parametrize("how", ["iadd", "isub", "imul", "idiv", "setitem"])
def test_inplace_on_leaf_requiring_grad_raises(engine, how):
    w = ag.Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf") as ei:
        if how == "iadd":
            w += 1
        elif how == "isub":
            w -= 1
        elif how == "imul":
            w *= 2
        elif how == "idiv":
            w /= 2
        else:
            w[0, 0] = 5.0
    assert "(2, 3)" in str(ei.value)
    assert w._version == 0
    np.testing.assert_array_equal(w.data, np.ones((2, 3)))


@needs_torch
def test_torch_also_rejects_inplace_on_leaf():
    import torch
    w = torch.ones(2, 3, dtype=torch.float64, requires_grad=True)
    with pytest.raises(RuntimeError):
        w += 1


def test_error_leaves_grads_untouched_and_retry_after_fresh_forward(engine):
    w = ag.Tensor(np.array(B), requires_grad=True)
    # x requires grad, so matmul keeps w (for x's gradient); with a constant
    # x it would keep only x, and changing w would be harmless (as in PyTorch)
    x = ag.Tensor(np.array(A).T.copy(), requires_grad=True)
    w.grad = ag.Tensor(np.full((2, 3), 0.25))
    loss = (w @ x).sum()
    with ag.no_grad():
        w -= 0.5
    with pytest.raises(RuntimeError, match=VERSION_MSG):
        loss.backward()
    np.testing.assert_array_equal(w.grad.data, np.full((2, 3), 0.25))
    # a fresh forward on the updated weight works
    (w @ x).sum().backward()
    np.testing.assert_allclose(w.grad.data, 0.25 + np.tile(np.array(A).T.sum(axis=1), (2, 1)))


def test_retain_graph_then_modify_raises_on_second_backward(engine):
    a = ag.Tensor(np.array(A), requires_grad=True)
    b = ag.Tensor(np.array(B), requires_grad=True)
    y = (a * b).sum()
    y.backward(retain_graph=True)
    np.testing.assert_array_equal(a.grad.data, np.array(B))
    with ag.no_grad():
        b += 1
    with pytest.raises(RuntimeError, match=VERSION_MSG):
        y.backward()
    np.testing.assert_array_equal(a.grad.data, np.array(B))


def test_inplace_on_nonleaf_with_grad_is_true_inplace(engine):
    a = ag.Tensor(np.array(A), requires_grad=True)
    h = a * 2.0
    h0 = h
    h += 1.0   # recorded, in place as in PyTorch: the alias sees it, the version moves
    assert h is h0 and h0._version == 1
    np.testing.assert_allclose(h0.data, 2 * np.array(A) + 1)
    (h * h).sum().backward()
    np.testing.assert_allclose(a.grad.data, 2 * (2 * np.array(A) + 1) * 2)


# -- known gaps (PyTorch raises; autograd_c silently uses the modified data) --------

def sc_nonrg_input_of_mul(L):
    w = L.t([1.0, 1.0, 1.0], True)
    x = L.t([0.0, 1.0, 2.0])            # does not require grad, but mul saves it for w
    y = (w * x).sum()
    with L.no_grad():
        x += 1.0
    return y, [w]


def sc_weight_update_through_transpose_view(L):
    # nn.Linear style x @ w.T: w.T is a view; updating w must invalidate it
    w = L.t(B, True)
    x = L.t(A, True)
    y = (x @ w.T).sum()
    with L.no_grad():
        w -= 0.5
    return y, [w, x]


def sc_update_through_getitem_view(L):
    w = L.t(A, True)
    r = w[0]
    y = (r * r).sum()
    with L.no_grad():
        w *= 3.0
    return y, [w]


def test_modified_saved_input_without_requires_grad_raises(engine):
    _check_against_torch(sc_nonrg_input_of_mul, expect_raise=True)


@pytest.mark.parametrize("scenario", [sc_weight_update_through_transpose_view,
                                      sc_update_through_getitem_view],
                         ids=["transpose", "getitem"])
def test_modified_base_of_saved_view_raises(engine, scenario):
    _check_against_torch(scenario, expect_raise=True)

"""Functional API: grad / value_and_grad / vjp, on both engines, against finite
differences and PyTorch float64."""
import gc
import weakref

import numpy as np
import pytest

import autograd_c as ag
from autograd_c.testing import numerical_grad
from conftest import needs_torch

# -- functions under test (they take Tensors, written with the public API) --------------

def mlp_loss(W1, b1, W2, x, y):
    h = ag.tanh(x @ W1 + b1)
    return ((h @ W2 - y) ** 2).mean()


def bcast_fn(a, b):
    # a (3, 1), b (1, 4) -> (3, 4); exercises un-broadcasting in the gradients
    return (a * b + ag.exp(a) / (1.0 + b * b)).sum()


def mlp_data(rng, dtype=np.float64):
    arrs = (rng.standard_normal((4, 5)), rng.standard_normal(5), rng.standard_normal((5, 2)),
            rng.standard_normal((6, 4)), rng.standard_normal((6, 2)))
    return tuple(a.astype(dtype) for a in arrs)


def fd_grads(f, args, argnums, eps=1e-6):
    """Central differences of the scalar f(*args) (arrays in) w.r.t. args[argnums]."""
    args = [np.array(a, dtype=np.float64, copy=True) for a in args]

    def scalar():
        with ag.no_grad():
            return float(f(*[ag.Tensor(a) for a in args]).data)

    return tuple(numerical_grad(scalar, args[i], eps) for i in argnums)


# -- grad -------------------------------------------------------------------------------

def test_grad_mlp_multiple_argnums_vs_fd(engine, rng):
    data = mlp_data(rng)
    g = ag.grad(mlp_loss, argnums=(0, 1, 2))(*data)
    assert isinstance(g, tuple) and len(g) == 3
    num = fd_grads(mlp_loss, data, (0, 1, 2))
    for gi, ni, a in zip(g, num, data):
        assert isinstance(gi, np.ndarray) and gi.shape == a.shape and gi.dtype == np.float64
        np.testing.assert_allclose(gi, ni, rtol=1e-5, atol=1e-8)


def test_grad_single_argnum_returns_array_not_tuple(engine, rng):
    data = mlp_data(rng)
    g0 = ag.grad(mlp_loss)(*data)
    assert isinstance(g0, np.ndarray) and g0.shape == (4, 5)
    g_tuple = ag.grad(mlp_loss, argnums=(0,))(*data)
    assert isinstance(g_tuple, tuple) and len(g_tuple) == 1
    np.testing.assert_array_equal(g0, g_tuple[0])
    # negative argnums count from the end
    gy = ag.grad(mlp_loss, argnums=-1)(*data)
    np.testing.assert_allclose(gy, fd_grads(mlp_loss, data, (4,))[0], rtol=1e-5, atol=1e-8)


def test_grad_broadcasting_vs_fd(engine, rng):
    a, b = rng.standard_normal((3, 1)), rng.standard_normal((1, 4))
    ga, gb = ag.grad(bcast_fn, (0, 1))(a, b)
    assert ga.shape == (3, 1) and gb.shape == (1, 4)
    na, nb = fd_grads(bcast_fn, (a, b), (0, 1))
    np.testing.assert_allclose(ga, na, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(gb, nb, rtol=1e-5, atol=1e-8)


def test_value_and_grad(engine, rng):
    data = mlp_data(rng)
    value, (g0, g2) = ag.value_and_grad(mlp_loss, argnums=(0, 2))(*data)
    with ag.no_grad():
        expected = mlp_loss(*[ag.Tensor(a) for a in data]).item()
    assert isinstance(value, float) and value == pytest.approx(expected, rel=1e-12)
    G0, G2 = ag.grad(mlp_loss, argnums=(0, 2))(*data)
    np.testing.assert_allclose(g0, G0, rtol=1e-12)
    np.testing.assert_allclose(g2, G2, rtol=1e-12)


def test_python_scalar_and_list_arguments(engine):
    # d/dx x**3 at 2.0 is 12; lists of floats are accepted like arrays
    g = ag.grad(lambda x: x ** 3)(2.0)
    assert np.shape(g) == () and float(g) == pytest.approx(12.0)
    g = ag.grad(lambda x: (x * x).sum())([1.0, -2.0])
    np.testing.assert_allclose(g, [2.0, -4.0])


def test_kwargs_and_non_differentiated_args_pass_through(engine, rng):
    seen = {}

    def f(x, scale, *, shift):
        seen["types"] = (type(x), type(scale), type(shift))
        return ((x * scale + shift) ** 2).sum()

    x = rng.standard_normal(3)
    g = ag.grad(f)(x, 2.0, shift=1.0)
    np.testing.assert_allclose(g, 2 * (2 * x + 1) * 2)
    assert issubclass(seen["types"][0], ag.Tensor)
    assert seen["types"][1] is float and seen["types"][2] is float


def test_unreached_argument_gets_zeros(engine, rng):
    x = rng.standard_normal(3)
    unused = rng.standard_normal((2, 2)).astype(np.float32)
    gx, gu = ag.grad(lambda x, u: (x * x).sum(), (0, 1))(x, unused)
    np.testing.assert_allclose(gx, 2 * x)
    assert gu.shape == (2, 2) and gu.dtype == np.float32 and not gu.any()
    # output does not depend on any input at all (a constant)
    v, g = ag.value_and_grad(lambda x: ag.Tensor(3.0))(x)
    assert v == 3.0 and g.shape == (3,) and not g.any()


def test_float32_stays_float32(engine, rng):
    data = mlp_data(rng, np.float32)
    value, grads = ag.value_and_grad(mlp_loss, argnums=(0, 1, 2))(*data)
    assert value.dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads)
    g64 = ag.grad(mlp_loss, argnums=(0, 1, 2))(*[a.astype(np.float64) for a in data])
    for g, h in zip(grads, g64):
        np.testing.assert_allclose(g, h, rtol=1e-3, atol=1e-5)


def test_integer_argument_raises(engine):
    f = ag.grad(lambda x: (x * x).sum())
    with pytest.raises(TypeError, match=r"argument 0 has dtype int"):
        f(np.arange(3))
    with pytest.raises(TypeError, match="floating-point"):
        f(3)
    with pytest.raises(TypeError, match="dtype bool"):
        f(True)


def test_non_scalar_output_raises_naming_shape(engine):
    with pytest.raises(TypeError, match=r"shape \(3,\)"):
        ag.grad(lambda x: x * 2)(np.ones(3))
    with pytest.raises(TypeError, match=r"shape \(1,\)"):
        ag.value_and_grad(lambda x: x.sum(axis=0, keepdims=True))(np.ones(3))
    with pytest.raises(TypeError, match="single Tensor"):
        ag.grad(lambda x: (x.sum(), x.sum()))(np.ones(3))


def test_bad_argnums(engine):
    f = lambda x, y: (x * y).sum()  # noqa: E731
    with pytest.raises(ValueError, match="out of range"):
        ag.grad(f, argnums=2)(np.ones(2), np.ones(2))
    with pytest.raises(TypeError, match="argnums"):
        ag.grad(f, argnums=1.0)(np.ones(2), np.ones(2))
    with pytest.raises(ValueError, match="repeated"):
        ag.grad(f, argnums=(0, 0))(np.ones(2), np.ones(2))


def test_user_tensors_grad_untouched_and_graph_kept(engine, rng):
    """Parameters captured in the closure keep their .grad; an outside graph survives."""
    W = ag.Tensor(rng.standard_normal((3, 3)), requires_grad=True)
    b = ag.Tensor(rng.standard_normal(3), requires_grad=True)
    b.grad = np.full(3, 7.0)
    old_b_grad = b.grad
    h = W * 2.0                       # an existing graph owned by the user
    x = rng.standard_normal(3)

    def f(x):
        return ((h @ x + b).tanh()).sum()

    g = ag.grad(f)(x)
    assert W.grad is None
    assert b.grad is old_b_grad
    np.testing.assert_array_equal(b.grad.data, np.full(3, 7.0))
    np.testing.assert_allclose(g, fd_grads(lambda x: ((ag.Tensor(h.data) @ x + ag.Tensor(b.data))
                                                      .tanh()).sum(), (x,), (0,))[0],
                               rtol=1e-5, atol=1e-8)
    # a normal backward through the captured parameters accumulates onto the old grad
    f(ag.Tensor(x)).backward(retain_graph=True)
    np.testing.assert_allclose(b.grad.data, 7.0 + (1 - np.tanh(h.data @ x + b.data) ** 2))
    b.grad = None
    W.grad = None
    # the user's graph through h was not freed by our backward
    h.sum().backward()
    np.testing.assert_allclose(W.grad.data, np.full((3, 3), 2.0))


def test_works_under_no_grad_and_restores_mode(engine, rng):
    x = rng.standard_normal(4)
    with ag.no_grad():
        g = ag.grad(lambda x: (x ** 2).sum())(x)
        assert not ag.is_grad_enabled()
    np.testing.assert_allclose(g, 2 * x)
    assert ag.is_grad_enabled()


def test_tensor_argument_is_accepted_and_left_alone(engine, rng):
    t = ag.Tensor(rng.standard_normal(3), requires_grad=True)
    g = ag.grad(lambda x: (x ** 2).sum())(t)
    assert isinstance(g, np.ndarray)
    np.testing.assert_allclose(g, 2 * t.data)
    assert t.grad is None


def test_nested_use_inside_user_backward_code(engine, rng):
    """grad() called between a user's forward and backward does not disturb it."""
    w = ag.Tensor(rng.standard_normal(3), requires_grad=True)
    loss = (w * w).sum()
    _ = ag.grad(lambda x: (x * w).sum())(rng.standard_normal(3))
    loss.backward()
    np.testing.assert_allclose(w.grad.data, 2 * w.data)


def test_nested_grad_calls(engine, rng):
    """grad() inside f: the inner pass crosses the outer arguments without disturbing them."""
    x = rng.standard_normal(3)

    def outer(x):
        inner = ag.grad(lambda y: (y * x * x).sum())(np.ones(3))   # = x**2 as a constant
        return (x * inner).sum()

    np.testing.assert_allclose(ag.grad(outer)(x), x ** 2)


def test_tensor_escaping_f_can_be_backwarded_later(engine, rng):
    """A user backward through a tensor built inside f passes nothing to f's arguments."""
    W = ag.Tensor(rng.standard_normal(3), requires_grad=True)
    kept = []

    def f(x):
        h = x * W
        kept.append(h)
        return h.sum()

    g = ag.grad(f)(np.ones(3))
    np.testing.assert_allclose(g, W.data)
    assert W.grad is None
    kept[0].sum().backward()
    np.testing.assert_allclose(W.grad.data, np.ones(3))


def test_grad_results_are_independent_of_engine(rng):
    data = mlp_data(rng)
    with ag.use_engine("python"):
        gp = ag.grad(mlp_loss, (0, 1, 2))(*data)
    if "c" in ag.engines.available:
        with ag.use_engine("c"):
            gc_ = ag.grad(mlp_loss, (0, 1, 2))(*data)
        for a, b in zip(gp, gc_):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


# -- vjp --------------------------------------------------------------------------------

def layer(x, W, b):
    return ag.tanh(x @ W + b) * ag.sigmoid(x @ W)


def test_vjp_vs_fd_and_called_twice(engine, rng):
    x, W, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 2)), rng.standard_normal(2)
    out, vjp_fn = ag.vjp(layer, x, W, b)
    with ag.no_grad():
        expected = layer(ag.Tensor(x), ag.Tensor(W), ag.Tensor(b)).data
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, expected, rtol=1e-14)
    ct = rng.standard_normal(out.shape)
    g1 = vjp_fn(ct)
    assert isinstance(g1, tuple) and len(g1) == 3
    assert [g.shape for g in g1] == [(4, 3), (3, 2), (2,)]
    num = fd_grads(lambda *a: (layer(*a) * ag.Tensor(ct)).sum(), (x, W, b), (0, 1, 2))
    for g, n in zip(g1, num):
        np.testing.assert_allclose(g, n, rtol=1e-5, atol=1e-8)
    # second call: no accumulation, linear in the cotangent
    g2 = vjp_fn(ct)
    g3 = vjp_fn(-2.0 * ct)
    for a, b_, c in zip(g1, g2, g3):
        np.testing.assert_allclose(a, b_, rtol=1e-14)
        np.testing.assert_allclose(c, -2.0 * a, rtol=1e-12)


def test_vjp_bad_cotangent_and_unreached_primal(engine, rng):
    out, vjp_fn = ag.vjp(lambda x, y: x * 2.0, np.ones(3), np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"cotangent has shape \(2,\).*shape \(3,\)"):
        vjp_fn(np.ones(2))
    gx, gy = vjp_fn(np.arange(3.0))
    np.testing.assert_allclose(gx, [0.0, 2.0, 4.0])
    assert gy.shape == (2, 2) and not gy.any()


def test_vjp_identity_and_scalar_output(engine):
    out, vjp_fn = ag.vjp(lambda x: x, np.array([1.0, 2.0]))
    np.testing.assert_array_equal(out, [1.0, 2.0])
    np.testing.assert_array_equal(vjp_fn(np.array([3.0, 4.0]))[0], [3.0, 4.0])
    np.testing.assert_array_equal(vjp_fn(np.array([1.0, 1.0]))[0], [1.0, 1.0])
    out, vjp_fn = ag.vjp(lambda x: (x * x).sum(), np.array([1.0, 2.0]))
    assert out.shape == ()
    np.testing.assert_allclose(vjp_fn(0.5)[0], [1.0, 2.0])


def test_vjp_float32(engine, rng):
    x = rng.standard_normal((2, 3)).astype(np.float32)
    out, vjp_fn = ag.vjp(lambda x: ag.exp(x) * x, x)
    assert out.dtype == np.float32
    (g,) = vjp_fn(np.ones((2, 3)))         # float64 cotangent is cast to the output dtype
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, np.exp(x) * (1 + x), rtol=1e-5)


def test_vjp_does_not_leak(engine, rng):
    """Dropping vjp_fn frees the whole graph without the cycle collector."""
    refs = []

    def f(x, W):
        refs.append(weakref.ref(x))
        h = (x @ W).tanh()
        # the graph is its nodes: h itself may go (mul by a constant keeps
        # nothing of h, as in PyTorch), its node must live as long as vjp_fn
        refs.append(weakref.ref(h.grad_fn))
        return h * 2.0

    gc.collect()
    gc.disable()
    try:
        out, vjp_fn = ag.vjp(f, rng.standard_normal((2, 3)), rng.standard_normal((3, 4)))
        vjp_fn(np.ones(out.shape))
        vjp_fn(np.ones(out.shape))
        assert all(r() is not None for r in refs)   # alive while vjp_fn is
        wf = weakref.ref(vjp_fn)
        del vjp_fn
        assert wf() is None
        assert all(r() is None for r in refs), "graph kept alive by a reference cycle"
    finally:
        gc.enable()


def test_grad_does_not_leak(engine, rng):
    refs = []

    def f(x):
        refs.append(weakref.ref(x))
        y = ag.exp(x) * x
        refs.append(weakref.ref(y))
        return y.sum()

    gc.collect()
    gc.disable()
    try:
        ag.grad(f)(rng.standard_normal(5))
        assert len(refs) == 2 and all(r() is None for r in refs)
    finally:
        gc.enable()


# -- PyTorch float64 cross-checks --------------------------------------------------------

@needs_torch
def test_grad_mlp_vs_torch_func(engine, rng):
    import torch
    data = mlp_data(rng)

    def torch_loss(W1, b1, W2, x, y):
        h = torch.tanh(x @ W1 + b1)
        return ((h @ W2 - y) ** 2).mean()

    tdata = [torch.tensor(a, dtype=torch.float64) for a in data]
    expected_v = torch_loss(*tdata).item()
    expected = torch.func.grad(torch_loss, argnums=(0, 1, 2))(*tdata)
    value, got = ag.value_and_grad(mlp_loss, argnums=(0, 1, 2))(*data)
    assert value == pytest.approx(expected_v, rel=1e-12)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e.numpy(), rtol=1e-10, atol=1e-12)


@needs_torch
def test_grad_broadcasting_vs_torch(engine, rng):
    import torch
    a, b = rng.standard_normal((3, 1)), rng.standard_normal((1, 4))
    ta = torch.tensor(a, requires_grad=True)
    tb = torch.tensor(b, requires_grad=True)
    tout = (ta * tb + torch.exp(ta) / (1.0 + tb * tb)).sum()
    ea, eb = torch.autograd.grad(tout, (ta, tb))
    ga, gb = ag.grad(bcast_fn, (0, 1))(a, b)
    np.testing.assert_allclose(ga, ea.numpy(), rtol=1e-12)
    np.testing.assert_allclose(gb, eb.numpy(), rtol=1e-12)


@needs_torch
def test_vjp_vs_torch(engine, rng):
    import torch
    x, W, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 2)), rng.standard_normal(2)
    ct = rng.standard_normal((4, 2))
    tx, tW, tb = (torch.tensor(a, requires_grad=True) for a in (x, W, b))
    tout = torch.tanh(tx @ tW + tb) * torch.sigmoid(tx @ tW)
    expected = torch.autograd.grad(tout, (tx, tW, tb), grad_outputs=torch.tensor(ct))
    out, vjp_fn = ag.vjp(layer, x, W, b)
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-12)
    for g, e in zip(vjp_fn(ct), expected):
        np.testing.assert_allclose(g, e.numpy(), rtol=1e-10, atol=1e-12)

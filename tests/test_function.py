"""Custom autograd Functions (PyTorch-style ``autograd_c.Function``) on both engines."""
import gc
import weakref

import numpy as np
import pytest

import autograd_c as ag
from conftest import needs_torch


class Cube(ag.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 3.0 * x * x * g


class Softplus(ag.Function):
    """Numerically stable softplus(beta * x) / beta; beta is a plain float."""

    @staticmethod
    def forward(ctx, x, beta):
        z = x * beta
        out = ag.maximum(z, 0.0) + ag.log(1.0 + ag.exp(-ag.abs(z)))
        ctx.save_for_backward(x)
        ctx.beta = beta
        return out / beta

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ag.sigmoid(x * ctx.beta), None


class Exp(ag.Function):
    """Saves its output, like the PyTorch docs example."""

    @staticmethod
    def forward(ctx, x):
        r = ag.exp(x)
        ctx.save_for_backward(r)
        return r

    @staticmethod
    def backward(ctx, g):
        (r,) = ctx.saved_tensors
        return g * r


class Bilinear(ag.Function):
    """x @ W @ y for x (n,), W (n, m), y (m,): a scalar; three tensor inputs."""

    @staticmethod
    def forward(ctx, x, W, y):
        ctx.save_for_backward(x, W, y)
        return x @ W @ y

    @staticmethod
    def backward(ctx, g):
        x, W, y = ctx.saved_tensors
        gx = (W @ y) * g if ctx.needs_input_grad[0] else None
        gW = (x.reshape(-1, 1) * y.reshape(1, -1)) * g if ctx.needs_input_grad[1] else None
        gy = (x @ W) * g if ctx.needs_input_grad[2] else None
        return gx, gW, gy


def T(rng, *shape, rg=True, dtype=np.float64):
    return ag.Tensor(rng.standard_normal(shape).astype(dtype), requires_grad=rg)


# -- correctness ------------------------------------------------------------------------

def test_cube_forward_backward_and_gradcheck(engine, rng):
    x = T(rng, 3, 4)
    y = Cube.apply(x)
    assert isinstance(y, ag.Tensor) and y.requires_grad and not y.is_leaf
    assert "CubeBackward" in repr(y)
    np.testing.assert_allclose(y.data, x.data ** 3)
    (y * 2.0).sum().backward()
    np.testing.assert_allclose(x.grad.data, 6.0 * x.data ** 2)
    assert ag.gradcheck(Cube.apply, [T(rng, 3, 4)])


def test_custom_function_inside_a_larger_graph(engine, rng):
    x, w = T(rng, 5), T(rng, 5)
    assert ag.gradcheck(lambda x, w: ag.tanh(Cube.apply(x * w) + Softplus.apply(w, 2.0)).sum(),
                        [x, w])


def test_softplus_non_tensor_arg_and_stability(engine, rng):
    x = ag.Tensor(np.array([-800.0, -1.0, 0.0, 2.0, 800.0]), requires_grad=True)
    y = Softplus.apply(x, 1.0)
    assert np.all(np.isfinite(y.data))
    np.testing.assert_allclose(y.data[1:4], np.log1p(np.exp(x.data[1:4])), rtol=1e-12)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, 0.5 * (1.0 + np.tanh(x.data / 2)), rtol=1e-12)
    assert ag.gradcheck(lambda t: Softplus.apply(t, 0.5), [T(rng, 2, 3)])


def test_saved_output(engine, rng):
    x = T(rng, 4)
    y = Exp.apply(x)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, np.exp(x.data))
    assert ag.gradcheck(Exp.apply, [T(rng, 2, 2)])


def test_three_inputs_and_partial_requires_grad(engine, rng):
    x, W, y = T(rng, 3), T(rng, 3, 2), T(rng, 2, rg=False)
    assert ag.gradcheck(Bilinear.apply, [x, W, y])
    out = Bilinear.apply(x, W, y)
    out.backward()
    np.testing.assert_allclose(W.grad.data, np.outer(x.data, y.data))
    assert y.grad is None


def test_float32_stays_float32(engine, rng):
    x = T(rng, 3, dtype=np.float32)
    y = Cube.apply(x)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32
    g = ag.grad(lambda t: Cube.apply(t).sum())(x.data)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, 3 * x.data.astype(np.float64) ** 2, rtol=1e-5)


def test_backward_may_return_ndarray_and_accumulates_with_retain_graph(engine, rng):
    class Square(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2.0 * x.detach().numpy() * g.numpy()     # plain ndarray is fine

    x = T(rng, 3)
    y = Square.apply(x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.data, 4.0 * x.data)
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_functional_api_with_custom_function(engine, rng):
    x = rng.standard_normal(4)
    np.testing.assert_allclose(ag.grad(lambda t: Cube.apply(t).sum())(x), 3 * x ** 2)
    out, vjp_fn = ag.vjp(lambda t: Exp.apply(t), x)
    np.testing.assert_allclose(vjp_fn(np.ones(4))[0], np.exp(x))
    np.testing.assert_allclose(vjp_fn(np.ones(4))[0], np.exp(x))


# -- ctx semantics ----------------------------------------------------------------------

def test_needs_input_grad_and_grad_mode_inside(engine, rng):
    seen = {}

    class Probe(ag.Function):
        @staticmethod
        def forward(ctx, a, b, k, c):
            seen["needs"] = ctx.needs_input_grad
            seen["fwd_grad_enabled"] = ag.is_grad_enabled()
            seen["arg_types"] = (type(a), type(k))
            return a * b * k + c

        @staticmethod
        def backward(ctx, g):
            seen["bwd_grad_enabled"] = ag.is_grad_enabled()
            seen["g_type"] = type(g)
            return g, None, None, g

    a, b, c = T(rng, 2), T(rng, 2, rg=False), T(rng, 2)
    out = Probe.apply(a, b, 3.0, c)
    assert seen["needs"] == (True, False, False, True)
    assert seen["fwd_grad_enabled"] is False and ag.is_grad_enabled()
    assert issubclass(seen["arg_types"][0], ag.Tensor) and seen["arg_types"][1] is float
    out.sum().backward()
    assert seen["bwd_grad_enabled"] is False
    assert issubclass(seen["g_type"], ag.Tensor)
    # the "g" returned for a (wrongly, d/da is b*3) is used as is: a custom rule is trusted
    np.testing.assert_allclose(a.grad.data, np.ones(2))
    np.testing.assert_allclose(c.grad.data, np.ones(2))


def test_no_input_requires_grad_or_under_no_grad(engine, rng):
    x = T(rng, 3, rg=False)
    y = Cube.apply(x)
    assert not y.requires_grad and y.is_leaf
    with ag.no_grad():
        y = Cube.apply(T(rng, 3))
    assert not y.requires_grad


def test_mark_non_differentiable(engine, rng):
    class ArgmaxMask(ag.Function):
        @staticmethod
        def forward(ctx, x):
            out = ag.Tensor((x.data == x.data.max()).astype(x.dtype))
            ctx.mark_non_differentiable(out)
            return out

        @staticmethod
        def backward(ctx, g):
            return None

    y = ArgmaxMask.apply(T(rng, 4))
    assert not y.requires_grad and y.data.sum() == 1.0


def test_saved_input_modified_in_place_raises(engine, rng):
    x = T(rng, 3)
    y = Cube.apply(x).sum()
    with ag.no_grad():
        x += 1.0
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()
    assert x.grad is None


def test_saved_non_grad_input_modified_in_place_raises(engine, rng):
    """A saved tensor that does not require grad is version-checked too."""
    x, W, y = T(rng, 3), T(rng, 3, 2), T(rng, 2, rg=False)
    out = Bilinear.apply(x, W, y)
    y *= 2.0                     # allowed in place: y does not require grad
    with pytest.raises(RuntimeError, match=r"modified by an in-place.*Bilinear"):
        out.backward()
    assert x.grad is None and W.grad is None


def test_saved_output_modified_in_place_raises(engine, rng):
    x = T(rng, 3)
    y = Exp.apply(x)
    with ag.no_grad():
        y *= 2.0
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.sum().backward()


def test_save_for_backward_rejects_non_tensors(engine, rng):
    class Bad(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x.data)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(TypeError, match=r"Bad: save_for_backward\(\) takes Tensors"):
        Bad.apply(T(rng, 2))


# -- errors from user backward ----------------------------------------------------------

def test_wrong_gradient_count_raises(engine, rng):
    class TooMany(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2.0

        @staticmethod
        def backward(ctx, g):
            return g * 2.0, g

    class TooFew(ag.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return (g,)

    with pytest.raises(RuntimeError, match=r"TooMany.backward .*expected 1.* got 2"):
        TooMany.apply(T(rng, 2)).sum().backward()
    with pytest.raises(RuntimeError, match=r"TooFew.backward .*expected 2.* got 1"):
        TooFew.apply(T(rng, 2), T(rng, 2)).sum().backward()


def test_wrong_gradient_shape_raises(engine, rng):
    class SumRows(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x.sum(axis=1)

        @staticmethod
        def backward(ctx, g):
            return g          # forgot to broadcast back to (n, m)

    x = T(rng, 3, 4)
    with pytest.raises(RuntimeError, match=r"SumRows.backward .*argument 0.*\(3,\).*\(3, 4\)"):
        SumRows.apply(x).sum().backward()
    assert x.grad is None


def test_gradient_for_non_tensor_argument_raises(engine, rng):
    class Scale(ag.Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g * 2.0, g

    with pytest.raises(RuntimeError, match=r"Scale.backward .*argument 1.*not a Tensor"):
        Scale.apply(T(rng, 2), 2.0).sum().backward()


def test_forward_must_return_single_tensor(engine, rng):
    class Two(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x, x

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(TypeError, match="single Tensor output"):
        Two.apply(T(rng, 2))


def test_no_reference_cycles(engine, rng):
    gc.collect()
    gc.disable()
    try:
        x = T(rng, 3)
        y = Exp.apply(Cube.apply(x))
        ry = weakref.ref(y)
        loss = y.sum()
        loss.backward(retain_graph=True)
        del y, loss
        assert ry() is None
        x2 = T(rng, 3)
        y2 = Cube.apply(x2)
        node = weakref.ref(y2.grad_fn)
        del y2
        assert node() is None
    finally:
        gc.enable()


# -- against PyTorch's custom Functions ---------------------------------------------------

@needs_torch
def test_against_torch_custom_functions(engine, rng):
    import torch

    class TCube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x * x * g

    class TSoftplus(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, beta):
            z = x * beta
            ctx.save_for_backward(x)
            ctx.beta = beta
            return (torch.clamp(z, min=0) + torch.log1p(torch.exp(-z.abs()))) / beta

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * torch.sigmoid(x * ctx.beta), None

    a, b = rng.standard_normal((3, 4)), rng.standard_normal(4)
    ta = torch.tensor(a, requires_grad=True)
    tb = torch.tensor(b, requires_grad=True)
    tout = (TCube.apply(ta) * TSoftplus.apply(tb, 1.5)).tanh().sum()
    tout.backward()

    xa, xb = ag.Tensor(a, requires_grad=True), ag.Tensor(b, requires_grad=True)
    out = ag.tanh(Cube.apply(xa) * Softplus.apply(xb, 1.5)).sum()
    out.backward()
    assert out.item() == pytest.approx(tout.item(), rel=1e-12)
    np.testing.assert_allclose(xa.grad.data, ta.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(xb.grad.data, tb.grad.numpy(), rtol=1e-10, atol=1e-12)

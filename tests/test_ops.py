"""Every op's gradient: against central finite differences (float64), against
PyTorch float64 when torch is installed, on both engines."""
import numpy as np
import pytest

import autograd_c as ag
from autograd_c.testing import numerical_grad
from conftest import HAVE_TORCH, needs_torch

if HAVE_TORCH:
    import torch


def pos(shape):      # strictly positive inputs (log, sqrt, pow base)
    return ("pos", shape)


def any_(shape):
    return ("any", shape)


def nz(shape):       # away from 0 (abs, relu, div): no kinks within eps
    return ("nz", shape)


def make(spec, rng):
    kind, shape = spec
    x = rng.standard_normal(shape)
    if kind == "pos":
        x = np.abs(x) + 0.5
    elif kind == "nz":
        x = np.sign(x) * (np.abs(x) + 0.3)
    return x


# name -> (autograd_c fn, torch fn or None, input specs)
# Each lambda receives `m`, the module of functions (autograd_c or torch), and tensors.
CASES = {
    "add": (lambda a, b: a + b, None, [any_((3, 4)), any_((3, 4))]),
    "add_bcast_right": (lambda a, b: a + b, None, [any_((2, 3, 4)), any_((4,))]),
    "add_bcast_left": (lambda a, b: a + b, None, [any_((3, 1)), any_((2, 1, 4))]),
    "radd_scalar": (lambda a: 2.5 + a, None, [any_((3,))]),
    "sub": (lambda a, b: a - b, None, [any_((3, 4)), any_((1, 4))]),
    "rsub_array": (lambda a: np.ones((2, 3)) - a, lambda a: torch.ones(2, 3, dtype=torch.float64) - a,
                   [any_((3,))]),
    "mul": (lambda a, b: a * b, None, [any_((2, 3)), any_((2, 1))]),
    "mul_self": (lambda a: a * a * a, None, [any_((4,))]),
    "div": (lambda a, b: a / b, None, [any_((2, 3)), nz((3,))]),
    "rdiv_scalar": (lambda a: 1.0 / a, None, [nz((5,))]),
    "pow_scalar": (lambda a: a ** 3, None, [any_((2, 3))]),
    "pow_frac": (lambda a: a ** 0.5, None, [pos((4,))]),
    "pow_tensor": (lambda a, b: a ** b, None, [pos((2, 3)), any_((3,))]),
    "rpow": (lambda a: 2.0 ** a, None, [any_((3,))]),
    "neg": (lambda a: -a, None, [any_((2, 2))]),
    "matmul_2d": (lambda a, b: a @ b, None, [any_((3, 4)), any_((4, 2))]),
    "matmul_1d_1d": (lambda a, b: a @ b, None, [any_((4,)), any_((4,))]),
    "matmul_1d_2d": (lambda a, b: a @ b, None, [any_((4,)), any_((4, 3))]),
    "matmul_2d_1d": (lambda a, b: a @ b, None, [any_((3, 4)), any_((4,))]),
    "matmul_batched": (lambda a, b: a @ b, None, [any_((2, 3, 4)), any_((4, 5))]),
    "matmul_batched_bcast": (lambda a, b: a @ b, None, [any_((2, 1, 3, 4)), any_((3, 4, 2))]),
    "matmul_1d_batched": (lambda a, b: a @ b, None, [any_((4,)), any_((2, 4, 3))]),
    "mm": (lambda a, b: a.mm(b), None, [any_((2, 3)), any_((3, 2))]),
    "sum_all": (lambda a: a.sum(), None, [any_((2, 3))]),
    "sum_axis": (lambda a: a.sum(axis=1), lambda a: a.sum(dim=1), [any_((2, 3, 4))]),
    "sum_axes_keepdims": (lambda a: a.sum(axis=(0, 2), keepdims=True),
                          lambda a: a.sum(dim=(0, 2), keepdim=True), [any_((2, 3, 4))]),
    "sum_neg_axis": (lambda a: a.sum(axis=-1), lambda a: a.sum(dim=-1), [any_((2, 3))]),
    "mean_all": (lambda a: a.mean(), None, [any_((2, 3))]),
    "mean_axis_keepdims": (lambda a: a.mean(axis=0, keepdims=True),
                           lambda a: a.mean(dim=0, keepdim=True), [any_((4, 3))]),
    "max_all": (lambda a: a.max(), lambda a: a.amax(), [any_((3, 4))]),
    "max_axis": (lambda a: a.amax(axis=1), lambda a: a.amax(dim=1), [any_((3, 4))]),
    "min_axis_keepdims": (lambda a: a.amin(axis=0, keepdims=True),
                          lambda a: a.amin(dim=0, keepdim=True), [any_((3, 4))]),
    "reshape": (lambda a: a.reshape(3, 4) * np.arange(12.0).reshape(3, 4),
                lambda a: a.reshape(3, 4) * torch.arange(12.0, dtype=torch.float64).reshape(3, 4),
                [any_((2, 6))]),
    "transpose": (lambda a: a.transpose(1, 2, 0) * np.arange(24.0).reshape(3, 4, 2),
                  lambda a: a.permute(1, 2, 0) * torch.arange(24.0, dtype=torch.float64).reshape(3, 4, 2),
                  [any_((2, 3, 4))]),
    "T": (lambda a: a.T @ np.ones((2, 1)) if False else a.T * np.arange(6.0).reshape(3, 2),
          lambda a: a.T * torch.arange(6.0, dtype=torch.float64).reshape(3, 2), [any_((2, 3))]),
    "expand": (lambda a: a.expand(2, 3, 4) * np.arange(24.0).reshape(2, 3, 4),
               lambda a: a.expand(2, 3, 4) * torch.arange(24.0, dtype=torch.float64).reshape(2, 3, 4),
               [any_((3, 1))]),
    "broadcast_to": (lambda a: a.broadcast_to((4, 3)) * np.arange(12.0).reshape(4, 3),
                     lambda a: a.broadcast_to((4, 3)) * torch.arange(12.0, dtype=torch.float64).reshape(4, 3),
                     [any_((3,))]),
    "getitem_slice": (lambda a: a[1:, ::2], None, [any_((3, 4))]),
    "getitem_int_repeat": (lambda a: a[np.array([0, 2, 0, 0])],
                           lambda a: a[torch.tensor([0, 2, 0, 0])], [any_((3, 2))]),
    "getitem_mask": (lambda a: a[np.array([True, False, True])],
                     lambda a: a[torch.tensor([True, False, True])], [any_((3, 2))]),
    "getitem_fancy2": (lambda a: a[np.array([0, 1, 1]), np.array([2, 0, 2])],
                       lambda a: a[torch.tensor([0, 1, 1]), torch.tensor([2, 0, 2])], [any_((2, 3))]),
    "exp": (lambda a: a.exp(), None, [any_((2, 3))]),
    "log": (lambda a: a.log(), None, [pos((2, 3))]),
    "sqrt": (lambda a: a.sqrt(), None, [pos((2, 3))]),
    "abs": (lambda a: a.abs(), None, [nz((2, 3))]),
    "tanh": (lambda a: a.tanh(), None, [any_((2, 3))]),
    "sigmoid": (lambda a: a.sigmoid(), None, [any_((2, 3))]),
    "relu": (lambda a: a.relu(), None, [nz((2, 3))]),
    "maximum": (lambda a, b: ag.maximum(a, b), lambda a, b: torch.maximum(a, b),
                [any_((2, 3)), any_((3,))]),
    "minimum": (lambda a, b: ag.minimum(a, b), lambda a, b: torch.minimum(a, b),
                [any_((2, 1)), any_((2, 3))]),
    "clip": (lambda a: ag.clip(a, -0.5, 0.7), lambda a: torch.clamp(a, -0.5, 0.7), [nz((3, 4))]),
    "clip_min_only": (lambda a: a.clip(min=0.1), lambda a: torch.clamp(a, min=0.1), [nz((5,))]),
    "where": (lambda a, b: ag.where(np.array([[True, False, True]]), a, b),
              lambda a, b: torch.where(torch.tensor([[True, False, True]]), a, b),
              [any_((2, 3)), any_((3,))]),
    "softmax": (lambda a: ag.softmax(a, axis=-1) * np.arange(8.0).reshape(2, 4),
                lambda a: torch.softmax(a, dim=-1) * torch.arange(8.0, dtype=torch.float64).reshape(2, 4),
                [any_((2, 4))]),
    "softmax_axis0": (lambda a: ag.softmax(a, axis=0) * np.arange(8.0).reshape(2, 4),
                      lambda a: torch.softmax(a, dim=0) * torch.arange(8.0, dtype=torch.float64).reshape(2, 4),
                      [any_((2, 4))]),
    "log_softmax": (lambda a: ag.log_softmax(a, axis=1) * np.arange(8.0).reshape(2, 4),
                    lambda a: torch.log_softmax(a, dim=1) * torch.arange(8.0, dtype=torch.float64).reshape(2, 4),
                    [any_((2, 4))]),
    "concatenate": (lambda a, b: ag.concatenate([a, b, a], axis=1) * np.arange(14.0).reshape(2, 7),
                    lambda a, b: torch.cat([a, b, a], dim=1) * torch.arange(14.0, dtype=torch.float64).reshape(2, 7),
                    [any_((2, 2)), any_((2, 3))]),
    "stack": (lambda a, b: ag.stack([a, b], axis=1) * np.arange(12.0).reshape(3, 2, 2),
              lambda a, b: torch.stack([a, b], dim=1) * torch.arange(12.0, dtype=torch.float64).reshape(3, 2, 2),
              [any_((3, 2)), any_((3, 2))]),
    "fn_exp_log_chain": (lambda a: ag.log(ag.exp(a) + 1.0) * ag.sqrt(a * a + 1.0),
                         lambda a: torch.log(torch.exp(a) + 1.0) * torch.sqrt(a * a + 1.0),
                         [any_((4,))]),
}


def _torch_fn(name):
    ag_fn, t_fn, _ = CASES[name]
    return t_fn if t_fn is not None else ag_fn


def _run(name, engine, rng):
    fn, _, specs = CASES[name]
    arrays = [make(s, rng) for s in specs]
    xs = [ag.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*xs)
    v = rng.standard_normal(out.shape)
    out.backward(v) if out.ndim else (out * float(v)).backward()
    return fn, arrays, xs, out, v


@pytest.mark.parametrize("name", sorted(CASES))
def test_grad_matches_finite_differences(name, engine, rng):
    fn, arrays, xs, out, v = _run(name, engine, rng)
    for i, x in enumerate(xs):
        assert x.grad is not None, f"input {i} got no gradient"
        assert x.grad.shape == x.shape and x.grad.dtype == np.float64

        def f():
            with ag.no_grad():
                return float(np.sum(fn(*[ag.tensor(a) for a in arrays]).data * v))

        num = numerical_grad(f, arrays[i])
        np.testing.assert_allclose(x.grad.data, num, rtol=1e-6, atol=1e-7,
                                   err_msg=f"{name}: input {i}")


@needs_torch
@pytest.mark.parametrize("name", sorted(CASES))
def test_grad_matches_torch(name, engine, rng):
    fn, arrays, xs, out, v = _run(name, engine, rng)
    ts = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    tout = _torch_fn(name)(*ts)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12, atol=1e-12)
    tout.backward(torch.tensor(v, dtype=torch.float64))
    for i, (x, t) in enumerate(zip(xs, ts)):
        np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=f"{name}: input {i}")


@pytest.mark.parametrize("name", sorted(CASES))
def test_engines_agree(name, both_engines):
    results = []
    for eng in both_engines:
        with ag.use_engine(eng.name):
            _, _, xs, out, _ = _run(name, eng, np.random.default_rng(1))
            results.append((out.data, [x.grad.data for x in xs]))
    (o1, g1), (o2, g2) = results
    np.testing.assert_allclose(o1, o2, rtol=1e-12, atol=1e-12)
    for a, b in zip(g1, g2):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


DTYPE_CASES = {
    "add_bcast": (lambda a, b: a + b, [(2, 3, 4), (4,)]),
    "mul_scalar": (lambda a, b: a * b * 2.0 - 1, [(2, 3), (2, 1)]),
    "div": (lambda a, b: a / (b * b + 1.0), [(2, 3), (3,)]),
    "matmul_batched": (lambda a, b: a @ b, [(2, 3, 4), (4, 5)]),
    "sum_keepdims": (lambda a: a.sum(axis=(0, 2), keepdims=True), [(2, 3, 4)]),
    "mean": (lambda a: a.mean(axis=1), [(2, 3)]),
    "softmax": (lambda a: ag.softmax(a) * a, [(2, 4)]),
    "log_softmax": (lambda a: ag.log_softmax(a, axis=0), [(2, 4)]),
    "getitem": (lambda a: a[np.array([0, 1, 0])], [(3, 2)]),
    "unary": (lambda a: a.sigmoid() + a.tanh() + a.exp() + a.abs() + a.relu() + (a * a + 1).sqrt()
              + (a * a + 1).log(), [(5,)]),
    "pow": (lambda a: a ** 2 + 2 ** a, [(3,)]),
    "max": (lambda a: a.amax(axis=1) + a.min(), [(3, 4)]),
    "concat_stack": (lambda a, b: ag.concatenate([a, b]).sum() + ag.stack([a, b]).sum(), [(2,), (2,)]),
    "where_clip": (lambda a, b: ag.where(np.array([True, False]), a, b).clip(-0.5, 0.5), [(2,), (2,)]),
    "max_min_elem": (lambda a, b: ag.maximum(a, b) * ag.minimum(a, b), [(2, 2), (2,)]),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(DTYPE_CASES))
def test_dtype_is_kept(name, dtype, engine, rng):
    fn, shapes = DTYPE_CASES[name]
    xs = [ag.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True) for s in shapes]
    out = fn(*xs)
    assert out.dtype == dtype, f"{name}: forward changed {np.dtype(dtype)} to {out.dtype}"
    out.sum().backward()
    for x in xs:
        assert x.grad.dtype == dtype, f"{name}: gradient dtype {x.grad.dtype}"


def test_softmax_is_stable(engine):
    x = ag.tensor([[1000.0, 1001.0, 1002.0], [-1000.0, -1001.0, -1002.0]], requires_grad=True)
    s = ag.softmax(x)
    ls = ag.log_softmax(x)
    assert np.all(np.isfinite(s.data)) and np.all(np.isfinite(ls.data))
    np.testing.assert_allclose(s.data.sum(axis=1), 1.0)
    (ls * np.arange(6.0).reshape(2, 3)).sum().backward()
    assert np.all(np.isfinite(x.grad.data))


def test_sigmoid_is_stable(engine):
    x = ag.tensor([-800.0, -30.0, 0.0, 30.0, 800.0], requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = x.sigmoid()
        y.sum().backward()
    np.testing.assert_allclose(y.data, [0.0, 1 / (1 + np.exp(30)), 0.5, 1 / (1 + np.exp(-30)), 1.0])
    assert np.all(np.isfinite(x.grad.data))


def test_relu_grad_at_zero_is_zero_like_torch(engine):
    x = ag.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    x.relu().sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0, 1.0])


def test_max_ties_split_gradient(engine):
    x = ag.tensor([1.0, 3.0, 3.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.5, 0.5])

"""``nn.utils`` against ``torch.nn.utils`` in float64 (and float32), on both
engines: ``clip_grad_norm_`` (every norm type, clipping or not, returned
norm), ``get_total_norm``/``clip_grads_with_norm_``, ``clip_grad_value_``,
``parameters_to_vector``/``vector_to_parameters``; in-place, versions,
errors."""
import inspect
import math

import numpy as np
import pytest

import autograd_c as ag
from autograd_c import nn
from autograd_c.nn import utils
from conftest import needs_torch

SHAPES = [(3, 4), (5,), (2, 3, 2), (1,)]


def _params(seed=0, scale=1.0, dtype=np.float64, with_none=False):
    rng = np.random.default_rng(seed)
    ps, grads = [], []
    for i, s in enumerate(SHAPES):
        p = nn.Parameter(rng.standard_normal(s).astype(dtype))
        g = (rng.standard_normal(s) * scale).astype(dtype)
        if with_none and i == 1:
            g = None
        else:
            p.grad = g.copy()
        ps.append(p)
        grads.append(g)
    return ps, grads


def _torch_params(grads, data_seed=0, dtype=None):
    import torch
    rng = np.random.default_rng(data_seed)
    out = []
    for s, g in zip(SHAPES, grads):
        t = torch.tensor(rng.standard_normal(s), requires_grad=True)
        if dtype is not None:
            t = t.detach().to(dtype).requires_grad_()
        if g is not None:
            t.grad = torch.tensor(g)
        out.append(t)
    return out


NORMS = [2.0, 1.0, 3.0, 0.5, math.inf, -math.inf, 0.0, "inf"]


@needs_torch
@pytest.mark.parametrize("norm_type", NORMS)
@pytest.mark.parametrize("max_norm", [0.5, 3.0, 1e3])
@pytest.mark.parametrize("with_none", [False, True])
def test_clip_grad_norm_matches_torch(engine, norm_type, max_norm, with_none):
    import torch
    ps, grads = _params(with_none=with_none)
    tps = _torch_params(grads)
    gids = [id(p.grad) for p in ps]
    versions = [p.grad.version if p.grad is not None else None for p in ps]
    total = utils.clip_grad_norm_(ps, max_norm, norm_type=norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(tps, max_norm, norm_type=norm_type)
    assert isinstance(total, ag.Tensor) and total.shape == () and total.dtype == np.float64
    np.testing.assert_allclose(total.item(), ttotal.item(), rtol=1e-13)
    for p, tp, gid, v in zip(ps, tps, gids, versions):
        if tp.grad is None:
            assert p.grad is None
            continue
        assert id(p.grad) == gid                       # scaled in place
        np.testing.assert_allclose(p.grad.data, tp.grad.numpy(), rtol=1e-13, atol=1e-300)
        if total.item() + 1e-6 > max_norm:             # clipped: the version moved
            assert p.grad.version > v
    if total.item() > max_norm and norm_type != 0.0:   # the clipped norm is max_norm
        after = utils.get_total_norm([p.grad for p in ps if p.grad is not None], norm_type)
        np.testing.assert_allclose(after.item(), max_norm, rtol=1e-5)


@needs_torch
def test_clip_grad_norm_float32_and_single_tensor(engine):
    import torch
    ps, grads = _params(dtype=np.float32, scale=10.0)
    tps = _torch_params(grads, dtype=torch.float32)
    total = utils.clip_grad_norm_(ps, 1.0)
    ttotal = torch.nn.utils.clip_grad_norm_(tps, 1.0)
    assert total.dtype == np.float32
    np.testing.assert_allclose(total.item(), ttotal.item(), rtol=1e-6)
    for p, tp in zip(ps, tps):
        assert p.grad.dtype == np.float32
        np.testing.assert_allclose(p.grad.data, tp.grad.numpy(), rtol=1e-6)
    # a single tensor instead of an iterable; a generator (model.parameters())
    p = nn.Parameter(np.array([3.0, 4.0]))
    p.grad = np.array([3.0, 4.0])
    assert utils.clip_grad_norm_(p, 1.0).item() == 5.0
    np.testing.assert_allclose(p.grad.data, [3 / (5 + 1e-6), 4 / (5 + 1e-6)], rtol=1e-15)
    m = nn.Linear(3, 2, dtype=np.float64)
    for q in m.parameters():
        q.grad = np.ones(q.shape)
    assert abs(utils.clip_grad_norm_(m.parameters(), 100.0).item() - math.sqrt(8)) < 1e-15
    # a generator that must clip: it is read once for the norm AND the scaling
    assert abs(utils.clip_grad_norm_(m.parameters(), 1.0).item() - math.sqrt(8)) < 1e-15
    for q in m.parameters():
        np.testing.assert_allclose(q.grad.data, 1.0 / (math.sqrt(8) + 1e-6), rtol=1e-15)


@needs_torch
def test_total_norm_and_clip_with_norm_as_torch(engine):
    import torch
    ps, grads = _params(scale=4.0)
    tps = _torch_params(grads)
    for nt in (2.0, 1.5, math.inf):
        a = utils.get_total_norm([p.grad for p in ps], nt)
        b = torch.nn.utils.get_total_norm([t.grad for t in tps], nt)
        np.testing.assert_allclose(a.item(), b.item(), rtol=1e-13)
    utils.clip_grads_with_norm_(ps, 2.0, a)
    torch.nn.utils.clip_grads_with_norm_(tps, 2.0, b)
    for p, tp in zip(ps, tps):
        np.testing.assert_allclose(p.grad.data, tp.grad.numpy(), rtol=1e-13)
    for name in ("clip_grad_norm_", "clip_grad_value_", "get_total_norm",
                 "clip_grads_with_norm_", "parameters_to_vector", "vector_to_parameters"):
        ours = inspect.signature(getattr(utils, name)).parameters
        theirs = inspect.signature(getattr(torch.nn.utils, name)).parameters
        assert list(ours) == list(theirs), name
        assert [v.default for v in ours.values()] == [v.default for v in theirs.values()], name


def test_nonfinite(engine):
    ps, _ = _params()
    ps[0].grad.data[0, 0] = np.nan
    with pytest.raises(RuntimeError, match="total norm of order 2.0 .* is non-finite"):
        utils.clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)
    total = utils.clip_grad_norm_(ps, 1.0)     # default: scales by the NaN norm, as torch
    assert math.isnan(total.item()) and np.isnan(ps[1].grad.data).all()
    ps, _ = _params()
    ps[2].grad.data[0, 0, 0] = np.inf
    with pytest.raises(RuntimeError, match="order inf .* non-finite"):
        utils.clip_grad_norm_(ps, 1.0, norm_type="inf", error_if_nonfinite=True)


def test_no_grads(engine):
    p = nn.Parameter(np.ones(3))
    total = utils.clip_grad_norm_([p], 1.0)
    assert total.item() == 0.0 and p.grad is None
    utils.clip_grad_value_([p], 1.0)
    assert p.grad is None


@needs_torch
@pytest.mark.parametrize("clip", [0.1, 0.7, 5.0])
def test_clip_grad_value_matches_torch(engine, clip):
    import torch
    ps, grads = _params(scale=2.0, with_none=True)
    tps = _torch_params(grads)
    v = ps[0].grad.version
    assert utils.clip_grad_value_(ps, clip) is None
    torch.nn.utils.clip_grad_value_(tps, clip)
    for p, tp in zip(ps, tps):
        if tp.grad is None:
            assert p.grad is None
        else:
            np.testing.assert_array_equal(p.grad.data, tp.grad.numpy())
            assert np.abs(p.grad.data).max() <= clip
    assert ps[0].grad.version > v


@needs_torch
def test_parameters_vector_round_trip_as_torch(engine):
    import torch
    ps, _ = _params()
    for p in ps:
        p.grad = None
    tps = [torch.tensor(p.data.copy(), requires_grad=True) for p in ps]
    vec = utils.parameters_to_vector(ps)
    tvec = torch.nn.utils.parameters_to_vector(tps)
    assert vec.shape == (sum(int(np.prod(s)) for s in SHAPES),)
    np.testing.assert_array_equal(vec.data, tvec.detach().numpy())
    # part of the graph, as torch's: gradients reach the parameters
    w = np.arange(vec.shape[0], dtype=float)
    (vec * w).sum().backward()
    (tvec * torch.tensor(w)).sum().backward()
    for p, tp in zip(ps, tps):
        np.testing.assert_array_equal(p.grad.data, tp.grad.numpy())
    # and back: new values copied in, versions bumped, arrays kept
    new = ag.Tensor(np.linspace(-1, 1, vec.shape[0]))
    arrays = [p.data for p in ps]
    versions = [p.version for p in ps]
    utils.vector_to_parameters(new, ps)
    with torch.no_grad():
        torch.nn.utils.vector_to_parameters(torch.tensor(new.data), tps)
    for p, tp, a, v in zip(ps, tps, arrays, versions):
        assert p.data is a and p.version > v
        np.testing.assert_array_equal(p.data, tp.detach().numpy())
    np.testing.assert_array_equal(utils.parameters_to_vector(ps).data, new.data)


def test_vector_errors(engine):
    ps, _ = _params()
    with pytest.raises(TypeError, match="expected an autograd_c Tensor for vec, but got: "
                                        "ndarray"):
        utils.vector_to_parameters(np.zeros(30), ps)
    with pytest.raises(ValueError, match="vec has 3 elements, the parameters need 30"):
        utils.vector_to_parameters(ag.Tensor(np.zeros(3)), ps)
    with pytest.raises(ValueError, match="vec must be 1-D"):
        utils.vector_to_parameters(ag.Tensor(np.zeros((5, 6))), ps)
    with pytest.raises(TypeError, match="clip_grad_norm_: expected Tensors, got ndarray"):
        utils.clip_grad_norm_([np.zeros(3)], 1.0)
    with pytest.raises(TypeError, match="parameters_to_vector: expected Tensors"):
        utils.parameters_to_vector([np.zeros(3)])


def test_deprecated_alias(engine):
    ps, _ = _params()
    with pytest.warns(FutureWarning, match="clip_grad_norm_"):
        utils.clip_grad_norm(ps, 1.0)

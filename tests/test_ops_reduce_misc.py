"""The reductions and shape functions of issue 13 against PyTorch where the
op table's cases do not reach: non-differentiable results (values, dtypes,
indices), tuple results, edge cases (empty dims, 0-d, NaN, zeros), and
gradients at points where a finite-difference check cannot run (ties,
zeros)."""
import numpy as np
import pytest

import autograd_c as ag

torch = pytest.importorskip("torch")

NAN = float("nan")


def _np(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t.data)


def same(a, b, dtype=True):
    """``a`` (autograd_c) equals ``b`` (torch): values (NaN == NaN), shape,
    and the dtype (by name: int64, bool, float64...)."""
    if isinstance(b, (tuple, list)):
        assert isinstance(a, (tuple, list)) and len(a) == len(b)
        for x, y in zip(a, b):
            same(x, y, dtype)
        return
    an, bn = _np(a), _np(b)
    assert an.shape == bn.shape, (an.shape, bn.shape)
    if dtype:
        assert an.dtype == bn.dtype, (an.dtype, bn.dtype)
    np.testing.assert_allclose(an, bn, rtol=1e-12, atol=1e-12, equal_nan=True)


def both(data, dtype=None, requires_grad=False):
    a = np.asarray(data, dtype=dtype)
    return (ag.tensor(a, requires_grad=requires_grad),
            torch.tensor(a, requires_grad=requires_grad))


def grads(fn, data):
    """d sum(fn(x) * w) / dx on both libraries."""
    x, tx = both(np.asarray(data, dtype=np.float64), requires_grad=True)
    out, tout = fn(ag, x), fn(torch, tx)
    w = np.cos(np.arange(tout.numel())).reshape(tuple(tout.shape)) + 0.5
    (out * ag.tensor(w)).sum().backward()
    (tout * torch.tensor(w)).sum().backward()
    return x.grad, tx.grad


RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4))
XN = np.array([[1.0, NAN, 3.0, 2.0], [4.0, 0.0, -1.0, 4.0], [2.0, 2.0, NAN, NAN]])
XI = np.array([[3, 0, 2, 2], [1, 5, 0, 7]], dtype=np.int32)
XT = np.array([[1.0, 3.0, 3.0, 2.0], [5.0, 5.0, 1.0, 0.0], [2.0, 2.0, 2.0, 2.0]])


# --------------------------------------------------------------------------
# non-differentiable reductions
# --------------------------------------------------------------------------

@pytest.mark.parametrize("data", [X, XN, XI, XT, np.array(2.5), np.zeros((2, 0))])
@pytest.mark.parametrize("call", [
    lambda m, x: m.all(x), lambda m, x: m.any(x), lambda m, x: x.all(0),
    lambda m, x: x.any(-1, keepdim=True), lambda m, x: m.count_nonzero(x),
    lambda m, x: m.count_nonzero(x, dim=0), lambda m, x: x.count_nonzero((0, 1))])
def test_boolean_and_count_reductions(engine, data, call):
    x, tx = both(data)
    try:
        want = call(torch, tx)
    except (IndexError, RuntimeError):
        with pytest.raises((IndexError, ValueError)):
            call(ag, x)
        return
    got = call(ag, x)
    assert not got.requires_grad
    same(got, want)


@pytest.mark.parametrize("data", [X, XN, XI, XT, np.array(2.5)])
@pytest.mark.parametrize("call", [
    lambda m, x: m.argmax(x), lambda m, x: x.argmin(), lambda m, x: m.argmax(x, 0),
    lambda m, x: x.argmin(-1, keepdim=True), lambda m, x: m.argmax(x, keepdim=True),
    lambda m, x: m.argsort(x), lambda m, x: x.argsort(0, descending=True),
    lambda m, x: m.argsort(x, dim=-1, stable=True)])
def test_argmax_argmin_argsort(engine, data, call):
    x, tx = both(data)
    try:
        want = call(torch, tx)
    except (IndexError, RuntimeError):
        with pytest.raises((IndexError, ValueError)):
            call(ag, x)
        return
    same(call(ag, x), want)


# --------------------------------------------------------------------------
# selections: values, indices, named tuples
# --------------------------------------------------------------------------

@pytest.mark.parametrize("data", [X, XN, XI, XT, np.array(2.5)])
@pytest.mark.parametrize("call", [
    lambda m, x: x.sort(), lambda m, x: m.sort(x, 0, descending=True),
    lambda m, x: m.sort(x, dim=-1, descending=True, stable=True),
    lambda m, x: x.cummax(-1), lambda m, x: m.cummin(x, 0),
    lambda m, x: x.median(-1), lambda m, x: m.median(x, 0, keepdim=True),
    lambda m, x: x.kthvalue(1, 0), lambda m, x: m.topk(x, 1, 0),
    lambda m, x: x.topk(1, largest=False)])
def test_selections_named_tuples(engine, data, call):
    x, tx = both(data)
    try:
        want = call(torch, tx)
    except (IndexError, RuntimeError):
        with pytest.raises((IndexError, ValueError)):
            call(ag, x)
        return
    got = call(ag, x)
    assert type(got).__name__ == type(want).__name__.split(".")[-1]
    assert got._fields == ("values", "indices")
    # ties: torch picks one of the equal elements; compare the values, and
    # the indices where the data has no ties
    same(got.values, want.values)
    if data is not XT and data is not XI and data is not XN:
        same(got.indices, want.indices)
    assert got.indices.dtype == np.int64


@pytest.mark.parametrize("data", [X, XN, XI, XT, np.arange(6.0)])
def test_median_of_all(engine, data):
    x, tx = both(data)
    same(x.median(), tx.median())
    same(ag.median(x), torch.median(tx))


def test_cummax_cummin_indices_on_ties_and_nan(engine):
    for data in (XT, XN, np.array([[1.0, NAN, 0.0, NAN, 5.0]])):
        x, tx = both(data)
        same(x.cummax(1), tuple(tx.cummax(1)))
        same(ag.cummin(x, 1), tuple(torch.cummin(tx, 1)))


def test_topk_kthvalue_indices(engine):
    x, tx = both(np.array([1.0, 3.0, 3.0, 2.0]))
    same(tuple(x.topk(2)), tuple(tx.topk(2)))
    same(tuple(x.kthvalue(2)), tuple(tx.kthvalue(2)))
    same(tuple(ag.sort(x, descending=True, stable=True)),
         tuple(torch.sort(tx, descending=True, stable=True)))
    with pytest.raises(IndexError):
        x.topk(5)


def test_selection_gradients_follow_indices(engine):
    same(*grads(lambda m, x: x.sort(1, descending=True).values, X))
    same(*grads(lambda m, x: x.topk(2, 0).values, X))
    same(*grads(lambda m, x: x.cummax(1).values, XT))
    same(*grads(lambda m, x: m.cummin(x, 0).values, XT))


def test_median_gradient_is_shared_by_ties(engine):
    data = np.array([[0.3, 0.7, 0.3], [0.1, 0.3, 0.9]])
    same(*grads(lambda m, x: x.median(), data))
    same(*grads(lambda m, x: x.median(0).values, X))


# --------------------------------------------------------------------------
# sum/mean/prod/cumsum dtypes, empty and 0-d reductions
# --------------------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda m, x: x.sum(0), lambda m, x: x.sum(), lambda m, x: x.prod(1),
    lambda m, x: m.prod(x), lambda m, x: x.cumsum(1), lambda m, x: m.cumprod(x, 0)])
@pytest.mark.parametrize("data", [XI, XI.astype(bool), XI.astype(np.int64)])
def test_integer_reductions_promote_to_int64(engine, data, call):
    x, tx = both(data)
    same(call(ag, x), call(torch, tx))


def test_dtype_argument(engine):
    x, tx = both(X.astype(np.float32), requires_grad=True)
    for call in (lambda m, t, d: t.sum(1, dtype=d), lambda m, t, d: m.mean(t, 0, dtype=d),
                 lambda m, t, d: t.prod(dtype=d), lambda m, t, d: t.cumsum(0, dtype=d),
                 lambda m, t, d: m.cumprod(t, 1, dtype=d)):
        got = call(ag, x, np.float64)
        want = call(torch, tx, torch.float64)
        same(got, want)
        got.sum().backward()
        want.sum().backward()
        assert x.grad.dtype == np.float32
        np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-6)
        x.grad = None
        tx.grad = None
    xi, txi = both(XI)
    same(xi.sum(dtype=np.float64), txi.sum(dtype=torch.float64))


def test_empty_and_zero_dim_reductions(engine):
    x, tx = both(np.zeros((3, 0)))
    same(x.amax(0), tx.amax(0))
    same(x.sum(0), tx.sum(0))
    same(x.prod(1), tx.prod(1))
    same(x.max(0).values, tx.max(0).values)
    same(x.cumsum(1), tx.cumsum(1))
    with pytest.raises((ValueError, IndexError)):
        x.amax(1)
    s, ts = both(np.array(3.0))
    for call in (lambda t: t.sum(0), lambda t: t.prod(0), lambda t: t.cumsum(0),
                 lambda t: t.cumprod(-1), lambda t: t.logcumsumexp(0),
                 lambda t: t.logsumexp(0), lambda t: t.amax(0), lambda t: t.mean(0)):
        same(call(s), call(ts))
    same(s.cummax(0), tuple(ts.cummax(0)))
    same(s.sort(), tuple(ts.sort()))


# --------------------------------------------------------------------------
# var/std arguments and edge cases
# --------------------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda m, x: x.var(), lambda m, x: m.var(x, 1), lambda m, x: x.var(0, unbiased=False),
    lambda m, x: m.var(x, False), lambda m, x: m.var(x, 1, True, True),
    lambda m, x: x.var(dim=(0, 1), correction=0, keepdim=True), lambda m, x: x.std(),
    lambda m, x: m.std(x, 0, keepdim=True), lambda m, x: x.std(1, correction=2),
    lambda m, x: m.var_mean(x, 1), lambda m, x: m.std_mean(x, unbiased=False),
    lambda m, x: m.std_mean(x, dim=0, correction=0, keepdim=True)])
def test_var_std_signatures(engine, call):
    x, tx = both(X)
    same(call(ag, x), call(torch, tx))


def test_var_of_one_element_is_nan(engine):
    x, tx = both(np.array([[2.0], [3.0]]))
    with np.errstate(all="ignore"):
        same(x.var(1), tx.var(1))
        same(x.std(1), tx.std(1))
    same(x.var(1, correction=0), tx.var(1, correction=0))


def test_std_and_norm_gradient_at_zero_is_zero(engine):
    const = np.full((2, 3), 1.5)
    same(*grads(lambda m, x: x.std(1), const))
    same(*grads(lambda m, x: m.std(x), const))
    zero = np.zeros((2, 3))
    same(*grads(lambda m, x: x.norm(dim=1), zero))
    same(*grads(lambda m, x: x.norm(3, dim=0), zero))


def test_numpy_aliases(engine):
    x, tx = both(X)
    same(x.var(axis=0, keepdims=True), tx.var(0, keepdim=True))
    same(ag.all(x > 0, axis=1), torch.all(tx > 0, dim=1))
    same(x.argmax(axis=1), tx.argmax(1))
    same(x.prod(axis=0), tx.prod(0))
    same(x.cumsum(axis=1), tx.cumsum(1))


# --------------------------------------------------------------------------
# prod / cumprod with zeros (first order; the op table has second order)
# --------------------------------------------------------------------------

@pytest.mark.parametrize("data", [
    np.array([[2.0, 0.0, 3.0], [0.0, 0.0, 1.5], [1.0, 2.0, 3.0]]),
    np.array([[0.0, 2.0], [4.0, 0.5]])])
def test_prod_and_cumprod_gradients_with_zeros(engine, data):
    same(*grads(lambda m, x: x.prod(), data))
    same(*grads(lambda m, x: x.prod(0), data))
    same(*grads(lambda m, x: m.prod(x, 1, keepdim=True), data))
    same(*grads(lambda m, x: x.cumprod(1), data))
    same(*grads(lambda m, x: x.cumprod(0), data))


def test_logsumexp_and_logcumsumexp_extremes(engine):
    x, tx = both(np.array([[-np.inf, -np.inf, 1.0], [1e3, 1e3 + 1, -np.inf]]))
    same(ag.logsumexp(x, 1), torch.logsumexp(tx, 1))
    same(x.logcumsumexp(1), tx.logcumsumexp(1))
    same(*grads(lambda m, t: t.logcumsumexp(1), np.array([[1e3, 1e3 + 1, -2.0]])))
    same(*grads(lambda m, t: m.logsumexp(t, 0), np.array([[1e3], [1e3 - 1]])))


def test_norm_variants(engine):
    x, tx = both(X)
    for args in [(), ("fro",), (2, 1), (1,), (float("inf"),), (float("-inf"), 0), (0,),
                 (3, (0, 1)), (0.5, 1, True)]:
        same(x.norm(*args), tx.norm(*args))
    same(ag.norm(x, p=1, dim=0, keepdim=True), torch.norm(tx, p=1, dim=0, keepdim=True))


# --------------------------------------------------------------------------
# shape functions: tuples, views, values of non-differentiable pieces
# --------------------------------------------------------------------------

def test_split_chunk_unbind(engine):
    x, tx = both(np.arange(10.0).reshape(5, 2))
    same(x.chunk(2), tx.chunk(2))
    same(ag.chunk(x, 3, 1), torch.chunk(tx, 3, 1))
    same(ag.chunk(ag.zeros(0, dtype=ag.float64), 3),
         torch.chunk(torch.zeros(0, dtype=torch.float64), 3))
    same(x.unbind(1), tx.unbind(1))
    same(ag.split(x, 2), torch.split(tx, 2))
    same(x.split([1, 4]), tx.split([1, 4]))


def test_repeat_interleave_and_tile(engine):
    x, tx = both(np.arange(6.0).reshape(2, 3))
    r, tr = both(np.array([2, 0, 1]))
    same(ag.repeat_interleave(r), torch.repeat_interleave(tr))
    same(x.repeat_interleave(r, dim=1), tx.repeat_interleave(tr, dim=1))
    same(x.repeat_interleave(2, 0), tx.repeat_interleave(2, 0))
    same(x.tile((2, 1, 2)), tx.tile((2, 1, 2)))
    same(x.repeat(1, 2), tx.repeat(1, 2))
    same(x.repeat(0, 2), tx.repeat(0, 2))


def test_views_share_memory(engine):
    x, tx = both(np.arange(12.0).reshape(3, 4))
    for call in (lambda t: t.diagonal(1), lambda t: t.narrow(1, 1, 2), lambda t: t.squeeze(),
                 lambda t: t.unflatten(1, (2, 2)), lambda t: t.swapaxes(0, 1),
                 lambda t: t.unbind(0)[1], lambda t: t.view_as(t.T)):
        v, tv = call(x), call(tx)
        with ag.no_grad():
            v += 100.0
        with torch.no_grad():
            tv += 100.0
        same(x, tx)
    f = x.flip(0)                        # a copy, as in torch
    with ag.no_grad():
        f += 1.0
    same(x, tx)


@pytest.mark.parametrize("call", [
    lambda m, x: m.diag(x), lambda m, x: m.diag(x[0], 2), lambda m, x: x.diagonal(-1),
    lambda m, x: m.diag_embed(x, -2, 0, 1), lambda m, x: m.trace(x), lambda m, x: x.tril(1),
    lambda m, x: m.triu(x, -5), lambda m, x: x.roll(-3), lambda m, x: x.flip((0, 1)),
    lambda m, x: m.fliplr(x), lambda m, x: m.hstack([x, x]), lambda m, x: m.vstack([x[0], x]),
    lambda m, x: m.dstack([x, x]), lambda m, x: m.column_stack([x[:, 0], x]),
    lambda m, x: m.atleast_1d(x[0, 0]), lambda m, x: m.atleast_2d(x[0]),
    lambda m, x: m.atleast_3d(x), lambda m, x: x.ravel(), lambda m, x: x.squeeze(0),
    lambda m, x: m.squeeze(x[None], (0, 1)), lambda m, x: x.unsqueeze(-1),
    lambda m, x: x.movedim((0, 1), (1, 0)), lambda m, x: x.expand(2, 3, 4),
    lambda m, x: x[:, :1].expand(-1, 5), lambda m, x: m.broadcast_tensors(x, x[0])[1]])
def test_shape_values(engine, call):
    x, tx = both(np.arange(12.0).reshape(3, 4) - 4.0)
    same(call(ag, x), call(torch, tx))


@pytest.mark.parametrize("data", [np.arange(12).reshape(3, 4), np.arange(6.0).reshape(1, 2, 3)])
@pytest.mark.parametrize("args", [
    ((1, 2),), ((1, 1, 2, 0),), ((-1, 1), "constant", 7.0), ((2, 1), "reflect"),
    ((1, 2), "replicate"), ((1, 1, 1, 1), "replicate"), ((2, 3), "circular"),
    ((1, 0, 1, 1), "reflect")])
def test_pad_values(engine, data, args):
    from autograd_c.ops.shape import pad
    x, tx = both(data)
    try:
        want = torch.nn.functional.pad(tx, *args)
    except (RuntimeError, NotImplementedError, ValueError):
        pytest.skip("torch refuses this padding for this input")
    same(pad(x, *args), want)


def test_pad_errors():
    from autograd_c.ops.shape import pad
    x = ag.tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError):
        pad(x, (3, 0), mode="reflect")
    with pytest.raises(ValueError):
        pad(x, (1,))
    with pytest.raises(ValueError):
        pad(x, (1, 1), mode="wrap")


def test_numpy_functions_on_tensors(engine):
    a = np.arange(6.0).reshape(2, 3)
    x = ag.tensor(a, requires_grad=True)
    for fn, args, kw in [(np.flip, (0,), {}), (np.flip, (), {}), (np.flip, (), {"axis": 1}),
                         (np.roll, (1,), {"axis": 1}), (np.roll, (2,), {}),
                         (np.cumsum, (), {"axis": 1}), (np.cumprod, (0,), {}),
                         (np.diagonal, (), {}), (np.prod, (), {"axis": 1})]:
        out = fn(x, *args, **kw)
        assert out.requires_grad
        np.testing.assert_array_equal(out.data, fn(a, *args, **kw))


@pytest.mark.parametrize("call", [
    lambda m, x: m.tensor_split(x, 2, 1), lambda m, x: x.tensor_split([1, 5], 2),
    lambda m, x: x.tensor_split((-1,), 2), lambda m, x: m.tensor_split(x, 3, 2),
    lambda m, x: m.hsplit(x, 3), lambda m, x: m.vsplit(x, [1]), lambda m, x: m.dsplit(x, 2),
    lambda m, x: m.diff(x), lambda m, x: x.diff(2, 0), lambda m, x: m.diff(x, 1, 1, x[:, :1]),
    lambda m, x: m.diff(x, append=x[..., :2]), lambda m, x: x.unfold(2, 2, 1),
    lambda m, x: m.rot90(x), lambda m, x: x.rot90(2, (1, 2)), lambda m, x: x.rot90(-1, (2, 0)),
    lambda m, x: m.meshgrid(x[0, 0], x[1, 1, :3], indexing="ij"),
    lambda m, x: m.meshgrid([x[0, 0], x[1, 1, :3], x[0, 2, :2]], indexing="xy"),
    lambda m, x: m.nansum(x), lambda m, x: x.nansum(1), lambda m, x: m.nanmean(x, (0, 2)),
    lambda m, x: m.quantile(x, 0.3), lambda m, x: m.quantile(x, 0.5, dim=2, keepdim=True),
    lambda m, x: m.nanquantile(x, 0.25, 1), lambda m, x: x.nanquantile(0.9),
    lambda m, x: m.aminmax(x, dim=1), lambda m, x: x.msort()])
def test_more_functions_values(engine, call):
    data = np.arange(24.0).reshape(2, 3, 4) ** 1.5
    data[0, 1, 2] = NAN
    x, tx = both(data)
    same(call(ag, x), call(torch, tx))


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dim", [0, -1])
def test_softmax_of_a_0d_tensor(engine, name, dim):
    # a 0-d input: numpy gives a scalar where the rule worked in place (found
    # by the op fuzz: "return arrays must be of ArrayType")
    x = ag.tensor(np.array(1.5), requires_grad=True)
    tx = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    y, ty = getattr(ag, name)(x, dim=dim), getattr(torch, name)(tx, dim=dim)
    assert isinstance(y.data, np.ndarray)
    same(y, ty)
    (y * 3.0).backward()
    (ty * 3.0).backward()
    same(x.grad, tx.grad)

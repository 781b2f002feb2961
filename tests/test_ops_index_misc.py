"""Indexing beyond the op-table cases: PyTorch's placement of advanced-index
dims, index copies at forward, ties in scatter_reduce, integer results
(nonzero, argwhere, one_hot) and errors, against torch on both engines."""
import numpy as np
import pytest

import autograd_c as ag
from autograd_c.ops.index import one_hot

torch = pytest.importorskip("torch")

INDICES = [
    (0, slice(None), [1, 2]),
    ([0, 1], slice(None), 0),
    (slice(None), 0, slice(None)),
    (0, [1, 2], slice(None)),
    (slice(None), [0, 1], 0),
    ([0, 1], slice(None), [1, 2]),
    (0, slice(None), [[1, 2], [0, 1]]),
    (Ellipsis, 0, slice(None), [1]),
    (1, slice(1, 3), [4, 0, 4]),
    (None, 0, slice(None), [1, 2]),
    (0, slice(None), np.array([True, False, True, False, True])),
    ([2, 0], [1, 1], 3),
    (np.array(0), slice(None), [1, 2]),
    (0, slice(None), np.array(1)),
]


@pytest.mark.parametrize("idx", INDICES, ids=[str(i) for i in range(len(INDICES))])
def test_getitem_places_advanced_dims_as_torch(idx, engine):
    a = np.random.default_rng(0).standard_normal((3, 4, 5))
    x = ag.tensor(a, requires_grad=True)
    tx = torch.tensor(a, requires_grad=True)
    tidx = tuple(torch.tensor(i) if isinstance(i, np.ndarray) else i for i in idx)
    idx = tuple(ag.tensor(i) if isinstance(i, np.ndarray) else i for i in idx)
    out, tout = x[idx], tx[tidx]
    assert tuple(out.shape) == tuple(tout.shape)
    np.testing.assert_array_equal(out.data, tout.detach().numpy())
    w = np.cos(np.arange(out.data.size)).reshape(out.shape)
    (out * ag.tensor(w)).sum().backward()
    (tout * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=0, atol=1e-15)


def test_numpy_would_place_them_first():
    """The case that motivates the rule: numpy's answer differs."""
    a = np.zeros((3, 4, 5))
    assert a[0, :, [1, 2]].shape == (2, 4)
    assert tuple(ag.tensor(a)[0, :, [1, 2]].shape) == (4, 2)


def _grad_after_index_change(make, engine):
    x = ag.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    idx = np.array([[0, 1, 2], [2, 1, 0]])
    out = make(x, idx)
    w = np.arange(out.data.size, dtype=float).reshape(out.shape)
    before = ag.autograd.grad((out * ag.tensor(w)).sum(), [x], retain_graph=True)[0].data
    idx[...] = 3 - idx[...] if idx.max() < 3 else 0
    after = ag.autograd.grad((out * ag.tensor(w)).sum(), [x])[0].data
    np.testing.assert_array_equal(before, after)


@pytest.mark.parametrize("which", ["gather", "take", "index_select", "getitem", "scatter",
                                   "index_add", "take_along_dim"])
def test_index_is_copied_at_forward(which, engine):
    makers = {
        "gather": lambda x, i: x.gather(1, i),
        "take": lambda x, i: ag.take(x, i),
        "index_select": lambda x, i: x.index_select(1, i[0]),
        "getitem": lambda x, i: x[i[0], 1:],
        "scatter": lambda x, i: x.scatter(1, i, x[:2, :3] * 2),
        "index_add": lambda x, i: x.index_add(0, i[0], x * 3),
        "take_along_dim": lambda x, i: ag.take_along_dim(x[:2], i, dim=1),
    }
    _grad_after_index_change(makers[which], engine)


def test_index_tensor_is_copied_at_forward(engine):
    x = ag.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    idx = ag.tensor(np.array([[0, 1], [1, 3]]))
    out = x.gather(1, idx)
    idx.data[...] = 0
    out.sum().backward()
    expect = np.zeros((3, 4))
    expect[0, [0, 1]] = 1
    expect[1, [1, 3]] = 1
    np.testing.assert_array_equal(x.grad.data, expect)


@pytest.mark.parametrize("reduce", ["amax", "amin", "mean", "sum", "prod"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_with_ties_matches_torch(reduce, include_self, engine):
    a = np.array([[1.0, 2.0, 3.0], [4.0, 2.0, 1.0], [0.5, 1.5, 2.5]])
    s = np.array([[4.0, 2.0, 3.0], [4.0, 3.0, 1.0]])
    idx = [[1, 0, 0], [1, 0, 0]]
    x, y = ag.tensor(a, requires_grad=True), ag.tensor(s, requires_grad=True)
    tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(s, requires_grad=True)
    out = x.scatter_reduce(0, ag.tensor(idx), y, reduce, include_self=include_self)
    tout = tx.scatter_reduce(0, torch.tensor(idx), ty, reduce, include_self=include_self)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-15)
    w = np.arange(9.0).reshape(3, 3) + 1
    (out * ag.tensor(w)).sum().backward()
    (tout * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-14)
    np.testing.assert_allclose(y.grad.data, ty.grad.numpy(), rtol=1e-14)


def test_scatter_forward_variants_match_torch(engine):
    a = np.arange(12.0).reshape(3, 4) + 1
    s = np.arange(6.0).reshape(2, 3) + 2
    idx = [[0, 2, 2], [1, 0, 3]]
    for kw in ({}, {"reduce": "add"}, {"reduce": "multiply"}):
        ours = ag.scatter(ag.tensor(a), 1, ag.tensor(idx), ag.tensor(s), **kw)
        theirs = torch.scatter(torch.tensor(a), 1, torch.tensor(idx), torch.tensor(s), **kw)
        np.testing.assert_array_equal(ours.data, theirs.numpy())
    ours = ag.tensor(a).scatter(1, ag.tensor(idx), 7.0, reduce="multiply")
    theirs = torch.tensor(a).scatter(1, torch.tensor(idx), 7.0, reduce="multiply")
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_integer_results_match_torch(engine):
    a = np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]])
    for f in ("nonzero", "argwhere"):
        ours, theirs = getattr(ag, f)(ag.tensor(a)), getattr(torch, f)(torch.tensor(a))
        assert ours.data.dtype == np.int64 and not ours.requires_grad
        np.testing.assert_array_equal(ours.data, theirs.numpy())
    for o, t in zip(ag.tensor(a).nonzero(as_tuple=True), torch.tensor(a).nonzero(as_tuple=True)):
        np.testing.assert_array_equal(o.data, t.numpy())
    lab = np.array([[2, 0], [1, 3]])
    for n in (-1, 5):
        o = one_hot(ag.tensor(lab), n)
        t = torch.nn.functional.one_hot(torch.tensor(lab), n)
        assert o.data.dtype == np.int64
        np.testing.assert_array_equal(o.data, t.numpy())
    with pytest.raises(ValueError):
        one_hot(ag.tensor(lab), 3)
    m = np.array([[True, False, True], [False, True, True]])
    np.testing.assert_array_equal(ag.masked_select(ag.tensor(a), ag.tensor(m)).data,
                                  torch.masked_select(torch.tensor(a), torch.tensor(m)).numpy())


def test_errors_name_the_op(engine):
    x = ag.tensor(np.zeros((3, 4)), requires_grad=True)
    with pytest.raises(IndexError, match="gather"):
        x.gather(1, ag.tensor([[4]]))
    with pytest.raises(IndexError, match="gather"):
        x.gather(1, ag.tensor([[-1]]))
    with pytest.raises(TypeError, match="gather"):
        x.gather(1, ag.tensor([[0.5]]))
    with pytest.raises(ValueError, match="gather"):
        x.gather(1, ag.tensor([0]))
    with pytest.raises(IndexError, match="index_select"):
        x.index_select(0, ag.tensor([3]))
    with pytest.raises(ValueError, match="scatter_reduce"):
        x.scatter_reduce(0, ag.tensor([[0]]), x, "max")
    with pytest.raises(TypeError, match="masked_fill"):
        x.masked_fill(ag.tensor([1, 0, 1, 0]), 0.0)


@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_prod_with_zeros_matches_torch(include_self, engine):
    a = np.array([[1.0, 0.0, 3.0], [4.0, 2.0, 0.0], [0.5, 1.5, 2.5]])
    s = np.array([[0.0, 2.0, 3.0], [4.0, 0.0, 1.0]])
    idx = [[1, 0, 2], [1, 0, 0]]
    x, y = ag.tensor(a, requires_grad=True), ag.tensor(s, requires_grad=True)
    tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(s, requires_grad=True)
    out = x.scatter_reduce(0, ag.tensor(idx), y, "prod", include_self=include_self)
    tout = tx.scatter_reduce(0, torch.tensor(idx), ty, "prod", include_self=include_self)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-15)
    w = np.arange(9.0).reshape(3, 3) + 1
    (out * ag.tensor(w)).sum().backward()
    (tout * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-14)
    np.testing.assert_allclose(y.grad.data, ty.grad.numpy(), rtol=1e-14)


def test_inplace_spellings_outside_the_graph(engine):
    m = np.array([[True, False, True], [False, False, True]])
    for name, args, targs in [
        ("masked_fill_", (ag.tensor(m), 2.0), (torch.tensor(m), 2.0)),
        ("index_add_", (1, ag.tensor([0, 0]), ag.tensor(np.ones((2, 2)))),
         (1, torch.tensor([0, 0]), torch.ones(2, 2, dtype=torch.float64))),
        ("index_fill_", (0, ag.tensor([1]), -1.0), (0, torch.tensor([1]), -1.0)),
        ("scatter_", (1, ag.tensor([[2], [0]]), 5.0), (1, torch.tensor([[2], [0]]), 5.0)),
        ("scatter_add_", (0, ag.tensor([[1, 0, 1]]), ag.tensor(np.ones((1, 3)))),
         (0, torch.tensor([[1, 0, 1]]), torch.ones(1, 3, dtype=torch.float64))),
    ]:
        a = np.arange(6.0).reshape(2, 3)
        x, t = ag.tensor(a.copy()), torch.tensor(a.copy())
        v = x._version
        assert getattr(x, name)(*args) is x
        getattr(t, name)(*targs)
        np.testing.assert_array_equal(x.data, t.numpy(), err_msg=name)
        assert x._version > v
    y = ag.tensor(np.zeros(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="masked_fill_"):
        y.masked_fill_(ag.tensor([True, False, True]), 1.0)
    with ag.no_grad():
        y.masked_fill_(ag.tensor([True, False, True]), 1.0)
    np.testing.assert_array_equal(y.data, [1.0, 0.0, 1.0])


def test_fill_values_take_the_input_dtype(engine):
    a = np.arange(6).reshape(2, 3)
    m = np.array([[True, False, True], [False, False, True]])
    for ours, theirs in [
        (ag.masked_fill(ag.tensor(a), ag.tensor(m), 2.7),
         torch.masked_fill(torch.tensor(a), torch.tensor(m), 2.7)),
        (ag.index_fill(ag.tensor(a), 1, ag.tensor([0]), -1.5),
         torch.index_fill(torch.tensor(a), 1, torch.tensor([0]), -1.5)),
        (ag.scatter(ag.tensor(a), 1, ag.tensor([[1], [2]]), 3.9),
         torch.scatter(torch.tensor(a), 1, torch.tensor([[1], [2]]), 3.9)),
        (ag.masked_fill(ag.tensor(a.astype(np.float32)), ag.tensor(m), 0.1),
         torch.masked_fill(torch.tensor(a.astype(np.float32)), torch.tensor(m), 0.1)),
    ]:
        assert ours.data.dtype == theirs.numpy().dtype
        np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_integer_results_of_a_parameter_are_plain_tensors(engine):
    import autograd_c.linalg  # noqa: F401  (ag.linalg, until the package imports it)
    p = ag.nn.Parameter(ag.tensor(np.array([[0.0, 1.0], [2.0, 0.0]])))
    for out in (ag.nonzero(p), ag.argwhere(p), *p.nonzero(as_tuple=True),
                ag.linalg.slogdet(p + 1.0).sign, ag.linalg.matrix_rank(p)):
        assert type(out) is type(ag.tensor(0.0)) and not out.requires_grad


ROW_INDICES = [
    np.array([[0, 2, 2], [-1, 4, -1]]),      # repeated and negative rows
    np.array([3]),
    np.array([1, 1, 1, 1]),
    np.zeros((0,), dtype=np.int64),          # no rows
]


@pytest.mark.parametrize("idx", ROW_INDICES, ids=[str(i) for i in range(len(ROW_INDICES))])
def test_row_gather_gradient_sums_repeats_as_torch(idx, engine):
    """``w[idx]`` with one integer array (the embedding lookup): the gradient
    sums the repeated rows (negative rows are the same rows), first- and
    second-order, against torch; and basic slices (split) pick each place once."""
    a = np.random.default_rng(1).standard_normal((5, 3, 2))
    x = ag.tensor(a, requires_grad=True)
    tx = torch.tensor(a, requires_grad=True)
    out, tout = x[ag.tensor(idx)], tx[torch.tensor(idx)]
    w = np.cos(np.arange(out.data.size)).reshape(out.shape) + 1.5
    g, = ag.autograd.grad((out * out * ag.tensor(w)).sum(), x, create_graph=True)
    tg, = torch.autograd.grad((tout * tout * torch.tensor(w)).sum(), tx, create_graph=True)
    np.testing.assert_allclose(g.data, tg.detach().numpy(), rtol=1e-13, atol=1e-14)
    gg, = ag.autograd.grad((g * g).sum(), x)
    tgg, = torch.autograd.grad((tg * tg).sum(), tx)
    np.testing.assert_allclose(gg.data, tgg.numpy(), rtol=1e-13, atol=1e-14)
    parts = x.split([1, 2], dim=1)
    tparts = tx.split([1, 2], dim=1)
    s = (parts[1] * parts[1]).sum() + parts[0].sum() * 3.0
    ts = (tparts[1] * tparts[1]).sum() + tparts[0].sum() * 3.0
    gs, = ag.autograd.grad(s, x)
    tgs, = torch.autograd.grad(ts, tx)
    np.testing.assert_allclose(gs.data, tgs.numpy(), rtol=1e-15)

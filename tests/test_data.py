"""autograd_c.utils.data against torch.utils.data: index lists, lengths,
partitions, batch composition, collate structure / dtypes / values. Random
orders are numpy's (not torch's), so for those the tests check the properties
(permutation, coverage, determinism from the seed) instead of equality."""
import collections
import math
import sys
import types

import numpy as np
import pytest

import autograd_c as ag
from autograd_c.random import Generator, manual_seed
from autograd_c.utils import data as D
from conftest import needs_torch

try:
    import torch
    import torch.utils.data as TD
except Exception:  # pragma: no cover - depends on the environment
    torch = TD = None


# -- helpers ------------------------------------------------------------------
def same(a, t, engine=None):
    """``a`` (autograd_c output) has ``t``'s (torch output) structure, types,
    dtypes and values."""
    if isinstance(t, torch.Tensor):
        assert isinstance(a, ag.Tensor), f"expected a Tensor, got {type(a).__name__}"
        if engine is not None:
            assert isinstance(a, engine.Tensor)
        assert tuple(a.shape) == tuple(t.shape)
        assert str(a.dtype) == str(t.dtype).replace("torch.", ""), (a.dtype, t.dtype)
        np.testing.assert_array_equal(a.numpy(), t.numpy())
    elif isinstance(t, dict):
        assert type(a) is type(t) and list(a) == list(t)
        for k in t:
            same(a[k], t[k], engine)
    elif isinstance(t, (list, tuple)):
        assert type(a) is type(t) or type(a).__name__ == type(t).__name__, (type(a), type(t))
        assert len(a) == len(t)
        for x, y in zip(a, t):
            same(x, y, engine)
    else:
        assert type(a) is type(t) and a == t


class Squares(D.Dataset):
    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return np.array([i, i * i], dtype=np.float32), i

    def __len__(self):
        return self.n


class TSquares(TD.Dataset if TD else object):
    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        return np.array([i, i * i], dtype=np.float32), i

    def __len__(self):
        return self.n


class Stream(D.IterableDataset):
    def __init__(self, n, with_len=True):
        self.n, self.with_len = n, with_len

    def __iter__(self):
        return iter(np.arange(self.n) * 10)

    def __len__(self):
        if not self.with_len:
            raise TypeError("no len")
        return self.n


# -- DistributedSampler ------------------------------------------------------------
@needs_torch
@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("replicas", [1, 2, 3, 4, 7])
def test_distributed_sampler_index_lists_equal_torch(replicas, drop_last):
    for n in list(range(0, 16)) + [31, 100]:
        for rank in range(replicas):
            ours = D.DistributedSampler(range(n), num_replicas=replicas, rank=rank,
                                        shuffle=False, drop_last=drop_last)
            theirs = TD.DistributedSampler(range(n), num_replicas=replicas, rank=rank,
                                           shuffle=False, drop_last=drop_last)
            assert list(ours) == list(theirs), (n, rank)
            assert len(ours) == len(theirs) == len(list(ours))
            assert ours.total_size == theirs.total_size
            # shuffled: same lengths and sizes as torch
            sh = D.DistributedSampler(range(n), replicas, rank, shuffle=True, drop_last=drop_last)
            tsh = TD.DistributedSampler(range(n), replicas, rank, shuffle=True,
                                        drop_last=drop_last)
            assert len(sh) == len(tsh) == len(list(sh))


@pytest.mark.parametrize("n,replicas", [(10, 3), (12, 4), (5, 8), (1, 3), (17, 5)])
def test_distributed_sampler_shuffle_partitions_one_permutation(n, replicas):
    parts = [list(D.DistributedSampler(range(n), replicas, r, seed=7)) for r in range(replicas)]
    # every rank used the same permutation: interleaving the shares rebuilds it
    total = replicas * len(parts[0])
    merged = [parts[i % replicas][i // replicas] for i in range(total)]
    perm = merged[:n]
    assert sorted(perm) == list(range(n))
    # padding repeats the permutation from its start (as torch pads range(n))
    assert merged[n:] == (perm * math.ceil(total / n))[:total - n]
    # drop_last: disjoint shares of equal length
    dl = [list(D.DistributedSampler(range(n), replicas, r, seed=7, drop_last=True))
          for r in range(replicas)]
    flat = [i for p in dl for i in p]
    assert len(set(flat)) == len(flat) == (n // replicas) * replicas
    assert all(len(p) == n // replicas for p in dl)


def test_distributed_sampler_deterministic_from_seed_and_epoch():
    def share(seed, epoch, rank=1):
        s = D.DistributedSampler(range(50), num_replicas=4, rank=rank, seed=seed)
        s.set_epoch(epoch)
        return list(s)

    assert share(0, 0) == share(0, 0)
    assert share(0, 3) == share(0, 3)
    assert share(0, 0) != share(0, 1)
    assert share(0, 0) != share(1, 0)
    # the permutation depends on seed + epoch only (torch's rule)
    assert share(2, 3) == share(3, 2) == share(5, 0)
    # iterating twice without set_epoch repeats the order
    s = D.DistributedSampler(range(50), num_replicas=4, rank=2)
    assert list(s) == list(s)
    # unaffected by the global seed
    manual_seed(1)
    a = share(0, 0)
    manual_seed(2)
    assert share(0, 0) == a


def test_distributed_sampler_bad_arguments():
    with pytest.raises(ValueError, match=r"DistributedSampler.*rank 3.*\[0, 2\]"):
        D.DistributedSampler(range(5), num_replicas=3, rank=3)
    with pytest.raises(ValueError, match=r"DistributedSampler.*rank -1"):
        D.DistributedSampler(range(5), num_replicas=3, rank=-1)
    with pytest.raises(ValueError, match="num_replicas=0"):
        D.DistributedSampler(range(5), num_replicas=0, rank=0)
    with pytest.raises(TypeError, match="set_epoch"):
        D.DistributedSampler(range(5), 2, 0).set_epoch("1")


def test_distributed_sampler_without_distributed_module(monkeypatch):
    # None in sys.modules makes the import fail as if the module did not exist
    monkeypatch.setitem(sys.modules, "autograd_c.distributed", None)
    with pytest.raises(RuntimeError, match="num_replicas and rank were not given.*"
                                           "autograd_c.distributed"):
        D.DistributedSampler(range(5))
    with pytest.raises(RuntimeError, match="rank was not given"):
        D.DistributedSampler(range(5), num_replicas=2)


def _fake_dist(initialized, world=3, rank=1, available=True):
    m = types.ModuleType("autograd_c.distributed")
    m.is_available = lambda: available
    m.is_initialized = lambda: initialized
    m.get_world_size = lambda: world
    m.get_rank = lambda: rank
    return m


def test_distributed_sampler_takes_world_from_process_group(monkeypatch):
    monkeypatch.setitem(sys.modules, "autograd_c.distributed", _fake_dist(True, 3, 1))
    s = D.DistributedSampler(range(10), shuffle=False)
    assert (s.num_replicas, s.rank) == (3, 1)
    assert list(s) == [1, 4, 7, 0]
    # explicit values win over the group's
    s = D.DistributedSampler(range(10), rank=2, shuffle=False)
    assert (s.num_replicas, s.rank) == (3, 2)

    monkeypatch.setitem(sys.modules, "autograd_c.distributed", _fake_dist(False))
    with pytest.raises(RuntimeError, match="not initialized"):
        D.DistributedSampler(range(10))
    monkeypatch.setitem(sys.modules, "autograd_c.distributed",
                        _fake_dist(True, available=False))
    with pytest.raises(RuntimeError, match="not available"):
        D.DistributedSampler(range(10))


def test_distributed_sampler_with_dataloader(engine):
    ds = D.TensorDataset(ag.tensor(np.arange(10.0)))
    seen = []
    for rank in range(3):
        loader = D.DataLoader(ds, batch_size=2, sampler=D.DistributedSampler(ds, 3, rank, seed=1))
        assert len(loader) == 2
        batches = [b[0] for b in loader]
        assert [b.shape for b in batches] == [(2,), (2,)]
        seen += [v for b in batches for v in b.tolist()]
    assert sorted(set(seen)) == [float(i) for i in range(10)] and len(seen) == 12


# -- samplers -------------------------------------------------------------------------
@needs_torch
def test_sequential_and_batch_sampler_equal_torch():
    for n in [0, 1, 5, 10, 11]:
        assert list(D.SequentialSampler(range(n))) == list(TD.SequentialSampler(range(n)))
        for bs in [1, 3, 5, 20]:
            for drop_last in [False, True]:
                ours = D.BatchSampler(D.SequentialSampler(range(n)), bs, drop_last)
                theirs = TD.BatchSampler(TD.SequentialSampler(range(n)), bs, drop_last)
                assert list(ours) == list(theirs)
                assert len(ours) == len(theirs)
    # any iterable works as the inner sampler
    assert list(D.BatchSampler([5, 3, 1, 0], 3, False)) == [[5, 3, 1], [0]]


@pytest.mark.parametrize("bad", [0, -1, 2.0, True, None])
def test_batch_sampler_bad_batch_size(bad):
    with pytest.raises(ValueError, match=f"BatchSampler: batch_size.*{bad}"):
        D.BatchSampler(range(3), bad, False)
    with pytest.raises(ValueError, match="drop_last=1"):
        D.BatchSampler(range(3), 2, 1)


def test_random_sampler_permutations_and_determinism():
    ds = range(13)
    s = D.RandomSampler(ds, generator=Generator().manual_seed(0))
    e1, e2 = list(s), list(s)
    assert sorted(e1) == sorted(e2) == list(ds) and e1 != e2
    s2 = D.RandomSampler(ds, generator=Generator().manual_seed(0))
    assert [list(s2), list(s2)] == [e1, e2]
    assert len(s) == 13
    # more samples than items: whole permutations, then a partial one
    s = D.RandomSampler(ds, num_samples=30, generator=Generator().manual_seed(1))
    idx = list(s)
    assert len(idx) == len(s) == 30
    assert sorted(idx[:13]) == sorted(idx[13:26]) == list(ds)
    assert len(set(idx[26:])) == 4
    # fewer
    assert len(set(D.RandomSampler(ds, num_samples=5)) & set(ds)) == 5


def test_random_sampler_with_replacement():
    s = D.RandomSampler(range(4), replacement=True, num_samples=200,
                        generator=Generator().manual_seed(3))
    idx = list(s)
    assert len(idx) == 200 and set(idx) == {0, 1, 2, 3}
    assert idx == list(D.RandomSampler(range(4), replacement=True, num_samples=200,
                                       generator=Generator().manual_seed(3)))


def test_random_sampler_bad_arguments():
    with pytest.raises(TypeError, match="replacement=1"):
        D.RandomSampler(range(3), replacement=1)
    with pytest.raises(ValueError, match="num_samples=0"):
        D.RandomSampler(range(3), num_samples=0)
    with pytest.raises(ValueError, match="num_samples=0"):
        D.RandomSampler([])                           # as torch: empty dataset refused
    with pytest.raises(TypeError, match="RandomSampler: generator"):
        D.RandomSampler(range(3), generator=5)


def test_samplers_accept_numpy_generators():
    a = list(D.RandomSampler(range(10), generator=np.random.default_rng(4)))
    b = list(D.RandomSampler(range(10), generator=Generator().manual_seed(4)))
    assert a == b


def test_subset_random_sampler():
    idx = [10, 20, 30, 40, 50]
    s = D.SubsetRandomSampler(idx, generator=Generator().manual_seed(0))
    out = list(s)
    assert sorted(out) == idx and len(s) == 5
    assert out == list(D.SubsetRandomSampler(idx, generator=Generator().manual_seed(0)))


def test_weighted_random_sampler():
    w = [0.0, 1.0, 3.0, 0.0]
    s = D.WeightedRandomSampler(w, 4000, generator=Generator().manual_seed(0))
    idx = np.array(list(s))
    assert len(idx) == len(s) == 4000 and set(idx.tolist()) == {1, 2}
    assert abs((idx == 2).mean() - 0.75) < 0.04
    # without replacement every index at most once, zero weights never
    s = D.WeightedRandomSampler([1, 2, 3, 0, 5], 4, replacement=False,
                                generator=Generator().manual_seed(1))
    assert sorted(s) == [0, 1, 2, 4]
    # a Tensor of weights is fine
    assert len(list(D.WeightedRandomSampler(ag.tensor([1.0, 2.0]), 3))) == 3


@pytest.mark.parametrize("args,match", [
    (([1.0, 2.0], 0), "num_samples=0"),
    (([1.0, 2.0], True), "num_samples=True"),
    (([[1.0, 2.0]], 1), r"shape \(1, 2\)"),
    (([1.0, -2.0], 1), "non-negative"),
    (([0.0, 0.0], 1), "not all zero"),
    (([1.0, np.nan], 1), "finite"),
    (([1.0, 0.0, 2.0], 3, False), "num_samples=3 without replacement from 2"),
    (([1.0, 2.0], 1, "yes"), "replacement='yes'"),
])
def test_weighted_random_sampler_bad_arguments(args, match):
    with pytest.raises(ValueError, match="WeightedRandomSampler: .*" + match):
        D.WeightedRandomSampler(*args)


# -- datasets -----------------------------------------------------------------------------
def test_tensor_dataset(engine):
    x = ag.tensor(np.arange(12.0).reshape(6, 2))
    y = ag.tensor(np.arange(6))
    ds = D.TensorDataset(x, y)
    assert len(ds) == 6
    xi, yi = ds[4]
    assert isinstance(xi, engine.Tensor) and xi.tolist() == [8.0, 9.0] and yi.item() == 4
    with pytest.raises(ValueError, match=r"TensorDataset: size mismatch.*\[6, 5\]"):
        D.TensorDataset(x, ag.tensor(np.arange(5)))
    with pytest.raises(ValueError, match="0-d"):
        D.TensorDataset(ag.tensor(1.0))


@needs_torch
def test_concat_dataset_equals_torch():
    parts = [list(range(3)), list(range(10, 15)), [], list(range(20, 22))]
    ours, theirs = D.ConcatDataset(parts), TD.ConcatDataset(parts)
    assert len(ours) == len(theirs) == 10
    assert ours.cumulative_sizes == theirs.cumulative_sizes
    assert [ours[i] for i in range(-10, 10)] == [theirs[i] for i in range(-10, 10)]
    for bad in (10, -11):
        with pytest.raises(IndexError, match=f"ConcatDataset: index {bad}"):
            ours[bad]
    with pytest.raises(ValueError, match="empty"):
        D.ConcatDataset([])
    with pytest.raises(TypeError, match="IterableDataset"):
        D.ConcatDataset([Stream(3)])
    both = Squares(2) + Squares(3)
    assert isinstance(both, D.ConcatDataset) and len(both) == 5 and both[3][1] == 1


def test_chain_and_stack_datasets():
    chained = Stream(2) + Stream(3)
    assert isinstance(chained, D.ChainDataset)
    assert [int(v) for v in chained] == [0, 10, 0, 10, 20] and len(chained) == 5
    st = D.StackDataset(list("abc"), [1, 2, 3])
    assert st[1] == ("b", 2) and len(st) == 3
    st = D.StackDataset(x=list("abc"), y=[1, 2, 3])
    assert st[2] == {"x": "c", "y": 3}
    with pytest.raises(ValueError, match=r"StackDataset: size mismatch.*\[3, 2\]"):
        D.StackDataset([1, 2, 3], [1, 2])


def test_classes_are_generic_like_torch():
    class Ints(D.Dataset[int]):
        def __getitem__(self, i):
            return i

        def __len__(self):
            return 3

    assert isinstance(Ints(), D.Dataset) and Ints()[2] == 2
    assert D.DataLoader[int] is not None and D.Sampler[int] is not None
    assert D.IterableDataset[int] is not None
    with pytest.raises(NotImplementedError, match="Dataset"):
        D.Dataset()[0]
    with pytest.raises(NotImplementedError, match="IterableDataset"):
        iter(D.IterableDataset())


def test_subset():
    sub = D.Subset(list("abcdef"), [5, 0, 2])
    assert len(sub) == 3 and [sub[i] for i in range(3)] == ["f", "a", "c"]
    assert sub.__getitems__([2, 0]) == ["c", "f"]


@needs_torch
@pytest.mark.parametrize("n", [0, 1, 2, 7, 10, 11, 13, 100, 101])
@pytest.mark.parametrize("fracs", [[0.5, 0.5], [0.3, 0.3, 0.4], [0.1, 0.2, 0.7],
                                   [1 / 3] * 3, [0.25] * 4, [1.0], [0.9, 0.1], [0.05, 0.95]])
def test_random_split_fraction_lengths_equal_torch(n, fracs):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = D.random_split(range(n), fracs, generator=Generator().manual_seed(0))
        theirs = TD.random_split(range(n), fracs, generator=torch.Generator().manual_seed(0))
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    flat = [x for s in ours for x in (s[i] for i in range(len(s)))]
    assert sorted(flat) == list(range(n))


def test_random_split_lengths_and_determinism():
    a = D.random_split(range(10), [3, 7], generator=Generator().manual_seed(42))
    b = D.random_split(range(10), [3, 7], generator=Generator().manual_seed(42))
    c = D.random_split(range(10), [3, 7], generator=Generator().manual_seed(43))
    assert [list(s.indices) for s in a] == [list(s.indices) for s in b]
    assert [list(s.indices) for s in a] != [list(s.indices) for s in c]
    assert [len(s) for s in a] == [3, 7] and all(isinstance(s, D.Subset) for s in a)
    assert sorted(a[0].indices + a[1].indices) == list(range(10))
    manual_seed(9)
    d = D.random_split(range(10), [5, 5])
    manual_seed(9)
    assert [s.indices for s in d] == [s.indices for s in D.random_split(range(10), [5, 5])]
    with pytest.warns(UserWarning, match="index 2 is 0"):
        parts = D.random_split(range(2), [0.5, 0.5, 0.0])
    assert [len(p) for p in parts] == [1, 1, 0]


@pytest.mark.parametrize("lengths,exc,match", [
    ([3, 3], ValueError, r"sum of input lengths \(6\).*\(10\)"),
    ([11, -1], ValueError, "non-negative, got -1 at index 1"),
    ([0.5, 0.7], ValueError, "0.5"),
    ([1.2, -0.2], ValueError, "fraction at index 0.*1.2"),
    (["5", 5], TypeError, "str"),
    ([], ValueError, "empty"),
])
def test_random_split_bad_lengths(lengths, exc, match):
    with pytest.raises(exc, match="random_split: .*" + match):
        D.random_split(range(10), lengths)


# -- default_collate / default_convert ------------------------------------------------------------
Point = collections.namedtuple("Point", "x y")


def _samples(lib_tensor):
    return [
        [1, 2, 3],
        [1.5, 2.0],
        [True, False],
        [np.float32(1), np.float32(2)],
        [np.int16(3), np.int16(4)],
        [np.arange(3, dtype=np.int32), np.arange(3, 6, dtype=np.int32)],
        [np.ones((2, 2), np.float32), np.zeros((2, 2), np.float32)],
        [np.array([True]), np.array([False])],
        [np.array(1.0), np.array(2.0)],
        [np.arange(4, dtype=np.uint8)] * 2,
        ["a", "b"],
        [(1, 2.0), (3, 4.0)],
        [[1, np.float64(2)], [3, np.float64(4)]],
        [{"a": 1, "b": (np.zeros(2), "s")}, {"a": 2, "b": (np.ones(2), "t")}],
        [Point(1, "p"), Point(2, "q")],
        [lib_tensor([1.0, 2.0]), lib_tensor([3.0, 4.0])],
    ]


@needs_torch
def test_default_collate_equals_torch(engine):
    ours = _samples(lambda v: ag.tensor(v, dtype=ag.float64))
    theirs = _samples(lambda v: torch.tensor(v, dtype=torch.float64))
    for a, t in zip(ours, theirs):
        same(D.default_collate(a), TD.default_collate(t), engine)


@needs_torch
def test_default_convert_equals_torch(engine):
    for sample in [np.arange(3), np.float32(2.5), (np.zeros(2), 3, "s"),
                   {"k": [np.ones(1, np.float32), 1.5]}, Point(np.arange(2), 1), [1, 2],
                   np.array(["x"])]:
        a, t = D.default_convert(sample), TD.default_convert(sample)
        if isinstance(t, np.ndarray):
            assert a is sample
        else:
            same(a, t, engine)


def test_default_collate_keeps_gradients(engine):
    a = ag.tensor([1.0, 2.0], requires_grad=True)
    b = ag.tensor([3.0, 4.0], requires_grad=True)
    batch = D.default_collate([a, b])
    assert batch.requires_grad
    (batch * ag.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    assert a.grad.tolist() == [1.0, 2.0] and b.grad.tolist() == [3.0, 4.0]


@needs_torch
def test_default_collate_errors_like_torch():
    cases = [
        ([[1, 2], [3]], RuntimeError, "each element in list of batch should be of equal size"),
        ([object(), object()], TypeError, "default_collate: batch must contain.*object"),
        ([np.array(["a"]), np.array(["b"])], TypeError, "default_collate: batch must.*<U1"),
        ([np.zeros(2), np.zeros(3)], RuntimeError, "equal size"),
    ]
    for batch, exc, match in cases:
        with pytest.raises(exc, match=match):
            D.default_collate(batch)
        with pytest.raises(exc):
            TD.default_collate(batch)
    with pytest.raises(RuntimeError, match=r"shapes \[\(1,\), \(2,\)\]"):
        D.default_collate([ag.tensor([1.0]), ag.tensor([1.0, 2.0])])
    with pytest.raises(TypeError, match="mixes Tensors"):
        D.default_collate([ag.tensor([1.0]), np.ones(1)])
    with pytest.raises(ValueError, match="empty batch"):
        D.default_collate([])


# -- DataLoader ---------------------------------------------------------------------------------
@needs_torch
@pytest.mark.parametrize("n", [0, 1, 9, 10])
@pytest.mark.parametrize("batch_size", [1, 3, 10, 16])
@pytest.mark.parametrize("drop_last", [False, True])
def test_dataloader_batches_equal_torch(engine, n, batch_size, drop_last):
    ours = D.DataLoader(Squares(n), batch_size=batch_size, drop_last=drop_last)
    theirs = TD.DataLoader(TSquares(n), batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    got, want = list(ours), list(theirs)
    assert len(got) == len(want) == len(ours)
    for a, t in zip(got, want):
        same(a, t, engine)


@needs_torch
def test_dataloader_tensor_dataset_equals_torch(engine):
    x = np.arange(14.0).reshape(7, 2)
    y = np.arange(7)
    ours = D.DataLoader(D.TensorDataset(ag.tensor(x), ag.tensor(y)), batch_size=3)
    theirs = TD.DataLoader(TD.TensorDataset(torch.tensor(x), torch.tensor(y)), batch_size=3)
    for a, t in zip(ours, theirs, strict=True):
        same(a, t, engine)


def test_dataloader_shuffle_seeded(engine):
    ds = D.TensorDataset(ag.tensor(np.arange(10)))

    def run(seed):
        loader = D.DataLoader(ds, batch_size=4, shuffle=True,
                              generator=Generator().manual_seed(seed))
        return [[b[0].tolist() for b in loader] for _ in range(3)]

    epochs = run(0)
    assert epochs == run(0) and epochs != run(1)
    for ep in epochs:
        assert [len(b) for b in ep] == [4, 4, 2]
        assert sorted(v for b in ep for v in b) == list(range(10))
    assert epochs[0] != epochs[1]
    # without a generator the global seed decides
    manual_seed(5)
    a = [b[0].tolist() for b in D.DataLoader(ds, batch_size=4, shuffle=True)]
    manual_seed(5)
    assert a == [b[0].tolist() for b in D.DataLoader(ds, batch_size=4, shuffle=True)]


def test_dataloader_samplers_and_unbatched(engine):
    ds = Squares(6)
    loader = D.DataLoader(ds, batch_sampler=[[5, 0], [1, 2, 3]])
    batches = list(loader)
    assert len(loader) == 2 and [b[1].tolist() for b in batches] == [[5, 0], [1, 2, 3]]
    loader = D.DataLoader(ds, sampler=[4, 2], batch_size=None)
    items = list(loader)
    assert len(loader) == 2
    x, i = items[0]                                   # default_convert: tuple -> list
    assert isinstance(x, engine.Tensor) and x.tolist() == [4.0, 16.0] and i == 4
    loader = D.DataLoader(ds, batch_size=4, collate_fn=lambda b: [s[1] for s in b])
    assert list(loader) == [[0, 1, 2, 3], [4, 5]]
    # Subset batches go through __getitems__
    calls = []

    class Many(Squares):
        def __getitems__(self, idx):
            calls.append(list(idx))
            return [self[i] for i in idx]

    out = list(D.DataLoader(D.Subset(Many(10), [9, 8, 7]), batch_size=2))
    assert calls == [[9, 8], [7]] and out[0][1].tolist() == [9, 8]


@needs_torch
@pytest.mark.parametrize("batch_size,drop_last", [(1, False), (3, False), (3, True), (None, False)])
def test_dataloader_iterable_dataset_equals_torch(engine, batch_size, drop_last):
    class TStream(TD.IterableDataset):
        def __iter__(self):
            return iter(np.arange(7) * 10)

        def __len__(self):
            return 7

    ours = D.DataLoader(Stream(7), batch_size=batch_size, drop_last=drop_last)
    theirs = TD.DataLoader(TStream(), batch_size=batch_size, drop_last=drop_last)
    got, want = list(ours), list(theirs)
    assert len(ours) == len(theirs) == len(got) == len(want)
    for a, t in zip(got, want):
        same(a, t, engine)
    with pytest.raises(TypeError, match="Stream has no __len__"):
        len(D.DataLoader(Stream(3, with_len=False)))


def test_dataloader_num_workers_runs_in_process(engine):
    ds = Squares(7)
    base = [b[1].tolist() for b in D.DataLoader(ds, batch_size=2)]
    loader = D.DataLoader(ds, batch_size=2, num_workers=3, prefetch_factor=2,
                          persistent_workers=True, pin_memory=True, timeout=5,
                          worker_init_fn=lambda wid: (_ for _ in ()).throw(AssertionError))
    assert [b[1].tolist() for b in loader] == base
    assert D.get_worker_info() is None


@pytest.mark.parametrize("kwargs,match", [
    (dict(num_workers=-1), "num_workers=-1"),
    (dict(timeout=-1), "timeout=-1"),
    (dict(prefetch_factor=2), "prefetch_factor"),
    (dict(persistent_workers=True), "persistent_workers"),
    (dict(batch_size=0), "batch_size=0"),
    (dict(drop_last=None), "drop_last=None"),
    (dict(shuffle=True, sampler=[0, 1]), "sampler option is mutually exclusive with shuffle"),
    (dict(batch_sampler=[[0]], batch_size=2), "batch_sampler option is mutually exclusive"),
    (dict(batch_sampler=[[0]], drop_last=True), "batch_sampler option is mutually exclusive"),
    (dict(batch_size=None, drop_last=True), "drop_last=True"),
])
def test_dataloader_bad_options(kwargs, match):
    with pytest.raises(ValueError, match="DataLoader: .*" + match):
        D.DataLoader(Squares(4), **kwargs)


def test_dataloader_iterable_dataset_refuses_samplers():
    for kwargs in (dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])):
        with pytest.raises(ValueError, match="IterableDataset: expected unspecified " +
                           list(kwargs)[0]):
            D.DataLoader(Stream(3), **kwargs)


def test_dataloader_attributes_frozen():
    loader = D.DataLoader(Squares(4), batch_size=2)
    for name in ("batch_size", "sampler", "dataset", "drop_last"):
        with pytest.raises(ValueError, match=f"{name} attribute should not be set"):
            setattr(loader, name, None)
    loader.collate_fn = D.default_collate                # others stay settable
    it = iter(loader)
    assert len(it) == 2 and iter(it) is it


def test_seeded_training_loop_is_reproducible(engine):
    """manual_seed + random_split + shuffled DataLoader + nn + optim: two runs
    give bit-identical results."""
    from autograd_c import nn, optim

    def run():
        manual_seed(0)
        x = np.random.default_rng(0).normal(size=(60, 3))
        ds = D.TensorDataset(ag.tensor(x), ag.tensor(x @ np.array([[1.0], [-2.0], [0.5]])))
        train, val = D.random_split(ds, [0.75, 0.25])
        model = nn.Linear(3, 1)
        opt = optim.SGD(model.parameters(), lr=0.1)
        loader = D.DataLoader(train, batch_size=8, shuffle=True)
        assert (len(train), len(val), len(loader)) == (45, 15, 6)
        losses = []
        for _ in range(3):
            for xb, yb in loader:
                opt.zero_grad()
                loss = ((model(xb) - yb) ** 2).mean()
                loss.backward()
                opt.step()
                losses.append(loss.item())
        return losses, sorted(val.indices)

    a, b = run(), run()
    assert a == b and a[0][-1] < a[0][0]

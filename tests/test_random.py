"""autograd_c.random: Generator (torch.Generator's API on numpy's PCG64),
manual_seed / seed / initial_seed / default_generator, and the state round trip."""
import copy
import pickle

import numpy as np
import pytest

import autograd_c as ag
from autograd_c import nn
from autograd_c import random as agr
from autograd_c.utils.data import RandomSampler
from conftest import needs_torch


def draws(g, n=5):
    return g.numpy_generator.random(n).tolist()


@needs_torch
def test_fresh_generator_seed_matches_torch():
    import torch
    assert agr.Generator().initial_seed() == torch.Generator().initial_seed() == agr.DEFAULT_SEED
    # an unseeded Generator is deterministic (as torch's is)
    assert draws(agr.Generator()) == draws(agr.Generator())


def test_manual_seed_returns_self_and_reproduces():
    g = agr.Generator()
    assert g.manual_seed(3) is g
    assert g.initial_seed() == 3
    a = draws(g)
    assert draws(agr.Generator().manual_seed(3)) == a
    assert draws(agr.Generator().manual_seed(4)) != a
    # reseeding restarts the stream
    g.manual_seed(3)
    assert draws(g) == a
    assert g.device == "cpu"


@needs_torch
@pytest.mark.parametrize("seed", [0, 1, -1, -(2**63), 2**64 - 1, np.int64(7)])
def test_seed_range_and_negative_wrap_match_torch(seed):
    import torch
    assert agr.Generator().manual_seed(seed).initial_seed() == \
        torch.Generator().manual_seed(int(seed)).initial_seed()


@pytest.mark.parametrize("bad,exc", [(2**64, ValueError), (-(2**63) - 1, ValueError),
                                     (1.5, TypeError), ("3", TypeError), (True, TypeError),
                                     (None, TypeError)])
def test_bad_seeds_raise(bad, exc):
    with pytest.raises(exc, match="seed"):
        agr.Generator().manual_seed(bad)
    with pytest.raises(exc, match="manual_seed"):
        agr.manual_seed(bad)


def test_generator_rejects_other_devices():
    with pytest.raises(ValueError, match="cuda"):
        agr.Generator(device="cuda")


def test_seed_is_fresh_and_recorded():
    g = agr.Generator()
    s1 = g.seed()
    assert g.initial_seed() == s1
    a = draws(g)
    assert draws(agr.Generator().manual_seed(s1)) == a
    s2 = g.seed()
    assert s1 != s2 and 0 <= s1 < 2**64 and 0 <= s2 < 2**64


def test_state_round_trip(engine):
    g = agr.Generator().manual_seed(11)
    draws(g, 3)
    g.numpy_generator.random(dtype=np.float32)      # leaves a buffered uint32 in PCG64
    state = g.get_state()
    assert isinstance(state, ag.Tensor) and isinstance(state, engine.Tensor)
    assert state.dtype == np.uint8 and state.shape == (56,)
    a = draws(g)
    g.manual_seed(99)
    assert g.set_state(state) is g
    assert g.initial_seed() == 11
    assert draws(g) == a
    # a state also restores into another generator, and from a plain array
    h = agr.Generator().set_state(state.numpy())
    assert h.initial_seed() == 11 and draws(h) == a
    # get_state is a snapshot: drawing afterwards does not change it
    before = state.numpy().copy()
    draws(g)
    np.testing.assert_array_equal(state.numpy(), before)


def test_bad_states_raise():
    g = agr.Generator()
    with pytest.raises(TypeError, match="set_state"):
        g.set_state([1, 2, 3])
    with pytest.raises(ValueError, match="shape"):
        g.set_state(np.zeros(10, dtype=np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        g.set_state(np.zeros(56, dtype=np.int64))
    with pytest.raises(ValueError, match="increment"):
        g.set_state(np.zeros(56, dtype=np.uint8))


def test_module_functions_drive_default_generator():
    assert agr.manual_seed(5) is agr.default_generator
    assert agr.initial_seed() == 5
    a = draws(agr.default_generator)
    agr.manual_seed(5)
    assert draws(agr.default_generator) == a
    s = agr.seed()
    assert agr.initial_seed() == s
    st = agr.get_rng_state()
    b = draws(agr.default_generator)
    agr.set_rng_state(st)
    assert draws(agr.default_generator) == b


def test_manual_seed_keeps_layer_init_reproducible(engine):
    agr.manual_seed(0)
    w1 = nn.Linear(3, 4).weight.detach().numpy().copy()
    agr.manual_seed(0)
    w2 = nn.Linear(3, 4).weight.detach().numpy().copy()
    agr.manual_seed(1)
    w3 = nn.Linear(3, 4).weight.detach().numpy().copy()
    np.testing.assert_array_equal(w1, w2)
    assert not np.array_equal(w1, w3)
    # and the nn.init path that ag.manual_seed uses today agrees with it
    ag.manual_seed(0)
    np.testing.assert_array_equal(nn.Linear(3, 4).weight.detach().numpy(), w1)


def test_manual_seed_makes_unseeded_samplers_reproducible():
    agr.manual_seed(123)
    a = [list(RandomSampler(range(20))) for _ in range(2)]
    agr.manual_seed(123)
    b = [list(RandomSampler(range(20))) for _ in range(2)]
    assert a == b and a[0] != a[1]


def test_generator_forwards_numpy_methods(engine):
    g = agr.Generator().manual_seed(2)
    x = g.normal(0.0, 1.0, size=4)
    assert x.tolist() == np.random.default_rng(2).normal(0.0, 1.0, size=4).tolist()
    # so it works as the generator= of layers that take a numpy generator
    w1 = nn.Linear(3, 2, generator=agr.Generator().manual_seed(4)).weight.detach().numpy()
    w2 = nn.Linear(3, 2, generator=agr.Generator().manual_seed(4)).weight.detach().numpy()
    np.testing.assert_array_equal(w1, w2)
    with pytest.raises(AttributeError, match="no_such_method"):
        _ = g.no_such_method


def test_copy_and_pickle_continue_the_stream():
    g = agr.Generator().manual_seed(8)
    draws(g, 2)
    for h in (copy.deepcopy(g), pickle.loads(pickle.dumps(g))):
        assert h.initial_seed() == 8
        assert draws(h) == draws(copy.deepcopy(g))
    assert "initial_seed=8" in repr(g)


def test_randperm(engine):
    p = agr.randperm(10, generator=agr.Generator().manual_seed(0))
    assert isinstance(p, engine.Tensor) and p.dtype == np.int64
    assert sorted(p.tolist()) == list(range(10))
    assert p.tolist() == agr.randperm(10, generator=agr.Generator().manual_seed(0)).tolist()
    assert agr.randperm(0).tolist() == []
    with pytest.raises(ValueError, match="randperm"):
        agr.randperm(-1)
    with pytest.raises(TypeError, match="generator"):
        agr.randperm(3, generator=42)

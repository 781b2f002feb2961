"""Regression tests for issue 11 (reliability): one test per item,
``test_item_NN_...``; on both engines where the item applies."""
import asyncio
import copy
import gc
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import threading
import time
import weakref

import numpy as np
import pytest

import autograd_c as ag
from autograd_c import engines, nn

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(os.path.dirname(HERE), "src")


def needs_c():
    if "c" not in engines.available:
        pytest.skip("compiled engine not built")
    return engines.available["c"]


def run_child(code, timeout=60):
    """Run ``code`` in a fresh interpreter (a crash there must not take the
    test run down); return the CompletedProcess."""
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=timeout)


# -- 13 ---------------------------------------------------------------------

def test_item_13_grad_mode_decorators(engine):
    x = ag.Tensor([1.0, 2.0], requires_grad=True)

    @ag.set_grad_enabled(False)
    def f(t):
        assert not ag.is_grad_enabled()
        return t * 2

    # decorating must not switch recording off for the thread
    assert ag.is_grad_enabled()
    assert (x * 2).requires_grad
    assert not f(x).requires_grad
    assert ag.is_grad_enabled()

    @ag.no_grad()
    def gen(t):
        for _ in range(2):
            assert not ag.is_grad_enabled()
            got = yield t * 3
            assert not ag.is_grad_enabled()
        return got

    g = gen(x)
    assert ag.is_grad_enabled()
    first = next(g)
    assert not first.requires_grad
    assert ag.is_grad_enabled()          # restored at the yield
    assert (x * 2).requires_grad
    g.send(1)
    with pytest.raises(StopIteration) as info:
        g.send(5)
    assert info.value.value == 5
    assert ag.is_grad_enabled()

    @ag.no_grad()
    async def coro(t):
        assert not ag.is_grad_enabled()
        await asyncio.sleep(0)
        assert not ag.is_grad_enabled()
        return t * 4

    async def main():
        task = asyncio.ensure_future(coro(x))
        await asyncio.sleep(0)
        # the coroutine is suspended: recording is on here
        assert ag.is_grad_enabled()
        assert (x * 2).requires_grad
        return await task

    out = asyncio.run(main())
    assert not out.requires_grad
    assert ag.is_grad_enabled()

    with ag.set_grad_enabled(False):
        assert not ag.is_grad_enabled()
    assert ag.is_grad_enabled()


# -- 17 ---------------------------------------------------------------------

def test_item_17_load_state_dict_validates_before_assigning(engine):
    m = nn.Linear(2, 3)
    before = {k: v.copy() for k, v in m.state_dict().items()}
    names = list(before)
    bad = {names[0]: np.ones(before[names[0]].shape),
           names[1]: np.ones(before[names[1]].shape) * (1 + 1j)}     # complex: cannot cast
    with pytest.raises(nn.StateDictError, match=repr(names[1])):
        m.load_state_dict(bad)
    for k, v in m.state_dict().items():
        assert np.array_equal(v, before[k]), f"{k} was changed by a failed load"
    bad[names[1]] = [[1.0], [2.0, 3.0]]                              # ragged
    with pytest.raises(nn.StateDictError, match=repr(names[1])):
        m.load_state_dict(bad)
    for k, v in m.state_dict().items():
        assert np.array_equal(v, before[k])
    # a good one still loads
    m.load_state_dict({k: np.full(v.shape, 2.0) for k, v in before.items()})
    assert all((v == 2.0).all() for v in m.state_dict().values())


# -- 20 ---------------------------------------------------------------------

@pytest.mark.parametrize("root", [
    {"dict": 5},
    {"dict": [[1]]},
    {"dict": [[[1], {"v": 1}]]},
    {"list": 3},
    {"f": 1.5},
    {"f": "abc"},
    {"array": ["a0"]},
    {"v": [1, 2]},
    "deep",
])
def test_item_20_malformed_manifest(engine, tmp_path, root):
    from autograd_c.serialization import _FORMAT, _MANIFEST, SerializationError
    import json
    path = tmp_path / "bad.npz"
    if root == "deep":
        text = '{"format": "%s", "root": ' % _FORMAT + '{"list": [' * 100000 + ']}' * 100000 + "}"
    else:
        text = json.dumps({"format": _FORMAT, "root": root})
    blob = np.frombuffer(text.encode(), dtype=np.uint8)
    with open(path, "wb") as f:
        np.savez(f, a0=np.zeros(2), **{_MANIFEST: blob})
    with pytest.raises(SerializationError, match=str(path).replace("\\", "\\\\")):
        ag.load(path)
    # nested deep inside a valid structure too
    if root != "deep":
        text = json.dumps({"format": _FORMAT, "root": {"list": [{"v": 1}, {"dict": [["k", root]]}]}})
        with open(path, "wb") as f:
            np.savez(f, a0=np.zeros(2), **{_MANIFEST: np.frombuffer(text.encode(), dtype=np.uint8)})
        with pytest.raises(SerializationError, match="bad.npz"):
            ag.load(path)


# -- 19 ---------------------------------------------------------------------

def test_item_19_numpy_error_subclasses_reworded(engine):
    t = ag.Tensor(np.arange(3))
    with pytest.raises(TypeError, match=r"in-place add.*\(3,\).*int64") as info:
        t += 1.5
    assert "missing" not in str(info.value)
    assert t.tolist() == [0, 1, 2]
    x = ag.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"add.*\(2,\)") as info:
        x + "a"
    assert "missing" not in str(info.value)
    with pytest.raises(TypeError, match=r"add.*\(2,\)"):
        "a" + x
    # numpy exceptions that take one message still come through as themselves
    with pytest.raises(np.exceptions.AxisError, match=r"sum"):
        x.sum(axis=3)

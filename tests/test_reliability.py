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

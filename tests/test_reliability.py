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
SRC = os.path.dirname(os.path.dirname(os.path.abspath(ag.__file__)))


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
    before = {k: v.numpy().copy() for k, v in m.state_dict().items()}
    names = list(before)
    bad = {names[0]: np.ones(before[names[0]].shape),
           names[1]: np.ones(before[names[1]].shape) * (1 + 1j)}     # complex: cannot cast
    with pytest.raises(nn.StateDictError, match=repr(names[1])):
        m.load_state_dict(bad)
    for k, v in m.state_dict().items():
        assert np.array_equal(v.numpy(), before[k]), f"{k} was changed by a failed load"
    bad[names[1]] = [[1.0], [2.0, 3.0]]                              # ragged
    with pytest.raises(nn.StateDictError, match=repr(names[1])):
        m.load_state_dict(bad)
    for k, v in m.state_dict().items():
        assert np.array_equal(v.numpy(), before[k])
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
    import json

    from autograd_c.serialization import _FORMAT, _MANIFEST, SerializationError
    path = tmp_path / "bad.npz"
    if root == "deep":
        text = '{"format": "%s", "root": ' % _FORMAT + '{"list": [' * 100000 + ']}' * 100000 + "}"  # noqa: UP031
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


# -- 1 ----------------------------------------------------------------------

def test_item_01_backward_of_other_engine_tensor():
    needs_c()
    r = run_child("""
        import numpy as np, pytest
        import autograd_c as ag
        C = ag.engines.available["c"]
        P = ag.engines.available["python"]
        for t in (P.Tensor(1.0, requires_grad=True),
                  (P.Tensor(np.ones(3), requires_grad=True) * 2).sum(),
                  "not a tensor", None):
            with pytest.raises(TypeError, match="backward.*'c' engine"):
                C.backward(t, None)
        for t in (C.Tensor(np.ones(3), requires_grad=True),
                  (C.Tensor(np.ones(3), requires_grad=True) * 2).sum()):
            with pytest.raises(TypeError, match="backward.*'python' engine"):
                P.backward(t, None)
        print("ok")
    """)
    assert r.returncode == 0 and r.stdout.strip() == "ok", (r.returncode, r.stderr[-2000:])


# -- 2 ----------------------------------------------------------------------

@pytest.mark.parametrize("eng", ["c", "python"])
def test_item_02_million_deep_grad_chain_is_freed(eng):
    if eng == "c":
        needs_c()
    r = run_child(f"""
        import numpy as np
        import autograd_c as ag
        E = ag.engines.available[{eng!r}]
        shared = np.zeros(1)
        t = E.Tensor(shared)
        for i in range(1_000_000):
            u = E.Tensor(shared)
            u.grad = t
            t = u
        # and a chain through _base links
        for i in range(1_000_000):
            u = E.Tensor(shared)
            u._base = t
            t = u
        del t, u
        print("ok")
    """, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "ok", (r.returncode, r.stderr[-2000:])


# -- 3 ----------------------------------------------------------------------

def test_item_03_bare_node_does_not_crash():
    needs_c()
    r = run_child("""
        import numpy as np, pytest
        import autograd_c as ag
        C = ag.engines.available["c"]
        t = C.Tensor(np.ones(3), requires_grad=True)
        t._node = C.Node()
        with pytest.raises(RuntimeError, match="not recorded by an op"):
            t.sum().backward()
        with pytest.raises(RuntimeError, match="not recorded by an op"):
            t.backward(np.ones(3))
        repr(t._node); t._node.name; t._node.op
        t._node = None
        t.sum().backward()
        assert t.grad.tolist() == [1.0, 1.0, 1.0]
        print("ok")
    """)
    assert r.returncode == 0 and r.stdout.strip() == "ok", (r.returncode, r.stderr[-2000:])


# -- 6 and 23 ---------------------------------------------------------------

def test_item_06_23_grad_of_another_engine_is_refused(engine):
    needs_c()
    other = engines.available["python" if engine.name == "c" else "c"]
    w = ag.Tensor(np.ones(2), requires_grad=True)
    big = other.Tensor(np.arange(6.0).reshape(3, 2))
    for value in (big[0], other.Tensor(np.ones(2))):
        with pytest.raises(TypeError, match="engine"):
            w.grad = value
        assert w.grad is None
    (w * 3.0).sum().backward()
    assert w.grad.tolist() == [3.0, 3.0]
    # set behind the setter's back: still a clear error, not a crash
    w._grad = np.ones(2)
    try:
        (w * 3.0).sum().backward()
    except TypeError as e:
        assert "grad" in str(e)


# -- 4 ----------------------------------------------------------------------

@pytest.mark.parametrize("eng", ["c", "python"])
def test_item_04_fork_while_another_thread_commits(eng):
    if eng == "c":
        needs_c()
    r = run_child(f"""
        import os, threading, time
        import numpy as np
        import autograd_c as ag
        ag.set_engine({eng!r})
        stop = False
        w = ag.Tensor(np.ones(4_000_000), requires_grad=True)

        def worker():
            while not stop:
                (w * 1.0).sum().backward()      # mostly in the commit (a big add)

        th = threading.Thread(target=worker)
        th.start()
        time.sleep(0.2)
        hung = 0
        for i in range(15):
            time.sleep(0.01)
            pid = os.fork()
            if pid == 0:
                v = ag.Tensor(np.ones(3), requires_grad=True)
                (v * 2.0).sum().backward()
                os._exit(0 if v.grad.tolist() == [2.0] * 3 else 3)
            deadline = time.monotonic() + 5
            while True:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    assert os.waitstatus_to_exitcode(status) == 0
                    break
                if time.monotonic() > deadline:
                    os.kill(pid, 9)
                    os.waitpid(pid, 0)
                    hung += 1
                    break
                time.sleep(0.01)
        stop = True
        th.join()
        print("hung", hung)
    """, timeout=200)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == "hung 0"


# -- 11 and 22 --------------------------------------------------------------

class _PyIdentity(ag.Function):
    """Python code in the backward pass: a place where threads switch."""

    @staticmethod
    def forward(ctx, x):
        return x * 1.0

    @staticmethod
    def backward(ctx, g):
        for _ in range(3):
            g = g * 1.0
        return g


def test_item_11_22_two_threads_backward_one_graph(engine):
    """One thread frees the graph while another runs through it: each call
    either raises the clear 'second time' error or returns, and w.grad is
    exactly the sum of the passes that returned."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    bad = []
    try:
        for trial in range(300):
            w = ag.Tensor(np.arange(1.0, 4.0), requires_grad=True)
            h = w
            for _ in range(30):
                h = _PyIdentity.apply((h * 1.0 + w).tanh() * 2.0)
            loss = h.sum()
            # reference gradient of one pass
            wr = ag.Tensor(w.data.copy(), requires_grad=True)
            hr = wr
            for _ in range(30):
                hr = _PyIdentity.apply((hr * 1.0 + wr).tanh() * 2.0)
            hr.sum().backward()
            ref = wr.grad.data
            ok = []
            errs = []
            barrier = threading.Barrier(2)

            def run(retain):
                barrier.wait()
                try:
                    loss.backward(retain_graph=retain)
                    ok.append(retain)
                except Exception as e:  # noqa: BLE001 - every other error is a bug
                    errs.append(f"{type(e).__name__}: {e}")

            ts = [threading.Thread(target=run, args=(r,)) for r in (True, False)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            for e in errs:
                if "backward through the graph a second time" not in e:
                    bad.append(e)
            expect = ref * len(ok)
            got = np.zeros(3) if w.grad is None else w.grad.data
            if not np.allclose(got, expect, rtol=1e-12, atol=0):
                bad.append(f"trial {trial}: {len(ok)} passes returned, w.grad={got}, one pass={ref}")
    finally:
        sys.setswitchinterval(old)
    assert not bad, bad[:5]


# -- 27 ---------------------------------------------------------------------

class _Interrupted(Exception):
    pass


def _with_alarm(seconds, fn):
    def handler(signum, frame):
        raise _Interrupted()
    old = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        t0 = time.perf_counter()
        try:
            fn()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        return time.perf_counter() - t0
    finally:
        signal.signal(signal.SIGALRM, old)


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs setitimer")
def test_item_27_signal_interrupts_backward(engine):
    # a long chain of cheap nodes
    x = ag.Tensor(np.ones(4), requires_grad=True)
    h = x
    for _ in range(300_000):
        h = h * 1.0
    loss = h.sum()
    with pytest.raises(_Interrupted):
        _with_alarm(0.01, loss.backward)
    assert x.grad is None
    del h, loss
    # a few slow nodes: interrupted at the next node boundary
    rng = np.random.default_rng(0)
    a = ag.Tensor(rng.standard_normal((1200, 1200)), requires_grad=True)
    m = ag.Tensor(rng.standard_normal((1200, 1200)))
    h = a
    for _ in range(12):
        h = h @ m
    loss = h.sum()
    t_full = time.perf_counter()  # noqa: F841
    with pytest.raises(_Interrupted):
        _with_alarm(0.01, loss.backward)
    assert a.grad is None


# -- 10 ---------------------------------------------------------------------

def test_item_10_vjp_fn_from_threads(engine):
    rng = np.random.default_rng(0)
    W = rng.standard_normal((6, 5))
    x0 = rng.standard_normal((4, 6))
    out, vjp_fn = ag.vjp(lambda x: _PyIdentity.apply((x @ ag.Tensor(W)).tanh()) * 3.0, x0)
    cts = [rng.standard_normal(out.shape) for _ in range(8)]
    refs = [vjp_fn(ct)[0] for ct in cts]
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    bad = []

    def worker(tid):
        try:
            for k in range(300):
                i = (tid + k) % len(cts)
                g = vjp_fn(cts[i])[0]
                if not np.array_equal(g, refs[i]):
                    bad.append(f"thread {tid} call {k}: wrong gradient")
        except Exception as e:  # noqa: BLE001
            bad.append(f"thread {tid}: {type(e).__name__}: {e}")

    try:
        ts = [threading.Thread(target=worker, args=(t,)) for t in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    finally:
        sys.setswitchinterval(old)
    assert not bad, bad[:5]


# -- 16 ---------------------------------------------------------------------

def test_item_16_mixed_precision_sums_identical_across_engines(both_engines):
    import itertools

    from autograd_c.ops import Op
    # a rule that hands a float64 gradient to a float32 input
    up = Op("test.up64", lambda x: (x.copy(), None),
            lambda ctx, g, needs: ((g * 1.0000001).astype(np.float64),))
    x0 = np.random.default_rng(0).standard_normal(1000).astype(np.float32)

    def run(E, order):
        x = E.Tensor(x0, requires_grad=True)
        terms = {"a": lambda: (x * 1.1).sum(), "b": lambda: (x * 1.3).sum(),
                 "U": lambda: E.apply(up, (x,), None).sum(),
                 "V": lambda: (E.apply(up, (x,), None) * 0.3).sum()}
        loss = None
        for k in order:
            t = terms[k]()
            loss = t if loss is None else loss + t
        loss.backward()
        return x.grad.data

    C, P = both_engines
    for order in itertools.permutations("abUV"):
        gc_, gp = run(C, order), run(P, order)
        assert gc_.dtype == gp.dtype == np.float32
        assert np.array_equal(gc_, gp), order


# -- 24 ---------------------------------------------------------------------

class MyT(ag.Tensor):
    def double(self):
        return self * 2.0


class Tagged(ag.Tensor):
    def __init__(self, data, tag):
        super().__init__(data, requires_grad=True)
        self.tag = tag


class Neg(ag.Tensor):
    __slots__ = ()

    def __neg__(self):
        return "overridden"


class MyP(nn.Parameter):
    pass


def test_item_24_subclasses_of_tensor_and_parameter(engine):
    t = MyT(np.ones(3), requires_grad=True)
    assert isinstance(t, MyT) and isinstance(t, ag.Tensor) and type(t).__name__ == "MyT"
    assert isinstance(t, engine.Tensor)
    y = (t * t).sum() + t.double().sum()
    y.backward()
    assert t.grad.tolist() == [4.0] * 3
    s = Tagged([1.0, 2.0], tag="a")
    assert s.tag == "a" and s.requires_grad
    (s * 3.0).sum().backward()
    assert s.grad.tolist() == [3.0, 3.0]
    assert -Neg([1.0]) == "overridden"
    p = MyP(np.ones(2))
    assert isinstance(p, MyP) and isinstance(p, nn.Parameter) and p.requires_grad
    (p * 3.0).sum().backward()
    assert p.grad.tolist() == [3.0, 3.0]

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = MyP(np.ones((2, 2)))

    m = M()
    assert [n for n, _ in m.named_parameters()] == ["w"]
    with ag.no_grad():
        p -= 1.0
    assert p.tolist() == [0.0, 0.0]
    # the concrete class is built once per engine
    assert type(MyT([1.0])) is type(t)


# -- 21 ---------------------------------------------------------------------

class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1 = nn.Linear(3, 4)
        self.l2 = nn.Linear(4, 2)
        self.extra = MyP(np.arange(2.0))
        self.shared = [self.l1]             # the same module twice

    def forward(self, x):
        return self.l2(self.l1(x).tanh()) * self.extra


def test_item_21_deepcopy_and_pickle(engine):
    m = _Net()
    x = ag.Tensor(np.ones((2, 3)))
    m(x).sum().backward()
    for m2 in (copy.deepcopy(m), pickle.loads(pickle.dumps(m))):
        ps, ps2 = list(m.named_parameters()), list(m2.named_parameters())
        assert [n for n, _ in ps] == [n for n, _ in ps2]
        for (n, p), (_, q) in zip(ps, ps2):
            assert type(q) is type(p) and isinstance(q, engine.Tensor), n
            assert q is not p and q.data is not p.data and np.array_equal(q.data, p.data)
            assert q.requires_grad and q.is_leaf
            assert np.array_equal(q.grad.data, p.grad.data) and q.grad is not p.grad
        assert m2.shared[0] is m2.l1
        # the copy trains on its own
        m2(x).sum().backward()
        assert np.array_equal(m2.l1.weight.grad.data, 2 * m.l1.weight.grad.data)
        with ag.no_grad():
            m2.l1.weight -= 1.0
        assert not np.array_equal(m2.l1.weight.data, m.l1.weight.data)
    t = Tagged([1.0, 2.0], tag="z")
    for t2 in (copy.deepcopy(t), pickle.loads(pickle.dumps(t))):
        assert type(t2) is type(t) and t2.tag == "z" and t2.tolist() == [1.0, 2.0]
    plain = ag.Tensor(np.arange(3), dtype=np.int32)
    for t2 in (copy.deepcopy(plain), pickle.loads(pickle.dumps(plain))):
        assert type(t2) is type(plain) and t2.dtype == np.int32 and not t2.requires_grad
    # like torch: a non-leaf cannot be deep-copied or pickled
    y = m.l1.weight * 2.0
    with pytest.raises(RuntimeError, match="leaf"):
        copy.deepcopy(y)
    with pytest.raises(RuntimeError, match="leaf"):
        pickle.dumps(y)
    assert copy.deepcopy(y.detach()).tolist() == y.tolist()


@pytest.mark.parametrize("retain", [False, True])
def test_failed_backward_writes_no_grad(engine, retain):
    """A pass that raises part-way writes no .grad; the nodes it ran have freed
    their saved values unless retain_graph, as in torch, so a retry either
    raises the second-time error or gives torch's gradient."""
    torch = pytest.importorskip("torch")
    results = {}
    for lib in ("ours", "torch"):
        mod = ag if lib == "ours" else torch
        w = mod.tensor([0.5, -1.0, 2.0], dtype=mod.float64, requires_grad=True)
        h = w.sin() * w
        fail = [True]

        def hook(g, fail=fail):
            if fail[0]:
                raise ValueError("hook failed")
            return g

        h.register_hook(hook)
        loss = (h * h).sum()
        with pytest.raises(ValueError, match="hook failed"):
            loss.backward(retain_graph=retain)
        assert w.grad is None
        fail[0] = False
        if retain:
            loss.backward()
            results[lib] = w.grad.detach().numpy().copy()
        else:
            with pytest.raises(RuntimeError, match="second time"):
                loss.backward()
    if retain:
        np.testing.assert_allclose(results["ours"], results["torch"], rtol=1e-12)


# -- 18 ---------------------------------------------------------------------

class _Keep(ag.Function):
    @staticmethod
    def forward(ctx, x, owner):
        ctx.owner = owner
        return x * 2.0

    @staticmethod
    def backward(ctx, g):
        return g * 2.0, None


class _SaveOut(ag.Function):
    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y


class _Owner:
    pass


def test_item_18_cycles_through_function_ctx_are_collected(engine):
    gc.collect()
    refs = []
    for i in range(300):
        x = ag.Tensor(np.ones(3), requires_grad=True)
        o = _Owner()
        o.out = _Keep.apply(x, o)                   # o -> out -> node -> ctx -> o
        o.more = (o.out * 3.0).tanh()               # ordinary nodes downstream of it
        refs.append(weakref.ref(o))
        if i % 2:
            o.more.sum().backward(retain_graph=True)
            assert np.allclose(x.grad.data, 6.0 * (1.0 - np.tanh(6.0) ** 2))
        z = _SaveOut.apply(x)                       # z -> node -> ctx -> z
        refs.append(weakref.ref(z))
        del o, z, x
    gc.collect()
    alive = sum(r() is not None for r in refs)
    assert alive == 0, f"{alive}/{len(refs)} objects in reference cycles were never collected"


def test_item_18_tensor_hook_closure_is_collected(engine):
    # hooks live on the object they watch, which the collector can then see:
    # a hook's closure referring back to its tensor (or to a tensor made from
    # it afterwards) is a collectable cycle, on a leaf, on a non-leaf (the
    # hook is stored on its node) and for post-accumulate-grad hooks
    from autograd_c import hooks
    gc.collect()
    before = (hooks.grad_active[0], hooks.active[0])
    refs = []

    def make(kind):
        t = ag.Tensor(np.ones(3), requires_grad=True)
        if kind == "leaf":
            t.register_hook(lambda g: t)                # t -> hook -> closure -> t
            return weakref.ref(t)
        if kind == "post":
            t.register_post_accumulate_grad_hook(lambda p: t.data)
            return weakref.ref(t)
        if kind == "later":
            box = []
            t.register_hook(lambda g: box[0] * 0 + g)   # t -> hook -> box -> y -> node -> t
            y = t * 2.0
            box.append(y)
            return weakref.ref(y)
        y = t * 2.0                                     # non-leaf: stored on y's node
        y.register_hook(lambda g: y * 0 + g)
        return weakref.ref(y)
    for kind in ("leaf", "post", "later", "nonleaf"):
        for _ in range(50):
            refs.append(make(kind))
    gc.collect()
    assert sum(r() is not None for r in refs) == 0
    assert (hooks.grad_active[0], hooks.active[0]) == before


def test_item_18_hooks_still_run_after_tracking(engine):
    # the same hooks, kept alive, still change the gradient
    t = ag.Tensor(np.ones(3), requires_grad=True)
    t.register_hook(lambda g: g * 3.0)
    y = t * 2.0
    y.register_hook(lambda g: g + 1.0)
    gc.collect()
    y.sum().backward()
    np.testing.assert_array_equal(t.grad.data, np.full(3, 12.0))   # (1 + 1) * 2 * 3


def test_item_18_op_table_graphs_stay_untracked(engine):
    if engine.name != "c":
        pytest.skip("tracking is a compiled-engine detail")
    x = ag.Tensor(np.ones(4), requires_grad=True)
    y = (x * 2.0 + 1.0).tanh().sum()
    assert not gc.is_tracked(x) and not gc.is_tracked(y) and not gc.is_tracked(y.grad_fn)
    z = _Keep.apply(x, _Owner())
    w = z * 2.0
    assert gc.is_tracked(z) and gc.is_tracked(z.grad_fn) and gc.is_tracked(w.grad_fn)

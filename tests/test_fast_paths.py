"""The compiled engine's shortcuts behave exactly as the general code they skip.

Each test runs on both engines (the pure one takes the general path) and checks
values, dtypes, warnings and version counters, including the cases that must
fall back to numpy: floating-point errors, broadcasting, views, other dtypes.
"""
import gc
import threading
import warnings
import weakref

import numpy as np
import pytest

import autograd_c as ag
from autograd_c import grad_mode, ops
from autograd_c.function import Function
from conftest import require_compiled


def _warnings_of(fn):
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        out = fn()
    return out, sorted(str(w.message) for w in got)


def _on_each_engine(fn):
    results = {}
    for name in ("c", "python"):
        if name not in ag.engines.available:
            continue
        with ag.use_engine(name):
            results[name] = _warnings_of(fn)
    return results


def test_gradient_accumulation_overflow_warns_and_matches():
    """x feeds many consumers whose gradients sum past the float64 range."""
    def run():
        x = ag.Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
        big = ag.Tensor(np.array([1e308, -1e308, 1.0]))
        loss = sum(((x * big).sum() for _ in range(4)), ag.Tensor(0.0))
        loss.backward()
        return x.grad.data.copy()
    res = _on_each_engine(run)
    grads = [r[0] for r in res.values()]
    assert all(np.array_equal(g, grads[0]) for g in grads)
    assert np.isinf(grads[0][:2]).all() and grads[0][2] == 4.0
    msgs = [r[1] for r in res.values()]
    assert msgs[0] and all(m == msgs[0] for m in msgs)
    assert any("overflow" in m for m in msgs[0])


@pytest.mark.parametrize("size", [3, 700, 20000])   # stack stage, heap stage, numpy
def test_inplace_update_matches_numpy(engine, size):
    rng = np.random.default_rng(size)
    p0, g0 = rng.standard_normal(size), rng.standard_normal(size)
    p = ag.Tensor(p0.copy(), requires_grad=True)
    g = ag.Tensor(g0)
    v = p.version
    with ag.no_grad():
        p -= 0.1 * g
        p += g
        p *= 2.0
        p /= 3
    expected = p0.copy()
    expected -= 0.1 * g0
    expected += g0
    expected *= 2.0
    expected /= 3
    assert p.data.tobytes() == expected.tobytes()
    assert p.version == v + 4


def test_inplace_overflow_warns_and_matches():
    def run():
        p = ag.Tensor(np.array([1e308, 1.0]), requires_grad=True)
        with ag.no_grad():
            p *= 10.0
        return p.data.copy(), p.version
    res = _on_each_engine(run)
    vals = list(res.values())
    for (data, version), msgs in vals:
        assert np.isinf(data[0]) and data[1] == 10.0 and version == 1
        assert msgs == vals[0][1] and any("overflow" in m for m in msgs)
    with np.errstate(over="raise"):
        for name in ag.engines.available:
            with ag.use_engine(name):
                p = ag.Tensor(np.array([1e308, 1.0]))
                with pytest.raises(FloatingPointError):
                    p *= 10.0
                # numpy writes before it raises: the version says so
                assert np.isinf(p.data[0]) and p.version == 1


def test_inplace_through_a_view_bumps_the_base(engine):
    base = ag.Tensor(np.arange(6.0))
    view = base[1:4]
    with ag.no_grad():
        view += 1.0
    assert base.data.tolist() == [0.0, 2.0, 3.0, 4.0, 4.0, 5.0]
    assert view.version == base.version == 1


def test_inplace_broadcast_and_mixed_dtypes(engine):
    a = ag.Tensor(np.ones((2, 3), dtype=np.float32))
    a += np.arange(3.0)                       # float64 into float32, broadcast
    assert a.dtype == np.float32 and a.data.tolist() == [[1, 2, 3], [1, 2, 3]]
    with pytest.raises(ValueError, match=r"in-place sub.*\(2, 3\)"):
        a -= np.ones(4)
    assert a.version == 1


def test_inplace_on_saved_output_is_still_detected(engine):
    x = ag.Tensor(np.array([0.5, 1.0]), requires_grad=True)
    y = x.exp()
    with ag.no_grad():
        y += 1.0
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.sum().backward()


def test_grad_property(engine):
    t = ag.Tensor(np.zeros(3), requires_grad=True)
    assert t.grad is None
    t.grad = np.ones(3)
    assert isinstance(t.grad, ag.Tensor) and t.grad.data.tolist() == [1.0, 1.0, 1.0]
    t.grad = None
    assert t.grad is None
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        t.grad = np.ones(2)
    with pytest.raises(AttributeError):
        del t.grad


def test_add_and_sub_keep_no_input_data(engine):
    """add/sub need only shapes and dtypes in backward: the inputs' arrays are
    freed as soon as the caller drops them."""
    x = ag.Tensor(np.ones(4), requires_grad=True)
    tmp = np.full(4, 2.0)
    ref = weakref.ref(tmp)
    y = (x + tmp) - tmp * 1.0
    del tmp
    gc.collect()
    assert ref() is None
    y.sum().backward()
    assert x.grad.data.tolist() == [1.0] * 4


def test_broadcast_add_sub_gradients_keep_input_dtypes(engine):
    a = ag.Tensor(np.ones((2, 3)), requires_grad=True)
    b = ag.Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    c = ag.Tensor(np.ones((2, 1)), requires_grad=True)
    ((a + b) - c + 2).sum().backward()
    assert b.grad.dtype == np.float32 and b.grad.data.tolist() == [2.0, 2.0, 2.0]
    assert c.grad.shape == (2, 1) and c.grad.data.tolist() == [[-3.0], [-3.0]]
    assert a.grad.data.tolist() == [[1.0] * 3] * 2


def test_grad_mode_count_returns_to_zero():
    assert grad_mode.nondefault[0] == 0
    with ag.no_grad():
        assert grad_mode.nondefault[0] == 1
        with ag.enable_grad():
            assert grad_mode.nondefault[0] == 0
    try:
        with ag.no_grad():
            raise KeyError
    except KeyError:
        pass
    ag.set_grad_enabled(False)
    ag.set_grad_enabled(False)
    assert grad_mode.nondefault[0] == 1
    ag.set_grad_enabled(True)
    with ag.detect_anomaly():
        with ag.profiler():
            assert grad_mode.nondefault[0] == 1
    assert grad_mode.nondefault[0] == 0

    seen = []

    def worker():
        with ag.no_grad():
            seen.append(grad_mode.nondefault[0])
            y = ag.Tensor(np.ones(2), requires_grad=True) * 2
            seen.append(y.requires_grad)
    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert seen == [1, False] and grad_mode.nondefault[0] == 0


def test_no_grad_in_another_thread_does_not_stop_recording_here(engine):
    inside, release = threading.Event(), threading.Event()

    def worker():
        with ag.no_grad():
            inside.set()
            release.wait(10)
    t = threading.Thread(target=worker)
    t.start()
    inside.wait(10)
    try:
        x = ag.Tensor(np.ones(2), requires_grad=True)
        y = (x * 3).sum()
        assert y.requires_grad
        y.backward()
        assert x.grad.data.tolist() == [3.0, 3.0]
    finally:
        release.set()
        t.join()


def _scale_function(k):
    class Scale(Function):
        @staticmethod
        def forward(ctx, x):
            return x * float(k)

        @staticmethod
        def backward(ctx, g):
            return g * float(k)
    return Scale


def test_many_custom_functions_alternating(engine):
    """More distinct ops than the compiled engine caches, used in turn."""
    fns = [_scale_function(k) for k in range(1, 151)]
    x = ag.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    total = ag.Tensor(0.0)
    for _ in range(2):
        for fn in fns:
            total = total + fn.apply(x).sum()
    total.backward()
    assert x.grad.data.tolist() == [2.0 * sum(range(1, 151))] * 2


def test_compiled_tensors_untracked_but_weakrefable():
    if "c" not in ag.engines.available:
        require_compiled()
    with ag.use_engine("c"):
        t = ag.Tensor(np.ones(2), requires_grad=True)
        y = t * 2
    assert not gc.is_tracked(t) and not gc.is_tracked(y)
    ref = weakref.ref(y)
    del y
    assert ref() is None


@pytest.mark.parametrize("like, g", [
    (np.ones((2, 3)), np.ones((2, 3))),
    (np.ones(3), np.ones((2, 3))),
    (np.ones((2, 1), dtype=np.float32), np.ones((2, 3))),
    (2.5, np.ones((2, 3))),
    (np.ones((2, 3)).T, np.ones((3, 2))),
])
def test_compiled_cast_matches_pure(like, g):
    _ops_c = pytest.importorskip("autograd_c._ops_c._helpers")
    pure, comp = ops._helpers.cast(g, like), _ops_c.cast(g, like)
    assert type(pure) is type(comp) and pure.dtype == comp.dtype and pure.shape == comp.shape
    assert np.array_equal(pure, comp)
    out = np.add(like, np.zeros(np.shape(like)))
    i_pure, i_comp = ops._helpers.cast_info(like, out), _ops_c.cast_info(like, out)
    assert (i_pure is None) == (i_comp is None)


def test_compiled_large_graph_adds_nothing_to_the_collectors_lists():
    """Past a size (10,000 live nodes) a compiled graph leaves no tracked objects
    behind for the cycle collector to walk (what made full collections cost
    seconds on a million-op chain)."""
    if "c" not in ag.engines.available:
        require_compiled()
    with ag.use_engine("c"):
        x = ag.Tensor(np.ones(4), requires_grad=True)
        b = ag.Tensor(np.ones(4))

        def grow(h, n):
            for _ in range(n):        # 5 nodes per round
                h = (h * 1.0 + b).tanh().sum(axis=0, keepdims=True) * np.ones(4)
            return h
        h = grow(x, 2500)
        gc.collect()
        before = len(gc.get_objects())
        h = grow(h, 4000)
        grown = len(gc.get_objects()) - before
        h.sum().backward()
    assert grown < 100, grown
    assert x.grad.shape == (4,)


def test_inplace_overrides_of_a_subclass_are_honoured(engine):
    calls = []

    class Logged(engine.Tensor):
        __slots__ = ()

        def mark_modified(self):
            calls.append("mark_modified")
            super().mark_modified()

    t = Logged(np.ones(3))
    t += 1.0
    t *= 2
    assert calls == ["mark_modified"] * 2 and t.data.tolist() == [4.0] * 3 and t.version == 2


def test_accumulated_grad_keeps_the_leaf_dtype(engine):
    p = ag.Tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    p.grad = ag.Tensor(np.ones(2, dtype=np.float64))       # a user-set grad of another dtype
    (p * 2.0).sum().backward()
    assert p.grad.dtype == np.float32 and p.grad.data.tolist() == [3.0, 3.0]


@pytest.mark.parametrize("keepdims", [None, "", np.False_])
def test_reduction_keepdims_must_be_a_bool_like_numpy_wants(engine, keepdims):
    x = ag.Tensor(np.ones((2, 3)))
    for red in ("sum", "mean"):
        try:
            getattr(np, red)(np.ones((2, 3)), keepdims=keepdims)
            ok = True
        except TypeError:
            ok = False
        if ok:
            getattr(x, red)(keepdims=keepdims)
        else:
            with pytest.raises(TypeError):
                getattr(x, red)(keepdims=keepdims)


def test_ops_are_immutable():
    with pytest.raises(AttributeError, match="immutable"):
        ops.REGISTRY["mul"].forward = lambda a, b: (a, None)


def test_node_built_from_python_does_not_crash():
    if "c" not in ag.engines.available:
        require_compiled()
    n = ag.engines.available["c"].Node()
    assert repr(n) == "<Node None>" and n.op is None and n.name is None


def test_compiled_tensor_keeps_the_c_operator_slots():
    """The compiled Tensor's +, -, *, /, @ and unary - are TensorOps' C slots,
    not CPython's generic by-name slot (which a dunder set on the base class
    after the engine loaded would bring back, about 40 ns an op)."""
    import ctypes
    import platform
    if platform.python_implementation() != "CPython":
        pytest.skip("reads CPython type slots")
    require_compiled()
    C = ag.engines.available["c"]

    def slots(t):
        num = ctypes.c_void_p.from_address(id(t) + 12 * ctypes.sizeof(ctypes.c_void_p)).value
        return [ctypes.c_void_p.from_address(num + i * ctypes.sizeof(ctypes.c_void_p)).value
                for i in (0, 1, 2)]           # nb_add, nb_subtract, nb_multiply

    assert slots(C.Tensor) == slots(C.TensorOps)

"""Bad-input catalogue: every misuse raises the right exception TYPE, with a
MESSAGE naming the op and the shapes/values involved, and leaves everything as
it was (tensor data, versions, .grad, parameters, optimizer state)."""
import copy

import numpy as np
import pytest

import autograd_c as ag
from autograd_c import engines

# --------------------------------------------------------------------------
# snapshots: "nothing changed" is checked, not assumed
# --------------------------------------------------------------------------

def _snap_tensor(t):
    g = None if t.grad is None else (t.grad.data.copy(), t.grad.dtype)
    return (t.data.copy(), t.data.dtype, t._version, t.requires_grad, t.is_leaf, g)


def snapshot(*tensors):
    return [_snap_tensor(t) for t in tensors]


def assert_unchanged(before, *tensors):
    after = snapshot(*tensors)
    assert len(before) == len(after)
    for b, a in zip(before, after):
        np.testing.assert_array_equal(a[0], b[0])
        assert a[1:5] == b[1:5]
        if b[5] is None:
            assert a[5] is None
        else:
            np.testing.assert_array_equal(a[5][0], b[5][0])
            assert a[5][1] == b[5][1]


def expect(exc_type, fn, *needles):
    """Call fn, check the exception type and that every needle is in the message."""
    with pytest.raises(exc_type) as ei:
        fn()
    msg = str(ei.value)
    for n in needles:
        assert str(n) in msg, f"{n!r} not in message: {msg!r}"
    return msg


@pytest.fixture
def ab(engine):
    a = ag.Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    b = ag.Tensor(np.ones((4, 5)), requires_grad=True)
    a.grad = ag.Tensor(np.full((2, 3), 0.5))
    return a, b


# --------------------------------------------------------------------------
# 1-4 shape mismatches in ops
# --------------------------------------------------------------------------

def test_add_shape_mismatch(ab):
    a, b = ab
    before = snapshot(a, b)
    expect(ValueError, lambda: a + b, "add", "(2, 3)", "(4, 5)")
    assert_unchanged(before, a, b)


def test_mul_broadcast_mismatch_reflected(ab):
    a, _ = ab
    before = snapshot(a)
    expect(ValueError, lambda: np.ones((3, 2)) * a, "mul", "(3, 2)", "(2, 3)")
    assert_unchanged(before, a)


def test_matmul_shape_mismatch(ab):
    a, _ = ab
    c = ag.Tensor(np.ones((2, 3)))
    before = snapshot(a, c)
    expect(ValueError, lambda: a @ c, "matmul", "(2, 3)")
    assert_unchanged(before, a, c)


def test_matmul_of_scalar(ab):
    a, _ = ab
    expect(ValueError, lambda: a @ ag.Tensor(2.0), "matmul", "(2, 3)", "()")


def test_reshape_to_wrong_size(ab):
    a, _ = ab
    before = snapshot(a)
    expect(ValueError, lambda: a.reshape(4, 2), "reshape", "(2, 3)", "(4, 2)")
    assert_unchanged(before, a)


def test_transpose_bad_axes(ab):
    a, _ = ab
    expect(ValueError, lambda: a.permute(0, 0), "permute", "(0, 0)", "(2, 3)")


def test_concatenate_mismatched_shapes(ab):
    a, b = ab
    before = snapshot(a, b)
    expect(ValueError, lambda: ag.concatenate([a, b], axis=0), "concatenate", "(2, 3)", "(4, 5)")
    assert_unchanged(before, a, b)


def test_stack_mismatched_shapes(ab):
    a, b = ab
    expect(ValueError, lambda: ag.stack([a, b]), "stack", "(2, 3)", "(4, 5)")


def test_inplace_shape_mismatch(engine):
    c = ag.Tensor(np.ones((2, 3)))
    before = snapshot(c)
    with ag.no_grad():
        expect(ValueError, lambda: c.__iadd__(np.ones((4, 5))), "in-place add", "(2, 3)", "(4, 5)")
    assert_unchanged(before, c)


# --------------------------------------------------------------------------
# 5-10 backward misuse
# --------------------------------------------------------------------------

def test_backward_on_nonscalar_without_grad(ab):
    a, _ = ab
    y = a * 2
    before = snapshot(a)
    expect(RuntimeError, y.backward, "scalar", "(2, 3)")
    assert_unchanged(before, a)
    y.backward(np.ones((2, 3)))          # the graph is still usable
    np.testing.assert_array_equal(a.grad.data, np.full((2, 3), 2.5))


def test_backward_with_grad_of_wrong_shape(ab):
    a, _ = ab
    y = a * 2
    before = snapshot(a)
    expect(RuntimeError, lambda: y.backward(np.ones((3, 2))), "(3, 2)", "(2, 3)")
    expect(RuntimeError, lambda: y.backward(np.ones(6)), "(6,)", "(2, 3)")
    assert_unchanged(before, a)


def test_backward_with_grad_of_wrong_dtype(ab):
    a, _ = ab
    y = a * 2
    before = snapshot(a)
    expect(TypeError, lambda: y.backward(np.ones((2, 3), dtype=np.float32)), "float32", "float64")
    expect(TypeError, lambda: y.backward(np.ones((2, 3), dtype=np.int64)), "int64", "float64")
    assert_unchanged(before, a)


def test_backward_twice_without_retain_graph(ab):
    a, _ = ab
    y = (a * a).sum()
    y.backward()
    before = snapshot(a)
    msg = expect(RuntimeError, y.backward, "second time", "retain_graph")
    assert "'sum'" in msg or "'mul'" in msg
    assert_unchanged(before, a)


def test_backward_on_tensor_that_does_not_require_grad(engine):
    c = ag.Tensor([[1.0, 2.0]])
    s = c.sum()
    expect(RuntimeError, s.backward, "does not require grad", "()")
    expect(RuntimeError, c.backward, "does not require grad", "(1, 2)")
    with ag.no_grad():
        y = ag.Tensor([1.0], requires_grad=True) * 3
    expect(RuntimeError, y.backward, "does not require grad")
    assert c.grad is None


def test_backward_with_grad_from_other_engine(both_engines):
    ce, pe = both_engines
    for mine, other in ((ce, pe), (pe, ce)):
        x = mine.Tensor([1.0, 2.0], requires_grad=True)
        y = x * 3
        expect(TypeError, lambda: y.backward(other.Tensor([1.0, 1.0])), "engine")
        assert x.grad is None


def test_assign_grad_of_wrong_shape(ab):
    a, _ = ab
    before = snapshot(a)

    def assign():
        a.grad = np.ones((3, 2))
    expect(ValueError, assign, "(3, 2)", "(2, 3)")
    assert_unchanged(before, a)


# --------------------------------------------------------------------------
# 11-15 requires_grad on non-float data
# --------------------------------------------------------------------------

@pytest.mark.parametrize("data,needle", [
    ([1, 2, 3], "int64"),
    ([True, False], "bool"),
    (np.array([1, 2], dtype=np.int32), "int32"),
    (np.array([1 + 2j]), "complex128"),
])
def test_requires_grad_on_non_float_data(engine, data, needle):
    expect(TypeError, lambda: ag.Tensor(data, requires_grad=True), "floating point", needle)


@pytest.mark.parametrize("data,needle", [
    ([object(), object()], "object"),
    ("abc", "str"),
    (b"abc", "bytes"),
    ({"a": 1.0}, "object"),
])
def test_requires_grad_on_object_or_str_data(engine, data, needle):
    expect(TypeError, lambda: ag.Tensor(data, requires_grad=True), needle)
    expect(TypeError, lambda: ag.Tensor(data), needle)


def test_requires_grad_setter_on_int_tensor(engine):
    t = ag.Tensor([1, 2, 3])
    before = snapshot(t)

    def turn_on():
        t.requires_grad = True
    expect(TypeError, turn_on, "floating point", "int64")
    assert_unchanged(before, t)


def test_requires_grad_off_on_nonleaf(ab):
    a, _ = ab
    y = a * 2

    def turn_off():
        y.requires_grad = False
    expect(RuntimeError, turn_off, "leaf", "detach")
    assert y.requires_grad


# --------------------------------------------------------------------------
# 16 mixing engines
# --------------------------------------------------------------------------

@pytest.mark.parametrize("opname,fn", [
    ("add", lambda x, y: x + y),
    ("mul", lambda x, y: x * y),
    ("matmul", lambda x, y: x @ y),
    ("concatenate", lambda x, y: ag.concatenate([x, y])),
    ("maximum", lambda x, y: ag.maximum(x, y)),
])
@pytest.mark.parametrize("first", ["c", "python"])
def test_mixing_engines(both_engines, opname, fn, first):
    other = "python" if first == "c" else "c"
    x = engines.available[first].Tensor([1.0, 2.0], requires_grad=True)
    y = engines.available[other].Tensor([3.0, 4.0], requires_grad=True)
    before = snapshot(x, y)
    expect(TypeError, lambda: fn(x, y), opname, f"'{first}'", f"'{other}'", "mix")
    assert_unchanged(before, x, y)


# --------------------------------------------------------------------------
# 17-19 bad axis, bad index
# --------------------------------------------------------------------------

@pytest.mark.parametrize("op,call", [
    ("sum", lambda t: t.sum(axis=2)),
    ("mean", lambda t: t.mean(axis=-3)),
    ("max", lambda t: t.max(axis=5)),
    ("min", lambda t: t.min(axis=(0, 2))),
    ("softmax", lambda t: t.softmax(axis=2)),
    ("log_softmax", lambda t: t.log_softmax(axis=-3)),
])
def test_axis_out_of_range(ab, op, call):
    a, _ = ab
    before = snapshot(a)
    msg = expect(np.exceptions.AxisError, lambda: call(a), op, "out of bounds", "dimension 2")
    assert any(s in msg for s in ("axis 2", "axis -3", "axis 5"))
    assert_unchanged(before, a)


def test_axis_of_wrong_type(ab):
    a, _ = ab
    expect(TypeError, lambda: a.sum(axis=1.5), "sum", "1.5")


def test_repeated_axis(ab):
    a, _ = ab
    expect(ValueError, lambda: a.sum(axis=(1, -1)), "sum", "repeated")


@pytest.mark.parametrize("index,needles", [
    (5, ("getitem", "5", "(2, 3)")),
    ((0, 7), ("getitem", "7", "(2, 3)")),
    ((slice(None), -4), ("getitem", "-4", "(2, 3)")),
    (np.array([0, 2]), ("getitem", "2", "(2, 3)")),
])
def test_index_out_of_range(ab, index, needles):
    a, _ = ab
    before = snapshot(a)
    expect(IndexError, lambda: a[index], *needles)
    assert_unchanged(before, a)


def test_setitem_out_of_range(engine):
    c = ag.Tensor(np.zeros((2, 3)))
    before = snapshot(c)

    def put():
        c[2, 0] = 1.0
    expect(IndexError, put, "setitem", "(2, 3)", "2")
    assert_unchanged(before, c)


def test_too_many_indices(ab):
    a, _ = ab
    expect(IndexError, lambda: a[0, 0, 0], "getitem", "(2, 3)")


def test_clip_without_bounds(ab):
    a, _ = ab
    expect(ValueError, lambda: a.clip(), "clip")


def test_item_on_nonscalar(ab):
    a, _ = ab
    expect(ValueError, a.item, "item", "(2, 3)")


def test_reduce_empty_tensor(engine):
    e = ag.Tensor(np.zeros((0, 3)), requires_grad=True)
    expect(ValueError, lambda: e.max(), "max", "(0, 3)")


# --------------------------------------------------------------------------
# 20 non-finite loss under anomaly mode
# --------------------------------------------------------------------------

def test_nonfinite_loss_under_anomaly_mode(ab):
    a, _ = ab
    before = snapshot(a)
    with ag.detect_anomaly(), np.errstate(divide="ignore", invalid="ignore"):
        loss = (a / 0.0).sum()
        with pytest.raises(ag.AnomalyError) as ei:
            loss.backward()
    assert isinstance(ei.value, RuntimeError)
    assert "not finite" in str(ei.value) and "()" in str(ei.value)
    assert_unchanged(before, a)


# --------------------------------------------------------------------------
# 21-23 modules: load_state_dict, checkpoints (skip until nn / save exist)
# --------------------------------------------------------------------------

def _nn():
    return pytest.importorskip("autograd_c.nn")


def _optim():
    return pytest.importorskip("autograd_c.optim")


def _params_snapshot(model):
    return [(p.data.copy(), None if p.grad is None else p.grad.data.copy())
            for p in model.parameters()]


def _assert_params_unchanged(before, model):
    after = _params_snapshot(model)
    assert len(before) == len(after)
    for (d0, g0), (d1, g1) in zip(before, after):
        np.testing.assert_array_equal(d0, d1)
        if g0 is None:
            assert g1 is None
        else:
            np.testing.assert_array_equal(g0, g1)


def _model(nn):
    m = nn.Linear(3, 2)
    out = m(ag.Tensor(np.ones((4, 3)))).sum()
    out.backward()            # so .grad is populated and must survive the failures
    return m


def _state(sd):
    return {k: np.array(v.data if isinstance(v, ag.Tensor) else v) for k, v in sd.items()}


def test_load_state_dict_missing_key(engine):
    nn = _nn()
    m = _model(nn)
    sd = _state(m.state_dict())
    missing = sorted(sd)[0]
    del sd[missing]
    before = _params_snapshot(m)
    expect((RuntimeError, KeyError), lambda: m.load_state_dict(sd), missing, "issing")
    _assert_params_unchanged(before, m)


def test_load_state_dict_extra_key(engine):
    nn = _nn()
    m = _model(nn)
    sd = _state(m.state_dict())
    sd["bogus.weight"] = np.zeros(3)
    before = _params_snapshot(m)
    expect((RuntimeError, KeyError), lambda: m.load_state_dict(sd), "bogus.weight")
    _assert_params_unchanged(before, m)


def test_load_state_dict_misshaped_key(engine):
    nn = _nn()
    m = _model(nn)
    sd = _state(m.state_dict())
    key = max(sd, key=lambda k: np.ndim(sd[k]))     # the weight
    good_shape = sd[key].shape
    sd[key] = np.zeros(good_shape[::-1] + (1,))
    for k in sd:                                     # everything else would load fine
        if k != key:
            sd[k] = sd[k] + 100.0
    before = _params_snapshot(m)
    expect((RuntimeError, ValueError), lambda: m.load_state_dict(sd), key, str(good_shape),
           str(sd[key].shape))
    # the other, well-formed entries must not have been loaded either (all or nothing)
    _assert_params_unchanged(before, m)


def _save_load():
    if not (hasattr(ag, "save") and hasattr(ag, "load")):
        pytest.skip("autograd_c.save/load not implemented yet")
    return ag.save, ag.load


def test_truncated_checkpoint(engine, tmp_path):
    save, load = _save_load()
    nn = _nn()
    m = _model(nn)
    path = tmp_path / "model.ckpt"
    save(m.state_dict(), str(path))
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    before = _params_snapshot(m)
    with pytest.raises(Exception) as ei:
        m.load_state_dict(load(str(path)))
    assert not isinstance(ei.value, (AttributeError, NameError, AssertionError))
    assert "model.ckpt" in str(ei.value)
    _assert_params_unchanged(before, m)


@pytest.mark.parametrize("content", [b"", b"not a checkpoint at all\n" * 10,
                                     b"PK\x03\x04" + bytes(range(256))])
def test_foreign_checkpoint(engine, tmp_path, content):
    _, load = _save_load()
    path = tmp_path / "foreign.bin"
    path.write_bytes(content)
    with pytest.raises(Exception) as ei:
        load(str(path))
    assert not isinstance(ei.value, (AttributeError, NameError, AssertionError))
    assert "foreign.bin" in str(ei.value)


def test_load_missing_file(engine, tmp_path):
    _, load = _save_load()
    expect(OSError, lambda: load(str(tmp_path / "nope.ckpt")), "nope.ckpt")


# --------------------------------------------------------------------------
# 24-25 optimizers
# --------------------------------------------------------------------------

def _optimizer_classes(optim):
    return [getattr(optim, n) for n in ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad")
            if hasattr(optim, n)]


def test_optimizer_without_parameters(engine):
    optim = _optim()
    for cls in _optimizer_classes(optim):
        expect(ValueError, lambda: cls([], lr=0.1), "empty")


def test_optimizer_negative_learning_rate(engine):
    optim = _optim()
    w = ag.Tensor(np.ones(3), requires_grad=True)
    for cls in _optimizer_classes(optim):
        expect(ValueError, lambda: cls([w], lr=-0.1), "learning rate", "-0.1")


def test_optimizer_state_unchanged_by_failed_step(engine):
    nn = _nn()
    optim = _optim()
    m = _model(nn)
    if not hasattr(optim, "Adam"):
        pytest.skip("no Adam yet")
    opt = optim.Adam(m.parameters(), lr=0.01)
    opt.step()
    state_before = copy.deepcopy(getattr(opt, "state", None))
    before = _params_snapshot(m)
    x = ag.Tensor(np.ones((4, 5)))
    with pytest.raises(ValueError, match="matmul|linear|shape"):
        m(x)                                           # bad input width: forward fails
    _assert_params_unchanged(before, m)
    if state_before is not None:
        assert repr(opt.state) == repr(state_before)

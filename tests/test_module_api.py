"""nn.Module API against torch.nn.Module on both engines: buffers, modes,
named_* iterators, apply, to(dtype), requires_grad_, zero_grad,
state_dict/load_state_dict (keys as torch, atomic validation, named-tuple
result), repr, hooks (forward pre/post, full backward), containers."""
from collections import OrderedDict

import numpy as np
import pytest

import autograd_c as ag
from autograd_c import nn

# compared with torch in float64: layers and Python floats in float64 here
pytestmark = pytest.mark.usefixtures("float64_default")

torch = pytest.importorskip("torch")


def build(m):
    """The same model in either library (``m`` is ``nn`` or ``torch.nn``)."""
    class Net(m.Module):
        def __init__(self):
            super().__init__()
            self.features = m.Sequential(m.Conv2d(2, 4, 3, padding=1), m.BatchNorm2d(4),
                                         m.ReLU(), m.MaxPool2d(2))
            self.register_buffer("scale", ag.tensor(np.full(3, 2.0)) if m is nn
                                 else torch.full((3,), 2.0, dtype=torch.float64))
            self.register_buffer("tmp", (ag.tensor(np.zeros(2)) if m is nn else
                                         torch.zeros(2, dtype=torch.float64)), persistent=False)
            self.heads = m.ModuleDict({"a": m.Linear(16, 3), "b": m.Linear(16, 2, bias=False)})
            self.extra = m.ParameterList([m.Parameter(ag.tensor(np.ones(2)) if m is nn else
                                                      torch.ones(2, dtype=torch.float64))])
            self.norm = m.LayerNorm(3)

        def forward(self, x):
            h = self.features(x).flatten(1)
            return self.norm(self.heads["a"](h) * self.scale), self.heads["b"](h)
    return Net()


@pytest.fixture
def pair(engine):
    tm = build(torch.nn).double()
    om = build(nn)
    om.load_state_dict({k: v.numpy() for k, v in tm.state_dict().items()})
    return om, tm


def test_names_match_torch(pair):
    om, tm = pair
    assert list(om.state_dict()) == list(tm.state_dict())
    assert "tmp" not in om.state_dict() and "scale" in om.state_dict()
    assert [n for n, _ in om.named_parameters()] == [n for n, _ in tm.named_parameters()]
    assert [n for n, _ in om.named_buffers()] == [n for n, _ in tm.named_buffers()]
    assert [n for n, _ in om.named_modules()] == [n for n, _ in tm.named_modules()]
    assert [n for n, _ in om.named_children()] == [n for n, _ in tm.named_children()]
    assert len(list(om.children())) == len(list(tm.children()))
    assert len(list(om.buffers())) == len(list(tm.buffers()))
    assert [n for n, _ in om.named_parameters(prefix="model", recurse=True)][0] == \
        [n for n, _ in tm.named_parameters(prefix="model")][0]
    assert [n for n, _ in om.named_parameters(recurse=False)] == \
        [n for n, _ in tm.named_parameters(recurse=False)]
    assert repr(om).replace("Net", "X") == repr(tm).replace("Net", "X").replace("torch.", "")
    assert om.get_submodule("features.1") is om.features[1]
    assert om.get_parameter("heads.a.weight") is om.heads["a"].weight
    assert om.get_buffer("features.1.running_mean") is om.features[1].running_mean


def test_forward_backward_and_buffers_match(pair):
    om, tm = pair
    x = np.random.default_rng(0).standard_normal((3, 2, 4, 4))
    xo, xt = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    a, b = om(xo)
    ta, tb = tm(xt)
    np.testing.assert_allclose(a.data, ta.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b.data, tb.detach().numpy(), rtol=1e-10, atol=1e-12)
    ((a * a).sum() + b.sum()).backward()
    ((ta * ta).sum() + tb.sum()).backward()
    np.testing.assert_allclose(xo.grad.data, xt.grad.numpy(), rtol=1e-9, atol=1e-12)
    ours = dict(om.named_parameters())
    for n, p in tm.named_parameters():
        if p.grad is None:
            assert ours[n].grad is None
        else:
            np.testing.assert_allclose(ours[n].grad.data, p.grad.numpy(), rtol=1e-9,
                                       atol=1e-12, err_msg=n)
    ob = dict(om.named_buffers())
    for n, v in tm.named_buffers():
        np.testing.assert_allclose(ob[n].data, v.numpy(), rtol=1e-12, err_msg=n)


def test_train_eval_recursive_and_apply(pair):
    om, _ = pair
    assert om.eval() is om
    assert all(not m.training for m in om.modules())
    om.train()
    assert all(m.training for m in om.modules())
    seen = []
    assert om.apply(lambda m: seen.append(type(m).__name__)) is om
    assert seen[-1] == "Net" and seen[0] == "Conv2d"       # children first
    with pytest.raises(ValueError):
        om.train("yes")


def test_to_dtype_double_float(pair):
    om, _ = pair
    params = list(om.parameters())
    om.to(np.float32)
    assert all(p.dtype == np.float32 for p in om.parameters())
    assert [id(p) for p in om.parameters()] == [id(p) for p in params]   # same objects
    assert om.features[1].running_mean.dtype == np.float32
    assert om.features[1].num_batches_tracked.dtype == np.int64          # integer kept
    assert om.scale.dtype == np.float32 and om.tmp.dtype == np.float32
    out = om(np.ones((1, 2, 4, 4), dtype=np.float32))[0]
    assert out.dtype == np.float32
    om.double()
    assert all(p.dtype == np.float64 for p in om.parameters())
    om.float()
    assert om.heads["a"].weight.dtype == np.float32
    assert om.to("cpu") is om and om.to("cpu", np.float64) is om
    assert om.heads["a"].weight.dtype == np.float64
    om.to(dtype=np.float32)
    assert om.norm.weight.dtype == np.float32
    with pytest.raises(RuntimeError):
        om.to("cuda")


def test_requires_grad_and_zero_grad(pair):
    om, _ = pair
    om(np.ones((1, 2, 4, 4)))[0].sum().backward()
    w = om.heads["a"].weight
    assert w.grad is not None
    om.zero_grad(set_to_none=False)
    assert w.grad is not None and np.all(w.grad.data == 0)
    om.zero_grad()
    assert w.grad is None
    om.requires_grad_(False)
    assert not any(p.requires_grad for p in om.parameters())
    om.requires_grad_()
    assert all(p.requires_grad for p in om.parameters())


def test_load_state_dict_result_strict_and_atomic(pair):
    om, tm = pair
    sd = {k: v.numpy() + 1 for k, v in tm.state_dict().items()}
    res = om.load_state_dict(sd)
    assert res.missing_keys == [] and res.unexpected_keys == []
    assert res == ([], [])
    np.testing.assert_array_equal(om.scale.data, sd["scale"])
    before = {k: v.numpy().copy() for k, v in om.state_dict().items()}
    bad = dict(sd)
    del bad["norm.bias"]
    bad["bogus"] = np.zeros(1)
    bad["heads.a.weight"] = np.zeros((2, 2))
    bad = {k: v + 5 for k, v in bad.items()}
    with pytest.raises(RuntimeError) as ei:
        om.load_state_dict(bad)
    msg = str(ei.value)
    assert "norm.bias" in msg and "bogus" in msg and "heads.a.weight" in msg
    assert "Missing key(s)" in msg and "Unexpected key(s)" in msg and "size mismatch" in msg
    for k, v in om.state_dict().items():      # nothing was assigned
        np.testing.assert_array_equal(v.numpy(), before[k])
    del bad["heads.a.weight"]
    res = om.load_state_dict(bad, strict=False)
    assert res.missing_keys == ["heads.a.weight", "norm.bias"] or \
        sorted(res.missing_keys) == ["heads.a.weight", "norm.bias"]
    assert res.unexpected_keys == ["bogus"]
    # torch loads ours back: same keys and values
    tm.load_state_dict({k: torch.tensor(v.numpy()) for k, v in om.state_dict().items()})
    for k, v in tm.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), om.state_dict()[k])


def test_state_dict_options(engine):
    m = nn.Linear(2, 3)
    sd = m.state_dict(prefix="lin.")
    assert list(sd) == ["lin.weight", "lin.bias"]
    kv = m.state_dict(keep_vars=True)
    assert kv["weight"] is m.weight
    sd = m.state_dict()
    sd["weight"][...] = 7.0            # detached, sharing memory, as in torch
    assert np.all(m.weight.data == 7.0)
    assert not sd["weight"].requires_grad and m.weight.requires_grad


def test_register_buffer_semantics(engine):
    m = nn.Module()
    m.register_buffer("b", ag.tensor(np.arange(3.0)))
    assert isinstance(m.b, ag.Tensor) and "b" in m.state_dict()
    m.b = ag.tensor(np.zeros(3))
    assert list(m.state_dict()) == ["b"] and bool((m.state_dict()["b"] == 0).all())
    with pytest.raises(TypeError):
        m.b = 3
    m.register_buffer("n", None)
    assert "n" not in m.state_dict() and m.n is None
    with pytest.raises(KeyError):
        m.register_buffer("a.b", ag.tensor(1.0))
    m.x = 5
    with pytest.raises(KeyError):
        m.register_buffer("x", ag.tensor(1.0))
    del m.b
    assert "b" not in m.state_dict()
    m.c = nn.Buffer(ag.tensor(np.ones(2)), persistent=False)
    assert [n for n, _ in m.named_buffers()] == ["n", "c"][1:] or \
        [n for n, _ in m.named_buffers()] == ["c"]
    assert "c" not in m.state_dict()
    lin = nn.Linear(2, 2)
    with pytest.raises(TypeError):
        lin.weight = ag.tensor(np.zeros((2, 2)))
    lin.weight = nn.Parameter(np.zeros((2, 2)))
    assert np.all(lin.weight.data == 0)


def test_repr_like_torch(engine):
    for build_ in (lambda m: m.Sequential(m.Linear(2, 3), m.ReLU(), m.Dropout(0.2)),
                   lambda m: m.ModuleList([m.Linear(2, 2), m.Linear(2, 2), m.Tanh()]),
                   lambda m: m.Sequential(OrderedDict([("conv", m.Conv2d(1, 2, 3)),
                                                       ("act", m.GELU())])),
                   lambda m: m.ModuleDict({"x": m.Linear(1, 1), "y": m.Identity()}),
                   lambda m: m.TransformerEncoder(m.TransformerEncoderLayer(4, 2, 8), 3),
                   lambda m: m.MultiheadAttention(4, 2),
                   lambda m: m.ModuleList()):
        assert repr(build_(nn)) == repr(build_(torch.nn))


def test_containers_like_torch(engine):
    for build_ in (lambda m: m.Sequential(OrderedDict([("a", m.Linear(2, 3)),
                                                       ("b", m.Linear(3, 1))])),
                   lambda m: m.ModuleDict({"enc": m.Linear(2, 2), "dec": m.Linear(2, 1)}),
                   lambda m: m.ParameterDict({"w": m.Parameter(torch.ones(2) if m is torch.nn
                                                               else ag.tensor(np.ones(2)))})):
        o, t = build_(nn), build_(torch.nn)
        assert list(o.state_dict()) == list(t.state_dict())
    seq = nn.Sequential(OrderedDict([("a", nn.Linear(2, 3)), ("b", nn.ReLU())]))
    assert seq.a is seq[0] and seq["b"] is seq[1] and len(seq) == 2
    assert isinstance(seq[0:1], nn.Sequential) and len(seq[0:1]) == 1
    seq.append(nn.Linear(3, 1))
    assert [n for n, _ in seq.named_parameters()][-1] == "2.bias"
    del seq[0]
    assert [n for n, _ in seq.named_parameters()] == ["1.weight", "1.bias"]
    md = nn.ModuleDict()
    md["x"] = nn.Linear(1, 2)
    assert "x" in md and list(md.keys()) == ["x"] and md.x is md["x"]
    pl = nn.ParameterList([ag.tensor(np.ones(2), requires_grad=True), nn.Parameter(np.zeros(1))])
    assert all(isinstance(p, nn.Parameter) for p in pl)
    assert [n for n, _ in pl.named_parameters()] == ["0", "1"]
    pd = nn.ParameterDict({"a": nn.Parameter(np.ones(1))})
    pd["b"] = nn.Parameter(np.zeros(2))
    assert [n for n, _ in pd.named_parameters()] == ["a", "b"] and pd.b is pd["b"]
    with pytest.raises(TypeError):
        nn.ModuleList([3])


def test_deepcopy_clones_parameters(engine):
    import copy
    m = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    c = copy.deepcopy(m)
    assert c[0].weight is not m[0].weight
    np.testing.assert_array_equal(c[0].weight.data, m[0].weight.data)
    c[0].weight.data[...] = 0
    assert not np.all(m[0].weight.data == 0)
    assert list(c.state_dict()) == list(m.state_dict())


# -- hooks -------------------------------------------------------------------------

def test_forward_hooks_and_handles(engine):
    lin = nn.Linear(3, 2)
    calls = []

    def pre(mod, args):
        calls.append(("pre", mod is lin))
        return (args[0] * 2,)

    def post(mod, args, out):
        calls.append(("post", tuple(args[0].shape)))
        return out + 1

    h1 = lin.register_forward_pre_hook(pre)
    h2 = lin.register_forward_hook(post)
    x = np.ones((4, 3))
    y = lin(x)
    ref = 2 * x @ lin.weight.data.T + lin.bias.data + 1
    np.testing.assert_allclose(y.data, ref)
    assert calls == [("pre", True), ("post", (4, 3))]
    h1.remove()
    h2.remove()
    np.testing.assert_allclose(lin(x).data, x @ lin.weight.data.T + lin.bias.data)
    with lin.register_forward_hook(lambda m, a, o: o * 0):
        assert np.all(lin(x).data == 0)
    assert not np.all(lin(x).data == 0)
    h = lin.register_forward_pre_hook(lambda m, a, k: ((a[0] * 0,), k), with_kwargs=True)
    np.testing.assert_allclose(lin(x).data, np.broadcast_to(lin.bias.data, (4, 2)))
    h.remove()


def _torch_hook_run(model_t, module_t, x, replace):
    rec = {}

    def hook(mod, gin, gout):
        rec["gin"] = [None if g is None else g.detach().numpy().copy() for g in gin]
        rec["gout"] = [None if g is None else g.detach().numpy().copy() for g in gout]
        if replace:
            return tuple(None if g is None else g * 3 for g in gin)
    module_t.register_full_backward_hook(hook)
    xt = torch.tensor(x, requires_grad=True)
    out = model_t(xt)
    (out * out).sum().backward()
    return rec, xt.grad.numpy()


@pytest.mark.parametrize("replace", [False, True])
def test_full_backward_hook_matches_torch(engine, replace):
    tm = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh()).double()
    om = nn.Sequential(nn.Linear(3, 4), nn.Tanh())
    om.load_state_dict({k: v.numpy() for k, v in tm.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((5, 3))
    rec_t, gx_t = _torch_hook_run(tm, tm[1], x, replace)
    rec = {}

    def hook(mod, gin, gout):
        assert mod is om[1]
        rec["gin"] = [None if g is None else g.data.copy() for g in gin]
        rec["gout"] = [None if g is None else g.data.copy() for g in gout]
        if replace:
            return tuple(None if g is None else g * 3 for g in gin)
    handle = om[1].register_full_backward_hook(hook)
    xo = ag.tensor(x, requires_grad=True)
    out = om(xo)
    (out * out).sum().backward()
    for a, b in zip(rec["gin"] + rec["gout"], rec_t["gin"] + rec_t["gout"]):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    np.testing.assert_allclose(xo.grad.data, gx_t, rtol=1e-12)
    handle.remove()
    rec.clear()
    om(xo).sum().backward()
    assert rec == {}


def test_backward_hook_without_input_grad(engine):
    lin = nn.Linear(2, 2)
    seen = []
    lin.register_full_backward_hook(lambda m, gi, go: seen.append((gi, go[0].shape)))
    lin(np.ones((3, 2))).sum().backward()
    assert seen and seen[0][0] == (None,) and seen[0][1] == (3, 2)


def test_backward_pre_hook_scales_grad_output(engine):
    lin = nn.Linear(2, 1)
    lin.register_full_backward_pre_hook(lambda m, go: (go[0] * 10,))
    x = ag.tensor(np.ones((3, 2)), requires_grad=True)
    lin(x).sum().backward()
    np.testing.assert_allclose(x.grad.data, 10 * np.broadcast_to(lin.weight.data, (3, 2)))

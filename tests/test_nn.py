"""autograd_c.nn on both engines: registration, modes, dropout, state dicts,
Linear/Embedding init, losses against PyTorch float64 (values and grads)."""
import numpy as np
import pytest

import autograd_c as ag
from autograd_c import nn
from conftest import needs_torch

# compared with torch in float64: layers and Python floats in float64 here
pytestmark = pytest.mark.usefixtures("float64_default")


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(3, 4)
        self.layers = [nn.Linear(4, 4), nn.Linear(4, 4, bias=False)]   # plain list
        self.blocks = nn.ModuleList([nn.Sequential(nn.Linear(4, 2), nn.Tanh())])
        self.scale = nn.Parameter(np.ones(2))
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        h = ag.relu(self.inp(x))
        for layer in self.layers:
            h = ag.tanh(layer(h))
        for b in self.blocks:
            h = b(h)
        return self.drop(h) * self.scale


def test_parameter_types(engine):
    p = nn.Parameter(np.arange(3.0))
    assert isinstance(p, nn.Parameter) and isinstance(p, ag.Tensor)
    assert isinstance(p, engine.Tensor)
    assert p.requires_grad and p.is_leaf and p.grad is None
    q = nn.Parameter([1.0, 2.0], requires_grad=False)
    assert not q.requires_grad
    (p * p).sum().backward()
    np.testing.assert_array_equal(p.grad.data, 2 * np.arange(3.0))
    # ops on a parameter give ordinary tensors of the same engine
    y = p * 2
    assert type(y) is engine.Tensor and not isinstance(y, nn.Parameter)


def test_registration_and_names(engine):
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["scale", "inp.weight", "inp.bias", "layers.0.weight", "layers.0.bias",
                     "layers.1.weight", "blocks.0.0.weight", "blocks.0.0.bias"]
    assert len(list(net.parameters())) == len(names)
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    # appending to a registered plain list registers the new module too
    net.layers.append(nn.Linear(4, 4))
    assert "layers.2.bias" in dict(net.named_parameters())
    # a shared parameter is listed once
    shared = nn.Sequential(seq[0], seq[0])
    assert len(list(shared.parameters())) == 2


def test_train_eval_and_zero_grad(engine):
    net = Net()
    assert net.training and net.drop.training and net.blocks[0][1].training
    assert net.eval() is net
    assert not net.training and not net.drop.training and not net.blocks[0][1].training
    net.train()
    assert net.drop.training
    out = net(np.ones((5, 3))).sum()
    out.backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_dropout(engine):
    gen = np.random.default_rng(1)
    d = nn.Dropout(0.25, generator=gen)
    x = ag.Tensor(np.ones((400, 50)), requires_grad=True)
    y = d(x)
    vals = np.unique(y.data)
    np.testing.assert_allclose(vals, [0.0, 1 / 0.75])
    frac = float((y.data == 0).mean())
    assert 0.23 < frac < 0.27
    y.sum().backward()
    # the gradient is the same mask, scaled
    np.testing.assert_array_equal(x.grad.data, y.data)
    d.eval()
    assert d(x) is x
    d.train()
    assert np.all(nn.Dropout(1.0)(x).data == 0)
    with pytest.raises(ValueError, match="p must be in"):
        nn.Dropout(1.5)


def test_linear_init_and_shapes(engine):
    ag.manual_seed(0)
    lin = nn.Linear(400, 300)
    assert lin.weight.shape == (300, 400) and lin.bias.shape == (300,)
    assert lin.weight.dtype == np.float64
    bound = 1 / np.sqrt(400)
    w = lin.weight.data
    assert w.min() >= -bound and w.max() <= bound
    # U(-b, b): mean 0, variance b^2/3
    assert abs(w.mean()) < 0.01 * bound
    assert abs(w.var() / (bound ** 2 / 3) - 1) < 0.02
    assert np.abs(lin.bias.data).max() <= bound
    # seeding: manual_seed and generator= reproduce the weights exactly
    ag.manual_seed(0)
    np.testing.assert_array_equal(nn.Linear(400, 300).weight.data, w)
    a = nn.Linear(5, 2, generator=np.random.default_rng(3))
    b = nn.Linear(5, 2, generator=np.random.default_rng(3))
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    assert nn.Linear(5, 2, dtype=np.float32).weight.dtype == np.float32
    assert nn.Linear(3, 2, bias=False).bias is None
    x = np.random.default_rng(0).standard_normal((7, 5))
    np.testing.assert_allclose(a(x).data, x @ a.weight.data.T + a.bias.data, rtol=1e-14)


def test_activations(engine):
    x = np.random.default_rng(0).standard_normal((3, 4))
    np.testing.assert_allclose(nn.ReLU()(x).data, np.maximum(x, 0))
    np.testing.assert_allclose(nn.Sigmoid()(x).data, 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(nn.Tanh()(x).data, np.tanh(x))
    sm = np.exp(x) / np.exp(x).sum(0, keepdims=True)
    np.testing.assert_allclose(nn.Softmax(dim=0)(x).data, sm)
    np.testing.assert_allclose(nn.LogSoftmax()(x).data,
                               x - np.log(np.exp(x).sum(-1, keepdims=True)))


def test_embedding(engine):
    ag.manual_seed(0)
    emb = nn.Embedding(1000, 64)
    assert emb.weight.shape == (1000, 64)
    w = emb.weight.data
    assert abs(w.mean()) < 0.01 and abs(w.std() - 1) < 0.01
    idx = np.array([[1, 2, 1], [3, 1, 0]])
    out = emb(idx)
    assert out.shape == (2, 3, 64)
    np.testing.assert_array_equal(out.data, w[idx])
    out.sum().backward()
    g = emb.weight.grad.data
    np.testing.assert_array_equal(g[1], np.full(64, 3.0))     # index 1 used three times
    np.testing.assert_array_equal(g[0], np.ones(64))
    assert np.all(g[4:] == 0)
    with pytest.raises(IndexError, match="out of range"):
        emb(np.array([1000]))


def test_state_dict_round_trip(engine):
    ag.manual_seed(1)
    a = Net().eval()
    x = np.random.default_rng(0).standard_normal((6, 3))
    sd = a.state_dict()
    assert list(sd) == [n for n, _ in a.named_parameters()]
    ag.manual_seed(2)
    b = Net().eval()
    assert not np.array_equal(a(x).data, b(x).data)
    version = b.inp.weight.version
    b.load_state_dict(sd)
    assert b.inp.weight.version > version
    np.testing.assert_array_equal(a(x).data, b(x).data)  # bit-identical
    # as in torch, the state dict shares the parameters' memory (an in-place
    # update shows through it) and load_state_dict copied, so b is apart
    with ag.no_grad():
        a.inp.weight -= 1.0
    np.testing.assert_array_equal(sd["inp.weight"].numpy(), a.inp.weight.data)
    assert not np.array_equal(b.inp.weight.data, a.inp.weight.data)


def test_strict_load_errors_name_keys_and_change_nothing(engine):
    ag.manual_seed(0)
    net = Net()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    sd = {k: v + 1 for k, v in net.state_dict().items()}
    del sd["inp.bias"]
    del sd["layers.1.weight"]
    sd["extra.weight"] = np.zeros(3)
    sd["blocks.0.0.weight"] = np.zeros((4, 2))
    with pytest.raises(nn.StateDictError) as ei:
        net.load_state_dict(sd)
    msg = str(ei.value)
    for key in ("inp.bias", "layers.1.weight", "extra.weight", "blocks.0.0.weight"):
        assert key in msg
    assert "(4, 2)" in msg and "(2, 4)" in msg
    assert isinstance(ei.value, RuntimeError)
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v, before[k])
    # non-strict: missing/unexpected reported, the rest loaded
    del sd["blocks.0.0.weight"]
    missing, unexpected = net.load_state_dict(sd, strict=False)
    assert set(missing) == {"inp.bias", "layers.1.weight", "blocks.0.0.weight"}
    assert unexpected == ["extra.weight"]
    np.testing.assert_array_equal(net.inp.weight.data, before["inp.weight"] + 1)


# -- losses against PyTorch -------------------------------------------------------

def _torch_loss(name, reduction, x, t):
    import torch
    xt = torch.tensor(x, requires_grad=True)
    tt = torch.tensor(t)
    loss = getattr(torch.nn, name)(reduction=reduction)(xt, tt)
    loss.backward(torch.ones_like(loss))
    return loss.detach().numpy(), xt.grad.numpy()


def _loss_inputs(name, rng):
    x = rng.standard_normal((6, 5)) * 4
    if name in ("CrossEntropyLoss", "NLLLoss"):
        if name == "NLLLoss":
            x = x - np.log(np.exp(x).sum(1, keepdims=True))
        return x, rng.integers(0, 5, size=6)
    if name == "BCEWithLogitsLoss":
        x[0, 0] = 60.0       # large logits: the stable formula must not overflow
        x[0, 1] = -60.0
        return x, rng.integers(0, 2, size=x.shape).astype(np.float64)
    return x, rng.standard_normal((6, 5))


@needs_torch
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", ["MSELoss", "CrossEntropyLoss", "NLLLoss", "BCEWithLogitsLoss"])
def test_losses_vs_torch(engine, name, reduction):
    x, t = _loss_inputs(name, np.random.default_rng(7))
    ref_val, ref_grad = _torch_loss(name, reduction, x, t)
    xa = ag.Tensor(x, requires_grad=True)
    loss = getattr(nn, name)(reduction=reduction)(xa, t)
    assert loss.shape == ref_val.shape
    np.testing.assert_allclose(loss.data, ref_val, rtol=1e-12, atol=1e-13)
    loss.backward(np.ones(loss.shape))
    np.testing.assert_allclose(xa.grad.data, ref_grad, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("name", ["MSELoss", "CrossEntropyLoss", "NLLLoss", "BCEWithLogitsLoss"])
def test_losses_gradcheck(engine, name):
    x, t = _loss_inputs(name, np.random.default_rng(3))
    x = x / 4   # keep finite differences well conditioned
    loss = getattr(nn, name)(reduction="mean")
    assert ag.gradcheck(lambda a: loss(a, t), [ag.Tensor(x, requires_grad=True)])


@needs_torch
def test_cross_entropy_single_sample_and_stability(engine):
    import torch
    x = np.array([1000.0, -1000.0, 3.0])
    xa = ag.Tensor(x, requires_grad=True)
    loss = nn.CrossEntropyLoss()(xa, np.array(2))
    ref = torch.nn.CrossEntropyLoss()(torch.tensor(x), torch.tensor(2))
    np.testing.assert_allclose(loss.item(), ref.item())
    loss.backward()
    assert np.all(np.isfinite(xa.grad.data))


def test_loss_errors(engine):
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(IndexError, match="out of range"):
        nn.CrossEntropyLoss()(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(TypeError, match="integer"):
        nn.CrossEntropyLoss()(np.zeros((2, 3)), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="shape"):
        nn.MSELoss()(np.zeros((2, 3)), np.zeros((3, 2)))


def test_parameter_results_that_are_not_differentiated_are_plain_tensors(engine):
    """As in torch: comparing, casting or taking indices of a Parameter gives
    plain Tensors (a Parameter would require grad, which bool/int cannot)."""
    torch = pytest.importorskip("torch")
    w = nn.Parameter(np.array([[1.0, 2.0], [2.0, 0.5]]))
    tw = torch.nn.Parameter(torch.tensor([[1.0, 2.0], [2.0, 0.5]], dtype=torch.float64))
    for f in (lambda p: p == 2.0, lambda p: p > 1.0, lambda p: ~(p < 1.0),
              lambda p: p.argmax(), lambda p: p.max(1).indices, lambda p: p.isnan()):
        ours, ref = f(w), f(tw)
        assert not isinstance(ours, nn.Parameter) and not ours.requires_grad
        assert not isinstance(ref, torch.nn.Parameter) and not ref.requires_grad
        np.testing.assert_array_equal(ours.numpy(), ref.numpy())
    assert bool((w == 2.0).sum() == 2)

"""Every nn layer against torch.nn in float64 on both engines: the same
layer is built with both libraries' constructors, torch's parameters and
buffers are copied into ours through ``state_dict`` (same keys, order and
shapes), and outputs, input gradients, parameter gradients, running buffers
and ``repr`` are compared. ``compare_module`` is also used by
test_module_api.py and test_losses.py."""
import numpy as np
import pytest

import autograd_c as ag

# compared with torch in float64: layers and Python floats in float64 here
pytestmark = pytest.mark.usefixtures("float64_default")

torch = pytest.importorskip("torch")

TOL = dict(rtol=1e-10, atol=1e-12)


def to_torch(x, torch):
    if isinstance(x, np.ndarray):
        return torch.tensor(x)
    return x


def cotangent(shape):
    n = int(np.prod(shape)) if shape else 1
    return np.cos(np.arange(n) * 0.7 + 0.1).reshape(shape) + 0.2


def _outs(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def compare_module(build, inputs, torch, *, train=False, grad_inputs=None, kwargs=None,
                   tol=TOL, check_repr=True):
    """``build(nn)`` makes the layer with either library's ``nn``. ``inputs``:
    numpy arrays (float ones get gradients unless ``grad_inputs`` says which)
    or other values passed as they are. Returns (ours, torch's) modules."""
    kwargs = kwargs or {}
    tm = build(torch.nn).double()
    om = build(ag.nn)
    tm.train(train)
    om.train(train)
    tsd = tm.state_dict()
    assert list(om.state_dict()) == list(tsd), (list(om.state_dict()), list(tsd))
    res = om.load_state_dict({k: v.detach().numpy() for k, v in tsd.items()})
    assert res.missing_keys == [] and res.unexpected_keys == []
    assert [n for n, _ in om.named_parameters()] == [n for n, _ in tm.named_parameters()]
    assert [n for n, _ in om.named_buffers()] == [n for n, _ in tm.named_buffers()]
    if check_repr:
        assert repr(om) == repr(tm), (repr(om), repr(tm))
    if grad_inputs is None:
        grad_inputs = [isinstance(x, np.ndarray) and x.dtype.kind == "f" for x in inputs]
    ours_in, torch_in = [], []
    for x, g in zip(inputs, grad_inputs):
        if isinstance(x, np.ndarray):
            ours_in.append(ag.tensor(x, requires_grad=g))
            torch_in.append(torch.tensor(x, requires_grad=g))
        else:
            ours_in.append(x)
            torch_in.append(x)
    out = om(*ours_in, **kwargs)
    tout = tm(*torch_in, **{k: to_torch(v, torch) for k, v in kwargs.items()})
    o_list, t_list = _outs(out), _outs(tout)
    assert len(o_list) == len(t_list)
    total_o, total_t = None, None
    for o, t in zip(o_list, t_list):
        if t is None:
            assert o is None
            continue
        assert tuple(o.shape) == tuple(t.shape), (o.shape, t.shape)
        np.testing.assert_allclose(o.data, t.detach().numpy(), **tol)
        if t.dtype.is_floating_point and t.requires_grad:
            c = cotangent(tuple(t.shape))
            so = (o * ag.tensor(c)).sum()
            st = (t * torch.tensor(c)).sum()
            total_o = so if total_o is None else total_o + so
            total_t = st if total_t is None else total_t + st
    if total_t is not None:
        total_o.backward()
        total_t.backward()
        for i, (a, b) in enumerate(zip(ours_in, torch_in)):
            if isinstance(b, torch.Tensor) and b.requires_grad:
                if b.grad is None:
                    assert a.grad is None or np.allclose(a.grad.data, 0)
                else:
                    np.testing.assert_allclose(a.grad.data, b.grad.numpy(), **tol,
                                               err_msg=f"input {i} gradient")
        ours_p = dict(om.named_parameters())
        for name, p in tm.named_parameters():
            if p.grad is None:
                assert ours_p[name].grad is None or np.allclose(ours_p[name].grad.data, 0), name
            else:
                assert ours_p[name].grad is not None, name
                np.testing.assert_allclose(ours_p[name].grad.data, p.grad.numpy(), **tol,
                                           err_msg=f"parameter {name} gradient")
    # buffers (running statistics) after the forward
    ours_b = dict(om.named_buffers())
    for name, b in tm.named_buffers():
        np.testing.assert_allclose(np.asarray(ours_b[name].data, dtype=np.float64),
                                   b.detach().numpy().astype(np.float64), **tol,
                                   err_msg=f"buffer {name}")
    return om, tm


R = np.random.default_rng(0)


def rn(*shape):
    return R.standard_normal(shape)


def ints(high, *shape):
    return R.integers(0, high, size=shape)


# name -> (build(nn), inputs, options)
LAYERS = {
    "Linear": (lambda nn: nn.Linear(5, 3), [rn(4, 5)], {}),
    "Linear_nobias_3d": (lambda nn: nn.Linear(5, 3, bias=False), [rn(2, 4, 5)], {}),
    "Bilinear": (lambda nn: nn.Bilinear(3, 4, 2), [rn(5, 3), rn(5, 4)], {}),
    "Conv1d": (lambda nn: nn.Conv1d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2),
               [rn(2, 4, 11)], {}),
    "Conv1d_same_reflect": (lambda nn: nn.Conv1d(3, 2, 4, padding="same",
                                                 padding_mode="reflect"), [rn(2, 3, 9)], {}),
    "Conv1d_unbatched": (lambda nn: nn.Conv1d(3, 2, 3, bias=False), [rn(3, 8)], {}),
    "Conv2d": (lambda nn: nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 2),
                                    dilation=(1, 2), groups=2), [rn(2, 4, 7, 6)], {}),
    "Conv2d_same": (lambda nn: nn.Conv2d(3, 4, 3, padding="same", dilation=2),
                    [rn(2, 3, 6, 5)], {}),
    "Conv2d_same_even": (lambda nn: nn.Conv2d(3, 4, (2, 4), padding="same"),
                         [rn(1, 3, 6, 5)], {}),
    "Conv2d_valid_nobias": (lambda nn: nn.Conv2d(3, 4, 3, padding="valid", bias=False),
                            [rn(2, 3, 6, 5)], {}),
    "Conv2d_depthwise": (lambda nn: nn.Conv2d(4, 8, 3, padding=1, groups=4),
                         [rn(2, 4, 5, 5)], {}),
    "Conv2d_reflect": (lambda nn: nn.Conv2d(3, 4, 3, padding=2, padding_mode="reflect"),
                       [rn(2, 3, 6, 5)], {}),
    "Conv2d_replicate": (lambda nn: nn.Conv2d(3, 4, 3, padding=(1, 2),
                                              padding_mode="replicate"), [rn(2, 3, 6, 5)], {}),
    "Conv2d_circular": (lambda nn: nn.Conv2d(3, 4, 3, stride=2, padding=1,
                                             padding_mode="circular"), [rn(2, 3, 6, 5)], {}),
    "Conv2d_unbatched": (lambda nn: nn.Conv2d(3, 2, 2), [rn(3, 4, 4)], {}),
    "ConvTranspose1d": (lambda nn: nn.ConvTranspose1d(4, 6, 3, stride=2, padding=1,
                                                      output_padding=1, groups=2, dilation=2),
                        [rn(2, 4, 5)], {}),
    "ConvTranspose2d": (lambda nn: nn.ConvTranspose2d(4, 6, (3, 2), stride=(2, 3),
                                                      padding=(1, 0), output_padding=(1, 2),
                                                      groups=2), [rn(2, 4, 4, 3)], {}),
    "ConvTranspose2d_dil_nobias": (lambda nn: nn.ConvTranspose2d(3, 2, 3, dilation=2,
                                                                 bias=False),
                                   [rn(2, 3, 4, 3)], {}),
    "MaxPool1d": (lambda nn: nn.MaxPool1d(3, 2, 1, ceil_mode=True), [rn(2, 3, 10)], {}),
    "MaxPool2d": (lambda nn: nn.MaxPool2d(3, 2, 1), [rn(2, 3, 7, 8)], {}),
    "MaxPool2d_ceil_dil": (lambda nn: nn.MaxPool2d((2, 3), (2, 1), (1, 1), dilation=(2, 1),
                                                   ceil_mode=True), [rn(2, 3, 8, 7)], {}),
    "MaxPool2d_indices": (lambda nn: nn.MaxPool2d(2, return_indices=True),
                          [rn(2, 3, 6, 7)], {}),
    "AvgPool1d": (lambda nn: nn.AvgPool1d(3, 2, 1), [rn(2, 3, 10)], {}),
    "AvgPool1d_ceil_nopad": (lambda nn: nn.AvgPool1d(4, 3, 2, ceil_mode=True,
                                                     count_include_pad=False),
                             [rn(2, 3, 10)], {}),
    "AvgPool2d": (lambda nn: nn.AvgPool2d(3, 2, 1), [rn(2, 3, 7, 8)], {}),
    "AvgPool2d_ceil": (lambda nn: nn.AvgPool2d(3, 2, 1, ceil_mode=True,
                                               count_include_pad=False), [rn(2, 3, 8, 7)], {}),
    "AvgPool2d_divisor": (lambda nn: nn.AvgPool2d((2, 3), divisor_override=4),
                          [rn(2, 3, 8, 7)], {}),
    "AdaptiveAvgPool1d": (lambda nn: nn.AdaptiveAvgPool1d(4), [rn(2, 3, 10)], {}),
    "AdaptiveAvgPool2d": (lambda nn: nn.AdaptiveAvgPool2d((3, 4)), [rn(2, 3, 7, 9)], {}),
    "AdaptiveAvgPool2d_none": (lambda nn: nn.AdaptiveAvgPool2d((None, 2)),
                               [rn(2, 3, 5, 7)], {}),
    "AdaptiveAvgPool2d_global": (lambda nn: nn.AdaptiveAvgPool2d(1), [rn(2, 3, 5, 7)], {}),
    "AdaptiveMaxPool1d": (lambda nn: nn.AdaptiveMaxPool1d(3), [rn(2, 3, 10)], {}),
    "AdaptiveMaxPool2d": (lambda nn: nn.AdaptiveMaxPool2d((3, 4)), [rn(2, 3, 7, 9)], {}),
    "AdaptiveMaxPool2d_indices": (lambda nn: nn.AdaptiveMaxPool2d(3, return_indices=True),
                                  [rn(2, 3, 7, 8)], {}),
    "BatchNorm1d_train": (lambda nn: nn.BatchNorm1d(4), [rn(6, 4)], {"train": True}),
    "BatchNorm1d_3d_train": (lambda nn: nn.BatchNorm1d(4, momentum=0.3), [rn(3, 4, 5)],
                             {"train": True}),
    "BatchNorm1d_eval": (lambda nn: nn.BatchNorm1d(4), [rn(6, 4)], {}),
    "BatchNorm2d_train": (lambda nn: nn.BatchNorm2d(3, eps=1e-3), [rn(2, 3, 4, 5)],
                          {"train": True}),
    "BatchNorm2d_cumulative": (lambda nn: nn.BatchNorm2d(3, momentum=None), [rn(2, 3, 4, 5)],
                               {"train": True}),
    "BatchNorm2d_noaffine": (lambda nn: nn.BatchNorm2d(3, affine=False), [rn(2, 3, 4, 5)],
                             {"train": True}),
    "BatchNorm2d_notrack_eval": (lambda nn: nn.BatchNorm2d(3, track_running_stats=False),
                                 [rn(2, 3, 4, 5)], {}),
    "BatchNorm2d_eval": (lambda nn: nn.BatchNorm2d(3), [rn(2, 3, 4, 5)], {}),
    "LayerNorm": (lambda nn: nn.LayerNorm((3, 4)), [rn(2, 3, 4)], {}),
    "LayerNorm_nobias": (lambda nn: nn.LayerNorm(4, eps=1e-3, bias=False), [rn(2, 3, 4)], {}),
    "LayerNorm_noaffine": (lambda nn: nn.LayerNorm(4, elementwise_affine=False),
                           [rn(2, 3, 4)], {}),
    "GroupNorm": (lambda nn: nn.GroupNorm(2, 6), [rn(2, 6, 3, 2)], {}),
    "GroupNorm_noaffine": (lambda nn: nn.GroupNorm(3, 6, affine=False), [rn(2, 6, 4)], {}),
    "RMSNorm": (lambda nn: nn.RMSNorm(4), [rn(2, 3, 4)], {}),
    "RMSNorm_eps": (lambda nn: nn.RMSNorm((3, 4), eps=1e-3), [rn(2, 3, 4)], {}),
    "Dropout_eval": (lambda nn: nn.Dropout(0.3), [rn(3, 4)], {}),
    "Dropout2d_eval": (lambda nn: nn.Dropout2d(0.3), [rn(2, 3, 4, 4)], {}),
    "Dropout_p0_train": (lambda nn: nn.Dropout(0.0), [rn(3, 4)], {"train": True}),
    "Embedding": (lambda nn: nn.Embedding(7, 3, padding_idx=2), [ints(7, 4, 5)], {}),
    "Embedding_plain": (lambda nn: nn.Embedding(7, 3), [ints(7, 4)], {}),
    "GELU": (lambda nn: nn.GELU(), [rn(3, 4)], {}),
    "GELU_tanh": (lambda nn: nn.GELU(approximate="tanh"), [rn(3, 4)], {}),
    "SiLU": (lambda nn: nn.SiLU(), [rn(3, 4)], {}),
    "LeakyReLU": (lambda nn: nn.LeakyReLU(0.2), [rn(3, 4)], {}),
    "ELU": (lambda nn: nn.ELU(0.5), [rn(3, 4)], {}),
    "Softplus": (lambda nn: nn.Softplus(2.0, 3.0), [rn(3, 4) * 3], {}),
    "Mish": (lambda nn: nn.Mish(), [rn(3, 4)], {}),
    "Hardtanh": (lambda nn: nn.Hardtanh(-0.5, 1.2), [rn(3, 4)], {}),
    "ReLU6": (lambda nn: nn.ReLU6(), [rn(3, 4) * 5], {}),
    "ReLU": (lambda nn: nn.ReLU(), [rn(3, 4)], {}),
    "Sigmoid": (lambda nn: nn.Sigmoid(), [rn(3, 4)], {}),
    "Tanh": (lambda nn: nn.Tanh(), [rn(3, 4)], {}),
    "Softmax": (lambda nn: nn.Softmax(dim=1), [rn(3, 4)], {}),
    "LogSoftmax": (lambda nn: nn.LogSoftmax(0), [rn(3, 4)], {}),
    "Softmax_nodim": (lambda nn: nn.Softmax(), [rn(2, 3, 4)], {}),
    "Flatten": (lambda nn: nn.Flatten(), [rn(2, 3, 4, 5)], {}),
    "Flatten_mid": (lambda nn: nn.Flatten(1, 2), [rn(2, 3, 4, 5)], {}),
    "Unflatten": (lambda nn: nn.Unflatten(1, (3, 4)), [rn(2, 12, 5)], {}),
    "Identity": (lambda nn: nn.Identity(54, unused=3), [rn(2, 3)], {}),
    "ZeroPad2d": (lambda nn: nn.ZeroPad2d((1, 2, 0, 3)), [rn(2, 3, 4, 4)], {}),
    "ConstantPad1d": (lambda nn: nn.ConstantPad1d(2, 3.5), [rn(2, 3, 4)], {}),
    "ReflectionPad2d": (lambda nn: nn.ReflectionPad2d(2), [rn(2, 3, 4, 5)], {}),
    "ReflectionPad1d": (lambda nn: nn.ReflectionPad1d((1, 3)), [rn(2, 3, 5)], {}),
    "ReplicationPad2d": (lambda nn: nn.ReplicationPad2d((3, 1, 2, 0)), [rn(2, 3, 4, 5)], {}),
    "CircularPad1d": (lambda nn: nn.CircularPad1d(2), [rn(2, 3, 4)], {}),
    "Upsample_nearest": (lambda nn: nn.Upsample(scale_factor=2), [rn(2, 3, 3, 4)], {}),
    "Upsample_bilinear": (lambda nn: nn.Upsample(size=(5, 7), mode="bilinear",
                                                 align_corners=True), [rn(2, 3, 3, 4)], {}),
    "PReLU": (lambda nn: nn.PReLU(), [rn(2, 3, 4)], {}),
    "PReLU_channels": (lambda nn: nn.PReLU(3, init=0.1), [rn(2, 3, 4, 2)], {}),
    "Softmax2d": (lambda nn: nn.Softmax2d(), [rn(2, 3, 4, 2)], {}),
    "MHA": (lambda nn: nn.MultiheadAttention(8, 2), [rn(5, 3, 8), rn(4, 3, 8), rn(4, 3, 8)],
            {}),
    "MHA_batch_first_noavg": (lambda nn: nn.MultiheadAttention(6, 3, batch_first=True),
                              [rn(2, 5, 6), rn(2, 4, 6), rn(2, 4, 6)],
                              {"kwargs": {"average_attn_weights": False}}),
    "MHA_masks": (lambda nn: nn.MultiheadAttention(4, 2),
                  [rn(5, 2, 4), rn(6, 2, 4), rn(6, 2, 4)],
                  {"kwargs": {"key_padding_mask": np.array([[False] * 5 + [True],
                                                            [False, True] + [False] * 4]),
                              "attn_mask": np.triu(np.ones((5, 6), dtype=bool), 2)}}),
    "MHA_float_mask_noweights": (lambda nn: nn.MultiheadAttention(4, 1, bias=False),
                                 [rn(3, 2, 4), rn(3, 2, 4), rn(3, 2, 4)],
                                 {"kwargs": {"attn_mask": rn(3, 3), "need_weights": False}}),
    "MHA_kdim_vdim": (lambda nn: nn.MultiheadAttention(4, 2, kdim=3, vdim=5),
                      [rn(3, 2, 4), rn(6, 2, 3), rn(6, 2, 5)], {}),
    "MHA_bias_kv_zero_attn": (lambda nn: nn.MultiheadAttention(4, 2, add_bias_kv=True,
                                                               add_zero_attn=True),
                              [rn(3, 2, 4), rn(5, 2, 4), rn(5, 2, 4)], {}),
    "MHA_unbatched": (lambda nn: nn.MultiheadAttention(4, 2),
                      [rn(3, 4), rn(5, 4), rn(5, 4)], {}),
    "TransformerEncoderLayer": (lambda nn: nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0),
                                [rn(5, 3, 8)], {}),
    "TransformerEncoderLayer_nf_gelu_bf": (
        lambda nn: nn.TransformerEncoderLayer(8, 4, 12, dropout=0.0, activation="gelu",
                                              batch_first=True, norm_first=True),
        [rn(3, 5, 8)], {"kwargs": {"src_mask": np.triu(np.full((5, 5), -np.inf), 1)}}),
    "TransformerEncoder": (lambda nn: nn.TransformerEncoder(
        nn.TransformerEncoderLayer(6, 2, 10, dropout=0.0), 2, norm=nn.LayerNorm(6)),
        [rn(4, 2, 6)], {"kwargs": {"src_key_padding_mask": np.array([[0, 0, 0, 1],
                                                                     [0, 0, 0, 0]], bool)}}),
    "TransformerDecoderLayer": (lambda nn: nn.TransformerDecoderLayer(6, 2, 10, dropout=0.0),
                                [rn(4, 2, 6), rn(5, 2, 6)], {}),
    "TransformerDecoderLayer_nf_bf": (
        lambda nn: nn.TransformerDecoderLayer(6, 3, 10, dropout=0.0, norm_first=True,
                                              batch_first=True, activation="gelu"),
        [rn(2, 4, 6), rn(2, 5, 6)],
        {"kwargs": {"tgt_mask": np.triu(np.ones((4, 4), bool), 1)}}),
    "TransformerDecoder": (lambda nn: nn.TransformerDecoder(
        nn.TransformerDecoderLayer(6, 2, 10, dropout=0.0), 2), [rn(4, 2, 6), rn(5, 2, 6)], {}),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_matches_torch(name, engine):
    build, inputs, opts = LAYERS[name]
    compare_module(build, inputs, torch, train=opts.get("train", False),
                   kwargs=opts.get("kwargs"))


def test_batchnorm_running_stats_over_steps(engine):
    """Several training steps then eval: running_mean/var (unbiased) and
    num_batches_tracked as torch, for a momentum and for the cumulative mean."""
    for momentum in (0.1, None):
        tm = torch.nn.BatchNorm2d(3, momentum=momentum).double()
        om = ag.nn.BatchNorm2d(3, momentum=momentum)
        for step in range(3):
            x = rn(4, 3, 2, 2) * (step + 1) + step
            om(x)
            tm(torch.tensor(x))
        for name, b in tm.named_buffers():
            np.testing.assert_allclose(getattr(om, name).data, b.numpy(), rtol=1e-12)
        assert om.num_batches_tracked.dtype == np.int64
        om.eval()
        tm.eval()
        x = rn(2, 3, 2, 2)
        np.testing.assert_allclose(om(x).data, tm(torch.tensor(x)).detach().numpy(),
                                   rtol=1e-12)


@pytest.mark.parametrize("build", [
    lambda nn, **kw: nn.Linear(4, 3, **kw),
    lambda nn, **kw: nn.Conv2d(2, 4, 3, **kw),
    lambda nn, **kw: nn.ConvTranspose1d(2, 4, 3, **kw),
    lambda nn, **kw: nn.BatchNorm1d(3, **kw),
    lambda nn, **kw: nn.LayerNorm(3, **kw),
    lambda nn, **kw: nn.GroupNorm(1, 3, **kw),
    lambda nn, **kw: nn.RMSNorm(3, **kw),
    lambda nn, **kw: nn.Embedding(5, 3, **kw),
    lambda nn, **kw: nn.MultiheadAttention(4, 2, **kw),
    lambda nn, **kw: nn.TransformerEncoderLayer(4, 2, 8, **kw),
])
def test_dtype_and_device_arguments(build, engine):
    m = build(ag.nn, dtype=np.float32, device="cpu")
    assert all(p.dtype == np.float32 for p in m.parameters())
    assert all(b.dtype in (np.float32, np.int64) for b in m.buffers())
    m64 = build(ag.nn)      # the default float dtype: float64 in this module
    assert all(p.dtype == np.float64 for p in m64.parameters())
    ag.set_default_dtype(ag.float32)   # the package's default, as PyTorch's
    m32 = build(ag.nn)
    assert all(p.dtype == np.float32 for p in m32.parameters())
    assert all(b.dtype in (np.float32, np.int64) for b in m32.buffers())
    with pytest.raises(RuntimeError, match="CPU"):
        build(ag.nn, device="cuda")


def _bound_check(w, bound):
    w = w.data
    assert w.min() >= -bound - 1e-12 and w.max() <= bound + 1e-12
    # U(-b, b): variance b^2/3
    assert abs(w.var() / (bound ** 2 / 3) - 1) < 0.1


def test_default_initialisation_distributions(engine):
    ag.manual_seed(0)
    conv = ag.nn.Conv2d(8, 64, 3, groups=2)
    fan_in = 4 * 9
    _bound_check(conv.weight, 1 / np.sqrt(fan_in))
    assert np.abs(conv.bias.data).max() <= 1 / np.sqrt(fan_in)
    ct = ag.nn.ConvTranspose2d(16, 32, 3)       # fan_in from weight.shape[1] (as torch)
    _bound_check(ct.weight, 1 / np.sqrt(32 * 9))
    lin = ag.nn.Linear(300, 200)
    _bound_check(lin.weight, 1 / np.sqrt(300))
    mha = ag.nn.MultiheadAttention(64, 4)
    _bound_check(mha.in_proj_weight, np.sqrt(6.0 / (64 + 3 * 64)))
    assert np.all(mha.in_proj_bias.data == 0) and np.all(mha.out_proj.bias.data == 0)
    _bound_check(mha.out_proj.weight, 1 / np.sqrt(64))
    emb = ag.nn.Embedding(2000, 16, padding_idx=3)
    assert np.all(emb.weight.data[3] == 0)
    assert abs(emb.weight.data.std() - 1) < 0.05
    bn = ag.nn.BatchNorm2d(5)
    assert np.all(bn.weight.data == 1) and np.all(bn.bias.data == 0)
    assert np.all(bn.running_var.data == 1) and int(bn.num_batches_tracked.data) == 0
    ln = ag.nn.LayerNorm((2, 3))
    assert ln.weight.shape == (2, 3) and np.all(ln.weight.data == 1)


def test_parameter_shapes_match_torch(engine):
    builds = [lambda nn: nn.Conv1d(4, 6, 3, groups=2), lambda nn: nn.ConvTranspose2d(4, 6, 3,
                                                                                    groups=2),
              lambda nn: nn.MultiheadAttention(6, 2, kdim=4, vdim=5, add_bias_kv=True),
              lambda nn: nn.TransformerDecoderLayer(4, 2, 8),
              lambda nn: nn.Bilinear(2, 3, 4)]
    for b in builds:
        ours = {k: v.shape for k, v in b(ag.nn).state_dict().items()}
        theirs = {k: tuple(v.shape) for k, v in b(torch.nn).state_dict().items()}
        assert ours == theirs


def test_conv_transpose_output_size(engine):
    compare_module(lambda nn: nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1), [rn(1, 3, 4, 4)],
                   torch, kwargs={"output_size": [8, 8]})


def test_dropout_layers_train(engine):
    x = ag.tensor(np.ones((200, 8, 3, 3)), requires_grad=True)
    d = ag.nn.Dropout2d(0.25)
    y = d(x)
    chans = y.data.reshape(200, 8, 9)
    # whole channels are either zero or scaled by 1/(1-p)
    assert np.all((chans == 0).all(-1) | (np.abs(chans - 1 / 0.75) < 1e-12).all(-1))
    frac = (chans[:, :, 0] == 0).mean()
    assert 0.2 < frac < 0.3
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, y.data)
    d.eval()
    assert d(x) is x


def test_layer_errors(engine):
    nn = ag.nn
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="strided"):
        nn.Conv2d(3, 4, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="padding_mode"):
        nn.Conv2d(3, 4, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="channels"):
        nn.Conv2d(3, 4, 3)(np.zeros((1, 2, 5, 5)))
    with pytest.raises(ValueError, match="4D"):
        nn.BatchNorm2d(3)(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="more than 1 value"):
        nn.BatchNorm1d(3)(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="divisible"):
        nn.MultiheadAttention(5, 2)
    with pytest.raises(ValueError, match="half of effective kernel"):
        nn.MaxPool2d(2, padding=2)(np.zeros((1, 1, 5, 5)))


def _penalty_grads(lib, model, x):
    """Gradient of sum(out**2) + ||d sum(out) / dx||^2 (a double backward)."""
    xt = lib.tensor(x, requires_grad=True)
    out = model(xt)
    (gx,) = lib.autograd.grad(out.sum(), [xt], create_graph=True)
    loss = (out * out).sum() + (gx * gx).sum()
    loss.backward()
    return {n: p.grad for n, p in model.named_parameters()}


@pytest.mark.parametrize("build", [
    lambda nn: nn.Sequential(nn.Conv2d(2, 3, 3, padding=1, groups=1), nn.BatchNorm2d(3),
                             nn.GELU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(12, 2)),
    lambda nn: nn.Sequential(nn.ConvTranspose2d(2, 2, 3, stride=2, padding=1), nn.Tanh(),
                             nn.AvgPool2d(2, 1), nn.GroupNorm(1, 2), nn.Flatten(),
                             nn.Linear(32, 1)),
    lambda nn: nn.Sequential(nn.Conv1d(2, 4, 3, padding="same", padding_mode="circular"),
                             nn.SiLU(), nn.AdaptiveAvgPool1d(2), nn.Flatten(),
                             nn.LayerNorm(8), nn.Linear(8, 2)),
])
def test_second_order_through_layers(build, engine):
    """Double backward (a gradient penalty) through stacks of layers: every
    parameter's gradient as torch's."""
    tm = build(torch.nn).double().train()
    om = build(ag.nn).train()
    om.load_state_dict({k: v.numpy() for k, v in tm.state_dict().items()})
    shape = (2, 2, 4, 4) if isinstance(om[0], (ag.nn.Conv2d, ag.nn.ConvTranspose2d)) \
        else (2, 2, 6)
    x = rn(*shape)
    if isinstance(om[0], ag.nn.ConvTranspose2d):
        x = rn(2, 2, 3, 3)
    ours = _penalty_grads(ag, om, x)
    theirs = _penalty_grads(torch, tm, x)
    for n, g in theirs.items():
        np.testing.assert_allclose(ours[n].data, g.numpy(), rtol=1e-9, atol=1e-11, err_msg=n)

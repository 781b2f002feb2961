"""autograd_c.nn.functional against torch.nn.functional in float64 on both
engines: values and first-order gradients of every input over many options
(second order is in tests/op_cases_nn.py, run by test_op_table.py), plus the
non-differentiable outputs (pool indices, one_hot) and dropout statistics."""
import numpy as np
import pytest

import autograd_c as ag
import autograd_c.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

R = np.random.default_rng(11)
TOL = dict(rtol=1e-10, atol=1e-12)


def rn(*s):
    return R.standard_normal(s)


def _check(fn, arrays, tol=TOL):
    xs = [ag.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    ts = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    out = fn(F, ag, *xs)
    tout = fn(TF, torch, *ts)
    outs = out if isinstance(out, tuple) else (out,)
    touts = tout if isinstance(tout, tuple) else (tout,)
    lo, lt = None, None
    for o, t in zip(outs, touts):
        assert tuple(o.shape) == tuple(t.shape), (o.shape, t.shape)
        np.testing.assert_allclose(o.data, t.detach().numpy(), **tol)
        if t.requires_grad:
            c = np.cos(np.arange(o.data.size) * 0.3).reshape(o.shape) + 0.5
            lo = (o * ag.tensor(c)).sum() if lo is None else lo + (o * ag.tensor(c)).sum()
            st = (t * torch.tensor(c)).sum()
            lt = st if lt is None else lt + st
    if lt is None:
        return
    lo.backward()
    lt.backward()
    for i, (x, t) in enumerate(zip(xs, ts)):
        if t.requires_grad:
            if t.grad is None:
                assert x.grad is None or np.allclose(x.grad.data, 0)
            else:
                np.testing.assert_allclose(x.grad.data, t.grad.numpy(), **tol,
                                           err_msg=f"gradient of input {i}")


def _i(m, a):
    return m.tensor(np.asarray(a))


CASES = {
    "linear_1d": (lambda F, m, x, w: F.linear(x, w), [rn(4), rn(3, 4)]),
    "bilinear": (lambda F, m, a, b, w, c: F.bilinear(a, b, w, c),
                 [rn(5, 2), rn(5, 3), rn(4, 2, 3), rn(4)]),
    "conv2d_groups_dilation": (lambda F, m, x, w, b: F.conv2d(x, w, b, (1, 2), (2, 1), (2, 1),
                                                              3), [rn(2, 6, 7, 8), rn(6, 2, 3, 2),
                                                                   rn(6)]),
    "conv2d_unbatched_same": (lambda F, m, x, w: F.conv2d(x, w, padding="same"),
                              [rn(3, 5, 5), rn(2, 3, 4, 3)]),
    "conv1d_valid": (lambda F, m, x, w: F.conv1d(x, w, padding="valid", stride=3),
                     [rn(2, 3, 10), rn(4, 3, 3)]),
    "conv1d_same_dil": (lambda F, m, x, w, b: F.conv1d(x, w, b, padding="same", dilation=3),
                        [rn(2, 2, 9), rn(3, 2, 2), rn(3)]),
    "conv_transpose2d_groups": (lambda F, m, x, w, b: F.conv_transpose2d(
        x, w, b, stride=(3, 2), padding=(1, 2), output_padding=(2, 1), groups=2,
        dilation=(1, 2)), [rn(2, 4, 3, 4), rn(4, 3, 3, 3), rn(6)]),
    "conv_transpose2d_unbatched": (lambda F, m, x, w: F.conv_transpose2d(x, w, stride=2),
                                   [rn(2, 3, 3), rn(2, 1, 2, 2)]),
    "conv_transpose1d": (lambda F, m, x, w: F.conv_transpose1d(x, w, stride=2, padding=1,
                                                               output_padding=1, dilation=2),
                         [rn(2, 3, 5), rn(3, 2, 3)]),
    "unfold_unbatched": (lambda F, m, x: F.unfold(x, 2, stride=2), [rn(3, 4, 6)]),
    "fold_unbatched": (lambda F, m, x: F.fold(x, (4, 5), (2, 2), dilation=(1, 2), stride=1),
                       [rn(8, 9)]),
    "max_pool2d_indices": (lambda F, m, x: F.max_pool2d(x, (3, 2), (2, 2), (1, 1),
                                                        return_indices=True)[0],
                           [rn(2, 3, 7, 6)]),
    "max_pool2d_unbatched": (lambda F, m, x: F.max_pool2d(x, 2), [rn(3, 6, 6)]),
    "max_pool1d_dilated_ceil": (lambda F, m, x: F.max_pool1d(x, 3, 2, 1, 2, ceil_mode=True),
                                [rn(2, 3, 12)]),
    "avg_pool2d_ceil": (lambda F, m, x: F.avg_pool2d(x, 3, 3, 1, ceil_mode=True),
                        [rn(2, 3, 8, 7)]),
    "avg_pool1d_nopad": (lambda F, m, x: F.avg_pool1d(x, 4, 3, 2, ceil_mode=True,
                                                      count_include_pad=False),
                         [rn(2, 3, 11)]),
    "adaptive_avg_pool2d_up": (lambda F, m, x: F.adaptive_avg_pool2d(x, (5, 7)),
                               [rn(2, 3, 3, 4)]),
    "adaptive_max_pool2d_none": (lambda F, m, x: F.adaptive_max_pool2d(x, (None, 3)),
                                 [rn(2, 3, 5, 7)]),
    "adaptive_max_pool1d": (lambda F, m, x: F.adaptive_max_pool1d(x, 4), [rn(2, 3, 9)]),
    "pad_constant_value": (lambda F, m, x: F.pad(x, (2, 1, 0, 3, 1, 1), value=-2.5),
                           [rn(2, 3, 4)]),
    "pad_crop": (lambda F, m, x: F.pad(x, (-1, 1, -2, 0)), [rn(2, 4, 5)]),
    "pad_reflect_1d": (lambda F, m, x: F.pad(x, (3, 2), mode="reflect"), [rn(2, 3, 5)]),
    "pad_replicate_2d": (lambda F, m, x: F.pad(x, (3, 2, 1, 4), mode="replicate"),
                         [rn(1, 2, 3, 4)]),
    "pad_circular_2d": (lambda F, m, x: F.pad(x, (3, 2, 1, 2), mode="circular"),
                        [rn(1, 2, 3, 4)]),
    "interpolate_nearest_sf": (lambda F, m, x: F.interpolate(x, scale_factor=(2.5, 0.5)),
                               [rn(1, 2, 3, 6)]),
    "interpolate_nearest_exact": (lambda F, m, x: F.interpolate(x, size=(5, 4),
                                                                mode="nearest-exact"),
                                  [rn(1, 2, 3, 6)]),
    "interpolate_nearest_1d_recompute": (lambda F, m, x: F.interpolate(
        x, scale_factor=1.7, recompute_scale_factor=True), [rn(2, 2, 5)]),
    "interpolate_linear_ac": (lambda F, m, x: F.interpolate(x, size=7, mode="linear",
                                                            align_corners=True),
                              [rn(2, 2, 4)]),
    "interpolate_bilinear_down": (lambda F, m, x: F.interpolate(x, size=(3, 2),
                                                                mode="bilinear"),
                                  [rn(1, 2, 7, 5)]),
    "interpolate_bilinear_sf": (lambda F, m, x: F.interpolate(x, scale_factor=1.5,
                                                              mode="bilinear"),
                                [rn(1, 2, 3, 4)]),
    "interpolate_bicubic": (lambda F, m, x: F.interpolate(x, size=(7, 3), mode="bicubic"),
                            [rn(1, 2, 4, 5)]),
    "interpolate_bicubic_ac_sf": (lambda F, m, x: F.interpolate(x, scale_factor=1.6,
                                                                mode="bicubic",
                                                                align_corners=True),
                                  [rn(1, 2, 4, 5)]),
    "interpolate_area": (lambda F, m, x: F.interpolate(x, size=(2, 3), mode="area"),
                         [rn(1, 2, 5, 7)]),
    "normalize_dim0_eps": (lambda F, m, x: F.normalize(x, dim=0, eps=0.5), [rn(3, 4) * 0.1]),
    "normalize_inf": (lambda F, m, x: F.normalize(x, p=float("inf"), dim=-1), [rn(3, 4)]),
    "cosine_similarity": (lambda F, m, a, b: F.cosine_similarity(a, b, dim=1),
                          [rn(3, 4), rn(3, 4)]),
    "pairwise_distance": (lambda F, m, a, b: F.pairwise_distance(a, b), [rn(3, 4), rn(3, 4)]),
    "embedding": (lambda F, m, w: F.embedding(_i(m, [[1, 2], [0, 1]]), w), [rn(4, 3)]),
    "embedding_freq": (lambda F, m, w: F.embedding(_i(m, [[1, 2, 1], [0, 1, 2]]), w,
                                                   scale_grad_by_freq=True), [rn(4, 3)]),
    "embedding_padding_neg": (lambda F, m, w: F.embedding(_i(m, [3, 1, 3]), w, padding_idx=-1),
                              [rn(4, 3)]),
    "batch_norm_eval_stats": (lambda F, m, x, w, b: F.batch_norm(
        x, m.tensor(np.array([0.1, -0.2, 0.3])), m.tensor(np.array([1.5, 0.5, 2.0])), w, b,
        False, 0.1, 1e-3), [rn(4, 3, 5), rn(3), rn(3)]),
    "batch_norm_4d_train": (lambda F, m, x: F.batch_norm(x, None, None, training=True),
                            [rn(3, 2, 2, 2)]),
    "layer_norm_weight_only": (lambda F, m, x, w: F.layer_norm(x, [3, 4], w, eps=1e-3),
                               [rn(2, 3, 4), rn(3, 4)]),
    "group_norm_4d": (lambda F, m, x, w, b: F.group_norm(x, 3, w, b, 1e-4),
                      [rn(2, 6, 2, 3), rn(6), rn(6)]),
    "rms_norm_default_eps": (lambda F, m, x: F.rms_norm(x, [4]), [rn(3, 4)]),
    "instance_norm": (lambda F, m, x, w, b: F.instance_norm(x, weight=w, bias=b),
                      [rn(2, 3, 5), rn(3), rn(3)]),
    "sdpa_bool_mask_4d": (lambda F, m, q, k, v: F.scaled_dot_product_attention(
        q, k, v, attn_mask=_i(m, np.tril(np.ones((4, 5), bool), 1))),
        [rn(2, 2, 4, 3), rn(2, 2, 5, 3), rn(2, 2, 5, 2)]),
    "sdpa_gqa": (lambda F, m, q, k, v: F.scaled_dot_product_attention(q, k, v,
                                                                      enable_gqa=True),
                 [rn(1, 4, 3, 2), rn(1, 2, 3, 2), rn(1, 2, 3, 2)]),
    "mha_forward": (lambda F, m, q, w, b, ow, ob: F.multi_head_attention_forward(
        q, q, q, 4, 2, w, b, None, None, False, 0.0, ow, ob, need_weights=True,
        average_attn_weights=False), [rn(3, 2, 4), rn(12, 4), rn(12), rn(4, 4), rn(4)]),
    "softmax_dtype": (lambda F, m, x: F.softmax(x, -1, dtype=m.float64 if m is torch
                                                else np.float64), [rn(3, 4)]),
    "log_softmax_default_dim3": (lambda F, m, x: F.log_softmax(x), [rn(2, 3, 4)]),
    "softmin": (lambda F, m, x: F.softmin(x, 1), [rn(3, 4)]),
    "glu": (lambda F, m, x: F.glu(x, 1), [rn(3, 4)]),
    "selu_celu": (lambda F, m, x: F.selu(x) + F.celu(x, 0.7), [rn(3, 4)]),
    "hardswish_hardsigmoid": (lambda F, m, x: F.hardswish(x * 3) + F.hardsigmoid(x * 3),
                              [rn(3, 4)]),
    "logsigmoid_large": (lambda F, m, x: F.logsigmoid(x * 500), [rn(3, 4)]),
    "softplus_large": (lambda F, m, x: F.softplus(x * 500), [rn(3, 4)]),
    "softsign_tanhshrink": (lambda F, m, x: F.softsign(x) + F.tanhshrink(x), [rn(3, 4)]),
    "relu6_hardtanh": (lambda F, m, x: F.relu6(x * 4) + F.hardtanh(x, -0.3, 0.4), [rn(3, 4)]),
    "elu_gelu_silu_mish_large": (lambda F, m, x: F.elu(x * 800) + F.gelu(x * 10)
                                 + F.silu(x * 800) + F.mish(x * 50), [rn(3, 4)]),
    "leaky_relu_zero": (lambda F, m, x: F.leaky_relu(x * (x > 0), 0.1), [rn(3, 4)]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_functional_matches_torch(name, engine):
    fn, arrays = CASES[name]
    _check(fn, arrays)


def test_pool_indices_match_torch(engine):
    x = rn(2, 3, 7, 6)
    for k, s, p, d, c in [(3, 2, 1, 1, False), ((2, 3), (1, 2), (1, 1), (2, 1), True), (2, 2, 0,
                                                                                      1, False)]:
        _, i = F.max_pool2d(ag.tensor(x), k, s, p, d, c, return_indices=True)
        _, ti = TF.max_pool2d(torch.tensor(x), k, s, p, d, c, return_indices=True)
        np.testing.assert_array_equal(i.data, ti.numpy())
        assert i.dtype == np.int64
    _, i = F.max_pool1d(ag.tensor(x[0]), 3, 2, 1, return_indices=True)
    _, ti = TF.max_pool1d(torch.tensor(x[0]), 3, 2, 1, return_indices=True)
    np.testing.assert_array_equal(i.data, ti.numpy())
    for out in [(3, 4), (2, 2), (7, 6), (4, 1)]:
        _, i = F.adaptive_max_pool2d(ag.tensor(x), out, return_indices=True)
        _, ti = TF.adaptive_max_pool2d(torch.tensor(x), out, return_indices=True)
        np.testing.assert_array_equal(i.data, ti.numpy())
    # ties: the first maximum in row-major order, as torch
    z = np.zeros((1, 1, 4, 4))
    _, i = F.max_pool2d(ag.tensor(z), 2, return_indices=True)
    _, ti = TF.max_pool2d(torch.tensor(z), 2, return_indices=True)
    np.testing.assert_array_equal(i.data, ti.numpy())
    _, i = F.adaptive_max_pool2d(ag.tensor(z), 2, return_indices=True)
    _, ti = TF.adaptive_max_pool2d(torch.tensor(z), 2, return_indices=True)
    np.testing.assert_array_equal(i.data, ti.numpy())


def test_one_hot(engine):
    idx = np.array([[0, 3], [2, 1]])
    o = F.one_hot(ag.tensor(idx))
    t = TF.one_hot(torch.tensor(idx))
    np.testing.assert_array_equal(o.data, t.numpy())
    assert o.dtype == np.int64 and not o.requires_grad
    np.testing.assert_array_equal(F.one_hot(ag.tensor(idx), 6).data,
                                  TF.one_hot(torch.tensor(idx), 6).numpy())
    with pytest.raises(ValueError):
        F.one_hot(ag.tensor(idx), 2)


def test_dropout_functional(engine):
    x = ag.tensor(np.ones((100, 100)), requires_grad=True)
    y = F.dropout(x, 0.3, generator=np.random.default_rng(0))
    vals = np.unique(y.data)
    np.testing.assert_allclose(vals, [0, 1 / 0.7])
    assert 0.27 < (y.data == 0).mean() < 0.33
    assert F.dropout(x, 0.3, training=False) is x
    assert np.all(F.dropout(x, 1.0).data == 0)
    ag.manual_seed(3)
    a = F.dropout(x, 0.5).data
    ag.manual_seed(3)
    np.testing.assert_array_equal(F.dropout(x, 0.5).data, a)
    gen = ag.Generator().manual_seed(1) if hasattr(ag.Generator(), "manual_seed") else None
    if gen is not None:
        F.dropout(x, 0.5, generator=gen)
    with pytest.raises(ValueError):
        F.dropout(x, 1.5)
    z = F.dropout2d(ag.tensor(np.ones((50, 20, 2, 2))), 0.5)
    ch = z.data.reshape(50, 20, 4)
    assert np.all((ch == ch[..., :1]).all(-1))
    q = ag.tensor(rn(2, 3, 4))
    out = F.scaled_dot_product_attention(q, q, q, dropout_p=0.5)
    assert out.shape == (2, 3, 4)


def test_embedding_max_norm(engine):
    w = rn(5, 3) * 3
    wo, wt = ag.tensor(w.copy(), requires_grad=True), torch.tensor(w.copy(), requires_grad=True)
    idx = np.array([0, 2, 2])
    o = F.embedding(ag.tensor(idx), wo, max_norm=1.0)
    t = TF.embedding(torch.tensor(idx), wt, max_norm=1.0)
    np.testing.assert_allclose(o.data, t.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(wo.data, wt.detach().numpy(), rtol=1e-6)   # renormed in place


def test_functional_errors(engine):
    x = ag.tensor(rn(1, 2, 4, 4))
    with pytest.raises(ValueError, match="channels"):
        F.conv2d(x, ag.tensor(rn(3, 3, 2, 2)))
    with pytest.raises(ValueError, match="same"):
        F.conv2d(x, ag.tensor(rn(3, 2, 2, 2)), stride=2, padding="same")
    with pytest.raises(ValueError, match="reflect"):
        F.pad(x, (4, 4), mode="reflect")
    with pytest.raises(ValueError, match="size or scale_factor"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="normalized_shape"):
        F.layer_norm(x, (3,))
    with pytest.raises(IndexError, match="out of range"):
        F.embedding(ag.tensor(np.array([7])), ag.tensor(rn(3, 2)))
    with pytest.raises(ValueError, match="gelu"):
        F.gelu(x, approximate="fast")


def test_float32_gelu_and_erf_match_torch(engine):
    """float32 GELU (exact, erf-based) has its own float32 erf: within a few
    float32 ulp of torch's values and gradients, over the whole range and at
    0, -0, +-inf and NaN."""
    rng = np.random.default_rng(3)
    a = np.concatenate([rng.standard_normal(3000) * 3, np.linspace(-8, 8, 2001),
                        [0.0, -0.0, 1.0, -1.0, 1e-30, -1e-30, np.inf, -np.inf, np.nan]])
    a = a.astype(np.float32)
    x = ag.tensor(a, requires_grad=True)
    tx = torch.tensor(a, requires_grad=True)
    y, ty = F.gelu(x), torch.nn.functional.gelu(tx)
    assert y.dtype == np.float32
    fin = np.isfinite(a)
    exact = torch.nn.functional.gelu(torch.tensor(a, dtype=torch.float64)).numpy()
    scale = np.maximum(1.0, np.abs(a[fin]))
    # float32 rounding of x * 0.5 * (1 + erf): within 3e-7 * max(1, |x|) of the
    # float64 value (torch's float32 GELU is within 9e-7 here), and near torch's
    assert np.all(np.abs(y.data[fin] - exact[fin]) <= 3e-7 * scale)
    assert np.all(np.abs(y.data[fin] - ty.detach().numpy()[fin]) <= 1.5e-6 * scale)
    assert np.isnan(y.data[np.isnan(a)]).all()
    from autograd_c.ops.nn import _erf_f32
    te = torch.erf(torch.tensor(a)).numpy()
    mine = _erf_f32(a)
    ulp = np.spacing(np.abs(te[fin]).astype(np.float32))
    assert np.all(np.abs(mine[fin] - te[fin]) <= 3 * ulp)
    np.testing.assert_array_equal(mine[~fin & ~np.isnan(a)], te[~fin & ~np.isnan(a)])
    assert np.signbit(mine[a == 0]).tolist() == np.signbit(te[a == 0]).tolist()
    assert np.isnan(mine[np.isnan(a)]).all()
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")       # no overflow warning from the unused branch
        huge = _erf_f32(np.array([1e30, -3e38] * 50, dtype=np.float32))
    np.testing.assert_array_equal(huge, [1.0, -1.0] * 50)
    w = np.cos(np.arange(a.size)).astype(np.float32)
    (y[fin] * ag.tensor(w[fin])).sum().backward()
    (ty[torch.tensor(fin)] * torch.tensor(w[fin])).sum().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=2e-6, atol=1e-6)

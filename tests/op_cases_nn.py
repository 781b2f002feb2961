"""Op-table cases for ``ops/nn.py`` (im2col, col2im, nn_erf) and for the
functional forms of ``autograd_c.nn.functional`` built on them: value,
first and second order against torch float64 and second order against
finite differences (tests/test_op_table.py runs them on both engines).
``m.nn.functional`` is ``autograd_c.nn.functional`` or ``torch.nn.functional``."""
import numpy as np


def F(m):
    return m.nn.functional


def _idx(m, a):
    return m.tensor(np.asarray(a))


def _probs(rng):
    x = rng.standard_normal((4, 5))
    t = np.exp(rng.standard_normal((4, 5)))
    return [x, t / t.sum(1, keepdims=True)]


def _unit(rng):
    return [rng.uniform(0.05, 0.95, (3, 4)), rng.uniform(0.0, 1.0, (3, 4))]


CASES = {
    # the primitives
    "nn_unfold": (lambda m, x: F(m).unfold(x, (2, 3), dilation=(2, 1), padding=1, stride=(2, 1))
                  * F(m).unfold(x, (2, 3), dilation=(2, 1), padding=1, stride=(2, 1)),
                  [(2, 2, 5, 4)], None, ["im2col", "col2im"]),
    "nn_fold": (lambda m, x: F(m).fold(x * x, (4, 5), (2, 3), padding=(1, 0), stride=(1, 2)),
                [(1, 12, 10)], None, ["col2im", "im2col"]),
    "nn_erf_gelu": (lambda m, x: F(m).gelu(x) * x, [(3, 4)], None, ["nn_erf"]),
    # functional forms: convolutions
    "nn_conv2d": (lambda m, x, w, b: F(m).conv2d(x, w, b, stride=(2, 1), padding=1,
                                                 dilation=(1, 2), groups=2) ** 2,
                  [(2, 4, 5, 6), (4, 2, 2, 3), (4,)], None, []),
    "nn_conv2d_same": (lambda m, x, w: F(m).conv2d(x * x, w, padding="same"),
                       [(1, 2, 4, 5), (3, 2, 2, 3)], None, []),
    "nn_conv1d": (lambda m, x, w, b: F(m).conv1d(x, w, b, stride=2, padding=1, groups=1) ** 2,
                  [(2, 3, 7), (2, 3, 3), (2,)], None, []),
    "nn_conv_transpose2d": (lambda m, x, w, b: F(m).conv_transpose2d(
        x, w, b, stride=2, padding=1, output_padding=1, groups=2, dilation=1) ** 2,
        [(2, 4, 3, 3), (4, 1, 3, 2), (2,)], None, []),
    "nn_conv_transpose1d": (lambda m, x, w: F(m).conv_transpose1d(x * x, w, stride=2,
                                                                  padding=1),
                            [(2, 2, 4), (2, 3, 3)], None, []),
    # pooling
    "nn_max_pool2d": (lambda m, x: F(m).max_pool2d(x * x, 3, 2, 1, ceil_mode=True),
                      [(2, 2, 5, 6)], None, []),
    "nn_max_pool1d": (lambda m, x: F(m).max_pool1d(x, 2, 1, dilation=2) ** 3,
                      [(2, 2, 6)], None, []),
    "nn_avg_pool2d": (lambda m, x: F(m).avg_pool2d(x * x, 3, 2, 1, ceil_mode=True,
                                                   count_include_pad=False),
                      [(2, 2, 6, 5)], None, []),
    "nn_avg_pool1d": (lambda m, x: F(m).avg_pool1d(x, 3, 2, 1) ** 2, [(2, 2, 7)], None, []),
    "nn_adaptive_avg_pool2d": (lambda m, x: F(m).adaptive_avg_pool2d(x * x, (3, 2)),
                               [(1, 2, 5, 5)], None, []),
    "nn_adaptive_max_pool2d": (lambda m, x: F(m).adaptive_max_pool2d(x, (3, 2)) ** 2,
                               [(1, 2, 5, 5)], None, []),
    "nn_adaptive_avg_pool1d": (lambda m, x: F(m).adaptive_avg_pool1d(x, 3) ** 2,
                               [(2, 2, 7)], None, []),
    # activations
    "nn_gelu_tanh": (lambda m, x: F(m).gelu(x, approximate="tanh") * x, [(3, 4)], None, []),
    "nn_silu": (lambda m, x: F(m).silu(x) * x, [(3, 4)], None, []),
    "nn_mish": (lambda m, x: F(m).mish(x) * x, [(3, 4)], None, []),
    "nn_elu": (lambda m, x: F(m).elu(x, 0.7) * x, [(3, 4)], "nz", []),
    "nn_softplus": (lambda m, x: F(m).softplus(x * 4, beta=0.5, threshold=3.0) * x,
                    [(3, 4)], None, []),
    "nn_leaky_relu": (lambda m, x: F(m).leaky_relu(x, 0.2) * x, [(3, 4)], "nz", []),
    "nn_hardtanh": (lambda m, x: F(m).hardtanh(x * 2, -1.0, 1.5) * x, [(3, 4)], "nz", []),
    "nn_prelu": (lambda m, x, w: F(m).prelu(x, w) * x, [(2, 3, 4), (3,)], "nz", []),
    "nn_celu_selu": (lambda m, x: (F(m).celu(x, 1.0) + F(m).selu(x)) * x, [(3, 4)], "nz", []),
    "nn_softmax": (lambda m, x: F(m).softmax(x, dim=1) * x, [(3, 4)], None, []),
    "nn_log_softmax": (lambda m, x: F(m).log_softmax(x, dim=0) * x, [(3, 4)], None, []),
    "nn_normalize": (lambda m, x: F(m).normalize(x, p=2.0, dim=1), [(3, 4)], None, []),
    "nn_linear": (lambda m, x, w, b: F(m).linear(x, w, b) ** 2, [(3, 4), (2, 4), (2,)],
                  None, []),
    # padding / resampling / lookup
    "nn_pad_reflect": (lambda m, x: F(m).pad(x, (2, 1, 1, 2), mode="reflect") ** 2,
                       [(1, 2, 4, 3)], None, []),
    "nn_pad_replicate": (lambda m, x: F(m).pad(x, (2, 1), mode="replicate") ** 2,
                         [(2, 2, 3)], None, []),
    "nn_pad_circular": (lambda m, x: F(m).pad(x, (1, 2, 2, 1), mode="circular") ** 2,
                        [(1, 2, 3, 3)], None, []),
    "nn_pad_constant": (lambda m, x: F(m).pad(x, (1, 2, 0, 1), value=0.5) ** 2,
                        [(1, 2, 3, 3)], None, []),
    "nn_interp_bilinear": (lambda m, x: F(m).interpolate(x, size=(5, 4), mode="bilinear",
                                                         align_corners=False) ** 2,
                           [(1, 2, 3, 3)], None, []),
    "nn_interp_bilinear_ac": (lambda m, x: F(m).interpolate(x, scale_factor=2, mode="bilinear",
                                                            align_corners=True) ** 2,
                              [(1, 2, 3, 2)], None, []),
    "nn_interp_bicubic": (lambda m, x: F(m).interpolate(x, size=(4, 5), mode="bicubic") ** 2,
                          [(1, 1, 3, 3)], None, []),
    "nn_interp_nearest": (lambda m, x: F(m).interpolate(x, size=(5, 4)) ** 2,
                          [(1, 2, 3, 3)], None, []),
    "nn_embedding": (lambda m, w: F(m).embedding(_idx(m, [[0, 2], [3, 2]]), w,
                                                 padding_idx=3) ** 2, [(4, 3)], None, []),
    # normalisation
    "nn_batch_norm": (lambda m, x, w, b: F(m).batch_norm(x, None, None, w, b, training=True),
                      [(4, 3, 2), (3,), (3,)], None, []),
    "nn_layer_norm": (lambda m, x, w, b: F(m).layer_norm(x, (4,), w, b),
                      [(3, 4), (4,), (4,)], None, []),
    "nn_group_norm": (lambda m, x, w, b: F(m).group_norm(x, 2, w, b),
                      [(2, 4, 3), (4,), (4,)], None, []),
    "nn_rms_norm": (lambda m, x, w: F(m).rms_norm(x, (4,), w, eps=1e-6),
                    [(3, 4), (4,)], None, []),
    # attention
    "nn_sdpa_causal": (lambda m, q, k, v: F(m).scaled_dot_product_attention(q, k, v,
                                                                            is_causal=True),
                       [(2, 3, 4), (2, 3, 4), (2, 3, 2)], None, []),
    "nn_sdpa_mask": (lambda m, q, k, v, a: F(m).scaled_dot_product_attention(
        q, k, v, attn_mask=a, scale=0.7), [(1, 3, 2), (1, 4, 2), (1, 4, 3), (3, 4)], None, []),
    # losses
    "nn_cross_entropy": (lambda m, x: F(m).cross_entropy(
        x, _idx(m, [0, 2, 1, 4]), weight=m.tensor(np.arange(1.0, 6.0)), ignore_index=1,
        label_smoothing=0.15), [(4, 5)], None, []),
    "nn_cross_entropy_nd": (lambda m, x: F(m).cross_entropy(
        x, _idx(m, [[0, 2], [1, 1]]), reduction="sum", label_smoothing=0.1),
        [(2, 3, 2)], None, []),
    "nn_cross_entropy_probs": (lambda m, x, t: F(m).cross_entropy(x, t, reduction="none"),
                               [(4, 5), (4, 5)], _probs, []),
    "nn_nll_loss": (lambda m, x: F(m).nll_loss(x, _idx(m, [0, 2, 1]), reduction="none") * x[:, 0],
                    [(3, 4)], None, []),
    "nn_bce": (lambda m, x, t: F(m).binary_cross_entropy(x, t, reduction="sum"),
               [(3, 4), (3, 4)], _unit, []),
    "nn_bce_logits": (lambda m, x, t: F(m).binary_cross_entropy_with_logits(
        x, t, pos_weight=m.tensor(np.array([1.0, 2.0, 0.5, 3.0]))), [(3, 4), (3, 4)], _unit, []),
    "nn_mse": (lambda m, x, t: F(m).mse_loss(x * x, t), [(3, 4), (3, 4)], None, []),
    "nn_smooth_l1": (lambda m, x, t: F(m).smooth_l1_loss(x * x, t, beta=0.7),
                     [(3, 4), (3, 4)], None, []),
    "nn_huber": (lambda m, x, t: F(m).huber_loss(x * x, t, delta=0.6), [(3, 4), (3, 4)],
                 None, []),
    "nn_kl_div": (lambda m, x, t: F(m).kl_div(x * x, t, reduction="batchmean", log_target=True),
                  [(3, 4), (3, 4)], None, []),
    "nn_kl_div_probs": (lambda m, x, t: F(m).kl_div(x * x, t, reduction="sum"),
                        [(4, 5), (4, 5)], _probs, []),
}

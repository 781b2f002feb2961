"""``cnn_step``: one training step of the digits CNN of
``examples/train_digits_cnn.py`` (batch 64 of 1x8x8 float32 images):

    Conv2d(1, 16, 3, padding=1, bias=False) - BatchNorm2d(16) - ReLU
    - Conv2d(16, 32, 3, padding=1, bias=False) - BatchNorm2d(32) - ReLU - MaxPool2d(2)
    - Flatten - Dropout(0.25) - Linear(512, 10)

then mean cross-entropy, backward, and an Adam update (lr 1e-3); batch norm
in training mode (batch statistics, running statistics updated).

Systems: ``numpy`` (the floor: the same forward, backward and Adam written
by hand, im2col with stride tricks and one matmul per layer, no graph),
``c`` / ``python`` (autograd_c's ``nn`` modules and ``optim.Adam``),
``torch`` (``torch.nn`` / ``torch.optim.Adam``) and ``autograd`` (HIPS: the
floor's forward in ``autograd.numpy``, its gradient, the same Adam). All start
from the same parameters and batch (``cnn_data``).

Every system draws its own dropout masks, so the losses of a timed step
differ by the draw; the FIRST call of each ``step()`` (the bench's check
against the floor) runs with dropout off, and all later (timed) calls with
dropout on.
"""
from __future__ import annotations

import numpy as np

NAME = "cnn_step"
DESCRIPTION = ("digits CNN training step, batch 64 of 1x8x8, float32: conv3x3(16)-BN-ReLU-"
               "conv3x3(32)-BN-ReLU-maxpool2-dropout-linear(10), cross-entropy, Adam")
DTYPE = np.float32
BATCH = 64
DROPOUT = 0.25
LR = 1e-3
EPS_BN = 1e-5
MOMENTUM_BN = 0.1
BETAS = (0.9, 0.999)
EPS_ADAM = 1e-8


def cnn_module(nn):
    """The CNN from ``nn`` (``autograd_c.nn`` or ``torch.nn``); the same
    architecture as ``make_cnn`` in ``examples/train_digits_cnn.py`` (a test
    checks that)."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
        nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(DROPOUT), nn.Linear(32 * 4 * 4, 10))


def cnn_data(seed=0, dtype=DTYPE):
    """``x, y, params``: a batch of images (N, 1, 8, 8), labels (N,) int64 and
    the parameters by ``state_dict`` name (drawn in float64, rounded to ``dtype``)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, 1, 8, 8))
    y = rng.integers(0, 10, BATCH).astype(np.int64)

    def fan_in(shape):
        bound = 1.0 / np.sqrt(np.prod(shape[1:]))
        return rng.uniform(-bound, bound, shape), rng.uniform(-bound, bound, shape[0])

    w1, _ = fan_in((16, 1, 3, 3))
    w2, _ = fan_in((32, 16, 3, 3))
    wf, bf = fan_in((10, 512))
    params = {"0.weight": w1, "1.weight": 1 + 0.1 * rng.standard_normal(16),
              "1.bias": 0.1 * rng.standard_normal(16), "3.weight": w2,
              "4.weight": 1 + 0.1 * rng.standard_normal(32),
              "4.bias": 0.1 * rng.standard_normal(32), "9.weight": wf, "9.bias": bf}
    return x.astype(dtype), y, {k: v.astype(dtype) for k, v in params.items()}


# --------------------------------------------------------------------------
# the floor: hand-written numpy
# --------------------------------------------------------------------------

def _im2col3(a):
    """(N, C, H, W) -> (N, C*9, H*W): 3x3 windows with zero padding 1."""
    n, c, h, w = a.shape
    p = np.pad(a, ((0, 0), (0, 0), (1, 1), (1, 1)))
    win = np.lib.stride_tricks.sliding_window_view(p, (3, 3), axis=(2, 3))  # N,C,H,W,3,3
    return np.ascontiguousarray(win.transpose(0, 1, 4, 5, 2, 3)).reshape(n, c * 9, h * w)


def _col2im3(cols, c, h, w):
    """The adjoint of ``_im2col3``."""
    n = cols.shape[0]
    b = cols.reshape(n, c, 3, 3, h, w)
    out = np.zeros((n, c, h + 2, w + 2), cols.dtype)
    for i in range(3):
        for j in range(3):
            out[:, :, i:i + h, j:j + w] += b[:, :, i, j]
    return out[:, :, 1:h + 1, 1:w + 1]


def _conv_fwd(a, w):
    """3x3 same convolution without bias: ``(out (N, O, H, W), cols)``."""
    n, c, h, wd = a.shape
    cols = _im2col3(a)
    out = np.matmul(w.reshape(w.shape[0], -1), cols)
    return out.reshape(n, -1, h, wd), cols


def _conv_bwd(g, cols, w, a_shape, need_input):
    n, o = g.shape[:2]
    g2 = g.reshape(n, o, -1)
    # the weight's gradient as one matmul over (N * positions)
    gw = (g2.transpose(1, 0, 2).reshape(o, -1)
          @ cols.transpose(0, 2, 1).reshape(-1, cols.shape[1])).reshape(w.shape)
    ga = _col2im3(np.matmul(w.reshape(o, -1).T, g2), *a_shape[1:]) if need_input else None
    return ga, gw


def _bn_fwd(z, gamma, beta, run_mean, run_var):
    m = z.shape[0] * z.shape[2] * z.shape[3]
    mean = z.mean((0, 2, 3), keepdims=True)
    c = z - mean
    var = (c * c).mean((0, 2, 3), keepdims=True)
    inv = 1.0 / np.sqrt(var + EPS_BN)
    xhat = c * inv
    run_mean *= 1 - MOMENTUM_BN
    run_mean += MOMENTUM_BN * mean.reshape(-1)
    run_var *= 1 - MOMENTUM_BN
    run_var += MOMENTUM_BN * var.reshape(-1) * (m / (m - 1))
    return xhat * gamma[:, None, None] + beta[:, None, None], (xhat, inv)


def _bn_bwd(g, gamma, cache):
    xhat, inv = cache
    gbeta = g.sum((0, 2, 3))
    ggamma = (g * xhat).sum((0, 2, 3))
    m = g.shape[0] * g.shape[2] * g.shape[3]
    gx = (gamma[:, None, None] * inv) * (g - (gbeta[:, None, None]
                                              + xhat * ggamma[:, None, None]) / m)
    return gx, ggamma, gbeta


def cnn_numpy(x, y, params, dropout=True):
    names = list(params)
    ps = {k: v.copy() for k, v in params.items()}
    m = {k: np.zeros_like(v) for k, v in ps.items()}
    v2 = {k: np.zeros_like(v) for k, v in ps.items()}
    running = {k: (np.zeros(n, x.dtype), np.ones(n, x.dtype)) for k, n in (("1", 16), ("4", 32))}
    rng = np.random.default_rng(1)
    state = {"t": 0}
    n = x.shape[0]
    onehot = np.eye(10, dtype=x.dtype)[y]
    one = x.dtype.type(1)

    def step():
        drop = dropout and state["t"] > 0
        # forward
        z1, cols1 = _conv_fwd(x, ps["0.weight"])
        y1, bn1 = _bn_fwd(z1, ps["1.weight"], ps["1.bias"], *running["1"])
        a1 = np.maximum(y1, 0)
        z2, cols2 = _conv_fwd(a1, ps["3.weight"])
        y2, bn2 = _bn_fwd(z2, ps["4.weight"], ps["4.bias"], *running["4"])
        a2 = np.maximum(y2, 0)
        win = a2.reshape(n, 32, 4, 2, 4, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, 32, 4, 4, 4)
        arg = win.argmax(-1)[..., None]
        h = np.take_along_axis(win, arg, -1).reshape(n, 512)
        if drop:
            mask = (rng.random(h.shape) >= DROPOUT).astype(x.dtype) / x.dtype.type(1 - DROPOUT)
            h = h * mask
        logits = h @ ps["9.weight"].T + ps["9.bias"]
        sh = logits - logits.max(1, keepdims=True)
        e = np.exp(sh)
        s = e.sum(1, keepdims=True)
        loss = float(np.mean(np.log(s[:, 0]) - sh[np.arange(n), y]))
        # backward
        g = (e / s - onehot) / x.dtype.type(n)
        grads = {"9.weight": g.T @ h, "9.bias": g.sum(0)}
        gh = g @ ps["9.weight"]
        if drop:
            gh = gh * mask
        gwin = np.zeros_like(win)
        np.put_along_axis(gwin, arg, gh.reshape(n, 32, 4, 4, 1), -1)
        ga2 = gwin.reshape(n, 32, 4, 4, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(a2.shape)
        gy2 = ga2 * (y2 > 0)
        gz2, grads["4.weight"], grads["4.bias"] = _bn_bwd(gy2, ps["4.weight"], bn2)
        ga1, grads["3.weight"] = _conv_bwd(gz2, cols2, ps["3.weight"], a1.shape, True)
        gy1 = ga1 * (y1 > 0)
        gz1, grads["1.weight"], grads["1.bias"] = _bn_bwd(gy1, ps["1.weight"], bn1)
        _, grads["0.weight"] = _conv_bwd(gz1, cols1, ps["0.weight"], x.shape, False)
        # Adam, as torch's (single-tensor) update
        state["t"] += 1
        t = state["t"]
        b1, b2 = BETAS
        bc1, bc2 = 1 - b1 ** t, 1 - b2 ** t
        for k in names:
            gk = grads[k]
            m[k] += (one - b1) * (gk - m[k])
            v2[k] *= b2
            v2[k] += (one - b2) * gk * gk
            denom = np.sqrt(v2[k]) / np.sqrt(bc2) + EPS_ADAM
            ps[k] -= (LR / bc1) * m[k] / denom
        return loss
    return step


# --------------------------------------------------------------------------
# autograd_c engines, torch, HIPS autograd
# --------------------------------------------------------------------------

def _module_step(lib, model, x, y, loss_fn, dropout=True):
    """``step()`` for a model of ``lib`` (autograd_c or torch) with Adam; the
    first call runs with dropout off (the check), later ones with it on
    (with ``dropout``)."""
    opt = lib.optim.Adam(model.parameters(), lr=LR, betas=BETAS, eps=EPS_ADAM)
    drop = model[8]
    drop.eval()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        drop.train(dropout)
        return float(loss.item())
    return step


def cnn_engine(engine):
    def build(x, y, params, dropout=True):
        import autograd_c as ag
        with ag.use_engine(engine):
            model = cnn_module(ag.nn).float()
            model.load_state_dict(params, strict=False)
            X, Y = ag.from_numpy(x.copy()), ag.from_numpy(y.copy())
        return _module_step(ag, model, X, Y, ag.nn.functional.cross_entropy, dropout)
    return build


def cnn_torch(x, y, params, dropout=True):
    import torch
    model = cnn_module(torch.nn).float()
    model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in params.items()},
                          strict=False)
    return _module_step(torch, model, torch.from_numpy(x.copy()), torch.from_numpy(y.copy()),
                        torch.nn.functional.cross_entropy, dropout)


def cnn_hips(x, y, params, dropout=True):
    """HIPS autograd: the forward in ``autograd.numpy`` (no running
    statistics: they do not touch the gradient), its gradient, the floor's Adam."""
    import autograd
    import autograd.numpy as anp

    names = list(params)
    n = x.shape[0]
    rng = np.random.default_rng(1)
    state = {"t": 0}

    def conv(a, w):
        c = a.shape[1]
        p = anp.concatenate([anp.zeros((n, c, 1, 8), a.dtype), a,
                             anp.zeros((n, c, 1, 8), a.dtype)], 2)
        p = anp.concatenate([anp.zeros((n, c, 10, 1), a.dtype), p,
                             anp.zeros((n, c, 10, 1), a.dtype)], 3)
        cols = anp.stack([p[:, :, i:i + 8, j:j + 8] for i in range(3) for j in range(3)], 2)
        cols = anp.reshape(cols, (n, c * 9, 64))
        out = anp.einsum("ok,nkl->nol", anp.reshape(w, (w.shape[0], -1)), cols)
        return anp.reshape(out, (n, -1, 8, 8))

    def bn(z, gamma, beta):
        mean = anp.mean(z, (0, 2, 3), keepdims=True)
        c = z - mean
        var = anp.mean(c * c, (0, 2, 3), keepdims=True)
        return c / anp.sqrt(var + EPS_BN) * gamma[:, None, None] + beta[:, None, None]

    def loss_fn(ps, mask):
        a1 = anp.maximum(bn(conv(x, ps[0]), ps[1], ps[2]), 0.0)
        a2 = anp.maximum(bn(conv(a1, ps[3]), ps[4], ps[5]), 0.0)
        pooled = anp.max(anp.max(anp.reshape(a2, (n, 32, 4, 2, 4, 2)), 5), 3)
        h = anp.reshape(pooled, (n, 512)) * mask
        logits = anp.dot(h, ps[6].T) + ps[7]
        sh = logits - anp.max(logits, 1, keepdims=True)
        return anp.mean(anp.log(anp.sum(anp.exp(sh), 1)) - sh[np.arange(n), y])

    vg = autograd.value_and_grad(loss_fn)
    ps = [params[k].copy() for k in names]
    m = [np.zeros_like(p) for p in ps]
    v2 = [np.zeros_like(p) for p in ps]

    def step():
        if dropout and state["t"] > 0:
            mask = (rng.random((n, 512)) >= DROPOUT).astype(x.dtype) / x.dtype.type(1 - DROPOUT)
        else:
            mask = np.ones((n, 512), x.dtype)
        loss, grads = vg(ps, mask)
        state["t"] += 1
        t = state["t"]
        b1, b2 = BETAS
        bc1, bc2 = 1 - b1 ** t, 1 - b2 ** t
        for p, mk, vk, gk in zip(ps, m, v2, grads):
            gk = np.asarray(gk, dtype=p.dtype)
            mk += (1 - b1) * (gk - mk)
            vk *= b2
            vk += (1 - b2) * gk * gk
            p -= (LR / bc1) * mk / (np.sqrt(vk) / np.sqrt(bc2) + EPS_ADAM)
        return float(loss)
    return step


BUILDERS = {"numpy": cnn_numpy, "c": cnn_engine("c"), "python": cnn_engine("python"),
            "torch": cnn_torch, "autograd": cnn_hips}


def build_step(system, dropout=True):
    """``step()`` of ``cnn_step`` on ``system``, from the shared start;
    ``dropout=False``: every step without dropout (for tests)."""
    return BUILDERS[system](*cnn_data(), dropout=dropout)

"""The ``transformer_step`` workload: one training step of the character-level
transformer of ``examples/train_char_transformer.py`` (its ``define_model``,
``make_optimizer`` and ``train_step``: forward, cross-entropy, backward,
``clip_grad_norm_`` to 1, AdamW, warmup/cosine schedule), float32, batch 16 x 32
characters of the Zen of Python, d_model 64, 4 heads, 2 layers.

Every system starts from the same float32 parameters (our seeded model's) on
the same batch. The floor is the same step written by hand in numpy (forward,
backward, clipping, AdamW; no graph). The model code comes from the example
file of the source tree (the bench runs from a checkout).
"""
from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np

NAME = "transformer_step"
DTYPE = np.float32
SYSTEMS = ("numpy", "c", "python", "torch")      # not HIPS autograd
BATCH, BLOCK, CFG = 16, 32, {"d_model": 64, "n_head": 4, "n_layer": 2}
STEPS = 10 ** 6          # schedule length: the timed calls stay in its warmup
DESCRIPTION = (f"char transformer training step (examples/train_char_transformer.py), "
               f"float32, batch {BATCH}x{BLOCK}, d_model {CFG['d_model']}, "
               f"{CFG['n_head']} heads, {CFG['n_layer']} layers: forward, backward, "
               f"clip_grad_norm_, AdamW, LR schedule")
_SCRIPT = Path("examples") / "train_char_transformer.py"


def _example_path():
    """The example script: beside the package in a source tree, else under
    the working directory (an installed package run from a checkout)."""
    for root in (Path(__file__).resolve().parents[3], Path.cwd()):
        if (root / _SCRIPT).exists():
            return root / _SCRIPT
    return None

_example = None


def missing():
    """Why the row cannot run here (None when it can): the model is the
    example's, which a wheel install does not carry."""
    if _example_path() is None:
        return f"needs {_SCRIPT} of a source checkout (run from its top directory)"
    return None


def example():
    """The example module (loaded once from the source tree)."""
    global _example
    if _example is None:
        path = _example_path()
        if path is None:
            raise FileNotFoundError(f"transformer_step needs {_SCRIPT} (run the bench from "
                                    f"a source checkout)")
        spec = importlib.util.spec_from_file_location("_bench_train_char_transformer", path)
        _example = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(_example)
    return _example


def start():
    """``x, y, state``: the batch and the initial float32 parameters (numpy)."""
    import autograd_c as ag
    ex = example()
    data = ex.CharData(ex.zen_text(), BLOCK, seed=0)
    x, y = data.batch(BATCH)
    with ag.use_engine("python"):
        ag.manual_seed(0)
        model = ex.define_model(ag)(data.vocab, BLOCK, **CFG).float()
        state = {k: np.array(v, dtype=np.float32) for k, v in model.state_dict().items()}
    return x, y, state


def build_step(system):
    """``step()`` of ``system`` from the shared start; returns the loss."""
    x, y, state = start()
    if system == "numpy":
        return _numpy_step(x, y, state)
    ex = example()
    vocab = state["tok.weight"].shape[0]
    if system == "torch":
        import torch as lib
        ctx = None
    else:
        import autograd_c as lib
        ctx = system
    if ctx:
        from autograd_c import engines
        prev = engines.get_engine().name
        engines.set_engine(ctx)
    try:
        model = ex.define_model(lib)(vocab, BLOCK, **CFG).float()
        model.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
        opt, sched = ex.make_optimizer(lib, model, STEPS)
        X, Y = lib.tensor(x), lib.tensor(y)
    finally:
        if ctx:
            engines.set_engine(prev)

    def step():
        if ctx:
            with lib.use_engine(ctx):
                return ex.train_step(lib, model, opt, sched, X, Y)[0]
        return ex.train_step(lib, model, opt, sched, X, Y)[0]
    return step


# --------------------------------------------------------------------------
# the floor: the same step by hand in numpy
# --------------------------------------------------------------------------

def _erf():
    try:
        from scipy.special import erf
        return erf
    except ImportError:          # pragma: no cover - depends on the install
        return np.vectorize(math.erf, otypes=[np.float64])


def _ln(x, w, b, eps=1e-5):
    mu = x.mean(-1, keepdims=True)
    c = x - mu
    rstd = 1.0 / np.sqrt((c * c).mean(-1, keepdims=True) + eps)
    xh = c * rstd
    return xh * w + b, (xh, rstd, w)


def _ln_back(g, cache):
    xh, rstd, w = cache
    gw = (g * xh).reshape(-1, xh.shape[-1]).sum(0)
    gb = g.reshape(-1, xh.shape[-1]).sum(0)
    gx = g * w
    gx = rstd * (gx - gx.mean(-1, keepdims=True) - xh * (gx * xh).mean(-1, keepdims=True))
    return gx, gw, gb


def _lin_back(g, inp, W, grads, name):
    """Gradients of ``inp @ W.T + b``: stores W's and b's, returns inp's."""
    g2, i2 = g.reshape(-1, g.shape[-1]), inp.reshape(-1, inp.shape[-1])
    grads[name + ".weight"] = g2.T @ i2
    grads[name + ".bias"] = g2.sum(0)
    return g @ W


def _numpy_step(x, y, state):
    p = {k: v.copy() for k, v in state.items()}
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v2 = {k: np.zeros_like(v) for k, v in p.items()}
    erf = _erf()
    B, T = x.shape
    C, H = CFG["d_model"], CFG["n_head"]
    D = C // H
    f32 = np.float32
    scale = f32(1.0 / math.sqrt(D))
    causal = np.tril(np.ones((T, T), dtype=bool))
    lr0, b1, b2, eps, wd = 3e-3, 0.9, 0.95, 1e-8, 0.1
    warm = max(1, STEPS // 10)
    t = [0]

    def step():
        grads = {}
        # ---- forward
        h = p["tok.weight"][x] + p["pos.weight"][:T]
        caches = []
        for i in range(CFG["n_layer"]):
            pre = f"blocks.{i}."
            a_in, c1 = _ln(h, p[pre + "ln1.weight"], p[pre + "ln1.bias"])
            qkv = a_in @ p[pre + "attn.qkv.weight"].T + p[pre + "attn.qkv.bias"]
            q, k, v = (z.reshape(B, T, H, D).transpose(0, 2, 1, 3)
                       for z in np.split(qkv, 3, axis=2))
            s = np.where(causal, (q @ k.transpose(0, 1, 3, 2)) * scale, -np.inf)
            e = np.exp(s - s.max(-1, keepdims=True))
            att = e / e.sum(-1, keepdims=True)
            o = (att @ v).transpose(0, 2, 1, 3).reshape(B, T, C)
            h = h + o @ p[pre + "attn.proj.weight"].T + p[pre + "attn.proj.bias"]
            m_in, c2 = _ln(h, p[pre + "ln2.weight"], p[pre + "ln2.bias"])
            u = m_in @ p[pre + "mlp.0.weight"].T + p[pre + "mlp.0.bias"]
            phi = f32(0.5) * (f32(1.0) + erf(u * f32(1 / math.sqrt(2)))).astype(f32)
            gl = u * phi
            h = h + gl @ p[pre + "mlp.2.weight"].T + p[pre + "mlp.2.bias"]
            caches.append((a_in, c1, q, k, v, att, o, m_in, c2, u, phi, gl))
        f_in, cf = _ln(h, p["ln_f.weight"], p["ln_f.bias"])
        logits = (f_in @ p["head.weight"].T + p["head.bias"]).reshape(B * T, -1)
        z = logits - logits.max(1, keepdims=True)
        lse = np.log(np.exp(z).sum(1, keepdims=True))
        logp = z - lse
        tgt = y.reshape(-1)
        loss = -logp[np.arange(B * T), tgt].mean()
        # ---- backward
        g = np.exp(logp)
        g[np.arange(B * T), tgt] -= 1
        g = (g / f32(B * T)).reshape(B, T, -1)
        g = _lin_back(g, f_in, p["head.weight"], grads, "head")
        g, grads["ln_f.weight"], grads["ln_f.bias"] = _ln_back(g, cf)
        for i in reversed(range(CFG["n_layer"])):
            pre = f"blocks.{i}."
            a_in, c1, q, k, v, att, o, m_in, c2, u, phi, gl = caches[i]
            gg = _lin_back(g, gl, p[pre + "mlp.2.weight"], grads, pre + "mlp.2")
            dphi = np.exp(-f32(0.5) * u * u) * f32(1 / math.sqrt(2 * math.pi))
            gu = gg * (phi + u * dphi)
            gm = _lin_back(gu, m_in, p[pre + "mlp.0.weight"], grads, pre + "mlp.0")
            gm, grads[pre + "ln2.weight"], grads[pre + "ln2.bias"] = _ln_back(gm, c2)
            g = g + gm
            go = _lin_back(g, o, p[pre + "attn.proj.weight"], grads, pre + "attn.proj")
            go = go.reshape(B, T, H, D).transpose(0, 2, 1, 3)
            gatt = go @ v.transpose(0, 1, 3, 2)
            gv = att.transpose(0, 1, 3, 2) @ go
            gs = att * (gatt - (gatt * att).sum(-1, keepdims=True)) * scale
            gq = gs @ k
            gk = gs.transpose(0, 1, 3, 2) @ q
            gqkv = np.concatenate([z.transpose(0, 2, 1, 3).reshape(B, T, C)
                                   for z in (gq, gk, gv)], axis=2)
            ga = _lin_back(gqkv, a_in, p[pre + "attn.qkv.weight"], grads, pre + "attn.qkv")
            ga, grads[pre + "ln1.weight"], grads[pre + "ln1.bias"] = _ln_back(ga, c1)
            g = g + ga
        grads["pos.weight"] = np.zeros_like(p["pos.weight"])
        grads["pos.weight"][:T] = g.sum(0)
        gt = np.zeros_like(p["tok.weight"])
        np.add.at(gt, x.reshape(-1), g.reshape(-1, C))
        grads["tok.weight"] = gt
        # ---- clip to total norm 1, AdamW (warmup part of the schedule)
        norm = math.sqrt(sum(float(np.dot(gr.ravel(), gr.ravel())) for gr in grads.values()))
        coef = min(1.0, 1.0 / (norm + 1e-6))
        t[0] += 1
        n = t[0]
        lr = lr0 * (0.1 + 0.9 * min(n - 1, warm) / warm)
        for key, w in p.items():
            gr = grads[key] * f32(coef)
            w *= f32(1 - lr * wd)
            m[key] += (gr - m[key]) * f32(1 - b1)
            v2[key] *= f32(b2)
            v2[key] += f32(1 - b2) * gr * gr
            denom = np.sqrt(v2[key]) / f32(math.sqrt(1 - b2 ** n)) + f32(eps)
            w -= f32(lr / (1 - b1 ** n)) * m[key] / denom
        return float(loss)
    return step

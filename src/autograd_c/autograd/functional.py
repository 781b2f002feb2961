"""``torch.autograd.functional``: jacobian, hessian, vjp, jvp, hvp, vhp, with
torch's signatures and return shapes, built on ``autograd.grad`` (with
``create_graph`` where a second derivative is needed).

``jvp`` uses the double-VJP identity: for ``g(u) = J^T u``, linear in ``u``,
``J v = d/du <g(u), v>``; it costs two backward passes (PyTorch's functional
jvp does the same)."""
from __future__ import annotations

import numpy as np

from .. import _tensor
from ..grad_mode import enable_grad

__all__ = ["jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"]


def _tup(x):
    return (tuple(x), True) if isinstance(x, (tuple, list)) else ((x,), False)


def _prep(inputs, create_graph):
    """Fresh differentiable copies of ``inputs`` (kept in the graph when
    ``create_graph``, so results stay differentiable with respect to them)."""
    out = []
    for x in inputs:
        if not isinstance(x, _tensor.Tensor):
            raise TypeError(f"autograd.functional: inputs must be Tensors, got {type(x).__name__}")
        if create_graph and x.requires_grad:
            out.append(x * 1 if x._node is None else x)
        else:
            out.append(type(x)(x.data.copy(), requires_grad=True))
    return tuple(out)


def _grads(outs, ins, gos, create_graph, who):
    from . import grad
    live = [(o, g) for o, g in zip(outs, gos) if o.requires_grad]
    if not live:
        return tuple(_zeros_like(x) for x in ins)
    res = grad([o for o, _ in live], ins, [g for _, g in live], retain_graph=True,
               create_graph=create_graph, allow_unused=True)
    return tuple(r if r is not None else _zeros_like(x)
                 for r, x in zip(res, ins))


def _zeros_like(x):
    return type(x)(np.zeros(x.shape, x.dtype))


def double_vjp(outs, xs, vs, create_graph=False):
    """``J v`` for each output (``J`` = d outs / d xs), from reverse mode
    only: for ``g(u) = J^T u`` (linear in ``u``), ``J v = d/du <g(u), v>``.
    Two backward passes; used by ``jvp`` and by forward_ad for every op."""
    from . import grad
    us = tuple(type(o)(np.zeros(o.shape, o.dtype), requires_grad=True) for o in outs)
    gs = grad(list(outs), xs, list(us), create_graph=True, allow_unused=True)
    live = [(g, v) for g, v in zip(gs, vs) if g is not None and g.requires_grad]
    if not live:
        return tuple(_zeros_like(o) for o in outs)
    jv = grad([g for g, _ in live], us, [v for _, v in live], create_graph=create_graph,
              allow_unused=True)
    return tuple(j if j is not None else _zeros_like(o) for j, o in zip(jv, outs))


def _detach(ts, create_graph):
    return ts if create_graph else tuple(t.detach() for t in ts)


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T J)."""
    ins, multi_in = _tup(inputs)
    xs = _prep(ins, create_graph)
    with enable_grad():
        out = func(*xs)
    outs, multi_out = _tup(out)
    if v is None:
        if any(o.data.size != 1 for o in outs):
            raise RuntimeError("vjp: v can be omitted only for a scalar output")
        vs = (None,) * len(outs)
    else:
        vs, _ = _tup(v)
    g = _detach(_grads(outs, xs, vs, create_graph, "vjp"), create_graph)
    outs = _detach(outs, create_graph)
    return (outs if multi_out else outs[0]), (g if multi_in else g[0])


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J v), by the double-VJP identity (two backward passes)."""
    ins, multi_in = _tup(inputs)
    xs = _prep(ins, True)
    with enable_grad():
        out = func(*xs)
    outs, multi_out = _tup(out)
    if v is None:
        if any(x.data.size != 1 for x in ins):
            raise RuntimeError("jvp: v can be omitted only for scalar inputs")
        vs = tuple(type(x)(np.ones(x.shape, x.dtype)) for x in ins)
    else:
        vs, _ = _tup(v)
    jv = _detach(double_vjp(outs, xs, vs, create_graph), create_graph)
    outs = _detach(outs, create_graph)
    return (outs if multi_out else outs[0]), (jv if multi_out else jv[0])


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """The Jacobian: for one input and one output, a Tensor of shape
    ``out.shape + in.shape``; tuples of those otherwise (torch's nesting)."""
    ins, multi_in = _tup(inputs)
    xs = _prep(ins, create_graph)
    with enable_grad():
        out = func(*xs)
    outs, multi_out = _tup(out)
    from ..functions import stack
    result = []
    for o in outs:
        rows = []
        n = int(np.prod(o.shape, dtype=np.int64))
        for k in range(n):
            e = np.zeros(n, o.dtype)
            e[k] = 1.0
            rows.append(_grads([o], xs, [type(o)(e.reshape(o.shape))], create_graph, "jacobian"))
        per_in = []
        for j, x in enumerate(xs):
            if n:
                J = stack([r[j] for r in rows]).reshape(tuple(o.shape) + tuple(x.shape))
            else:
                J = type(x)(np.zeros(tuple(o.shape) + tuple(x.shape), x.dtype))
            per_in.append(J if create_graph else J.detach())
        result.append(tuple(per_in) if multi_in else per_in[0])
    return tuple(result) if multi_out else result[0]


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar function (shape ``in.shape + in.shape``)."""
    ins, multi_in = _tup(inputs)

    def grad_fn(*xs):
        with enable_grad():
            out = func(*xs)
        if out.data.size != 1:
            raise RuntimeError("hessian: the function must return a single-element Tensor")
        return _grads([out], xs, [None], True, "hessian") if multi_in \
            else _grads([out], xs, [None], True, "hessian")[0]

    return jacobian(grad_fn, inputs if multi_in else ins[0], create_graph=create_graph)


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T H)."""
    ins, multi_in = _tup(inputs)
    xs = _prep(ins, True)
    with enable_grad():
        out = func(*xs)
    if out.data.size != 1:
        raise RuntimeError("vhp: the function must return a single-element Tensor")
    g = _grads([out], xs, [None], True, "vhp")
    vs, _ = _tup(v)
    live = [(gi, vi) for gi, vi in zip(g, vs) if gi.requires_grad]
    if live:
        from . import grad
        hv = grad([a for a, _ in live], xs, [b for _, b in live], create_graph=create_graph,
                  allow_unused=True)
        hv = tuple(h if h is not None else _zeros_like(x)
                   for h, x in zip(hv, xs))
    else:
        hv = tuple(_zeros_like(x) for x in xs)
    hv = _detach(hv, create_graph)
    out = out if create_graph else out.detach()
    return out, (hv if multi_in else hv[0])


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H v): equal to vhp for the symmetric Hessian of a
    twice continuously differentiable function."""
    return vhp(func, inputs, v, create_graph, strict)

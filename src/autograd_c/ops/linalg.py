"""Linear algebra: products. ``matmul`` and ``einsum`` are ops; the other
products (``mm``, ``bmm``, ``mv``, ``dot``, ``outer``, ``tensordot``,
``kron``, ``cross``, ``addmm``...) are composites of them, so every order of
gradient comes from those two VJPs. Decompositions are in ``linalg_decomp``.
"""
from __future__ import annotations

import math

import numpy as np

from ._helpers import cast, norm_dims, shape_of
from ._helpers import is_tensor as _is_tensor
from ._registry import composite, op


@op("matmul", saves=(0, 1), saves_for={0: (1,), 1: (0,)}, functions=("matmul",),
    methods=("matmul",),
    dunders=("__matmul__",), rdunders=("__rmatmul__",), numpy=(np.matmul,))
class matmul:
    def forward(input, other):
        ni = input.ndim if type(input) is np.ndarray else np.ndim(input)
        no = other.ndim if type(other) is np.ndarray else np.ndim(other)
        if ni == 0 or no == 0:
            raise ValueError(f"matmul: both operands need at least one dimension, "
                             f"got shapes {shape_of(input)} and {shape_of(other)}")
        if ni > 2 and no == 2 and type(input) is np.ndarray and type(other) is np.ndarray \
                and input.flags.c_contiguous:
            # (..., m, k) @ (k, n) as ONE (M, k) @ (k, n) product (as torch's
            # linear), not a loop of small ones
            # (explicit sizes: -1 cannot be inferred when a dim is 0)
            out = np.matmul(input.reshape(math.prod(input.shape[:-1]), input.shape[-1]), other)
            return out.reshape(input.shape[:-1] + (other.shape[1],)), (input, other)
        return np.matmul(input, other), (input, other)

    def backward(ctx, g, needs):
        a, b = ctx
        if a.ndim == 2 and b.ndim == 2:
            return (g @ b.T if needs[0] else None,
                    a.T @ g if needs[1] else None)
        if b.ndim == 2 and a.ndim > 2 and tuple(g.shape[:-1]) == tuple(a.shape[:-1]):
            # a stack times one matrix: flatten the stack, so that b's gradient
            # is one product over all rows instead of a stack of products summed
            k, n = b.shape
            rows = math.prod(tuple(a.shape[:-1]))
            g2 = g.reshape((rows, n))
            return (cast((g2 @ b.T).reshape(a.shape), a) if needs[0] else None,
                    cast(a.reshape((rows, k)).T @ g2, b) if needs[1] else None)
        # promote 1-D operands as numpy does, then undo it on the way back
        A = a.reshape((1,) + tuple(a.shape)) if a.ndim == 1 else a
        B = b.reshape(tuple(b.shape) + (1,)) if b.ndim == 1 else b
        G = g
        if b.ndim == 1:
            G = np.expand_dims(G, -1)
        if a.ndim == 1:
            G = np.expand_dims(G, -2)
        ga = gb = None
        if needs[0]:
            ga = cast(G @ np.swapaxes(B, -1, -2), A).reshape(a.shape)
        if needs[1]:
            gb = cast(np.swapaxes(A, -1, -2) @ G, B).reshape(b.shape)
        return ga, gb


# --------------------------------------------------------------------------
# einsum
# --------------------------------------------------------------------------

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _einsum_plan(equation, shapes):
    """Normalise ``equation`` for operands of ``shapes``: explicit output,
    '...' spelled out as letters (right-aligned, broadcast), and a size-1
    ellipsis dim that broadcasts dropped from its operand. Returns (list of
    operand subscripts, output subscript, list of per-operand reshapes or
    None, {letter: size})."""
    eq = equation.replace(" ", "")
    if "->" in eq:
        lhs, out = eq.split("->")
        explicit = True
    else:
        lhs, out, explicit = eq, "", False
    subs = lhs.split(",")
    if len(subs) != len(shapes):
        raise ValueError(f"einsum(): equation {equation!r} names {len(subs)} operands, "
                         f"got {len(shapes)}")
    used = {c for c in eq if c.isalpha()}
    free = [c for c in _LETTERS if c not in used]
    nell = 0
    for s, shp in zip(subs, shapes):
        if "..." in s:
            nell = max(nell, len(shp) - (len(s) - 3))
    ell = "".join(free[:nell])
    del free[:nell]
    sizes = {}
    ell_size = [1] * nell
    parsed = []
    for k, (s, shp) in enumerate(zip(subs, shapes)):
        if "..." in s:
            n = len(shp) - (len(s) - 3)
            if n < 0:
                raise ValueError(f"einsum(): operand {k} of shape {tuple(shp)} has fewer dims "
                                 f"than subscript {s!r}")
            s = s.replace("...", ell[nell - n:])
        if len(s) != len(shp) or not all(c in _LETTERS for c in s):
            raise ValueError(f"einsum(): subscript {s!r} does not fit operand {k} of shape "
                             f"{tuple(shp)}")
        parsed.append(s)
        for c, n in zip(s, shp):
            if c in ell:
                j = ell.index(c)
                if n != 1:
                    if ell_size[j] not in (1, n):
                        raise ValueError(f"einsum(): '...' dims of sizes {ell_size[j]} and {n} "
                                         f"do not broadcast")
                    ell_size[j] = n
            elif sizes.setdefault(c, n) != n:
                raise ValueError(f"einsum(): subscript {c!r} has sizes {sizes[c]} and {n}")
    for c, n in zip(ell, ell_size):
        sizes[c] = n
    # an ellipsis dim of size 1 that broadcasts is dropped from its operand
    reshapes = []
    final = []
    for s, shp in zip(parsed, shapes):
        keep = [i for i, c in enumerate(s) if not (c in ell and shp[i] == 1 and sizes[c] != 1)]
        if len(keep) != len(s):
            reshapes.append(tuple(shp[i] for i in keep))
            s = "".join(s[i] for i in keep)
        else:
            reshapes.append(None)
        final.append(s)
    if explicit:
        out = out.replace("...", ell)
        for c in out:
            if c not in sizes:
                raise ValueError(f"einsum(): output subscript {c!r} is not in the inputs")
    else:
        counts = {}
        for s in parsed:
            for c in s:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted((c for c, n in counts.items() if n == 1 and c not in ell),
                                   key=_LETTERS.index))
    return final, out, reshapes, sizes


def _einsum_parse(equation, *operands, optimize=None):
    # (``optimize`` is numpy's keyword, for np.einsum on Tensors: the op
    # chooses its own contraction path)
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not isinstance(equation, str):
        return _sublist_parse((equation,) + tuple(operands))
    return tuple(operands), {"equation": equation}


def _sublist(sub):
    out = ""
    for k in sub:
        if k is Ellipsis:
            out += "..."
        elif isinstance(k, (int, np.integer)) and 0 <= k < len(_LETTERS):
            out += _LETTERS[int(k)]
        else:
            raise ValueError(f"einsum(): sublist entries must be ints in [0, 52) or "
                             f"Ellipsis, got {k!r}")
    return out


def _sublist_parse(args):
    """``einsum(op1, [0, 1], op2, [1, 2], [0, 2])``: the sublist format."""
    out = None
    if len(args) % 2:               # a trailing sublist is the output
        args, out = args[:-1], args[-1]
    ops, subs = list(args[0::2]), list(args[1::2])
    if not ops or len(ops) != len(subs):
        raise ValueError("einsum(): the sublist format needs one sublist per operand")
    eq = ",".join(_sublist(s) for s in subs)
    if out is not None:
        eq += "->" + _sublist(out)
    return tuple(ops), {"equation": eq}


@op("einsum", saves=tuple(range(64)), functions=("einsum",), parse=_einsum_parse,
    numpy=(np.einsum,))
class einsum:
    """``einsum(equation, *operands)`` (or a list of operands, or the sublist
    format ``einsum(a, [0, 1], b, [1, 2], [0, 2])``), with
    PyTorch's implicit output (letters seen once, in alphabetical order) and
    '...' broadcasting. VJP: for each operand, an einsum of the output
    gradient with the other operands; repeated letters (diagonals) and
    letters summed within one operand use constant identity/ones operands, so
    the VJP is itself an einsum and differentiable again."""

    def forward(*operands, equation=""):
        shapes = [shape_of(x) for x in operands]
        subs, out, reshapes, sizes = _einsum_plan(equation, shapes)
        arrays = [np.reshape(x, r) if r is not None else x for x, r in zip(operands, reshapes)]
        # numpy's path optimiser (BLAS contractions) pays off for three or
        # more operands and for large ones; its planning costs ~50us
        big = len(arrays) > 2 or max((np.size(a) for a in arrays), default=0) > 4096
        res = np.einsum(",".join(subs) + "->" + out, *arrays, optimize=big)
        return np.asarray(res), (operands, subs, out, reshapes, sizes)

    def backward(ctx, g, needs):
        operands, subs, out, reshapes, sizes = ctx
        grads = []
        for k, x in enumerate(operands):
            if not needs[k]:
                grads.append(None)
                continue
            used = set("".join(subs) + out)
            free = [c for c in _LETTERS if c not in used]
            target, consts, const_subs = "", [], []
            seen = set()
            for c in subs[k]:
                if c in seen:         # a repeated letter: a diagonal of operand k
                    f = free.pop(0)
                    target += f
                    consts.append(np.eye(sizes[c], dtype=g.dtype))
                    const_subs.append(c + f)
                else:
                    target += c
                    seen.add(c)
            others = [operands[j] if reshapes[j] is None else operands[j].reshape(reshapes[j])
                      for j in range(len(operands)) if j != k]
            other_subs = [subs[j] for j in range(len(operands)) if j != k]
            have = set(out + "".join(other_subs))
            for c in seen:
                if c not in have:     # summed within operand k alone: broadcast back
                    consts.append(np.ones(sizes[c], dtype=g.dtype))
                    const_subs.append(c)
            eq = ",".join([out] + other_subs + const_subs) + "->" + target
            gk = einsum(g, *others, *consts, equation=eq)
            shape = shape_of(x)
            if tuple(gk.shape) != tuple(shape):
                gk = gk.reshape(shape)
            grads.append(cast(gk, x))
        return tuple(grads)


# --------------------------------------------------------------------------
# products written with matmul / einsum
# --------------------------------------------------------------------------

def _shape(x):
    return tuple(x.shape) if hasattr(x, "shape") else np.shape(x)


def _need(who, x, nd, name="input"):
    if len(_shape(x)) != nd:
        raise ValueError(f"{who}(): {name} must be {nd}-D, got shape {_shape(x)}")


@composite(methods=("mm",), functions=("mm",))
def mm(input, mat2):
    """Matrix product of two 2-D tensors."""
    _need("mm", input, 2)
    _need("mm", mat2, 2, "mat2")
    if _shape(input)[1] != _shape(mat2)[0]:
        raise ValueError(f"mm(): shapes {_shape(input)} and {_shape(mat2)} cannot be multiplied")
    return matmul(input, mat2)


@composite(methods=("bmm",), functions=("bmm",))
def bmm(input, mat2):
    """Batched matrix product of two 3-D tensors (no broadcasting)."""
    _need("bmm", input, 3)
    _need("bmm", mat2, 3, "mat2")
    a, b = _shape(input), _shape(mat2)
    if a[0] != b[0] or a[2] != b[1]:
        raise ValueError(f"bmm(): shapes {a} and {b} cannot be multiplied")
    return matmul(input, mat2)


@composite(methods=("mv",), functions=("mv",))
def mv(input, vec):
    """Matrix (2-D) times vector (1-D)."""
    _need("mv", input, 2)
    _need("mv", vec, 1, "vec")
    if _shape(input)[1] != _shape(vec)[0]:
        raise ValueError(f"mv(): shapes {_shape(input)} and {_shape(vec)} cannot be multiplied")
    return matmul(input, vec)


@composite(methods=("dot",), functions=("dot",))
def dot(input, tensor):
    """Inner product of two 1-D tensors of the same length (a 0-d result)."""
    _need("dot", input, 1)
    _need("dot", tensor, 1, "tensor")
    if _shape(input) != _shape(tensor):
        raise ValueError(f"dot(): 1-D tensors of sizes {_shape(input)[0]} and "
                         f"{_shape(tensor)[0]} differ")
    return matmul(input, tensor)


@composite(methods=("vdot",), functions=("vdot",))
def vdot(input, other):
    """``dot`` with the first argument conjugated (real tensors: ``dot``)."""
    _need("vdot", input, 1)
    _need("vdot", other, 1, "other")
    return dot(input, other)


@composite(methods=("outer", "ger"), functions=("outer", "ger"))
def outer(input, vec2):
    """Outer product of two 1-D tensors."""
    from .shape import reshape
    _need("outer", input, 1)
    _need("outer", vec2, 1, "vec2")
    return reshape(input, shape=(-1, 1)) * reshape(vec2, shape=(1, -1))


@composite(methods=("inner",), functions=("inner",))
def inner(input, other):
    """Sum of products over the last dims (a scalar times anything: the product)."""
    if not _shape(input) or not _shape(other):
        return input * other
    if _shape(input)[-1] != _shape(other)[-1]:
        raise ValueError(f"inner(): last dims of {_shape(input)} and {_shape(other)} differ")
    return tensordot(input, other, dims=([-1], [-1]))


@composite(functions=("tensordot",))
def tensordot(a, b, dims=2):
    """Sum of products over ``dims``: an int (the last ``dims`` of ``a`` with
    the first ``dims`` of ``b``) or two lists of dims. The free dims of
    ``a`` then those of ``b``."""
    from .shape import reshape
    sa, sb = _shape(a), _shape(b)
    if isinstance(dims, (int, np.integer)):
        if dims < 0:
            raise ValueError(f"tensordot(): dims must be >= 0, got {dims}")
        da = list(range(len(sa) - dims, len(sa)))
        db = list(range(dims))
    else:
        da, db = dims
        if _is_tensor(da):
            da = da.data.tolist()
        if _is_tensor(db):
            db = db.data.tolist()
        da = [da] if isinstance(da, (int, np.integer)) else list(da)
        db = [db] if isinstance(db, (int, np.integer)) else list(db)
    da = list(norm_dims(tuple(da), len(sa), "tensordot") or ()) if da else []
    db = list(norm_dims(tuple(db), len(sb), "tensordot") or ()) if db else []
    if len(da) != len(db) or any(sa[i] != sb[j] for i, j in zip(da, db)):
        raise ValueError(f"tensordot(): contracted dims {da} of {sa} and {db} of {sb} differ")
    fa = [i for i in range(len(sa)) if i not in da]
    fb = [j for j in range(len(sb)) if j not in db]
    k = int(np.prod([sa[i] for i in da], dtype=np.int64))
    pa, pb = tuple(fa + da), tuple(db + fb)
    # (identity orders skip the permute: cheaper, and see _permuted)
    # (explicit sizes, not -1: numpy cannot infer a -1 next to a 0)
    A = reshape(_permuted(a, pa), shape=(int(np.prod([sa[i] for i in fa], dtype=np.int64)), k))
    B = reshape(_permuted(b, pb), shape=(k, int(np.prod([sb[j] for j in fb], dtype=np.int64))))
    return reshape(matmul(A, B), shape=tuple(sa[i] for i in fa) + tuple(sb[j] for j in fb))


def _permuted(x, order):
    """``permute(x, order)``, or ``x`` itself for the identity order (whose
    VJP on Tensors, ``g.transpose((0, 1))``, would swap the two dims of a
    2-d gradient under create_graph)."""
    from .shape import permute
    return x if order == tuple(range(len(order))) else permute(x, dims=order)


@composite(methods=("kron",), functions=("kron",))
def kron(input, other):
    """Kronecker product (the smaller-rank operand gets leading 1s)."""
    from .shape import reshape
    sa, sb = _shape(input), _shape(other)
    n = max(len(sa), len(sb))
    sa = (1,) * (n - len(sa)) + sa
    sb = (1,) * (n - len(sb)) + sb
    a = reshape(input, shape=tuple(d for s in sa for d in (s, 1)))
    b = reshape(other, shape=tuple(d for s in sb for d in (1, s)))
    return reshape(a * b, shape=tuple(x * y for x, y in zip(sa, sb)))


def _cross(input, other, d, who):
    from .index import getitem
    from .shape import broadcast_to
    sa, sb = _shape(input), _shape(other)
    shape = np.broadcast_shapes(sa, sb)
    if sa != shape:
        input = broadcast_to(input, shape=shape)
    if sb != shape:
        other = broadcast_to(other, shape=shape)
    d = norm_dims(d, len(shape), who)[0]
    if shape[d] != 3:
        raise ValueError(f"{who}(): dim {d} of the inputs must have size 3, got {shape}")

    def at(x, order):
        return getitem(x, index=(slice(None),) * d + (np.array(order),))

    return at(input, [1, 2, 0]) * at(other, [2, 0, 1]) - at(input, [2, 0, 1]) * at(other, [1, 2, 0])


@composite(methods=("cross",), functions=("cross",))
def cross(input, other, dim=None):
    """Cross product along ``dim``; with ``dim=None`` the first dim of size 3
    of ``input`` (PyTorch's deprecated default, which looks at the first
    argument's shape, not the broadcast one; ``linalg.cross`` uses -1)."""
    if dim is None:
        shape = _shape(input)
        dims = [i for i, n in enumerate(shape) if n == 3]
        if not dims:
            raise ValueError(f"cross(): no dim of size 3 in input of shape {shape}")
        dim = dims[0]
    return _cross(input, other, dim, "cross")


def _scaled(x, s):
    return x if s == 1 else x * s


def _add_scaled(input, prod, beta, alpha, who):
    if beta == 0:
        # PyTorch: input is ignored (its NaN/inf do not propagate)
        return _scaled(prod, alpha)
    return _scaled(input, beta) + _scaled(prod, alpha)


@composite(methods=("addmm",), functions=("addmm",))
def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat1 @ mat2)`` (input broadcast)."""
    return _add_scaled(input, mm(mat1, mat2), beta, alpha, "addmm")


@composite(methods=("addmv",), functions=("addmv",))
def addmv(input, mat, vec, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat @ vec)``."""
    return _add_scaled(input, mv(mat, vec), beta, alpha, "addmv")


@composite(methods=("baddbmm",), functions=("baddbmm",))
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * bmm(batch1, batch2)``."""
    return _add_scaled(input, bmm(batch1, batch2), beta, alpha, "baddbmm")


@composite(methods=("addbmm",), functions=("addbmm",))
def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * sum_b batch1[b] @ batch2[b]``."""
    from .reduce import sum as _sum
    return _add_scaled(input, _sum(bmm(batch1, batch2), dim=0), beta, alpha, "addbmm")


@composite(methods=("addr",), functions=("addr",))
def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """``beta * input + alpha * outer(vec1, vec2)``."""
    return _add_scaled(input, outer(vec1, vec2), beta, alpha, "addr")

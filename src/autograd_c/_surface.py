"""The public API generated from the op table (``autograd_c.ops``).

For every op entry this builds, from the entry alone: the module functions
(``autograd_c.add``), the Tensor methods (``Tensor.add``), the operator
dunders (``__add__``, ``__radd__``) and the numpy-protocol table
(``np.add(t, 1)`` -> the ``add`` op). Functions are generated as source
text with the op's own signature (no ``*args`` parsing on the hot path);
numpy's ``axis``/``keepdims`` are accepted as aliases of ``dim``/``keepdim``.
The compiled engine's operator block is generated from the same entries at
build time (``tools/gen_engine_ops.py`` via setup.py).
"""
from __future__ import annotations

import inspect

import numpy as np

from . import dtypes as _dtypes
from . import ops as _ops
from ._tensor import Tensor as _Tensor
from ._tensor import engine_for

try:        # the C twin of the promotion test (dtypes.needs_promotion)
    from ._ufuncs import needs_promotion as _needs_promotion
except ImportError:             # not built
    _needs_promotion = _dtypes.needs_promotion

__all__ = ["install", "public_names", "NUMPY_TABLE"]

_NO = object()          # "argument not given" for the alias keywords
_ALIASES = {"dim": "axis", "keepdim": "keepdims"}

#: numpy ufunc -> op (for Tensor.__array_ufunc__)
NUMPY_TABLE: dict = {}
#: numpy function -> public function (for Tensor.__array_function__)
NUMPY_FUNCTIONS: dict = {}


def apply_op(op, args, kw):
    """Run ``op`` on ``args`` through their engine (what an op called like a
    function inside a rule does when a Tensor is among its inputs), with
    PyTorch's type promotion."""
    args = tuple(args)
    pos = op.promote
    if pos is not None and _needs_promotion(args, pos):
        return _dtypes.promote(op, args, kw or None, _apply_plain)
    out = engine_for(args).apply(op, args, kw or None)
    if op.view:
        out._as_view_of(args[0])
    return out


def _apply_plain(op, args, kw):
    """Run ``op`` through the engine of ``args``, no promotion (the ops
    ``dtypes.promote`` runs, on inputs already of one dtype)."""
    return engine_for(args).apply(op, args, kw or None)


def _promote_check(op, tup, kw_name, indent="    "):
    """The generated line that sends an op call to ``dtypes.promote`` when
    its inputs' dtypes need PyTorch's promotion (only for ops that promote;
    one C call on the common path)."""
    if op.promote is None:
        return ""
    return (f"{indent}if _needs({tup}, _pos): "
            f"return _promote(_op, {tup}, {kw_name}, _apply_plain)\n")


def _forward_params(op):
    """(input names, [(param name, default)]) from the op's forward."""
    sig = inspect.signature(op.forward)
    inputs, params = [], []
    for p in sig.parameters.values():
        if p.kind is p.VAR_POSITIONAL:
            inputs.append("*" + p.name)
        elif p.default is p.empty:
            inputs.append(p.name)
        elif not p.name.startswith("_"):
            params.append((p.name, p.default))
    return inputs, params


def _source(op, fname, as_method, reflected=False):
    """Source text of one generated function and the names it needs."""
    env = {"_op": op, "_NO": _NO, "_engine_for": engine_for, "_Tensor": _Tensor,
           "_needs": _needs_promotion,
           "_pos": op.promote, "_promote": _dtypes.promote, "_apply_plain": _apply_plain}
    if op.parse is not None:
        env["_parse"] = op.parse
        head = "self, *args, **kw" if as_method else "*args, **kw"
        call = "_parse(self, *args, **kw)" if as_method else "_parse(*args, **kw)"
        alias = "".join(f"    if {a!r} in kw: kw[{d!r}] = kw.pop({a!r})\n"
                        for d, a in _ALIASES.items())
        eng = "self._engine" if as_method else "_engine_for(_ins)"
        tail = "._as_view_of(_ins[0])" if op.view else ""
        body = (f"{alias}    _ins, _kw = {call}\n"
                f"{_promote_check(op, '_ins', '_kw')}"
                f"    return {eng}.apply(_op, _ins, _kw){tail}\n")
        return f"def {fname}({head}):\n{body}", env
    inputs, params = _forward_params(op)
    if any(i.startswith("*") for i in inputs):
        raise TypeError(f"op {op.name}: a variadic op needs a parse function")
    names = list(inputs)
    if as_method:
        names[0] = "self"
    args = (names[1], names[0]) if reflected else tuple(names)
    sig = list(names)
    for i, (p, d) in enumerate(params):
        env[f"_d{i}"] = d
        sig.append(f"{p}=_d{i}")
    aliases = [(d, a) for d, a in _ALIASES.items() if d in dict(params)]
    if aliases:
        sig.append("*")
        sig.extend(f"{a}=_NO" for _, a in aliases)
    lines = [f"    if {a} is not _NO: {d} = {a}\n" for d, a in aliases]
    if params:
        default = " and ".join(f"{p} is _d{i}" for i, (p, _) in enumerate(params))
        kw = "{" + ", ".join(f"{p!r}: {p}" for p, _ in params) + "}"
        lines.append(f"    _kw = None if {default} else {kw}\n")
    else:
        lines.append("    _kw = None\n")
    lines.append("    _a = (" + ", ".join(args) + ("," if len(args) == 1 else "") + ")\n")
    # a function's engine: its first argument's, when that is a Tensor (what
    # engine_for finds first), without engine_for's call
    first = args[0]
    eng = "self._engine" if as_method else \
        f"(type({first})._engine if isinstance({first}, _Tensor) else _engine_for(_a))"
    tail = f"._as_view_of({names[0]})" if op.view else ""
    lines.append(_promote_check(op, "_a", "_kw"))
    lines.append(f"    return {eng}.apply(_op, _a, _kw){tail}\n")
    return f"def {fname}({', '.join(sig)}):\n" + "".join(lines), env


def _make(op, fname, as_method, reflected=False):
    src, env = _source(op, fname, as_method, reflected)
    exec(compile(src, f"<autograd_c generated: {op.name}.{fname}>", "exec"), env)
    fn = env[fname]
    fn.__doc__ = op.doc or f"The ``{op.name}`` op (see autograd_c.ops)."
    fn.__qualname__ = f"Tensor.{fname}" if as_method else fname
    if op.parse is not None:
        try:
            params = list(inspect.signature(op.parse).parameters.values())
            fn.__signature__ = inspect.Signature(params[1:] if as_method else params)
        except (TypeError, ValueError):
            pass
    return fn


def _inplace_method(op, name):
    parse = op.parse

    def method(self, *args, **kw):
        if parse is not None:
            ins, params = parse(self, *args, **kw)
            return self._inplace_op(op, tuple(ins[1:]), params)
        return self._inplace_op(op, args, kw or None)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"In-place ``{name[:-1]}``: the result is written into this tensor."
    return method


def install(tensor_cls, namespace):
    """Add every op's methods and dunders to ``tensor_cls`` and its functions
    to ``namespace`` (the package's globals). Returns the function names."""
    names = []
    _ops._registry.set_promotion(_dtypes.promotion_of)
    for op in _ops.REGISTRY.values():
        for m in op.methods:
            setattr(tensor_cls, m, _make(op, m, True))
        for d in op.dunders:
            setattr(tensor_cls, d, _make(op, d, True))
        for d in op.rdunders:
            setattr(tensor_cls, d, _make(op, d, True, reflected=True))
        for f in op.functions:
            namespace[f] = _make(op, f, False)
            names.append(f)
        for np_fn in op.numpy:
            if isinstance(np_fn, np.ufunc):
                NUMPY_TABLE.setdefault(np_fn, op)
            elif op.functions:
                NUMPY_FUNCTIONS.setdefault(np_fn, namespace[op.functions[0]])
    for op in _ops.REGISTRY.values():
        # in-place variants (``add_``, ``mul_``, ``clamp_``...) of the
        # elementwise ops' methods: the result written into the tensor
        if op.forward.__module__.split(".")[-1].startswith("elementwise"):
            for m in op.methods:
                if not hasattr(tensor_cls, m + "_"):
                    setattr(tensor_cls, m + "_", _inplace_method(op, m + "_"))
    for name, (fn, methods, functions) in _ops.COMPOSITES.items():  # noqa: B007
        for m in methods:
            setattr(tensor_cls, m, fn)
        for f in functions:
            namespace[f] = fn
            names.append(f)
    comp = _ops.composites
    NUMPY_FUNCTIONS.update({np.transpose: comp.transpose, np.expand_dims: comp.unsqueeze,
                            np.swapaxes: comp.transpose, np.moveaxis: comp.movedim,
                            np.split: comp._np_split,
                            np.shape: lambda a: tuple(a.shape), np.ndim: lambda a: a.ndim,
                            np.size: lambda a, axis=None: a.data.size if axis is None
                            else a.shape[axis]})
    _ops._registry.set_apply(apply_op)
    return names


def public_names():
    """Every public function name the table defines."""
    names = [f for op in _ops.REGISTRY.values() for f in op.functions]
    names += [f for _, (_, _, fs) in _ops.COMPOSITES.items() for f in fs]
    return names


#: operator dunders that become C number slots on the compiled Tensor
SLOT_DUNDERS = ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__",
                "__truediv__", "__rtruediv__", "__matmul__", "__rmatmul__", "__neg__")


def engine_operator_block():
    """Cython source of the compiled engine's operator block: for every op
    whose dunder is a C number slot, a method that reaches the recorder
    with no Python frame (included by _engine_c.pyx at build time). Ops
    that promote types first make one C test (``_ufuncs.promo_data`` /
    ``promo_other``: float data of one dtype, or with a Python number?) and
    only on a mismatch go to ``dtypes.promote``."""
    lines = ["# GENERATED at build time from the op table by "
             "autograd_c._surface.engine_operator_block() -- do not edit.\n",
             "from autograd_c._ufuncs cimport promo_data, promo_other\n",
             "from autograd_c import dtypes as _dtypes_mod\n\n\n",
             "cdef inline bint _promo2(TensorBase t, object other) except -1:\n",
             "    # t: the tensor whose slot runs; one C test on the common path\n",
             "    if isinstance(other, TensorBase):\n",
             "        return promo_data(t.data, (<TensorBase>other).data)\n",
             "    return promo_other(t.data, other)\n\n\n",
             "def _promote_slot(op, a, b):\n",
             "    return _dtypes_mod.promote(op, (a, b), None, apply)\n\n\n"]
    methods = []
    for op in _ops.REGISTRY.values():
        used = [(d, False) for d in op.dunders if d in SLOT_DUNDERS] + \
               [(d, True) for d in op.rdunders if d in SLOT_DUNDERS]
        if not used:
            continue
        inputs, params = _forward_params(op)
        if op.parse is not None or params or len(inputs) not in (1, 2):
            raise TypeError(f"op {op.name}: a C-slot dunder needs a plain 1- or 2-input op")
        promotes = _dtypes.promotion_of(op.name) is not None
        if promotes and len(inputs) != 2:
            raise TypeError(f"op {op.name}: a C-slot dunder that promotes needs 2 inputs")
        lines.append(f"cdef object _OP_{op.name} = _py_ops.REGISTRY[{op.name!r}]\n")
        for d, reflected in used:
            if len(inputs) == 1:
                body = f"_apply1(_OP_{op.name}, self, None)"
                head = f"{d}(self)"
                check = ""
            else:
                args = "other, self" if reflected else "self, other"
                body = f"_apply2(_OP_{op.name}, {args})"
                head = f"{d}(self, other)"
                check = (f"        if _promo2(self, other):\n"
                         f"            return _promote_slot(_OP_{op.name}, {args})\n"
                         if promotes else "")
            methods.append(f"    def {head}:\n{check}        return {body}\n\n")
    lines.append("\n\n@cython.no_gc\ncdef class TensorOps(TensorBase):\n"
                 '    """The op table\'s operator dunders as C slots."""\n\n')
    lines.extend(methods)
    return "".join(lines)

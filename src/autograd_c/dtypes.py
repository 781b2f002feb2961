"""dtypes, the default float dtype and devices, in PyTorch's shape.

* ``autograd_c.float32`` ... ``autograd_c.bool`` are numpy dtype objects
  (``np.dtype("float32")``...), so ``t.dtype == autograd_c.float32`` holds,
  and they can be handed to numpy as they are. PyTorch's aliases are here
  too: ``float`` (float32), ``double`` (float64), ``half`` (float16),
  ``long`` (int64), ``int`` (int32), ``short`` (int16).
* The default float dtype is float32, as in PyTorch
  (``get_default_dtype``/``set_default_dtype``): Python floats (and lists of
  them) become it in ``autograd_c.tensor`` and in every factory. numpy arrays
  keep their own dtype (``tensor``, ``as_tensor``, ``from_numpy``, and the
  ``Tensor(ndarray)`` constructor, unlike PyTorch's legacy ``torch.Tensor``
  which always makes float32), so float64 numpy code stays float64.
* Ops promote their inputs as PyTorch does (``torch.result_type``; see
  ``promote`` below): bool < integer < float; a Python number or 0-d tensor
  of a higher category sets the category, not the width (``int32 + 1.5`` and
  ``float32 + 0-d float64`` are float32); true division and float functions
  of integers give the default float dtype. The op path tests
  ``needs_promotion`` first (one C call), so same-dtype float calls pay
  nothing more; gradients come back in each input's own dtype.
* Only the CPU exists: ``device("cpu")`` / ``"cpu"`` are accepted wherever
  PyTorch takes ``device=``; any other device raises a RuntimeError that
  says so. ``cuda.is_available()`` is False.
"""
from __future__ import annotations

import builtins
import types
import typing

import numpy as np

__all__ = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
           "bool_", "complex64", "complex128", "half", "double", "long", "short", "cfloat",
           "cdouble", "dtype", "get_default_dtype", "set_default_dtype", "device",
           "set_default_device", "get_default_device", "cuda", "finfo", "iinfo",
           "is_floating_point", "is_complex", "promote_types", "to_dtype", "check_device"]

dtype = np.dtype          # ``isinstance(autograd_c.float32, autograd_c.dtype)``

float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int8 = np.dtype(np.int8)
int16 = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)
complex64 = np.dtype(np.complex64)
complex128 = np.dtype(np.complex128)

# PyTorch's aliases (``float``, ``int`` and ``bool`` are exported by the
# package under those names; here they would shadow the builtins)
half = float16
double = float64
long = int64
short = int16
cfloat = complex64
cdouble = complex128

#: torch-style names accepted as strings: ``tensor(x, dtype="float")``
_BY_NAME: dict[str, np.dtype] = {
            "float": float32, "double": float64, "half": float16, "long": int64,
            "int": int32, "short": int16, "bool": bool_, "cfloat": complex64,
            "cdouble": complex128, "uint8": uint8, "int8": int8, "int16": int16,
            "int32": int32, "int64": int64, "float16": float16, "float32": float32,
            "float64": float64, "complex64": complex64, "complex128": complex128}

_default: list[np.dtype] = [float32]


def to_dtype(d, who: str = "dtype") -> np.dtype:
    """``d`` (an autograd_c/numpy dtype, a numpy scalar type, a torch-style
    name, or a Python type, read as PyTorch does: ``float`` is float64,
    ``int`` int64, ``bool`` bool, ``complex`` complex128) as a numpy dtype."""
    if isinstance(d, np.dtype):
        return d
    if d is builtins.float:
        return float64
    if d is builtins.int:
        return int64
    if d is builtins.bool:
        return bool_
    if d is builtins.complex:
        return complex128
    if isinstance(d, str):
        name = d[6:] if d.startswith("torch.") else d
        if name in _BY_NAME:
            return _BY_NAME[name]
    try:
        return np.dtype(d)
    except TypeError:
        raise TypeError(f"{who}: {d!r} is not a dtype (use e.g. autograd_c.float32)") from None


def get_default_dtype() -> np.dtype:
    """The dtype Python floats become (float32 unless changed)."""
    return _default[0]


def set_default_dtype(d) -> None:
    """Set the dtype Python floats become: a floating dtype (float16,
    float32 or float64), as in PyTorch."""
    d = to_dtype(d, "set_default_dtype")
    if d.kind != "f":
        raise TypeError(f"set_default_dtype: only floating-point types are supported as the "
                        f"default type, got {d}")
    _default[0] = d


def is_floating_point(t) -> builtins.bool:
    return np.dtype(t.dtype).kind == "f"


def is_complex(t) -> builtins.bool:
    return np.dtype(t.dtype).kind == "c"


def promote_types(type1, type2) -> np.dtype:
    """PyTorch's ``promote_types`` for two dtypes (bool < integers < floats;
    within a category the wider; int8 with uint8 gives int16)."""
    a, b = to_dtype(type1), to_dtype(type2)
    ka, kb = _category(a), _category(b)
    if ka != kb:
        return a if ka > kb else b
    return np.promote_types(a, b)


def _category(d) -> builtins.int:
    return {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}.get(d.kind, 4)


class finfo:
    """Machine limits of a float dtype (``torch.finfo``): ``bits eps max min
    tiny smallest_normal resolution dtype``."""

    def __init__(self, type=None):  # noqa: A002
        d = get_default_dtype() if type is None else to_dtype(type, "finfo")
        if d.kind not in "fc":
            raise TypeError(f"finfo: {d} is not a floating point dtype")
        f = np.finfo(d)
        self.bits = f.bits
        self.eps = builtins.float(f.eps)
        self.max = builtins.float(f.max)
        self.min = builtins.float(f.min)
        self.tiny = self.smallest_normal = builtins.float(f.smallest_normal)
        self.resolution = builtins.float(f.resolution)
        self.dtype = str(f.dtype)

    def __repr__(self):
        return (f"finfo(resolution={self.resolution}, min={self.min}, max={self.max}, "
                f"eps={self.eps}, smallest_normal={self.smallest_normal}, "
                f"tiny={self.tiny}, dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype (``torch.iinfo``): ``bits max min dtype``."""

    def __init__(self, type):  # noqa: A002
        d = to_dtype(type, "iinfo")
        if d.kind == "b":
            raise TypeError("iinfo: bool is not an integer dtype")
        i = np.iinfo(d)
        self.bits, self.dtype = i.bits, str(i.dtype)
        self.max, self.min = builtins.int(i.max), builtins.int(i.min)

    def __repr__(self):
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"


# ----------------------------------------------------------------------------
# devices
# ----------------------------------------------------------------------------


class device:
    """A device (``torch.device``): only ``"cpu"`` exists here.

    ``device("cpu")``, ``device("cpu", 0)``, ``device("cpu:0")`` and
    ``device(other_device)`` are accepted; ``device("cuda")`` is a valid
    object (as in PyTorch) but any tensor placed on it raises."""

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):  # noqa: A002
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        if not isinstance(type, str):
            raise TypeError(f"device(): expected a string like 'cpu', got {type!r}")
        if ":" in type:
            type, _, idx = type.partition(":")
            if index is not None:
                raise ValueError("device(): give the index in the string or as index=, not both")
            try:
                index = builtins.int(idx)
            except ValueError:
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'") from None
        if type not in ("cpu", "cuda", "mps", "meta", "xpu", "xla", "hip", "mkldnn", "ipu"):
            raise RuntimeError(f"Expected one of cpu, cuda, mps, meta ... device type at start "
                               f"of device string: {type}")
        object.__setattr__(self, "type", type)
        object.__setattr__(self, "index", None if index is None else builtins.int(index))

    def __setattr__(self, name, value):
        raise AttributeError("device objects are immutable")

    def __eq__(self, other):
        if isinstance(other, str):
            try:
                other = device(other)
            except (RuntimeError, ValueError):
                return False
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        idx = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{idx})"


CPU = device("cpu")
_default_device = [CPU]


def check_device(d, who: str = "device") -> device:
    """``d`` (None, a device, a string, or an int: a CUDA ordinal, as in
    PyTorch) as the CPU device; any other device raises a RuntimeError."""
    if d is None:
        return _default_device[0]
    if isinstance(d, (builtins.int, np.integer)) and not isinstance(d, builtins.bool):
        d = device("cuda", builtins.int(d))
    elif not isinstance(d, device):
        if not isinstance(d, str):
            raise TypeError(f"{who}: device must be a string or autograd_c.device, "
                            f"got {type(d).__name__}")
        d = device(d)
    if d.type != "cpu":
        raise RuntimeError(f"{who}: device '{d}' is not available: autograd_c runs on the "
                           f"CPU only (numpy); use device='cpu'")
    return CPU


def set_default_device(d) -> None:
    """Set the device factories use (only ``"cpu"`` can be set)."""
    _default_device[0] = check_device(d, "set_default_device")


def get_default_device() -> device:
    return _default_device[0]


def _cuda_unavailable(*args, **kwargs):
    raise RuntimeError("autograd_c has no CUDA support (CPU only): torch.cuda calls "
                       "cannot run here; use device='cpu'")


#: ``autograd_c.cuda``: a stub that says no GPU is present
cuda = types.ModuleType("autograd_c.cuda", "CUDA stub: autograd_c runs on the CPU only.")
cuda.is_available = lambda: False                 # type: ignore[attr-defined]
cuda.device_count = lambda: 0                     # type: ignore[attr-defined]
cuda.is_initialized = lambda: False               # type: ignore[attr-defined]
cuda.manual_seed = lambda seed: None              # type: ignore[attr-defined]
cuda.manual_seed_all = lambda seed: None          # type: ignore[attr-defined]
cuda.synchronize = _cuda_unavailable              # type: ignore[attr-defined]
cuda.current_device = _cuda_unavailable           # type: ignore[attr-defined]
cuda.get_device_name = _cuda_unavailable          # type: ignore[attr-defined]
cuda.set_device = _cuda_unavailable               # type: ignore[attr-defined]
cuda.empty_cache = lambda: None                   # type: ignore[attr-defined]


def result_float(d: np.dtype) -> np.dtype:
    """The dtype a float-valued op (true division, exp...) gives for an input
    of dtype ``d``: ``d`` itself when floating, else the default float dtype."""
    return d if d.kind in "fc" else _default[0]



# ----------------------------------------------------------------------------
# PyTorch's type promotion for ops (the hook the op path calls)
# ----------------------------------------------------------------------------

#: ops whose inputs at these positions are promoted to one dtype before the
#: op runs (PyTorch's elementwise type promotion, ``torch.result_type``);
#: inputs not listed (``where``'s condition) keep their dtype
PROMOTED_INPUTS = {
    "add": (0, 1), "sub": (0, 1), "mul": (0, 1), "div": (0, 1), "pow": (0, 1),
    "maximum": (0, 1), "minimum": (0, 1), "where": (1, 2), "atan2": (0, 1),
    "remainder": (0, 1), "fmod": (0, 1), "hypot": (0, 1), "copysign": (0, 1),
    "lerp": (0, 1, 2), "xlogy": (0, 1), "floor_divide": (0, 1), "logaddexp": (0, 1),
    "logaddexp2": (0, 1), "fmax": (0, 1), "fmin": (0, 1),
}

#: ops whose result is a float whatever their inputs: integer and bool
#: inputs compute in the default float dtype (true division, ``exp``...;
#: numpy would give float64, or float16 for int8)
FLOAT_OPS = frozenset([
    "div", "exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "log1p", "expm1",
    "log2", "log10", "exp2", "rsqrt", "asin", "acos", "atan", "sinh", "cosh", "asinh",
    "acosh", "atanh", "erf", "erfc", "erfinv", "reciprocal", "atan2", "logit", "hypot",
    "xlogy", "logaddexp", "logaddexp2", "copysign"])


def promotion_of(name):
    """The input positions op ``name`` promotes together (a tuple), or None
    when the op does no type promotion."""
    pos = PROMOTED_INPUTS.get(name)
    if pos is None and name in FLOAT_OPS:
        pos = (0,)
    return pos


_FLOAT_KINDS = frozenset("fc")


def needs_promotion(args, pos) -> builtins.bool:
    """The cheap test the op path makes first: True when numpy might not
    compute ``args`` in PyTorch's dtype, i.e. some input at ``pos`` is a
    tensor of an integer or bool dtype or a numpy scalar, or two tensor
    inputs there have different dtypes. (Float tensors of one dtype with
    Python numbers: numpy 2's rules (NEP 50) already agree.) The compiled
    twin is ``_ufuncs.needs_promotion``."""
    first = None
    n = len(args)
    for i in pos:
        if i >= n:
            continue
        a = args[i]
        t = type(a)
        if t is builtins.float or t is builtins.int or t is builtins.bool:
            continue
        if isinstance(a, _Tensor):
            d = a.data.dtype
            if d.kind not in _FLOAT_KINDS:
                return True
            if first is None:
                first = d
            elif d is not first and d != first:
                return True
        elif isinstance(a, np.generic):
            return True
    return False


def result_type(tensors, scalars=()) -> np.dtype:
    """PyTorch's result dtype for tensor inputs ``tensors`` (pairs of dtype and
    ndim) and Python ``scalars``: the highest category wins (bool < int <
    float < complex); within it dimensioned tensors decide before 0-d ones,
    and both before Python numbers, which only lift the category (to the
    default dtype of that category: float32, int64, complex64)."""
    best_dim = best_zero = None
    for d, nd in tensors:
        if nd:
            best_dim = d if best_dim is None else promote_types(best_dim, d)
        else:
            best_zero = d if best_zero is None else promote_types(best_zero, d)
    out = best_dim
    if best_zero is not None:
        if out is None or _category(best_zero) > _category(out):
            out = best_zero
    scat = -1
    for s in scalars:
        scat = builtins.max(scat, 3 if isinstance(s, builtins.complex) else
                            2 if isinstance(s, builtins.float) else
                            0 if isinstance(s, builtins.bool) else
                            1 if isinstance(s, builtins.int) else -1)
    if out is None:
        return {3: _default_complex(), 2: _default[0], 1: int64, 0: bool_}.get(
            scat, _default[0])
    if scat > _category(out):
        if scat == 3:
            out = complex128 if out == float64 else _default_complex()
        elif scat == 2:
            out = _default[0]
        else:
            out = int64
    return out


def _default_complex():
    return complex128 if _default[0] == float64 else complex64


def promote(op, args, kw, apply):
    """Run ``op`` on ``args`` with PyTorch's type promotion (the slow path,
    taken when ``needs_promotion`` said so); ``apply(op, args, kw)`` runs an
    op through the engine.

    The op's promoted inputs are brought to ``result_type`` of them (for
    ``FLOAT_OPS`` an integer or bool result type becomes the default float
    dtype): float tensors through the recorded ``astype`` op (so the
    gradient flows back in the input's own dtype, as in PyTorch), integer
    and bool tensors as plain arrays (they never require grad); numpy
    scalars there are read as Python numbers, as PyTorch does.
    """
    pos = promotion_of(op.name)
    new = list(args)
    n = len(args)
    idx = [i for i in pos if i < n]
    tens, scal = [], []
    for i in idx:
        a = args[i]
        if isinstance(a, _Tensor):
            tens.append((a.data.dtype, a.data.ndim))
        elif isinstance(a, np.generic) and a.dtype.kind in "biufc":
            new[i] = a = a.item()
            scal.append(a)
        elif isinstance(a, (builtins.int, builtins.float, builtins.complex)):
            scal.append(a)
    if not tens:
        return apply(op, tuple(new), kw)
    target = result_type(tens, scal)
    if op.name in FLOAT_OPS and target.kind not in _FLOAT_KINDS:
        target = _default[0]
    for i in idx:
        a = new[i]
        if isinstance(a, _Tensor) and a.data.dtype != target:
            new[i] = cast_tensor(a, target, apply)
        elif i not in _NO_WRAP.get(op.name, ()):
            new[i] = wrap_int(a, target)
    out = apply(op, tuple(new), kw)
    if out.data.dtype != target and not out._rg:
        # numpy's own integer/bool rules differ (bool ** bool is int8 there)
        out.data = out.data.astype(target)
    return out


def cast_tensor(a, target, apply):
    """Tensor ``a`` in dtype ``target``: float tensors through the recorded
    ``astype`` op (differentiable, forward-mode tangents included), others
    as a plain tensor outside the graph."""
    if a.data.dtype.kind in _FLOAT_KINDS:
        from .ops import REGISTRY
        return apply(REGISTRY["astype"], (a,), {"dtype": target})
    return _detached(a, a.data.astype(target))


def compare_operands(a, b):
    """The arrays a comparison of ``a`` and ``b`` (Tensors or numbers) runs
    on: their data, brought to PyTorch's common dtype when numpy's would
    differ (``float32 < float64-0d`` compares in float32, as PyTorch does)."""
    ad = a.data if isinstance(a, _Tensor) else a
    bd = b.data if isinstance(b, _Tensor) else b
    if not needs_promotion((a, b), (0, 1)):
        return ad, bd
    if isinstance(ad, np.generic):
        ad = ad.item()
    if isinstance(bd, np.generic):
        bd = bd.item()
    tens = [(x.dtype, x.ndim) for x in (ad, bd) if isinstance(x, np.ndarray)]
    if not tens:
        return ad, bd
    scal = [x for x in (ad, bd) if isinstance(x, (builtins.int, builtins.float,
                                                  builtins.complex))]
    target = result_type(tens, scal)
    return tuple(x.astype(target, copy=False) if isinstance(x, np.ndarray) else
                 wrap_int(x, target) for x in (ad, bd))


#: op -> positions of Python int operands that PyTorch checks instead of
#: wrapping (an integer power's exponent that does not fit the dtype raises)
_NO_WRAP = {"pow": (1,)}


def wrap_int(value, dtype):
    """An operand of an op computed in ``dtype``, as PyTorch converts it: a
    Python int that does not fit an integer ``dtype`` wrapped modulo 2**bits
    into its range (``uint8 + (-1)`` gives 255; numpy raises OverflowError).
    Anything else comes back unchanged, and so do ints outside int64's range
    (numpy refuses them, as PyTorch does)."""
    if type(value) is not builtins.int or dtype.kind not in "iu":
        return value
    info = np.iinfo(dtype)
    if info.min <= value <= info.max or not -(1 << 63) <= value < (1 << 63):
        return value
    span = builtins.int(info.max) - builtins.int(info.min) + 1
    return (value - builtins.int(info.min)) % span + builtins.int(info.min)


def _detached(like, arr):
    """A tensor of ``like``'s engine holding ``arr``, outside any graph."""
    cls = type(like)._engine.Tensor
    t = cls.__new__(cls)
    t.data = arr
    t._rg = False
    t._node = None
    t._grad = None
    t._version = 0
    t._base = None
    return t


#: autograd_c.Tensor (set by _tensor.py once the class exists: that module
#: imports this one; typed Any, as the class is not known here)
_Tensor: typing.Any = type(None)


def _register_tensor(cls) -> None:
    global _Tensor
    _Tensor = cls
    try:
        from . import _ufuncs
    except ImportError:          # not built: the pure-Python check serves
        return
    setter = getattr(_ufuncs, "set_tensor_class", None)
    if setter is not None:
        setter(cls)

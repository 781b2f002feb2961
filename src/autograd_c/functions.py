"""Tensor factories with PyTorch's signatures (``autograd_c.tensor``,
``zeros``, ``arange``, ``randn``...). The op functions (``autograd_c.exp``,
``autograd_c.sum``...) are generated from the op table by ``_surface`` and
live in the package namespace.

dtypes follow PyTorch: floats are the default float dtype (float32, see
``autograd_c.set_default_dtype``) unless ``dtype=`` says otherwise; integer
factories (``arange`` with int arguments, ``randint``, ``randperm``) give
int64. numpy arrays keep their dtype in ``tensor``, ``as_tensor`` and
``from_numpy`` (the last two share their memory). ``device=`` accepts only
the CPU. Random factories draw from ``generator=`` (an
``autograd_c.Generator``) or the default generator that ``manual_seed``
seeds; the numbers are numpy's (PCG64), not the ones PyTorch would draw.
"""
from __future__ import annotations

import builtins
import math
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from . import dtypes as _dtypes
from ._tensor import Tensor, _current_engine, _sizes, check_requires_grad_dtype, to_array
from .random import _numpy_rng

__all__ = ["tensor", "as_tensor", "asarray", "from_numpy", "zeros", "ones", "full", "empty",
           "zeros_like", "ones_like", "full_like", "empty_like", "rand_like", "randn_like",
           "randint_like", "arange", "range", "linspace", "logspace", "eye", "rand", "randn",
           "randint", "randperm", "normal", "bernoulli", "multinomial", "scalar_tensor",
           "is_tensor", "numel"]

# the op table installs functions named max, all ... into this module's
# namespace (see autograd_c/__init__.py): keep the builtins under other names
_max = builtins.max
_all = builtins.all
if TYPE_CHECKING:
    # for mypy, which cannot follow that: the op functions (exp, concatenate...)
    # (a variable, not a def: mypy loses a def's types in this import cycle)
    __getattr__: Callable[[str], Any]

def _wrap(arr: np.ndarray, requires_grad=False, device=None, who="tensor") -> Tensor:
    """A tensor of the active engine holding ``arr`` itself (no copy)."""
    _dtypes.check_device(device, who)
    if requires_grad:
        check_requires_grad_dtype(arr.dtype)
    cls = _current_engine().Tensor
    t = cls.__new__(cls)
    t.data = arr
    t._rg = bool(requires_grad)
    t._node = None
    t._grad = None
    t._version = 0
    t._base = None
    return t


def _float_dtype(dtype, who):
    """``dtype`` as a numpy dtype; the default float dtype when None."""
    return _dtypes._default[0] if dtype is None else _dtypes.to_dtype(dtype, who)


def _size_arg(size, kw_size, who):
    if kw_size is not None:
        if size:
            raise TypeError(f"{who}(): size given both positionally and as size=")
        size = (kw_size,)
    return _sizes(size, who)


def _check_out(out, who):
    if out is not None:
        raise TypeError(f"{who}(): out= is not supported by autograd_c; assign the result")


# ----------------------------------------------------------------------------
# from data
# ----------------------------------------------------------------------------


def tensor(data, *, dtype=None, device=None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (a number, a nested list, a
    numpy array or a Tensor; the copy is detached). Python floats become the
    default float dtype, Python ints int64, bools bool; numpy data keeps its
    dtype."""
    return _wrap(to_array(data, dtype), requires_grad, device, "tensor")


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """``data`` as a tensor, without a copy when possible: a Tensor of that
    dtype is returned as is (another dtype: a recorded cast); a numpy array
    of that dtype is shared (changes to one show in the other)."""
    _dtypes.check_device(device, "as_tensor")
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, np.ndarray):
        d = data.dtype if dtype is None else _dtypes.to_dtype(dtype, "as_tensor")
        if data.dtype == d:
            if data.dtype.kind in "OUSV":
                raise TypeError(f"as_tensor(): unsupported numpy dtype {data.dtype}")
            return _wrap(data)
        return _wrap(to_array(data, d))
    return _wrap(to_array(data, dtype))


asarray = as_tensor


def from_numpy(ndarray) -> Tensor:
    """A tensor sharing ``ndarray``'s memory and dtype."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"from_numpy(): expected np.ndarray (got {type(ndarray).__name__})")
    if ndarray.dtype.kind not in "biufc":
        raise TypeError(f"from_numpy(): can't convert np.ndarray of type {ndarray.dtype}. The "
                        f"only supported types are: float64, float32, float16, complex64, "
                        f"complex128, int64, int32, int16, int8, uint8, and bool.")
    return _wrap(ndarray)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A 0-d tensor holding ``s`` (default float dtype unless ``dtype``)."""
    d = _float_dtype(dtype, "scalar_tensor")
    return _wrap(np.array(s, dtype=d), requires_grad, device, "scalar_tensor")


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(input) -> int:
    return input.numel()


# ----------------------------------------------------------------------------
# filled
# ----------------------------------------------------------------------------


def _filled(size, kw_size, value, who, out, dtype, device, requires_grad):
    _check_out(out, who)
    shape = _size_arg(size, kw_size, who)
    d = _float_dtype(dtype, who)
    arr = np.empty(shape, dtype=d) if value is None else np.full(shape, value, dtype=d)
    return _wrap(arr, requires_grad, device, who)


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, memory_format=None, **kw) -> Tensor:
    """``zeros(2, 3)`` or ``zeros((2, 3))``: a tensor of zeros (default float dtype)."""
    return _filled(size, kw.pop("size", None), 0, "zeros", out, dtype, device, requires_grad)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False, memory_format=None, **kw) -> Tensor:
    """``ones(2, 3)`` or ``ones((2, 3))``: a tensor of ones (default float dtype)."""
    return _filled(size, kw.pop("size", None), 1, "ones", out, dtype, device, requires_grad)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, memory_format=None, **kw) -> Tensor:
    """An uninitialised tensor (default float dtype)."""
    return _filled(size, kw.pop("size", None), None, "empty", out, dtype, device, requires_grad)


def _fill_dtype(fill_value):
    """PyTorch's dtype for ``full``: bool, int64, the default float or complex."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if isinstance(fill_value, (bool, np.bool_)):
        return _dtypes.bool_
    if isinstance(fill_value, (int, np.integer)):
        return _dtypes.int64
    if isinstance(fill_value, (complex, np.complexfloating)):
        return _dtypes.complex128 if _dtypes._default[0] == np.float64 else _dtypes.complex64
    return _dtypes._default[0]


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value``; its dtype follows the
    value (bool, int64, the default float) unless ``dtype``."""
    _check_out(out, "full")
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    d = _fill_dtype(fill_value) if dtype is None else _dtypes.to_dtype(dtype, "full")
    shape = _sizes((size,), "full")
    return _wrap(np.full(shape, fill_value, dtype=d), requires_grad, device, "full")


def _like(input, dtype, who):
    if not isinstance(input, (Tensor, np.ndarray)):
        raise TypeError(f"{who}(): argument 'input' must be Tensor, not {type(input).__name__}")
    return input.shape, (np.dtype(input.dtype) if dtype is None
                         else _dtypes.to_dtype(dtype, who))


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    shape, d = _like(input, dtype, "zeros_like")
    return _wrap(np.zeros(shape, dtype=d), requires_grad, device, "zeros_like")


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    shape, d = _like(input, dtype, "ones_like")
    return _wrap(np.ones(shape, dtype=d), requires_grad, device, "ones_like")


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    shape, d = _like(input, dtype, "empty_like")
    return _wrap(np.empty(shape, dtype=d), requires_grad, device, "empty_like")


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    shape, d = _like(input, dtype, "full_like")
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _wrap(np.full(shape, fill_value, dtype=d), requires_grad, device, "full_like")


# ----------------------------------------------------------------------------
# ranges
# ----------------------------------------------------------------------------


def _num(x, who):
    if isinstance(x, Tensor):
        if x.data.size != 1:
            raise RuntimeError(f"{who}(): arguments must be numbers or one-element tensors")
        return x.data.reshape(()).item()
    if isinstance(x, np.generic):
        return x.item()
    if not isinstance(x, (int, float, complex)):
        raise TypeError(f"{who}(): expected a number, got {type(x).__name__}")
    return x


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False) -> Tensor:
    """``arange(end)``, ``arange(start, end, step=1)``: int64 when every
    argument is an int, else the default float dtype; values
    ``start + i * step`` computed in float64 with one rounding (a fused
    multiply-add), as PyTorch does."""
    _check_out(out, "arange")
    if end is None:
        start, end = 0, start
    start, end, step = _num(start, "arange"), _num(end, "arange"), _num(step, "arange")
    all_int = _all(isinstance(v, int) for v in (start, end, step))
    d = (_dtypes.int64 if all_int else _dtypes._default[0]) if dtype is None \
        else _dtypes.to_dtype(dtype, "arange")
    if step == 0:
        raise RuntimeError("arange(): step must be nonzero")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"arange(): unsupported range: {start} -> {end}")
    if (end - start) * step < 0:
        raise RuntimeError("arange(): upper bound and larger bound inconsistent with step sign")
    if all_int:
        n = _max(0, -(-(end - start) // step))
        arr = (start + step * np.arange(n, dtype=np.int64))
    else:
        n = _max(0, math.ceil((end - start) / step))
        # start + step * i as a fused multiply-add in float64, as PyTorch's kernel
        arr = _fma(np.full(n, float(step)), np.arange(n, dtype=np.float64),
                   np.full(n, float(start)))
    return _wrap(arr.astype(d, copy=False), requires_grad, device, "arange")


def range(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,  # noqa: A001
          requires_grad=False) -> Tensor:
    """Deprecated in PyTorch: like ``arange`` but includes ``end``; default
    float dtype."""
    _check_out(out, "range")
    if end is None:
        start, end = 0, start
    start, end, step = _num(start, "range"), _num(end, "range"), _num(step, "range")
    if step == 0:
        raise RuntimeError("range(): step must be nonzero")
    d = _float_dtype(dtype, "range")
    n = int(math.floor((end - start) / step)) + 1
    arr = float(start) + float(step) * np.arange(_max(n, 0), dtype=np.float64)
    return _wrap(arr.astype(d), requires_grad, device, "range")


def _check_steps(steps, who):
    if isinstance(steps, Tensor):
        steps = steps.item()
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise TypeError(f"{who}(): steps must be an int, got {type(steps).__name__}")
    if steps < 0:
        raise RuntimeError(f"{who}(): number of steps must be non-negative")
    return int(steps)


def _two_prod(a, b):
    """``a * b`` and its rounding error (Dekker's split), float64 arrays."""
    p = a * b
    split = 134217729.0                         # 2**27 + 1

    def halves(x):
        c = split * x
        hi = c - (c - x)
        return hi, x - hi

    ah, al = halves(a)
    bh, bl = halves(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _fma(a, b, c):
    """``a * b + c`` rounded once (as a fused multiply-add), float64 arrays."""
    p, pe = _two_prod(a, b)
    s = p + c
    bb = s - p
    se = (p - (s - bb)) + (c - bb)
    return s + (se + pe)


def _lin(start, end, steps, d):
    """PyTorch's linspace kernel, to the bit for float32/float64/integers:
    the first half is ``start + step * i``, the second ``end - step * (steps
    - 1 - i)`` (so both ends are exact), each a fused multiply-add; the step
    is computed in ``d`` (float64 for integer dtypes). The result is in the
    working precision (float64 for integers: the caller truncates)."""
    i = np.arange(steps, dtype=np.float64)
    first = i < steps // 2
    if steps == 1:
        return np.array([start], dtype=np.float64 if d.kind != "f" else d)
    if d.kind == "f" and d.itemsize < 8:
        # float32 (and float16): the float64 products are exact, one rounding
        s, e = d.type(start), d.type(end)
        step = np.float64((e - s) / d.type(steps - 1))
        lo = np.float64(s) + step * i
        hi = np.float64(e) - step * (steps - 1 - i)
        return np.where(first, lo, hi).astype(d)
    if d.kind == "f":
        s, e = np.float64(start), np.float64(end)
    else:
        s, e = np.float64(d.type(start)), np.float64(d.type(end))
    step = (e - s) / np.float64(steps - 1)
    lo = _fma(np.full(steps, step), i, np.full(steps, s))
    hi = _fma(np.full(steps, -step), steps - 1 - i, np.full(steps, e))
    return np.where(first, lo, hi)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive
    (default float dtype)."""
    _check_out(out, "linspace")
    steps = _check_steps(steps, "linspace")
    start, end = _num(start, "linspace"), _num(end, "linspace")
    d = _float_dtype(dtype, "linspace")
    if isinstance(start, complex) or isinstance(end, complex) or d.kind == "c":
        if dtype is None:
            d = _dtypes.complex128 if d == np.float64 else _dtypes.complex64
        arr = np.linspace(start, end, steps).astype(d)
    else:
        arr = _lin(start, end, steps, d) if steps else np.empty(0, dtype=d)
    return _wrap(arr.astype(d, copy=False), requires_grad, device, "linspace")


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False) -> Tensor:
    """``base ** linspace(start, end, steps)`` (default float dtype)."""
    _check_out(out, "logspace")
    steps = _check_steps(steps, "logspace")
    start, end, base = _num(start, "logspace"), _num(end, "logspace"), _num(base, "logspace")
    d = _float_dtype(dtype, "logspace")
    if not steps:
        return _wrap(np.empty(0, dtype=d), requires_grad, device, "logspace")
    exps = _lin(start, end, steps, d)
    with np.errstate(over="ignore", invalid="ignore"):
        arr = np.power(np.float64(base), exps.astype(np.float64)).astype(d)
    return _wrap(arr, requires_grad, device, "logspace")


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None,
        requires_grad=False) -> Tensor:
    """The ``n`` x ``m`` identity (``m`` defaults to ``n``; default float dtype)."""
    _check_out(out, "eye")
    n = _sizes((n,), "eye")[0]
    m = n if m is None else _sizes((m,), "eye")[0]
    return _wrap(np.eye(n, m, dtype=_float_dtype(dtype, "eye")), requires_grad, device, "eye")


# ----------------------------------------------------------------------------
# random
# ----------------------------------------------------------------------------


def _uniform(rng, shape, d):
    if d.kind != "f":
        raise RuntimeError(f"\"check_uniform_bounds\" not implemented for '{d}': rand needs a "
                           f"floating point dtype")
    if d in (np.float32, np.float64):
        return rng.random(shape, dtype=d)
    return rng.random(shape, dtype=np.float32).astype(d)


def _normal(rng, shape, d):
    if d.kind != "f":
        raise RuntimeError(f"\"normal_kernel_cpu\" not implemented for '{d}': randn needs a "
                           f"floating point dtype")
    if d in (np.float32, np.float64):
        return rng.standard_normal(shape, dtype=d)
    return rng.standard_normal(shape, dtype=np.float32).astype(d)


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False, **kw) -> Tensor:
    """Uniform samples on [0, 1) (default float dtype)."""
    _check_out(out, "rand")
    shape = _size_arg(size, kw.pop("size", None), "rand")
    arr = _uniform(_numpy_rng(generator, "rand"), shape, _float_dtype(dtype, "rand"))
    return _wrap(arr, requires_grad, device, "rand")


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False, pin_memory=False, **kw) -> Tensor:
    """Standard normal samples (default float dtype)."""
    _check_out(out, "randn")
    shape = _size_arg(size, kw.pop("size", None), "randn")
    arr = _normal(_numpy_rng(generator, "randn"), shape, _float_dtype(dtype, "randn"))
    return _wrap(arr, requires_grad, device, "randn")


def rand_like(input, *, generator=None, dtype=None, layout=None, device=None,
              requires_grad=False, memory_format=None) -> Tensor:
    shape, d = _like(input, dtype, "rand_like")
    return _wrap(_uniform(_numpy_rng(generator, "rand_like"), shape, d), requires_grad, device,
                 "rand_like")


def randn_like(input, *, generator=None, dtype=None, layout=None, device=None,
               requires_grad=False, memory_format=None) -> Tensor:
    shape, d = _like(input, dtype, "randn_like")
    return _wrap(_normal(_numpy_rng(generator, "randn_like"), shape, d), requires_grad, device,
                 "randn_like")


def _randint_args(args, size, who):
    """``(high, size)`` or ``(low, high, size)``, positionally or by keyword."""
    args = list(args)
    if size is None and args and isinstance(args[-1], (tuple, list)):
        size = args.pop()
    if len(args) == 1:
        low, high = 0, args[0]
    elif len(args) == 2:
        low, high = args
    else:
        raise TypeError(f"{who}(): expected (high, size) or (low, high, size)")
    if size is None:
        raise TypeError(f"{who}(): missing the size argument")
    low, high = _num(low, who), _num(high, who)
    if low >= high:
        raise RuntimeError(f"{who}(): random_ expects 'from' to be less than 'to', but got "
                           f"from={low} >= to={high}")
    return int(low), int(high), _sizes((size,), who)


def randint(*args, size=None, generator=None, out=None, dtype=None, layout=None, device=None,
            requires_grad=False, **kw) -> Tensor:
    """``randint(high, size)`` / ``randint(low, high, size)``: integers in
    [low, high) (int64 unless ``dtype``)."""
    _check_out(out, "randint")
    if "low" in kw or "high" in kw:
        args = (kw.pop("low", 0), kw.pop("high")) + tuple(args)
    if kw:
        raise TypeError(f"randint() got unexpected keyword arguments {sorted(kw)}")
    low, high, shape = _randint_args(args, size, "randint")
    d = _dtypes.int64 if dtype is None else _dtypes.to_dtype(dtype, "randint")
    arr = _numpy_rng(generator, "randint").integers(low, high, size=shape, dtype=np.int64)
    return _wrap(arr.astype(d, copy=False), requires_grad, device, "randint")


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, layout=None,
                 device=None, requires_grad=False, memory_format=None) -> Tensor:
    """``randint_like(input, high)`` / ``randint_like(input, low, high)``."""
    if high is None:
        low, high = 0, low
    shape, d = _like(input, dtype, "randint_like")
    low, high, _ = _randint_args((low, high), (), "randint_like")
    arr = _numpy_rng(generator, "randint_like").integers(low, high, size=shape, dtype=np.int64)
    return _wrap(arr.astype(d), requires_grad, device, "randint_like")


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False) -> Tensor:
    """A random permutation of ``0 .. n-1`` (int64 unless ``dtype``)."""
    _check_out(out, "randperm")
    n = _num(n, "randperm")
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise RuntimeError(f"randperm(): n must be non-negative, got {n}")
    d = _dtypes.int64 if dtype is None else _dtypes.to_dtype(dtype, "randperm")
    arr = _numpy_rng(generator, "randperm").permutation(n)
    return _wrap(arr.astype(d), requires_grad, device, "randperm")


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None,
           layout=None, device=None, requires_grad=False) -> Tensor:
    """Normal samples with ``mean`` and ``std`` (numbers or tensors,
    broadcast together; the result has the tensors' dtype), or
    ``normal(mean, std, size)`` with numbers (default float dtype)."""
    _check_out(out, "normal")
    rng = _numpy_rng(generator, "normal")
    tm, ts = isinstance(mean, Tensor), isinstance(std, Tensor)
    if tm or ts:
        if size is not None:
            raise TypeError("normal(): size is only accepted with float mean and std")
        m = mean.data if tm else mean
        s = std.data if ts else std
        if np.any(np.asarray(s) < 0):
            raise RuntimeError("normal expects all elements of std >= 0.0")
        d = (mean.dtype if tm else std.dtype) if dtype is None else _dtypes.to_dtype(dtype)
        if tm and ts:
            d = np.promote_types(mean.dtype, std.dtype) if dtype is None else d
        if d.kind != "f":
            raise RuntimeError(f"normal(): expected a floating point mean/std, got {d}")
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
        z = rng.standard_normal(shape)
        return _wrap((np.asarray(m, np.float64) + np.asarray(s, np.float64) * z).astype(d),
                     requires_grad, device, "normal")
    if size is None:
        size = ()
    mean, std = _num(mean, "normal"), _num(std, "normal")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    d = _float_dtype(dtype, "normal")
    z = _normal(rng, _sizes((size,), "normal"), d)
    return _wrap((mean + std * z).astype(d, copy=False), requires_grad, device, "normal")


def bernoulli(input, p=None, *, generator=None, out=None) -> Tensor:
    """0/1 samples, 1 with probability ``input`` (elementwise; or with the
    scalar ``p``, in ``input``'s shape); ``input``'s dtype."""
    _check_out(out, "bernoulli")
    if not isinstance(input, Tensor):
        raise TypeError(f"bernoulli(): argument 'input' must be Tensor, not "
                        f"{type(input).__name__}")
    probs = input.data if p is None else np.full(input.shape, _num(p, "bernoulli"))
    if np.any((probs < 0) | (probs > 1)) or np.any(np.isnan(probs)):
        raise RuntimeError("bernoulli(): all elements of input must be in [0, 1]")
    u = _numpy_rng(generator, "bernoulli").random(np.shape(probs))
    return _wrap((u < probs).astype(input.dtype))


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None) -> Tensor:
    """``num_samples`` category indices per row of the non-negative weights
    ``input`` (1-D or 2-D), with or without replacement; int64."""
    _check_out(out, "multinomial")
    w = input.data if isinstance(input, Tensor) else np.asarray(input)
    if w.ndim not in (1, 2):
        raise RuntimeError(f"multinomial(): prob_dist must be 1 or 2 dim, got {w.ndim}")
    if w.dtype.kind != "f":
        raise RuntimeError(f"multinomial(): only floating point probabilities are supported, "
                           f"got {w.dtype}")
    num_samples = int(num_samples)
    if num_samples <= 0:
        raise RuntimeError("multinomial(): cannot sample n_sample <= 0 samples")
    rows = np.atleast_2d(w).astype(np.float64)
    if np.any(rows < 0) or not np.all(np.isfinite(rows)):
        raise RuntimeError("multinomial(): probability tensor contains either `inf`, `nan` "
                           "or element < 0")
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError("multinomial(): cannot sample n_sample > prob_dist.size(-1) "
                           "samples without replacement")
    rng = _numpy_rng(generator, "multinomial")
    out_rows = []
    for r in rows:
        total = r.sum()
        if total <= 0:
            raise RuntimeError("multinomial(): invalid multinomial distribution (sum of "
                               "probabilities <= 0)")
        if not replacement and np.count_nonzero(r) < num_samples:
            raise RuntimeError("multinomial(): invalid multinomial distribution (with "
                               "replacement=False, not enough non-negative category to sample)")
        out_rows.append(rng.choice(r.shape[0], size=num_samples, replace=replacement,
                                   p=r / total))
    arr = np.asarray(out_rows, dtype=np.int64)
    return _wrap(arr if w.ndim == 2 else arr[0])

"""numpy's elementwise ufuncs, called from C on small float64 arrays.

The compiled op rules (``_ops_c``, built from ``ops.py``) import their
elementwise math from here instead of from numpy; the pure engine's
``ops.py`` uses numpy's ufuncs directly. Each function here behaves exactly
as the numpy ufunc of the same name, bit for bit:

- the fast path runs *numpy's own inner loop* for the float64 signature
  (found in the ufunc's loop table at import), so the arithmetic is numpy's,
  SIMD dispatch included; only the per-call overhead (argument parsing, type
  resolution, iterator set-up: about 0.3 us) is skipped;
- it is taken only for exact ``ndarray`` operands that are float64,
  native-endian, aligned and C-contiguous, of at least one dimension and the
  same shape, or such an array and a Python/numpy float or small int
  scalar (which numpy also computes in float64); the output is a new
  C-contiguous float64 array, as numpy returns;
- arrays over ``_SMALL`` elements go to numpy (the overhead is negligible
  there, and numpy releases the GIL for them);
- floating-point exceptions: if the loop raised any IEEE flag, the result is
  thrown away and the numpy ufunc is called instead, so ``np.errstate``
  warnings and errors happen exactly as with numpy;
- anything else (other dtypes, broadcasting, subclasses, ``out=``) is the
  numpy ufunc itself.

``tests/test_ufuncs.py`` checks every function against numpy, bit for bit.
"""
cimport numpy as cnp
from cpython.float cimport PyFloat_AS_DOUBLE
from cpython.long cimport PyLong_AsLongLongAndOverflow
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from libc.string cimport memcmp, memcpy

import numpy as np

cnp.import_array()
cnp.import_ufunc()

cdef extern from "<fenv.h>":
    int fetestexcept(int excepts) nogil
    int feclearexcept(int excepts) nogil
    int FE_DIVBYZERO, FE_OVERFLOW, FE_UNDERFLOW, FE_INVALID

# the IEEE flags numpy's error handling (np.errstate) looks at
cdef int _FP_FLAGS = FE_DIVBYZERO | FE_OVERFLOW | FE_UNDERFLOW | FE_INVALID


cdef inline void _fp_clear() noexcept nogil:
    # clearing costs far more than testing: clear only when something is set
    if fetestexcept(_FP_FLAGS):
        feclearexcept(_FP_FLAGS)


cdef inline bint _fp_raised() noexcept nogil:
    return fetestexcept(_FP_FLAGS) != 0


ctypedef void (*loop_t)(char **, cnp.npy_intp *, cnp.npy_intp *, void *) noexcept nogil

cdef struct Loop:
    loop_t func
    void *data

# Above this many elements the ufunc's own overhead no longer matters.
cdef cnp.npy_intp _SMALL = 1 << 14

cdef object _ndarray = np.ndarray
cdef object _float64 = np.float64


cdef bint _find_loop(object uf, int nargs, Loop *out):
    """Find the all-float64 loop of ufunc ``uf`` (False if it has none)."""
    cdef cnp.ufunc u = <cnp.ufunc>uf
    cdef int k, j
    if u.nargs != nargs:
        return False
    for k in range(u.ntypes):
        for j in range(nargs):
            if u.types[k * nargs + j] != cnp.NPY_DOUBLE:
                break
        else:
            out.func = <loop_t>u.functions[k]
            out.data = u.data[k]
            return out.func != NULL
    return False


cdef inline bint _fast_array(object x, cnp.npy_intp limit):
    """An exact float64 ndarray the fast path can read directly."""
    if type(x) is not _ndarray:
        return False
    cdef cnp.ndarray a = <cnp.ndarray>x
    return (cnp.PyArray_TYPE(a) == cnp.NPY_DOUBLE
            and cnp.PyArray_NDIM(a) >= 1
            and cnp.PyArray_ISCARRAY_RO(a)
            and cnp.PyArray_ISNOTSWAPPED(a)
            and cnp.PyArray_SIZE(a) <= limit)


cdef inline bint _scalar(object x, double *v):
    """A Python float, numpy float64 or small Python int: its float64 value."""
    cdef long long i
    cdef int overflow = 0
    if type(x) is float or type(x) is _float64:
        v[0] = PyFloat_AS_DOUBLE(x)
        return True
    if type(x) is int:
        i = PyLong_AsLongLongAndOverflow(x, &overflow)
        if overflow or i > (1LL << 53) or i < -(1LL << 53):
            return False
        v[0] = <double>i
        return True
    return False


cdef inline cnp.ndarray _empty_like(cnp.ndarray a):
    return cnp.PyArray_EMPTY(cnp.PyArray_NDIM(a), cnp.PyArray_DIMS(a), cnp.NPY_DOUBLE, 0)


cdef inline bint _same_shape(cnp.ndarray a, cnp.ndarray b):
    cdef int nd = cnp.PyArray_NDIM(a)
    return (nd == cnp.PyArray_NDIM(b)
            and memcmp(cnp.PyArray_DIMS(a), cnp.PyArray_DIMS(b), nd * sizeof(cnp.npy_intp)) == 0)


cdef inline bint _point_at(cnp.ndarray arr, object b, char **arg, cnp.npy_intp *step,
                           double *scalar):
    """Set a loop argument to ``b``, the operand that goes with array ``arr``:
    a fast array of ``arr``'s shape, or a scalar (stored in ``*scalar``,
    stride 0). False when ``b`` is neither."""
    if _fast_array(b, _SMALL):
        if not _same_shape(arr, <cnp.ndarray>b):
            return False
        arg[0] = cnp.PyArray_BYTES(<cnp.ndarray>b)
        return True
    if _scalar(b, scalar):
        arg[0] = <char *>scalar
        step[0] = 0
        return True
    return False


cdef inline bint _run(Loop *loop, char **args, cnp.npy_intp n, cnp.npy_intp *steps) noexcept:
    """Run ``loop`` over ``n`` elements; False if it raised an IEEE flag
    numpy's error handling looks at (the caller then leaves it to numpy)."""
    _fp_clear()
    loop.func(args, &n, steps, loop.data)
    return not _fp_raised()


cdef object _binary(Loop *loop, object a, object b):
    """Run ``loop`` on (a, b) into a new array.

    Returns NotImplemented when the fast path does not apply or the loop
    raised a floating-point flag; the caller then calls numpy.
    """
    cdef char *args[3]
    cdef cnp.npy_intp steps[3]
    cdef double sa, sb
    cdef cnp.ndarray arr, res
    steps[0] = steps[1] = steps[2] = sizeof(double)
    if _fast_array(a, _SMALL):
        arr = <cnp.ndarray>a
        args[0] = cnp.PyArray_BYTES(arr)
        if not _point_at(arr, b, &args[1], &steps[1], &sb):
            return NotImplemented
    elif _fast_array(b, _SMALL) and _scalar(a, &sa):
        arr = <cnp.ndarray>b
        args[0] = <char *>&sa
        steps[0] = 0
        args[1] = cnp.PyArray_BYTES(arr)
    else:
        return NotImplemented
    res = _empty_like(arr)
    args[2] = cnp.PyArray_BYTES(res)
    return res if _run(loop, args, cnp.PyArray_SIZE(arr), steps) else NotImplemented


cdef object _unary(Loop *loop, object a):
    cdef char *args[2]
    cdef cnp.npy_intp steps[2]
    if not _fast_array(a, _SMALL):
        return NotImplemented
    cdef cnp.ndarray arr = <cnp.ndarray>a
    cdef cnp.ndarray res = _empty_like(arr)
    args[0] = cnp.PyArray_BYTES(arr)
    args[1] = cnp.PyArray_BYTES(res)
    steps[0] = steps[1] = sizeof(double)
    return res if _run(loop, args, cnp.PyArray_SIZE(arr), steps) else NotImplemented


# --------------------------------------------------------------------------
# the loop table: one slot per ufunc used by the op rules
# --------------------------------------------------------------------------

# (the slots are numbered by the enum in _ufuncs.pxd)

cdef Loop _loops[NLOOPS]
cdef bint _have[NLOOPS]
cdef list _ufunc_objs = [np.add, np.subtract, np.multiply, np.true_divide, np.maximum,
                         np.minimum, np.negative, np.exp, np.log, np.sqrt, np.tanh]

cdef int _k
for _k in range(NLOOPS):
    _have[_k] = _find_loop(_ufunc_objs[_k], 3 if _k < NEGATIVE else 2, &_loops[_k])


cdef inline object _call2(int k, object a, object b):
    cdef object r
    if _have[k]:
        r = _binary(&_loops[k], a, b)
        if r is not NotImplemented:
            return r
    return _ufunc_objs[k](a, b)


cdef inline object _call1(int k, object a):
    cdef object r
    if _have[k]:
        r = _unary(&_loops[k], a)
        if r is not NotImplemented:
            return r
    return _ufunc_objs[k](a)


def add(a, b):
    """``np.add(a, b)``."""
    return _call2(ADD, a, b)


def subtract(a, b):
    """``np.subtract(a, b)``."""
    return _call2(SUBTRACT, a, b)


def multiply(a, b):
    """``np.multiply(a, b)``."""
    return _call2(MULTIPLY, a, b)


def true_divide(a, b):
    """``np.true_divide(a, b)``."""
    return _call2(TRUE_DIVIDE, a, b)


def maximum(a, b):
    """``np.maximum(a, b)``."""
    return _call2(MAXIMUM, a, b)


def minimum(a, b):
    """``np.minimum(a, b)``."""
    return _call2(MINIMUM, a, b)


def negative(a):
    """``np.negative(a)``."""
    return _call1(NEGATIVE, a)


def exp(a):
    """``np.exp(a)``."""
    return _call1(EXP, a)


def log(a):
    """``np.log(a)``."""
    return _call1(LOG, a)


def sqrt(a):
    """``np.sqrt(a)``."""
    return _call1(SQRT, a)


def tanh(a):
    """``np.tanh(a)``."""
    return _call1(TANH, a)


cdef object fast_add(object a, object b):
    """``a + b`` for two same-shape small float64 arrays, or NotImplemented
    (the caller then uses numpy, possibly in place). For the engine's
    gradient accumulation."""
    if _have[ADD]:
        return _binary(&_loops[ADD], a, b)
    return NotImplemented


# in-place results are staged here first (see fast_inplace)
cdef enum:
    _STAGE = 512


cdef object fast_inplace(int k, object out, object other):
    """``ufunc_k(out, other, out=out)`` for a writeable float64 array ``out``
    and a same-shape float64 array or a scalar ``other``; else NotImplemented.
    (The engine's in-place operators, and its in-place gradient sums.)

    The result goes to a stage buffer (on the stack up to 512 elements) and
    is copied into ``out`` only when the loop raised no floating-point flag,
    so on NotImplemented nothing has changed and the caller's numpy fallback
    reports any error itself."""
    cdef double stage_small[_STAGE]
    cdef double *stage
    cdef double sb
    cdef char *args[3]
    cdef cnp.npy_intp steps[3]
    cdef cnp.npy_intp n
    cdef bint ok
    if not (_have[k] and _fast_array(out, _SMALL)):
        return NotImplemented
    cdef cnp.ndarray a = <cnp.ndarray>out
    if not cnp.PyArray_ISWRITEABLE(a):
        return NotImplemented
    steps[0] = steps[1] = steps[2] = sizeof(double)
    args[0] = cnp.PyArray_BYTES(a)
    if not _point_at(a, other, &args[1], &steps[1], &sb):
        return NotImplemented
    n = cnp.PyArray_SIZE(a)
    if n <= _STAGE:
        stage = stage_small
    else:
        stage = <double *>PyMem_Malloc(n * sizeof(double))
        if stage == NULL:
            raise MemoryError()
    args[2] = <char *>stage
    ok = _run(&_loops[k], args, n, steps)
    if ok:
        memcpy(args[0], stage, n * sizeof(double))
    if stage != stage_small:
        PyMem_Free(stage)
    return out if ok else NotImplemented


# ops._cast and ops._cast_info, registered by the compiled op rules at import
cdef object _cast_general = None
cdef object _cast_info_general = None


def set_general(cast, cast_info):
    global _cast_general, _cast_info_general
    _cast_general = cast
    _cast_info_general = cast_info


cdef inline bint _same_layout(object x, object like):
    return (type(like) is _ndarray and type(x) is _ndarray
            and cnp.PyArray_DESCR(<cnp.ndarray>x) is cnp.PyArray_DESCR(<cnp.ndarray>like)
            and _same_shape(<cnp.ndarray>x, <cnp.ndarray>like))


def cast_info(x, out):
    """``ops._cast_info(x, out)``, its common case (None) tested here in C."""
    if _same_layout(x, out):
        return None
    return _cast_info_general(x, out)


def cast(g, like):
    """``ops._cast(g, like)``: ``g`` itself when it already is an array of
    ``like``'s shape and dtype (tested here in C), else the general rule."""
    if _same_layout(g, like):
        return g
    return _cast_general(g, like)


def loops_found():
    """Names of the ufuncs whose float64 loop was found (the rest always go
    through numpy); for tests and diagnostics."""
    return [_ufunc_objs[k].__name__ for k in range(NLOOPS) if _have[k]]

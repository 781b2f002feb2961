"""numpy's elementwise ufuncs, called from C on small float64 and float32 arrays.

The compiled op rules (``_ops_c``, built from ``ops.py``) import their
elementwise math from here instead of from numpy; the pure engine's
``ops.py`` uses numpy's ufuncs directly. Each function here behaves exactly
as the numpy ufunc of the same name, bit for bit:

- the fast path runs *numpy's own inner loop* for the float64 (or float32)
  signature (found in the ufunc's loop table at import), so the arithmetic is numpy's,
  SIMD dispatch included; only the per-call overhead (argument parsing, type
  resolution, iterator set-up: about 0.3 us) is skipped;
- it is taken only for exact ``ndarray`` operands that are float64 (or
  float32: both of one dtype), native-endian, aligned and C-contiguous, of
  at least one dimension and the same shape, or such an array and a Python
  float or small int scalar (or a numpy float64 with float64), which numpy 2
  also computes in the array's dtype; the output is a new C-contiguous
  array of that dtype, as numpy returns;
- arrays over ``_SMALL`` elements go to numpy (the overhead is negligible
  there, and numpy releases the GIL for them);
- floating-point exceptions: if an IEEE flag is set after the loop (raised
  by it, or left set by earlier code), the result is thrown away and the
  numpy ufunc is called instead, so ``np.errstate`` warnings and errors
  happen exactly as with numpy;
- anything else (other dtypes, broadcasting, subclasses, ``out=``) is the
  numpy ufunc itself.

``tests/test_ufuncs.py`` checks every function against numpy, bit for bit.
"""
cimport numpy as cnp
from cpython.float cimport PyFloat_AS_DOUBLE
from cpython.long cimport PyLong_AsLongLongAndOverflow
from cpython.object cimport PyObject
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.tuple cimport PyTuple_GET_ITEM
from libc.math cimport isinf
from libc.string cimport memcmp, memcpy

import numpy as np

cnp.import_array()
cnp.import_ufunc()

cdef extern from *:
    """
    #include <fenv.h>
    /* The IEEE flags numpy's error handling (np.errstate) looks at: divide by
     * zero, overflow, underflow, invalid (not inexact, not denormal). */
    #if defined(__x86_64__) || defined(_M_X64)
    /* x86-64: float32/float64 loops run on SSE/AVX, which record their flags
     * in MXCSR only; reading MXCSR alone costs half of fetestexcept, which
     * also stores the x87 status word (about 5 ns each on an AMD EPYC VM). */
    #include <xmmintrin.h>
    #define AG_FP_RAISED() ((_mm_getcsr() & 0x1D) != 0)   /* IE|ZE|OE|UE */
    #else
    #define AG_FP_RAISED() \
        (fetestexcept(FE_DIVBYZERO | FE_OVERFLOW | FE_UNDERFLOW | FE_INVALID) != 0)
    #endif
    #define AG_FP_CLEAR() \
        feclearexcept(FE_DIVBYZERO | FE_OVERFLOW | FE_UNDERFLOW | FE_INVALID)
    """
    bint _fp_raised "AG_FP_RAISED"() noexcept nogil
    void _fp_clear "AG_FP_CLEAR"() noexcept nogil


ctypedef void (*loop_t)(char **, cnp.npy_intp *, cnp.npy_intp *, void *) noexcept nogil

cdef struct Loop:
    loop_t func
    void *data

# Above this many elements the ufunc's own overhead no longer matters.
cdef cnp.npy_intp _SMALL = 1 << 14

cdef object _ndarray = np.ndarray
cdef object _float64 = np.float64


# the dtypes with a fast path: slot 0 float64, slot 1 float32
cdef enum:
    _F64 = 0
    _F32 = 1
    _NTYPES = 2

cdef int _TYPENUMS[_NTYPES]
_TYPENUMS[_F64] = cnp.NPY_DOUBLE
_TYPENUMS[_F32] = cnp.NPY_FLOAT
cdef cnp.npy_intp _ITEMSIZE[_NTYPES]
_ITEMSIZE[_F64] = sizeof(double)
_ITEMSIZE[_F32] = sizeof(float)


cdef bint _find_loop(object uf, int nargs, int typenum, Loop *out):
    """Find the loop of ufunc ``uf`` whose every argument has type
    ``typenum`` (False if it has none)."""
    cdef cnp.ufunc u = <cnp.ufunc>uf
    cdef int k, j
    if u.nargs != nargs:
        return False
    for k in range(u.ntypes):
        for j in range(nargs):
            if u.types[k * nargs + j] != typenum:
                break
        else:
            out.func = <loop_t>u.functions[k]
            out.data = u.data[k]
            return out.func != NULL
    return False


cdef inline int _fast_array(object x, cnp.npy_intp limit):
    """The fast-path slot (``_F64``, ``_F32``) of an exact float64 or float32
    ndarray the fast path can read directly, else -1."""
    if type(x) is not _ndarray:
        return -1
    cdef cnp.ndarray a = <cnp.ndarray>x
    cdef int t = cnp.PyArray_TYPE(a)
    if not (cnp.PyArray_NDIM(a) >= 1
            and cnp.PyArray_ISCARRAY_RO(a)
            and cnp.PyArray_ISNOTSWAPPED(a)
            and cnp.PyArray_SIZE(a) <= limit):
        return -1
    if t == cnp.NPY_DOUBLE:
        return _F64
    if t == cnp.NPY_FLOAT:
        return _F32
    return -1


cdef union Scalar:
    double d
    float f


cdef inline bint _scalar(object x, int ty, Scalar *v):
    """A Python float or small Python int (or, for float64, a numpy float64):
    its value in the array's dtype (numpy 2 computes a Python number with a
    float32 array in float32). False when numpy would not compute it so, or
    the number does not fit a float32 (numpy then warns: leave it to numpy)."""
    cdef long long i
    cdef int overflow = 0
    cdef double d
    if type(x) is float or (ty == _F64 and type(x) is _float64):
        d = PyFloat_AS_DOUBLE(x)
    elif type(x) is int:
        i = PyLong_AsLongLongAndOverflow(x, &overflow)
        if overflow or i > (1LL << 53) or i < -(1LL << 53):
            return False
        d = <double>i
    else:
        return False
    if ty == _F64:
        v.d = d
        return True
    v.f = <float>d
    return not (isinf(v.f) and not isinf(d))


cdef inline cnp.ndarray _empty_like(cnp.ndarray a):
    return cnp.PyArray_EMPTY(cnp.PyArray_NDIM(a), cnp.PyArray_DIMS(a), cnp.PyArray_TYPE(a), 0)


cdef inline bint _same_shape(cnp.ndarray a, cnp.ndarray b):
    cdef int nd = cnp.PyArray_NDIM(a)
    return (nd == cnp.PyArray_NDIM(b)
            and memcmp(cnp.PyArray_DIMS(a), cnp.PyArray_DIMS(b), nd * sizeof(cnp.npy_intp)) == 0)


cdef inline bint _point_at(cnp.ndarray arr, int ty, object b, char **arg, cnp.npy_intp *step,
                           Scalar *scalar):
    """Set a loop argument to ``b``, the operand that goes with array ``arr``
    (of fast-path slot ``ty``): a fast array of ``arr``'s dtype and shape,
    or a scalar (stored in ``*scalar``, stride 0). False when ``b`` is
    neither."""
    cdef int tb = _fast_array(b, _SMALL)
    if tb >= 0:
        if tb != ty or not _same_shape(arr, <cnp.ndarray>b):
            return False
        arg[0] = cnp.PyArray_BYTES(<cnp.ndarray>b)
        return True
    if _scalar(b, ty, scalar):
        arg[0] = <char *>scalar
        step[0] = 0
        return True
    return False


cdef inline bint _run(Loop *loop, char **args, cnp.npy_intp n, cnp.npy_intp *steps) noexcept:
    """Run ``loop`` over ``n`` elements; False if an IEEE flag numpy's error
    handling looks at is set afterwards (the caller then discards the result
    and calls numpy, which computes and reports it itself).

    The flags are read once, after the loop, not cleared before it: a flag
    left set by earlier code (sticky until cleared) only sends this one call
    to numpy, and is cleared here so the next call is fast again."""
    loop.func(args, &n, steps, loop.data)
    if _fp_raised():
        _fp_clear()
        return False
    return True


cdef object _binary(int k, object a, object b):
    """Run the loop of slot ``k`` on (a, b) into a new array.

    Returns NotImplemented when the fast path does not apply or the loop
    raised a floating-point flag; the caller then calls numpy.
    """
    cdef char *args[3]
    cdef cnp.npy_intp steps[3]
    cdef Scalar sa, sb
    cdef cnp.ndarray arr, res
    cdef int ty = _fast_array(a, _SMALL)
    if ty >= 0:
        arr = <cnp.ndarray>a
        steps[0] = steps[1] = steps[2] = _ITEMSIZE[ty]
        args[0] = cnp.PyArray_BYTES(arr)
        if not _point_at(arr, ty, b, &args[1], &steps[1], &sb):
            return NotImplemented
    else:
        ty = _fast_array(b, _SMALL)
        if ty < 0 or not _scalar(a, ty, &sa):
            return NotImplemented
        arr = <cnp.ndarray>b
        steps[1] = steps[2] = _ITEMSIZE[ty]
        args[0] = <char *>&sa
        steps[0] = 0
        args[1] = cnp.PyArray_BYTES(arr)
    if not _have[ty][k]:
        return NotImplemented
    res = _empty_like(arr)
    args[2] = cnp.PyArray_BYTES(res)
    return res if _run(&_loops[ty][k], args, cnp.PyArray_SIZE(arr), steps) else NotImplemented


cdef object _unary(int k, object a):
    cdef char *args[2]
    cdef cnp.npy_intp steps[2]
    cdef int ty = _fast_array(a, _SMALL)
    if ty < 0 or not _have[ty][k]:
        return NotImplemented
    cdef cnp.ndarray arr = <cnp.ndarray>a
    cdef cnp.ndarray res = _empty_like(arr)
    args[0] = cnp.PyArray_BYTES(arr)
    args[1] = cnp.PyArray_BYTES(res)
    steps[0] = steps[1] = _ITEMSIZE[ty]
    return res if _run(&_loops[ty][k], args, cnp.PyArray_SIZE(arr), steps) else NotImplemented


# --------------------------------------------------------------------------
# the loop table: one slot per ufunc used by the op rules, per dtype
# --------------------------------------------------------------------------

# (the slots are numbered by the enum in _ufuncs.pxd)

cdef Loop _loops[_NTYPES][NLOOPS]
cdef bint _have[_NTYPES][NLOOPS]
cdef list _ufunc_objs = [np.add, np.subtract, np.multiply, np.true_divide, np.maximum,
                         np.minimum, np.negative, np.exp, np.log, np.sqrt, np.tanh]

cdef int _k, _t
for _t in range(_NTYPES):
    for _k in range(NLOOPS):
        _have[_t][_k] = _find_loop(_ufunc_objs[_k], 3 if _k < NEGATIVE else 2,
                                   _TYPENUMS[_t], &_loops[_t][_k])


cdef inline object _call2(int k, object a, object b):
    cdef object r = _binary(k, a, b)
    if r is not NotImplemented:
        return r
    return _ufunc_objs[k](a, b)


cdef inline object _call1(int k, object a):
    cdef object r = _unary(k, a)
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
    """``a + b`` for two same-shape small float64 (or float32) arrays, or
    NotImplemented (the caller then uses numpy, possibly in place). For the
    engine's gradient accumulation."""
    return _binary(ADD, a, b)


# in-place results are staged here first (see fast_inplace)
cdef enum:
    _STAGE = 512


cdef object fast_inplace(int k, object out, object other):
    """``ufunc_k(out, other, out=out)`` for a writeable float64 (or float32)
    array ``out`` and a same-shape array of its dtype or a scalar ``other``;
    else NotImplemented. (The engine's in-place operators, and its in-place
    gradient sums.)

    The result goes to a stage buffer (on the stack up to 512 elements) and
    is copied into ``out`` only when the loop raised no floating-point flag,
    so on NotImplemented nothing has changed and the caller's numpy fallback
    reports any error itself."""
    cdef double stage_small[_STAGE]
    cdef char *stage
    cdef Scalar sb
    cdef char *args[3]
    cdef cnp.npy_intp steps[3]
    cdef cnp.npy_intp n, nbytes
    cdef bint ok
    cdef int ty = _fast_array(out, _SMALL)
    if ty < 0 or not _have[ty][k]:
        return NotImplemented
    cdef cnp.ndarray a = <cnp.ndarray>out
    if not cnp.PyArray_ISWRITEABLE(a):
        return NotImplemented
    steps[0] = steps[1] = steps[2] = _ITEMSIZE[ty]
    args[0] = cnp.PyArray_BYTES(a)
    if not _point_at(a, ty, other, &args[1], &steps[1], &sb):
        return NotImplemented
    n = cnp.PyArray_SIZE(a)
    nbytes = n * _ITEMSIZE[ty]
    if nbytes <= <cnp.npy_intp>sizeof(stage_small):
        stage = <char *>stage_small
    else:
        stage = <char *>PyMem_Malloc(nbytes)
        if stage == NULL:
            raise MemoryError()
    args[2] = stage
    ok = _run(&_loops[ty][k], args, n, steps)
    if ok:
        memcpy(args[0], stage, nbytes)
    if stage != <char *>stage_small:
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


def loops_found(dtype="float64"):
    """Names of the ufuncs whose loop for ``dtype`` (float64 or float32) was
    found (the rest always go through numpy); for tests and diagnostics."""
    cdef int t = _F32 if np.dtype(dtype) == np.float32 else _F64
    return [_ufunc_objs[k].__name__ for k in range(NLOOPS) if _have[t][k]]


# --------------------------------------------------------------------------
# the op path's type-promotion test (dtypes.needs_promotion, in C)
# --------------------------------------------------------------------------

cdef object _TensorCls = None
cdef object _generic = np.generic


def set_tensor_class(cls):
    """autograd_c.Tensor, registered by dtypes once the class exists."""
    global _TensorCls
    _TensorCls = cls


cdef inline bint _float_kind(cnp.dtype d):
    return d.kind == b'f' or d.kind == b'c'


def needs_promotion(tuple args, tuple pos):
    """``dtypes.needs_promotion(args, pos)``: True when an input of ``args``
    at a position in ``pos`` is a tensor of an integer or bool dtype or a
    numpy scalar, or two tensor inputs there have different dtypes."""
    cdef Py_ssize_t n = len(args)
    cdef Py_ssize_t i
    cdef PyObject *first = NULL
    for p in pos:
        i = p
        if i < n and _check_arg(<object>PyTuple_GET_ITEM(args, i), &first):
            return True
    return False


cdef inline int _check_arg(object a, PyObject **first) except -1:
    """``needs_promotion`` for one argument (1: it needs it); ``*first``
    holds the first tensor dtype seen (borrowed)."""
    cdef object t = type(a)
    cdef object x
    cdef cnp.dtype d
    if t is float or t is int or t is bool:
        return 0
    if isinstance(a, _TensorCls):
        x = a.data
        if type(x) is _ndarray:
            d = <cnp.dtype><object><PyObject *>cnp.PyArray_DESCR(<cnp.ndarray>x)
        else:
            d = x.dtype
        if not _float_kind(d):
            return 1
        if first[0] == NULL:
            first[0] = <PyObject *>d
            return 0
        return <PyObject *>d != first[0] and d != <object>first[0]
    return 1 if isinstance(a, _generic) else 0


cdef inline bint _plain_float(object x) noexcept:
    return type(x) is _ndarray and _float_kind(
        <cnp.dtype><object><PyObject *>cnp.PyArray_DESCR(<cnp.ndarray>x))


cdef bint promo_data(object x, object y) except -1:
    """For the engine's operator slots: may ``x op y`` (the data of two
    tensors) need PyTorch's promotion? False only when both are float
    ndarrays of one dtype; True sends the call to ``dtypes.promote``,
    which also handles the cases that turn out not to need it."""
    if type(x) is not _ndarray or type(y) is not _ndarray:
        return True
    cdef PyObject *dx = <PyObject *>cnp.PyArray_DESCR(<cnp.ndarray>x)
    if dx != <PyObject *>cnp.PyArray_DESCR(<cnp.ndarray>y):
        return True
    return not _float_kind(<cnp.dtype><object>dx)


cdef bint promo_other(object x, object b) except -1:
    """As ``promo_data`` for a tensor's data ``x`` and an operand ``b`` that
    is not a tensor of the compiled engine: False for a float ``x`` with a
    Python number, or with an operand promotion leaves to numpy."""
    cdef object t = type(b)
    if t is float or t is int or t is bool:
        return not _plain_float(x)
    cdef PyObject *first = NULL
    return _check_arg(b, &first) or not _plain_float(x)

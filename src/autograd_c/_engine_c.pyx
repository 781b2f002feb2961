# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The compiled engine: Cython graph nodes and tensors, C backward scheduler.

Same behaviour as ``engine_python.py`` (read that first: it is the
reference); the op math comes from ``ops.py`` in both. What lives here:

- ``TensorBase``: tensor storage as a C struct (the API is inherited from
  ``autograd_c.Tensor``);
- ``Node``: one recorded op application, as a C struct;
- ``apply``: run an op rule and record a node;
- the callbacks through which ``csrc/scheduler.c`` walks and runs the graph.
"""
cimport cython
from cpython.object cimport PyObject, PyTypeObject
from cpython.ref cimport Py_INCREF, Py_DECREF, Py_REFCNT
from cpython.number cimport PyNumber_Add, PyNumber_InPlaceAdd
from cpython.list cimport PyList_GET_ITEM
from cpython.tuple cimport PyTuple_New, PyTuple_SET_ITEM, PyTuple_GET_ITEM, PyTuple_GET_SIZE

from autograd_c._ufuncs cimport ADD, MULTIPLY, SUBTRACT, TRUE_DIVIDE, fast_add, fast_inplace

import threading
from time import perf_counter

import numpy as np

from autograd_c import _tensor
from autograd_c import ops as _py_ops
# The op rules of ops.py, compiled by Cython from the same source at build
# time (see setup.py). The public API hands us the ops.py Op objects; _TWIN
# maps each to its compiled twin.
from autograd_c import _ops_c as _ops
from autograd_c._graph import (anomaly_check, backward_entry, node_freed_error, output_version_error,
                               traceback_here, version_error, wrap_forward_error)
from autograd_c.grad_mode import nondefault as _nondefault_list
from autograd_c.grad_mode import state as _gm
from autograd_c.hooks import active as _hooks_active_list
from autograd_c.hooks import run_post_accumulate_grad_hooks as _run_post_hooks

name = "c"


cdef extern from "Python.h":
    ctypedef struct PyTupleObject:
        PyObject *ob_item[1]
    object PyObject_Vectorcall(object func, PyObject **args, size_t nargsf, PyObject *kwnames)


cdef extern from "scheduler.h":
    ctypedef struct ag_graph_ops:
        PyTypeObject *node_type
        PyObject *(*edges)(PyObject *node) noexcept
        int (*prepare)(PyObject *node) except -1
        PyObject *(*apply)(PyObject *node, PyObject *grad) except NULL
        void (*release)(PyObject *node) noexcept
        PyObject *(*add)(PyObject *acc, PyObject *g, int inplace) except NULL
        int (*commit)(PyObject *leaf, PyObject *grad, int owned) except -1
    int ag_backward(const ag_graph_ops *ops, PyObject *root, PyObject *grad,
                    int retain_graph) except -1


# --------------------------------------------------------------------------
# storage
# --------------------------------------------------------------------------

@cython.final
@cython.no_gc
cdef class OpInfo:
    """An op rule's fields, read once into C (see ``_op_info``)."""
    cdef readonly object op
    cdef object forward
    cdef object backward
    cdef unsigned long long saves_mask


@cython.final
@cython.no_gc
@cython.freelist(64)
cdef class Node:
    """One recorded op application (see ``engine_python.Node``).

    Not tracked by the cycle collector: a node only points "down" the graph
    (to its inputs' nodes, leaf tensors and its op's saved arrays), so
    reference counting alone frees it; this keeps the collector from walking
    million-node graphs during the forward pass. Freeing a long chain does
    not recurse either: see ``__dealloc__``.
    """
    cdef OpInfo info
    cdef object ctx
    cdef tuple edges
    cdef tuple needs      # shared, prebuilt tuples (see _needs_tuple)
    cdef tuple saved      # flat: (tensor, version, tensor, version, ...)
    cdef object out_mod
    cdef bint freed
    cdef readonly object trace
    cdef object __weakref__

    @property
    def op(self):
        return None if self.info is None else self.info.op

    @property
    def name(self):
        return None if self.info is None else self.info.op.name

    def output_modified(self, tensor):
        self.out_mod = (tuple(tensor.shape), tensor.dtype, tensor._version)

    def __repr__(self):
        return f"<Node {self.name}>"

    def __cinit__(self):
        global _live_nodes
        _live_nodes += 1

    def __dealloc__(self):
        global _live_nodes
        _live_nodes -= 1
        # A graph that is dropped without a backward may be a million nodes
        # deep. Instead of letting each node's dealloc free its inputs' nodes
        # (C recursion as deep as the graph), adopt the edges of every input
        # node that is about to die into one list, so each dealloc finds
        # nothing left to free.
        if self.edges is None or PyTuple_GET_SIZE(self.edges) == 0:
            return
        cdef list pending = list(self.edges)
        self.edges = None
        cdef Node child
        while pending:
            obj = pending.pop()
            if type(obj) is Node and Py_REFCNT(obj) == 1:
                child = <Node>obj
                if child.edges is not None:
                    pending.extend(child.edges)
                    child.edges = None
                child = None
            obj = None


@cython.no_gc
cdef class TensorBase:
    """Tensor storage of the compiled engine (untracked by the cycle
    collector for the same reason as ``Node``).

    The hot operators are defined here so they reach ``_apply`` without a
    Python frame; the Python-level versions in ``_tensor.Tensor`` do the same
    thing for the pure engine.
    """
    cdef public object data
    cdef public bint _rg
    cdef public Node _node
    cdef public object _grad
    cdef public Py_ssize_t _version
    cdef public object _base
    cdef object __weakref__

    def __add__(self, other):
        return _apply2(_OP_ADD, self, other)

    def __radd__(self, other):
        return _apply2(_OP_ADD, other, self)

    def __sub__(self, other):
        return _apply2(_OP_SUB, self, other)

    def __rsub__(self, other):
        return _apply2(_OP_SUB, other, self)

    def __mul__(self, other):
        return _apply2(_OP_MUL, self, other)

    def __rmul__(self, other):
        return _apply2(_OP_MUL, other, self)

    def __truediv__(self, other):
        return _apply2(_OP_DIV, self, other)

    def __rtruediv__(self, other):
        return _apply2(_OP_DIV, other, self)

    def __matmul__(self, other):
        return _apply2(_OP_MATMUL, self, other)

    def __rmatmul__(self, other):
        return _apply2(_OP_MATMUL, other, self)

    def __neg__(self):
        return _apply1(_OP_NEG, self, None)

    def tanh(self):
        return _apply1(_OP_TANH, self, None)

    def sum(self, axis=None, keepdims=False):
        if axis is None and keepdims is False:
            return _apply1(_OP_SUM, self, None)
        return _apply1(_OP_SUM, self, {"axis": axis, "keepdims": keepdims})

    def mean(self, axis=None, keepdims=False):
        if axis is None and keepdims is False:
            return _apply1(_OP_MEAN, self, None)
        return _apply1(_OP_MEAN, self, {"axis": axis, "keepdims": keepdims})

    def backward(self, grad=None, retain_graph=False):
        """Accumulate d(self)/d(leaf) * grad into every leaf's ``.grad``."""
        backward(self, grad, retain_graph)

    # In-place operators and .grad: the common case (an update under
    # no_grad, as an optimizer step does) handled here; everything else
    # goes to the Python versions in _tensor.Tensor, which define the
    # behaviour.
    def __iadd__(self, other):
        return _inplace(self, ADD, other, _BaseTensor.__iadd__)

    def __isub__(self, other):
        return _inplace(self, SUBTRACT, other, _BaseTensor.__isub__)

    def __imul__(self, other):
        return _inplace(self, MULTIPLY, other, _BaseTensor.__imul__)

    def __itruediv__(self, other):
        return _inplace(self, TRUE_DIVIDE, other, _BaseTensor.__itruediv__)

    @property
    def grad(self):
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is None:
            self._grad = None
        else:
            _grad_setter(self, value)

    @grad.deleter
    def grad(self):
        raise AttributeError("can't delete attribute 'grad'")

    def relu(self):
        return _apply1(_OP_RELU, self, None)

    def sigmoid(self):
        return _apply1(_OP_SIGMOID, self, None)

    def exp(self):
        return _apply1(_OP_EXP, self, None)


class Tensor(TensorBase, _tensor.Tensor):
    """Tensor of the compiled engine."""
    __slots__ = ()


cdef extern from *:
    """
    /* A Python subclass reaches an inherited C operator slot through a
     * generic slot function that looks the dunder up by name on each call;
     * give Tensor TensorBase's operator slots directly (same methods, same
     * dispatch, one lookup less). */
    static void ag_inherit_number_slots(PyTypeObject *dst, PyTypeObject *src) {
        PyNumberMethods *d = dst->tp_as_number, *s = src->tp_as_number;
        d->nb_add = s->nb_add;
        d->nb_subtract = s->nb_subtract;
        d->nb_multiply = s->nb_multiply;
        d->nb_true_divide = s->nb_true_divide;
        d->nb_matrix_multiply = s->nb_matrix_multiply;
        d->nb_negative = s->nb_negative;
    }

    /* A class statement makes every heap type a garbage-collected one, so
     * each Tensor would carry a GC header and be walked by every collection
     * (a million-op graph keeps a million tensors alive). TensorBase is
     * deliberately untracked (see its docstring), and the Python subclass
     * adds no fields (__slots__ = ()), so it can be untracked too. Must run
     * before the first instance exists. User subclasses of Tensor are heap
     * types of their own and stay tracked. */
    static void ag_untrack_subclass(PyTypeObject *t) {
        t->tp_flags &= ~Py_TPFLAGS_HAVE_GC;
        t->tp_free = PyObject_Free;
        t->tp_traverse = NULL;
        t->tp_clear = NULL;
        PyType_Modified(t);
    }
    """
    void ag_inherit_number_slots(PyTypeObject *dst, PyTypeObject *src)
    void ag_untrack_subclass(PyTypeObject *t)


ag_inherit_number_slots(<PyTypeObject *>Tensor, <PyTypeObject *>TensorBase)
ag_untrack_subclass(<PyTypeObject *>Tensor)


# Tensor classes whose in-place operators may take the fast path in
# _inplace, and the methods a subclass must not override to join them
cdef set _FAST_TYPES = {Tensor}
cdef tuple _FAST_PATH_OVERRIDES = ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__",
                              "__truediv__", "__rtruediv__", "__matmul__", "__rmatmul__", "__neg__",
                              "__iadd__", "__isub__", "__imul__", "__itruediv__", "_inplace",
                              "mark_modified")


def _adopt_subclass(cls):
    """For the engine's own classes (``nn.Parameter``'s), called right after
    the class statement, before any instance exists: a Python subclass of
    Tensor that adds no fields and overrides no operator gets what Tensor
    itself gets above (operators as C slots, no GC tracking, the in-place
    fast path). Anything else is returned unchanged."""
    if not (isinstance(cls, type) and issubclass(cls, Tensor)):
        raise TypeError("_adopt_subclass: expected a subclass of the compiled Tensor")
    if cls.__dictoffset__ != 0 or cls.__basicsize__ != Tensor.__basicsize__:
        return cls
    for k in cls.__mro__:
        if k is Tensor:
            break
        if any(d in k.__dict__ for d in _FAST_PATH_OVERRIDES):
            return cls
    ag_inherit_number_slots(<PyTypeObject *>cls, <PyTypeObject *>TensorBase)
    ag_untrack_subclass(<PyTypeObject *>cls)
    _FAST_TYPES.add(cls)
    return cls


cdef object _Tensor = Tensor
cdef PyTypeObject *_TensorType = <PyTypeObject *>Tensor
cdef PyTypeObject *_NodeType = <PyTypeObject *>Node
cdef object _BaseTensor = _tensor.Tensor
cdef tuple _EMPTY = ()
cdef list _nondefault = _nondefault_list
cdef object _ZERO = 0


cdef inline bint _special():
    """Some thread has grad recording off or hooks on (see grad_mode.nondefault):
    only then is the thread-local state worth reading."""
    return PyList_GET_ITEM(_nondefault, 0) != <PyObject *>_ZERO


cdef object _grad_setter = _tensor.Tensor.grad.fset


# numpy's ufuncs for the in-place operators, by _ufuncs slot (ADD, SUBTRACT, ...)
cdef tuple _INPLACE_UFUNCS = (np.add, np.subtract, np.multiply, np.true_divide)


cdef object _inplace(TensorBase self, int k, object other, object general):
    """``self op= other`` when nothing is recorded and no node saw ``self``:
    numpy's loop from C for small float64 arrays, else the numpy ufunc with
    ``out=`` (what ``_tensor.Tensor._inplace`` calls, without its Python
    frame); then the version bump of ``mark_modified``. Errors are left to
    the general version, which words them."""
    cdef TensorBase base = <TensorBase>self._base if self._base is not None else None
    if ((not self._rg or (_special() and not _gm.grad_enabled))
            and self._node is None and (base is None or base._node is None)
            and type(self) in _FAST_TYPES):
        data = self.data
        if isinstance(other, TensorBase):
            od = (<TensorBase>other).data
        elif isinstance(other, _BaseTensor):
            return general(self, other)
        else:
            od = other
        if fast_inplace(k, data, od) is NotImplemented:
            try:
                # positional out=; casting="same_kind" is the ufunc default
                (<object>PyTuple_GET_ITEM(_INPLACE_UFUNCS, k))(data, od, data)
            except FloatingPointError:
                _bump(self, base)      # numpy has written the result
                raise
            except (ValueError, TypeError):
                return general(self, other)
        _bump(self, base)
        return self
    return general(self, other)


cdef inline void _bump(TensorBase self, TensorBase base):
    self._version += 1
    if base is not None:
        base._version += 1


cdef inline TensorBase _new_tensor(object data):
    cdef TensorBase t = <TensorBase>_TensorType.tp_new(_Tensor, <PyObject *>_EMPTY, NULL)
    t.data = data
    return t


# --------------------------------------------------------------------------
# recording
# --------------------------------------------------------------------------

cdef dict _TWIN = {_py_ops.REGISTRY[k]: _ops.REGISTRY[k] for k in _py_ops.REGISTRY}


def apply(object op, tuple args, kw):
    """Run ``op`` forward on ``args`` and record a node if any input requires grad."""
    twin = _TWIN.get(op)
    return _apply(op if twin is None else twin, args, kw)


# needs_input_grad tuples are immutable and few: one shared tuple per
# (arity, mask) for arities up to _NEEDS_MAX, built once.
cdef Py_ssize_t _NEEDS_MAX = 4
cdef list _NEEDS = [[tuple(bool(m >> i & 1) for i in range(k)) for m in range(1 << k)]
                    for k in range(_NEEDS_MAX + 1)]


cdef inline tuple _needs_tuple(Py_ssize_t n, unsigned long long mask):
    if n <= _NEEDS_MAX:
        return <tuple>(<list>_NEEDS[n])[mask]
    return _needs_tuple_long(n, mask)


cdef tuple _needs_tuple_long(Py_ssize_t n, unsigned long long mask):
    # (a function of its own: the generator's closure would otherwise be
    # allocated on every call of _needs_tuple)
    # inputs past the 64th are reported as needing a gradient: their rule
    # may compute one that is then dropped (an edge of None), never a wrong one
    return tuple(bool(mask >> i & 1) if i < 64 else True for i in range(n))


cdef enum:
    _MAX_SAVED = 16


# The op rules used by TensorBase's operators, bound once.
cdef object _OP_ADD = _ops.add, _OP_SUB = _ops.sub, _OP_MUL = _ops.mul, _OP_DIV = _ops.div
cdef object _OP_MATMUL = _ops.matmul, _OP_NEG = _ops.neg, _OP_TANH = _ops.tanh
cdef object _OP_RELU = _ops.relu, _OP_SIGMOID = _ops.sigmoid, _OP_EXP = _ops.exp
cdef object _OP_SUM = _ops.sum_, _OP_MEAN = _ops.mean

# A small direct-mapped cache from an Op object to its OpInfo. It holds the
# op itself, so an entry can never describe another object at the same
# address. Op objects are not changed once built.
cdef enum:
    _OPCACHE = 64
cdef list _opcache = [None] * _OPCACHE


cdef OpInfo _op_info(object op):
    cdef size_t slot = (<size_t><PyObject *>op >> 4) % _OPCACHE
    cdef object hit = <object>PyList_GET_ITEM(_opcache, slot)
    if hit is not None and (<OpInfo>hit).op is op:
        return <OpInfo>hit
    cdef OpInfo info = OpInfo.__new__(OpInfo)
    info.op = op
    info.forward = op.forward
    info.backward = op.backward
    info.saves_mask = op.saves_mask
    _opcache[slot] = info
    return info


cdef inline object _apply2(object op, object a, object b):
    cdef PyObject *argv[2]
    argv[0] = <PyObject *>a
    argv[1] = <PyObject *>b
    return _apply_v(op, argv, 2, None)


cdef inline object _apply1(object op, object a, object kw):
    cdef PyObject *argv[1]
    argv[0] = <PyObject *>a
    return _apply_v(op, argv, 1, kw)


cdef object _apply(object op, tuple args, object kw):
    return _apply_v(op, (<PyTupleObject *>args).ob_item, PyTuple_GET_SIZE(args), kw)


cdef object _apply_v(object op, PyObject **argv, Py_ssize_t n, object kw):
    """Run ``op`` on the ``n`` arguments at ``argv`` (borrowed) and record a node."""
    cdef Py_ssize_t i, k
    cdef OpInfo info = _op_info(op)
    cdef tuple arrays = PyTuple_New(n)
    cdef tuple edges = None
    cdef tuple saved
    cdef unsigned long long mask = 0
    cdef unsigned long long smask = info.saves_mask
    # saved tensors (borrowed: args or their bases keep them alive) and
    # their versions, collected here and turned into one tuple at the end
    cdef PyObject *owners[_MAX_SAVED]
    cdef Py_ssize_t versions[_MAX_SAVED]
    cdef Py_ssize_t nsaved = 0
    cdef list saved_more = None
    cdef TensorBase t, owner
    cdef object a, x, e
    cdef bint hooks
    for i in range(n):
        a = <object>argv[i]
        if type(a) is _Tensor or isinstance(a, TensorBase):
            t = <TensorBase>a
            x = t.data
            if (smask >> i & 1) if i < 64 else (i in op.saves):
                # a view's version lives on the tensor whose memory it shares
                owner = t if t._base is None else <TensorBase>t._base
                if nsaved < _MAX_SAVED:
                    owners[nsaved] = <PyObject *>owner
                    versions[nsaved] = owner._version
                    nsaved += 1
                else:
                    if saved_more is None:
                        saved_more = []
                    saved_more.append(owner)
                    saved_more.append(owner._version)
            if t._rg:
                if edges is None:
                    edges = PyTuple_New(n)
                    for j in range(n):
                        Py_INCREF(None)
                        PyTuple_SET_ITEM(edges, j, None)
                e = t if t._node is None else t._node
                _tuple_replace(edges, i, e)
                if i < 64:
                    mask |= 1ULL << i
        elif isinstance(a, _BaseTensor):
            raise TypeError(f"{op.name}: cannot mix a tensor of the "
                            f"{type(a)._engine.name!r} engine with the 'c' engine")
        else:
            x = a
        Py_INCREF(x)
        PyTuple_SET_ITEM(arrays, i, x)
    # the saved tuple takes its references now, while every owner is surely
    # alive (the forward below may run Python code that drops a view's base)
    saved = _EMPTY
    if edges is not None and nsaved:
        saved = PyTuple_New(2 * nsaved)
        for k in range(nsaved):
            _tuple_set_new(saved, 2 * k, <object>owners[k])
            _tuple_set_new(saved, 2 * k + 1, versions[k])
        if saved_more is not None:
            saved = saved + tuple(saved_more)
    cdef bint special = _special()
    hooks = special and _gm.hooks
    if hooks:
        prof = _gm.profiler
        if prof is not None:
            t0 = perf_counter()
    try:
        if kw:
            res = info.forward(*arrays, **kw)
        else:
            res = PyObject_Vectorcall(info.forward, (<PyTupleObject *>arrays).ob_item, n, NULL)
    except (ValueError, TypeError, IndexError) as err:
        raise wrap_forward_error(op, arrays, kw, err) from None
    out, ctx = res
    if hooks and prof is not None:
        prof.record(op.name, "forward", perf_counter() - t0)
    t = _new_tensor(out)
    cdef Node node
    if edges is not None and (not special or _gm.grad_enabled):
        node = <Node>_NodeType.tp_new(Node, <PyObject *>_EMPTY, NULL)
        node.info = info
        node.ctx = ctx
        node.edges = edges
        node.needs = _needs_tuple(n, mask)
        node.saved = saved
        if _live_nodes > _UNTRACK_ABOVE:
            # a large graph: its nodes hold these tuples for as long as it
            # lives (a million of them for a million-op graph), and every full
            # collection would walk them all. Take them out of the collector's
            # lists now when nothing in them can be part of a cycle. (Small
            # graphs skip this: untracking costs more than they ever would.)
            _untrack_atomic(edges)
            _untrack_atomic(saved)
            _untrack_atomic(ctx)
        if hooks and _gm.anomaly:
            node.trace = traceback_here()
        t._rg = True
        t._node = node
    return t


cdef extern from *:
    """
    /* Untrack a tuple none of whose items is tracked (nested tuples first):
     * CPython's own rule for tuples, applied now instead of at the next
     * collection. Items of non-GC types (arrays, numbers, None, Node,
     * Tensor) are passed over with a flag test; any other GC object keeps
     * the tuple tracked. 1 when o ends up untracked. */
    static int ag_untrack_atomic(PyObject *o) {
        if (!PyType_IS_GC(Py_TYPE(o)) || !PyObject_GC_IsTracked(o))
            return 1;
        if (!PyTuple_CheckExact(o))
            return 0;
        for (Py_ssize_t i = 0, n = PyTuple_GET_SIZE(o); i < n; i++) {
            PyObject *it = PyTuple_GET_ITEM(o, i);
            /* like CPython: any GC object but an untracked (or untrackable)
             * tuple may later join a cycle, tracked or not right now */
            if (PyType_IS_GC(Py_TYPE(it))
                    && !(PyTuple_CheckExact(it) && ag_untrack_atomic(it)))
                return 0;
        }
        PyObject_GC_UnTrack(o);
        return 1;
    }
    """
    int ag_untrack_atomic(PyObject *o)


# nodes alive in this process, and the graph size above which new nodes'
# tuples are untracked (see _apply_v)
cdef Py_ssize_t _live_nodes = 0
cdef Py_ssize_t _UNTRACK_ABOVE = 10000


cdef inline void _untrack_atomic(object obj):
    ag_untrack_atomic(<PyObject *>obj)


cdef inline void _tuple_set_new(tuple tup, Py_ssize_t i, object value):
    """Fill item i of a tuple we just created (still NULL)."""
    Py_INCREF(value)
    PyTuple_SET_ITEM(tup, i, value)


cdef inline void _tuple_replace(tuple tup, Py_ssize_t i, object value):
    """Set item i of a tuple we just created and own alone."""
    cdef PyObject *old = PyTuple_GET_ITEM(tup, i)
    Py_INCREF(value)
    PyTuple_SET_ITEM(tup, i, value)
    Py_DECREF(<object>old)


# --------------------------------------------------------------------------
# scheduler callbacks (see csrc/scheduler.h)
# --------------------------------------------------------------------------

cdef PyObject *_cb_edges(PyObject *node) noexcept:
    return <PyObject *>(<Node>node).edges


cdef int _cb_prepare(PyObject *p) except -1:
    cdef Node node = <Node>p
    if node.freed:
        raise node_freed_error(node)
    cdef tuple saved = node.saved
    cdef Py_ssize_t k
    for k in range(0, PyTuple_GET_SIZE(saved), 2):
        tensor = saved[k]
        if (<TensorBase>tensor)._version != saved[k + 1]:
            raise version_error(node, tensor, saved[k + 1])
    if node.out_mod is not None:
        raise output_version_error(node, node.out_mod)
    return 0


cdef PyObject *_cb_apply(PyObject *p, PyObject *g) except NULL:
    cdef Node node = <Node>p
    if not _special() or not _gm.hooks:
        grads = node.info.backward(node.ctx, <object>g, node.needs)
    else:
        prof = _gm.profiler
        t0 = perf_counter()
        grads = node.info.backward(node.ctx, <object>g, node.needs)
        if prof is not None:
            prof.record(node.info.op.name, "backward", perf_counter() - t0)
        if _gm.anomaly:
            anomaly_check(node, grads)
    Py_INCREF(grads)            # the scheduler receives a new reference
    return <PyObject *>grads


cdef void _cb_release(PyObject *p) noexcept:
    cdef Node node = <Node>p
    node.ctx = None
    node.saved = ()
    node.edges = ()
    node.freed = True


cdef PyObject *_cb_add(PyObject *acc, PyObject *g, int inplace) except NULL:
    r = fast_inplace(ADD, <object>acc, <object>g) if inplace else fast_add(<object>acc, <object>g)
    if r is NotImplemented:
        r = PyNumber_InPlaceAdd(<object>acc, <object>g) if inplace else PyNumber_Add(<object>acc, <object>g)
    Py_INCREF(r)                # the scheduler receives a new reference
    return <PyObject *>r


# Leaves (parameters) may be shared by backward passes running in several
# threads (numpy can release the GIL inside an addition): .grad's
# read-add-write is done under this lock. The scheduler itself has no shared state.
cdef object _commit_lock = threading.Lock()


cdef int _cb_commit(PyObject *leaf, PyObject *g, int owned) except -1:
    with _commit_lock:
        _commit_locked(<TensorBase>leaf, <object>g, owned)
    if _collecting:
        _note_committed(<object>leaf)
    return 0


# Post-accumulate-grad hooks (autograd_c.hooks). Only while some backward pass
# that found hooks registered is running is _collecting non-zero; such a pass
# collects, in a thread-local list, the leaves committed by this thread, and
# runs their hooks once ag_backward has returned (outside the commit lock).
cdef Py_ssize_t _collecting = 0
cdef list _hooks_active = _hooks_active_list     # [number of hooks registered]
_hook_tls = threading.local()


cdef void _note_committed(object leaf) except *:
    pending = getattr(_hook_tls, "pending", None)
    if pending is not None:
        (<list>pending).append(leaf)


cdef _backward_with_hooks(object tensor, object root, object g, bint retain_graph):
    global _collecting
    prev = getattr(_hook_tls, "pending", None)
    cdef list pending = []
    _hook_tls.pending = pending
    _collecting += 1
    try:
        if root is None:
            _cb_commit(<PyObject *>tensor, <PyObject *>g, 0)
        else:
            ag_backward(&OPS, <PyObject *>root, <PyObject *>g, retain_graph)
    finally:
        _collecting -= 1
        _hook_tls.pending = prev
    _run_post_hooks(pending)


cdef int _commit_locked(TensorBase t, object grad, int owned) except -1:
    dtype = t.data.dtype
    if t._grad is None:
        # keep an array only the scheduler refers to and that owns its memory
        # (not a view of anything); copy anything else, so .grad never aliases
        if owned and type(grad) is np.ndarray and grad.base is None and grad.dtype == dtype:
            t._grad = _new_tensor(grad)
        else:
            t._grad = _new_tensor(np.array(grad, dtype=dtype, copy=True))
    else:
        old = (<TensorBase>t._grad).data
        new = fast_add(old, grad) if old.dtype == dtype else NotImplemented
        if new is NotImplemented:
            new = np.asarray(old + grad, dtype=dtype)
        t._grad = _new_tensor(new)
    return 0


cdef ag_graph_ops OPS
OPS.node_type = <PyTypeObject *>Node
OPS.edges = _cb_edges
OPS.prepare = _cb_prepare
OPS.apply = _cb_apply
OPS.release = _cb_release
OPS.add = _cb_add
OPS.commit = _cb_commit


def backward(tensor, grad, retain_graph=False):
    root, g = backward_entry(tensor, grad, Tensor)
    if PyList_GET_ITEM(_hooks_active, 0) != <PyObject *>_ZERO:
        _backward_with_hooks(tensor, root, g, bool(retain_graph))
    elif root is None:
        _cb_commit(<PyObject *>tensor, <PyObject *>g, 0)
    else:
        ag_backward(&OPS, <PyObject *>root, <PyObject *>g, bool(retain_graph))


import sys as _sys
Tensor._engine = _sys.modules[__name__]

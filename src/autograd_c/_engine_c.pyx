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
from cpython.ref cimport Py_INCREF, Py_DECREF, Py_XDECREF, Py_REFCNT
from cpython.number cimport PyNumber_Add, PyNumber_InPlaceAdd
from cpython.list cimport PyList_GET_ITEM
from cpython.tuple cimport PyTuple_New, PyTuple_SET_ITEM, PyTuple_GET_ITEM, PyTuple_GET_SIZE

from autograd_c._ufuncs cimport ADD, MULTIPLY, SUBTRACT, TRUE_DIVIDE, fast_add, fast_inplace

import os as _os
import threading
from time import perf_counter

import numpy as np

from autograd_c import _tensor
from autograd_c import ops as _py_ops
# The op rules of ops/, compiled by Cython from the same sources at build
# time (see setup.py; it refuses to load when a source changed since). The
# public API hands us the ops/ Op objects; _op_info pairs each with its
# compiled rule.
from autograd_c import _ops_c
from autograd_c._graph import NodeName as _NodeName, next_functions as _next_functions
from autograd_c._graph import (_swap_items, anomaly_check, lift, op_title, backward_entry, node_freed_error, output_version_error,
                               traceback_here, version_error, wrap_forward_error)
from autograd_c.grad_mode import nondefault as _nondefault_list
from autograd_c.grad_mode import state as _gm
from autograd_c.grad_mode import enable_grad as _enable_grad
from autograd_c.hooks import active as _hooks_active_list
from autograd_c.hooks import run_post_accumulate_grad_hooks as _run_post_hooks
from autograd_c.hooks import grad_active as _grad_hooks_list
from autograd_c.hooks import run_grad_hooks as _run_grad_hooks

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
    cdef unsigned long long saves_for[64]    # per input: whose gradients read it
    cdef bint saves_output
    cdef bint keeps_nothing
    cdef bint custom          # a custom Function's op (no compiled twin)


@cython.final
cdef class Node:
    """One recorded op application (see ``engine_python.Node``).

    Not tracked by the cycle collector as a rule: a node of the op table only
    points "down" the graph (to its inputs' nodes, leaf tensors and its op's
    saved arrays), so reference counting alone frees it; this keeps the
    collector from walking million-node graphs. Node and TensorBase are GC
    types allocated untracked (``ag_untracked_alloc``); a node and its output
    are tracked only when they may be part of a reference cycle: a custom
    Function's node whose ctx is a GC object (``ctx.owner = o; o.out =
    F.apply(x, o)``), or a node with such a tensor (or a tracked user
    subclass instance) among its inputs (see ``_apply_v``). Freeing a long
    chain does not recurse either: see ``__dealloc__``.
    """
    cdef OpInfo info
    cdef object ctx
    cdef readonly tuple edges   # where each input's gradient goes (see engine_python.Node)
    cdef tuple needs      # shared, prebuilt tuples (see _needs_tuple)
    cdef tuple saved      # flat: (tensor, version, ...): each saved input and the
                          # version of the memory it shares (its own or its base's)
    cdef object out       # the output array, when the rule saves it (create_graph)
    cdef object out_mod
    cdef bint freed
    cdef readonly object trace
    cdef public object _hooks     # hooks registered on its output (autograd_c.hooks), or None
    cdef object __weakref__

    @property
    def op(self):
        return None if self.info is None else self.info.op

    @property
    def name(self):
        return None if self.info is None else _NodeName(self.info.op.name)

    @property
    def next_functions(self):
        return _next_functions(self)

    def output_modified(self, tensor):
        self.out_mod = (tuple(tensor.shape), tensor.dtype, tensor._version)

    def __repr__(self):
        return f"<Node {self.name}>"

    def __cinit__(self):
        global _live_nodes
        _live_nodes += 1

    def __dealloc__(self):
        global _live_nodes, _dealloc_depth
        _live_nodes -= 1
        # A graph that is dropped without a backward may be a million nodes
        # deep. Instead of letting each node's dealloc free its inputs' nodes
        # (C recursion as deep as the graph), adopt the edges of every input
        # node that is about to die into one list, so each dealloc finds
        # nothing left to free. When no edge would free anything further
        # (the common case: released nodes, leaves without .grad), the edges
        # tuple is simply dropped with the node, without the list. A shallow
        # free (the graph of a small step, whose add/sum nodes keep their
        # edges after backward, as in PyTorch) recurses: cheaper than the
        # list, and bounded by _DEALLOC_RECURSE.
        if self.edges is None:
            return
        cdef PyObject *edges = <PyObject *>self.edges       # borrowed
        if _refcnt(edges) > 1:      # someone else holds them: nothing dies here
            return
        if _dealloc_depth < _DEALLOC_RECURSE:
            _dealloc_depth += 1
            self.edges = None       # the inputs' nodes that die go here, recursively
            _dealloc_depth -= 1
            return
        cdef Py_ssize_t i
        for i in range(PyTuple_GET_SIZE(self.edges)):
            if _would_cascade(PyTuple_GET_ITEM(self.edges, i)):
                break
        else:
            return
        cdef list pending = list(self.edges)
        self.edges = None
        _free_iteratively(pending)


cdef extern from *:
    """
    #define ag_gc_tracked(o) PyObject_GC_IsTracked(o)
    #define ag_gc_track(o) PyObject_GC_Track(o)
    #define ag_is_gc(o) PyObject_IS_GC(o)
    #define ag_refcnt(o) Py_REFCNT(o)
    #define ag_type(o) Py_TYPE(o)
    """
    Py_ssize_t _refcnt "ag_refcnt"(PyObject *o) noexcept nogil
    PyTypeObject *_type "ag_type"(PyObject *o) noexcept nogil
    bint _is_tensor_type "PyObject_TypeCheck"(PyObject *o, PyTypeObject *t) noexcept
    bint _gc_tracked "ag_gc_tracked"(PyObject *o) noexcept
    void _gc_track "ag_gc_track"(PyObject *o) noexcept
    bint _is_gc "ag_is_gc"(PyObject *o) noexcept


def gc_track(obj):
    """Make ``obj`` (a tensor or node of this engine, allocated untracked)
    visible to the cycle collector: ``autograd_c.hooks`` stores hooks on the
    object, and a hook's closure may refer back to it. Ops on a tracked
    tensor record tracked nodes and outputs (see ``_apply_v``)."""
    if not isinstance(obj, (TensorBase, Node)):
        raise TypeError(f"gc_track: expected a tensor or node of the 'c' engine, got "
                        f"{type(obj).__name__}")
    if not _gc_tracked(<PyObject *>obj):
        _gc_track(<PyObject *>obj)
    if isinstance(obj, TensorBase):
        (<TensorBase>obj)._gcvis = True


cdef inline bint _would_cascade(PyObject *p) noexcept:
    """Whether freeing the last reference to ``p`` (an edge, borrowed) would
    free more graph: a node with edges, a tensor with .grad, base or node."""
    if _refcnt(p) != 1:
        return False
    if _type(p) == _NodeType:
        return (<Node>p).edges is not None and PyTuple_GET_SIZE((<Node>p).edges) != 0
    if _is_tensor_type(p, _TensorBaseType):
        return ((<TensorBase>p)._grad is not None or (<TensorBase>p)._base is not None
                or (<TensorBase>p)._node is not None)
    return False


cdef void _free_iteratively(list pending):
    """Drop the objects in ``pending`` without recursing: an object that is
    about to die (only ``pending`` refers to it) first hands what it holds
    (a node's edges; a tensor's .grad, base and node) to ``pending``, so
    its own dealloc frees nothing else. Used by Node and TensorBase."""
    cdef Node child
    cdef TensorBase t
    while pending:
        obj = pending.pop()
        if Py_REFCNT(obj) == 1:
            if type(obj) is Node:
                child = <Node>obj
                if child.edges is not None:
                    pending.extend(child.edges)
                    child.edges = None
                child = None
            elif type(obj) in _FAST_TYPES:      # not a user subclass (its __del__ may look)
                t = <TensorBase>obj
                _take_links(t, pending)
                t = None
        obj = None


cdef inline void _take_links(TensorBase t, list pending):
    if t._grad is not None:
        pending.append(t._grad)
        t._grad = None
    if t._base is not None:
        pending.append(t._base)
        t._base = None
    if t._node is not None:
        pending.append(t._node)
        t._node = None


cdef class TensorBase:
    """Tensor storage of the compiled engine (untracked by the cycle
    collector for the same reason as ``Node``).

    The hot operators are compiled in its subclass ``TensorOps`` (generated
    from the op table), so they reach ``_apply`` without a Python frame; every
    other op method is the generated Python one of ``_tensor.Tensor``.

    Freed through ``ag_tensor_dealloc`` (below): .grad (or _base) chains
    may be a million deep (each .grad a tensor with its own .grad), and are
    freed without C recursion; intermediate results have neither and go
    straight to Cython's own dealloc.
    """
    cdef public object data
    cdef public bint _rg
    cdef bint _gcvis          # tracked by the cycle collector (see Node)
    cdef public Node _node
    cdef public object _grad
    cdef public Py_ssize_t _version
    cdef public object _base
    cdef public object _hooks     # hooks registered on it (autograd_c.hooks), or None
    cdef object __weakref__

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None, *,
                 grad=None):
        """Accumulate d(self)/d(leaf) * gradient into every leaf's ``.grad``
        (see ``autograd_c.Tensor.backward``)."""
        if grad is not None:
            gradient = grad
        if create_graph or inputs is not None:
            _BaseTensor.backward(self, gradient, retain_graph, create_graph, inputs)
        else:
            backward(self, gradient, bool(retain_graph))

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



# The operator dunders of every op whose dunder is a C number slot
# (TensorOps(TensorBase)), generated at build time from the op table by
# autograd_c._surface.engine_operator_block into build/generated/.
include "_engine_ops.pxi"


class Tensor(TensorOps, _tensor.Tensor):
    """Tensor of the compiled engine."""
    __slots__ = ()


cdef extern from "typeslots.h":
    # CPython type-slot code: operator slots, untracked allocation, dealloc
    void ag_inherit_number_slots(PyTypeObject *dst, PyTypeObject *src)
    void ag_untrack_subclass(PyTypeObject *t)
    void ag_fast_dealloc(PyTypeObject *t, PyTypeObject *base)
    void ag_patch_tensor_dealloc(PyTypeObject *t, int (*has)(PyObject *) noexcept,
                                 void (*free_chain)(PyObject *) noexcept)




cdef int _tensor_has_chain(PyObject *o) noexcept:
    return (<TensorBase>o)._grad is not None or (<TensorBase>o)._base is not None


cdef void _tensor_free_chain(PyObject *o) noexcept:
    cdef list pending = []
    _take_links(<TensorBase>o, pending)
    _free_iteratively(pending)


ag_patch_tensor_dealloc(<PyTypeObject *>TensorOps, _tensor_has_chain, _tensor_free_chain)
ag_inherit_number_slots(<PyTypeObject *>Tensor, <PyTypeObject *>TensorOps)
ag_untrack_subclass(<PyTypeObject *>Tensor)
ag_untrack_subclass(<PyTypeObject *>Node)
ag_untrack_subclass(<PyTypeObject *>TensorBase)
ag_untrack_subclass(<PyTypeObject *>TensorOps)
ag_fast_dealloc(<PyTypeObject *>Tensor, <PyTypeObject *>TensorOps)


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
    ag_inherit_number_slots(<PyTypeObject *>cls, <PyTypeObject *>TensorOps)
    ag_untrack_subclass(<PyTypeObject *>cls)
    ag_fast_dealloc(<PyTypeObject *>cls, <PyTypeObject *>TensorOps)
    _FAST_TYPES.add(cls)
    return cls


cdef object _Tensor = Tensor
cdef PyTypeObject *_TensorType = <PyTypeObject *>Tensor
cdef PyTypeObject *_NodeType = <PyTypeObject *>Node
cdef PyTypeObject *_TensorBaseType = <PyTypeObject *>TensorBase
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
    cdef TensorBase base = <TensorBase?>self._base if self._base is not None else None
    if ((not self._rg or (_special() and not _gm._grad_enabled))
            and not (_special() and _gm.hooks)       # profiler, anomaly, forward AD
            and self._node is None and (base is None or base._node is None)
            and type(self) in _FAST_TYPES):
        data = self.data
        if isinstance(other, TensorBase):
            if (<TensorBase>other)._rg and (not _special() or _gm._grad_enabled):
                return general(self, other)
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

# public Op -> the compiled twin's Op (same name, same rule, compiled)
cdef dict _TWIN = {_py_ops.REGISTRY[k]: _ops_c.REGISTRY[k] for k in _py_ops.REGISTRY}


def _twin_calls_public(op, args, kw):
    """An op called from a compiled rule on Tensors (create_graph) records
    as the public op of the same name."""
    from autograd_c._surface import apply_op
    return apply_op(_py_ops.REGISTRY[op.name], args, kw)


_ops_c._registry.set_apply(_twin_calls_public)


def apply(object op, tuple args, kw):
    """Run ``op`` forward on ``args`` and record a node if any input requires grad."""
    return _apply(op, args, kw)


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
    _ARGS_ON_STACK = 8


# A small two-way cache from an Op object to its OpInfo, indexed by a
# Fibonacci hash of the address (Op objects sit at a fixed stride in memory:
# the address bits alone would map many ops to a few slots, and ops used
# together, add and mul, could evict each other on every call). An entry
# holds the op itself, so it can never describe another object at the same
# address. Op objects are not changed once built.
cdef enum:
    _OPCACHE = 256
cdef list _opcache = [None] * _OPCACHE


cdef OpInfo _op_info(object op):
    cdef size_t slot = (((<size_t><PyObject *>op >> 4) * <size_t>0x9E3779B97F4A7C15ULL)
                        >> (8 * sizeof(size_t) - 8)) & (_OPCACHE - 2)
    cdef object hit = <object>PyList_GET_ITEM(_opcache, slot)
    if hit is not None and (<OpInfo>hit).op is op:
        return <OpInfo>hit
    hit = <object>PyList_GET_ITEM(_opcache, slot + 1)
    if hit is not None and (<OpInfo>hit).op is op:
        return <OpInfo>hit
    return _op_info_miss(op, slot)


cdef OpInfo _op_info_miss(object op, size_t slot):
    # a miss (a new op, a custom Function, or a pair evicted): the table's
    # ops keep theirs in _INFOS, built once; custom Functions' ops are not kept
    cdef object known = _INFOS.get(op)
    cdef OpInfo info
    if known is not None:
        info = <OpInfo>known
    else:
        info = _new_op_info(op)
        if op in _TWIN:
            _INFOS[op] = info
    # the first way's entry moves to the second (the older of a pair goes first)
    _opcache[slot + 1] = _opcache[slot]
    _opcache[slot] = info
    return info


cdef dict _INFOS = {}


cdef OpInfo _new_op_info(object op):
    cdef OpInfo info = OpInfo.__new__(OpInfo)
    rule = _TWIN.get(op, op)        # custom Functions have no twin
    info.op = op                    # grad_fn.op: the public op on both engines
    info.forward = rule.forward
    info.backward = rule.backward
    info.saves_mask = op.saves_mask
    info.saves_output = op.saves_output
    info.keeps_nothing = getattr(op, "keeps_nothing", False)
    info.custom = op not in _TWIN
    cdef tuple sf = tuple(getattr(op, "saves_for", ()))
    cdef Py_ssize_t i, nsf = len(sf)
    for i in range(64):
        info.saves_for[i] = sf[i] if i < nsf else 0xFFFFFFFFFFFFFFFFULL
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
    # The rule's arguments (each input's array, or the argument itself), as
    # new references: in a C array on the stack for the common call (a few
    # arguments, no keywords; vectorcall reads them there), else in a tuple.
    cdef PyObject *xs[_ARGS_ON_STACK]
    cdef Py_ssize_t filled = 0
    cdef Py_ssize_t k
    if n <= _ARGS_ON_STACK and not kw:
        try:
            return _apply_xs(op, argv, n, None, xs, None, &filled)
        finally:
            for k in range(filled):
                Py_XDECREF(xs[k])
    arrays = PyTuple_New(n)
    return _apply_xs(op, argv, n, kw, (<PyTupleObject *>arrays).ob_item, arrays, &filled)


cdef tuple _tuple_of(PyObject **xs, Py_ssize_t n):
    cdef tuple t = PyTuple_New(n)
    cdef Py_ssize_t k
    for k in range(n):
        _tuple_set_new(t, k, <object>xs[k])
    return t


cdef object _apply_xs(object op, PyObject **argv, Py_ssize_t n, object kw, PyObject **xs,
                      tuple arrays, Py_ssize_t *filled):
    """``_apply_v``'s work: ``xs`` receives the rule's arguments (``arrays``'
    items when it is a tuple; else ``filled`` counts those set)."""
    cdef Py_ssize_t i, k
    cdef OpInfo info = _op_info(op)
    cdef tuple edges = None
    cdef tuple saved
    cdef unsigned long long mask = 0
    cdef unsigned long long smask = info.saves_mask
    # saved tensors (borrowed: args or their bases keep them alive) and
    # their versions, collected here and turned into one tuple at the end
    cdef PyObject *owners[_MAX_SAVED]
    cdef Py_ssize_t versions[_MAX_SAVED]
    cdef unsigned long long wanted[_MAX_SAVED]
    cdef Py_ssize_t nsaved = 0
    cdef list saved_more = None
    cdef TensorBase t, owner
    cdef object a, x, e
    cdef bint hooks
    cdef bint vis = False       # an input is tracked by the cycle collector (see Node)
    cdef bint is_saved
    for i in range(n):
        a = <object>argv[i]
        if type(a) is _Tensor or isinstance(a, TensorBase):
            t = <TensorBase>a
            x = t.data
            if t._gcvis or (type(a) is not _Tensor and _gc_tracked(<PyObject *>a)):
                vis = True
            if i < 64:
                is_saved = smask >> i & 1
            else:
                is_saved = i in op.saves
            if is_saved:
                # a view's version lives on the tensor whose memory it shares
                owner = t if t._base is None else <TensorBase?>t._base
                if nsaved < _MAX_SAVED:
                    owners[nsaved] = <PyObject *>t
                    versions[nsaved] = owner._version
                    wanted[nsaved] = info.saves_for[i] if i < 64 else 0xFFFFFFFFFFFFFFFFULL
                    nsaved += 1
                else:
                    if saved_more is None:
                        saved_more = []
                    saved_more.append(t)
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
            raise TypeError(f"{op_title(op)}: cannot mix a tensor of the "
                            f"{type(a)._engine.name!r} engine with the 'c' engine")
        else:
            x = a
        Py_INCREF(x)
        xs[i] = <PyObject *>x
        filled[0] = i + 1
    # the saved tuple takes its references now, while every owner is surely
    # alive (the forward below may run Python code that drops a view's base)
    saved = _EMPTY
    cdef Py_ssize_t nkeep = 0
    if edges is not None and nsaved:
        # keep (and version-check) only what the wanted gradients read
        for k in range(nsaved):
            if wanted[k] & mask:
                owners[nkeep] = owners[k]
                versions[nkeep] = versions[k]
                nkeep += 1
        nsaved = nkeep
    if edges is not None and (nsaved or saved_more is not None):
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
            res = PyObject_Vectorcall(info.forward, xs, n, NULL)
    except (ValueError, TypeError, IndexError) as err:
        raise wrap_forward_error(op, arrays if arrays is not None else _tuple_of(xs, n),
                                 kw, err) from None
    out, ctx = res
    if hooks and prof is not None:
        prof.record(op.name, "forward", perf_counter() - t0)
    t = _new_tensor(out)
    cdef Node node
    if edges is not None and (not special or _gm._grad_enabled):
        node = <Node>_NodeType.tp_new(Node, <PyObject *>_EMPTY, NULL)
        node.info = info
        node.ctx = ctx
        node.edges = edges
        node.needs = _needs_tuple(n, mask)
        node.saved = saved
        if info.saves_output:
            node.out = out
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
        if vis or (info.custom and _is_gc(<PyObject *>ctx)):
            # may be part of a reference cycle (see Node): visible to the collector
            _gc_track(<PyObject *>node)
            _gc_track(<PyObject *>t)
            t._gcvis = True
    if hooks and _gm.fwd_ad is not None:
        _gm.fwd_ad(op, tuple([<object>argv[k] for k in range(n)]), kw, t)
    return t


cdef extern from *:
    """
    /* Untrack a tuple none of whose items is tracked (nested tuples first):
     * CPython's own rule for tuples, applied now instead of at the next
     * collection. Items of non-GC types (arrays, numbers, None, Node,
     * Tensor) are passed over with a flag test; any other GC object keeps
     * the tuple tracked. 1 when o ends up untracked. */
    static PyTypeObject *ag_node_type, *ag_tensor_type;
    static int ag_untrack_atomic(PyObject *o) {
        if (!PyType_IS_GC(Py_TYPE(o)) || !PyObject_GC_IsTracked(o))
            return 1;
        if (!PyTuple_CheckExact(o))
            return 0;
        for (Py_ssize_t i = 0, n = PyTuple_GET_SIZE(o); i < n; i++) {
            PyObject *it = PyTuple_GET_ITEM(o, i);
            /* like CPython: any GC object but an untracked (or untrackable)
             * tuple may later join a cycle, tracked or not right now; our
             * nodes and tensors are tracked at birth or never (see Node) */
            if (PyType_IS_GC(Py_TYPE(it))
                    && !(PyTuple_CheckExact(it) && ag_untrack_atomic(it))
                    && !((Py_TYPE(it) == ag_node_type || PyObject_TypeCheck(it, ag_tensor_type))
                         && !PyObject_GC_IsTracked(it)))
                return 0;
        }
        PyObject_GC_UnTrack(o);
        return 1;
    }
    """
    int ag_untrack_atomic(PyObject *o)
    PyTypeObject *ag_node_type
    PyTypeObject *ag_tensor_type


ag_node_type = <PyTypeObject *>Node
ag_tensor_type = <PyTypeObject *>TensorBase


# nodes alive in this process, and the graph size above which new nodes'
# tuples are untracked (see _apply_v)
cdef Py_ssize_t _live_nodes = 0
cdef Py_ssize_t _UNTRACK_ABOVE = 10000
# nodes being freed by recursion (Node.__dealloc__), and the depth above
# which a node's inputs are freed iteratively instead
cdef Py_ssize_t _dealloc_depth = 0
cdef Py_ssize_t _DEALLOC_RECURSE = 64


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
    if node.info is None or node.edges is None or node.saved is None or node.needs is None:
        # a Node() made from Python, never filled by _apply_v
        raise RuntimeError("backward(): the graph contains a node that was not recorded "
                           "by an op (an empty Node); cannot differentiate through it")
    if node.freed:
        raise node_freed_error(node)
    cdef tuple saved = node.saved
    cdef Py_ssize_t k
    cdef TensorBase owner
    for k in range(0, PyTuple_GET_SIZE(saved), 2):
        owner = <TensorBase>saved[k]
        if owner._base is not None:
            owner = <TensorBase>owner._base
        if owner._version != saved[k + 1]:
            raise version_error(node, owner, saved[k + 1])
    if node.out_mod is not None:
        raise output_version_error(node, node.out_mod)
    return 0


# Tensor.register_hook / retain_grad (autograd_c.hooks): [number registered]
cdef list _grad_hooks = _grad_hooks_list


cdef inline bint _any_grad_hooks():
    return PyList_GET_ITEM(_grad_hooks, 0) != <PyObject *>_ZERO


cdef object _wrap_grad(object g):
    return _new_tensor(g)


cdef PyObject *_cb_apply(PyObject *p, PyObject *g) except NULL:
    cdef Node node = <Node>p
    if _any_grad_hooks() or _special():
        grads = _vjp(node, _run_grad_hooks(<object>p, <object>g, _wrap_grad)
                     if _any_grad_hooks() else <object>g)
    else:
        # (the common case of _vjp, written out: gcc would not inline it)
        ctx = node.ctx
        if node.freed:
            raise node_freed_error(node)
        grads = node.info.backward(ctx, <object>g, node.needs)
    Py_INCREF(grads)            # the scheduler receives a new reference
    return <PyObject *>grads


cdef inline object _vjp(Node node, object grad):
    """Run the node's VJP on ``grad`` (the scheduler's summed buffer)."""
    # the scheduler read the edges before this call; a pass in another thread
    # may have released the node since (release sets freed first)
    ctx = node.ctx
    if node.freed:
        raise node_freed_error(node)
    if not _special() or not _gm.hooks:
        grads = node.info.backward(ctx, grad, node.needs)
    else:
        prof = _gm.profiler
        t0 = perf_counter()
        grads = node.info.backward(ctx, grad, node.needs)
        if prof is not None:
            prof.record(node.info.op.name, "backward", perf_counter() - t0)
        if _gm.anomaly:
            anomaly_check(node, grads)
    return grads


cdef PyObject *_cb_apply_graph(PyObject *p, PyObject *g) except NULL:
    """``create_graph``: the VJP run on Tensors, recorded (see _graph.lift)."""
    grad = <object>g
    if _any_grad_hooks():
        grad = _run_grad_hooks(<object>p, grad, _wrap_grad)
    grads = _vjp_graph(<Node>p, grad)
    Py_INCREF(grads)
    return <PyObject *>grads


cdef object _vjp_graph(Node node, object grad):
    out_t = None
    if node.out is not None:
        out_t = _new_tensor(node.out)
        (<TensorBase>out_t)._rg = True
        (<TensorBase>out_t)._node = node
    lifted = lift(node.ctx, node.saved[::2], node.out, out_t)
    with _enable_grad():
        grads = node.info.backward(lifted, grad, node.needs)
    if _special() and _gm.hooks and _gm.anomaly:
        anomaly_check(node, [getattr(x, "data", x) for x in grads])
    return grads


cdef PyObject *_cb_add_graph(PyObject *acc, PyObject *g, int inplace) except NULL:
    r = PyNumber_Add(<object>acc, <object>g)       # recorded; never in place
    Py_INCREF(r)
    return <PyObject *>r


cdef int _cb_commit_graph(PyObject *leaf, PyObject *g, int owned) except -1:
    cdef TensorBase t = <TensorBase>leaf
    cdef object grad = <object>g
    if _any_grad_hooks():
        grad = _run_grad_hooks(t, grad, _wrap_grad)
    with _commit_lock:
        t._grad = grad if t._grad is None else t._grad + grad
    if _collecting:
        _note_committed(<object>leaf)
    return 0


cdef void _cb_release(PyObject *p) noexcept:
    cdef Node node = <Node>p
    if node.info is not None and node.info.keeps_nothing:
        return                  # nothing saved to free: it can run again (as PyTorch)
    node.freed = True           # first: dropping ctx may run Python code (another thread)
    node.ctx = None
    node.out = None
    node.saved = ()
    node.edges = ()
    node.freed = True


cdef PyObject *_cb_add(PyObject *acc, PyObject *g, int inplace) except NULL:
    r = fast_inplace(ADD, <object>acc, <object>g) if inplace else fast_add(<object>acc, <object>g)
    if r is NotImplemented:
        # in place only when numpy would not promote: a float32 buffer must
        # not round a float64 gradient into itself (the python engine's
        # acc + g promotes, and both engines cast once, at commit)
        if inplace and _same_dtype(<object>acc, <object>g):
            r = PyNumber_InPlaceAdd(<object>acc, <object>g)
        else:
            r = PyNumber_Add(<object>acc, <object>g)
    Py_INCREF(r)                # the scheduler receives a new reference
    return <PyObject *>r


cdef inline bint _same_dtype(object acc, object g):
    gd = getattr(g, "dtype", None)
    return gd is None or gd == acc.dtype


# Leaves (parameters) may be shared by backward passes running in several
# threads (numpy can release the GIL inside an addition): .grad's
# read-add-write is done under this lock. The scheduler itself has no shared state.
cdef object _commit_lock = threading.Lock()


def _after_fork_in_child():
    # another thread may have held the lock at fork time; it does not exist
    # in the child, so nobody would ever release it
    global _commit_lock
    _commit_lock = threading.Lock()


if hasattr(_os, "register_at_fork"):
    _os.register_at_fork(after_in_child=_after_fork_in_child)


cdef int _cb_commit(PyObject *leaf, PyObject *g, int owned) except -1:
    cdef object grad = <object>g
    if _any_grad_hooks():
        grad = _run_grad_hooks(<object>leaf, grad, _wrap_grad)
        owned = owned and grad is <object>g
    with _commit_lock:
        _commit_locked(<TensorBase>leaf, grad, owned)
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


cdef _backward_with_hooks(object tensor, object root, object g, bint retain_graph,
                          const ag_graph_ops *ops):
    global _collecting
    prev = getattr(_hook_tls, "pending", None)
    cdef list pending = []
    _hook_tls.pending = pending
    _collecting += 1
    try:
        if root is None:
            ops.commit(<PyObject *>tensor, <PyObject *>g, 0)
        else:
            ag_backward(ops, <PyObject *>root, <PyObject *>g, retain_graph)
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
        if not isinstance(t._grad, TensorBase):
            raise TypeError(f"backward(): the .grad of a leaf of shape {tuple(t.data.shape)} "
                            f"is a {type(t._grad).__name__}, not a tensor of the 'c' engine")
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

# create_graph: the same walk; VJPs on Tensors, sums recorded
cdef ag_graph_ops OPS_GRAPH = OPS
OPS_GRAPH.apply = _cb_apply_graph
OPS_GRAPH.add = _cb_add_graph
OPS_GRAPH.commit = _cb_commit_graph


# autograd.grad: the capture in effect on this thread (a stack: a VJP may
# itself call autograd.grad)
_captures = threading.local()


cdef object _capture_top():
    stack = getattr(_captures, "stack", None)
    return stack[len(stack) - 1] if stack else None   # (no wraparound here)


cdef object _hooked_and_captured(PyObject *target, PyObject *g):
    """The gradient reaching ``target`` (a node or a leaf) after its tensor
    hooks, recorded in this thread's capture when it is wanted there."""
    cdef object grad = <object>g
    if _any_grad_hooks():
        grad = _run_grad_hooks(<object>target, grad, _wrap_grad)
    cap = _capture_top()
    if cap.wants(<object>target):
        cap.add(<object>target, grad)
    return grad


cdef PyObject *_cb_apply_capture(PyObject *p, PyObject *g) except NULL:
    grads = _vjp(<Node>p, _hooked_and_captured(p, g))
    Py_INCREF(grads)
    return <PyObject *>grads


cdef PyObject *_cb_apply_graph_capture(PyObject *p, PyObject *g) except NULL:
    grads = _vjp_graph(<Node>p, _hooked_and_captured(p, g))
    Py_INCREF(grads)
    return <PyObject *>grads


cdef int _cb_commit_capture(PyObject *leaf, PyObject *g, int owned) except -1:
    _hooked_and_captured(leaf, g)
    return 0


cdef ag_graph_ops OPS_CAPTURE = OPS
OPS_CAPTURE.apply = _cb_apply_capture
OPS_CAPTURE.commit = _cb_commit_capture
cdef ag_graph_ops OPS_GRAPH_CAPTURE = OPS_GRAPH
OPS_GRAPH_CAPTURE.apply = _cb_apply_graph_capture
OPS_GRAPH_CAPTURE.commit = _cb_commit_capture


def backward(tensor, grad, retain_graph=False, create_graph=False, capture=None):
    if not isinstance(tensor, TensorBase):
        raise TypeError(f"backward(): expected a tensor of the 'c' engine, got "
                        f"{_engine_of(tensor)}")
    root, g = backward_entry(tensor, grad, Tensor, create_graph)
    if capture is not None:
        if root is None:
            if capture.wants(tensor):
                capture.add(tensor, g)
            return
        stack = getattr(_captures, "stack", None)
        if stack is None:
            stack = _captures.stack = []
        stack.append(capture)
        try:
            ag_backward(&OPS_GRAPH_CAPTURE if create_graph else &OPS_CAPTURE, <PyObject *>root,
                        <PyObject *>g, bool(retain_graph or create_graph))
        finally:
            stack.pop()
        return
    cdef ag_graph_ops *ops = &OPS_GRAPH if create_graph else &OPS
    if PyList_GET_ITEM(_hooks_active, 0) != <PyObject *>_ZERO:
        _backward_with_hooks(tensor, root, g, bool(retain_graph or create_graph), ops)
    elif root is None:
        ops.commit(<PyObject *>tensor, <PyObject *>g, 0)
    else:
        ag_backward(ops, <PyObject *>root, <PyObject *>g, bool(retain_graph or create_graph))


def rebase_saved(Node node, TensorBase tensor, old_copy):
    """See ``engine_python.rebase_saved``."""
    cdef TensorBase t0 = _new_tensor(old_copy)
    t0._rg = tensor._rg
    t0._node = tensor._node
    node.ctx = _swap_items(node.ctx, {id(tensor.data): old_copy})
    saved = list(node.saved)
    for k in range(0, len(saved), 2):
        if saved[k] is tensor:
            saved[k] = t0
            saved[k + 1] = 0
    node.saved = tuple(saved)


def _engine_of(obj):
    eng = getattr(type(obj), "_engine", None)
    if isinstance(obj, _BaseTensor) and eng is not None:
        return f"a tensor of the {eng.name!r} engine"
    return f"a {type(obj).__name__}"


import sys as _sys
Tensor._engine = _sys.modules[__name__]

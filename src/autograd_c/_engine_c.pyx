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
from cpython.ref cimport Py_INCREF

from time import perf_counter

import numpy as np

from autograd_c import _tensor
from autograd_c._graph import (anomaly_check, backward_entry, node_freed_error,
                               traceback_here, version_error, wrap_forward_error)
from autograd_c.grad_mode import state as _gm

name = "c"


cdef extern from "scheduler.h":
    ctypedef struct ag_graph_ops:
        PyTypeObject *node_type
        PyObject *(*edges)(PyObject *node) noexcept
        int (*prepare)(PyObject *node) except -1
        PyObject *(*apply)(PyObject *node, PyObject *grad) except NULL
        void (*release)(PyObject *node) noexcept
        int (*commit)(PyObject *leaf, PyObject *grad) except -1
    int ag_backward(const ag_graph_ops *ops, PyObject *root, PyObject *grad,
                    int retain_graph) except -1


# --------------------------------------------------------------------------
# storage
# --------------------------------------------------------------------------

@cython.trashcan(True)
@cython.final
cdef class Node:
    """One recorded op application (see ``engine_python.Node``)."""
    cdef readonly object op
    cdef object ctx
    cdef tuple edges
    cdef tuple needs
    cdef tuple saved
    cdef bint out_ok
    cdef bint freed
    cdef object trace
    cdef object __weakref__

    @property
    def name(self):
        return self.op.name

    def output_modified(self):
        self.out_ok = False

    def __repr__(self):
        return f"<Node {self.op.name}>"


@cython.trashcan(True)
cdef class TensorBase:
    """Tensor storage of the compiled engine."""
    cdef public object data
    cdef public bint _rg
    cdef public Node _node
    cdef public object _grad
    cdef public Py_ssize_t _version
    cdef object __weakref__


class Tensor(TensorBase, _tensor.Tensor):
    """Tensor of the compiled engine."""
    __slots__ = ()


cdef object _Tensor = Tensor
cdef object _BaseTensor = _tensor.Tensor


cdef inline TensorBase _new_tensor(object data):
    cdef TensorBase t = <TensorBase>_Tensor.__new__(_Tensor)
    t.data = data
    return t


# --------------------------------------------------------------------------
# recording
# --------------------------------------------------------------------------

def apply(object op, tuple args, kw):
    """Run ``op`` forward on ``args`` and record a node if any input requires grad."""
    cdef Py_ssize_t n = len(args), i
    cdef list arrays = [None] * n
    cdef list edges = [None] * n
    cdef list needs = [False] * n
    cdef list saved = None
    cdef bint record = False
    cdef TensorBase t
    cdef tuple saves = op.saves
    for i in range(n):
        a = args[i]
        if isinstance(a, TensorBase):
            t = <TensorBase>a
            arrays[i] = t.data
            if t._rg:
                record = True
                edges[i] = t if t._node is None else t._node
                needs[i] = True
                if saves and i in saves:
                    if saved is None:
                        saved = []
                    saved.append((t, t._version))
        elif isinstance(a, _BaseTensor):
            raise TypeError(f"{op.name}: cannot mix a tensor of the "
                            f"{type(a)._engine.name!r} engine with the 'c' engine")
        else:
            arrays[i] = a
    prof = _gm.profiler
    if prof is not None:
        t0 = perf_counter()
    try:
        if kw:
            out, ctx = op.forward(*arrays, **kw)
        else:
            out, ctx = op.forward(*arrays)
    except (ValueError, TypeError, IndexError) as e:
        raise wrap_forward_error(op, arrays, kw, e) from None
    if prof is not None:
        prof.record(op.name, "forward", perf_counter() - t0)
    t = _new_tensor(out)
    cdef Node node
    if record and _gm.grad_enabled:
        node = Node.__new__(Node)
        node.op = op
        node.ctx = ctx
        node.edges = tuple(edges)
        node.needs = tuple(needs)
        node.saved = tuple(saved) if saved is not None else ()
        node.out_ok = True
        node.trace = traceback_here() if _gm.anomaly else None
        t._rg = True
        t._node = node
    return t


# --------------------------------------------------------------------------
# scheduler callbacks (see csrc/scheduler.h)
# --------------------------------------------------------------------------

cdef PyObject *_cb_edges(PyObject *node) noexcept:
    return <PyObject *>(<Node>node).edges


cdef int _cb_prepare(PyObject *p) except -1:
    cdef Node node = <Node>p
    if node.freed:
        raise node_freed_error(node)
    for tensor, version in node.saved:
        if (<TensorBase>tensor)._version != version:
            raise version_error(node, tensor, version)
    if not node.out_ok:
        raise version_error(node, None, None)
    return 0


cdef PyObject *_cb_apply(PyObject *p, PyObject *g) except NULL:
    cdef Node node = <Node>p
    prof = _gm.profiler
    if prof is not None:
        t0 = perf_counter()
    grads = node.op.backward(node.ctx, <object>g, node.needs)
    if prof is not None:
        prof.record(node.op.name, "backward", perf_counter() - t0)
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


cdef int _cb_commit(PyObject *leaf, PyObject *g) except -1:
    cdef TensorBase t = <TensorBase>leaf
    dtype = t.data.dtype
    if t._grad is None:
        t._grad = _new_leaf(np.array(<object>g, dtype=dtype, copy=True))
    else:
        t._grad = _new_leaf(np.asarray((<TensorBase>t._grad).data + <object>g, dtype=dtype))
    return 0


cdef TensorBase _new_leaf(object data):
    cdef TensorBase t = _new_tensor(data)
    return t


cdef ag_graph_ops OPS
OPS.node_type = <PyTypeObject *>Node
OPS.edges = _cb_edges
OPS.prepare = _cb_prepare
OPS.apply = _cb_apply
OPS.release = _cb_release
OPS.commit = _cb_commit


def run_backward(Node root, grad, bint retain_graph):
    """Backpropagate ``grad`` from ``root`` with the C scheduler."""
    ag_backward(&OPS, <PyObject *>root, <PyObject *>grad, retain_graph)


def backward(tensor, grad, retain_graph=False):
    root, g = backward_entry(tensor, grad, Tensor)
    if root is None:
        _cb_commit(<PyObject *>tensor, <PyObject *>g)
    else:
        ag_backward(&OPS, <PyObject *>root, <PyObject *>g, bool(retain_graph))


import sys as _sys
Tensor._engine = _sys.modules[__name__]

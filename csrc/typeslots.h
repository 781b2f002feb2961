/* CPython type-slot code of the compiled engine (included by _engine_c.pyx):
 * the tensor types' operator slots, their allocation (GC types allocated
 * untracked), and their deallocation (a plain heap subclass freed by its
 * base's dealloc; a tensor holding .grad or a base freed iteratively).
 * Nothing here records graphs or runs backward. */
#ifndef AG_TYPESLOTS_H
#define AG_TYPESLOTS_H

#include <Python.h>
#include <string.h>

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

/* Tensor and the adopted subclasses (no fields of their own) allocate
 * untracked like TensorBase (ag_untracked_alloc, below). Must run
 * before the first instance exists. User subclasses of Tensor are heap
 * types of their own and stay tracked. */
/* A heap subclass is freed through CPython's generic subtype_dealloc
 * (finalizer checks, slot walk). Tensor (and adopted subclasses) add
 * nothing to the base's layout and have no finalizer: free them with the
 * base's own dealloc, then drop the reference each instance of a heap
 * type holds on its type, as subtype_dealloc would. A user's further
 * subclass keeps subtype_dealloc. */
static destructor ag_base_dealloc;
static void ag_subclass_dealloc(PyObject *o) {
    PyTypeObject *tp = Py_TYPE(o);
    ag_base_dealloc(o);
    Py_DECREF(tp);
}
static void ag_fast_dealloc(PyTypeObject *t, PyTypeObject *base) {
    if (t->tp_finalize == NULL && t->tp_del == NULL && t->tp_dictoffset == 0
            && t->tp_basicsize == base->tp_basicsize
            && (t->tp_flags & Py_TPFLAGS_HEAPTYPE)) {
        ag_base_dealloc = base->tp_dealloc;
        t->tp_dealloc = ag_subclass_dealloc;
    }
}

/* Tensors and nodes are GC types but start untracked: the generic
 * allocation would put every one in the collector's lists (and each
 * collection would walk a million-op graph). _apply_v tracks the few
 * that may be part of a cycle (see Node). Memory zeroed as
 * PyType_GenericAlloc does; a heap type's reference taken by the init. */
#if PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030C0000 && !defined(Py_GIL_DISABLED) \
    && !defined(Py_TRACE_REFS)
/* CPython 3.11's layout of a GC object: two words of GC header (zero:
 * untracked), then the object. Allocated directly: _PyObject_GC_New
 * would also count the object towards the next collection, which only
 * tracked objects can need. */
#define AG_GC_PRESIZE (2 * sizeof(uintptr_t))
static PyObject *ag_untracked_alloc(PyTypeObject *t, Py_ssize_t nitems) {
    size_t size = AG_GC_PRESIZE + (size_t)t->tp_basicsize;
    char *mem = (char *)PyObject_Malloc(size);
    if (mem == NULL)
        return PyErr_NoMemory();
    memset(mem, 0, size);
    PyObject *o = (PyObject *)(mem + AG_GC_PRESIZE);
    Py_SET_TYPE(o, t);
    if (t->tp_flags & Py_TPFLAGS_HEAPTYPE)
        Py_INCREF(t);
    _Py_NewReference(o);
    return o;
}
#else
static PyObject *ag_untracked_alloc(PyTypeObject *t, Py_ssize_t nitems) {
    PyObject *o = _PyObject_GC_New(t);
    if (o != NULL)
        memset((char *)o + sizeof(PyObject), 0, t->tp_basicsize - sizeof(PyObject));
    return o;
}
#endif
static void ag_untrack_subclass(PyTypeObject *t) {
    t->tp_alloc = ag_untracked_alloc;
}

/* TensorOps' dealloc (every engine tensor type inherits it): a tensor
 * holding a .grad or a base first hands them to the iterative freeing
 * (as Node's dealloc does for edges), with the error state saved as a
 * Cython __dealloc__ would; all others (intermediate results) go
 * straight to Cython's generated dealloc, without that save/restore. */
static destructor ag_cython_tensor_dealloc;
static int (*ag_tensor_has_chain)(PyObject *);
static void (*ag_tensor_free_chain)(PyObject *);
static void ag_tensor_dealloc(PyObject *o) {
    if (ag_tensor_has_chain(o)) {
        PyObject *et, *ev, *tb;
        PyObject_GC_UnTrack(o);
        PyErr_Fetch(&et, &ev, &tb);
        Py_SET_REFCNT(o, 1);            /* alive while its links go */
        ag_tensor_free_chain(o);
        Py_SET_REFCNT(o, 0);
        PyErr_Restore(et, ev, tb);
    }
    ag_cython_tensor_dealloc(o);
}
static void ag_patch_tensor_dealloc(PyTypeObject *t, int (*has)(PyObject *),
                                    void (*free_chain)(PyObject *)) {
    ag_tensor_has_chain = has;
    ag_tensor_free_chain = free_chain;
    ag_cython_tensor_dealloc = t->tp_dealloc;
    t->tp_dealloc = ag_tensor_dealloc;
}

#endif /* AG_TYPESLOTS_H */

/*
 * autograd_c backward scheduler: see scheduler.h for the contract.
 *
 * All state lives in one `sched` struct on the caller's stack:
 *   - `ent`: one entry per discovered node or leaf (object, pending consumer
 *     count, gradient buffer, whether we own that buffer);
 *   - `map`: open-addressing hash table, object pointer -> entry index;
 *   - `stack`: indices, used first for the discovery walk, then as the
 *     ready stack.
 */
#include "scheduler.h"

#include <stdint.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* entries and the pointer -> entry hash table                        */
/* ------------------------------------------------------------------ */

typedef struct {
    PyObject *obj;      /* strong reference: node or leaf */
    Py_ssize_t deps;    /* consumers that have not delivered yet */
    PyObject *grad;     /* strong reference to the summed gradient, or NULL */
    int owned;          /* grad was created by our own addition */
    int is_node;
} entry;

typedef struct {
    entry *ent;
    Py_ssize_t n, cap;
    Py_ssize_t *map;    /* -1 = empty slot, else index into ent */
    size_t mask;
    Py_ssize_t *stack;
    Py_ssize_t sp, scap;
} sched;

static size_t
ptr_hash(const void *p)
{
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x;
}

static int
map_grow(sched *s)
{
    size_t newsize = s->mask ? (s->mask + 1) * 2 : 64;
    Py_ssize_t *m = PyMem_Malloc(newsize * sizeof(Py_ssize_t));
    if (m == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < newsize; i++)
        m[i] = -1;
    size_t mask = newsize - 1;
    for (Py_ssize_t k = 0; k < s->n; k++) {
        size_t h = ptr_hash(s->ent[k].obj) & mask;
        while (m[h] != -1)
            h = (h + 1) & mask;
        m[h] = k;
    }
    PyMem_Free(s->map);
    s->map = m;
    s->mask = mask;
    return 0;
}

/* Index of obj's entry; if absent, add one (taking a new reference) and set
 * *created. Returns -1 on memory error. */
static Py_ssize_t
lookup_or_add(sched *s, PyObject *obj, int is_node, int *created)
{
    *created = 0;
    if ((size_t)(s->n + 1) * 2 > s->mask + 1) {   /* keep load factor <= 1/2 */
        if (map_grow(s) < 0)
            return -1;
    }
    size_t h = ptr_hash(obj) & s->mask;
    while (s->map[h] != -1) {
        if (s->ent[s->map[h]].obj == obj)
            return s->map[h];
        h = (h + 1) & s->mask;
    }
    if (s->n == s->cap) {
        Py_ssize_t nc = s->cap ? s->cap * 2 : 64;
        entry *e = PyMem_Realloc(s->ent, (size_t)nc * sizeof(entry));
        if (e == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        s->ent = e;
        s->cap = nc;
    }
    Py_ssize_t k = s->n++;
    Py_INCREF(obj);
    s->ent[k].obj = obj;
    s->ent[k].deps = 0;
    s->ent[k].grad = NULL;
    s->ent[k].owned = 0;
    s->ent[k].is_node = is_node;
    s->map[h] = k;
    *created = 1;
    return k;
}

static int
push(sched *s, Py_ssize_t k)
{
    if (s->sp == s->scap) {
        Py_ssize_t nc = s->scap ? s->scap * 2 : 64;
        Py_ssize_t *st = PyMem_Realloc(s->stack, (size_t)nc * sizeof(Py_ssize_t));
        if (st == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        s->stack = st;
        s->scap = nc;
    }
    s->stack[s->sp++] = k;
    return 0;
}

static void
sched_free(sched *s)
{
    for (Py_ssize_t k = 0; k < s->n; k++) {
        Py_XDECREF(s->ent[k].grad);
        Py_XDECREF(s->ent[k].obj);
    }
    PyMem_Free(s->ent);
    PyMem_Free(s->map);
    PyMem_Free(s->stack);
}

/* Add gradient g (borrowed) into entry e's buffer. */
static int
accumulate(const ag_graph_ops *ops, entry *e, PyObject *g)
{
    if (e->grad == NULL) {
        Py_INCREF(g);
        e->grad = g;
        e->owned = 0;
        return 0;
    }
    /* In place only into a buffer we created ourselves: a gradient handed to
     * us by an op may alias an array someone else still uses. */
    PyObject *sum = ops->add(e->grad, g, e->owned);
    if (sum == NULL)
        return -1;
    Py_DECREF(e->grad);
    e->grad = sum;
    e->owned = 1;
    return 0;
}

/* ------------------------------------------------------------------ */
/* the two phases                                                     */
/* ------------------------------------------------------------------ */

static int
discover(sched *s, const ag_graph_ops *ops, PyObject *root)
{
    int created;
    Py_ssize_t k = lookup_or_add(s, root, 1, &created);
    if (k < 0 || push(s, k) < 0)
        return -1;
    Py_ssize_t visited = 0;
    while (s->sp > 0) {
        if ((++visited & 1023) == 0 && PyErr_CheckSignals() < 0)
            return -1;
        PyObject *node = s->ent[s->stack[--s->sp]].obj;
        if (ops->prepare(node) < 0)
            return -1;
        PyObject *edges = ops->edges(node);
        if (edges == NULL || !PyTuple_Check(edges)) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_RuntimeError, "autograd_c scheduler: a node has no edges");
            return -1;
        }
        Py_ssize_t ne = PyTuple_GET_SIZE(edges);
        for (Py_ssize_t i = 0; i < ne; i++) {
            PyObject *t = PyTuple_GET_ITEM(edges, i);
            if (t == Py_None)
                continue;
            int is_node = Py_TYPE(t) == ops->node_type;
            Py_ssize_t j = lookup_or_add(s, t, is_node, &created);
            if (j < 0)
                return -1;
            if (is_node) {
                s->ent[j].deps++;
                if (created && push(s, j) < 0)
                    return -1;
            }
        }
    }
    return 0;
}

static int
execute(sched *s, const ag_graph_ops *ops, int retain_graph)
{
    /* entry 0 is the root; its buffer holds the seed gradient */
    if (push(s, 0) < 0)
        return -1;
    while (s->sp > 0) {
        /* Ctrl-C / alarms: op rules are compiled code that never reaches the
         * interpreter's own signal check, so look at every node boundary (a
         * read of one flag while no signal is pending). Nothing has been
         * committed yet, so an exception here leaves every .grad untouched. */
        if (PyErr_CheckSignals() < 0)
            return -1;
        Py_ssize_t k = s->stack[--s->sp];
        PyObject *node = s->ent[k].obj;
        /* the edges are read before the node runs: a pass in another thread
         * may release the node while it runs (apply() then fails if it was
         * released before it started) */
        PyObject *edges = ops->edges(node);
        if (edges == NULL || !PyTuple_Check(edges)) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_RuntimeError, "autograd_c scheduler: a node has no edges");
            return -1;
        }
        Py_INCREF(edges);   /* release() may drop the node's own reference */
        PyObject *g = s->ent[k].grad;
        s->ent[k].grad = NULL;
        PyObject *grads = NULL;
        if (g != NULL) {
            grads = ops->apply(node, g);
            Py_DECREF(g);
            if (grads == NULL) {
                Py_DECREF(edges);
                return -1;
            }
        }
        else if (ops->prepare(node) < 0) {
            /* not run, but its edges still release its targets: they must
             * be the ones counted at discovery (not released since) */
            Py_DECREF(edges);
            return -1;
        }
        Py_ssize_t ne = PyTuple_GET_SIZE(edges);
        if (grads != NULL && (!PyTuple_Check(grads) || PyTuple_GET_SIZE(grads) != ne)) {
            PyErr_Format(PyExc_RuntimeError,
                         "autograd_c scheduler: a node returned %zd gradients for %zd inputs",
                         PyTuple_Check(grads) ? PyTuple_GET_SIZE(grads) : (Py_ssize_t)-1, ne);
            Py_DECREF(edges);
            Py_DECREF(grads);
            return -1;
        }
        if (!retain_graph)
            ops->release(node);
        for (Py_ssize_t i = 0; i < ne; i++) {
            PyObject *t = PyTuple_GET_ITEM(edges, i);
            if (t == Py_None)
                continue;
            int created;
            Py_ssize_t j = lookup_or_add(s, t, 0, &created);   /* always found */
            if (j < 0 || created) {
                if (created)    /* the node's edges changed since discovery */
                    PyErr_SetString(PyExc_RuntimeError,
                                    "autograd_c scheduler: the graph changed during backward");
                Py_DECREF(edges);
                Py_XDECREF(grads);
                return -1;
            }
            PyObject *gi = grads != NULL ? PyTuple_GET_ITEM(grads, i) : Py_None;
            if (gi != Py_None && accumulate(ops, &s->ent[j], gi) < 0) {
                Py_DECREF(edges);
                Py_XDECREF(grads);
                return -1;
            }
            if (s->ent[j].is_node && --s->ent[j].deps == 0 && push(s, j) < 0) {
                Py_DECREF(edges);
                Py_XDECREF(grads);
                return -1;
            }
        }
        Py_DECREF(edges);
        Py_XDECREF(grads);
        /* the node has run: drop our reference now, so memory is returned
         * as the pass goes rather than at its end */
        if (!s->ent[k].is_node || retain_graph)
            continue;
        Py_CLEAR(s->ent[k].obj);
        s->ent[k].obj = NULL;
    }
    return 0;
}

int
ag_backward(const ag_graph_ops *ops, PyObject *root, PyObject *grad, int retain_graph)
{
    sched s;
    memset(&s, 0, sizeof(s));
    int rc = -1;
    if (Py_TYPE(root) != ops->node_type) {
        PyErr_SetString(PyExc_TypeError, "autograd_c scheduler: root is not a node");
        return -1;
    }
    if (discover(&s, ops, root) < 0)
        goto done;
    Py_INCREF(grad);
    s.ent[0].grad = grad;
    if (execute(&s, ops, retain_graph) < 0)
        goto done;
    for (Py_ssize_t k = 0; k < s.n; k++) {
        entry *e = &s.ent[k];
        if (e->is_node || e->grad == NULL)
            continue;
        if (ops->commit(e->obj, e->grad, Py_REFCNT(e->grad) == 1) < 0)
            goto done;
    }
    rc = 0;
done:
    sched_free(&s);
    return rc;
}

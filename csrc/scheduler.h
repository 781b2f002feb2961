/*
 * autograd_c backward scheduler.
 *
 * CONTRACT
 * --------
 * The scheduler knows nothing about tensors or ops. It walks a graph of
 * Python objects through the callbacks in `ag_graph_ops`:
 *
 *   - a *node* is an object whose type is exactly `ops->node_type`;
 *   - `ops->edges(node)` returns a BORROWED tuple; item i is where the
 *     gradient for the node's input i goes: another node, a leaf object
 *     (anything else that is not None), or None (no gradient wanted);
 *   - `ops->prepare(node)` is called once per reachable node before anything
 *     runs; it returns -1 with a Python exception set if the node cannot be
 *     run (already freed, a saved tensor modified in place). Nothing has been
 *     run or modified when this fails. It is called again for a node that
 *     received no gradient, before its edges release its targets (another
 *     thread's pass may have released the node since discovery);
 *   - `ops->apply(node, grad)` runs the node's vector-Jacobian product and
 *     returns a NEW reference to a tuple with one entry per edge (an array,
 *     or None), or NULL with an exception set. The scheduler reads the
 *     node's edges before calling it; it must fail if the node was released;
 *   - `ops->release(node)` drops the node's saved state and edges after it
 *     ran (only when retain_graph is 0);
 *   - `ops->add(acc, g, inplace)` returns a NEW reference to `acc + g`, or
 *     NULL with an exception set; when `inplace` is 1, `acc` is a buffer the
 *     scheduler created and nothing else refers to, so it may be written to
 *     and returned;
 *   - `ops->commit(leaf, grad, owned)` adds the summed gradient of a leaf to
 *     its `.grad`; called only after every node ran successfully, in the
 *     order the leaves were discovered; `owned` is 1 when nothing but the
 *     scheduler refers to `grad` (the callee may then keep the array itself
 *     instead of copying it); returns -1 with an exception set on error.
 *
 * ag_backward(ops, root, grad, retain_graph):
 *   1. Discovery: an iterative depth-first walk from `root` counts, for every
 *      reachable node, how many edges of reachable nodes point at it (its
 *      consumers on the path to the output).
 *   2. Execution: a LIFO stack of ready nodes, seeded with `root`. A popped
 *      node runs with the sum of the gradients delivered to it; each gradient
 *      it returns is added to its target's buffer and the target's count is
 *      decremented; a target whose count reaches zero becomes ready. A node
 *      that received no gradient at all does not run but still releases its
 *      targets. Nothing recurses: depth is bounded by memory only.
 *   3. Commit of leaf gradients (see `commit`).
 *
 * Ownership: the scheduler holds a strong reference to every node, leaf and
 * gradient it keeps, and releases all of them on every exit path. It keeps
 * no global or static mutable state, so independent graphs may be run from
 * several threads (the callers hold the GIL throughout).
 *
 * Returns 0 on success, -1 with a Python exception set on failure.
 */
#ifndef AUTOGRAD_C_SCHEDULER_H
#define AUTOGRAD_C_SCHEDULER_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ag_graph_ops {
    PyTypeObject *node_type;
    PyObject *(*edges)(PyObject *node);
    int (*prepare)(PyObject *node);
    PyObject *(*apply)(PyObject *node, PyObject *grad);
    void (*release)(PyObject *node);
    PyObject *(*add)(PyObject *acc, PyObject *g, int inplace);
    int (*commit)(PyObject *leaf, PyObject *grad, int owned);
} ag_graph_ops;

int ag_backward(const ag_graph_ops *ops, PyObject *root, PyObject *grad,
                int retain_graph);

#ifdef __cplusplus
}
#endif

#endif /* AUTOGRAD_C_SCHEDULER_H */

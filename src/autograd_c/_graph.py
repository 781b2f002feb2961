"""Graph-machinery helpers both engines share: argument checks for backward,
error messages, and anomaly-mode checks. No tensor math and no scheduling."""
from __future__ import annotations

import traceback

import numpy as np

from . import _tensor
from .grad_mode import state


def _shapes(arrays):
    return ", ".join(str(np.shape(a)) for a in arrays)


def op_title(op):
    """An op's name for messages, with the other names users call it by
    (``cat (concatenate, concat)``)."""
    other = [f for f in getattr(op, "functions", ()) if f != op.name]
    return f"{op.name} ({', '.join(other)})" if other else op.name


def wrap_forward_error(op, arrays, kw, err):
    """Re-raise a numpy error from an op's forward with the op and the shapes named."""
    msg = str(err)
    if msg.startswith(op.name + ":") or msg.startswith(op.name + "("):
        msg = msg.split(":", 1)[1].strip() if ":" in msg else msg
    extra = ""
    if kw:
        extra = " with " + ", ".join(f"{k}={v!r}" for k, v in kw.items() if k != "index")
    return _tensor.reworded(err, f"{op_title(op)}: {msg} (input shapes: {_shapes(arrays)}{extra})")


def node_freed_error(node):
    return RuntimeError(
        f"Trying to backward through the graph a second time (node '{node.op.name}'): "
        f"its saved arrays were freed after the first backward. Pass "
        f"retain_graph=True to the first backward() if you need to backward twice.")


def output_version_error(node, info):
    shape, dtype, version = info
    return RuntimeError(
        f"one of the variables needed for gradient computation has been modified by an "
        f"in-place operation: the output of '{node.op.name}' (shape {shape}, dtype {dtype}) "
        f"was modified in place (now at version {version}) after '{node.op.name}' saved "
        f"it for backward")


def version_error(node, tensor, version):
    return RuntimeError(
        f"one of the variables needed for gradient computation has been modified by an "
        f"in-place operation: a tensor of shape {tuple(tensor.shape)} and dtype "
        f"{tensor.dtype} saved by '{node.op.name}' is at version {tensor._version}; "
        f"expected version {version}")


def traceback_here():
    """The forward stack, minus autograd_c's own frames, for anomaly mode."""
    frames = [f for f in traceback.extract_stack()[:-1]
              if "/autograd_c/" not in f.filename.replace("\\", "/")]
    return "".join(traceback.format_list(frames[-8:]))


class AnomalyError(RuntimeError):
    """A NaN or inf appeared in a gradient while anomaly mode was on."""


def anomaly_check(node, grads):
    for i, g in enumerate(grads):
        if g is not None and not np.all(np.isfinite(g)):
            where = node.trace or "(the op was created before anomaly mode was enabled)\n"
            raise AnomalyError(
                f"Function '{node.op.name}' returned non-finite values in its gradient for "
                f"input {i} (shape {np.shape(g)}). The op was created at:\n{where}")


class NodeName(str):
    """A node's op name: a string (``grad_fn.name``) that can also be called
    (``grad_fn.name()``, PyTorch's spelling). The names are the op table's
    (``mul``), not PyTorch's class names (``MulBackward0``)."""

    __slots__ = ()

    def __call__(self) -> str:
        return str(self)


class AccumulateGrad:
    """The ``next_functions`` entry of a leaf, as PyTorch's: ``variable`` is
    the leaf tensor (whose ``.grad`` a backward pass accumulates into)."""

    __slots__ = ("variable",)
    next_functions: tuple = ()

    def __init__(self, variable) -> None:
        self.variable = variable

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    def __repr__(self) -> str:
        return "<AccumulateGrad>"


def next_functions(node) -> tuple:
    """PyTorch's ``grad_fn.next_functions``: one ``(function, 0)`` per input
    of ``node``: the input's node, ``AccumulateGrad`` for a leaf that
    requires grad, None for an input that needs no gradient. Empty once a
    backward pass has released the node."""
    out: list = []
    for e in node.edges or ():
        if e is None:
            out.append((None, 0))
        elif isinstance(e, type(node)):
            out.append((e, 0))
        else:
            out.append((AccumulateGrad(e), 0))
    return tuple(out)


def backward_entry(tensor, grad, tensor_cls, create_graph=False):
    """Validate ``tensor.backward(grad)``; return (root node or None, seed).
    The seed is an array, or with ``create_graph`` a Tensor (``grad`` itself
    when it is one, so gradients can flow into it)."""
    if not tensor._rg:
        raise RuntimeError(
            f"backward(): tensor of shape {tuple(tensor.shape)} does not require grad and "
            f"has no grad_fn (no input of it had requires_grad=True, or it was built "
            f"under no_grad())")
    data = tensor.data
    if grad is None:
        if data.size != 1:
            raise RuntimeError(
                f"backward(): grad can be implicitly created only for scalar outputs; "
                f"this tensor has shape {tuple(data.shape)}: pass grad= of that shape")
        seed = np.empty(data.shape, dtype=data.dtype)   # np.ones, without its Python layer
        seed.fill(1)
    else:
        if isinstance(grad, _tensor.Tensor):
            if not isinstance(grad, tensor_cls):
                raise TypeError("backward(): grad is a tensor of another engine")
            seed = grad.data
        else:
            seed = np.asarray(grad)
            if seed.dtype.kind in "iub" and np.ndim(grad) == 0:
                seed = seed.astype(data.dtype)
            elif not isinstance(grad, np.ndarray):
                seed = np.asarray(grad, dtype=data.dtype)
        if seed.shape != data.shape:
            raise RuntimeError(
                f"backward(): grad has shape {tuple(seed.shape)} but the output has shape "
                f"{tuple(data.shape)}")
        if seed.dtype != data.dtype:
            raise TypeError(
                f"backward(): grad has dtype {seed.dtype} but the output has dtype "
                f"{data.dtype}")
    # (the seed has the output's dtype by now: one test covers both)
    if data.dtype.kind == "c":
        raise RuntimeError(f"backward(): only real (not complex) outputs are supported, got "
                           f"dtype {data.dtype}")
    if state._anomaly and not np.all(np.isfinite(data)):
        raise AnomalyError(
            f"backward(): the output (shape {tuple(data.shape)}) is not finite: "
            f"{data if data.size == 1 else 'contains NaN/inf'}")
    if create_graph:
        if isinstance(grad, tensor_cls):
            return tensor._node, grad
        seed_t = tensor_cls.__new__(tensor_cls)
        tensor_cls.__init__(seed_t, seed)
        return tensor._node, seed_t
    return tensor._node, seed


def lift(ctx, saved_tensors, out_array, out_tensor):
    """``ctx`` with the arrays a rule saved replaced by Tensors: each saved
    input array (found by identity) by its input Tensor, the output array by
    ``out_tensor`` (a Tensor whose history is the node itself). A VJP run on
    this records its own graph: that is all ``create_graph`` needs, on both
    engines."""
    swap = {id(t.data): t for t in saved_tensors}
    if out_array is not None:
        swap[id(out_array)] = out_tensor
    return _swap_items(ctx, swap)


def _swap_items(obj, swap):
    if type(obj) is tuple:
        return tuple(_swap_items(o, swap) for o in obj)
    return swap.get(id(obj), obj)


class Capture:
    """Where ``autograd.grad`` collects gradients instead of ``.grad``: the
    leaves and nodes whose incoming gradient is wanted, and what reached each."""

    def __init__(self, targets):
        self.targets = {id(t): t for t in targets}     # by identity (Tensor == is elementwise)
        self.got = {}

    def wants(self, obj):
        return id(obj) in self.targets

    def add(self, target, g):
        prev = self.got.get(id(target))
        self.got[id(target)] = g if prev is None else prev + g

    def get(self, target):
        return self.got.get(id(target))


def accumulate_grad(t, g):
    """``t.grad += g`` (or ``= g``) for a Tensor gradient ``g``."""
    t._grad = g if t._grad is None else t._grad + g

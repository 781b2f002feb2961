"""The public ``Tensor`` API, shared by both engines.

``autograd_c.Tensor`` is an abstract class: calling it builds a tensor of the
active engine (``engine_python.Tensor`` or ``_engine_c.Tensor``, both
subclasses of it, so ``isinstance(t, autograd_c.Tensor)`` holds for either).
Every method here is a thin wrapper that hands an op rule from ``ops.py`` to
the engine's ``apply``; the engine supplies storage (``data``, ``_rg``,
``_node``, ``_grad``, ``_version``), graph recording and backward.
"""
from __future__ import annotations

from typing import Any, Optional, Tuple, Union

import numpy as np

from . import ops as _ops
from .grad_mode import state as _gm

__all__ = ["Tensor"]

_FLOAT_KINDS = "f"
Axis = Union[None, int, Tuple[int, ...]]


def _current_engine():
    from . import engines
    return engines.current


def engine_for(args) -> Any:
    """The engine module that must run an op on ``args`` (first Tensor wins)."""
    for a in args:
        if isinstance(a, Tensor):
            return type(a)._engine
        if isinstance(a, (list, tuple)):
            for b in a:
                if isinstance(b, Tensor):
                    return type(b)._engine
    return _current_engine()


def check_requires_grad_dtype(dtype) -> None:
    if np.dtype(dtype).kind not in _FLOAT_KINDS:
        raise TypeError(
            f"only floating point tensors can require gradients, got dtype {np.dtype(dtype)}")


def to_array(data, dtype=None, copy=True) -> np.ndarray:
    """Array for a new tensor; rejects data numpy can only hold as objects."""
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, (str, bytes)):
        raise TypeError(f"Tensor(): cannot build a tensor from {type(data).__name__} data")
    try:
        arr = np.array(data, dtype=dtype, copy=copy) if copy else np.asarray(data, dtype=dtype)
    except (ValueError, TypeError) as e:
        raise TypeError(f"Tensor(): cannot convert {type(data).__name__} to an array: {e}") from None
    if arr.dtype.kind in "OUSV":
        raise TypeError(f"Tensor(): unsupported data of dtype {arr.dtype}; use numbers")
    return arr


class Tensor:
    """An n-dimensional array that records the operations applied to it.

    ``Tensor(data, requires_grad=False, dtype=None)`` copies ``data`` into a
    numpy array (numpy's default dtype rules; float32 stays float32).
    """

    __slots__ = ()
    __array_ufunc__ = None          # ndarray <op> Tensor defers to our reflected ops
    __array_priority__ = 1000
    _engine: Any = None             # set on each engine's concrete subclass

    # -- construction ----------------------------------------------------
    def __new__(cls, *args, **kwargs):
        if cls is Tensor:
            cls = _current_engine().Tensor
        return super().__new__(cls) if cls.__new__ is Tensor.__new__ else cls.__new__(cls)

    def __init__(self, data, requires_grad: bool = False, dtype=None):
        arr = to_array(data, dtype)
        if requires_grad:
            check_requires_grad_dtype(arr.dtype)
        self.data = arr
        self._rg = bool(requires_grad)
        self._node = None
        self._grad = None
        self._version = 0
        self._base = None

    # -- attributes --------------------------------------------------------
    @property
    def shape(self) -> Tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    def __len__(self) -> int:
        return len(self.data)

    @property
    def requires_grad(self) -> bool:
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        value = bool(value)
        if not value and self._node is not None:
            raise RuntimeError("requires_grad can only be turned off on leaf tensors; "
                               "use .detach() on a non-leaf")
        if value:
            check_requires_grad_dtype(self.data.dtype)
        self._rg = value

    def requires_grad_(self, value: bool = True) -> "Tensor":
        self.requires_grad = value
        return self

    @property
    def is_leaf(self) -> bool:
        return self._node is None

    @property
    def grad_fn(self):
        return self._node

    @property
    def grad(self) -> Optional["Tensor"]:
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                value = type(self)(value, dtype=self.data.dtype)
            if value.shape != self.shape:
                raise ValueError(f"assigned grad has shape {value.shape}, "
                                 f"but the tensor has shape {self.shape}")
        self._grad = value

    @property
    def version(self) -> int:
        """How many in-place modifications this tensor's memory has seen (views
        share the count of the tensor they view)."""
        return self._version if self._base is None else self._base._version

    def _as_view_of(self, src: "Tensor") -> "Tensor":
        """Mark ``self`` as sharing ``src``'s memory when its array is a view of
        ``src``'s: both then share one version count, so an in-place change
        through either is seen by every op that saved the other."""
        base, sd = self.data.base, src.data
        if base is not None and (base is sd or base is sd.base
                                 or np.may_share_memory(self.data, sd)):
            self._base = src if src._base is None else src._base
        return self

    # -- conversion ----------------------------------------------------------
    def numpy(self) -> np.ndarray:
        return self.data

    def __array__(self, dtype=None, copy=None):
        if dtype is not None and dtype != self.data.dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def item(self) -> Any:
        if self.data.size != 1:
            raise ValueError(f"item(): only one-element tensors can be converted to a "
                             f"Python scalar, got shape {self.shape}")
        return self.data.item()

    def tolist(self) -> Any:
        return self.data.tolist()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self.data.size != 1:
            raise ValueError(f"the truth value of a tensor of shape {self.shape} is ambiguous")
        return bool(self.data)

    def detach(self) -> "Tensor":
        """A new leaf sharing this tensor's data, cut from the graph."""
        t = type(self).__new__(type(self))
        t.data = self.data
        t._rg = False
        t._node = None
        t._grad = None
        t._version = 0
        t._base = self if self._base is None else self._base
        return t

    def clone(self) -> "Tensor":
        return self * 1 if self._rg else type(self)(self.data.copy())

    def astype(self, dtype) -> "Tensor":
        return type(self)(self.data.astype(dtype))

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        extra = ""
        if self.data.dtype != np.float64:
            extra += f", dtype={self.data.dtype}"
        if self._node is not None:
            extra += f", grad_fn=<{self._node.name}>"
        elif self._rg:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    __hash__ = object.__hash__

    # -- autograd --------------------------------------------------------------
    def backward(self, grad=None, retain_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) * grad into every leaf's ``.grad``."""
        self._engine.backward(self, grad, retain_graph)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(self)`` after each backward pass that updated
        ``self.grad`` (leaf tensors that require grad only). Returns a handle
        whose ``remove()`` unregisters the hook (see ``autograd_c.hooks``)."""
        from .hooks import register_post_accumulate_grad_hook
        return register_post_accumulate_grad_hook(self, hook)

    # -- arithmetic ------------------------------------------------------------
    def __add__(self, other) -> "Tensor":
        return self._engine.apply(_ops.add, (self, other), None)

    def __radd__(self, other) -> "Tensor":
        return self._engine.apply(_ops.add, (other, self), None)

    def __sub__(self, other) -> "Tensor":
        return self._engine.apply(_ops.sub, (self, other), None)

    def __rsub__(self, other) -> "Tensor":
        return self._engine.apply(_ops.sub, (other, self), None)

    def __mul__(self, other) -> "Tensor":
        return self._engine.apply(_ops.mul, (self, other), None)

    def __rmul__(self, other) -> "Tensor":
        return self._engine.apply(_ops.mul, (other, self), None)

    def __truediv__(self, other) -> "Tensor":
        return self._engine.apply(_ops.div, (self, other), None)

    def __rtruediv__(self, other) -> "Tensor":
        return self._engine.apply(_ops.div, (other, self), None)

    def __pow__(self, other) -> "Tensor":
        return self._engine.apply(_ops.pow_, (self, other), None)

    def __rpow__(self, other) -> "Tensor":
        return self._engine.apply(_ops.pow_, (other, self), None)

    def __neg__(self) -> "Tensor":
        return self._engine.apply(_ops.neg, (self,), None)

    def __pos__(self) -> "Tensor":
        return self

    def __matmul__(self, other) -> "Tensor":
        return self._engine.apply(_ops.matmul, (self, other), None)

    def __rmatmul__(self, other) -> "Tensor":
        return self._engine.apply(_ops.matmul, (other, self), None)

    def mm(self, other) -> "Tensor":
        return self._engine.apply(_ops.matmul, (self, other), None)

    matmul = mm

    def __abs__(self) -> "Tensor":
        return self._engine.apply(_ops.abs_, (self,), None)

    # comparisons: plain boolean tensors, never part of the graph
    def _compare(self, other, ufunc) -> "Tensor":
        other = other.data if isinstance(other, Tensor) else other
        return type(self)(ufunc(self.data, other), dtype=bool)

    def __lt__(self, other) -> "Tensor":
        return self._compare(other, np.less)

    def __le__(self, other) -> "Tensor":
        return self._compare(other, np.less_equal)

    def __gt__(self, other) -> "Tensor":
        return self._compare(other, np.greater)

    def __ge__(self, other) -> "Tensor":
        return self._compare(other, np.greater_equal)

    def __eq__(self, other) -> "Tensor":  # type: ignore[override]
        return self._compare(other, np.equal)

    def __ne__(self, other) -> "Tensor":  # type: ignore[override]
        return self._compare(other, np.not_equal)

    # -- in-place ops ----------------------------------------------------------
    def _inplace(self, op, ufunc, other) -> "Tensor":
        if self._rg and _gm.grad_enabled:
            if self._node is None:
                raise RuntimeError(
                    f"in-place {op.name} on a leaf tensor of shape {self.shape} that "
                    f"requires grad; wrap the update in autograd_c.no_grad()")
            # a recorded in-place op on a non-leaf becomes the out-of-place op
            # (the name is rebound to the result; the old value stays intact
            # for the nodes that saved it)
            return self._engine.apply(op, (self, other), None)
        other_data = other.data if isinstance(other, Tensor) else other
        try:
            ufunc(self.data, other_data, out=self.data, casting="same_kind")
        except FloatingPointError:
            # np.errstate(...="raise"): numpy has already written the result
            self.mark_modified()
            raise
        except (ValueError, TypeError) as e:
            raise type(e)(f"in-place {op.name}: tensor of shape {self.shape} and dtype "
                          f"{self.dtype} with operand of shape {np.shape(other_data)}: {e}") from None
        self.mark_modified()
        return self

    def mark_modified(self) -> None:
        """Record that ``self.data`` was changed in place (bumps the version
        shared by this tensor and every view of the same memory)."""
        self._version += 1
        base = self._base
        if base is not None:
            base._version += 1
        for t in (self, base):
            node = t._node if t is not None else None
            if node is not None and node.op.saves_output:
                node.output_modified(t)

    def __iadd__(self, other) -> "Tensor":
        return self._inplace(_ops.add, np.add, other)

    def __isub__(self, other) -> "Tensor":
        return self._inplace(_ops.sub, np.subtract, other)

    def __imul__(self, other) -> "Tensor":
        return self._inplace(_ops.mul, np.multiply, other)

    def __itruediv__(self, other) -> "Tensor":
        return self._inplace(_ops.div, np.true_divide, other)

    def zero_(self) -> "Tensor":
        with_grad = self._rg and _gm.grad_enabled and self._node is None
        if with_grad:
            raise RuntimeError(f"zero_(): in-place op on a leaf tensor of shape {self.shape} "
                               f"that requires grad")
        self.data[...] = 0
        self.mark_modified()
        return self

    def __setitem__(self, index, value) -> None:
        if self._rg and _gm.grad_enabled:
            kind = "a leaf tensor that requires grad" if self._node is None else \
                "a tensor that is part of the autograd graph"
            raise RuntimeError(f"index assignment on {kind} (shape {self.shape}); "
                               f"use no_grad(), or autograd_c.where / concatenate")
        index = _index_data(index)
        value = value.data if isinstance(value, Tensor) else value
        try:
            self.data[index] = value
        except (IndexError, ValueError, TypeError) as e:
            raise type(e)(f"setitem on tensor of shape {self.shape}: {e}") from None
        self.mark_modified()

    # -- reductions --------------------------------------------------------------
    def sum(self, axis: Axis = None, keepdims: bool = False) -> "Tensor":
        return self._engine.apply(_ops.sum_, (self,), {"axis": axis, "keepdims": keepdims})

    def mean(self, axis: Axis = None, keepdims: bool = False) -> "Tensor":
        return self._engine.apply(_ops.mean, (self,), {"axis": axis, "keepdims": keepdims})

    def max(self, axis: Axis = None, keepdims: bool = False) -> "Tensor":
        return self._engine.apply(_ops.max_, (self,), {"axis": axis, "keepdims": keepdims})

    def min(self, axis: Axis = None, keepdims: bool = False) -> "Tensor":
        return self._engine.apply(_ops.min_, (self,), {"axis": axis, "keepdims": keepdims})

    # -- shape -----------------------------------------------------------------------
    def reshape(self, *shape) -> "Tensor":
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return self._engine.apply(_ops.reshape, (self,), {"shape": shape})._as_view_of(self)

    view = reshape

    def transpose(self, *axes) -> "Tensor":
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return self._engine.apply(_ops.transpose, (self,), {"axes": axes or None})._as_view_of(self)

    @property
    def T(self) -> "Tensor":
        return self._engine.apply(_ops.transpose, (self,), {"axes": None})._as_view_of(self)

    def broadcast_to(self, *shape) -> "Tensor":
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return self._engine.apply(_ops.broadcast_to, (self,), {"shape": shape})._as_view_of(self)

    def expand(self, *shape) -> "Tensor":
        """Broadcast to ``shape`` (PyTorch style: -1 keeps a dimension)."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        lead = len(shape) - self.ndim
        shape = tuple(self.shape[i - lead] if (s == -1 and i >= lead) else s
                      for i, s in enumerate(shape))
        return self.broadcast_to(shape)

    def __getitem__(self, index) -> "Tensor":
        return self._engine.apply(_ops.getitem, (self,),
                                  {"index": _index_data(index)})._as_view_of(self)

    def flatten(self) -> "Tensor":
        return self.reshape(-1)

    # -- elementwise ---------------------------------------------------------------
    def exp(self) -> "Tensor":
        return self._engine.apply(_ops.exp, (self,), None)

    def log(self) -> "Tensor":
        return self._engine.apply(_ops.log, (self,), None)

    def sqrt(self) -> "Tensor":
        return self._engine.apply(_ops.sqrt, (self,), None)

    def abs(self) -> "Tensor":
        return self._engine.apply(_ops.abs_, (self,), None)

    def tanh(self) -> "Tensor":
        return self._engine.apply(_ops.tanh, (self,), None)

    def sigmoid(self) -> "Tensor":
        return self._engine.apply(_ops.sigmoid, (self,), None)

    def relu(self) -> "Tensor":
        return self._engine.apply(_ops.relu, (self,), None)

    def clip(self, min=None, max=None) -> "Tensor":
        return self._engine.apply(_ops.clip, (self,), {"lo": min, "hi": max})

    clamp = clip

    def softmax(self, axis: int = -1) -> "Tensor":
        return self._engine.apply(_ops.softmax, (self,), {"axis": axis})

    def log_softmax(self, axis: int = -1) -> "Tensor":
        return self._engine.apply(_ops.log_softmax, (self,), {"axis": axis})


def single_output(out, who: str):
    """A user function's result: a Tensor, or a constant numeric ndarray (it does
    not depend on the inputs). A tuple/list/dict or a non-numeric value raises a
    TypeError that starts with ``who``."""
    if isinstance(out, Tensor):
        return out
    if isinstance(out, (tuple, list, dict)):
        raise TypeError(f"{who} returned a {type(out).__name__}; only a single Tensor "
                        f"output is supported")
    try:
        arr = np.asarray(out)
    except (TypeError, ValueError):
        arr = None
    if arr is None or arr.dtype.kind not in "fiub":
        raise TypeError(f"{who} must return a Tensor, got {type(out).__name__}")
    return arr


def _index_data(index):
    """Replace Tensors inside an index by their arrays; validate them."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list):
        return np.asarray(index)
    return index


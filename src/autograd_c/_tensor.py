"""The public ``Tensor`` API, shared by both engines.

``autograd_c.Tensor`` is an abstract class: calling it builds a tensor of the
active engine (``engine_python.Tensor`` or ``_engine_c.Tensor``, both
subclasses of it, so ``isinstance(t, autograd_c.Tensor)`` holds for either).
The op methods (``add``, ``__mul__``, ``sum``, ``reshape``...) are not written
here: ``autograd_c._surface`` generates them from the op table
(``autograd_c.ops``). What is here is everything else: construction,
properties, conversion, comparisons, in-place updates. The engine supplies
storage (``data``, ``_rg``, ``_node``, ``_grad``, ``_version``), graph
recording and backward.
"""
from __future__ import annotations

from typing import Any, Optional, Tuple, Union

import numpy as np

from . import ops as _ops
from .ops.composites import PROPERTIES as _PROPERTIES
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


def _rebuild_tensor(cls, engine_name, data, requires_grad, grad, state=None):
    """Inverse of ``Tensor.__reduce_ex__`` (no __init__ is run, as for any
    unpickled object)."""
    from . import engines
    if not (isinstance(cls, type) and issubclass(cls, Tensor)):
        raise TypeError(f"cannot rebuild a tensor of class {cls!r}")
    if cls._engine is None:
        # an abstract class (Tensor, nn.Parameter, or a user subclass of
        # either): its concrete class on the recorded engine
        eng = engines.available.get(engine_name, engines.current)
        from .nn.module import Parameter, _parameter_class
        if cls is Tensor:
            cls = eng.Tensor
        elif issubclass(cls, Parameter):
            pc = _parameter_class(eng)
            cls = pc if cls is Parameter else concrete_subclass(cls, pc)
        else:
            cls = concrete_subclass(cls, eng.Tensor)
    t = cls.__new__(cls)
    t.data = to_array(data, copy=False)
    t._rg = bool(requires_grad)
    t._node = None
    t._grad = None
    t._version = 0
    t._base = None
    if grad is not None:
        if not isinstance(grad, cls._engine.Tensor):
            grad = cls._engine.Tensor(grad.data if isinstance(grad, Tensor) else grad)
        t._grad = grad
    if state:
        t.__dict__.update(state)
    return t


def concrete_subclass(cls, engine_cls):
    """``cls`` (a user subclass of ``Tensor`` or ``nn.Parameter``, engine-less)
    combined with ``engine_cls`` (an engine's concrete tensor class, which
    supplies the storage): what ``cls(...)`` builds. Same name; cls's own
    methods come first; ``isinstance(t, cls)`` holds. Cached on ``cls``."""
    cache = cls.__dict__.get("_ag_concrete")
    if cache is None:
        cache = {}
        type.__setattr__(cls, "_ag_concrete", cache)
    k = cache.get(engine_cls)
    if k is None:
        k = type(cls.__name__, (cls, engine_cls),
                 {"__slots__": (), "__module__": cls.__module__,
                  "__qualname__": cls.__qualname__, "_ag_user_class": cls})
        cache[engine_cls] = k
    return k


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


#: ufuncs whose result is piecewise constant (no gradient): computed on the
#: data, returned as Tensors that do not require grad
_NONDIFF_UFUNCS = frozenset([
    np.equal, np.not_equal, np.less, np.less_equal, np.greater, np.greater_equal,
    np.logical_and, np.logical_or, np.logical_xor, np.logical_not, np.isnan, np.isinf,
    np.isfinite, np.sign, np.bitwise_and, np.bitwise_or, np.bitwise_xor, np.invert,
    np.floor, np.ceil, np.trunc, np.rint, np.signbit])


class Tensor:
    """An n-dimensional array that records the operations applied to it.

    ``Tensor(data, requires_grad=False, dtype=None)`` copies ``data`` into a
    numpy array (numpy's default dtype rules; float32 stays float32).
    """

    __slots__ = ()
    __array_priority__ = 1000
    _engine: Any = None             # set on each engine's concrete subclass

    # -- construction ----------------------------------------------------
    def __new__(cls, *args, **kwargs):
        if cls is Tensor:
            cls = _current_engine().Tensor
        elif cls._engine is None:       # a user subclass of this abstract class
            cls = concrete_subclass(cls, _current_engine().Tensor)
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
            elif type(value)._engine is not type(self)._engine:
                raise TypeError(f"assigned grad is a tensor of the {type(value)._engine.name!r} "
                                f"engine, but the tensor is of the {type(self)._engine.name!r} "
                                f"engine")
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

    # -- the numpy protocol: numpy functions on Tensors run our ops ----------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        """``np.tanh(t)``, ``np.add(a, t)``, ``ndarray * t``: the ufunc's op,
        recorded like the Tensor method. Comparisons and other piecewise-
        constant ufuncs give Tensors that do not require grad. A ufunc with no
        counterpart, or ``out=``, raises a TypeError naming it."""
        from ._surface import NUMPY_TABLE, apply_op
        name = getattr(ufunc, "__name__", str(ufunc))
        if method != "__call__" or kwargs:
            raise TypeError(f"numpy.{name}.{method} with {sorted(kwargs)} is not supported on "
                            f"autograd_c Tensors; use the Tensor's own methods")
        op = NUMPY_TABLE.get(ufunc)
        if op is not None:
            return apply_op(op, inputs, None)
        if ufunc in _NONDIFF_UFUNCS:
            arrays = [a.data if isinstance(a, Tensor) else a for a in inputs]
            return type(self)(ufunc(*arrays))
        raise TypeError(f"numpy.{name} has no differentiable counterpart in autograd_c; "
                        f"call it on t.detach().numpy() if no gradient is needed")

    def __array_function__(self, func, types, args, kwargs):
        """``np.sum(t, axis=0)``, ``np.where(c, t, 0)``, ``np.concatenate``...:
        the matching autograd_c function (recorded). Others raise a TypeError."""
        from ._surface import NUMPY_FUNCTIONS
        impl = NUMPY_FUNCTIONS.get(func)
        if impl is None:
            raise TypeError(f"numpy.{func.__name__} has no counterpart in autograd_c for "
                            f"Tensors; use t.detach().numpy() if no gradient is needed")
        return impl(*args, **kwargs)

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

    # -- copy and pickle ---------------------------------------------------------
    def __reduce_ex__(self, protocol):
        """copy.deepcopy and pickle: a leaf comes back as a leaf of the same
        class and engine with a copy of its data, requires_grad and .grad.
        Like torch, a non-leaf is refused (its graph cannot be copied):
        ``.detach()`` it first. ``autograd_c.save``/``load`` do not pickle."""
        if self._node is not None:
            raise RuntimeError(
                f"only leaf tensors (created by the user, not by an op) can be copied or "
                f"pickled; this tensor of shape {tuple(self.shape)} has grad_fn "
                f"<{self._node.name}>: use .detach() to copy its data")
        cls = type(self)
        cls = cls.__dict__.get("_ag_user_class", cls)
        state = getattr(self, "__dict__", None) or None
        return (_rebuild_tensor, (cls, type(self)._engine.name, self.data, self._rg, self._grad,
                                  state))

    # -- autograd --------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph: bool = False,
                 inputs=None, *, grad=None) -> None:
        """Accumulate d(self)/d(leaf) * gradient into every leaf's ``.grad``.
        ``create_graph=True`` records the backward pass itself, so ``.grad``
        can be differentiated again (``retain_graph`` then defaults to True)."""
        if grad is not None:
            gradient = grad
        if inputs is not None:
            from .autograd import _backward_inputs
            _backward_inputs(self, gradient, retain_graph, create_graph, inputs)
            return
        self._engine.backward(self, gradient, bool(retain_graph), bool(create_graph))

    def register_hook(self, hook):
        """``hook(grad)`` runs when this tensor's gradient has been computed,
        before it is used or added to ``.grad``; it may return a replacement.
        Returns a handle whose ``remove()`` unregisters it."""
        from .hooks import register_hook
        return register_hook(self, hook)

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` after backward."""
        from .hooks import retain_grad
        retain_grad(self)

    @property
    def retains_grad(self) -> bool:
        from .hooks import _retained
        return self._node is not None and self._node in _retained

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(self)`` after each backward pass that updated
        ``self.grad`` (leaf tensors that require grad only). Returns a handle
        whose ``remove()`` unregisters the hook (see ``autograd_c.hooks``)."""
        from .hooks import register_post_accumulate_grad_hook
        return register_post_accumulate_grad_hook(self, hook)

    def __pos__(self) -> "Tensor":
        return self

    @property
    def T(self) -> "Tensor":
        """All dims reversed (a view)."""
        return _PROPERTIES["T"](self)

    @property
    def mT(self) -> "Tensor":
        """The last two dims swapped (a view)."""
        return _PROPERTIES["mT"](self)

    # comparisons: plain boolean tensors, never part of the graph
    def _compare(self, other, ufunc) -> "Tensor":
        other = other.data if isinstance(other, Tensor) else other
        out = ufunc(self.data, other)
        return type(self)(out, dtype=bool if out.dtype == bool else None)

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

    def __and__(self, other) -> "Tensor":
        return self._compare(other, np.bitwise_and)

    __rand__ = __and__

    def __or__(self, other) -> "Tensor":
        return self._compare(other, np.bitwise_or)

    __ror__ = __or__

    def __xor__(self, other) -> "Tensor":
        return self._compare(other, np.bitwise_xor)

    __rxor__ = __xor__

    def __invert__(self) -> "Tensor":
        return type(self)(np.invert(self.data))

    # -- in-place ops ----------------------------------------------------------
    def _inplace(self, op, ufunc, other) -> "Tensor":
        if (_gm.grad_enabled and (self._rg or (isinstance(other, Tensor) and other._rg))) \
                or _gm.fwd_ad is not None:
            return self._inplace_recorded(op, (other,), None)
        other_data = other.data if isinstance(other, Tensor) else other
        try:
            ufunc(self.data, other_data, out=self.data, casting="same_kind")
        except FloatingPointError:
            # np.errstate(...="raise"): numpy has already written the result
            self.mark_modified()
            raise
        except (ValueError, TypeError) as e:
            raise reworded(e, f"in-place {op.name}: tensor of shape {self.shape} and dtype "
                              f"{self.dtype} with operand of shape {np.shape(other_data)}: {e}") from None
        self.mark_modified()
        return self

    def _inplace_op(self, op, args, kw) -> "Tensor":
        """``self.<op>_(*args)``: the op's result written into this tensor's
        memory (aliases and views see it); recorded when a gradient can flow."""
        if (_gm.grad_enabled and (self._rg or any(isinstance(a, Tensor) and a._rg
                                                  for a in args))) or _gm.fwd_ad is not None:
            return self._inplace_recorded(op, args, kw)
        arrays = [a.data if isinstance(a, Tensor) else a for a in args]
        try:
            out = op.forward(self.data, *arrays, **(kw or {}))[0]
        except (ValueError, TypeError, IndexError) as e:
            raise reworded(e, f"in-place {op.name}_: tensor of shape {self.shape}: {e}") from None
        self._write(out, op)
        self.mark_modified()
        return self

    def _write(self, out, op) -> None:
        if np.shape(out) != self.data.shape:
            raise RuntimeError(f"in-place {op.name}_: output with shape {self.data.shape} "
                               f"doesn't match the broadcast shape {np.shape(out)}")
        try:
            np.copyto(self.data, out, casting="same_kind")
        except TypeError as e:
            raise TypeError(f"in-place {op.name}_: result type {np.asarray(out).dtype} can't be "
                            f"cast to the tensor's dtype {self.dtype}: {e}") from None

    def _inplace_recorded(self, op, args, kw) -> "Tensor":
        """In place, in the graph (as PyTorch): this tensor's memory gets the
        result, its history becomes the op (gradients flow through it to the
        old value and to ``args``), and its version is bumped, so a node that
        saved the old value raises if it is ever run."""
        if self._node is None and self._rg:
            raise RuntimeError(
                f"a leaf Variable that requires grad is being used in an in-place operation "
                f"({op.name}_ on a tensor of shape {self.shape}); wrap the update in "
                f"autograd_c.no_grad()")
        base = self._base
        if base is not None and base._rg:
            raise RuntimeError(
                f"in-place {op.name}_ on a view of a tensor that is part of the autograd graph "
                f"(view of shape {self.shape}) is not supported: write base[index] = value on "
                f"the tensor it views instead")
        r = self._engine.apply(op, (self, *args), kw)
        old = self.data
        if r.data.shape != old.shape:
            raise RuntimeError(f"in-place {op.name}_: output with shape {old.shape} doesn't "
                               f"match the broadcast shape {r.data.shape}")
        node = r._node
        if node is not None and 0 in node.op.saves:
            # the rule kept this tensor's memory; it gets a private copy of the
            # old value before the memory is overwritten
            self._engine.rebase_saved(node, self, old.copy())
        self._write(r.data, op)
        self.mark_modified()
        if node is not None:
            self._node = node
            self._rg = True
        if _gm.fwd_ad is not None:           # forward AD: the tangent moves in too
            from .autograd.forward_ad import _move_tangent
            _move_tangent(r, self)
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

    def __iadd__(self, other) -> "Tensor":  # noqa: D105
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
        """``t[index] = value``; on a tensor in the graph (or with a value
        that requires grad) recorded as ``index_put``: gradients reach both
        the old contents (outside ``index``) and ``value``."""
        if (_gm.grad_enabled and (self._rg or (isinstance(value, Tensor) and value._rg))) \
                or _gm.fwd_ad is not None:
            self._inplace_recorded(_ops.index_put, (value,), {"index": _index_data(index)})
            return
        index = _index_data(index)
        value = value.data if isinstance(value, Tensor) else value
        try:
            self.data[index] = value
        except (IndexError, ValueError, TypeError) as e:
            raise type(e)(f"setitem on tensor of shape {self.shape}: {e}") from None
        self.mark_modified()


def reworded(err: BaseException, msg: str) -> BaseException:
    """An exception like ``err`` carrying ``msg``. numpy raises subclasses of
    TypeError/ValueError whose constructors need other arguments; those are
    replaced by their nearest builtin base class."""
    cls = type(err)
    if cls.__module__ != "builtins":
        try:
            new = cls(msg)
            if str(new) == msg:
                return new
        except Exception:
            pass
        cls = next(k for k in cls.__mro__ if k.__module__ == "builtins")
    return cls(msg)


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


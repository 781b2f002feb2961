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

import builtins
from typing import TYPE_CHECKING, Any, Optional, Tuple, Union
from weakref import ref as _weakref

import numpy as np

from . import _views
from . import dtypes as _dtypes
from . import ops as _ops
from ._views import _PENDING
from .grad_mode import nondefault as _nondefault
from .grad_mode import state as _gm
from .ops import elementwise_logic as _logic
from .ops._helpers import result_type as _result_type
from .ops.composites import PROPERTIES as _PROPERTIES

__all__ = ["Tensor", "Size"]

_FLOAT_KINDS = "f"
_note_view = _PENDING.append
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


def _python_data(data) -> bool:
    """True when ``data`` is Python numbers (or nested lists/tuples of them),
    whose floats become the default dtype; False for numpy arrays and
    scalars and Tensors, which keep their dtype."""
    while isinstance(data, (list, tuple)):
        if not data:
            return True
        data = data[0]
    return not isinstance(data, (np.ndarray, np.generic, Tensor))


def _unwrap(data):
    """Lists/tuples holding Tensors: their values (as PyTorch's ``tensor([a, b])``
    reads them; no gradient flows through)."""
    if isinstance(data, Tensor):
        return data.data
    if isinstance(data, (list, tuple)) and any(isinstance(d, (Tensor, list, tuple)) for d in data):
        return [_unwrap(d) for d in data]
    return data


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
    """Array for a new tensor; rejects data numpy can only hold as objects.
    Python floats (and lists of them) become the default float dtype
    (``autograd_c.get_default_dtype()``, float32); numpy data keeps its dtype."""
    if isinstance(data, Tensor):
        data = data.data
    elif isinstance(data, (list, tuple)):
        data = _unwrap(data)
    if isinstance(data, (str, bytes)):
        raise TypeError(f"Tensor(): cannot build a tensor from {type(data).__name__} data")
    if dtype is not None:
        dtype = _dtypes.to_dtype(dtype, "Tensor()")
    try:
        arr = np.array(data, dtype=dtype, copy=copy) if copy else np.asarray(data, dtype=dtype)
    except (ValueError, TypeError) as e:
        raise TypeError(f"Tensor(): cannot convert {type(data).__name__} to an array: "
                        f"{e}") from None
    if arr.dtype.kind in "OUSV":
        raise TypeError(f"Tensor(): unsupported data of dtype {arr.dtype}; use numbers")
    if dtype is None and arr.dtype.kind in "fc" and arr.dtype.itemsize >= 8 \
            and _python_data(data):
        default = _dtypes._default[0]
        if arr.dtype.kind == "c":
            default = np.dtype(np.complex128 if default == np.float64 else np.complex64)
        if arr.dtype != default:
            arr = arr.astype(default)
    return arr


#: ufuncs whose result is piecewise constant (no gradient): computed on the
#: data, returned as Tensors that do not require grad
_NONDIFF_UFUNCS = frozenset([
    np.equal, np.not_equal, np.less, np.less_equal, np.greater, np.greater_equal,
    np.logical_and, np.logical_or, np.logical_xor, np.logical_not, np.isnan, np.isinf,
    np.isfinite, np.sign, np.bitwise_and, np.bitwise_or, np.bitwise_xor, np.invert,
    np.floor, np.ceil, np.trunc, np.rint, np.signbit])


class Size(tuple):
    """A tensor's shape (``torch.Size``): a tuple of ints; slicing and ``+``
    give Sizes; ``numel()`` is the product. ``repr``/``str`` print
    ``torch.Size([2, 3])`` as PyTorch does; formatted into an f-string it
    reads as the tuple ``(2, 3)``."""

    __slots__ = ()

    def numel(self) -> int:
        n = 1
        for d in self:
            n *= d
        return n

    def __getitem__(self, i):
        r = tuple.__getitem__(self, i)
        return Size(r) if isinstance(i, slice) else r

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))

    def __repr__(self) -> str:
        return f"torch.Size({list(self)})"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        # inside f-strings (error messages: "shape (2, 3)") a Size reads as the
        # plain tuple it is; print() and repr() show PyTorch's torch.Size([2, 3])
        return tuple.__repr__(self) if not spec else format(tuple(self), spec)


_EDGE = 3                   # PyTorch's print options: edgeitems, threshold, linewidth
_THRESHOLD = 1000
_LINEWIDTH = 80


def _summarized(data: np.ndarray) -> np.ndarray:
    """The values PyTorch shows of a large tensor: the first and last
    ``_EDGE`` along every dim."""
    for d in range(data.ndim):
        if data.shape[d] > 2 * _EDGE:
            idx = np.r_[0:_EDGE, data.shape[d] - _EDGE:data.shape[d]]
            data = np.take(data, idx, axis=d)
    return data


def _number_format(shown: np.ndarray):
    """A function printing one number as PyTorch's ``_Formatter`` does for
    the values ``shown``, and the width every number is padded to: floats
    with 4 decimals, whole floats as ``1.``, scientific notation when the
    values span more than 1000x (or pass 1e8, or fall under 1e-4)."""
    kind = shown.dtype.kind
    if kind != "f":
        strs = [str(v) for v in shown.ravel().tolist()]
        return str, builtins.max((len(x) for x in strs), default=1)
    values = shown.astype(np.float64).ravel()
    signed = values[np.isfinite(values) & (values != 0)]
    nonzero = np.abs(signed)
    whole = bool(np.all(signed == np.ceil(signed)))
    sci = False
    if nonzero.size:
        lo, hi = float(nonzero.min()), float(nonzero.max())
        sci = hi / lo > 1000.0 or hi > 1e8 or (not whole and lo < 1e-4)

    def one(v: float) -> str:
        if sci:
            return f"{v:.4e}"
        if whole:
            return f"{v:.0f}" + ("" if np.isinf(v) or np.isnan(v) else ".")
        return f"{v:.4f}"
    # (PyTorch measures the nonzero finite values only)
    width = builtins.max([1] + [len(one(float(v))) for v in signed])
    return one, width


def _tensor_body(data: np.ndarray, indent: int) -> str:
    """The nested-list part of PyTorch's tensor printing (not empty)."""
    summarize = data.size > _THRESHOLD
    one, width = _number_format(_summarized(data) if summarize else data)

    def num(v) -> str:
        text = one(v)
        return " " * (width - len(text)) + text

    def vector(row: np.ndarray, ind: int) -> str:
        items = row.tolist()
        if summarize and len(items) > 2 * _EDGE:
            cells = [num(v) for v in items[:_EDGE]] + [" ..."] + [num(v) for v in items[-_EDGE:]]
        else:
            cells = [num(v) for v in items]
        per_line = builtins.max(1, (_LINEWIDTH - ind) // (width + 2))
        lines = [", ".join(cells[k:k + per_line]) for k in range(0, len(cells), per_line)]
        return "[" + (",\n" + " " * (ind + 1)).join(lines) + "]"

    def block(a: np.ndarray, ind: int) -> str:
        if a.ndim == 0:
            return one(a.item())
        if a.ndim == 1:
            return vector(a, ind)
        if summarize and a.shape[0] > 2 * _EDGE:
            parts = [block(a[k], ind + 1) for k in range(_EDGE)] + ["..."] + \
                [block(a[k], ind + 1) for k in range(a.shape[0] - _EDGE, a.shape[0])]
        else:
            parts = [block(a[k], ind + 1) for k in range(a.shape[0])]
        return "[" + ("," + "\n" * (a.ndim - 1) + " " * (ind + 1)).join(parts) + "]"
    return block(data, indent)


_PREFIX = "tensor("


def _with_suffixes(body: str, suffixes: list) -> str:
    """``body`` followed by the ``name=value`` ``suffixes``, each on a new
    line (indented under the body) when it would pass 80 columns, as
    PyTorch places them."""
    # PyTorch counts the last line as 2 longer than it is (len - rfind("\n") + 1)
    last = len(body.rsplit("\n", 1)[-1]) + (len(_PREFIX) if "\n" not in body else 0) + 2
    out = [body]
    for suffix in suffixes:
        if last + len(suffix) + 2 > _LINEWIDTH:
            out.append(",\n" + " " * len(_PREFIX) + suffix)
            last = len(_PREFIX) + len(suffix)
        else:
            out.append(", " + suffix)
            last += len(suffix) + 2
    return "".join(out)


class Tensor:
    """An n-dimensional array that records the operations applied to it.

    ``Tensor(data, requires_grad=False, dtype=None)`` copies ``data`` into a
    numpy array. A numpy array keeps its dtype (unlike PyTorch's legacy
    ``torch.Tensor(...)``, which always makes float32: float64 numpy code
    stays float64); Python floats and lists of them become the default float
    dtype (float32, see ``autograd_c.set_default_dtype``), Python ints int64.
    """

    if TYPE_CHECKING:
        # what mypy must know but cannot see: the storage slots live on each
        # engine's concrete subclass, and the op methods (reshape, clone,
        # astype...) are generated by _surface at import
        __slots__ = ("data", "_rg", "_node", "_grad", "_version", "_base")
        data: np.ndarray
        _rg: builtins.bool
        _node: Any
        _grad: Optional[Tensor]
        _version: int
        _base: Optional[Tensor]

        def __getattr__(self, name: str) -> Any: ...
    else:
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
    def shape(self) -> Size:
        """The shape, a ``Size`` (a tuple of ints), as ``size()``."""
        return Size(self.data.shape)

    def size(self, dim: Optional[int] = None):
        """``size()``: the shape as a ``Size``; ``size(dim)``: that dim's length.
        (numpy's ``.size``, the element count, is ``numel()``.)"""
        shape = self.data.shape
        if dim is None:
            return Size(shape)
        nd = len(shape)
        if not -max(nd, 1) <= dim < max(nd, 1) or isinstance(dim, bool):
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[{-max(nd, 1)}, {max(nd, 1) - 1}], but got {dim})")
        return shape[dim] if nd else 1

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    def dim(self) -> int:
        """The number of dims (``ndim``)."""
        return self.data.ndim

    ndimension = dim

    def numel(self) -> int:
        """The number of elements."""
        return self.data.size

    nelement = numel

    @property
    def device(self) -> "_dtypes.device":
        """Always ``device(type='cpu')``."""
        return _dtypes.CPU

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def is_cpu(self) -> bool:
        return True

    def get_device(self) -> int:
        """-1: a CPU tensor (as PyTorch)."""
        return -1

    def is_floating_point(self) -> bool:
        return self.data.dtype.kind == "f"

    def is_complex(self) -> bool:
        return self.data.dtype.kind == "c"

    def element_size(self) -> int:
        """Bytes per element."""
        return self.data.itemsize

    @property
    def itemsize(self) -> int:
        return self.data.itemsize

    @property
    def nbytes(self) -> int:
        return self.data.nbytes

    def stride(self, dim: Optional[int] = None):
        """Strides in elements (``stride(dim)``: one of them)."""
        st = tuple(x // self.data.itemsize for x in self.data.strides)
        return st if dim is None else st[dim]

    def is_contiguous(self, memory_format=None) -> bool:
        return bool(self.data.flags.c_contiguous)

    def contiguous(self, memory_format=None) -> "Tensor":
        """``self`` when already C-contiguous, else a contiguous copy that
        stays in the graph."""
        if self.data.flags.c_contiguous:
            return self
        shape = self.data.shape
        flat = _ops.reshape(self, shape=(-1,))      # a copy, in C order
        return _ops.reshape(flat, shape=shape)

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
            root = src if src._base is None else src._base
            self._base = root
            if (src._base is None or src._rg) and (not _nondefault[0] or _gm._grad_enabled):
                # a differentiable view: in-place on it rebases the root's
                # history, as PyTorch's CopySlices (see _views). Not a view
                # of a detach() (nor of a view outside the graph, a rare
                # case left out so that detach() stays cheap)
                _note_view(_weakref(self))
                if len(_PENDING) > 1024:
                    _views.flush()
        return self

    # -- conversion ----------------------------------------------------------
    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The data as a numpy array sharing this tensor's memory. A tensor that
        requires grad refuses (as PyTorch: the array would silently leave the
        graph); use ``t.detach().numpy()``, or ``force=True`` (a copy)."""
        if self._rg:
            if force:
                return self.data.copy()
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        return self.data

    def __array__(self, dtype=None, copy=None):
        if self._rg:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        if dtype is not None and dtype != self.data.dtype:
            if copy is False:
                raise ValueError(f"__array__: converting to {dtype} needs a copy, but "
                                 f"copy=False was given")
            return np.asarray(self.data).astype(dtype)
        data = self.data
        if type(data) is not np.ndarray:     # a 0-d result numpy gave as a scalar
            return np.array(data)
        return data.copy() if copy else data

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

    # -- dtype / device conversion -------------------------------------------
    def to(self, *args, **kwargs) -> "Tensor":
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``
        (``other``'s dtype), with ``dtype=``/``device=``/``copy=``/
        ``non_blocking=`` keywords, as PyTorch. Returns ``self`` when nothing
        changes (unless ``copy=True``). Between float dtypes the cast is
        differentiable; to an integer or bool dtype the result leaves the graph."""
        dtype = kwargs.pop("dtype", None)
        dev = kwargs.pop("device", None)
        copy = bool(kwargs.pop("copy", False))
        kwargs.pop("non_blocking", None)
        kwargs.pop("memory_format", None)
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        flags = []
        for a in args:
            if isinstance(a, bool):             # to(..., non_blocking, copy)
                flags.append(a)
            elif flags:
                raise TypeError("to(): a dtype or device after non_blocking/copy")
            elif isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, (str, _dtypes.device, int)) and not (
                    isinstance(a, str) and a.replace("torch.", "") in _dtypes._BY_NAME):
                dev = a
            else:
                dtype = a
        if len(flags) > 2 or len(args) - len(flags) > 2:
            raise TypeError(f"to() received an invalid combination of arguments: {args!r}")
        if len(flags) == 2:
            copy = copy or flags[1]
        if dev is not None:
            _dtypes.check_device(dev, "to()")
        if dtype is None:
            return self.clone() if copy else self
        return self._cast(_dtypes.to_dtype(dtype, "to()"), copy)

    def _cast(self, dtype: np.dtype, copy: bool = False) -> "Tensor":
        if dtype == self.data.dtype:
            return self.clone() if copy else self
        if dtype.kind in "fc" and self.data.dtype.kind in "fc":
            return _ops.astype(self, dtype=dtype)        # recorded: differentiable
        return _result_type(self)(self.data.astype(dtype))      # leaves the graph, as PyTorch

    def type(self, dtype=None, non_blocking: bool = False):
        """``type()``: the tensor type name (``'torch.FloatTensor'``...);
        ``type(dtype)``: ``to(dtype)``."""
        if dtype is None:
            return "torch." + _TYPE_NAMES.get(self.data.dtype.name, self.data.dtype.name)
        if isinstance(dtype, str) and dtype.startswith("torch.") and dtype.endswith("Tensor"):
            rev = {v: k for k, v in _TYPE_NAMES.items()}
            dtype = rev.get(dtype[6:], dtype)
        return self._cast(_dtypes.to_dtype(dtype, "type()"))

    def type_as(self, other: "Tensor") -> "Tensor":
        """``to(other.dtype)``."""
        return self._cast(np.dtype(other.dtype))

    def float(self) -> "Tensor":  # noqa: A003
        return self._cast(_dtypes.float32)

    def double(self) -> "Tensor":
        return self._cast(_dtypes.float64)

    def half(self) -> "Tensor":
        return self._cast(_dtypes.float16)

    def long(self) -> "Tensor":
        return self._cast(_dtypes.int64)

    def int(self) -> "Tensor":  # noqa: A003
        return self._cast(_dtypes.int32)

    def short(self) -> "Tensor":
        return self._cast(_dtypes.int16)

    def char(self) -> "Tensor":
        return self._cast(_dtypes.int8)

    def byte(self) -> "Tensor":
        return self._cast(_dtypes.uint8)

    def bool(self) -> "Tensor":  # noqa: A003
        return self._cast(_dtypes.bool_)

    def cpu(self, memory_format=None) -> "Tensor":
        """``self``: tensors live on the CPU."""
        return self

    def cuda(self, device=None, non_blocking: builtins.bool = False,
             memory_format=None) -> "Tensor":
        """Always raises: autograd_c has no GPU support."""
        raise RuntimeError("cuda(): autograd_c runs on the CPU only (numpy); there is no CUDA "
                           "device. Keep tensors on device='cpu'")

    # -- new tensors like this one (same dtype, unless dtype= is given) -------
    def _new(self, arr, dtype, device, requires_grad) -> "Tensor":
        _dtypes.check_device(device, "new tensor")
        d = self.data.dtype if dtype is None else _dtypes.to_dtype(dtype)
        return _engine_of(self).Tensor(arr if arr.dtype == d else arr.astype(d),
                                       requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
                  pin_memory=False) -> "Tensor":
        return self._new_filled(size, 0, "new_zeros", dtype, device, requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
                 pin_memory=False) -> "Tensor":
        return self._new_filled(size, 1, "new_ones", dtype, device, requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
                  pin_memory=False) -> "Tensor":
        return self._new_filled(size, None, "new_empty", dtype, device, requires_grad)

    def _new_filled(self, size, value, who, dtype, device, requires_grad) -> "Tensor":
        d = self.data.dtype if dtype is None else _dtypes.to_dtype(dtype, who)
        shape = _sizes(size, who)
        arr = np.empty(shape, dtype=d) if value is None else np.full(shape, value, dtype=d)
        return self._new(arr, dtype, device, requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False,
                 layout=None, pin_memory=False) -> "Tensor":
        if isinstance(fill_value, Tensor):
            fill_value = fill_value.item()
        d = self.data.dtype if dtype is None else _dtypes.to_dtype(dtype)
        return self._new(np.full(_sizes((size,), "new_full"), fill_value, dtype=d), dtype,
                         device, requires_grad)

    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False, layout=None,
                   pin_memory=False) -> "Tensor":
        """A copy of ``data`` (detached), with this tensor's dtype unless ``dtype``."""
        d = self.data.dtype if dtype is None else _dtypes.to_dtype(dtype)
        return self._new(to_array(data, d), dtype, device, requires_grad)

    # -- in-place fills --------------------------------------------------------
    def _check_inplace_leaf(self, who: str) -> None:
        if self._rg and _gm._grad_enabled and self._node is None:
            raise RuntimeError(f"{who}: a leaf Variable that requires grad is being used in an "
                               f"in-place operation (shape {tuple(self.shape)}); wrap it in "
                               f"autograd_c.no_grad()")
        if self._rg and _gm._grad_enabled:
            raise RuntimeError(f"{who}: in-place change of a tensor that is part of the "
                               f"autograd graph (shape {tuple(self.shape)}) is not supported; "
                               f"use the out-of-place op")

    def fill_(self, value) -> "Tensor":
        """Set every element to ``value`` (a number or a one-element tensor);
        in the graph (as PyTorch) when this tensor is in it or ``value``
        requires grad."""
        if isinstance(value, Tensor):
            if value.data.size != 1:
                raise RuntimeError(f"fill_() only supports 0-dimension value tensor but got "
                                   f"tensor with {value.data.ndim} dimensions")
            if (_gm._grad_enabled and (self._rg or value._rg)) or _gm.fwd_ad is not None:
                return self._inplace_recorded(_ops.index_put, (_ops.reshape(value, shape=()),),
                                              {"index": Ellipsis}, "fill_")
            value = value.data.reshape(())
        elif (_gm._grad_enabled and self._rg) or _gm.fwd_ad is not None:
            return self._inplace_recorded(
                _ops.index_put, (np.asarray(value, dtype=self.data.dtype),),
                {"index": Ellipsis}, "fill_")
        self.data[...] = value
        self.mark_modified()
        return self

    def _fill_random(self, who: str, draw) -> "Tensor":
        self._check_inplace_leaf(who)
        if self.data.dtype.kind != "f":
            raise RuntimeError(f"{who}: needs a floating point tensor, got {self.data.dtype}")
        np.copyto(self.data, draw(self.data.shape), casting="unsafe")
        self.mark_modified()
        return self

    def uniform_(self, from_: builtins.float = 0.0, to: builtins.float = 1.0, *,
                 generator=None) -> "Tensor":
        """Fill with uniform samples on [from_, to) (``generator=`` or the
        default generator)."""
        from .random import _numpy_rng
        rng = _numpy_rng(generator, "uniform_")
        return self._fill_random("uniform_", lambda shape: rng.uniform(from_, to, shape))

    def normal_(self, mean: builtins.float = 0.0, std: builtins.float = 1.0, *,
                generator=None) -> "Tensor":
        """Fill with normal samples (``generator=`` or the default generator)."""
        from .random import _numpy_rng
        rng = _numpy_rng(generator, "normal_")
        return self._fill_random("normal_", lambda shape: rng.normal(mean, std, shape))

    def copy_(self, src, non_blocking: builtins.bool = False) -> "Tensor":
        """Copy ``src`` (broadcast to this shape, converted to this dtype) into
        this tensor's memory; in the graph (as PyTorch) when this tensor is in
        it or ``src`` requires grad (the gradient reaches ``src``, summed over
        the broadcast dims)."""
        if (_gm._grad_enabled and (self._rg or (isinstance(src, Tensor) and src._rg))) \
                or _gm.fwd_ad is not None:
            if isinstance(src, Tensor) and src.dtype != self.dtype:
                src = src.to(self.dtype)
            return self._inplace_recorded(_ops.index_put, (src,), {"index": Ellipsis}, "copy_")
        arr = src.data if isinstance(src, Tensor) else np.asarray(src)
        try:
            np.copyto(self.data, np.broadcast_to(arr, self.data.shape), casting="unsafe")
        except ValueError as e:
            raise RuntimeError(f"copy_(): cannot copy a tensor of shape {tuple(arr.shape)} into "
                               f"one of shape {tuple(self.data.shape)}: {e}") from None
        self.mark_modified()
        return self

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
            return _result_type(self)(ufunc(*arrays))
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
        """PyTorch's printing: floats with 4 decimals (``1.5000``), whole floats
        as ``1.``, scientific notation when the values span more than 1000x
        (or pass 1e8, or fall under 1e-4), all numbers padded to one width;
        lines of 80; an empty tensor shows its size and any dtype but the
        default float."""
        data = self.data
        dt = data.dtype
        suffixes = []
        if data.size == 0:
            body = "[]"
            if data.shape != (0,):
                suffixes.append(f"size={tuple(data.shape)}")
            if dt != _dtypes._default[0]:
                suffixes.append(f"dtype=torch.{dt}")
        else:
            body = _tensor_body(data, len(_PREFIX))
            if dt != _dtypes._default[0] and dt.name not in ("int64", "bool"):
                suffixes.append(f"dtype=torch.{dt}")
        if self._node is not None:
            suffixes.append(f"grad_fn=<{self._node.name}>")
        elif self._rg:
            suffixes.append("requires_grad=True")
        return _PREFIX + _with_suffixes(body, suffixes) + ")"

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
    def backward(self, gradient=None, retain_graph=None, create_graph: builtins.bool = False,
                 inputs=None, *, grad=None) -> None:
        """Accumulate d(self)/d(leaf) * gradient into every leaf's ``.grad``.
        ``create_graph=True`` records the backward pass itself, so ``.grad``
        can be differentiated again (``retain_graph`` then defaults to True).

        A pass that raises (a version error, an exception in a hook or a custom
        Function, Ctrl-C) writes no ``.grad``. As in PyTorch, the nodes it ran
        before the error have freed their saved values unless ``retain_graph``
        was set; which nodes those are depends on the order of the pass, which
        is not PyTorch's order node for node."""
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
    def retains_grad(self) -> builtins.bool:
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

    # bitwise operators: plain tensors, never part of the graph
    def _compare(self, other, ufunc) -> "Tensor":
        # in PyTorch's common dtype (float32 vs a 0-d float64 compares in float32)
        a, other = _dtypes.compare_operands(self, other)
        out = ufunc(a, other)
        return _result_type(self)(out, dtype=bool if out.dtype == bool else None)

    # comparisons: the op table's (PyTorch's common dtype, a bool Tensor)
    def __lt__(self, other) -> "Tensor":
        return _logic.lt(self, other)

    def __le__(self, other) -> "Tensor":
        return _logic.le(self, other)

    def __gt__(self, other) -> "Tensor":
        return _logic.gt(self, other)

    def __ge__(self, other) -> "Tensor":
        return _logic.ge(self, other)

    def __eq__(self, other) -> "Tensor":  # type: ignore[override]
        return _logic.eq(self, other)

    def __ne__(self, other) -> "Tensor":  # type: ignore[override]
        return _logic.ne(self, other)

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
        return _result_type(self)(np.invert(self.data))

    # -- in-place ops ----------------------------------------------------------
    def _inplace(self, op, ufunc, other) -> "Tensor":
        if (_gm._grad_enabled and (self._rg or (isinstance(other, Tensor) and other._rg))) \
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
                              f"{self.dtype} with operand of shape {np.shape(other_data)}: {e}") from None  # noqa: E501
        self.mark_modified()
        return self

    def _inplace_op(self, op, args, kw) -> "Tensor":
        """``self.<op>_(*args)``: the op's result written into this tensor's
        memory (aliases and views see it); recorded when a gradient can flow."""
        if (_gm._grad_enabled and (self._rg or any(isinstance(a, Tensor) and a._rg
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

    def _inplace_recorded(self, op, args, kw, who=None) -> "Tensor":
        """In place, in the graph (as PyTorch): this tensor's memory gets the
        result, its history becomes the op (gradients flow through it to the
        old value and to ``args``), and its version is bumped, so a node that
        saved the old value raises if it is ever run. On a view, its base's
        history is rebased too (``_views``); views of this tensor become views
        of its new history."""
        if self._node is None and self._rg and _gm._grad_enabled:
            raise RuntimeError(
                f"a leaf Variable that requires grad is being used in an in-place operation "
                f"({who or op.name + '_'} on a tensor of shape {self.shape}); wrap the update "
                f"in autograd_c.no_grad()")
        base = self._base
        if base is not None and _views.is_view_of(self, base):
            return _views.inplace_on_view(self, op, args, kw, who)
        r = _views.apply_inplace(self, op, args, kw, who or op.name + "_")
        node = r._node
        self._write(r.data, op)
        self.mark_modified()
        if node is not None:
            self._node = node
            self._rg = True
        if _gm.fwd_ad is not None:           # forward AD: the tangent moves in too
            from .autograd.forward_ad import _move_tangent
            _move_tangent(r, self)
        if (_PENDING or _views._VIEWS) and _views.has_views(self):
            _views.refresh_views(self)
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
        """Set every element to 0 (in the graph when this tensor is: its
        gradient is then zero, as PyTorch's)."""
        if (_gm._grad_enabled and self._rg) or _gm.fwd_ad is not None:
            return self._inplace_recorded(_ops.index_put, (np.zeros((), self.data.dtype),),
                                          {"index": Ellipsis}, "zero_")
        self.data[...] = 0
        self.mark_modified()
        return self

    def __setitem__(self, index, value) -> None:
        """``t[index] = value``; on a tensor in the graph (or with a value
        that requires grad) recorded as ``index_put``: gradients reach both
        the old contents (outside ``index``) and ``value``."""
        if (_gm._grad_enabled and (self._rg or (isinstance(value, Tensor) and value._rg))) \
                or _gm.fwd_ad is not None:
            self._inplace_recorded(_ops.index_put, (value,), {"index": _index_data(index)},
                                   "setitem")
            return
        index = _index_data(index)
        value = value.data if isinstance(value, Tensor) else value
        try:
            self.data[index] = value
        except (IndexError, ValueError, TypeError) as e:
            raise type(e)(f"setitem on tensor of shape {self.shape}: {e}") from None
        self.mark_modified()


_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
               "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor",
               "int8": "CharTensor", "uint8": "ByteTensor", "bool": "BoolTensor",
               "complex64": "ComplexFloatTensor", "complex128": "ComplexDoubleTensor"}


def _engine_of(t):
    return type(t)._engine


def _sizes(size, who: str) -> tuple:
    """``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])``, ``f(Size)`` -> (2, 3)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, Tensor) and s.data.ndim == 0 and s.data.dtype.kind in "iu":
            s = int(s.data)
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
            raise TypeError(f"{who}(): size must be a tuple of ints, but got {size!r}")
        if s < 0:
            raise RuntimeError(f"{who}(): Trying to create tensor with negative dimension {s}: "
                               f"{list(size)}")
        out.append(int(s))
    return tuple(out)


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


_dtypes._register_tensor(Tensor)

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


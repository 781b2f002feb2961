"""``Module`` and ``Parameter``: PyTorch-style containers for trainable state.

A module finds its parameters and sub-modules by looking at its attributes:
a ``Parameter``, a ``Module``, or a Python list/tuple of them (a plain list,
a ``ModuleList`` or a ``Sequential``) assigned to ``self`` is registered, and
named with dotted paths as in PyTorch (``0.weight``, ``layers.1.bias``).
Because the lookup is done when asked, appending to such a list later also
registers the new entries. Buffers (``register_buffer``) are kept in
``_buffers``, as torch: persistent ones are in the ``state_dict``.

Containers (``ModuleList``, ``Sequential``, ``ModuleDict``,
``ParameterList``, ``ParameterDict``) are in ``nn/container.py``.
"""
from __future__ import annotations

import copy
import itertools
from collections import OrderedDict, namedtuple
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import numpy as np

from .. import _tensor
from .._tensor import Tensor

__all__ = ["Parameter", "Module", "StateDictError", "RemovableHandle", "Buffer"]


class Parameter(_tensor.Tensor):
    """A tensor that is a model parameter: a leaf that requires grad by default.

    ``Parameter(data, requires_grad=True)`` copies ``data`` (an array, list or
    Tensor) and builds it on the active engine; ``isinstance(p, Parameter)``
    and ``isinstance(p, autograd_c.Tensor)`` both hold.
    """

    __slots__ = ()
    _is_parameter = True     # non-differentiable results are plain Tensors (ops._helpers)

    def __new__(cls, *args, **kwargs):
        if cls is Parameter:
            from .. import engines
            cls = _parameter_class(engines.current)
        elif cls._engine is None:       # a user subclass of Parameter
            from .. import engines
            cls = _tensor.concrete_subclass(cls, _parameter_class(engines.current))
        return cls._raw_new(cls)

    def __init__(self, data=None, requires_grad: bool = True, dtype=None):
        if data is None:
            data = np.zeros((0,))
        _tensor.Tensor.__init__(self, data, requires_grad=requires_grad, dtype=dtype)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + _tensor.Tensor.__repr__(self)



_PARAM_CLASSES: Dict[str, type] = {}


def _parameter_class(engine) -> type:
    """The engine's concrete Parameter class (engine Tensor + Parameter)."""
    cls = _PARAM_CLASSES.get(engine.name)
    if cls is None:
        # the first non-API base (TensorBase for the compiled engine, object
        # for the Python one) allocates the instance
        base = next(k for k in engine.Tensor.__mro__ if not issubclass(k, _tensor.Tensor))
        cls = type("Parameter", (engine.Tensor, Parameter),
                   {"__slots__": (), "__module__": __name__, "_ag_user_class": Parameter,
                    "_raw_new": staticmethod(lambda c, _b=base: _b.__new__(c))})
        adopt = getattr(engine, "_adopt_subclass", None)
        if adopt is not None:           # the compiled engine: C operator slots, no GC
            cls = adopt(cls)
        _PARAM_CLASSES[engine.name] = cls
    return cls


class Buffer:
    """``nn.Buffer(tensor, persistent=True)``: assigning one to a module
    attribute registers the tensor as a buffer (torch 2.5+)."""

    def __init__(self, data=None, *, persistent: bool = True):
        self.data = data if data is None or isinstance(data, Tensor) else Tensor(data)
        self.persistent = persistent


class StateDictError(RuntimeError):
    """``load_state_dict`` found missing, unexpected or mis-shaped entries."""


class _IncompatibleKeys(namedtuple("_IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """``load_state_dict``'s result, as torch's: ``(missing_keys, unexpected_keys)``."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class RemovableHandle:
    """Returned by the ``register_*_hook`` methods: ``.remove()`` (or leaving
    a ``with`` block) unregisters the hook."""

    _ids = itertools.count()

    def __init__(self, hooks_dict) -> None:
        self.hooks_dict = hooks_dict
        self.id = next(RemovableHandle._ids)

    def remove(self) -> None:
        self.hooks_dict.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def _array_of(value, who, key):
    """A state-dict value as an ndarray (ours, torch's, numpy, lists)."""
    if isinstance(value, Tensor):
        return value.data
    if hasattr(value, "detach") and hasattr(value, "numpy"):       # a torch tensor
        return value.detach().cpu().numpy()
    try:
        return np.asarray(value)
    except Exception as e:
        raise StateDictError(f"{who}: entry {key!r} is not an array ({type(value).__name__})"
                             ) from e


def _fmt_shape(shape) -> str:
    return str(tuple(shape))


class Module:
    """Base class of all layers. Subclasses set attributes in ``__init__`` and
    define ``forward``; calling the module runs the forward pre-hooks,
    ``forward``, the forward hooks, and wires the backward hooks."""

    training: bool = True   # class default, so subclasses need not call __init__
    _version: int = 1

    def __init__(self, *args, **kwargs) -> None:
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got unexpected arguments")
        d = self.__dict__
        d["training"] = True
        d["_buffers"] = OrderedDict()
        d["_non_persistent_buffers_set"] = set()

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"Module [{type(self).__name__}] is missing the required "
                                  f"\"forward\" function")

    # -- attributes ------------------------------------------------------------
    def _bufs(self) -> "OrderedDict[str, Any]":
        d = self.__dict__
        b = d.get("_buffers")
        if b is None:
            b = d["_buffers"] = OrderedDict()
            d["_non_persistent_buffers_set"] = set()
        return b

    def __getattr__(self, name):
        d = self.__dict__
        bufs = d.get("_buffers")
        if bufs is not None and name in bufs:
            return bufs[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __setattr__(self, name, value) -> None:
        d = self.__dict__
        if isinstance(value, Buffer):
            d.pop(name, None)
            self.register_buffer(name, value.data, persistent=value.persistent)
            return
        bufs = d.get("_buffers")
        if bufs is not None and name in bufs:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                f"(Tensor or None expected)")
            bufs[name] = value
            return
        old = d.get(name)
        if isinstance(old, Parameter) and value is not None and isinstance(value, Tensor) \
                and not isinstance(value, Parameter):
            raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                            f"(Parameter or None expected)")
        object.__setattr__(self, name, value)

    def __delattr__(self, name) -> None:
        bufs = self.__dict__.get("_buffers")
        if bufs is not None and name in bufs:
            del bufs[name]
            self.__dict__.get("_non_persistent_buffers_set", set()).discard(name)
        else:
            object.__delattr__(self, name)

    def __dir__(self):
        return list(super().__dir__()) + list(self.__dict__.get("_buffers", {}))

    def register_buffer(self, name: str, tensor, persistent: bool = True) -> None:
        """Register ``tensor`` (a Tensor, an array, or None) as buffer ``name``:
        not a parameter, moved by ``.to(dtype)``, in the ``state_dict`` when
        ``persistent``."""
        if not isinstance(name, str):
            raise TypeError(f"buffer name should be a string. Got {type(name).__name__}")
        if "." in name or name == "":
            raise KeyError(f"buffer name can't contain \".\" or be empty, got {name!r}")
        bufs = self._bufs()
        if name in self.__dict__ and name not in bufs:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            if isinstance(tensor, np.ndarray):
                tensor = Tensor(tensor)
            else:
                raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer "
                                f"'{name}' (Tensor or None required)")
        bufs[name] = tensor
        nps = self.__dict__["_non_persistent_buffers_set"]
        if persistent:
            nps.discard(name)
        else:
            nps.add(name)

    def register_parameter(self, name: str, param: Optional[Parameter]) -> None:
        if "." in name or name == "":
            raise KeyError(f"parameter name can't contain \".\" or be empty, got {name!r}")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter "
                            f"'{name}' (Parameter or None required)")
        if name in self._bufs():
            raise KeyError(f"attribute '{name}' already exists")
        object.__setattr__(self, name, param)

    def add_module(self, name: str, module: Optional["Module"]) -> None:
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        if not isinstance(name, str) or "." in name or name == "":
            raise KeyError(f"module name can't contain \".\" or be empty, got {name!r}")
        object.__setattr__(self, name, module)

    register_module = add_module

    # -- registration ------------------------------------------------------
    def _members(self) -> List[Tuple[str, object]]:
        """Own (name, Parameter or Module) pairs in attribute order."""
        out: List[Tuple[str, object]] = []
        for name, value in vars(self).items():
            if isinstance(value, (Parameter, Module)):
                out.append((name, value))
            elif isinstance(value, (list, tuple)):
                for i, v in enumerate(value):
                    if isinstance(v, (Parameter, Module)):
                        out.append((f"{name}.{i}", v))
        return out

    @property
    def _parameters(self) -> "OrderedDict[str, Parameter]":
        return OrderedDict((n, p) for n, p in self._members() if isinstance(p, Parameter))

    @property
    def _modules(self) -> "OrderedDict[str, Module]":
        return OrderedDict((n, m) for n, m in self._members() if isinstance(m, Module))

    def named_children(self) -> Iterator[Tuple[str, "Module"]]:
        seen = set()
        for name, m in self._members():
            if isinstance(m, Module) and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self) -> Iterator["Module"]:
        for _, m in self.named_children():
            yield m

    def named_modules(self, memo=None, prefix: str = "", remove_duplicate: bool = True
                      ) -> Iterator[Tuple[str, "Module"]]:
        if isinstance(memo, str):           # named_modules(prefix) as this package had it
            memo, prefix = None, memo
        seen = set() if memo is None else memo

        def walk(mod, pre):
            if remove_duplicate:
                if id(mod) in seen:
                    return
                seen.add(id(mod))
            yield pre, mod
            for name, child in mod._members():
                if isinstance(child, Module):
                    yield from walk(child, f"{pre}.{name}" if pre else name)

        yield from walk(self, prefix)

    def modules(self) -> Iterator["Module"]:
        for _, m in self.named_modules():
            yield m

    def _named_members(self, get, prefix, recurse, remove_duplicate):
        seen = set()
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) \
            if recurse else [(prefix, self)]
        for mod_name, mod in mods:
            for name, v in get(mod):
                if v is None:
                    continue
                if remove_duplicate:
                    if id(v) in seen:
                        continue
                    seen.add(id(v))
                yield (f"{mod_name}.{name}" if mod_name else name), v

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[Tuple[str, Parameter]]:
        """(dotted name, parameter) pairs: own parameters first, then each
        child's; a parameter shared by several modules is listed once."""
        return self._named_members(
            lambda m: [(n, p) for n, p in m._members() if isinstance(p, Parameter)],
            prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[Tuple[str, Tensor]]:
        return self._named_members(lambda m: list(m.__dict__.get("_buffers", {}).items()),
                                   prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target: str) -> "Module":
        if target == "":
            return self
        mod = self
        for item in target.split("."):
            sub = dict(mod._members()).get(item)
            if not isinstance(sub, Module):
                raise AttributeError(f"{type(mod).__name__} has no attribute `{item}`")
            mod = sub
        return mod

    def get_parameter(self, target: str) -> Parameter:
        mod_path, _, name = target.rpartition(".")
        p = dict(self.get_submodule(mod_path)._members()).get(name)
        if not isinstance(p, Parameter):
            raise AttributeError(f"`{name}` is not an nn.Parameter")
        return p

    def get_buffer(self, target: str) -> Tensor:
        mod_path, _, name = target.rpartition(".")
        bufs = self.get_submodule(mod_path).__dict__.get("_buffers", {})
        if name not in bufs:
            raise AttributeError(f"`{name}` is not a buffer")
        return bufs[name]

    # -- modes, gradients, dtype -------------------------------------------------
    def train(self, mode: bool = True) -> "Module":
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for m in self.modules():
            m.training = mode
        return self

    def eval(self) -> "Module":
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's ``.grad``: to None (the default, as torch),
        or to zeros in place with ``set_to_none=False``."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                g = p.grad
                if g.grad_fn is not None:
                    p.grad = g.detach()
                    g = p.grad
                g.data[...] = 0
                g.mark_modified()

    def apply(self, fn: Callable[["Module"], None]) -> "Module":
        """``fn`` on every submodule (children first), then on ``self``."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def _apply_arrays(self, convert: Callable[[np.ndarray], np.ndarray]) -> "Module":
        """Convert every floating parameter and buffer (and gradient) array in
        place of the same Tensor objects (optimizers keep their references)."""
        for t in itertools.chain(self.parameters(), self.buffers()):
            if t.data.dtype.kind != "f":
                continue
            new = convert(t.data)
            if new is not t.data:
                t.data = new  # type: ignore[misc]
                if t.grad is not None:
                    t.grad = type(t.grad)(convert(t.grad.data))
        return self

    def to(self, *args, **kwargs) -> "Module":
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``,
        ``to(tensor)``, ``to(dtype=...)``: floating parameters and buffers are
        converted (integer ones, e.g. ``num_batches_tracked``, are kept).
        Only the "cpu" device exists."""
        dtype = kwargs.pop("dtype", None)
        device = kwargs.pop("device", None)
        kwargs.pop("non_blocking", None)
        kwargs.pop("copy", None)
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, str) and _is_device(a):
                device = a
            elif a is not None:
                dtype = a
        if device is not None:
            _check_device(device)
        if dtype is None:
            return self
        dt = np.dtype(getattr(dtype, "numpy_dtype", dtype))
        if dt.kind != "f":
            raise TypeError(f"nn.Module.to only accepts floating point dtypes, but got "
                            f"desired dtype={dt}")
        return self._apply_arrays(lambda a: a if a.dtype == dt else a.astype(dt))

    def double(self) -> "Module":
        return self.to(np.float64)

    def float(self) -> "Module":
        return self.to(np.float32)

    def half(self) -> "Module":
        return self.to(np.float16)

    def cpu(self) -> "Module":
        return self

    def cuda(self, device=None) -> "Module":
        raise RuntimeError("autograd_c runs on the CPU only (no CUDA)")

    def type(self, dst_type) -> "Module":
        return self.to(dst_type)

    # -- hooks -------------------------------------------------------------------
    def _hooks(self, kind: str) -> "OrderedDict[int, Any]":
        d = self.__dict__
        h = d.get(kind)
        if h is None:
            h = d[kind] = OrderedDict()
        return h

    def _register(self, kind, hook, prepend, extra=None):
        hooks = self._hooks(kind)
        handle = RemovableHandle(hooks)
        hooks[handle.id] = (hook, extra)
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_pre_hook(self, hook, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """``hook(module, args)`` (or ``hook(module, args, kwargs)`` with
        ``with_kwargs``) before ``forward``; a non-None result replaces the
        args (a single value is wrapped in a tuple)."""
        return self._register("_forward_pre_hooks", hook, prepend, with_kwargs)

    def register_forward_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """``hook(module, args, output)`` (``hook(module, args, kwargs,
        output)`` with ``with_kwargs``) after ``forward``; a non-None result
        replaces the output."""
        return self._register("_forward_hooks", hook, prepend, with_kwargs)

    def register_full_backward_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """``hook(module, grad_input, grad_output)`` once the gradients with
        respect to the module's inputs are computed (tuples, None for inputs
        that do not require grad); a non-None result replaces ``grad_input``.
        Implemented with identity ``Function``s around the inputs and the
        outputs. With several tensor inputs, a replacement applies to the
        gradient of the input whose gradient arrived last."""
        return self._register("_backward_hooks", hook, prepend)

    def register_full_backward_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """``hook(module, grad_output)`` before the module's input gradients
        are computed; a non-None result replaces ``grad_output``."""
        return self._register("_backward_pre_hooks", hook, prepend)

    def __call__(self, *args, **kwargs):
        d = self.__dict__
        pre, post = d.get("_forward_pre_hooks"), d.get("_forward_hooks")
        bw, bw_pre = d.get("_backward_hooks"), d.get("_backward_pre_hooks")
        if not (pre or post or bw or bw_pre):
            return self.forward(*args, **kwargs)
        if pre:
            for hook, with_kwargs in list(pre.values()):
                if with_kwargs:
                    res = hook(self, args, kwargs)
                    if res is not None:
                        if not (isinstance(res, tuple) and len(res) == 2):
                            raise RuntimeError("forward pre-hook must return None or a tuple "
                                               "of (new_args, new_kwargs)")
                        args, kwargs = res
                else:
                    res = hook(self, args)
                    if res is not None:
                        args = res if isinstance(res, tuple) else (res,)
        state = None
        if bw or bw_pre:
            from ._hooks import BackwardHookState
            state = BackwardHookState(self, list((bw or {}).values()),
                                      list((bw_pre or {}).values()))
            args = state.wrap_inputs(args)
        out = self.forward(*args, **kwargs)
        if post:
            for hook, with_kwargs in list(post.values()):
                res = hook(self, args, kwargs, out) if with_kwargs else hook(self, args, out)
                if res is not None:
                    out = res
        if state is not None:
            out = state.wrap_outputs(out)
        return out

    # -- state ---------------------------------------------------------------
    def _state_items(self, prefix, keep_vars, out):
        for name, p in self._members():
            if isinstance(p, Parameter):
                out[prefix + name] = p if keep_vars else p.detach()
        bufs = self.__dict__.get("_buffers", {})
        nps = self.__dict__.get("_non_persistent_buffers_set", set())
        for name, b in bufs.items():
            if b is not None and name not in nps:
                out[prefix + name] = b if keep_vars else b.detach()
        for name, m in self._members():
            if isinstance(m, Module):
                m._state_items(prefix + name + ".", keep_vars, out)

    def state_dict(self, *args, destination=None, prefix: str = "", keep_vars: bool = False):
        """Dotted name -> each parameter and persistent buffer, detached: a
        Tensor sharing its memory, as in PyTorch (so a snapshot needs
        ``copy.deepcopy`` or ``clone``); torch's keys and order: a module's
        parameters, its buffers, then its children. ``keep_vars=True`` gives
        the Tensors themselves."""
        if args:                             # torch's legacy positional form
            destination = args[0]
            if len(args) > 1:
                prefix = args[1]
            if len(args) > 2:
                keep_vars = args[2]
        out = OrderedDict() if destination is None else destination
        self._state_items(prefix, keep_vars, out)
        return out

    def _state_targets(self) -> "OrderedDict[str, Tensor]":
        targets: "OrderedDict[str, Tensor]" = OrderedDict()
        self._state_items("", True, targets)
        return targets

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Copy ``state_dict``'s arrays (ours, numpy, or torch tensors) into the
        parameters and persistent buffers, converting to their dtypes.

        Everything is validated before anything is assigned: any missing,
        unexpected (with ``strict``, the default) or mis-shaped entry raises
        ``StateDictError`` (a RuntimeError) naming all of them, and nothing is
        changed. Returns ``(missing_keys, unexpected_keys)`` (a named tuple,
        as torch)."""
        if not hasattr(state_dict, "keys"):
            raise TypeError(f"Expected state_dict to be dict-like, got "
                            f"{type(state_dict).__name__}.")
        who = type(self).__name__
        own = self._state_targets()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        arrays = {}
        problems = []
        if strict and unexpected:
            problems.append("Unexpected key(s) in state_dict: "
                            + ", ".join(f'"{k}"' for k in unexpected) + ". ")
        if strict and missing:
            problems.append("Missing key(s) in state_dict: "
                            + ", ".join(f'"{k}"' for k in missing) + ". ")
        for k, t in own.items():
            if k not in state_dict:
                continue
            arr = _array_of(state_dict[k], "load_state_dict", k)
            if arr.shape != t.shape:
                problems.append(f"size mismatch for {k}: copying a param with shape "
                                f"{_fmt_shape(arr.shape)} from checkpoint, the shape in "
                                f"current model is {_fmt_shape(t.shape)}.")
            elif not np.can_cast(arr.dtype, t.dtype, casting="same_kind"):
                # checked before anything is assigned: a failure half-way
                # would leave the model half-loaded
                problems.append(f"dtype mismatch for {k!r}: checkpoint dtype {arr.dtype} cannot "
                                f"be cast to the model dtype {t.dtype}.")
            else:
                arrays[k] = arr
        if problems:
            raise StateDictError(f"Error(s) in loading state_dict for {who}:\n\t"
                                 + "\n\t".join(problems))
        for k, arr in arrays.items():
            t = own[k]
            if assign:
                t.data = np.array(arr)  # type: ignore[misc]
            else:
                np.copyto(t.data, arr, casting="unsafe")
            t.mark_modified()
        return _IncompatibleKeys(missing, unexpected)

    # -- copying -------------------------------------------------------------------
    def __deepcopy__(self, memo):
        cls = type(self)
        new = cls.__new__(cls)
        memo[id(self)] = new
        for k, v in self.__dict__.items():
            new.__dict__[k] = _deepcopy_value(v, memo)
        return new

    # -- display ---------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + _addindent(repr(m), 2)
                       for name, m in self._members() if isinstance(m, Module)]
        lines = extra_lines + child_lines
        main = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main += extra_lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"


def _deepcopy_value(v, memo):
    if isinstance(v, Tensor):
        if id(v) in memo:
            return memo[id(v)]
        if isinstance(v, Parameter):
            return copy.deepcopy(v, memo)
        else:
            new = type(v)._engine.Tensor(v.data.copy())
        memo[id(v)] = new
        return new
    if isinstance(v, Module):
        return copy.deepcopy(v, memo)
    if isinstance(v, OrderedDict) and not v:
        return OrderedDict()
    if isinstance(v, dict):
        out = type(v)() if isinstance(v, OrderedDict) else {}
        for k, x in v.items():
            out[k] = _deepcopy_value(x, memo)
        return out
    if isinstance(v, list):
        return [_deepcopy_value(x, memo) for x in v]
    if isinstance(v, tuple):
        return tuple(_deepcopy_value(x, memo) for x in v)
    return copy.deepcopy(v, memo)


def _addindent(s: str, n: int) -> str:
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    first = lines.pop(0)
    return first + "\n" + "\n".join(" " * n + line for line in lines)


def _is_device(s: str) -> bool:
    return s.split(":")[0] in ("cpu", "cuda", "mps", "meta", "xpu")


def _check_device(device) -> None:
    name = str(getattr(device, "type", device))
    if name.split(":")[0] != "cpu":
        raise RuntimeError(f"autograd_c runs on the CPU only; device {name!r} is not "
                           f"available")


# the containers live in container.py; re-exported here for older imports
def __getattr__(name):
    if name in ("ModuleList", "Sequential", "ModuleDict", "ParameterList", "ParameterDict"):
        from . import container
        return getattr(container, name)
    raise AttributeError(name)

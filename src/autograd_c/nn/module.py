"""``Module`` and ``Parameter``: PyTorch-style containers for trainable state.

A module finds its parameters and sub-modules by looking at its attributes:
a ``Parameter``, a ``Module``, or a Python list/tuple of them (a plain list,
a ``ModuleList`` or a ``Sequential``) assigned to ``self`` is registered, and
named with dotted paths as in PyTorch (``0.weight``, ``layers.1.bias``).
Because the lookup is done when asked, appending to such a list later also
registers the new entries.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Dict, Iterator, List, Tuple

import numpy as np

from .. import _tensor
from .._tensor import Tensor

__all__ = ["Parameter", "Module", "ModuleList", "Sequential", "StateDictError"]


class Parameter(_tensor.Tensor):
    """A tensor that is a model parameter: a leaf that requires grad by default.

    ``Parameter(data, requires_grad=True)`` copies ``data`` (an array, list or
    Tensor) and builds it on the active engine; ``isinstance(p, Parameter)``
    and ``isinstance(p, autograd_c.Tensor)`` both hold.
    """

    __slots__ = ()

    def __new__(cls, *args, **kwargs):
        if cls is Parameter:
            from .. import engines
            cls = _parameter_class(engines.current)
        elif cls._engine is None:       # a user subclass of Parameter
            from .. import engines
            cls = _tensor.concrete_subclass(cls, _parameter_class(engines.current))
        return cls._raw_new(cls)

    def __init__(self, data, requires_grad: bool = True, dtype=None):
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


class StateDictError(RuntimeError):
    """``load_state_dict`` found missing, unexpected or mis-shaped entries."""


class Module:
    """Base class of all layers. Subclasses set attributes in ``__init__`` and
    define ``forward``; calling the module runs ``forward``."""

    training: bool = True   # class default, so subclasses need not call __init__

    def __init__(self) -> None:
        self.training = True

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

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

    def named_children(self) -> Iterator[Tuple[str, "Module"]]:
        for name, m in self._members():
            if isinstance(m, Module):
                yield name, m

    def children(self) -> Iterator["Module"]:
        for _, m in self.named_children():
            yield m

    def named_modules(self, prefix: str = "") -> Iterator[Tuple[str, "Module"]]:
        seen = set()

        def walk(mod, pre):
            if id(mod) in seen:
                return
            seen.add(id(mod))
            yield pre, mod
            for name, child in mod.named_children():
                yield from walk(child, f"{pre}.{name}" if pre else name)

        yield from walk(self, prefix)

    def modules(self) -> Iterator["Module"]:
        for _, m in self.named_modules():
            yield m

    def named_parameters(self, prefix: str = "") -> Iterator[Tuple[str, Parameter]]:
        """(dotted name, parameter) pairs: own parameters first, then each
        child's; a parameter shared by several modules is listed once."""
        seen = set()
        for mod_name, mod in self.named_modules(prefix):
            for name, p in mod._members():
                if isinstance(p, Parameter) and id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{mod_name}.{name}" if mod_name else name), p

    def parameters(self) -> Iterator[Parameter]:
        for _, p in self.named_parameters():
            yield p

    # -- modes and gradients -------------------------------------------------
    def train(self, mode: bool = True) -> "Module":
        for m in self.modules():
            m.training = bool(mode)
        return self

    def eval(self) -> "Module":
        return self.train(False)

    def zero_grad(self) -> None:
        """Reset every parameter's ``.grad`` to None."""
        for p in self.parameters():
            p.grad = None

    # -- state ---------------------------------------------------------------
    def state_dict(self) -> "OrderedDict[str, np.ndarray]":
        """Dotted name -> a copy of the parameter's array."""
        return OrderedDict((name, p.data.copy()) for name, p in self.named_parameters())

    def load_state_dict(self, state_dict, strict: bool = True):
        """Copy ``state_dict``'s arrays into the parameters (in place).

        With ``strict`` (the default) every key must match a parameter and
        every parameter must be present; any missing, unexpected or
        mis-shaped entry raises ``StateDictError`` naming all of them, and
        nothing is changed. With ``strict=False`` missing/unexpected keys are
        returned as ``(missing, unexpected)`` and the rest is loaded (shape
        mismatches still raise).
        """
        own = OrderedDict(self.named_parameters())
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        arrays = {}
        mismatched = []
        for k, p in own.items():
            if k not in state_dict:
                continue
            v = state_dict[k]
            try:
                arr = v.data if isinstance(v, Tensor) else np.asarray(v)
            except (TypeError, ValueError) as e:
                mismatched.append(f"{k!r}: cannot convert {type(v).__name__} to an array ({e})")
                continue
            if arr.shape != p.shape:
                mismatched.append(f"{k!r}: checkpoint shape {arr.shape}, "
                                  f"model shape {p.shape}")
            elif not np.can_cast(arr.dtype, p.dtype, casting="same_kind"):
                # checked before anything is assigned: a failure half-way
                # would leave the model half-loaded
                mismatched.append(f"{k!r}: checkpoint dtype {arr.dtype} cannot be cast "
                                  f"to the model dtype {p.dtype}")
            else:
                arrays[k] = arr
        problems = []
        if strict and missing:
            problems.append("missing keys: " + ", ".join(repr(k) for k in missing))
        if strict and unexpected:
            problems.append("unexpected keys: " + ", ".join(repr(k) for k in unexpected))
        if mismatched:
            problems.append("shape/dtype mismatch for " + "; ".join(mismatched))
        if problems:
            raise StateDictError(f"error loading state_dict into {type(self).__name__}: "
                                 + " | ".join(problems))
        for k, arr in arrays.items():
            p = own[k]
            np.copyto(p.data, arr, casting="same_kind")
            p.mark_modified()
        return missing, unexpected

    # -- display ---------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        children = list(self.named_children())
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not children:
            return head + ")"
        lines = [head]
        for name, m in children:
            body = repr(m).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        return "\n".join(lines) + "\n)"


class ModuleList(Module):
    """A list of modules whose parameters are registered as ``0.weight`` ..."""

    def __init__(self, modules=()) -> None:
        super().__init__()
        self._list: List[Module] = []
        for m in modules:
            self.append(m)

    def _members(self):
        return [(str(i), m) for i, m in enumerate(self._list)]

    def append(self, module: Module) -> "ModuleList":
        if not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__} holds modules, got {type(module).__name__}")
        self._list.append(module)
        return self

    def extend(self, modules) -> "ModuleList":
        for m in modules:
            self.append(m)
        return self

    def __getitem__(self, i):
        if isinstance(i, slice):
            return type(self)(self._list[i])
        return self._list[i]

    def __len__(self) -> int:
        return len(self._list)

    def __iter__(self):
        return iter(self._list)


class Sequential(ModuleList):
    """Applies its modules in order: ``Sequential(Linear(2, 3), ReLU())(x)``."""

    def __init__(self, *modules) -> None:
        if len(modules) == 1 and isinstance(modules[0], (list, tuple)):
            modules = tuple(modules[0])
        super().__init__(modules)

    def forward(self, x):
        for m in self._list:
            x = m(x)
        return x

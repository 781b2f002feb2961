"""Containers: ``ModuleList``, ``Sequential``, ``ModuleDict``,
``ParameterList``, ``ParameterDict`` (torch's names, keys and behaviour)."""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Iterable, List, Optional

from .._tensor import Tensor
from .module import Module, Parameter, _addindent

__all__ = ["ModuleList", "Sequential", "ModuleDict", "ParameterList", "ParameterDict"]


def _check_module(module, who):
    if not isinstance(module, Module):
        raise TypeError(f"{who} holds modules, got {type(module).__name__}")
    return module


class ModuleList(Module):
    """A list of modules whose parameters are registered as ``0.weight`` ..."""

    def __init__(self, modules: Optional[Iterable[Module]] = None) -> None:
        super().__init__()
        self._list: List[Module] = []
        if modules is not None:
            self.extend(modules)

    def _members(self):
        return [(str(i), m) for i, m in enumerate(self._list)]

    def append(self, module: Module) -> "ModuleList":
        self._list.append(_check_module(module, type(self).__name__))
        return self

    def extend(self, modules) -> "ModuleList":
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> None:
        self._list.insert(index, _check_module(module, type(self).__name__))

    def pop(self, index: int = -1) -> Module:
        return self._list.pop(index)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return type(self)(self._list[i])
        return self._list[i]

    def __setitem__(self, i, module) -> None:
        self._list[i] = _check_module(module, type(self).__name__)

    def __delitem__(self, i) -> None:
        del self._list[i]

    def __len__(self) -> int:
        return len(self._list)

    def __iter__(self):
        return iter(self._list)

    def __add__(self, other) -> "ModuleList":
        return ModuleList(list(self) + list(other))

    def __iadd__(self, other) -> "ModuleList":
        return self.extend(other)

    def __repr__(self) -> str:
        """torch's compressed form: repeated identical entries as
        ``(0-2): 3 x Linear(...)``."""
        reprs = [repr(m) for m in self._list]
        if not reprs:
            return self._get_name() + "()"
        blocks: List[List[Any]] = [[0, 0, reprs[0]]]
        for i, r in enumerate(reprs[1:], 1):
            if r == blocks[-1][2]:
                blocks[-1][1] = i
            else:
                blocks.append([i, i, r])
        lines = []
        for start, end, r in blocks:
            line = f"({start}): {r}" if start == end else \
                f"({start}-{end}): {end - start + 1} x {r}"
            lines.append(_addindent(line, 2))
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


class Sequential(Module):
    """Applies its modules in order: ``Sequential(Linear(2, 3), ReLU())(x)``,
    or named: ``Sequential(OrderedDict([("fc", Linear(2, 3))]))``."""

    def __init__(self, *modules) -> None:
        super().__init__()
        self._mods: "OrderedDict[str, Module]" = OrderedDict()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, m in modules[0].items():
                self._mods[name] = _check_module(m, "Sequential")
            return
        if len(modules) == 1 and isinstance(modules[0], (list, tuple)):
            modules = tuple(modules[0])
        for i, m in enumerate(modules):
            self._mods[str(i)] = _check_module(m, "Sequential")

    def _members(self):
        return list(self._mods.items())

    def add_module(self, name, module) -> None:
        if module is not None:
            _check_module(module, "Sequential")
        self._mods[name] = module

    def _renumber(self, mods) -> None:
        self._mods = OrderedDict((str(i), m) for i, m in enumerate(mods))

    def append(self, module: Module) -> "Sequential":
        self._mods[str(len(self._mods))] = _check_module(module, "Sequential")
        return self

    def extend(self, modules) -> "Sequential":
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> "Sequential":
        mods = list(self._mods.values())
        mods.insert(index, _check_module(module, "Sequential"))
        self._renumber(mods)
        return self

    def pop(self, key=-1) -> Module:
        v = self[key]
        del self[key]
        return v

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return Sequential(OrderedDict(list(self._mods.items())[idx]))
        if isinstance(idx, str):
            return self._mods[idx]
        mods = list(self._mods.values())
        return mods[idx]

    def __setitem__(self, idx, module) -> None:
        key = list(self._mods)[idx]
        self._mods[key] = _check_module(module, "Sequential")

    def __delitem__(self, idx) -> None:
        keys = list(self._mods)
        for k in (keys[idx] if isinstance(idx, slice) else [keys[idx]]):
            del self._mods[k]
        self._renumber(list(self._mods.values()))

    def __len__(self) -> int:
        return len(self._mods)

    def __iter__(self):
        return iter(self._mods.values())

    def __getattr__(self, name):
        mods = self.__dict__.get("_mods")
        if mods is not None and name in mods:
            return mods[name]
        return Module.__getattr__(self, name)

    def forward(self, input):
        for m in self._mods.values():
            input = m(input)
        return input


class ModuleDict(Module):
    """An ordered dict of modules (``d["enc"]``), registered by key."""

    def __init__(self, modules=None) -> None:
        super().__init__()
        self._mods: "OrderedDict[str, Module]" = OrderedDict()
        if modules is not None:
            self.update(modules)

    def _members(self):
        return list(self._mods.items())

    def __getitem__(self, key: str) -> Module:
        return self._mods[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self._mods[key] = _check_module(module, "ModuleDict")

    def __delitem__(self, key: str) -> None:
        del self._mods[key]

    def __len__(self) -> int:
        return len(self._mods)

    def __iter__(self):
        return iter(self._mods)

    def __contains__(self, key) -> bool:
        return key in self._mods

    def __getattr__(self, name):
        mods = self.__dict__.get("_mods")
        if mods is not None and name in mods:
            return mods[name]
        return Module.__getattr__(self, name)

    def keys(self):
        return self._mods.keys()

    def items(self):
        return self._mods.items()

    def values(self):
        return self._mods.values()

    def pop(self, key: str) -> Module:
        return self._mods.pop(key)

    def clear(self) -> None:
        self._mods.clear()

    def update(self, modules) -> None:
        items = modules.items() if hasattr(modules, "items") else modules
        for k, m in items:
            self[k] = m


def _as_param(value):
    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        return Parameter(value.data, requires_grad=value.requires_grad)
    return value


def _param_line(p) -> str:
    if isinstance(p, Tensor):
        kind = "Parameter containing" if isinstance(p, Parameter) else "Tensor"
        size = "x".join(str(s) for s in p.shape)
        return f"{kind}: [{p.dtype} of size {size}]"
    return f"Object of type: {type(p).__name__}"


class ParameterList(Module):
    """A list of parameters, registered as ``0``, ``1``... (Tensors are
    wrapped in ``Parameter``s, as torch)."""

    def __init__(self, values=None) -> None:
        super().__init__()
        self._list: list = []
        if values is not None:
            self.extend(values)

    def _members(self):
        return [(str(i), p) for i, p in enumerate(self._list)]

    def append(self, value) -> "ParameterList":
        self._list.append(_as_param(value))
        return self

    def extend(self, values) -> "ParameterList":
        for v in values:
            self.append(v)
        return self

    def __getitem__(self, i):
        if isinstance(i, slice):
            return ParameterList(self._list[i])
        return self._list[i]

    def __setitem__(self, i, value) -> None:
        self._list[i] = _as_param(value)

    def __len__(self) -> int:
        return len(self._list)

    def __iter__(self):
        return iter(self._list)

    def __iadd__(self, other):
        return self.extend(other)

    def extra_repr(self) -> str:
        return "\n".join(f"  ({i}): {_param_line(p)}" for i, p in enumerate(self._list))


class ParameterDict(Module):
    """An ordered dict of parameters, registered by key."""

    def __init__(self, parameters=None) -> None:
        super().__init__()
        self._dict: "OrderedDict[str, Parameter]" = OrderedDict()
        if parameters is not None:
            self.update(parameters)

    def _members(self):
        return list(self._dict.items())

    def __getitem__(self, key: str):
        return self._dict[key]

    def __setitem__(self, key: str, value) -> None:
        self._dict[key] = _as_param(value)

    def __delitem__(self, key: str) -> None:
        del self._dict[key]

    def __len__(self) -> int:
        return len(self._dict)

    def __iter__(self):
        return iter(self._dict)

    def __contains__(self, key) -> bool:
        return key in self._dict

    def __getattr__(self, name):
        d = self.__dict__.get("_dict")
        if d is not None and name in d:
            return d[name]
        return Module.__getattr__(self, name)

    def keys(self):
        return self._dict.keys()

    def items(self):
        return self._dict.items()

    def values(self):
        return self._dict.values()

    def pop(self, key: str):
        return self._dict.pop(key)

    def get(self, key, default=None):
        return self._dict.get(key, default)

    def clear(self) -> None:
        self._dict.clear()

    def update(self, parameters) -> None:
        items = parameters.items() if hasattr(parameters, "items") else parameters
        for k, v in items:
            self[k] = v

    def extra_repr(self) -> str:
        return "\n".join(f"  ({k}): {_param_line(p)}" for k, p in self._dict.items())

"""Engine selection: which engine new tensors are built on.

The compiled engine (``_engine_c``) is the default when it imports; setting
``AUTOGRAD_C_ENGINE=python`` (or ``c``) before import forces one. Both engines
stay importable by name, so they can be timed side by side in one process.

``set_engine(name)`` changes the process-wide default. ``use_engine(name)``
overrides it for its extent in the calling context only (thread or asyncio
task), as grad mode is per thread: another thread keeps building tensors on
its own engine. ``engines.current`` is the engine in effect here.
"""
from __future__ import annotations

import contextlib
import contextvars
import os
import warnings

from . import engine_python


def _compiled_module_present():
    import importlib.machinery
    import pathlib
    here = pathlib.Path(__file__).parent
    return any((here / f"_engine_c{sfx}").exists()
               for sfx in importlib.machinery.EXTENSION_SUFFIXES)


available = {"python": engine_python}
c_import_error = None
try:
    from . import _engine_c
    available["c"] = _engine_c
except ImportError as e:  # no compiled module in this install, or it is broken
    c_import_error = e

_requested = os.environ.get("AUTOGRAD_C_ENGINE", "").strip().lower()
if _requested not in ("", "c", "python"):
    raise ImportError(f"AUTOGRAD_C_ENGINE must be 'c' or 'python', got {_requested!r}")
if _requested == "c" and "c" not in available:
    raise ImportError(f"AUTOGRAD_C_ENGINE=c but the compiled engine failed to import: "
                      f"{c_import_error}")
if not _requested and "c" not in available and _compiled_module_present():
    # a pure-Python wheel has no compiled module and stays silent; a compiled
    # install whose module will not load says why, once
    warnings.warn(f"autograd_c: the compiled engine failed to import ({c_import_error}); "
                  f"falling back to the pure-Python engine", RuntimeWarning, stacklevel=2)

_default = available[_requested or ("c" if "c" in available else "python")]
# this context's override (use_engine), or None for the process default
_override: contextvars.ContextVar = contextvars.ContextVar("autograd_c_engine", default=None)


def __getattr__(name):
    if name == "current":
        return _override.get() or _default
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def get_engine(name=None):
    """The engine module called ``name`` ('c' or 'python'), or the active one."""
    if name is None:
        return _override.get() or _default
    try:
        return available[name]
    except KeyError:
        if name == "c":
            raise RuntimeError(f"the compiled engine is not available: {c_import_error}") from None
        raise ValueError(f"unknown engine {name!r}; choose 'c' or 'python'") from None


def set_engine(name):
    """Make ``name`` the engine for new tensors, parameters and the functional
    API: the process-wide default, and this context's engine (a ``use_engine``
    in effect here is replaced)."""
    global _default
    _default = get_engine(name)
    if _override.get() is not None:
        _override.set(_default)
    return _default


@contextlib.contextmanager
def use_engine(name):
    """Switch the engine for the extent of the block, in this thread (or
    asyncio task) only."""
    token = _override.set(get_engine(name))
    try:
        yield _override.get()
    finally:
        _override.reset(token)

"""Engine selection: which engine new tensors are built on.

The compiled engine (``_engine_c``) is the default when it imports; setting
``AUTOGRAD_C_ENGINE=python`` (or ``c``) before import forces one. Both engines
stay importable by name, so they can be timed side by side in one process:
``with autograd_c.use_engine("python"): ...``.
"""
from __future__ import annotations

import contextlib
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

current = available[_requested or ("c" if "c" in available else "python")]


def get_engine(name=None):
    """The engine module called ``name`` ('c' or 'python'), or the active one."""
    if name is None:
        return current
    try:
        return available[name]
    except KeyError:
        if name == "c":
            raise RuntimeError(f"the compiled engine is not available: {c_import_error}") from None
        raise ValueError(f"unknown engine {name!r}; choose 'c' or 'python'") from None


def set_engine(name):
    """Make ``name`` the engine for new tensors, parameters and the functional API."""
    global current
    current = get_engine(name)
    import autograd_c
    autograd_c.engine = current.name
    return current


@contextlib.contextmanager
def use_engine(name):
    """Temporarily switch the active engine."""
    prev = current.name
    set_engine(name)
    try:
        yield current
    finally:
        set_engine(prev)

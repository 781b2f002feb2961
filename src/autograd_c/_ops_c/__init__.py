"""The compiled twin of ``autograd_c.ops``: the very same rule files, compiled
by Cython at build time (setup.py), for the compiled engine. Nothing here is
edited by hand.

Each compiled module carries the SHA-256 of the source it was built from.
If a source file changed since the build (an editable install after an
edit), importing this package fails, so the compiled engine never runs
stale rules; the error says how to rebuild.
"""
import hashlib
import importlib
import pathlib

from autograd_c import ops as _source

_src_dir = pathlib.Path(_source.__file__).parent


class StaleBuildError(ImportError):
    """The compiled op rules were built from other sources than ops/ holds now."""


def _load(name):
    try:
        mod = importlib.import_module(f"{__name__}.{name}")
    except ImportError as e:
        raise ImportError(f"autograd_c: the compiled op rules are missing or broken "
                          f"({name}: {e}); rebuild with `pip install .` (or "
                          f"`python setup.py build_ext --inplace` in a source tree)") from e
    src = _src_dir / f"{name}.py"
    if src.exists():
        digest = hashlib.sha256(src.read_bytes()).hexdigest()
        if getattr(mod, "__source_sha__", None) != digest:
            raise StaleBuildError(
                f"autograd_c: the compiled op rules are stale: {src} changed after the "
                f"build, so the compiled engine would run old rules and refuses to load. "
                f"Rebuild: `pip install -e .` (editable install) or `python setup.py "
                f"build_ext --inplace` (source tree). Meanwhile "
                f"AUTOGRAD_C_ENGINE=python runs the current rules on the pure engine.")
    return mod


for _name in sorted(p.stem for p in _src_dir.glob("*.py") if p.stem != "__init__"):
    _load(_name)

from ._registry import REGISTRY  # noqa: E402

if set(REGISTRY) != set(_source.REGISTRY):
    raise StaleBuildError("autograd_c: the compiled op rules do not define the same ops as "
                          "autograd_c.ops; rebuild (`pip install -e .`)")

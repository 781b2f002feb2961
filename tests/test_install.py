"""Installed-package checks: engine fallback when the compiled module is
missing or broken, packaging files, and the version's single source.

The fallback tests copy the *installed* package (whatever ``autograd_c``
resolves to: an editable checkout, a manylinux wheel, a pure wheel) to a
temporary directory, damage or remove its compiled modules, and import the
copy in a fresh interpreter, so the install under test is never modified.
"""
import importlib.machinery
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import autograd_c

PKG = Path(autograd_c.__file__).resolve().parent
EXT_SUFFIXES = tuple(importlib.machinery.EXTENSION_SUFFIXES)

# Imports the copy, records every warning raised during import, and prints
# where the package came from, the active engine and the warnings as JSON.
PROBE = textwrap.dedent("""
    import json, warnings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        import autograd_c
        t = autograd_c.Tensor([1.0, 2.0, 3.0], requires_grad=True)
        (t * t).sum().backward()
    print(json.dumps({
        "file": autograd_c.__file__,
        "engine": autograd_c.engine,
        "grad": t.grad.numpy().tolist(),
        "warnings": [[w.category.__name__, str(w.message)] for w in caught],
    }))
""")


def compiled_files(pkg):
    return sorted(p for p in pkg.rglob("*") if p.name.endswith(EXT_SUFFIXES))


def copy_installed_package(dest):
    target = dest / "autograd_c"
    shutil.copytree(PKG, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def import_copy(root):
    env = {k: v for k, v in os.environ.items()
           if k not in ("AUTOGRAD_C_ENGINE", "PYTHONWARNINGS")}
    env["PYTHONPATH"] = str(root)
    proc = subprocess.run([sys.executable, "-c", PROBE], cwd=str(root), env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    # the copy was imported, not the install under test
    assert Path(out["file"]).resolve().parent == (root / "autograd_c").resolve()
    assert out["grad"] == [2.0, 4.0, 6.0]
    return out


needs_compiled = pytest.mark.usefixtures("_compiled")


@pytest.fixture
def _compiled():
    from conftest import require_compiled
    require_compiled()


@needs_compiled
@pytest.mark.parametrize("module", ["_engine_c", "_ops_c.elementwise", "_ufuncs"])
def test_broken_compiled_module_falls_back_with_one_warning(tmp_path, module):
    pkg = copy_installed_package(tmp_path)
    broken = [p for p in compiled_files(pkg)
              if ".".join(p.relative_to(pkg).parts).startswith(module + ".")]
    assert broken, f"no compiled {module} in {PKG}"
    for p in broken:
        p.write_bytes(b"this is not a shared library\n" * 8)
    out = import_copy(tmp_path)
    assert out["engine"] == "python"
    assert len(out["warnings"]) == 1, out["warnings"]
    category, message = out["warnings"][0]
    assert category == "RuntimeWarning"
    assert "compiled engine failed to import" in message
    assert "pure-Python engine" in message
    # the message carries the loader's reason, naming the damaged file's module
    assert module.split(".")[-1] in message or any(p.name in message for p in broken), message


@needs_compiled
def test_intact_copy_uses_compiled_engine_silently(tmp_path):
    copy_installed_package(tmp_path)
    out = import_copy(tmp_path)
    assert out["engine"] == "c"
    assert out["warnings"] == []


def test_without_compiled_modules_pure_engine_is_silent(tmp_path):
    # what a py3-none-any wheel looks like: no compiled module at all
    pkg = copy_installed_package(tmp_path)
    for p in compiled_files(pkg):
        p.unlink()
    out = import_copy(tmp_path)
    assert out["engine"] == "python"
    assert out["warnings"] == []


def test_forcing_the_c_engine_without_it_fails_loudly(tmp_path):
    pkg = copy_installed_package(tmp_path)
    for p in compiled_files(pkg):
        p.unlink()
    env = dict(os.environ, PYTHONPATH=str(tmp_path), AUTOGRAD_C_ENGINE="c")
    proc = subprocess.run([sys.executable, "-c", "import autograd_c"], cwd=str(tmp_path),
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "AUTOGRAD_C_ENGINE=c" in proc.stderr


def test_package_ships_type_marker():
    assert (PKG / "py.typed").is_file()


def test_version_single_source():
    from autograd_c import _version
    assert autograd_c.__version__ == _version.__version__
    try:
        from importlib.metadata import PackageNotFoundError, version
    except ImportError:  # pragma: no cover - Python < 3.8
        return
    try:
        installed = version("autograd_c")
    except PackageNotFoundError:
        pytest.skip("autograd_c is imported from a source tree, not installed")
    assert installed == autograd_c.__version__

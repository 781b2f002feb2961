"""Build script: declares the compiled engine (Cython nodes + C scheduler).

AUTOGRAD_C_PUREPYTHON=1 builds without any compiled code (a py3-none-any
wheel whose only engine is the pure-Python one). AUTOGRAD_C_DEBUG=1 turns on
Cython's bounds checks and keeps asserts, for sanitizer builds.

The op rules (src/autograd_c/ops/) are written once, in Python. For the
compiled engine the same sources are also compiled by Cython as the package
``autograd_c._ops_c`` (build-time copies under build/, never committed): the
same math, without interpreter overhead. The pure engine keeps using ops/.
Cython directives live here only (the .pyx files set none), so
AUTOGRAD_C_DEBUG=1 really turns bounds checks on everywhere.
"""
import hashlib
import os

from setuptools import Extension, setup

PURE = os.environ.get("AUTOGRAD_C_PUREPYTHON", "") not in ("", "0")
DEBUG = os.environ.get("AUTOGRAD_C_DEBUG", "") not in ("", "0")


def extensions():
    if PURE:
        return []
    from Cython.Build import cythonize

    directives = {"language_level": 3, "boundscheck": DEBUG, "wraparound": DEBUG,
                  "cdivision": True, "embedsignature": True}
    import numpy

    # release builds: optimised, no debug info (every build path, pip and
    # cibuildwheel included, makes the small wheel)
    no_debug = ["-g0"] if os.name != "nt" else []
    release = ["-O3", *no_debug]
    opt = ["-O0", "-g"] if DEBUG else release
    npy = [("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")]
    # numpy's float64 ufunc loops called from C (see the module's docstring)
    ufuncs = Extension("autograd_c._ufuncs", sources=["src/autograd_c/_ufuncs.pyx"],
                       include_dirs=[numpy.get_include()], define_macros=npy,
                       extra_compile_args=opt)
    ext = Extension(
        "autograd_c._engine_c",
        sources=["src/autograd_c/_engine_c.pyx", "csrc/scheduler.c"],
        include_dirs=["csrc"],
        depends=["csrc/scheduler.h", "csrc/typeslots.h"],
        define_macros=npy,
        extra_compile_args=opt,
    )
    # Compiled twin of the op table (src/autograd_c/ops/): each rule module
    # compiled by Cython as autograd_c._ops_c.<module>, from a build-time copy
    # that ends with the SHA-256 of its source; autograd_c/_ops_c/__init__.py
    # refuses to load a twin whose source has changed since (a stale build).
    gen = os.path.join("build", "generated")
    twin_dir = os.path.join(gen, "autograd_c", "_ops_c")
    os.makedirs(twin_dir, exist_ok=True)
    for pkg_init in (os.path.join(gen, "autograd_c", "__init__.py"),
                     os.path.join(twin_dir, "__init__.py")):
        open(pkg_init, "w").close()          # lets Cython see the package path
    twins = []
    ops_dir = os.path.join("src", "autograd_c", "ops")
    for fname in sorted(os.listdir(ops_dir)):
        if not fname.endswith(".py") or fname == "__init__.py":
            continue
        with open(os.path.join(ops_dir, fname), "rb") as f:
            source = f.read()
        digest = hashlib.sha256(source).hexdigest()
        copy = os.path.join(twin_dir, fname)
        text = (b"# GENERATED at build time from src/autograd_c/ops/" + fname.encode()
                + b" -- edit that file.\n" + source
                + f"\n__source_sha__ = {digest!r}\n".encode())
        if not os.path.exists(copy) or open(copy, "rb").read() != text:
            with open(copy, "wb") as f:
                f.write(text)
        twins.append(Extension(f"autograd_c._ops_c.{fname[:-3]}", sources=[copy],
                               # the interpreter's own optimisation level (-O3
                               # on Linux builds of CPython), as before the split
                               extra_compile_args=["-O0", "-g"] if DEBUG else no_debug))
    # The compiled engine's operator block, generated from the same table.
    with open(os.path.join(gen, "_engine_ops.pxi"), "w") as f:
        f.write(_operator_block())
    # (Python semantics kept in the twin: no C division, bounds checks and
    # negative indices as in Python.)
    return (cythonize([ufuncs, ext], compiler_directives=directives,
                      include_path=["src", gen])
            + cythonize(twins, compiler_directives={"language_level": 3, "binding": True},
                        build_dir=os.path.join("build", "cython")))


def _operator_block():
    """Text of build/generated/_engine_ops.pxi (see autograd_c._surface)."""
    import sys
    import types
    # import the op table and the generator without the package's __init__
    # (nothing is built yet)
    pkg = types.ModuleType("autograd_c")
    pkg.__path__ = [os.path.join(os.path.dirname(os.path.abspath(__file__)), "src", "autograd_c")]
    saved = sys.modules.get("autograd_c")
    sys.modules["autograd_c"] = pkg
    try:
        from autograd_c._surface import engine_operator_block
        return engine_operator_block()
    finally:
        for name in [m for m in sys.modules if m == "autograd_c" or m.startswith("autograd_c.")]:
            del sys.modules[name]
        if saved is not None:
            sys.modules["autograd_c"] = saved


setup(ext_modules=extensions(), zip_safe=False)

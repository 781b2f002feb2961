"""Build script: declares the compiled engine (Cython nodes + C scheduler).

AUTOGRAD_C_PUREPYTHON=1 builds without any compiled code (a py3-none-any
wheel whose only engine is the pure-Python one). AUTOGRAD_C_DEBUG=1 turns on
Cython's bounds checks and keeps asserts, for sanitizer builds.

The op rules (src/autograd_c/ops.py) are written once, in Python. For the
compiled engine the same source is also compiled by Cython as
``autograd_c._ops_c`` (a build-time copy under build/, never committed): the
same math, without interpreter overhead. The pure engine keeps using ops.py.
"""
import os
import shutil

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

    opt = ["-O0", "-g"] if DEBUG else (["-O2"] if os.name != "nt" else [])
    npy = [("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")]
    # numpy's float64 ufunc loops called from C (see the module's docstring)
    ufuncs = Extension("autograd_c._ufuncs", sources=["src/autograd_c/_ufuncs.pyx"],
                       include_dirs=[numpy.get_include()], define_macros=npy,
                       extra_compile_args=opt)
    ext = Extension(
        "autograd_c._engine_c",
        sources=["src/autograd_c/_engine_c.pyx", "csrc/scheduler.c"],
        include_dirs=["csrc"],
        define_macros=npy,
        extra_compile_args=opt,
    )
    # Compiled twin of ops.py: Python semantics kept (no C division, bounds
    # checks and negative indices as in Python).
    gen_dir = os.path.join("build", "generated")
    os.makedirs(gen_dir, exist_ok=True)
    twin = os.path.join(gen_dir, "_ops_c.py")
    with open(os.path.join("src", "autograd_c", "ops.py")) as src, open(twin, "w") as dst:
        dst.write("# GENERATED at build time from src/autograd_c/ops.py -- edit that file.\n")
        shutil.copyfileobj(src, dst)
    ops_ext = Extension("autograd_c._ops_c", sources=[twin],
                        extra_compile_args=["-O0", "-g"] if DEBUG else [])
    return (cythonize([ufuncs, ext], compiler_directives=directives, include_path=["src"])
            + cythonize([ops_ext], compiler_directives={"language_level": 3, "binding": True},
                        build_dir=os.path.join("build", "cython")))



setup(ext_modules=extensions(), zip_safe=False)

"""Build script: declares the compiled engine (Cython nodes + C scheduler).

AUTOGRAD_C_PUREPYTHON=1 builds without any compiled code (a py3-none-any
wheel whose only engine is the pure-Python one). AUTOGRAD_C_DEBUG=1 turns on
Cython's bounds checks and keeps asserts, for sanitizer builds.
"""
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
    ext = Extension(
        "autograd_c._engine_c",
        sources=["src/autograd_c/_engine_c.pyx", "csrc/scheduler.c"],
        include_dirs=["csrc"],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=["-O0", "-g"] if DEBUG else (["-O2"] if os.name != "nt" else []),
    )
    return cythonize([ext], compiler_directives=directives)



setup(ext_modules=extensions(), zip_safe=False)

"""BLAS/OpenMP thread pinning for the bench command.

The thread variables must be in the environment before numpy loads its BLAS,
and ``autograd_c`` (which the bench belongs to) imports numpy first. So
``python -m autograd_c.bench`` sets them and re-executes itself, once; the
marker variable says "already done, with this many threads". This module must
not import numpy.
"""
from __future__ import annotations

import os
import sys

THREAD_VARS = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS",
               "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")
REEXEC_MARK = "_AUTOGRAD_C_BENCH_THREADS"


def threads_from_argv(argv: list[str]) -> str:
    """The ``--threads`` value in ``argv`` (as a string), or ``"1"``."""
    for i, a in enumerate(argv):
        if a == "--threads" and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--threads="):
            return a.split("=", 1)[1]
    return "1"


def pin_threads_or_reexec(argv: list[str]) -> None:
    """Set the thread variables from ``argv``; if numpy is already loaded (so
    its BLAS has read the old values), start ``python -m autograd_c.bench``
    again with the same arguments. Returns only when no re-exec was needed."""
    want = threads_from_argv(argv)
    if os.environ.get(REEXEC_MARK) == want:
        return
    for v in THREAD_VARS:
        os.environ[v] = want
    os.environ[REEXEC_MARK] = want
    if "numpy" in sys.modules:
        sys.stdout.flush()
        os.execv(sys.executable, [sys.executable, "-m", "autograd_c.bench", *argv])

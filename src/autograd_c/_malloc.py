"""Keep freed array memory in the process (glibc malloc), like a caching
allocator.

numpy allocates every array of more than a few hundred KB with ``malloc``.
glibc serves such sizes from fresh ``mmap`` pages, or from the heap, whose
free top it hands back to the kernel once it exceeds the trim threshold
(dynamically about twice the largest block freed so far). A training step
frees and re-allocates the same temporaries every time: with the defaults
each re-allocation touches pages the kernel must fault in and zero again. On
the transformer step of the bench (arrays of 0.5 MB) that made a float32 GELU
~6x slower than its arithmetic.

``keep_freed_memory()`` raises both thresholds (mmap: 32 MB, trim: 256 MB),
so blocks below 32 MB are reused from the heap and up to 256 MB of free heap
stays mapped. It is applied when autograd_c is imported unless the
environment sets ``AUTOGRAD_C_MALLOC=system``; it is a no-op where glibc's
``mallopt`` is not available. The setting is process-wide (every library's
``malloc`` in the process sees it).
"""
from __future__ import annotations

import ctypes
import os
import sys

M_TRIM_THRESHOLD = -1       # glibc's malloc.h
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024      # glibc's largest allowed value on 64-bit
TRIM_THRESHOLD = 256 * 1024 * 1024

applied = False


def keep_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds (see the module docstring);
    True if applied."""
    global applied
    if not sys.platform.startswith("linux"):
        return False
    try:
        # the process's own symbols (libc is loaded): no find_library, which
        # would start an ldconfig subprocess at import
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    ok = mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
    ok = mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1 and ok
    applied = applied or ok
    return ok


if os.environ.get("AUTOGRAD_C_MALLOC", "").lower() != "system":
    keep_freed_memory()

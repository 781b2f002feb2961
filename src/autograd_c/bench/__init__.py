"""Benchmarks: ``python -m autograd_c.bench [--quick] [--json] [--only W] [--threads N]``.

Every system runs the same math on the same starting numbers, side by side in
ONE process, in interleaved rounds (each round times every system once, in a
rotating order), so machine load hits all systems alike. The floor is
hand-written numpy forward + backward: the same arithmetic with no graph.

Systems: ``numpy`` (the floor), ``c`` (the compiled engine), ``python`` (the
pure-Python engine), ``torch`` (PyTorch CPU) and ``autograd`` (HIPS
autograd); a system that is not installed is reported as "not installed".

Workloads (float64 unless named ``_f32``):

- ``tiny_mlp``: one training step, batch 32, 64-64-64-10 (input 64, hidden 64
  and 64, output 10); tanh after layer 1, relu after layer 2; loss
  sum((out - y) * (out - y)); backward; SGD update ``p -= lr * grad`` with
  lr = 0.01 / (batch * hidden), small enough never to diverge.
- ``tiny_mlp_f32``: ``tiny_mlp`` in float32 -- data, parameters and every
  operation, in every system (the floor's numpy and torch included); the
  starting numbers are ``tiny_mlp``'s rounded to float32.
- ``small_mlp``: the same step, batch 64, 256-256-256-10.
- ``large_mlp``: the same step, batch 256, 1024-1024-1024-10.
- ``elementwise_chain``: 400 elementwise ops on 16 floats = 200 repetitions of
  ``h = h * a + b`` (each ``*`` and each ``+`` is one op), a and b leaves that
  require grad, then ``h.sum()`` and backward; reported per op (time / 400).
- ``elementwise_chain_f32``: ``elementwise_chain`` in float32, as ``tiny_mlp_f32``.
- ``cnn_step``: one training step of the digits CNN of
  ``examples/train_digits_cnn.py`` (``workload_cnn``): batch 64 of 1x8x8,
  float32, conv-BN-ReLU x2, 2x2 max pool, dropout, linear, cross-entropy,
  Adam; the floor is the same step written by hand in numpy. Every timed
  table also shows each system's median relative to torch (``x torch``).
- ``transformer_step``: one training step of the character-level transformer
  of ``examples/train_char_transformer.py`` in float32 (forward, backward,
  ``clip_grad_norm_``, AdamW, LR schedule); the floor is the same step by hand
  in numpy (``workload_transformer``); HIPS autograd: not applicable.
- ``chain_1m``: a chain of 1,000,000 ops ``h = h * 1.0`` on 4 floats, forward +
  backward (10,000 ops with --quick); each system in a fresh subprocess: time
  and peak memory above the child's baseline.
- ``memory_1mb_chain``: 100 ops ``h = tanh(h)`` on a 1 MB tensor (131072
  floats), then sum and backward; each system in a fresh subprocess: peak
  memory above baseline (the floor keeps the same 100 outputs alive).

Peak memory is the child's resident-set high-water mark (``VmHWM``, reset with
``/proc/self/clear_refs`` after setup where the kernel allows) minus its
resident set just before the workload; elsewhere ``ru_maxrss`` is used.

BLAS/OpenMP threads are pinned to 1 (``--threads N`` to change): the variables
must be set before numpy loads, and ``autograd_c`` (which this module belongs
to) imports numpy first, so the command re-executes itself once with them set.

The package, one concern per module:

- ``workloads``: names, sizes, descriptions, starting data;
- ``systems``: each system's ``step()`` for the timed workloads (numpy floor,
  the two engines, torch, HIPS autograd);
- ``workload_transformer``: ``transformer_step`` (its systems' steps and floor);
- ``timing``: interleaved in-process rounds;
- ``isolated``: the fresh-interpreter workloads (time and peak memory);
- ``report``: tables and run metadata;
- ``cli``: the flags and the driver; ``__main__``: thread pinning, then ``cli.main``;
- ``threads``: the BLAS-thread variables and the re-exec (no numpy import).
"""
from __future__ import annotations

from .cli import main
from .isolated import child_main, child_program, measure, run_child
from .report import render_workload
from .systems import (
    BUILDERS,
    FLOOR,
    NOT_INSTALLED,
    SYSTEMS,
    build_step,
    chain_engine,
    chain_hips,
    chain_numpy,
    chain_torch,
    mlp_engine,
    mlp_hips,
    mlp_numpy,
    mlp_torch,
)
from .threads import REEXEC_MARK as _REEXEC_MARK
from .threads import THREAD_VARS as _THREAD_VARS
from .threads import threads_from_argv as _threads_from_argv
from .timing import time_workload
from .workloads import (
    CHAIN_OPS,
    CHAIN_SIZE,
    DESCRIPTIONS,
    LONG_CHAIN_OPS,
    LONG_CHAIN_OPS_QUICK,
    MEM_FLOATS,
    MEM_OPS,
    MEM_OPS_QUICK,
    MLP_SIZES,
    SUBPROCESS,
    TIMED,
    WORKLOADS,
    chain_data,
    dtype_of,
    mlp_data,
    mlp_lr,
)

__all__ = [
    "BUILDERS", "CHAIN_OPS", "CHAIN_SIZE", "DESCRIPTIONS", "FLOOR", "LONG_CHAIN_OPS",
    "LONG_CHAIN_OPS_QUICK", "MEM_FLOATS", "MEM_OPS", "MEM_OPS_QUICK", "MLP_SIZES",
    "NOT_INSTALLED", "SUBPROCESS", "SYSTEMS", "TIMED", "WORKLOADS", "build_step",
    "chain_data", "chain_engine", "chain_hips", "chain_numpy", "chain_torch", "child_main",
    "child_program", "dtype_of", "main", "measure", "mlp_data", "mlp_engine", "mlp_hips",
    "mlp_lr", "mlp_numpy", "mlp_torch", "render_workload", "run_child", "time_workload",
    "_REEXEC_MARK", "_THREAD_VARS", "_threads_from_argv",
]

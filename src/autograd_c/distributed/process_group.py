"""The default process group: MPI's world, as seen through mpi4py.

``init_process_group()`` joins the processes an MPI launcher started
(``mpiexec -n 4 python train.py``, ``srun --mpi=pmi2 python train.py``);
a process started plainly (``python train.py``) is a world of one rank.
The group works on a duplicate of ``MPI.COMM_WORLD``, so its messages never
mix with any other MPI traffic of the program.

Faults: with ``abort_on_error=True`` (the default) an exception that is not
caught in the main thread of some rank prints its traceback, tagged with the rank, and calls
``MPI_Abort``: the launcher then kills every other rank, even one blocked in
a collective. A rank that dies (signal, ``os._exit``) is noticed by the
launcher, which does the same. And every wait on a collective is bounded by
the group's ``timeout``: a rank left alone in a collective (its peers hang,
or skipped it) raises ``DistributedTimeoutError`` instead of hanging, which
in turn aborts the job.
"""
from __future__ import annotations

import datetime
import os
import sys
import time
import traceback
from typing import Optional, Union

__all__ = ["DistributedError", "DistributedTimeoutError", "init_process_group",
           "destroy_process_group", "is_initialized", "is_available", "get_rank",
           "get_world_size", "barrier", "abort", "ProcessGroup"]

#: default bound on any one wait for a collective, in seconds (torch: 30 min);
#: AUTOGRAD_C_DIST_TIMEOUT overrides it
DEFAULT_TIMEOUT = 600.0

# environment variables through which launchers announce the job size, and who sets them
_LAUNCHER_VARS = (
    ("PMI_SIZE", "an MPICH/Intel MPI launcher (Hydra mpiexec) or srun --mpi=pmi2"),
    ("OMPI_COMM_WORLD_SIZE", "Open MPI's mpirun"),
    ("MV2_COMM_WORLD_SIZE", "MVAPICH's mpirun"),
    ("SLURM_STEP_NUM_TASKS", "Slurm's srun"),
    ("WORLD_SIZE", "torchrun or a similar launcher"),
)


class DistributedError(RuntimeError):
    """A distributed operation was used wrongly or failed."""


class DistributedTimeoutError(DistributedError):
    """A collective did not complete within the process group's timeout."""


def _import_mpi():
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise ImportError(
            "autograd_c.distributed needs mpi4py and an MPI library; install them with "
            "pip install 'autograd_c[distributed]' (mpi4py and the mpich wheel), "
            f"or use your cluster's MPI with mpi4py built against it ({e})") from e
    return MPI


def is_available() -> bool:
    """True when mpi4py (and so an MPI library) can be imported."""
    try:
        _import_mpi()
    except ImportError:
        return False
    return True


class ProcessGroup:
    """The ranks of one communicator. ``comm`` is the mpi4py communicator."""

    def __init__(self, comm, timeout: float) -> None:
        self.comm = comm
        self.rank = comm.Get_rank()
        self.size = comm.Get_size()
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"<ProcessGroup rank {self.rank} of {self.size} (MPI)>"


_default: Optional[ProcessGroup] = None
_saved_hooks = None


def _seconds(timeout) -> float:
    if timeout is None:
        env = os.environ.get("AUTOGRAD_C_DIST_TIMEOUT")
        if env:
            try:
                return float(env)
            except ValueError:
                raise ValueError(f"AUTOGRAD_C_DIST_TIMEOUT must be a number of seconds, "
                                 f"got {env!r}") from None
        return DEFAULT_TIMEOUT
    if isinstance(timeout, datetime.timedelta):
        timeout = timeout.total_seconds()
    timeout = float(timeout)
    if not timeout > 0:
        raise ValueError(f"init_process_group: timeout must be > 0 seconds, got {timeout}")
    return timeout


def _launcher_size():
    """(size, variable, launcher) from the first launcher variable above 1, or None."""
    for var, who in _LAUNCHER_VARS:
        val = os.environ.get(var)
        if val is None:
            continue
        try:
            n = int(val)
        except ValueError:
            continue
        if n > 1:
            return n, var, who
    return None


def init_process_group(backend: str = "mpi", *, timeout: Union[None, float,
                       datetime.timedelta] = None, world_size: Optional[int] = None,
                       abort_on_error: bool = True) -> ProcessGroup:
    """Join the ranks started by the MPI launcher; returns the default group.

    ``timeout`` (seconds or a timedelta; default 600 s or
    $AUTOGRAD_C_DIST_TIMEOUT) bounds every wait for a collective.
    ``world_size``, when given, must equal the number of ranks MPI reports.
    ``abort_on_error`` installs the fault handler described in the module
    docstring (only when there is more than one rank).
    """
    global _default
    if backend not in ("mpi", None):
        raise ValueError(f"init_process_group: backend {backend!r} is not available; "
                         f"autograd_c.distributed runs on MPI only (backend='mpi')")
    if _default is not None:
        raise DistributedError("init_process_group: the default process group is already "
                               "initialized (call destroy_process_group() first)")
    secs = _seconds(timeout)
    MPI = _import_mpi()
    size = MPI.COMM_WORLD.Get_size()
    announced = _launcher_size()
    if size == 1 and announced is not None:
        n, var, who = announced
        lib = MPI.Get_library_version().strip().splitlines()[0]
        raise DistributedError(
            f"init_process_group: the environment announces {n} ranks ({var}={n}, set by "
            f"{who}) but MPI sees a world of 1 rank: this process was not started by a "
            f"launcher of the MPI library mpi4py uses ({lib}). Start it with that "
            f"library's launcher, e.g. `mpiexec -n {n} python ...` (the mpich wheel "
            f"provides mpiexec) or `srun --mpi=pmi2 ...` under Slurm; unset {var} to "
            f"run a single process")
    if world_size is not None and int(world_size) != size:
        raise DistributedError(f"init_process_group: world_size={world_size} was requested "
                               f"but the MPI launcher started {size} ranks")
    _default = ProcessGroup(MPI.COMM_WORLD.Dup(), secs)
    if abort_on_error and size > 1:
        _install_fault_handler()
    return _default


def destroy_process_group() -> None:
    """Leave the default group (MPI itself is finalized at interpreter exit)."""
    global _default
    pg = _require("destroy_process_group")
    _remove_fault_handler()
    _default = None
    pg.comm.Free()


def is_initialized() -> bool:
    return _default is not None


def _require(who: str) -> ProcessGroup:
    if _default is None:
        raise DistributedError(f"{who}: the default process group is not initialized; call "
                               f"autograd_c.distributed.init_process_group() first")
    return _default


def _group(group, who: str) -> ProcessGroup:
    if group is None:
        return _require(who)
    if not isinstance(group, ProcessGroup):
        raise TypeError(f"{who}: group must be a ProcessGroup or None, "
                        f"got {type(group).__name__}")
    return group


def get_rank(group: Optional[ProcessGroup] = None) -> int:
    return _group(group, "get_rank").rank


def get_world_size(group: Optional[ProcessGroup] = None) -> int:
    return _group(group, "get_world_size").size


def barrier(group: Optional[ProcessGroup] = None, async_op: bool = False):
    """Block until every rank has called ``barrier`` (bounded by the timeout)."""
    from .collectives import Work
    pg = _group(group, "barrier")
    work = Work(pg, [pg.comm.Ibarrier()], "barrier")
    if async_op:
        return work
    work.wait()
    return None


def abort(message: str = "", errorcode: int = 1) -> None:
    """Print ``message`` tagged with the rank and kill every rank (MPI_Abort)."""
    MPI = _import_mpi()
    rank = MPI.COMM_WORLD.Get_rank()
    size = MPI.COMM_WORLD.Get_size()
    if message:
        sys.stderr.write(f"[autograd_c.distributed rank {rank}/{size}] {message}\n")
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:   # pragma: no cover - closed streams
        pass
    if size > 1:
        # MPI_Abort makes the launcher kill every rank at once, and output the
        # launcher has not yet forwarded from this rank would be lost with it
        time.sleep(0.2)
    MPI.COMM_WORLD.Abort(errorcode)


# -- fault handler --------------------------------------------------------------

def _report_and_abort(exc_type, exc, tb, where: str) -> None:
    text = "".join(traceback.format_exception(exc_type, exc, tb))
    abort(f"uncaught {exc_type.__name__} in {where}; aborting all ranks "
          f"(MPI_Abort)\n{text}", 1)


def _excepthook(exc_type, exc, tb):
    _report_and_abort(exc_type, exc, tb, "the main thread")


# Only the main thread's uncaught exceptions end the job: a background thread
# that dies (a progress bar's monitor, a prefetcher) does not mean the rank failed.

def _install_fault_handler() -> None:
    global _saved_hooks
    if _saved_hooks is None:
        _saved_hooks = sys.excepthook
    sys.excepthook = _excepthook


def _remove_fault_handler() -> None:
    global _saved_hooks
    if _saved_hooks is not None:
        if sys.excepthook is _excepthook:
            sys.excepthook = _saved_hooks
        _saved_hooks = None

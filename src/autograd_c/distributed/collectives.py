"""Collectives on Tensors, with PyTorch's names and argument order.

Each works on the numpy arrays behind the tensors through MPI's buffer
interface (no pickling): ``all_reduce``, ``broadcast``, ``reduce``,
``all_gather_into_tensor`` and ``reduce_scatter_tensor`` write the result
straight into the tensor's own memory. Where the API hands over a *list*
of tensors (``all_gather``, ``gather``, ``scatter``), MPI needs one
contiguous buffer, so the list's arrays are copied out of or into it once.
A tensor whose array is not C-contiguous is worked on through a contiguous
copy that is written back.

Every collective is started non-blocking (MPI-3 ``I...`` calls). With
``async_op=True`` it returns a ``Work`` whose ``wait()`` completes it (and
only then does the tensor hold the result); otherwise it waits itself and
returns None. Waiting is bounded by the process group's timeout (see
``process_group``). Tensors written by a collective get their version
bumped, like any in-place change (``Tensor.mark_modified``).

Reductions need the same dtype on every rank: float32/64, integers or
complex (AVG: floating and complex only; MAX/MIN: not complex).
Data movement (broadcast, gather, scatter, all_gather) takes any dtype,
moved as bytes.
"""
from __future__ import annotations

import enum
import pickle
import time
from typing import Callable, List, Optional, Sequence

import numpy as np

from .._tensor import Tensor
from .process_group import DistributedTimeoutError, ProcessGroup, _group, _import_mpi

__all__ = ["ReduceOp", "Work", "all_reduce", "broadcast", "reduce", "all_gather",
           "all_gather_into_tensor", "reduce_scatter_tensor", "gather", "scatter",
           "all_gather_object"]


class ReduceOp(enum.Enum):
    """How ``all_reduce``/``reduce``/``reduce_scatter_tensor`` combine the ranks' values."""
    SUM = "sum"
    AVG = "avg"
    MAX = "max"
    MIN = "min"
    PRODUCT = "product"

    def __repr__(self) -> str:
        return f"ReduceOp.{self.name}"


def _reduce_op(op, who: str) -> ReduceOp:
    if isinstance(op, ReduceOp):
        return op
    if isinstance(op, str):
        try:
            return ReduceOp[op.upper()]
        except KeyError:
            pass
    raise ValueError(f"{who}: unknown reduce op {op!r}; use one of "
                     f"{', '.join('ReduceOp.' + o.name for o in ReduceOp)}")


def _mpi_op(MPI, op: ReduceOp):
    return {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.MAX: MPI.MAX,
            ReduceOp.MIN: MPI.MIN, ReduceOp.PRODUCT: MPI.PROD}[op]


class Work:
    """A collective in flight: ``wait()`` completes it, ``is_completed()`` polls."""

    __slots__ = ("_pg", "_reqs", "_what", "_finish", "_keep", "_done")

    def __init__(self, pg: ProcessGroup, reqs: list, what: str,
                 finish: Optional[Callable[[], None]] = None, keep=()) -> None:
        self._pg = pg
        self._reqs = reqs
        self._what = what
        self._finish = finish
        self._keep = keep           # buffers MPI is reading or writing until completion
        self._done = False

    def is_completed(self) -> bool:
        if not self._done:
            MPI = _import_mpi()
            if MPI.Request.Testall(self._reqs):
                self._complete()
        return self._done

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Block until the collective is complete on this rank (at most
        ``timeout`` seconds, by default the process group's); True."""
        if not self._done:
            wait_requests(self._pg, self._reqs, self._what,
                          self._pg.timeout if timeout is None else timeout)
            self._complete()
        return True

    def _complete(self) -> None:
        self._done = True
        self._reqs = []
        self._keep = ()
        finish, self._finish = self._finish, None
        if finish is not None:
            finish()

    def __repr__(self) -> str:
        return f"<Work {self._what} {'done' if self._done else 'pending'}>"


#: how long a wait busy-polls MPI before it starts sleeping between polls
SPIN_SECONDS = 0.05


def wait_requests(pg: ProcessGroup, reqs: list, what: str, timeout: float) -> None:
    """Wait for MPI requests, polling, and raise DistributedTimeoutError after
    ``timeout`` seconds. Polling (rather than a blocking MPI_Waitall) keeps
    the wait bounded and lets Ctrl-C through."""
    MPI = _import_mpi()
    test = MPI.Request.Testall
    if test(reqs):
        return
    now = time.monotonic
    # Busy-poll first, as MPI's own blocking wait does: a large message is
    # pipelined through shared memory or the network only while both sides
    # drive MPI's progress engine, and sleeping would stall it.
    start = now()
    spin_until = start + SPIN_SECONDS
    while now() < spin_until:
        if test(reqs):
            return
    deadline = start + timeout
    delay = 1e-4
    while not test(reqs):
        if now() > deadline:
            raise DistributedTimeoutError(
                f"{what} on rank {pg.rank} of {pg.size} did not complete within "
                f"{timeout:g} s: some rank never joined it (it hangs, died, or called a "
                f"different collective)")
        time.sleep(delay)
        delay = min(delay * 2, 1e-3)


# -- buffers ------------------------------------------------------------------------

def _check_tensor(t, who: str, what: str = "tensor") -> None:
    if not isinstance(t, Tensor):
        raise TypeError(f"{who}: {what} must be an autograd_c Tensor, got {type(t).__name__}")


def _out_buffer(t, who: str, what: str = "tensor"):
    """(contiguous writable array, original array to copy back to or None)."""
    _check_tensor(t, who, what)
    arr = t.data
    if not arr.flags.writeable:
        raise ValueError(f"{who}: {what} of shape {tuple(arr.shape)} has a read-only array "
                         f"(a broadcast view?); it cannot receive data in place")
    if arr.flags.c_contiguous:
        return arr, None
    return np.ascontiguousarray(arr), arr


def _in_array(t, who: str, what: str = "tensor") -> np.ndarray:
    _check_tensor(t, who, what)
    return np.ascontiguousarray(t.data)


def _typed(MPI, arr: np.ndarray, op: ReduceOp, who: str):
    """The buffer for a reduction, or a TypeError naming the problem."""
    dt = arr.dtype
    if dt.kind not in "fiuc" or dt == np.float16 or dt.itemsize > 16:
        raise TypeError(f"{who}: MPI cannot reduce dtype {dt}; use float32/float64, "
                        f"an integer or a complex dtype")
    if op is ReduceOp.AVG and dt.kind not in "fc":
        raise TypeError(f"{who}: ReduceOp.AVG needs a floating or complex tensor, got {dt}")
    if dt.kind == "c" and op in (ReduceOp.MAX, ReduceOp.MIN):
        raise TypeError(f"{who}: {op!r} is undefined for complex dtype {dt}")
    return arr                  # mpi4py maps the buffer's format to MPI's predefined type


def _bytes(MPI, arr: np.ndarray):
    return [arr, MPI.BYTE]


def _finisher(steps: List[Callable[[], None]]) -> Callable[[], None]:
    def finish():
        for s in steps:
            s()
    return finish


def _written(t, arr: np.ndarray, orig: Optional[np.ndarray], avg_by: int = 0) -> List[Callable]:
    """Steps that complete an in-place result: AVG division, copy back, version bump."""
    steps = []
    if avg_by:
        steps.append(lambda: np.divide(arr, avg_by, out=arr))
    if orig is not None:
        steps.append(lambda: np.copyto(orig, arr))
    steps.append(t.mark_modified)
    return steps


def _run(pg, req, what, steps, keep, async_op):
    work = Work(pg, [req], what, _finisher(steps), keep)
    if async_op:
        return work
    work.wait()
    return None


def _check_rank(pg, r, who, what):
    if not isinstance(r, (int, np.integer)) or not 0 <= r < pg.size:
        raise ValueError(f"{who}: {what}={r!r} is not a rank of this group (0..{pg.size - 1})")
    return int(r)


# -- collectives ----------------------------------------------------------------------

def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """Combine ``tensor`` over all ranks with ``op``; every rank gets the result in place."""
    who = "all_reduce"
    pg = _group(group, who)
    op = _reduce_op(op, who)
    MPI = _import_mpi()
    arr, orig = _out_buffer(tensor, who)
    buf = _typed(MPI, arr, op, who)
    req = pg.comm.Iallreduce(MPI.IN_PLACE, buf, _mpi_op(MPI, op))
    avg = pg.size if op is ReduceOp.AVG else 0
    return _run(pg, req, f"all_reduce({op!r}, shape {tuple(arr.shape)})",
                _written(tensor, arr, orig, avg), (arr,), async_op)


def reduce(tensor, dst: int = 0, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """Combine ``tensor`` over all ranks into rank ``dst``'s tensor (others unchanged)."""
    who = "reduce"
    pg = _group(group, who)
    op = _reduce_op(op, who)
    dst = _check_rank(pg, dst, who, "dst")
    MPI = _import_mpi()
    if pg.rank == dst:
        arr, orig = _out_buffer(tensor, who)
        buf = _typed(MPI, arr, op, who)
        req = pg.comm.Ireduce(MPI.IN_PLACE, buf, _mpi_op(MPI, op), root=dst)
        steps = _written(tensor, arr, orig, pg.size if op is ReduceOp.AVG else 0)
    else:
        arr = _in_array(tensor, who)
        req = pg.comm.Ireduce(_typed(MPI, arr, op, who), None, _mpi_op(MPI, op), root=dst)
        steps = []
    return _run(pg, req, f"reduce(dst={dst}, {op!r})", steps, (arr,), async_op)


def broadcast(tensor, src: int = 0, group=None, async_op: bool = False):
    """Copy rank ``src``'s tensor into every other rank's tensor (same shape and dtype)."""
    who = "broadcast"
    pg = _group(group, who)
    src = _check_rank(pg, src, who, "src")
    MPI = _import_mpi()
    if pg.rank == src:
        arr, orig, steps = _in_array(tensor, who), None, []
    else:
        arr, orig = _out_buffer(tensor, who)
        steps = _written(tensor, arr, orig)
    req = pg.comm.Ibcast(_bytes(MPI, arr), root=src)
    return _run(pg, req, f"broadcast(src={src}, shape {tuple(arr.shape)})", steps, (arr,),
                async_op)


def _check_list(tensors, n, like: np.ndarray, who: str, what: str) -> list:
    if not isinstance(tensors, (list, tuple)) or len(tensors) != n:
        got = len(tensors) if isinstance(tensors, (list, tuple)) else type(tensors).__name__
        raise ValueError(f"{who}: {what} must be a list of {n} tensors (one per rank), got {got}")
    for i, t in enumerate(tensors):
        _check_tensor(t, who, f"{what}[{i}]")
        if t.shape != like.shape or t.dtype != like.dtype:
            raise ValueError(f"{who}: {what}[{i}] has shape {tuple(t.shape)} and dtype "
                             f"{t.dtype}, expected {tuple(like.shape)} and {like.dtype}")
    return list(tensors)


def _unpack_steps(recv: np.ndarray, tensors: Sequence) -> List[Callable]:
    def unpack():
        for i, t in enumerate(tensors):
            np.copyto(t.data, recv[i])
            t.mark_modified()
    return [unpack]


def all_gather(tensor_list: list, tensor, group=None, async_op: bool = False):
    """``tensor_list[r]`` receives rank r's ``tensor`` on every rank."""
    who = "all_gather"
    pg = _group(group, who)
    MPI = _import_mpi()
    send = _in_array(tensor, who)
    tensors = _check_list(tensor_list, pg.size, send, who, "tensor_list")
    recv = np.empty((pg.size,) + send.shape, dtype=send.dtype)
    req = pg.comm.Iallgather(_bytes(MPI, send), _bytes(MPI, recv))
    return _run(pg, req, f"all_gather(shape {tuple(send.shape)})",
                _unpack_steps(recv, tensors), (send, recv), async_op)


def _stacked_shape_ok(big: tuple, small: tuple, n: int) -> bool:
    """``big`` is ``small`` stacked n times: (n, *small), or (n*small[0], *small[1:])."""
    if big == (n,) + small:
        return True
    return len(small) >= 1 and big == (n * small[0],) + small[1:]


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op: bool = False):
    """Every rank's ``input_tensor`` concatenated (rank order) along dim 0 into
    ``output_tensor``, of shape (world*n, ...) or (world, n, ...)."""
    who = "all_gather_into_tensor"
    pg = _group(group, who)
    MPI = _import_mpi()
    send = _in_array(input_tensor, who, "input_tensor")
    out, orig = _out_buffer(output_tensor, who, "output_tensor")
    if out.dtype != send.dtype or not _stacked_shape_ok(out.shape, send.shape, pg.size):
        raise ValueError(f"{who}: output_tensor has shape {tuple(out.shape)} and dtype "
                         f"{out.dtype}; for {pg.size} ranks and an input of shape "
                         f"{tuple(send.shape)} ({send.dtype}) it must have dim 0 "
                         f"{pg.size} times the input's, and the input's dtype")
    req = pg.comm.Iallgather(_bytes(MPI, send), _bytes(MPI, out))
    return _run(pg, req, f"all_gather_into_tensor(shape {tuple(send.shape)})",
                _written(output_tensor, out, orig), (send, out), async_op)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """Reduce ``input`` (world*n along dim 0, or (world, ...)) over all ranks
    with ``op`` and give rank r the r-th block, in ``output``."""
    who = "reduce_scatter_tensor"
    pg = _group(group, who)
    op = _reduce_op(op, who)
    MPI = _import_mpi()
    send = _in_array(input, who, "input")
    out, orig = _out_buffer(output, who, "output")
    if out.dtype != send.dtype or not _stacked_shape_ok(send.shape, out.shape, pg.size):
        raise ValueError(f"{who}: input has shape {tuple(send.shape)} and dtype {send.dtype}; "
                         f"for {pg.size} ranks and an output of shape {tuple(out.shape)} "
                         f"({out.dtype}) it must have dim 0 {pg.size} times the output's, "
                         f"and the output's dtype")
    req = pg.comm.Ireduce_scatter_block(_typed(MPI, send, op, who), _typed(MPI, out, op, who),
                                        _mpi_op(MPI, op))
    avg = pg.size if op is ReduceOp.AVG else 0
    return _run(pg, req, f"reduce_scatter_tensor({op!r}, shape {tuple(send.shape)})",
                _written(output, out, orig, avg), (send, out), async_op)


def gather(tensor, gather_list: Optional[list] = None, dst: int = 0, group=None,
           async_op: bool = False):
    """Rank ``dst`` receives every rank's ``tensor`` in ``gather_list`` (rank order);
    the other ranks pass no list."""
    who = "gather"
    pg = _group(group, who)
    dst = _check_rank(pg, dst, who, "dst")
    MPI = _import_mpi()
    send = _in_array(tensor, who)
    if pg.rank == dst:
        tensors = _check_list(gather_list, pg.size, send, who, "gather_list")
        recv = np.empty((pg.size,) + send.shape, dtype=send.dtype)
        req = pg.comm.Igather(_bytes(MPI, send), _bytes(MPI, recv), root=dst)
        steps = _unpack_steps(recv, tensors)
        keep: tuple = (send, recv)
    else:
        if gather_list:
            raise ValueError(f"{who}: only the destination rank {dst} passes a gather_list "
                             f"(rank {pg.rank} got one)")
        req = pg.comm.Igather(_bytes(MPI, send), None, root=dst)
        steps, keep = [], (send,)
    return _run(pg, req, f"gather(dst={dst}, shape {tuple(send.shape)})", steps, keep, async_op)


def scatter(tensor, scatter_list: Optional[list] = None, src: int = 0, group=None,
            async_op: bool = False):
    """Rank r receives ``scatter_list[r]`` of rank ``src`` in ``tensor``;
    the other ranks pass no list."""
    who = "scatter"
    pg = _group(group, who)
    src = _check_rank(pg, src, who, "src")
    MPI = _import_mpi()
    out, orig = _out_buffer(tensor, who)
    if pg.rank == src:
        tensors = _check_list(scatter_list, pg.size, out, who, "scatter_list")
        send = np.stack([t.data for t in tensors])
        req = pg.comm.Iscatter(_bytes(MPI, send), _bytes(MPI, out), root=src)
        keep: tuple = (send, out)
    else:
        if scatter_list:
            raise ValueError(f"{who}: only the source rank {src} passes a scatter_list "
                             f"(rank {pg.rank} got one)")
        req = pg.comm.Iscatter(None, _bytes(MPI, out), root=src)
        keep = (out,)
    return _run(pg, req, f"scatter(src={src}, shape {tuple(out.shape)})",
                _written(tensor, out, orig), keep, async_op)


def all_gather_object(object_list: list, obj, group=None) -> None:
    """``object_list[r]`` receives rank r's ``obj`` on every rank (pickled:
    for small Python objects such as metadata, never for tensor data; only
    unpickle what your own ranks sent)."""
    who = "all_gather_object"
    pg = _group(group, who)
    if not isinstance(object_list, list) or len(object_list) != pg.size:
        raise ValueError(f"{who}: object_list must be a list of {pg.size} items (one per rank)")
    MPI = _import_mpi()
    data = np.frombuffer(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL), dtype=np.uint8)
    sizes = np.zeros(pg.size, dtype=np.int64)
    mine = np.array([data.size], dtype=np.int64)
    Work(pg, [pg.comm.Iallgather(mine, sizes)], f"{who} (sizes)", None, (mine, sizes)).wait()
    displs = np.zeros(pg.size, dtype=np.int64)
    np.cumsum(sizes[:-1], out=displs[1:])
    recv = np.empty(int(sizes.sum()), dtype=np.uint8)
    req = pg.comm.Iallgatherv(_bytes(MPI, data), [recv, (sizes, displs), MPI.BYTE])
    Work(pg, [req], who, None, (data, recv)).wait()
    for r in range(pg.size):
        object_list[r] = pickle.loads(recv[displs[r]:displs[r] + sizes[r]].tobytes())

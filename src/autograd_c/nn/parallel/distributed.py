"""``DistributedDataParallel``: one model replica per MPI rank, gradients averaged.

Every rank runs the same model on its own shard of each batch. DDP makes
the replicas start equal (rank 0's parameters are broadcast at
construction) and stay equal: during ``backward()`` the gradients are
averaged over the ranks, so that when ``backward()`` returns every rank
holds the same ``.grad`` -- the gradient of the loss averaged over the
global batch -- and the same ``optimizer.step()`` keeps the replicas equal.

How the averaging hooks into backward: each parameter has a
post-accumulate-grad hook (``Tensor.register_post_accumulate_grad_hook``).
Parameters are grouped into buckets of about ``bucket_cap_mb`` megabytes,
in reverse registration order (the order backward reaches them: last layer
first). When every parameter of a bucket has its gradient, the bucket's
gradients are copied into one flat buffer and a non-blocking allreduce of it
is started (``MPI_Iallreduce``, in place); the hook of the last parameter to
get its gradient waits for all the buckets, divides by the world size and
writes the averages back into each ``.grad``.

Every parameter that requires grad must receive a gradient in every
backward pass (as with PyTorch's ``find_unused_parameters=False``). If one
does not, its bucket is never reduced; the next ``forward`` (or the next
backward that reaches a parameter twice) raises ``DistributedError``
naming the parameters that got no gradient. By then ranks may be out of
step: the error, uncaught, aborts the job (see
``autograd_c.distributed.process_group``) instead of letting a rank hang.
Freeze parameters you do not train with ``requires_grad=False`` before
wrapping the model.

``no_sync()`` skips the averaging, for gradient accumulation: backward
passes inside it only accumulate local gradients; the first backward after
it averages the accumulated sum.
"""
from __future__ import annotations

import contextlib
import weakref
from typing import Dict, List, Tuple

import numpy as np

from ... import distributed as dist
from ...distributed.collectives import wait_requests
from ...distributed.process_group import DistributedError, _group, _import_mpi
from ..module import Module

__all__ = ["DistributedDataParallel"]


class _Bucket:
    __slots__ = ("params", "names", "slices", "flat", "ready", "request")

    def __init__(self, params, names, dtype) -> None:
        self.params = params
        self.names = names
        self.slices = []
        off = 0
        for p in params:
            n = p.data.size
            self.slices.append(slice(off, off + n))
            off += n
        self.flat = np.empty(off, dtype=dtype)
        self.ready = 0
        self.request = None


def _describe(meta) -> Dict[str, Tuple]:
    return {name: rest for name, *rest in meta}


class DistributedDataParallel(Module):
    """``DistributedDataParallel(module, bucket_cap_mb=25)``: wrap ``module``
    (built the same way on every rank) for data-parallel training.

    At construction every rank must have the same parameter names, shapes,
    dtypes and ``requires_grad`` flags (otherwise a ``DistributedError``
    names the first difference, on every rank), and rank 0's parameters are
    copied to all ranks. Call it like the module; ``self.module`` is the
    wrapped module (parameter names get a ``module.`` prefix, as in PyTorch).
    """

    def __init__(self, module: Module, bucket_cap_mb: float = 25, process_group=None,
                 broadcast_buffers: bool = True) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: expected an autograd_c.nn.Module, "
                            f"got {type(module).__name__}")
        if not bucket_cap_mb > 0:
            raise ValueError(f"DistributedDataParallel: bucket_cap_mb must be > 0, "
                             f"got {bucket_cap_mb}")
        self.module = module
        pg = _group(process_group, "DistributedDataParallel")
        self._pg = pg
        self.bucket_cap_mb = bucket_cap_mb
        self.broadcast_buffers = broadcast_buffers
        named = list(module.named_parameters())
        self._check_same_everywhere(pg, named)
        self._sync_from_rank0(pg, named)
        trained = [(n, p) for n, p in named if p.requires_grad]
        self._buckets: List[_Bucket] = self._make_buckets(trained, bucket_cap_mb)
        self._where: Dict[int, Tuple[_Bucket, int]] = {}
        for b in self._buckets:
            for i, p in enumerate(b.params):
                self._where[id(p)] = (b, i)
        self._seen: set = set()                 # ids of params with a grad this pass
        self._n_params = len(trained)
        self._sync = True
        me = weakref.ref(self)

        def hook(p, _me=me):
            ddp = _me()
            if ddp is not None:
                ddp._grad_ready(p)
        self._handles = [p.register_post_accumulate_grad_hook(hook) for _, p in trained]

    @property
    def buckets(self) -> List[List[str]]:
        """The gradient buckets, in reduction order: each a list of parameter names."""
        return [list(b.names) for b in self._buckets]

    # -- construction --------------------------------------------------------------
    @staticmethod
    def _check_same_everywhere(pg, named) -> None:
        meta = [(n, tuple(p.shape), p.dtype.str, bool(p.requires_grad)) for n, p in named]
        metas: list = [None] * pg.size
        dist.all_gather_object(metas, meta, group=pg)   # small metadata only
        ref = _describe(metas[0])
        for r, m in enumerate(metas[1:], start=1):
            mine = _describe(m)
            problem = None
            for name, (shape, dtype, rg) in ref.items():
                if name not in mine:
                    problem = f"parameter {name!r} of rank 0 is missing on rank {r}"
                elif mine[name][0] != shape:
                    problem = (f"parameter {name!r} has shape {mine[name][0]} on rank {r} "
                               f"but {shape} on rank 0")
                elif mine[name][1] != dtype:
                    problem = (f"parameter {name!r} has dtype {np.dtype(mine[name][1])} on "
                               f"rank {r} but {np.dtype(dtype)} on rank 0")
                elif mine[name][2] != rg:
                    problem = (f"parameter {name!r} has requires_grad={mine[name][2]} on "
                               f"rank {r} but {rg} on rank 0")
                if problem:
                    break
            if problem is None:
                extra = [n for n in mine if n not in ref]
                if extra:
                    problem = f"rank {r} has parameter {extra[0]!r}, which rank 0 does not"
                elif [x[0] for x in m] != [x[0] for x in metas[0]]:
                    problem = f"rank {r} registers the parameters in another order than rank 0"
            if problem:
                raise DistributedError(f"DistributedDataParallel: the model differs between "
                                       f"ranks: {problem}")

    def _sync_from_rank0(self, pg, named) -> None:
        tensors = [p for _, p in named]
        buffers = getattr(self.module, "named_buffers", None)
        if callable(buffers) and self.broadcast_buffers:
            tensors += [b for _, b in buffers()]
        works = [dist.broadcast(t, src=0, group=pg, async_op=True) for t in tensors]
        for w in works:
            w.wait()

    @staticmethod
    def _make_buckets(trained, cap_mb) -> List[_Bucket]:
        cap = cap_mb * 1024 * 1024
        buckets: List[_Bucket] = []
        cur: list = []
        names: List[str] = []
        size, dtype = 0, None
        for name, p in reversed(trained):
            nbytes = p.data.nbytes
            if cur and (p.dtype != dtype or size + nbytes > cap):
                buckets.append(_Bucket(cur, names, dtype))
                cur, names, size = [], [], 0
            cur.append(p)
            names.append(name)
            dtype = p.dtype
            size += nbytes
        if cur:
            buckets.append(_Bucket(cur, names, dtype))
        return buckets

    # -- forward / backward ------------------------------------------------------------
    def forward(self, *args, **kwargs):
        if self._seen:
            self._unfinished("forward() was called")
        return self.module(*args, **kwargs)

    def _unfinished(self, when: str):
        missing = [n for b in reversed(self._buckets)
                   for n, p in reversed(list(zip(b.names, b.params))) if id(p) not in self._seen]
        shown = ", ".join(repr(n) for n in missing[:8]) + (" ..." if len(missing) > 8 else "")
        self._seen = set()
        for b in self._buckets:
            b.ready = 0
            b.request = None
        raise DistributedError(
            f"DistributedDataParallel (rank {self._pg.rank}): {when} before the previous "
            f"backward pass had given a gradient to every parameter; these {len(missing)} "
            f"got none: {shown}. Their gradients were never averaged, so the ranks are "
            f"out of step. Every parameter that requires grad must take part in the loss "
            f"(set requires_grad=False on the ones you do not train, before wrapping)")

    def _grad_ready(self, p) -> None:
        if not self._sync:
            return
        key = id(p)
        if key in self._seen:
            self._unfinished("a backward pass reached a parameter again")
        self._seen.add(key)
        b, _ = self._where[key]
        b.ready += 1
        if b.ready == len(b.params):
            self._launch(b)
        if len(self._seen) == self._n_params:
            self._finish()

    def _launch(self, b: _Bucket) -> None:
        flat = b.flat
        for p, sl in zip(b.params, b.slices):
            flat[sl] = p.grad.data.reshape(-1)
        MPI = _import_mpi()
        b.request = self._pg.comm.Iallreduce(MPI.IN_PLACE, flat, MPI.SUM)

    def _finish(self) -> None:
        pg = self._pg
        reqs = [b.request for b in self._buckets]
        self._seen = set()
        wait_requests(pg, reqs, f"DistributedDataParallel gradient allreduce "
                                f"({len(reqs)} buckets)", pg.timeout)
        n = pg.size
        for b in self._buckets:
            b.request = None
            b.ready = 0
            flat = b.flat
            if n > 1:
                np.divide(flat, n, out=flat)
            for p, sl in zip(b.params, b.slices):
                g = p.grad.data
                src = flat[sl].reshape(g.shape)
                if g.flags.writeable:
                    np.copyto(g, src)
                else:
                    p.grad = src.copy()

    @contextlib.contextmanager
    def no_sync(self):
        """Inside this context, backward passes accumulate local gradients
        without averaging them; the first backward after it averages the sum."""
        prev = self._sync
        self._sync = False
        try:
            yield
        finally:
            self._sync = prev

    def remove_hooks(self) -> None:
        """Unregister the gradient hooks (the wrapper stops averaging)."""
        for h in self._handles:
            h.remove()
        self._handles = []

    def __del__(self):
        try:
            self.remove_hooks()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass

    def extra_repr(self) -> str:
        return (f"world_size={self._pg.size}, buckets={len(self._buckets)}, "
                f"bucket_cap_mb={self.bucket_cap_mb}")

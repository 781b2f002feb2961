"""Data-parallel training on MPI (mpi4py), with PyTorch's ``torch.distributed`` names.

    import autograd_c.distributed as dist
    dist.init_process_group()                 # the ranks mpiexec/srun started
    dist.all_reduce(t, op=dist.ReduceOp.AVG)  # in place, on t's numpy array

Launch with ``mpiexec -n 4 python train.py`` (or ``srun``); a plain
``python train.py`` is a world of one rank. Needs the ``distributed`` extra:
``pip install 'autograd_c[distributed]'`` (mpi4py and the mpich wheel).
Importing this package does not import mpi4py (nor start MPI); the first
``init_process_group()`` does. See ``process_group`` for fault handling
and ``autograd_c.nn.parallel.DistributedDataParallel`` for training.
"""
from .collectives import (
                            ReduceOp,
                            Work,
                            all_gather,
                            all_gather_into_tensor,
                            all_gather_object,
                            all_reduce,
                            broadcast,
                            gather,
                            reduce,
                            reduce_scatter_tensor,
                            scatter,
)
from .process_group import (
                            DEFAULT_TIMEOUT,
                            DistributedError,
                            DistributedTimeoutError,
                            ProcessGroup,
                            abort,
                            barrier,
                            destroy_process_group,
                            get_rank,
                            get_world_size,
                            init_process_group,
                            is_available,
                            is_initialized,
)

__all__ = ["DEFAULT_TIMEOUT", "DistributedError", "DistributedTimeoutError", "ProcessGroup",
           "abort", "barrier", "destroy_process_group", "get_rank", "get_world_size",
           "init_process_group", "is_available", "is_initialized",
           "ReduceOp", "Work", "all_gather", "all_gather_into_tensor", "all_gather_object", "all_reduce", "broadcast",  # noqa: E501
           "gather", "reduce", "reduce_scatter_tensor", "scatter"]

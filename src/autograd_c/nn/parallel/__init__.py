"""Parallel wrappers for modules: ``DistributedDataParallel`` (on MPI)."""
from .distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]

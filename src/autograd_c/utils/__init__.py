"""Utilities in PyTorch's layout: ``autograd_c.utils.data`` (datasets,
samplers, DataLoader) and ``autograd_c.utils.checkpoint``."""
from . import checkpoint, data

__all__ = ["checkpoint", "data"]

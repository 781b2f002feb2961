"""Utilities in PyTorch's layout: ``autograd_c.utils.data`` (datasets,
samplers, DataLoader)."""
from . import data

__all__ = ["data"]

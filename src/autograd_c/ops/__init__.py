"""The op table: every differentiable operation, one entry each.

Families: ``elementwise``, ``reduce`` (+ ``reduce_cum``: cumulative ops;
``reduce_select``: sort/median/topk..., non-differentiable reductions),
``shape`` (+ ``shape_composites``: shape functions built from the shape
ops), ``index``, ``linalg``. The
registry and the rule contract are in ``_registry``; the public API
(``autograd_c.add``, ``Tensor.add``, ``Tensor.__add__``...) is generated from
the entries by ``autograd_c._surface``. See the README's "Adding an op".
"""
from __future__ import annotations

from . import elementwise, index, linalg, reduce, shape  # noqa: F401  (registers the ops)
from . import reduce_cum, shape_composites  # noqa: F401
from . import composites  # noqa: F401  (public functions built from ops)
from . import reduce_select  # noqa: F401
from ._helpers import Like, cast, cast_by, cast_info, unbroadcast  # noqa: F401
from ._registry import COMPOSITES, REGISTRY, Op, composite, op  # noqa: F401

#: the family modules, in registration order (the compiled twin imports the same list)
FAMILIES = ("elementwise", "reduce", "reduce_cum", "shape", "index", "linalg", "composites",
            "shape_composites", "reduce_select")

globals().update(REGISTRY)

__all__ = ["Op", "REGISTRY", "op", "unbroadcast", "FAMILIES", *REGISTRY]

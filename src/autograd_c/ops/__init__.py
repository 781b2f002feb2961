"""The op table: every differentiable operation, one entry each.

Families: ``elementwise``, ``reduce``, ``shape``, ``index``, ``linalg`` (+
``linalg_decomp``, ``linalg_api``). The
registry and the rule contract are in ``_registry``; the public API
(``autograd_c.add``, ``Tensor.add``, ``Tensor.__add__``...) is generated from
the entries by ``autograd_c._surface``. See the README's "Adding an op".
"""
from __future__ import annotations

from . import elementwise, index, linalg, reduce, shape  # noqa: F401  (registers the ops)
from . import linalg_decomp  # noqa: F401
from . import composites  # noqa: F401  (public functions built from ops)
from . import linalg_api  # noqa: F401  (public linear algebra, built from ops)
from ._helpers import Like, cast, cast_by, cast_info, unbroadcast  # noqa: F401
from ._registry import COMPOSITES, REGISTRY, Op, composite, op  # noqa: F401

#: the family modules, in registration order (the compiled twin imports the same list)
FAMILIES = ("elementwise", "reduce", "shape", "index", "linalg", "linalg_decomp", "composites",
            "linalg_api")

globals().update(REGISTRY)

__all__ = ["Op", "REGISTRY", "op", "unbroadcast", "FAMILIES", *REGISTRY]

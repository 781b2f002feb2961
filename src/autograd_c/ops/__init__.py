"""The op table: every differentiable operation, one entry each.

Families: ``elementwise`` (+ ``_math``, ``_special``, ``_logic``),
``reduce`` (+ ``reduce_cum``: cumulative ops; ``reduce_select``:
sort/median/topk..., non-differentiable reductions), ``shape`` (+
``shape_composites``), ``index`` (+ ``index_put``), ``linalg`` (+
``linalg_decomp``, ``linalg_api``), ``nn`` (im2col/col2im). The
registry and the rule contract are in ``_registry``; the public API
(``autograd_c.add``, ``Tensor.add``, ``Tensor.__add__``...) is generated from
the entries by ``autograd_c._surface``. See the README's "Adding an op".
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

# importing a family registers its ops (and composites) in REGISTRY
from . import (  # noqa: F401
    composites,
    elementwise,
    elementwise_logic,
    elementwise_math,
    elementwise_special,
    index,
    index_put,
    linalg,
    linalg_api,
    linalg_decomp,
    nn,
    reduce,
    reduce_cum,
    reduce_select,
    shape,
    shape_composites,
)
from ._helpers import Like, cast, cast_by, cast_info, unbroadcast  # noqa: F401
from ._registry import COMPOSITES, REGISTRY, Op, composite, op  # noqa: F401

#: the family modules, in registration order (the compiled twin imports the same list)
FAMILIES = ("elementwise", "elementwise_math", "elementwise_special", "elementwise_logic",
            "reduce", "reduce_cum", "reduce_select", "shape", "shape_composites", "index",
            "index_put", "linalg", "linalg_decomp", "nn", "composites", "linalg_api")

globals().update(REGISTRY)
if TYPE_CHECKING:
    # for mypy, which cannot follow the update above: every op by name (ops.add...)
    # (a variable, not a def: mypy loses a def's types in this import cycle)
    __getattr__: Callable[[str], Op]

__all__ = ["Op", "REGISTRY", "op", "unbroadcast", "FAMILIES", *REGISTRY]

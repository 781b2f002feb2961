"""Writing into a tensor: ``t[index] = values`` on a tensor in the graph."""
from __future__ import annotations

import numpy as np

from ._helpers import Like, cast
from ._registry import op
from .index import _index_copy, getitem


@op("index_put")
class index_put:
    """``input`` with ``values`` written at ``index`` (a copy; the in-place
    ``t[index] = values`` writes this into ``t``). Gradient: ``g`` with the
    written positions zeroed, to ``input``; ``g[index]`` (summed back to the
    values' shape), to ``values``."""

    def forward(input, values, index=None):
        index = _index_copy(index)
        out = np.array(input, copy=True)
        out[index] = values
        like = Like(np.shape(values), np.asarray(values).dtype) \
            if isinstance(values, np.ndarray) else values
        return out, (index, like)

    def backward(ctx, g, needs):
        index, like = ctx
        gi = index_put(g, np.zeros((), dtype=g.dtype), index=index) if needs[0] else None
        gv = cast(getitem(g, index=index), like) if needs[1] else None
        return gi, gv

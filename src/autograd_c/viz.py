"""Drawing the graph behind a tensor: ``to_dot`` returns Graphviz DOT text;
``render`` turns it into SVG/PNG when the ``graphviz`` package is installed
(``pip install "autograd_c[viz]"``; not a requirement).

Boxes are recorded ops (``grad_fn``), with the shape and dtype of their
output; ellipses are leaf tensors that require grad, named from ``params``
(for example ``dict(model.named_parameters())``) when given. Edges point
the way the forward pass went (from inputs to the op that used them).
Shapes of interior ops are read from one backward pass run in capture mode
(nothing is accumulated into any ``.grad``); a graph whose saved arrays were
freed is drawn without them.
"""
from __future__ import annotations

import numpy as np

from . import _tensor
from ._graph import Capture

__all__ = ["to_dot", "render"]


def _walk(root_node):
    """Nodes and leaves reachable from ``root_node``, and the edges between them."""
    nodes, leaves, edges = [], [], []
    seen = {id(root_node)}
    stack = [root_node]
    while stack:
        n = stack.pop()
        nodes.append(n)
        for e in (n.edges or ()):
            if e is None:
                continue
            edges.append((e, n))
            if id(e) in seen:
                continue
            seen.add(id(e))
            if isinstance(e, _tensor.Tensor):
                leaves.append(e)
            else:
                stack.append(e)
    return nodes, leaves, edges


def _meta(shape, dtype):
    return f"{tuple(shape)} {np.dtype(dtype).name}"


def to_dot(tensor, params=None, show_shapes=True) -> str:
    """Graphviz DOT source of the graph that produced ``tensor``."""
    if not isinstance(tensor, _tensor.Tensor):
        raise TypeError(f"to_dot: expected a Tensor, got {type(tensor).__name__}")
    names = {id(t): n for n, t in (params or {}).items()}
    lines = ["digraph autograd_c {", '  rankdir="BT";',
             '  node [fontname="monospace", fontsize=10];']
    if tensor.grad_fn is None:
        label = names.get(id(tensor), "tensor")
        lines.append(f'  t{id(tensor)} [shape=ellipse, label="{label}\\n'
                     f'{_meta(tensor.shape, tensor.dtype)}"];')
        return "\n".join(lines + ["}"]) + "\n"
    nodes, leaves, edges = _walk(tensor.grad_fn)
    shapes = {id(tensor.grad_fn): (tensor.shape, tensor.dtype)}
    if show_shapes:
        cap = Capture(nodes)
        try:
            seed = np.ones(tensor.shape, dtype=tensor.dtype)
            type(tensor)._engine.backward(tensor, seed, True, False, cap)
            for n in nodes:
                g = cap.get(n)
                if g is not None:
                    shapes[id(n)] = (np.shape(g), np.asarray(getattr(g, "data", g)).dtype)
        except RuntimeError:          # freed graph, modified saved tensors: no shapes
            pass
    num = {id(o): i for i, o in enumerate(nodes + leaves)}      # stable names
    for n in nodes:
        meta = shapes.get(id(n))
        extra = f"\\n{_meta(*meta)}" if meta is not None else ""
        style = ', style=filled, fillcolor="lightblue"' if n is tensor.grad_fn else ""
        lines.append(f'  n{num[id(n)]} [shape=box, label="{n.name}{extra}"{style}];')
    for t in leaves:
        label = names.get(id(t), "leaf")
        lines.append(f'  n{num[id(t)]} [shape=ellipse, style=filled, fillcolor="lightyellow", '
                     f'label="{label}\\n{_meta(t.shape, t.dtype)}"];')
    for src, dst in edges:
        lines.append(f"  n{num[id(src)]} -> n{num[id(dst)]};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(dot: str, path: str, format: str = "svg") -> str:
    """Write ``dot`` rendered as ``format`` to ``path`` (without extension);
    returns the file written. Needs the ``graphviz`` Python package and the
    Graphviz ``dot`` program."""
    try:
        import graphviz
    except ImportError:
        raise ImportError("autograd_c.viz.render needs the graphviz package "
                          "(pip install 'autograd_c[viz]') and Graphviz's dot program; "
                          "to_dot() works without them") from None
    return graphviz.Source(dot).render(path, format=format, cleanup=True)

"""autograd_c.viz.to_dot: ops, shapes, dtypes, named leaves (issue 12)."""
import numpy as np

import autograd_c as ag


def test_to_dot_names_ops_shapes_and_params(engine):
    w = ag.tensor(np.ones((3, 2)), requires_grad=True)
    b = ag.tensor(np.zeros(2), requires_grad=True)
    x = ag.tensor(np.ones((4, 3)))
    loss = ((x @ w + b).tanh() ** 2).sum()
    dot = ag.viz.to_dot(loss, params={"w": w, "b": b})
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")
    for label in ("matmul", "add", "tanh", "pow", "sum"):
        assert f'label="{label}' in dot, label
    assert '"w\\n(3, 2) float64"' in dot and '"b\\n(2,) float64"' in dot
    assert "(4, 2) float64" in dot             # interior shape from the capture pass
    assert dot.count("->") == 6
    assert w.grad is None and b.grad is None   # drawing touches no .grad
    loss.backward()                            # and leaves the graph usable
    np.testing.assert_allclose(b.grad.data, 4 * 2 * np.tanh(3.0) * (1 - np.tanh(3.0) ** 2))


def test_tiny_mlp_example_writes_dot(tmp_path, engine):
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples"))
    import draw_tiny_mlp
    dot = draw_tiny_mlp.main(["--out", str(tmp_path / "g")])
    assert (tmp_path / "g.dot").read_text() == dot
    assert dot.count('shape=ellipse') == 6     # 3 weights + 3 biases

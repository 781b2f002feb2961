"""Draw the graph of one tiny-MLP loss (64-64-64-10, tanh/relu, squared
error) as Graphviz DOT, and as SVG when the graphviz package is installed.

    python examples/draw_tiny_mlp.py [--out docs/tiny_mlp_graph]
"""
import argparse

import numpy as np

import autograd_c as ag


def build():
    ag.manual_seed(0)
    model = ag.nn.Sequential(ag.nn.Linear(64, 64), ag.nn.Tanh(), ag.nn.Linear(64, 64),
                             ag.nn.ReLU(), ag.nn.Linear(64, 10))
    rng = np.random.default_rng(0)
    x = ag.tensor(rng.standard_normal((32, 64)).astype(np.float32))
    y = ag.tensor(rng.standard_normal((32, 10)).astype(np.float32))
    out = model(x)
    loss = ((out - y) * (out - y)).sum()
    return model, loss


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="docs/tiny_mlp_graph")
    args = ap.parse_args(argv)
    model, loss = build()
    dot = ag.viz.to_dot(loss, params=dict(model.named_parameters()))
    with open(args.out + ".dot", "w") as f:
        f.write(dot)
    print(f"wrote {args.out}.dot ({dot.count('->')} edges)")
    try:
        print("wrote", ag.viz.render(dot, args.out, format="svg"))
    except ImportError as e:
        print(f"(no SVG: {e})")
    return dot


if __name__ == "__main__":
    main()

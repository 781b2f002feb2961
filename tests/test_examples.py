"""Run every example script with each engine (AUTOGRAD_C_ENGINE) in a
subprocess and check the numbers it prints against the seeds' references."""
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autograd_c import engines
from conftest import require_compiled

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture(params=["c", "python"])
def engine_name(request):
    if request.param not in engines.available:
        require_compiled()
    return request.param


def run(script, engine_name, *args, cwd=None, timeout=300):
    env = dict(os.environ, AUTOGRAD_C_ENGINE=engine_name, OPENBLAS_NUM_THREADS="1",
               OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", MPLBACKEND="Agg")
    proc = subprocess.run([sys.executable, str(EXAMPLES / script), *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr
    assert f"engine {engine_name}" in proc.stdout or script == "train_digits.py"
    return proc.stdout


def numbers(line):
    return [float(v) for v in re.findall(r"-?\d+\.\d+(?:e-?\d+)?", line.split(":", 1)[-1])]


def line_with(out, prefix):
    hits = [ln for ln in out.splitlines() if ln.startswith(prefix)]
    assert len(hits) == 1, (prefix, out)
    return hits[0]


def assert_printed(actual, expected_text):
    """Each printed value equals the seed's to the seed's printed digits."""
    expected = [float(v) for v in expected_text.split()]
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected):
        digits = len(e.__repr__().split(".")[1]) if "." in repr(e) else 0
        assert abs(a - e) <= 0.5 * 10 ** -digits + 1e-15, (a, e)


def test_seed000_layers(engine_name):
    out = run("seed000_layers.py", engine_name)
    worst = float(line_with(out, "max difference to the seed's formulas").split()[-1])
    assert worst < 1e-12
    assert line_with(out, "gradcheck vs finite differences").endswith("True")
    assert len([ln for ln in out.splitlines() if ln.startswith("grad ")]) == 5


def test_seed001_backprop(engine_name):
    out = run("seed001_backprop.py", engine_name)
    L = float(line_with(out, "L = ").split("=")[1])
    assert abs(L - 2.060075596202683) < 1e-12
    seed = {   # the gradients the seed prints (its bias gradients are flattened)
        "w1": [6.90769472e-05, -3.63401821e-06, 1.41001896e-04, -7.26838789e-06,
               2.12926844e-04, -1.09027576e-05],
        "b1": [7.19249484e-05, -3.63436968e-06],
        "w2": [0.0, 1.43982798e-04, 0.0, -6.79882637e-01],
        "b2": [0.0, -0.67987537],
        "w3": [0.0, 0.0, -0.00066893, -0.00019387],
        "b3": [-0.80019174, -2.79971239],
    }
    for name, ref in seed.items():
        got = eval(line_with(out, f"grad {name} =").split("=", 1)[1])  # a printed list
        # the seed prints 8-9 significant digits
        np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-8)
    assert line_with(out, "gradcheck:").endswith("True")
    # and to 1e-12 against an independent numpy evaluation of the seed's chain
    x = np.array([[1, 2, 3], [4, 5, 6]], float)
    y = np.array([[1, 0], [0, 1]], float)
    w1 = np.array([[1, 1], [-1, 1], [-2, 2]], float)
    b1 = np.array([[0, 1]], float)
    w2 = np.array([[.2, .5], [.5, -.5]])
    b2 = np.array([[-1, .5]])
    w3 = np.array([[.7, -.5], [-.2, .3]])
    b3 = np.array([[.3, -.2]])
    h1 = 1 / (1 + np.exp(-(x @ w1 + b1)))
    s2 = h1 @ w2 + b2
    h2 = np.maximum(s2, 0)
    g3 = 2 * (h2 @ w3 + b3 - y)
    g2 = (g3 @ w3.T) * (s2 > 0)
    g1 = (g2 @ w2.T) * h1 * (1 - h1)
    ref = {"w1": x.T @ g1, "b1": g1.sum(0), "w2": h1.T @ g2, "b2": g2.sum(0),
           "w3": h2.T @ g3, "b3": g3.sum(0)}
    for name, r in ref.items():
        got = eval(line_with(out, f"grad {name} =").split("=", 1)[1])
        np.testing.assert_allclose(got, r.ravel(), rtol=0, atol=1e-12)


def test_seed002_linear_regression(engine_name):
    out = run("seed002_linear_regression.py", engine_name)
    losses = [numbers(ln)[-1] for ln in out.splitlines() if ln.startswith("epoch")]
    assert_printed(losses, "110.2900527 17.17577308 15.48445439 14.27434616 13.16495088 "
                           "12.14630386 11.21068817 10.35106573 9.56101153 8.83465916")
    assert_printed(numbers(line_with(out, "weights").replace("weights", ":")),
                   "1.6269806 -1.09195793")
    assert_printed(numbers(line_with(out, "bias").replace("bias", ":")), "0.121909")


def test_seed003_framework(engine_name):
    out = run("seed003_framework.py", engine_name)
    assert_printed(numbers(line_with(out, "loop1 (seed's printed run")),
                   "1.11374267 0.62255894 0.3880155 0.2383683 0.13717701 0.07307696 "
                   "0.03598853 0.01689497 0.00830702 0.00459155")
    assert_printed(numbers(line_with(out, "loop2")),
                   "3.65094627 5.24649682 7.49768079 2.58132095 0.82653187 0.26937059 "
                   "0.2301955 0.19896456 0.17283695 0.15067618")
    # true gradient descent on loop 1, cross-checked in plain numpy
    np.random.seed(42)
    np.random.randint(0, 100000, size=2)
    w0 = np.random.rand(2, 3)
    np.random.randint(0, 100000)
    w1 = np.random.rand(3, 1)
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float)
    T = np.array([[0], [1], [0], [1]], float)
    ref = []
    for _ in range(10):
        h = X @ w0
        d = h @ w1 - T
        ref.append(float((d * d).sum()))
        g0, g1 = X.T @ (2 * d @ w1.T), h.T @ (2 * d)
        w0, w1 = w0 - 0.1 * g0, w1 - 0.1 * g1
    np.testing.assert_allclose(numbers(line_with(out, "loop1 (true gradients")), ref,
                               rtol=1e-7)


def test_train_digits(tmp_path):
    pytest.importorskip("sklearn")
    pytest.importorskip("tqdm")
    pytest.importorskip("matplotlib")
    png = tmp_path / "curve.png"
    out = run("train_digits.py", "c" if "c" in engines.available else "python",
              "--quick", "--out", str(png), cwd=tmp_path)
    accs = {}
    for name in engines.available:
        accs[name] = float(line_with(out, f"{name} engine:").split("test accuracy")[1])
        assert accs[name] >= 0.95
        rows = [ln.split() for ln in out.splitlines() if re.match(rf"{name}\s+\d", ln)]
        assert len(rows) == 1 and float(rows[0][1]) > 0      # mean epoch time printed
        assert float(rows[0][3]) == pytest.approx(accs[name], abs=1e-4)
    if len(accs) == 2:
        assert "final weights identical on both engines: True" in out
        assert "speed ratio python/c" in out
    assert png.exists() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_profile_tiny_mlp():
    """The profiling example prints a table per engine, with the MLP's ops, and
    the two engines train the same model to the same loss."""
    out = run("profile_tiny_mlp.py", "python", "30")
    engines_run = [e for e in ("c", "python") if e in engines.available]
    losses = []
    for e in engines_run:
        head = line_with(out, f"== engine {e}:")
        losses.append(float(head.rsplit(" ", 1)[-1]))
        block = out.split(head, 1)[1].split("\n\n", 1)[0]
        rows = {ln.split()[0]: ln.split() for ln in block.splitlines()[3:] if ln and ln[0].isalpha()}
        for op in ("matmul", "add", "tanh", "relu", "sub", "mul", "sum"):
            assert op in rows, (e, op, block)
            assert int(rows[op][1]) > 0 and int(rows[op][3]) > 0    # forward and backward counts
        assert "outside op rules" in block
    assert np.allclose(losses, losses[0], rtol=1e-12)
    assert "step time, engine python" in out

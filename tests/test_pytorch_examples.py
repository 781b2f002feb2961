"""PyTorch's "Learning PyTorch with Examples" programs (our own versions, in
examples/pytorch_tutorial/): each runs, with fewer steps, on real torch and on
``autograd_c`` imported as torch (both engines) from the same start, and the
final losses must agree. Each script also runs from its random start and as
a command-line program."""
import importlib.util
import math
import subprocess
import sys
from pathlib import Path

import pytest

import autograd_c as ag

torch = pytest.importorskip("torch")

FOLDER = Path(__file__).resolve().parent.parent / "examples" / "pytorch_tutorial"

#: script -> steps for the cross-check (the full runs use 2000, dynamic_net 30000)
SCRIPTS = {"polynomial_autograd": 300, "polynomial_custom_function": 300,
           "polynomial_nn": 300, "polynomial_optim": 300, "polynomial_module": 300,
           "dynamic_net": 600}


def load(name):
    if str(FOLDER) not in sys.path:
        sys.path.insert(0, str(FOLDER))
    spec = importlib.util.spec_from_file_location(f"pytorch_tutorial_{name}", FOLDER / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("name", list(SCRIPTS))
def test_same_loss_as_torch(name, engine):
    mod = load(name)
    steps = SCRIPTS[name]
    expected = mod.main(torch, steps=steps, same_init=True)
    got = mod.main(ag, steps=steps, same_init=True)
    assert isinstance(got, float) and math.isfinite(got)
    # float32 on both sides; summation order differs, so not bit-identical
    assert got == pytest.approx(expected, rel=2e-4), (got, expected)


@pytest.mark.parametrize("name", list(SCRIPTS))
def test_random_start_trains(name, engine):
    """From its random start (numpy's draws, not torch's) the loss goes down."""
    mod = load(name)
    first = mod.main(ag, steps=1)
    last = mod.main(ag, steps=SCRIPTS[name])
    assert math.isfinite(last) and last < first


def test_command_line():
    out = subprocess.run([sys.executable, str(FOLDER / "polynomial_autograd.py"), "--steps", "50",
                          "--same-init"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "final loss (autograd_c):" in out.stdout

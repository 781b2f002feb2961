"""One test suite for both engines: the ``engine`` fixture runs a test once per
engine, with that engine active (``autograd_c.Tensor(...)``, ``nn`` layers and
the functional API all build on it)."""
import os

import numpy as np
import pytest

import autograd_c as ag
from autograd_c import engines

ENGINES = ["c", "python"]


def pytest_addoption(parser):
    parser.addoption("--fuzz-examples", type=int, default=None,
                     help="number of Hypothesis examples for the graph fuzzer")


@pytest.fixture(params=ENGINES)
def engine(request):
    name = request.param
    if name not in engines.available:
        pytest.skip(f"compiled engine not built in this install: {engines.c_import_error}")
    prev = engines.current.name
    engines.set_engine(name)
    try:
        yield engines.available[name]
    finally:
        engines.set_engine(prev)


@pytest.fixture
def both_engines():
    """Both engine modules, for tests that compare them directly."""
    if "c" not in engines.available:
        pytest.skip("compiled engine not built in this install")
    return engines.available["c"], engines.available["python"]


@pytest.fixture
def rng():
    return np.random.default_rng(0)


try:
    import torch  # noqa: F401
    HAVE_TORCH = True
except Exception:  # pragma: no cover - depends on the environment
    HAVE_TORCH = False

needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="torch not installed "
                                 "(pip install torch==2.13.0 for the PyTorch cross-checks)")

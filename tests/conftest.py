"""One test suite for both engines: the ``engine`` fixture runs a test once per
engine, with that engine active (``autograd_c.Tensor(...)``, ``nn`` layers and
the functional API all build on it)."""
import os

import numpy as np
import pytest

import autograd_c as ag
from autograd_c import engines

ENGINES = ["c", "python"]

#: The compiled engine is expected unless this is a pure-Python build
#: (AUTOGRAD_C_PUREPYTHON=1): then a c-engine test FAILS when it is missing,
#: so CI cannot be green with a broken build.
COMPILED_EXPECTED = os.environ.get("AUTOGRAD_C_PUREPYTHON", "") in ("", "0")


def require_compiled():
    """Skip (pure-Python build) or fail (any other build) without the compiled engine."""
    if "c" in engines.available:
        return
    msg = f"compiled engine not available: {engines.c_import_error}"
    if COMPILED_EXPECTED:
        pytest.fail(msg + " (set AUTOGRAD_C_PUREPYTHON=1 for a pure-Python build)")
    pytest.skip(msg)


def pytest_addoption(parser):
    parser.addoption("--fuzz-examples", type=int, default=None,
                     help="number of Hypothesis examples for the graph fuzzer")


@pytest.fixture(params=ENGINES)
def engine(request):
    name = request.param
    if name == "c":
        require_compiled()
    prev = engines.get_engine().name
    engines.set_engine(name)
    try:
        yield engines.available[name]
    finally:
        engines.set_engine(prev)


@pytest.fixture
def float64_default():
    """Layers and Python floats in float64 for the test (the package's default
    float dtype is float32, as PyTorch's): for comparisons against torch in
    float64 at tight tolerances."""
    prev = ag.get_default_dtype()
    ag.set_default_dtype(ag.float64)
    try:
        yield
    finally:
        ag.set_default_dtype(prev)


@pytest.fixture
def both_engines():
    """Both engine modules, for tests that compare them directly."""
    require_compiled()
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

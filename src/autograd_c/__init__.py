"""autograd_c: reverse-mode automatic differentiation on numpy, with a compiled
graph engine (Cython nodes, C backward scheduler) and a pure-Python twin.

``autograd_c.engine`` names the active engine ("c" or "python").
"""
from ._version import __version__
from ._tensor import Tensor
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from . import engines
from .engines import get_engine, set_engine, use_engine
from .functions import as_tensor, ones, tensor, zeros
from . import ops
from . import _surface
from . import functions as _functions
_OP_FUNCTIONS = _surface.install(Tensor, _functions.__dict__)   # add, exp, sum... from the op table
globals().update({k: getattr(_functions, k) for k in _OP_FUNCTIONS})
from .anomaly import AnomalyError, detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .testing import GradcheckError, gradcheck
from .profiler import profiler
from .functional import grad, value_and_grad, vjp
from .function import Function
from . import nn, optim
from . import autograd
from . import viz
from . import linalg
from .serialization import save, load
from .random import Generator, default_generator, initial_seed, manual_seed, seed
from . import random, utils



def __getattr__(name):
    # ``autograd_c.engine``: the name of the engine in effect in this context
    if name == "engine":
        return engines.get_engine().name
    raise AttributeError(f"module 'autograd_c' has no attribute {name!r}")

__all__ = [
    "__version__", "engine", "engines", "get_engine", "set_engine", "use_engine",
    "Tensor", "tensor", "as_tensor", "zeros", "ones",
    "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
    "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "AnomalyError",
    *_OP_FUNCTIONS,
    "grad", "value_and_grad", "vjp", "Function", "gradcheck", "GradcheckError",
    "profiler", "nn", "optim", "autograd", "viz", "linalg",
    "Generator", "default_generator", "initial_seed", "seed", "random", "utils", "save", "load", "manual_seed",
]

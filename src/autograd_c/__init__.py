"""autograd_c: reverse-mode automatic differentiation on numpy, with a compiled
graph engine (Cython nodes, C backward scheduler) and a pure-Python twin.

``autograd_c.engine`` names the active engine ("c" or "python").
"""
from ._version import __version__
from ._tensor import Tensor
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from . import engines
from .engines import get_engine, set_engine, use_engine
from .functions import (abs, add, as_tensor, broadcast_to, cat, clamp, clip, concatenate, div,
                        exp, log, log_softmax, matmul, max, maximum, mean, min, minimum, mul,
                        neg, ones, pow, relu, reshape, sigmoid, softmax, sqrt, stack, sub, sum,
                        tanh, tensor, transpose, where, zeros)
from .anomaly import AnomalyError, detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .testing import GradcheckError, gradcheck
from .profiler import profiler
from .functional import grad, value_and_grad, vjp
from .function import Function
from . import nn, optim
from .serialization import save, load
from .nn.init import manual_seed

#: name of the active engine, "c" or "python" (kept current by set_engine)
engine: str = engines.current.name

__all__ = [
    "__version__", "engine", "engines", "get_engine", "set_engine", "use_engine",
    "Tensor", "tensor", "as_tensor", "zeros", "ones",
    "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
    "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "AnomalyError",
    "abs", "add", "broadcast_to", "cat", "clamp", "clip", "concatenate", "div", "exp", "log",
    "log_softmax", "matmul", "max", "maximum", "mean", "min", "minimum", "mul", "neg", "pow",
    "relu", "reshape", "sigmoid", "softmax", "sqrt", "stack", "sub", "sum", "tanh", "transpose",
    "where",
    "grad", "value_and_grad", "vjp", "Function", "gradcheck", "GradcheckError",
    "profiler", "nn", "optim", "save", "load", "manual_seed",
]

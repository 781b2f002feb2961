"""autograd_c: reverse-mode automatic differentiation on numpy, with a compiled
graph engine (Cython nodes, C backward scheduler) and a pure-Python twin.

``autograd_c.engine`` names the active engine ("c" or "python").
"""
from ._version import __version__
from . import _malloc  # noqa: F401  (keeps freed array memory: see _malloc.py)
from ._tensor import Size, Tensor
from . import dtypes
from .dtypes import (bool_ as bool, cdouble, cfloat, complex64, complex128, cuda, device,  # noqa: A001, F401
                     double, dtype, finfo, float16, float32, float64, get_default_device,
                     get_default_dtype, half, iinfo, int8, int16, int32, int64, is_complex,
                     is_floating_point, long,
                     promote_types, set_default_device, set_default_dtype, short, uint8)
from .dtypes import float32 as float, int32 as int  # noqa: F401, A001  (PyTorch's aliases)
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .functions import (arange, as_tensor, asarray, bernoulli, empty, empty_like, eye,
                        from_numpy, full, full_like, is_tensor, linspace, logspace, multinomial,
                        normal, numel, ones, ones_like, rand, rand_like, randint, randint_like,
                        randn, randn_like, randperm, scalar_tensor, tensor, zeros, zeros_like)
from . import ops  # noqa: F401
from . import _surface
from . import functions as _functions
_OP_FUNCTIONS = _surface.install(Tensor, _functions.__dict__)   # add, exp, sum... from the op table
globals().update({k: getattr(_functions, k) for k in _OP_FUNCTIONS})
# The engines load only now: the compiled one copies its C operator slots
# onto its Tensor class, and setting a dunder on the base class afterwards
# (as install does) would make CPython put its generic by-name slot back.
from . import engines  # noqa: E402
from .engines import get_engine, set_engine, use_engine  # noqa: E402
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
    "Tensor", "Size", "tensor", "as_tensor", "asarray", "from_numpy", "scalar_tensor",
    "is_tensor", "numel", "zeros", "ones", "full", "empty", "zeros_like", "ones_like",
    "full_like", "empty_like", "rand_like", "randn_like", "randint_like", "arange", "linspace",
    "logspace", "eye", "rand", "randn", "randint", "randperm", "normal", "bernoulli",
    "multinomial",
    "dtypes", "dtype", "float16", "float32", "float64", "int8", "int16", "int32", "int64",
    "uint8", "complex64", "complex128", "half", "double", "long", "short", "cfloat", "cdouble",
    "get_default_dtype", "set_default_dtype", "promote_types", "finfo", "iinfo", "device",
    "set_default_device", "get_default_device", "cuda", "is_floating_point", "is_complex",
    "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
    "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "AnomalyError",
    *_OP_FUNCTIONS,
    "grad", "value_and_grad", "vjp", "Function", "gradcheck", "GradcheckError",
    "profiler", "nn", "optim", "autograd", "viz", "linalg",
    "Generator", "default_generator", "initial_seed", "seed", "random", "utils", "save", "load", "manual_seed",  # noqa: E501
]

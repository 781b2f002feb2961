"""Parameter initialisation (PyTorch's ``torch.nn.init``) and the random
generator layers draw from.

Every function fills a tensor's array in place and bumps its version
(``mark_modified()``), without recording anything in the autograd graph (as
PyTorch does under ``no_grad``), and returns the tensor. The distributions,
fan computations and gains are PyTorch's; the random streams are numpy's, so
the draws themselves differ from torch's.

Every layer and function that draws random numbers takes an optional
``generator=`` (a ``numpy.random.Generator``); without one it uses a
module-wide generator that ``autograd_c.manual_seed(seed)`` resets, so
``manual_seed(0); model = build()`` gives the same weights every run.
"""
from __future__ import annotations

import math
import warnings
from typing import Optional, Tuple

import numpy as np

from .._tensor import Tensor

__all__ = ["manual_seed", "default_generator", "calculate_gain", "uniform_", "normal_",
           "trunc_normal_", "constant_", "zeros_", "ones_", "eye_", "xavier_uniform_",
           "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_",
           "kaiming_uniform_bound"]

_default = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the generator used by layers built without ``generator=``."""
    global _default
    _default = np.random.default_rng(seed)
    return _default


def default_generator() -> np.random.Generator:
    return _default


def _gen(generator, who: str) -> np.random.Generator:
    if generator is None:
        return _default
    inner = getattr(generator, "numpy_generator", None)   # an autograd_c.Generator
    if isinstance(inner, np.random.Generator):
        return inner
    if not isinstance(generator, np.random.Generator):
        raise TypeError(f"{who}: generator must be a numpy.random.Generator "
                        f"(np.random.default_rng(seed)), an autograd_c.Generator or None, got "
                        f"{type(generator).__name__}")
    return generator


def _check_tensor(tensor, who: str) -> None:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{who}: expected an autograd_c Tensor, got {type(tensor).__name__}")


def _fill(tensor, values) -> None:
    np.copyto(tensor.data, values, casting="unsafe")
    tensor.mark_modified()


# -- gains and fans ---------------------------------------------------------------

_LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d")


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The recommended gain for a nonlinearity (PyTorch's values): 1 for
    linear/conv/sigmoid, 5/3 for tanh, sqrt(2) for relu,
    sqrt(2/(1+slope**2)) for leaky_relu (slope ``param``, default 0.01),
    3/4 for selu."""
    if nonlinearity in _LINEAR or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            slope = param
        else:
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _calculate_fan_in_and_fan_out(tensor) -> Tuple[int, int]:
    """``fan_in = shape[1] * receptive field``, ``fan_out = shape[0] *
    receptive field`` (receptive field: the product of ``shape[2:]``)."""
    shape = tensor.shape
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out can not be computed for a tensor with fewer "
                         f"than 2 dimensions (got shape {tuple(shape)})")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _calculate_correct_fan(tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode {mode!r} not supported, please use one of 'fan_in', 'fan_out'")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def kaiming_uniform_bound(fan_in: int) -> float:
    """PyTorch's default Linear bound: 1/sqrt(fan_in) (0 when fan_in is 0)."""
    return 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0


# -- fills ------------------------------------------------------------------------

def uniform_(tensor, a: float = 0.0, b: float = 1.0, generator=None):
    """Fill ``tensor`` in place with U(a, b) draws."""
    _check_tensor(tensor, "uniform_")
    if not a <= b:
        raise ValueError(f"uniform_: expects a <= b, got a={a}, b={b}")
    _fill(tensor, _gen(generator, "uniform_").uniform(a, b, size=tensor.shape))
    return tensor


def normal_(tensor, mean: float = 0.0, std: float = 1.0, generator=None):
    """Fill ``tensor`` in place with N(mean, std**2) draws."""
    _check_tensor(tensor, "normal_")
    if not std >= 0.0:
        raise ValueError(f"normal_: expects std >= 0.0, got std={std}")
    _fill(tensor, _gen(generator, "normal_").normal(mean, std, size=tensor.shape))
    return tensor


def _norm_cdf(x: float) -> float:
    return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0


def _norm_ppf(p: np.ndarray) -> np.ndarray:
    """Inverse standard normal CDF for p in (0, 1) (Acklam's rational
    approximation, relative error < 1.2e-9); used only for far-tail intervals."""
    a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
         1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
    b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
         6.680131188771972e+01, -1.328068155288572e+01]
    c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
         -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
    d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
         3.754408661907416e+00]
    p = np.clip(p, 1e-300, 1 - 1e-16)
    x = np.empty_like(p)
    lo, hi = p < 0.02425, p > 1 - 0.02425
    mid = ~(lo | hi)
    q = p[mid] - 0.5
    r = q * q
    x[mid] = ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
              / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1))
    for mask, sign, pp in ((lo, 1.0, p[lo]), (hi, -1.0, 1 - p[hi])):
        q = np.sqrt(-2 * np.log(pp))
        x[mask] = sign * ((((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                          / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1))
    return x


def trunc_normal_(tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator=None):
    """Fill ``tensor`` with draws from N(mean, std**2) truncated to [a, b]
    (``a``, ``b`` are absolute bounds, as in PyTorch). Exact rejection
    sampling when [a, b] holds at least 5% of the mass, else inverse-CDF
    sampling; values are clamped to [a, b]."""
    _check_tensor(tensor, "trunc_normal_")
    if not std > 0.0:
        raise ValueError(f"trunc_normal_: expects std > 0, got std={std}")
    if not a < b:
        raise ValueError(f"trunc_normal_: expects a < b, got a={a}, b={b}")
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
                      "The distribution of values may be incorrect.", stacklevel=2)
    gen = _gen(generator, "trunc_normal_")
    n = tensor.numel()
    alpha, beta = (a - mean) / std, (b - mean) / std
    mass = _norm_cdf(beta) - _norm_cdf(alpha)
    if mass >= 0.05:
        out = np.empty(n)
        filled = 0
        while filled < n:
            need = n - filled
            z = gen.standard_normal(int(need / mass * 1.1) + 16)
            z = z[(z >= alpha) & (z <= beta)][:need]
            out[filled:filled + z.size] = z
            filled += z.size
    else:
        flip = alpha > 0            # work in the lower tail, where the CDF is precise
        lo, hi = (-beta, -alpha) if flip else (alpha, beta)
        u = gen.uniform(_norm_cdf(lo), _norm_cdf(hi), size=n)
        out = _norm_ppf(u)
        if flip:
            out = -out
    out = np.clip(out * std + mean, a, b)
    _fill(tensor, out.reshape(tensor.shape))
    return tensor


def constant_(tensor, val: float):
    """Fill ``tensor`` with ``val``."""
    _check_tensor(tensor, "constant_")
    _fill(tensor, val)
    return tensor


def zeros_(tensor):
    """Fill ``tensor`` with 0."""
    _check_tensor(tensor, "zeros_")
    _fill(tensor, 0)
    return tensor


def ones_(tensor):
    """Fill ``tensor`` with 1."""
    _check_tensor(tensor, "ones_")
    _fill(tensor, 1)
    return tensor


def eye_(tensor):
    """Fill a 2-D ``tensor`` with the identity (ones on the main diagonal of a
    possibly rectangular matrix)."""
    _check_tensor(tensor, "eye_")
    if tensor.ndim != 2:
        raise ValueError(f"eye_: only tensors with 2 dimensions are supported, got shape "
                         f"{tuple(tensor.shape)}")
    _fill(tensor, np.eye(*tensor.shape))
    return tensor


def xavier_uniform_(tensor, gain: float = 1.0, generator=None):
    """Glorot uniform: U(-a, a) with ``a = gain*sqrt(6/(fan_in+fan_out))``."""
    _check_tensor(tensor, "xavier_uniform_")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    _fill(tensor, _gen(generator, "xavier_uniform_").uniform(-bound, bound, size=tensor.shape))
    return tensor


def xavier_normal_(tensor, gain: float = 1.0, generator=None):
    """Glorot normal: N(0, std**2) with ``std = gain*sqrt(2/(fan_in+fan_out))``."""
    _check_tensor(tensor, "xavier_normal_")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    _fill(tensor, _gen(generator, "xavier_normal_").normal(0.0, std, size=tensor.shape))
    return tensor


def _kaiming_std(tensor, a, mode, nonlinearity, who) -> Optional[float]:
    _check_tensor(tensor, who)
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return None
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator=None):
    """He uniform: U(-bound, bound) with ``bound = gain*sqrt(3/fan)``, ``gain =
    calculate_gain(nonlinearity, a)`` and ``fan`` per ``mode``."""
    std = _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_uniform_")
    if std is not None:
        bound = math.sqrt(3.0) * std
        _fill(tensor, _gen(generator, "kaiming_uniform_").uniform(-bound, bound,
                                                                  size=tensor.shape))
    return tensor


def kaiming_normal_(tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator=None):
    """He normal: N(0, std**2) with ``std = gain/sqrt(fan)``."""
    std = _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_normal_")
    if std is not None:
        _fill(tensor, _gen(generator, "kaiming_normal_").normal(0.0, std, size=tensor.shape))
    return tensor


def orthogonal_(tensor, gain: float = 1, generator=None):
    """A (semi-)orthogonal matrix (Saxe et al. 2013), scaled by ``gain``: the
    Q of a QR decomposition of a Gaussian matrix, with signs fixed by R's
    diagonal so it is uniformly distributed. Dimensions after the first are
    flattened."""
    _check_tensor(tensor, "orthogonal_")
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_: only tensors with 2 or more dimensions are supported, "
                         f"got shape {tuple(tensor.shape)}")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = _gen(generator, "orthogonal_").standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    _fill(tensor, (q * gain).reshape(tensor.shape))
    return tensor

"""Op-table cases of the elementwise family (issue 13): each runs on
autograd_c and torch, both engines, forward + first + second order, and the
second order against finite differences (see tests/test_op_table.py)."""
import numpy as np

from test_op_table import NZ, POS


def _uniform(lo, hi, *shapes):
    return lambda rng: [rng.uniform(lo, hi, s) for s in shapes]


def _xlogy_inputs(rng):
    a = rng.standard_normal((3, 4))
    a[0, :2] = 0.0                      # xlogy(0, y) = 0, gradient xlogy(g, y)
    return [a, np.abs(rng.standard_normal((4,))) + 0.5]


def _fmod_inputs(rng):
    # dividends up to +-6, divisors away from 0 with both signs
    a = rng.uniform(-6, 6, (3, 4))
    b = rng.uniform(0.4, 2.0, (4,)) * np.array([1, -1, 1, -1])
    return [a, b]


CASES = {
    # trigonometric and hyperbolic
    "tan": (lambda m, a: m.tan(a), [(2, 3)], _uniform(-1.2, 1.2, (2, 3)), ["tan"]),
    "asin": (lambda m, a: a.asin() + m.arcsin(a * 0.5), [(2, 3)], _uniform(-0.9, 0.9, (2, 3)),
             ["asin"]),
    "acos": (lambda m, a: m.acos(a) * a.arccos(), [(2, 3)], _uniform(-0.9, 0.9, (2, 3)),
             ["acos"]),
    "atan": (lambda m, a: m.atan(a) + a.arctan(), [(2, 3)], None, ["atan"]),
    "sinh": (lambda m, a: m.sinh(a), [(2, 3)], None, ["sinh"]),
    "cosh": (lambda m, a: a.cosh() * a, [(2, 3)], None, ["cosh"]),
    "asinh": (lambda m, a: m.asinh(a) + a.arcsinh(), [(2, 3)], None, ["asinh"]),
    "acosh": (lambda m, a: m.acosh(a) * m.arccosh(a), [(2, 3)], _uniform(1.2, 3.0, (2, 3)),
              ["acosh"]),
    "atanh": (lambda m, a: a.atanh() + m.arctanh(a), [(2, 3)], _uniform(-0.9, 0.9, (2, 3)),
              ["atanh"]),
    "atan2": (lambda m, a, b: m.atan2(a, b) + b.arctan2(a), [(2, 3), (3,)], NZ, ["atan2"]),
    # exponentials and logarithms
    "exp2": (lambda m, a: m.exp2(a) * a, [(2, 3)], None, ["exp2"]),
    "expm1": (lambda m, a: a.expm1(), [(2, 3)], None, ["expm1"]),
    "log2": (lambda m, a: m.log2(a) * a, [(2, 3)], POS, ["log2"]),
    "log10": (lambda m, a: a.log10(), [(2, 3)], POS, ["log10"]),
    "log1p": (lambda m, a: m.log1p(a) * a, [(2, 3)], POS, ["log1p"]),
    "rsqrt": (lambda m, a: a.rsqrt() * a, [(2, 3)], POS, ["rsqrt"]),
    "reciprocal": (lambda m, a: m.reciprocal(a) * a.reciprocal(), [(2, 3)], NZ, ["reciprocal"]),
    "square": (lambda m, a: m.square(a) * a.square(), [(2, 3)], None, ["mul"]),
    "logit": (lambda m, a: m.logit(a) * a, [(2, 3)], _uniform(0.1, 0.9, (2, 3)), ["logit"]),
    "logit_eps": (lambda m, a: a.logit(eps=0.25) * a, [(3, 4)], _uniform(0.05, 0.95, (3, 4)),
                  ["logit"]),
    "erf": (lambda m, a: m.erf(a * 1.5) * a, [(3, 4)], None, ["erf"]),
    "erfc": (lambda m, a: a.erfc() * a, [(3, 4)], None, ["erfc"]),
    "erfinv": (lambda m, a: m.erfinv(a) * a, [(3, 4)], _uniform(-0.95, 0.95, (3, 4)),
               ["erfinv"]),
    "sigmoid_logit": (lambda m, a: m.logit(m.sigmoid(a)), [(2, 3)], None, ["sigmoid", "logit"]),
    "nan_to_num": (lambda m, a, b: m.nan_to_num(a / b, nan=0.0, posinf=1.0) * a,
                   [(2, 3), (3,)], NZ, ["nan_to_num"]),
    # rounding: zero gradient, so each is multiplied by its input
    "sign": (lambda m, a: m.sign(a) * a + a.sgn() * a * a, [(2, 3)], NZ, ["sign", "sgn"]),
    "floor": (lambda m, a: m.floor(a * 3) * a, [(2, 3)], None, ["floor"]),
    "ceil": (lambda m, a: (a * 3).ceil() * a, [(2, 3)], None, ["ceil"]),
    "trunc": (lambda m, a: m.trunc(a * 3) * a + m.fix(a * 2) * a, [(2, 3)], None, ["trunc"]),
    "round": (lambda m, a: m.round(a * 3) * a + (a * 3).round(decimals=1) * a, [(2, 3)], None,
              ["round"]),
    "frac": (lambda m, a: m.frac(a * 3) * a, [(2, 3)], None, ["frac"]),
    # binary
    "float_power": (lambda m, a, b: m.float_power(a, b) + a.float_power(2.5), [(2, 3), (3,)],
                    POS, ["pow", "astype"]),
    "fmod": (lambda m, a, b: m.fmod(a, b) * a, [(3, 4), (4,)], _fmod_inputs, ["fmod", "trunc"]),
    "fmod_scalar": (lambda m, a: a.fmod(1.5) * a, [(3, 4)], _uniform(-6, 6, (3, 4)), ["fmod"]),
    "remainder": (lambda m, a, b: m.remainder(a, b) * a + (a % b) * b, [(3, 4), (4,)],
                  _fmod_inputs, ["remainder", "floor_divide"]),
    "remainder_scalar": (lambda m, a: m.remainder(a, -1.5) * a, [(3, 4)],
                         _uniform(-6, 6, (3, 4)), ["remainder"]),
    "lerp": (lambda m, a, b, c: m.lerp(a, b, c), [(2, 3), (3,), (2, 1)],
             _uniform(-1, 1.5, (2, 3), (3,), (2, 1)), ["lerp"]),
    "lerp_scalar": (lambda m, a, b: a.lerp(b, 0.3) * m.lerp(a, b, 0.8), [(2, 3), (2, 3)], None,
                    ["lerp"]),
    "hypot": (lambda m, a, b: m.hypot(a, b) * a, [(2, 3), (3,)], NZ, ["hypot"]),
    "logaddexp": (lambda m, a, b: m.logaddexp(a, b * 3) * a, [(2, 3), (3,)], None,
                  ["logaddexp"]),
    "logaddexp2": (lambda m, a, b: a.logaddexp2(b) * a, [(2, 3), (2, 3)], None, ["logaddexp2"]),
    "xlogy": (lambda m, a, b: m.xlogy(a, b) * a + a.xlogy(b), [(3, 4), (4,)], _xlogy_inputs,
              ["xlogy"]),
    "xlogy_scalar": (lambda m, a: m.xlogy(2.0, a) * a, [(3, 4)], POS, ["xlogy"]),
    "fmax": (lambda m, a, b: m.fmax(a, b) * a, [(2, 3), (3,)], None, ["fmax"]),
    "fmin": (lambda m, a, b: a.fmin(b) * b, [(2, 3), (2, 3)], None, ["fmin"]),
    "copysign": (lambda m, a, b: m.copysign(a, b) * b + a.copysign(-1.0) * a, [(2, 3), (3,)], NZ,
                 ["copysign"]),
    # clamp with tensor bounds (min > max in some places), one-sided, composites
    "clamp_tensor": (lambda m, a, lo, hi: m.clamp(a, lo, hi) * a, [(3, 4), (4,), (3, 1)], None,
                     ["clamp"]),
    "clamp_tensor_min": (lambda m, a, lo: a.clamp(min=lo) * lo + m.clamp_min(a, 0.1),
                         [(3, 4), (3, 4)], None, ["clamp"]),
    "clip_tensor_max": (lambda m, a, hi: m.clip(a, max=hi) * a + a.clamp_max(hi * 2),
                        [(3, 4), (4,)], None, ["clamp"]),
}

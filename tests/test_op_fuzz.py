"""Op fuzz (issue 13): Hypothesis draws programs over the whole op table and
runs each on the compiled engine, the pure-Python engine and PyTorch.

A program is one case of the op-table cases (``test_op_table.CASES`` plus
``tests/op_cases_*.py``: together they cover every op in
``autograd_c.ops.REGISTRY``, with valid argument builders and input domains),
followed by 0-2 shape-polymorphic ops (unary math, reductions over a drawn
dim, reshapes, slicing, broadcasting binaries with a fresh leaf, cat/stack,
matmul), so 1-3 ops in all. Drawn per program: the case; its input shapes
(kept, or perturbed: size-0 and size-1 dims, dims grown or shrunk, dims added
or dropped, 0-d, or replaced by random broadcasting shapes); the dtype
(float64, or float32 with a looser tolerance); the values (the case's domain;
inputs of a special domain are resized from the case's own builder, with a
relative jitter that keeps signs and zeros but breaks ties).

Checks:

- torch accepts the program: both engines give the same shape, dtype and
  values as torch, and the same gradients of a weighted sum of the output
  (``autograd.grad``) for every leaf; the engines agree with each other more
  tightly;
- torch raises: both engines raise too, an ordinary exception (ValueError,
  TypeError, IndexError, RuntimeError), never a crash or an internal error
  (AttributeError, KeyError, AssertionError...).

Divergences found and judged legitimate (torch quirks, or checks here looser
than torch's) are listed by case with the reason (KNOWN_LOOSER,
KNOWN_REFUSES, KNOWN_DIFFERS); the bugs found were fixed and have regression
tests at the end of this file.

Default: 300 derandomized examples (a few seconds) for CI;
``pytest tests/test_op_fuzz.py -k test_op_fuzz --fuzz-examples 30000 -s``
runs long, on programs drawn anew each time, and prints what it covered.
"""
import re
import warnings
import zlib

import numpy as np
import pytest

import autograd_c as ag
from autograd_c import engines, ops
from conftest import require_compiled

torch = pytest.importorskip("torch")
hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from test_op_table import ALL, _inputs  # noqa: E402

CASE_NAMES = sorted(ALL)

#: what an engine may raise on input torch refuses: an ordinary Python error
CLEAR_ERRORS = (ValueError, TypeError, IndexError, RuntimeError)

#: Known divergences the fuzzer found, by case (checked in every other
#: respect: the engines must still agree with each other, and a case listed
#: for one direction is still checked in the others).
#: autograd_c accepts input torch refuses (its checks are looser):
KNOWN_LOOSER = {
    "addr": "input broadcast to (n, m) by numpy rules (torch: expand only)",
    "clamp_tensor": "torch's backward fails for bounds broadcasting past input; ours works",
    "cross": "inputs of different ndim broadcast (torch: same ndim required)",
    "linalg_cross": "inputs of different ndim broadcast (torch: same ndim required)",
    "cross_default_dim": "default dim found after broadcasting",
    "diff_n2": "prepend/append of another ndim broadcast",
    "index_copy": "source of another ndim accepted when it broadcasts",
    "meshgrid": "2-d inputs flattened (torch: 0-d or 1-d only)",
    "multi_dot": "batched (3-d) middle operands accepted",
    "nn_adaptive_avg_pool1d": "input rank / empty spatial dims not checked",
    "nn_adaptive_avg_pool2d": "input rank / empty spatial dims not checked",
    "nn_adaptive_max_pool2d": "input rank not checked",
    "nn_avg_pool1d": "empty channel dim not refused",
    "nn_avg_pool2d": "input rank / empty dims not checked",
    "nn_max_pool2d": "input rank / empty dims not checked",
    "nn_max_pool1d": "empty channel dim not refused",
    "nn_interp_bilinear_ac": "empty spatial dims not refused",
    "nn_layer_norm": "weight/bias broadcast (torch: exactly normalized_shape)",
    "nn_rms_norm": "weight broadcast (torch: exactly normalized_shape)",
    "nn_linear": "1-d weight accepted (torch: 2-d)",
    "nn_prelu": "weight broadcast (torch: 1 or C parameters)",
    "nn_pad_replicate": "input rank not checked for non-constant padding",
    "pad_reflect_2d": "input rank not checked for non-constant padding",
    "pad_replicate": "input rank not checked for non-constant padding",
    "pad_negative": "negative result sizes clip to 0 (torch: narrow() error)",
    "quantile_vector": "empty input gives NaN (torch: error)",
    "solve": "mixed float dtypes promote (torch: same dtype required)",
    "solve_batched_bcast": "mixed float dtypes promote (torch: same dtype required)",
    "solve_right": "mixed float dtypes promote (torch: same dtype required)",
    "solve_vector": "mixed float dtypes promote (torch: same dtype required)",
    "solve_triangular_unit_right": "1-d A accepted (torch: at least 2-d)",
    "nn_cross_entropy": "float64 class weights with float32 input promote (torch: error)",
    "addmm": "input broadcast by numpy rules (torch: expand only)",
    "index_add": "source size along dim not checked against the index length",
    "nn_embedding": "1-d weight accepted (torch: 2-d)",
    "nn_conv_transpose1d": "empty kernel accepted",
    "nn_bce_logits": "pos_weight broadcast past the input (torch: in-place shape error)",
    "nn_pad_circular": "input rank not checked for non-constant padding",
    "nn_pad_reflect": "input rank not checked for non-constant padding",
    "pad_circular": "input rank not checked for non-constant padding",
    "pad_reflect": "input rank not checked for non-constant padding",
    "quantile": "empty input gives NaN (torch: error)",
    "quantile_midpoint": "empty input gives NaN (torch: error)",
    "nanquantile": "empty input gives NaN (torch: error)",
    "solve_triangular": "1-d B accepted (torch: at least 2-d)",
}
#: torch errors (message substrings) where autograd_c knowingly accepts, in any case
KNOWN_LOOSER_MESSAGES = (
    "to have the same dtype",        # matmul/mm of float32 with float64: numpy promotes
    "expected scalar type",          # the same, in other ops
)
KNOWN_LOOSER.update({
    "addbmm": "input broadcast by numpy rules (torch: expand only)",
    "contiguous": "t() of a 3-d tensor reverses its dims (torch: <= 2-d only)",
    "lstsq": "B of more dims than A accepted",
    "masked_fill_tensor": "a value tensor of one element but >0 dims accepted (torch: 0-d)",
    "nn_batch_norm": "torch's backward fails for some broadcast 4-d weights",
    "nn_conv1d": "bias of one element but >1 dims accepted",
    "nn_conv2d_same": "empty weight accepted",
    "nn_fold": "empty / low-rank input not refused",
    "nn_unfold": "empty / low-rank input not refused",
    "nn_interp_bicubic": "empty input not refused",
    "nn_interp_bilinear": "empty input not refused",
    "nn_interp_nearest": "empty input not refused",
    "nn_conv2d": "bias of C elements but 2 dims accepted",
    "nn_conv_transpose2d": "bias of C elements but 2 dims accepted",
    "flatten": "flatten of a 0-d tensor accepts any start/end dim",
    "nn_sdpa_mask": "a mask with more batch than q/k broadcasts (torch: in-place shape error)",
    "nn_sdpa_causal": "q/k/v batch dims broadcast (torch: shape errors)",
    "tensordot_int": "dims larger than a 0-d operand's ndim accepted",
})
# the add-product family (addmm, addbmm, baddbmm, addmv, addr): input broadcast
# by numpy rules; torch only expands it to the product's shape
KNOWN_LOOSER.update({n: "input broadcast by numpy rules (torch: expand only)"
                     for n in ALL if n.startswith(("addmm", "addbmm", "baddbmm", "addmv",
                                                   "addr"))})
# torch's backward fails when scatter's src is larger than its index (it
# returns a gradient of the index's shape); ours gives src's shape
KNOWN_LOOSER.update({n: "torch's scatter backward fails for src larger than index"
                     for n in ALL if n.startswith("scatter")})
#: autograd_c raises where torch gives a result
KNOWN_REFUSES = {
    "einsum_ellipsis_bcast": "torch broadcasts size-1 subscript dims; autograd_c requires equal",
    "einsum_list": "torch broadcasts size-1 subscript dims; autograd_c requires equal",
    "einsum_three": "torch broadcasts size-1 subscript dims; autograd_c requires equal",
    "tensordot": "torch broadcasts size-1 contracted dims; autograd_c requires equal",
    "tensordot_int": "torch broadcasts size-1 contracted dims; autograd_c requires equal",
    "take_along_dim": "torch does not bounds-check the index (reads garbage); IndexError here",
    "take_along_dim_bcast": "torch does not bounds-check the index; IndexError here",
    "take_along_dim_bcast_input": "torch does not bounds-check the index; IndexError here",
    "roll": "torch skips the dim check on empty tensors",
    "roll_dims": "torch skips the dim check on empty tensors",
    "cummax": "torch skips the dim check on empty tensors",
    "cummin": "torch skips the dim check on empty tensors",
    "getitem_torch_placement_2d": "torch skips index bounds checks on empty tensors",
    "getitem": "torch skips index bounds checks on empty tensors",
    "setitem": "torch skips index bounds checks on empty tensors",
    "index_fill_number": "torch skips index bounds checks on empty tensors",
    "index_put_accumulate": "torch skips index bounds checks on empty tensors",
    "nn_batch_norm": "torch skips the weight/bias shape checks on an empty input",
    "cat": "torch's legacy rule skips empty 1-d tensors of any other ndim",
    "hstack_1d": "torch's legacy rule skips empty 1-d tensors of any other ndim",
    "getitem_torch_placement": "torch skips index bounds checks on empty tensors",
    "hstack": "torch's legacy rule skips empty 1-d tensors of any other ndim",
    "einsum_mm": "torch broadcasts size-1 subscript dims; autograd_c requires equal",
    "einsum_trace_3": "torch broadcasts size-1 subscript dims; autograd_c requires equal",
    "index_put": "torch skips index bounds checks on empty tensors",
    "logdet": "BUG (minor): logabsdet's backward raises LinAlgError at an exactly singular "
              "matrix (torch: non-finite gradient)",
    "cond": "BUG (minor): cond of empty matrices raises (torch: empty result)",
    "matrix_norm_1": "BUG (minor): 1-norm of empty matrices raises (amax of empty; torch: 0)",
    "lstsq": "torch reads B (m, k) against a batched A (1, m, n) as a batch of vectors and "
             "returns (m, n, k); autograd_c refuses",
    "nn_sdpa_causal": "torch's math path accepts some mismatched q/k/v shapes",
    "nn_sdpa_mask": "torch's math path accepts some mismatched q/k/v/mask shapes",
}


def _resized(prog):
    return [tuple(s) for s in prog.shapes] != [tuple(s) for s in ALL[prog.case][1]]


#: autograd_c's result differs from torch's: (reason, when)
KNOWN_DIFFERS = {
    "det_singular": ("at an exactly singular matrix torch's det gradient is 0; ours is the "
                     "adjugate (= finite differences)", lambda prog: True),
    "nanmean": ("all-NaN slice (resized input): torch's gradient is NaN at the NaN entry, "
                "ours 0", _resized),
    "nn_bce_logits": ("float32 input, float64 pos_weight: torch keeps float32 (in-place "
                      "internals), ours promotes to float64", lambda p: p.dtype == np.float32),
}
KNOWN_DIFFERS.update({
    "nanquantile": ("all-NaN slice (resized input): NaN gradients differ", _resized),
    "logdet": ("float32 near-singular resized input: NaN gradients differ",
               lambda p: _resized(p) and p.dtype == np.float32),
    "nn_sdpa_causal": ("value with more batch dims than q/k: torch drops them, ours "
                       "broadcasts", _resized),
    "nn_sdpa_mask": ("value with more batch dims than q/k: torch drops them, ours "
                     "broadcasts", _resized),
    # resized away from their spread singular values, pinv's inputs can be
    # ill-conditioned: results and gradients then differ by round-off
    # amplified by the condition number (1e-3 relative seen in float64)
    "pinv_wide": ("resized, possibly ill-conditioned input: round-off amplified",
                  _resized),
    "pinv_tall": ("resized, possibly ill-conditioned input: round-off amplified",
                  _resized),
    "nn_group_norm": ("empty groups: torch's affine gradients are NaN (0/0), ours 0 "
                      "(the empty sum)", lambda p: 0 in tuple(p.shapes[0])),
})
#: any case: (reason, when) for autograd_c errors or results torch does not share
KNOWN_REFUSE_PATTERNS = (
    # the "cat" post op on (0,) results: torch's legacy cat skips empty 1-d tensors
    re.compile(r"cat \(concatenate, concat\).*input shapes: \(0,\)"),
)
KNOWN_DIFFERS_ANY = (
    ("float32 ties in amax: which entries tie depends on rounding",
     lambda p: p.dtype == np.float32 and any(n == "amax_dim" for n, _ in p.post)),
    ("amax over a batch built with equal spectra (the *_batched linalg cases): the "
     "maximum is a tie up to round-off, and which entry wins differs",
     lambda p: p.case.endswith("_batched") and any(n == "amax_dim" for n, _ in p.post)),
    ("convolution over 0 input channels: torch returns 0 output channels; ours has "
     "out_channels of zeros (the empty sum)",
     lambda p: p.case.startswith("nn_conv") and len(p.shapes[0]) > 1 and p.shapes[0][1] == 0),
)
#: gauge-invariant decomposition cases: resized inputs can have repeated
#: singular values/eigenvalues, where the outputs are no longer gauge-invariant
for _n in ALL:
    if _n.startswith(("svd", "eig", "linalg_svd", "linalg_eig")):
        KNOWN_DIFFERS[_n] = ("resized inputs can be rank-deficient: repeated or zero (up to "
                             "rounding) eigen/singular values", _resized)


# --------------------------------------------------------------------------
# post ops: shape-polymorphic, written once against either library (``m``)
# fn(m, x, p, extra): p holds the drawn parameters; extra(shape) makes a new
# leaf of that shape (a second operand that is differentiated too)
# --------------------------------------------------------------------------

def _bshape(shape, p):
    """A shape broadcastable against ``shape``: a suffix of it with some
    dims set to 1 (drawn bits in p["mask"], p["drop"])."""
    s = list(shape)[min(p["drop"], len(shape)):]
    return tuple(1 if (p["mask"] >> i) & 1 else d for i, d in enumerate(s))


POST = {
    "sin": lambda m, x, p, e: m.sin(x),
    "tanh": lambda m, x, p, e: x.tanh(),
    "sigmoid": lambda m, x, p, e: m.sigmoid(x),
    "atan": lambda m, x, p, e: m.atan(x),
    "square": lambda m, x, p, e: x * x,
    "abs": lambda m, x, p, e: x.abs() * x,
    "affine": lambda m, x, p, e: x * 1.5 - 0.25,
    "clamp": lambda m, x, p, e: x.clamp(-0.5, 0.75),
    "sum_dim": lambda m, x, p, e: x.sum(p["dim"], keepdim=p["keepdim"]),
    "sum_all": lambda m, x, p, e: x.sum(),
    "mean_dim": lambda m, x, p, e: x.mean(p["dim"], keepdim=p["keepdim"]),
    "amax_dim": lambda m, x, p, e: x.amax(p["dim"], keepdim=p["keepdim"]),
    "softmax": lambda m, x, p, e: x.softmax(p["dim"]),
    "logsumexp": lambda m, x, p, e: x.logsumexp(p["dim"], keepdim=p["keepdim"]),
    "cumsum": lambda m, x, p, e: x.cumsum(p["dim"]),
    "flatten": lambda m, x, p, e: x.reshape(-1),
    "transpose": lambda m, x, p, e: x.transpose(p["dim"], p["dim2"]),
    "flip": lambda m, x, p, e: x.flip(p["dim"]),
    "unsqueeze": lambda m, x, p, e: x.unsqueeze(p["dim"]),
    "squeeze": lambda m, x, p, e: x.squeeze(),
    "step_slice": lambda m, x, p, e: x[..., ::2],
    "last": lambda m, x, p, e: x[-1],
    "add": lambda m, x, p, e: x + e(_bshape(x.shape, p)),
    "mul": lambda m, x, p, e: e(_bshape(x.shape, p)) * x,
    "maximum": lambda m, x, p, e: m.maximum(x, e(_bshape(x.shape, p))),
    "div": lambda m, x, p, e: x / (e(_bshape(x.shape, p)) ** 2 + 0.5),
    "where": lambda m, x, p, e: m.where(x > 0, x, e(_bshape(x.shape, p))),
    "cat": lambda m, x, p, e: m.cat([x, x * 2.0], p["dim"]),
    "stack": lambda m, x, p, e: m.stack([x, e(tuple(x.shape))], p["dim"]),
    "matmul": lambda m, x, p, e: x @ e((tuple(x.shape)[-1:] or (1,)) + (2,)),
    "expand": lambda m, x, p, e: x.expand((2,) + tuple(x.shape)),
    "norm": lambda m, x, p, e: x.norm(),
}
POST_NAMES = sorted(POST)


# --------------------------------------------------------------------------
# programs
# --------------------------------------------------------------------------

class Program:
    def __init__(self, case, shapes, dtype, seed, post, mode):
        self.case, self.shapes, self.dtype, self.seed = case, shapes, dtype, seed
        self.post, self.mode = post, mode

    def __repr__(self):
        post = " -> ".join(f"{n}{p}" for n, p in self.post)
        return (f"case={self.case!r} shapes={self.shapes} (case: {ALL[self.case][1]}, "
                f"{self.mode}) dtype={np.dtype(self.dtype).name} seed={self.seed}"
                + (f" post: {post}" if post else ""))


def _draw_shape(rng, shape):
    """One input shape, perturbed: size-0/1 dims, dims +-1, a dim added or
    dropped, or 0-d."""
    how = rng.choice(["dims", "dims", "add", "drop", "scalar"])
    if how == "scalar":
        return ()
    s = list(shape)
    if how == "add":
        s.insert(0, int(rng.choice([1, 2])))
    elif how == "drop" and s:
        s.pop(0)
    for i, d in enumerate(s):
        s[i] = int(rng.choice([d, d, d, 1, 0, d + 1, max(d - 1, 0)]))
    return tuple(s)


def make_program(case, seed):
    """The program for ``case`` and ``seed``: every other choice comes from
    a numpy generator seeded with ``seed`` (Hypothesis then spreads its
    examples over the cases instead of mutating a few)."""
    rng = np.random.default_rng(seed)
    shapes = [tuple(s) for s in ALL[case][1]]
    mode = str(rng.choice(["keep", "keep", "perturb", "perturb", "bcast"]))
    if mode == "perturb":
        if rng.random() < 0.5:
            shapes = [_draw_shape(rng, s) for s in shapes]
        else:
            k = int(rng.integers(len(shapes)))
            shapes[k] = _draw_shape(rng, shapes[k])
    elif mode == "bcast":
        base = tuple(int(d) for d in rng.choice([1, 2, 3, 4, 0], size=rng.integers(0, 5),
                                                p=[0.3, 0.25, 0.2, 0.15, 0.1]))
        shapes = [_bshape(base, {"drop": int(rng.integers(0, len(base) + 1)),
                                 "mask": int(rng.integers(0, 16))}) for _ in shapes]
    dtype = np.float32 if rng.random() < 0.25 else np.float64
    post = []
    for _ in range(int(rng.choice([0, 1, 1, 2]))):
        name = str(rng.choice(POST_NAMES))
        post.append((name, {"dim": int(rng.integers(-3, 4)), "dim2": int(rng.integers(-3, 4)),
                            "keepdim": bool(rng.random() < 0.5), "drop": int(rng.integers(0, 4)),
                            "mask": int(rng.integers(0, 16))}))
    return Program(case, shapes, dtype, seed, post, mode)


def _resize(a, shape):
    """``a`` cut or repeated (cyclically, per axis) to ``shape``; trailing axes
    line up, extra leading axes take index 0, missing ones are added."""
    a = np.asarray(a)
    if a.ndim > len(shape):
        a = a[(0,) * (a.ndim - len(shape))]
    a = a.reshape((1,) * (len(shape) - a.ndim) + a.shape)
    for ax, n in enumerate(shape):
        a = np.take(a, np.arange(n) % a.shape[ax], axis=ax) if a.shape[ax] else \
            np.zeros(a.shape[:ax] + (n,) + a.shape[ax + 1:])
    return a


def _arrays(prog):
    """The program's input values (float64; cast by the runner)."""
    _, case_shapes, kind, _ = ALL[prog.case]
    rng = np.random.default_rng(prog.seed)
    if callable(kind):
        base = [np.asarray(a, dtype=np.float64) for a in kind(rng)]
        if [a.shape for a in base] == [tuple(s) for s in prog.shapes]:
            return base
        # a special domain: the case's own inputs resized, with a relative
        # jitter (signs and zeros stay, repeated entries stop being ties)
        return [_resize(a, s) * (1 + 1e-3 * rng.uniform(-1, 1, s))
                for a, s in zip(base, prog.shapes)]
    return _inputs(prog.shapes, kind, rng)


class Failed(Exception):
    """Raised by a library on the program; ``stage`` is forward or backward."""

    def __init__(self, stage, exc):
        super().__init__(f"{stage}: {type(exc).__name__}: {exc}")
        self.stage, self.exc = stage, exc


def _run(m, prog, arrays):
    """(output, gradient per leaf) on library ``m`` (torch or autograd_c,
    which runs on the active engine); Failed if the library raises."""
    dt = prog.dtype
    leaves = []

    def leaf(arr):
        arr = np.array(arr, dtype=dt)       # (a copy; 0-d stays 0-d)
        t = torch.tensor(arr, requires_grad=True) if m is torch else \
            ag.tensor(arr, requires_grad=True)
        leaves.append(t)
        return t

    extra_rng = np.random.default_rng(prog.seed + 1)

    def extra(shape):
        return leaf(extra_rng.standard_normal(tuple(shape)))

    fn = ALL[prog.case][0]
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            out = fn(m, *[leaf(a) for a in arrays])
            for name, p in prog.post:
                out = POST[name](m, out, p, extra)
    except Exception as e:  # noqa: BLE001 - compared against the other libraries
        raise Failed("forward", e) from e
    value = out.detach().numpy()
    if not out.requires_grad or value.dtype.kind not in "fc":
        return out, value, [None] * len(leaves)
    w = np.cos(np.arange(value.size)).reshape(value.shape) + 0.3
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            if m is torch:
                loss = (out * torch.tensor(w.astype(value.dtype))).sum()
                grads = torch.autograd.grad(loss, leaves, allow_unused=True)
            else:
                loss = (out * ag.tensor(w.astype(value.dtype))).sum()
                grads = ag.autograd.grad(loss, leaves, allow_unused=True)
    except Exception as e:  # noqa: BLE001
        raise Failed("backward", e) from e
    return out, value, [None if g is None else g.detach().numpy() for g in grads]


def _tol(dtype, ref):
    """(rtol, atol) for a comparison against ``ref``: relative to the
    result's scale (random inputs can be badly conditioned)."""
    finite = np.abs(ref[np.isfinite(ref)]) if ref.size else np.zeros(0)
    scale = 1.0 + (float(finite.max()) if finite.size else 0.0)
    if np.dtype(dtype) == np.float32:
        return 2e-3, 2e-3 * scale
    return 1e-7, 1e-9 * scale


def _close(a, b, rtol, atol, what):
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)


def _compare(prog, ours, ref, tight):
    """``ours`` (value, grads) against ``ref`` (torch, or the other engine when
    ``tight``)."""
    (v, gs), (rv, rgs) = ours, ref
    assert v.shape == rv.shape, f"output shape {v.shape} != {rv.shape}"
    if not tight and (v.dtype, rv.dtype) == (np.float64, np.float32):
        # known: operators do not apply yet PyTorch's rule that a 0-d float64
        # tensor does not promote a dimensioned float32 one (the xfail
        # test_tensor_api.py::test_operators_promote_like_torch); values are
        # still compared
        STATS["promoted"] += 1
    else:
        assert v.dtype == rv.dtype, f"output dtype {v.dtype} != {rv.dtype}"
    rtol, atol = (1e-10, 1e-12 * (1 + np.nanmax(np.abs(rv), initial=0.0))) if tight else \
        _tol(prog.dtype, rv)
    _close(v, rv, rtol, atol, "output")
    assert len(gs) == len(rgs)
    for i, (g, rg) in enumerate(zip(gs, rgs)):
        if g is None and rg is None:
            continue
        shape = (g if g is not None else rg).shape
        g = np.zeros(shape) if g is None else g
        rg = np.zeros(shape) if rg is None else rg
        assert g.shape == rg.shape, f"gradient {i}: shape {g.shape} != {rg.shape}"
        rtol, atol = (1e-10, 1e-12 * (1 + np.nanmax(np.abs(rg), initial=0.0))) if tight else \
            _tol(prog.dtype, rg)
        _close(g, rg, rtol, atol, f"gradient of leaf {i}")


STATS: dict = {"examples": 0, "valid": 0, "invalid": 0, "known": 0, "promoted": 0, "cases": set(),
               "ops": set(), "post": set(), "errors": {}}


def check_program(prog):
    arrays = _arrays(prog)
    try:
        _, tv, tg = _run(torch, prog, arrays)
        torch_err = None
    except Failed as e:
        torch_err = e
    results = {}
    for name in ("c", "python"):
        with engines.use_engine(name), ag.profiler() as prof:
            try:
                _, v, g = _run(ag, prog, arrays)
                results[name] = (v, g)
            except Failed as e:
                results[name] = e
        STATS["ops"].update(k for k in prof.stats if k in ops.REGISTRY)
    c, py = results["c"], results["python"]
    assert isinstance(c, Failed) == isinstance(py, Failed), (
        f"the engines disagree: c {'raises ' + str(c) if isinstance(c, Failed) else 'runs'}, "
        f"python {'raises ' + str(py) if isinstance(py, Failed) else 'runs'}")
    if isinstance(c, Failed):
        for name, r in results.items():
            assert isinstance(r.exc, CLEAR_ERRORS), (
                f"{name} engine raises an internal error: {r}"
                + (f" (torch raises {torch_err})" if torch_err else " (torch does not raise)"))
        if torch_err is None:
            if prog.case not in KNOWN_REFUSES and not any(
                    pat.search(str(c)) for pat in KNOWN_REFUSE_PATTERNS):
                raise AssertionError(f"autograd_c raises where torch does not: {c}") from c.exc
            STATS["known"] += 1
        else:
            STATS["invalid"] += 1
            STATS["errors"].setdefault(type(c.exc).__name__, []).append((prog.case, str(c.exc)))
        return
    _compare(prog, c, py, tight=True)
    if torch_err is not None:
        if prog.case not in KNOWN_LOOSER and not any(
                msg in str(torch_err) for msg in KNOWN_LOOSER_MESSAGES):
            raise AssertionError(f"torch raises ({torch_err}) but autograd_c does not")
        STATS["known"] += 1
        return
    differs = KNOWN_DIFFERS.get(prog.case)
    if (differs is not None and differs[1](prog)) or any(when(prog)
                                                         for _, when in KNOWN_DIFFERS_ANY):
        try:
            _compare(prog, c, (tv, tg), tight=False)
        except AssertionError:
            STATS["known"] += 1
            return
    else:
        _compare(prog, c, (tv, tg), tight=False)
    STATS["valid"] += 1


# --------------------------------------------------------------------------
# the tests
# --------------------------------------------------------------------------

def test_post_ops_run_on_both_libraries():
    """Every post op is valid on a (2, 3) float64 input for both libraries
    (so the fuzzer's compositions exercise them, not only their errors)."""
    for name in POST_NAMES:
        prog = Program("exp", [(2, 3)], np.float64, 7, [(name, {
            "dim": 1, "dim2": 0, "keepdim": False, "drop": 0, "mask": 1})], "keep")
        check_program(prog)
    assert STATS["invalid"] == 0


def test_op_fuzz(request):
    require_compiled()
    asked = request.config.getoption("--fuzz-examples")
    n = asked or 300
    STATS.update(examples=0, valid=0, invalid=0, known=0, promoted=0, cases=set(), ops=set(),
                 post=set(), errors={})

    # CI's run is derandomized (the same programs every time); a long run
    # asked for with --fuzz-examples draws new ones (a failure prints the
    # blob that reproduces it)
    @settings(max_examples=n, deadline=None, derandomize=asked is None, database=None,
              suppress_health_check=list(HealthCheck), print_blob=True)
    @given(case=st.sampled_from(CASE_NAMES), seed=st.integers(0, 2**31 - 1))
    def prop(case, seed):
        prog = make_program(case, seed)
        hypothesis.note(repr(prog))
        check_program(prog)
        STATS["examples"] += 1
        STATS["cases"].add(prog.case)
        STATS["post"].update(name for name, _ in prog.post)

    prop()
    n_err = sum(len(v) for v in STATS["errors"].values())
    print(f"\n[op fuzz] {STATS['examples']} programs ({STATS['valid']} valid, "
          f"{STATS['invalid']} refused by torch and both engines, {STATS['known']} known "
          f"divergences, {STATS['promoted']} known 0-d promotions); "
          f"{len(STATS['cases'])}/{len(CASE_NAMES)} cases, "
          f"{len(STATS['ops'])}/{len(ops.REGISTRY)} registry ops run, "
          f"{len(STATS['post'])}/{len(POST)} post ops; engine errors by type: "
          f"{ {k: len(v) for k, v in STATS['errors'].items()} } ({n_err})")
    assert STATS["valid"] > 0 and STATS["invalid"] > 0


# --------------------------------------------------------------------------
# regressions: bugs the fuzzer found (each against torch, on both engines)
# --------------------------------------------------------------------------

def _both(fn, arrays):
    """fn on autograd_c (active engine) and torch: (value, grads) pairs."""
    out = []
    for m in (ag, torch):
        xs = [m.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
        y = fn(m, *xs)
        w = np.cos(np.arange(int(np.prod(tuple(y.shape))))).reshape(tuple(y.shape)) + 0.3
        leaves = [x for x in xs if x.requires_grad]
        gs = m.autograd.grad((y * m.tensor(w.astype(y.detach().numpy().dtype))).sum(), leaves,
                             allow_unused=True) if y.requires_grad else [None] * len(leaves)
        out.append((y.detach().numpy(), [None if g is None else g.detach().numpy()
                                         for g in gs]))
    return out


REGRESSIONS = {
    # out-of-place masked_fill/masked_scatter broadcast input and mask together
    "masked_fill_broadcasts_input": (
        lambda m, a: m.masked_fill(a, m.tensor(np.array([[True, False, True, False]] * 3)), 0.5),
        [(1,)]),
    "masked_fill_tensor_value": (
        lambda m, a, v: a.masked_fill(m.tensor(np.array([True, False, True])), v[0]) * 2.0,
        [(2, 1), (1,)]),
    "masked_scatter_broadcasts_input": (
        lambda m, a, s: m.masked_scatter(a, m.tensor(np.array([[True, False], [False, True]])),
                                         s), [(2,), (5,)]),
    # softmax / log_softmax of empty tensors
    "softmax_empty": (lambda m, a: a.softmax(0), [(0,)]),
    "softmax_empty_dim": (lambda m, a: m.softmax(a, 1) * 2.0, [(2, 0, 3)]),
    "log_softmax_empty": (lambda m, a: a.log_softmax(-1), [(3, 0)]),
    # tensordot / inner with an empty contracted or free dim
    "inner_empty": (lambda m, a, b: m.inner(a, b), [(2, 0), (3, 0)]),
    "tensordot_empty_free": (lambda m, a, b: m.tensordot(a, b, dims=([1], [0])),
                             [(0, 3), (3, 2)]),
    # constant padding of an empty tensor (all padding)
    "pad_constant_empty": (lambda m, a: m.nn.functional.pad(a, (1, 2), value=0.5) * 2.0,
                           [(2, 0)]),
    "pad_constant_empty_batch": (lambda m, a: m.nn.functional.pad(a, (1, 1, 0, 1)),
                                 [(0, 4, 0)]),
    # batch_norm on an empty batch; sdpa with an empty embedding dim
    "batch_norm_empty": (lambda m, x, w, b: m.nn.functional.batch_norm(
        x, None, None, w, b, training=True), [(1, 3, 0), (3,), (3,)]),
    "sdpa_empty_embedding": (lambda m, q, k, v: m.nn.functional.scaled_dot_product_attention(
        q, k, v), [(1, 3, 0), (1, 4, 0), (1, 4, 2)]),
    # prelu's one-element weight keeps a 0-d input 0-d (it made it (1,))
    "prelu_0d_input": (lambda m, x, w: m.nn.functional.prelu(x, w) * 2.0, [(), (1,)]),
    "prelu_1d_input": (lambda m, x, w: m.nn.functional.prelu(x, w), [(4,), (1,)]),
    # decompositions of empty batches and 0x0 matrices
    "det_empty_matrices": (lambda m, a: m.linalg.det(a) * 2.0, [(2, 0, 0)]),
    "det_empty_batch": (lambda m, a: m.linalg.det(a), [(0, 3, 3)]),
    "svd_empty_batch": (lambda m, a: m.linalg.svd(a, full_matrices=False)[1], [(1, 0, 3, 2)]),
    "svdvals_empty_batch": (lambda m, a: m.linalg.svdvals(a), [(0, 3, 3)]),
    "qr_empty_batch": (lambda m, a: m.linalg.qr(a)[1], [(2, 0, 3, 3)]),
    "eigh_empty_batch": (lambda m, a: m.linalg.eigh(a)[0], [(1, 0, 3, 3)]),
    "matrix_norm_nuc_empty_batch": (lambda m, a: m.linalg.matrix_norm(a, "nuc"), [(0, 3, 4)]),
    # found by the randomized 30,000-program runs of session 5
    "group_norm_empty_batch": (lambda m, a: m.nn.functional.group_norm(a, 2) * 2.0, [(0, 4, 3)]),
    "median_empty_recorded": (lambda m, a, b: m.maximum(m.median(a) ** 2, b), [(0, 2, 1), (1,)]),
    "matmul_stack_empty_inner": (lambda m, a, b: a @ b, [(2, 1, 0), (0, 2)]),
    "softmax_0d": (lambda m, a: a.softmax(0) * a.log_softmax(-1), [()]),
    "cross_default_dim_of_input": (lambda m, a, b: m.cross(a, b), [(1, 3), (3, 3)]),
}


@pytest.mark.parametrize("name", sorted(REGRESSIONS))
def test_fuzzer_regressions_match_torch(name, engine):
    fn, shapes = REGRESSIONS[name]
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    arrays = [rng.standard_normal(s) for s in shapes]
    (v, gs), (tv, tgs) = _both(fn, arrays)
    assert v.shape == tv.shape and v.dtype == tv.dtype, (v.shape, v.dtype, tv.shape, tv.dtype)
    np.testing.assert_allclose(v, tv, rtol=1e-10, atol=1e-12)
    for g, tg in zip(gs, tgs):
        if tg is None:
            assert g is None or not np.any(g), g
            continue
        g = np.zeros_like(tg) if g is None else g
        np.testing.assert_allclose(g, tg, rtol=1e-10, atol=1e-12)


def test_logdet_keeps_float32(engine):
    """logdet of a float32 matrix is float32 (it was float64: the NaN mask
    for a negative determinant was a float64 array)."""
    a = np.random.default_rng(0).standard_normal((2, 3, 3)).astype(np.float32)
    for m in (ag, torch):
        x = m.tensor(a)
        assert str(m.logdet(x @ x.mT).dtype).endswith("float32"), m
        assert str(m.logdet(x[0]).dtype).endswith("float32"), m


def test_masked_fill_inplace_keeps_shape(engine):
    """The in-place masked_fill_ cannot grow its tensor: a mask that
    broadcasts it to another shape raises (torch's message), clearly."""
    a = ag.tensor(np.zeros((3, 1)))
    with pytest.raises(RuntimeError, match=r"masked_fill_\(\).*\(3, 1\).*\(3, 2\)"):
        a.masked_fill_(ag.tensor(np.array([True, False])), 1.0)
    with pytest.raises(RuntimeError):
        torch.zeros(3, 1).masked_fill_(torch.tensor([True, False]), 1.0)


def test_col2im_empty_kernel_is_a_clear_error(engine):
    """An empty kernel raised ZeroDivisionError from inside col2im."""
    x, w = ag.tensor(np.zeros((1, 2, 3))), ag.tensor(np.zeros((2, 1, 0)))
    with pytest.raises(ValueError, match="col2im"):
        ag.nn.functional.conv_transpose1d(x, w)
    with pytest.raises(RuntimeError):
        torch.nn.functional.conv_transpose1d(torch.zeros(1, 2, 3), torch.zeros(2, 1, 0))


def test_median_of_empty_is_recorded(engine):
    """median() of an empty float tensor is NaN with a history, as in torch
    (it was a constant: no grad_fn, so nothing flowed back through it)."""
    for m in (ag, torch):
        x = m.zeros((0, 2, 1), dtype=m.float64, requires_grad=True)
        y = m.median(x)
        assert y.requires_grad and y.grad_fn is not None, m
        y.backward()
        assert tuple(x.grad.shape) == (0, 2, 1)


def test_group_norm_checks_its_affine_shapes(engine):
    """group_norm's weight and bias must be (C,) vectors, as torch checks (a
    (1, C) bias was broadcast)."""
    x = np.zeros((2, 4, 3))
    for w, b in ((np.ones(4), np.ones((1, 4))), (np.ones((1, 4)), np.ones(4)), (np.ones(3), None)):
        for m in (torch, ag):
            with pytest.raises(RuntimeError):
                m.nn.functional.group_norm(m.tensor(x), 2, m.tensor(w),
                                           None if b is None else m.tensor(b))

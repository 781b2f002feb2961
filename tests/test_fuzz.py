"""Graph fuzzer: Hypothesis builds random graphs (up to 20 ops drawn from every
op in ``autograd_c.ops.REGISTRY``, random shapes with broadcasting, random reuse
of intermediates), records them as a program, and replays the program on the
compiled engine, the pure-Python engine and PyTorch float64:

- both engines agree to 1e-12 (forward values and leaf gradients);
- gradients agree with PyTorch to 1e-10 (when torch is installed);
- ``autograd_c.gradcheck`` passes.

Inputs stay in safe domains (log/sqrt/pow of values > 0.05, no ties or kinks
within 1e-3 for max/min/maximum/minimum/relu/abs/clip, bounded magnitudes).
Examples: 60 by default (derandomized, no example database), or
``pytest tests/test_fuzz.py --fuzz-examples 2000``.
"""

import numpy as np
import pytest

import autograd_c as ag
from autograd_c import engines, ops
from conftest import HAVE_TORCH

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

MAX_OPS = 20
MARGIN = 1e-3
BOUND = 1e3

UNARY = ["neg", "exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu"]
BINARY = ["add", "sub", "mul", "div", "pow", "maximum", "minimum"]
REDUCE = ["sum", "mean", "amax", "amin"]
OTHER = ["where", "clamp", "softmax", "log_softmax", "matmul", "reshape", "permute",
         "broadcast_to", "getitem", "cat", "stack"]
# ops the fuzzer does not draw are checked op by op by tests/test_op_table.py
# (forward, first and second order against torch and finite differences)
FUZZ_OPS = UNARY + BINARY + REDUCE + OTHER


# --------------------------------------------------------------------------
# a program: ("leaf", data) | (opname, input indices, params)
# replayed identically on any backend
# --------------------------------------------------------------------------

def _np_index(kind, payload):
    if kind == "int":
        return payload
    if kind == "slice":
        return slice(*payload)
    if kind == "flip":
        return slice(None, None, -1)
    if kind == "take":
        return np.array(payload)
    if kind == "col":
        return (slice(None), payload)
    if kind == "mask":
        return np.array(payload, dtype=bool)
    raise AssertionError(kind)


class AgBackend:
    def __init__(self, name):
        self.eng = engines.available[name]

    def leaf(self, data):
        return self.eng.Tensor(np.array(data), requires_grad=True)

    def const(self, x):
        return x

    def apply(self, op, xs, p):
        a = xs[0]
        if op in UNARY:
            return getattr(ag, op)(a)
        if op in BINARY:
            b = xs[1] if len(xs) > 1 else p["c"]
            if p.get("swap"):
                a, b = b, a
            return {"add": ag.add, "sub": ag.sub, "mul": ag.mul, "div": ag.div, "pow": ag.pow,
                    "maximum": ag.maximum, "minimum": ag.minimum}[op](a, b)
        if op in REDUCE:
            return getattr(a, op)(axis=p["axis"], keepdims=p["keepdims"])
        if op == "where":
            return ag.where(np.array(p["cond"]), a, xs[1])
        if op == "clamp":
            return ag.clip(a, p["lo"], p["hi"])
        if op in ("softmax", "log_softmax"):
            return getattr(ag, op)(a, axis=p["axis"])
        if op == "matmul":
            return a @ xs[1]
        if op == "reshape":
            return a.reshape(p["shape"])
        if op == "permute":
            return a.permute(p["axes"]) if p["axes"] is not None else a.T
        if op == "broadcast_to":
            return a.broadcast_to(p["shape"])
        if op == "getitem":
            return a[_np_index(*p["index"])]
        if op == "cat":
            return ag.concatenate(list(xs), axis=p["axis"])
        if op == "stack":
            return ag.stack(list(xs), axis=p["axis"])
        raise AssertionError(op)

    def loss(self, values, weights):
        total = None
        for v, w in zip(values, weights):
            term = (v * w).sum()
            total = term if total is None else total + term
        return total

    def grads(self, loss, leaves):
        loss.backward()
        return [np.array(x.grad.data) if x.grad is not None else np.zeros(x.shape)
                for x in leaves]

    def numpy(self, t):
        return np.array(t.data)


class TorchBackend:
    def __init__(self):
        import torch
        self.torch = torch

    def _t(self, x):
        return self.torch.as_tensor(np.asarray(x, dtype=np.float64))

    def leaf(self, data):
        return self.torch.tensor(np.array(data, dtype=np.float64), requires_grad=True)

    def apply(self, op, xs, p):
        T = self.torch
        a = xs[0]
        if op in UNARY:
            return {"neg": T.neg, "exp": T.exp, "log": T.log, "sqrt": T.sqrt, "abs": T.abs,
                    "tanh": T.tanh, "sigmoid": T.sigmoid, "relu": T.relu}[op](a)
        if op in BINARY:
            b = xs[1] if len(xs) > 1 else p["c"]
            if p.get("swap"):
                a, b = b, a
            if not isinstance(a, T.Tensor):
                a = self._t(a)
            if not isinstance(b, T.Tensor):
                b = self._t(b)
            return {"add": T.add, "sub": T.sub, "mul": T.mul, "div": T.div, "pow": T.pow,
                    "maximum": T.maximum, "minimum": T.minimum}[op](a, b)
        if op in REDUCE:
            axis, keep = p["axis"], p["keepdims"]
            if axis is None:
                axis = tuple(range(a.ndim))
            if op in ("sum", "mean"):
                out = getattr(T, op)(a, dim=axis, keepdim=keep) if a.ndim else a * 1.0
            else:
                out = getattr(T, "amax" if op == "amax" else "amin")(a, dim=axis, keepdim=keep) \
                    if a.ndim else a * 1.0
            return out
        if op == "where":
            return T.where(T.as_tensor(np.array(p["cond"])), a, xs[1])
        if op == "clamp":
            return T.clamp(a, p["lo"], p["hi"])
        if op == "softmax":
            return T.softmax(a, dim=p["axis"])
        if op == "log_softmax":
            return T.log_softmax(a, dim=p["axis"])
        if op == "matmul":
            return a @ xs[1]
        if op == "reshape":
            return a.reshape(p["shape"])
        if op == "permute":
            axes = p["axes"] if p["axes"] is not None else tuple(range(a.ndim))[::-1]
            return T.permute(a, tuple(axes))
        if op == "broadcast_to":
            return a.broadcast_to(p["shape"])
        if op == "getitem":
            kind, payload = p["index"]
            if kind == "flip":
                return T.flip(a, [0])
            if kind == "take":
                return a[T.as_tensor(np.array(payload))]
            if kind == "mask":
                return a[T.as_tensor(np.array(payload, dtype=bool))]
            return a[_np_index(kind, payload)]
        if op == "cat":
            return T.cat(list(xs), dim=p["axis"])
        if op == "stack":
            return T.stack(list(xs), dim=p["axis"])
        raise AssertionError(op)

    def loss(self, values, weights):
        total = None
        for v, w in zip(values, weights):
            term = (v * self._t(w)).sum()
            total = term if total is None else total + term
        return total

    def grads(self, loss, leaves):
        loss.backward()
        return [x.grad.numpy().copy() if x.grad is not None else np.zeros(tuple(x.shape))
                for x in leaves]

    def numpy(self, t):
        return t.detach().numpy().copy()


def replay(program, backend, leaves=None):
    """Run ``program`` on ``backend``; returns (leaves, values)."""
    values, new_leaves = [], []
    for ins in program:
        if ins[0] == "leaf":
            t = leaves[len(new_leaves)] if leaves is not None else backend.leaf(ins[1])
            new_leaves.append(t)
            values.append(t)
        else:
            op, idx, params = ins
            values.append(backend.apply(op, [values[i] for i in idx], params))
    return new_leaves, values


def sinks(program):
    """Values no later instruction consumes (they all feed the loss)."""
    used = set()
    for ins in program:
        if ins[0] != "leaf":
            used.update(ins[1])
    return [i for i, ins in enumerate(program) if i not in used and ins[0] != "leaf"]


# --------------------------------------------------------------------------
# generation: draw an op, evaluate it on the Python engine, keep it only when
# its inputs are in the op's safe domain and the result is bounded
# --------------------------------------------------------------------------

def _shapes(draw, ndim_max=3):
    nd = draw(st.integers(0, ndim_max))
    return tuple(draw(st.integers(1, 3)) for _ in range(nd))


def _broadcast_partner(draw, shape):
    """A random shape broadcast-compatible with ``shape`` (the result may be larger)."""
    out = [1 if draw(st.booleans()) and draw(st.booleans()) else s for s in shape]
    out = [draw(st.sampled_from([1, 2])) if s == 1 else o for s, o in zip(shape, out)]
    lead = draw(st.integers(0, 1)) if len(out) < 3 else 0
    out = [draw(st.integers(1, 2)) for _ in range(lead)] + out
    if out and draw(st.booleans()):
        k = draw(st.integers(0, len(out)))
        out = out[k:]
    return tuple(out)


def _no_ties(arr, axes):
    a = np.asarray(arr)
    if a.ndim == 0:
        return True
    axes = tuple(range(a.ndim)) if axes is None else (axes if isinstance(axes, tuple) else (axes,))
    axes = tuple(x % a.ndim for x in axes)
    keep = [i for i in range(a.ndim) if i not in axes]
    m = np.transpose(a, keep + list(axes)).reshape(int(np.prod([a.shape[i] for i in keep])), -1)
    if m.shape[1] < 2:
        return True
    s = np.sort(m, axis=1)
    return bool(np.all(s[:, -1] - s[:, -2] > MARGIN) and np.all(s[:, 1] - s[:, 0] > MARGIN))


class Gen:
    def __init__(self, draw, rng):
        self.draw = draw
        self.rng = rng
        self.program = []
        self.vals = []          # numpy value of each program entry (python-engine forward)
        self.py = AgBackend("python")
        self.tensors = []

    def add_leaf(self, shape, positive=False):
        data = self.rng.uniform(0.3, 1.7, shape) if positive else self.rng.uniform(-1.5, 1.5, shape)
        if not positive:
            data = np.where(np.abs(data) < 0.05, 0.3, data)
        self.program.append(("leaf", data))
        t = self.py.leaf(data)
        self.tensors.append(t)
        self.vals.append(np.array(data))
        return len(self.program) - 1

    def pick(self, pred=lambda v: True):
        cands = [i for i, v in enumerate(self.vals) if pred(v)]
        if not cands:
            return None
        # favour recent values, but reuse anything
        return self.draw(st.sampled_from(cands[::-1]))

    def emit(self, op, idx, params):
        with np.errstate(all="ignore"):
            try:
                out = self.py.apply(op, [self.tensors[i] for i in idx], params)
            except (ValueError, TypeError, IndexError):
                return False
        v = np.asarray(out.data)
        if not np.all(np.isfinite(v)) or (v.size and np.max(np.abs(v)) > BOUND) or v.size == 0:
            return False
        self.program.append((op, tuple(idx), params))
        self.tensors.append(out)
        self.vals.append(v)
        return True

    def partner(self, i, positive=False, shape=None):
        """An operand for value i: an existing value of a compatible shape or a new leaf."""
        d = self.draw
        target = shape if shape is not None else _broadcast_partner(d, self.vals[i].shape)
        if d(st.booleans()):
            ok = [j for j, v in enumerate(self.vals)
                  if (v.shape == target if shape is not None else
                      _compatible(v.shape, self.vals[i].shape))
                  and (not positive or np.min(v) > 0.05)]
            if ok:
                return d(st.sampled_from(ok))
        return self.add_leaf(target, positive)

    def step(self, op):
        d = self.draw
        i = self.pick()
        a = self.vals[i]
        if op in UNARY:
            if op in ("log", "sqrt") and not (np.min(a) > 0.05):
                return False
            if op == "exp" and np.max(a) > 5:
                return False
            if op in ("abs", "relu") and np.min(np.abs(a)) <= MARGIN:
                return False
            return self.emit(op, [i], {})
        if op in BINARY:
            scalar = d(st.booleans()) and d(st.booleans())
            swap = d(st.booleans())
            if scalar:
                c = float(d(st.sampled_from([0.5, 2.0, -1.5, 3.0])))
                if op == "pow":
                    if swap:
                        c = abs(c)  # c ** a
                    elif np.min(a) <= 0.1:
                        return False
                if op == "div":
                    if swap and np.min(np.abs(a)) <= 0.1:
                        return False
                if op in ("maximum", "minimum") and np.min(np.abs(a - c)) <= MARGIN:
                    return False
                return self.emit(op, [i], {"c": c, "swap": swap})
            j = self.partner(i, positive=(op == "pow" and not swap))
            b = self.vals[j]
            base, expo, den = (b, a, a) if swap else (a, b, b)
            if op == "pow" and (np.min(base) <= 0.1 or np.max(np.abs(expo)) > 3):
                return False
            if op == "div" and np.min(np.abs(den)) <= 0.1:
                return False
            if op in ("maximum", "minimum"):
                try:
                    if np.min(np.abs(np.subtract(a, b))) <= MARGIN:
                        return False
                except ValueError:
                    return False
            return self.emit(op, [i, j], {"swap": swap})
        if op in REDUCE:
            axis = None
            if a.ndim and d(st.booleans()):
                axes = d(st.lists(st.integers(-a.ndim, a.ndim - 1), min_size=1, max_size=a.ndim,
                                  unique_by=lambda x: x % a.ndim))
                axis = axes[0] if len(axes) == 1 else tuple(axes)
            keepdims = d(st.booleans())
            if op in ("amax", "amin") and not _no_ties(a, axis):
                return False
            return self.emit(op, [i], {"axis": axis, "keepdims": keepdims})
        if op == "where":
            j = self.partner(i)
            shape = np.broadcast_shapes(a.shape, self.vals[j].shape)
            cond = self.rng.random(shape) < 0.5
            return self.emit(op, [i, j], {"cond": cond.tolist()})
        if op == "clamp":
            lo, hi = sorted(self.rng.uniform(-1.2, 1.2, 2))
            if d(st.booleans()):
                lo = None
            elif d(st.booleans()):
                hi = None
            for bnd in (lo, hi):
                if bnd is not None and np.min(np.abs(a - bnd)) <= MARGIN:
                    return False
            return self.emit(op, [i], {"lo": lo, "hi": hi})
        if op in ("softmax", "log_softmax"):
            if a.ndim == 0:
                return False
            return self.emit(op, [i], {"axis": d(st.integers(-a.ndim, a.ndim - 1))})
        if op == "matmul":
            if a.ndim == 0:
                return False
            k = a.shape[-1]
            if a.ndim == 1:
                bshape = d(st.sampled_from([(k,), (k, 2), (2, k, 3)]))
            else:
                bshape = d(st.sampled_from([(k,), (k, 2), (k, 1)] +
                                           ([(a.shape[0], k, 2)] if a.ndim == 3 else [])))
            j = self.partner(i, shape=bshape)
            if d(st.booleans()):   # swap operands sometimes: b @ a needs b's last == a's first
                pass
            return self.emit(op, [i, j], {})
        if op == "reshape":
            n = a.size
            shapes = [(n,), (-1,), (1, n), (n, 1), a.shape[::-1], (-1, 1) + (1,) * 0]
            if n == 1:
                shapes.append(())
            return self.emit(op, [i], {"shape": tuple(d(st.sampled_from(shapes)))})
        if op == "permute":
            if d(st.booleans()):
                return self.emit(op, [i], {"axes": None})
            perm = d(st.permutations(list(range(a.ndim))))
            return self.emit(op, [i], {"axes": tuple(perm)})
        if op == "broadcast_to":
            shape = tuple(s if s != 1 else d(st.integers(1, 3)) for s in a.shape)
            if len(shape) < 3 and d(st.booleans()):
                shape = (d(st.integers(1, 3)),) + shape
            return self.emit(op, [i], {"shape": shape})
        if op == "getitem":
            if a.ndim == 0:
                return False
            n0 = a.shape[0]
            kinds = ["int", "slice", "flip", "take", "mask"] + (["col"] if a.ndim >= 2 else [])
            kind = d(st.sampled_from(kinds))
            if kind == "int":
                payload = d(st.integers(-n0, n0 - 1))
            elif kind == "slice":
                start = d(st.integers(0, n0 - 1))
                payload = (start, n0, d(st.integers(1, 2)))
            elif kind == "flip":
                payload = None
            elif kind == "take":
                payload = d(st.lists(st.integers(0, n0 - 1), min_size=1, max_size=4))
            elif kind == "col":
                payload = d(st.integers(0, a.shape[1] - 1))
            else:
                m = self.rng.random(a.shape) < 0.6
                if not m.any():
                    m.flat[0] = True
                payload = m.tolist()
            return self.emit(op, [i], {"index": (kind, payload)})
        if op in ("cat", "stack"):
            if op == "cat" and a.ndim == 0:
                return False
            axis = d(st.integers(-a.ndim, a.ndim - 1)) if op == "cat" else \
                d(st.integers(-a.ndim - 1, a.ndim))
            parts = [i]
            for _ in range(d(st.integers(1, 2))):
                if op == "stack" or d(st.booleans()):
                    shape = a.shape
                else:
                    shape = list(a.shape)
                    shape[axis] = d(st.integers(1, 3))
                    shape = tuple(shape)
                parts.append(self.partner(i, shape=shape))
            return self.emit(op, parts, {"axis": axis})
        raise AssertionError(op)


def _compatible(s1, s2):
    try:
        np.broadcast_shapes(s1, s2)
        return True
    except ValueError:
        return False


def build_program(data, seed, n_ops):
    rng = np.random.default_rng(seed)
    g = Gen(data.draw, rng)
    for _ in range(data.draw(st.integers(1, 2))):
        g.add_leaf(_shapes(data.draw))
    emitted = []
    attempts = 0
    while len(emitted) < n_ops and attempts < 4 * n_ops:
        attempts += 1
        op = data.draw(st.sampled_from(FUZZ_OPS))
        if g.step(op):
            emitted.append(op)
    return g.program, emitted, g


# --------------------------------------------------------------------------
# the property
# --------------------------------------------------------------------------

STATS = {"examples": 0, "ops": 0, "covered": set(), "torch_checked": 0}


def check_program(program, seed):
    out_idx = sinks(program)
    if not out_idx:
        return
    wrng = np.random.default_rng(seed + 1)
    results = {}
    for name in ("c", "python"):
        be = AgBackend(name)
        with engines.use_engine(name), np.errstate(all="ignore"):
            leaves, values = replay(program, be)
            weights = [wrng.standard_normal(values[k].shape) for k in out_idx] \
                if name == "c" else results["c"][2]
            loss = be.loss([values[k] for k in out_idx], weights)
            grads = be.grads(loss, leaves)
        results[name] = ([be.numpy(v) for v in values], grads, weights, loss.item())
    (vc, gc_, weights, lc), (vp, gp, _, lp) = results["c"], results["python"]  # noqa: F841
    for k, (x, y) in enumerate(zip(vc, vp)):
        np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-12, err_msg=f"forward value {k}")
        assert x.shape == y.shape and x.dtype == y.dtype
    for k, (x, y) in enumerate(zip(gc_, gp)):
        np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-12, err_msg=f"engines: grad {k}")
    if HAVE_TORCH:
        tb = TorchBackend()
        leaves, values = replay(program, tb)
        loss = tb.loss([values[k] for k in out_idx], weights)
        np.testing.assert_allclose(loss.item(), lc, rtol=1e-10, atol=1e-10)
        gt = tb.grads(loss, leaves)
        for k, (x, y) in enumerate(zip(gc_, gt)):
            np.testing.assert_allclose(x, y, rtol=1e-10, atol=1e-10, err_msg=f"torch: grad {k}")
        STATS["torch_checked"] += 1
    # gradcheck on each engine, every leaf
    for name in ("c", "python"):
        be = AgBackend(name)
        with engines.use_engine(name), np.errstate(all="ignore"):
            leaves, _ = replay(program, be)

            def fn(*xs):
                _, values = replay(program, be, leaves=list(xs))
                return be.loss([values[k] for k in out_idx], weights)

            ag.gradcheck(fn, leaves, eps=1e-6, atol=1e-5, rtol=1e-4)


def _describe(program):
    lines = []
    for k, ins in enumerate(program):
        if ins[0] == "leaf":
            lines.append(f"  v{k} = leaf{np.shape(ins[1])}")
        else:
            p = {a: b for a, b in ins[2].items() if a not in ("cond",)}
            if "index" in p and p["index"][0] == "mask":
                p["index"] = ("mask", "...")
            lines.append(f"  v{k} = {ins[0]}({', '.join(f'v{i}' for i in ins[1])}; {p})")
    return "\n".join(lines)


def test_fuzzer_covers_every_registered_op():
    from test_op_table import ALL
    table = {name for case in ALL.values() for name in case[3]}
    missing = sorted(set(ops.REGISTRY) - set(FUZZ_OPS) - table)
    assert not missing, f"ops in REGISTRY the fuzzer never draws: {missing}; add them to test_fuzz.py"


def test_random_graphs(request, both_engines):
    n = request.config.getoption("--fuzz-examples") or 60

    @settings(max_examples=n, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck), print_blob=True)
    @given(data=st.data(), seed=st.integers(0, 2**32 - 1), n_ops=st.integers(1, MAX_OPS))
    def prop(data, seed, n_ops):
        program, emitted, _ = build_program(data, seed, n_ops)
        hypothesis.note(f"seed={seed}\nprogram:\n{_describe(program)}")
        check_program(program, seed)
        STATS["examples"] += 1
        STATS["ops"] += len(emitted)
        STATS["covered"].update(emitted)

    prop()
    print(f"\n[fuzz] {STATS['examples']} examples, {STATS['ops']} ops, "
          f"{len(STATS['covered'])}/{len(FUZZ_OPS)} op kinds, "
          f"{STATS['torch_checked']} cross-checked with torch")
    if n >= 60:
        assert STATS["covered"] >= set(FUZZ_OPS), sorted(set(FUZZ_OPS) - STATS["covered"])

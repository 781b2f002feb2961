"""A Hypothesis state machine (issue 11): forward ops, in-place edits on
tensors in the graph and on leaves under no_grad, views, detach,
retain_graph, hooks and optimizer-style updates, interleaved at random, on
both engines and on torch side by side; after every backward the gradients,
values and errors must agree.

CI runs a short sequence count; ``--fuzz-examples N`` runs more."""
import numpy as np
import pytest

import autograd_c as ag

torch = pytest.importorskip("torch")
hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule  # noqa: E402

N = 4
LIBS = ("c", "python", "torch")


def _mk(lib, arr, rg=False):
    if lib == "torch":
        return torch.tensor(arr, dtype=torch.float64, requires_grad=rg)
    with ag.use_engine(lib):
        return ag.tensor(np.array(arr, dtype=np.float64), requires_grad=rg)


def _np(t):
    if t is None:
        return None
    return t.detach().numpy() if isinstance(t, torch.Tensor) else t.detach().data


class Graphs(RuleBasedStateMachine):
    """Each slot holds the same tensor in the three libraries."""

    @initialize(data=st.lists(st.floats(-2, 2), min_size=N, max_size=N))
    def start(self, data):
        self.leaves = [{lib: _mk(lib, data, True) for lib in LIBS}]
        self.vals = list(self.leaves)
        self.hooked = 0

    def _pick(self, i):
        return self.vals[i % len(self.vals)]

    def _same(self, fn):
        """Apply fn to each library; all raise or none does."""
        out, errs = {}, {}
        for lib in LIBS:
            try:
                out[lib] = fn(lib)
            except (RuntimeError, ValueError, TypeError, IndexError) as e:
                errs[lib] = e
        assert not errs or len(errs) == len(LIBS), f"only some raised: {errs}"
        return None if errs else out

    @rule(i=st.integers(0, 50), op=st.sampled_from(["tanh", "sin", "exp_small", "relu", "neg"]))
    def unary(self, i, op):
        x = self._pick(i)
        f = {"tanh": lambda t: t.tanh(), "sin": lambda t: t.sin(), "neg": lambda t: -t,
             "exp_small": lambda t: (t * 0.3).exp(), "relu": lambda t: t.relu() + t * 0.1}[op]
        out = self._same(lambda lib: f(x[lib]))
        if out:
            self.vals.append(out)

    @rule(i=st.integers(0, 50), j=st.integers(0, 50),
          op=st.sampled_from(["add", "mul", "sub", "maximum"]))
    def binary(self, i, j, op):
        a, b = self._pick(i), self._pick(j)
        f = {"add": lambda p, q: p + q, "mul": lambda p, q: p * q, "sub": lambda p, q: p - q,
             "maximum": lambda p, q: (torch if isinstance(p, torch.Tensor) else ag).maximum(p, q)}
        out = self._same(lambda lib: f[op](a[lib], b[lib]))
        if out:
            self.vals.append(out)

    @rule(i=st.integers(0, 50), j=st.integers(0, 50), op=st.sampled_from(["add_", "mul_"]))
    def inplace(self, i, j, op):
        a, b = self._pick(i), self._pick(j)
        self._same(lambda lib: getattr(a[lib], op)(b[lib] * 0.5))

    @rule(i=st.integers(0, 50), j=st.integers(0, 50))
    def setitem(self, i, j):
        a, b = self._pick(i), self._pick(j)

        def f(lib):
            a[lib][1:3] = b[lib][0:2] * 2
        self._same(f)

    @rule(i=st.integers(0, 50), j=st.integers(0, 50), op=st.sampled_from(["add_", "mul_"]))
    def view_inplace(self, i, j, op):
        """In-place on a view: reaches the base's history (torch's CopySlices);
        on a view of a leaf that requires grad, everybody raises."""
        a, b = self._pick(i), self._pick(j)
        self._same(lambda lib: getattr(a[lib][1:3], op)(b[lib][0:2] * 0.5))

    @rule(i=st.integers(0, 50))
    def view(self, i):
        x = self._pick(i)
        out = self._same(lambda lib: x[lib][1:] * 1)
        if out:
            self.vals.append(self._same(lambda lib: (out[lib].sum() + x[lib]) * 1) or out)

    @rule(i=st.integers(0, 50))
    def detach(self, i):
        x = self._pick(i)
        self.vals.append({lib: x[lib].detach() * 1 for lib in LIBS})

    @rule(i=st.integers(0, 50))
    def leaf_update_no_grad(self, i):
        leaf = self.leaves[i % len(self.leaves)]
        for lib in LIBS:
            if lib == "torch":
                with torch.no_grad():
                    leaf[lib] -= 0.1
            else:
                with ag.no_grad():
                    leaf[lib] -= 0.1

    @precondition(lambda self: self.hooked < 2)
    @rule(i=st.integers(0, 50))
    def hook(self, i):
        x = self._pick(i)
        if not all(x[lib].requires_grad for lib in LIBS):
            return
        self.hooked += 1
        for lib in LIBS:
            x[lib].register_hook(lambda g: g * 2)

    @rule(i=st.integers(0, 50), retain=st.booleans())
    def backward(self, i, retain):
        x = self._pick(i)
        if not all(x[lib].requires_grad for lib in LIBS):
            return
        done = self._same(lambda lib: (x[lib] * x[lib]).sum().backward(retain_graph=retain))
        if done is None and not retain:
            # A pass that raises has freed the nodes it ran before the error,
            # and which ones those are depends on the scheduling order, which
            # is ours, not torch's, node for node. From here the graphs may
            # differ by design, so the machine goes on from detached values.
            self.vals = list(self.leaves) + [
                {lib: v[lib].detach() * 1 for lib in LIBS} for v in self.vals if all(v is not leaf for leaf in self.leaves)]
        for leaf in self.leaves:
            grads = [_np(leaf[lib].grad) for lib in LIBS]
            if any(g is None for g in grads):
                assert all(g is None for g in grads), grads
                continue
            for g in grads[:2]:
                np.testing.assert_allclose(g, grads[2], rtol=1e-9, atol=1e-9)

    @invariant()
    def values_agree(self):
        if not hasattr(self, "vals"):
            return
        for v in self.vals[-3:]:
            ref = _np(v["torch"])
            for lib in ("c", "python"):
                np.testing.assert_allclose(_np(v[lib]), ref, rtol=1e-9, atol=1e-9)


def test_state_machine(request):
    n = request.config.getoption("--fuzz-examples") or 40
    from hypothesis.stateful import run_state_machine_as_test
    run_state_machine_as_test(Graphs, settings=settings(
        max_examples=n, stateful_step_count=25, deadline=None, derandomize=True, database=None,
        suppress_health_check=list(HealthCheck)))

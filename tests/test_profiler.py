"""autograd_c.profiler: exact per-op counts on known graphs, on both engines."""
import threading

import numpy as np
import pytest

import autograd_c as ag
from autograd_c.grad_mode import state


def _mlp_step(rng, n_layers=3, batch=8, width=5):
    x = ag.Tensor(rng.standard_normal((batch, width)))
    y = ag.Tensor(rng.standard_normal((batch, width)))
    Ws = [ag.Tensor(rng.standard_normal((width, width)) * 0.3, requires_grad=True)
          for _ in range(n_layers)]
    bs = [ag.Tensor(np.zeros(width), requires_grad=True) for _ in range(n_layers)]
    h = x
    for i, (W, b) in enumerate(zip(Ws, bs)):
        h = h @ W + b
        if i < n_layers - 1:
            h = ag.tanh(h)
    d = h - y
    loss = (d * d).sum()
    loss.backward()
    with ag.no_grad():
        for p in Ws + bs:
            p -= 0.01 * p.grad        # forward-only ops: mul under no_grad
            p.grad = None
    return loss


@pytest.mark.parametrize("n_layers", [1, 3])
def test_mlp_step_counts_are_exact(engine, rng, n_layers):
    with ag.profiler() as prof:
        _mlp_step(rng, n_layers=n_layers)
    s = prof.stats
    n = n_layers
    assert s["matmul"]["forward_count"] == n and s["matmul"]["backward_count"] == n
    # n bias adds recorded; the update's mul runs forward only (no_grad)
    assert s["add"]["forward_count"] == n and s["add"]["backward_count"] == n
    if n > 1:
        assert s["tanh"]["forward_count"] == n - 1 == s["tanh"]["backward_count"]
    assert s["sub"]["forward_count"] == 1 and s["sub"]["backward_count"] == 1
    assert s["mul"]["forward_count"] == 1 + 2 * n   # d*d, then lr*grad per parameter
    assert s["mul"]["backward_count"] == 1
    assert s["sum"]["forward_count"] == 1 and s["sum"]["backward_count"] == 1
    expected_ops = {"matmul", "add", "sub", "mul", "sum"} | ({"tanh"} if n > 1 else set())
    assert set(s) == expected_ops
    for row in s.values():
        assert row["forward_time"] >= 0 and row["backward_time"] >= 0
        assert row["total_time"] == pytest.approx(row["forward_time"] + row["backward_time"])
    assert prof.total_time == pytest.approx(sum(r["total_time"] for r in s.values()))
    assert prof.wall_time >= prof.total_time > 0


def test_unrecorded_ops_count_forward_only(engine):
    a = ag.Tensor([1.0, 2.0])            # does not require grad: no node, no backward
    with ag.profiler() as prof:
        b = a * 2 + 1
        c = ag.exp(b)
    assert c.grad_fn is None
    assert prof.stats["mul"]["forward_count"] == 1 and prof.stats["mul"]["backward_count"] == 0
    assert prof.stats["add"]["forward_count"] == 1
    assert prof.stats["exp"]["forward_count"] == 1 and prof.stats["exp"]["backward_count"] == 0


def test_backward_counts_nodes_run_not_ops_applied(engine):
    # a chain of 7 muls on a leaf: 7 forwards, 7 backward runs (+1 sum each way)
    x = ag.Tensor(np.ones(4), requires_grad=True)
    with ag.profiler() as prof:
        h = x
        for _ in range(7):
            h = h * 1.5
        h.sum().backward()
    assert prof.stats["mul"] == pytest.approx(
        {"forward_count": 7, "backward_count": 7, "forward_time": prof.stats["mul"]["forward_time"],
         "backward_time": prof.stats["mul"]["backward_time"],
         "total_time": prof.stats["mul"]["total_time"]})
    np.testing.assert_allclose(x.grad.numpy(), np.full(4, 1.5 ** 7))


def test_nothing_recorded_outside_block(engine):
    x = ag.Tensor(np.ones(3), requires_grad=True)
    prof = ag.profiler()
    y = (x * 2).sum()                     # before: not seen
    with prof:
        z = (x * 3).sum()
    assert state.profiler is None
    y.backward()                          # after: not seen, forward or backward
    z.backward()
    w = x + 1
    assert prof.stats["mul"]["forward_count"] == 1
    assert prof.stats["mul"]["backward_count"] == 0
    assert prof.stats["sum"]["backward_count"] == 0
    assert "add" not in prof.stats
    np.testing.assert_allclose(x.grad.numpy(), np.full(3, 5.0))
    assert w.shape == (3,)


def test_backward_inside_block_of_graph_built_outside(engine):
    x = ag.Tensor(np.ones(3), requires_grad=True)
    y = ag.tanh(x * 2).sum()
    with ag.profiler() as prof:
        y.backward()
    assert {op: r["forward_count"] for op, r in prof.stats.items()} == \
        {"mul": 0, "tanh": 0, "sum": 0}
    assert {op: r["backward_count"] for op, r in prof.stats.items()} == \
        {"mul": 1, "tanh": 1, "sum": 1}


def test_nested_profilers_restore_state_and_outer_sees_inner(engine):
    x = ag.Tensor(np.ones(3), requires_grad=True)
    assert state.profiler is None
    with ag.profiler() as outer:
        x * 1.0
        with ag.profiler() as inner:
            assert state.profiler is inner
            x + 1.0
            (x * 2.0).sum().backward()
        assert state.profiler is outer
        x - 1.0
    assert state.profiler is None
    assert set(inner.stats) == {"add", "mul", "sum"}
    assert inner.stats["mul"]["forward_count"] == 1
    assert inner.stats["mul"]["backward_count"] == 1
    assert outer.stats["mul"]["forward_count"] == 2
    assert outer.stats["mul"]["backward_count"] == 1
    assert outer.stats["add"]["forward_count"] == 1
    assert outer.stats["sub"]["forward_count"] == 1
    assert "sub" not in inner.stats


def test_state_restored_when_block_raises(engine):
    with pytest.raises(ValueError):
        with ag.profiler():
            ag.Tensor(np.ones(3)) + ag.Tensor(np.ones(4))
    assert state.profiler is None


def test_profiler_is_thread_local(engine):
    x = ag.Tensor(np.ones(3), requires_grad=True)
    mod = engine
    seen = []

    def work():
        seen.append(state.profiler)
        t = mod.Tensor(np.ones(3))
        t * 2.0

    with ag.profiler() as prof:
        th = threading.Thread(target=work)
        th.start()
        th.join()
        x * 3.0
    assert seen == [None]
    assert prof.stats["mul"]["forward_count"] == 1


def test_table_sorted_with_all_columns(engine, rng):
    with ag.profiler() as prof:
        _mlp_step(rng, n_layers=2)
    text = prof.table()
    lines = text.splitlines()
    header = lines[0].split()
    for col in ("op", "fwd", "count", "total", "ms", "bwd", "%"):
        assert col in header
    body = lines[2:2 + len(prof.stats)]
    names = [ln.split()[0] for ln in body]
    assert set(names) == set(prof.stats)
    totals = [float(ln.split()[5]) for ln in body]
    assert totals == sorted(totals, reverse=True)
    assert "TOTAL" in text
    assert float(lines[2 + len(prof.stats) + 1].split()[-1]) == 100.0


def test_reentering_same_profiler_is_an_error(engine):
    prof = ag.profiler()
    with prof:
        with pytest.raises(RuntimeError):
            prof.__enter__()
    assert state.profiler is None


def test_record_rejects_unknown_phase():
    with pytest.raises(ValueError):
        ag.profiler().record("mul", "sideways", 0.1)

"""Threads: independent forward/backward passes in 4 threads give exactly the
gradients one thread gives; grad mode is per thread; on both engines."""
import sys
import threading

import numpy as np
import pytest

import autograd_c as ag

N_THREADS = 4
N_PASSES = 200
SHARED_PASSES = 1000


@pytest.fixture
def fast_switching():
    """Make the interpreter switch threads very often, so races show up."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(old)


def one_pass(tid, k):
    """A small graph with fan-out, reductions, views and a saved output."""
    rng = np.random.default_rng(1000 * tid + k)
    x = ag.Tensor(rng.standard_normal((5, 4)), requires_grad=True)
    w = ag.Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    b = ag.Tensor(rng.standard_normal(3), requires_grad=True)
    h = ag.tanh(x @ w + b)
    p = ag.softmax(h * 2.0, axis=1)
    loss = (p * h).sum() + (h.T @ h).mean() + ag.sigmoid(x[1:, ::2]).sum()
    loss.backward()
    return loss.item(), x.grad.data.copy(), w.grad.data.copy(), b.grad.data.copy()


def run_worker(tid, out, errors, barrier):
    try:
        barrier.wait()
        out[tid] = [one_pass(tid, k) for k in range(N_PASSES)]
    except BaseException as e:  # pragma: no cover - reported by the test
        errors.append(e)


def test_threads_match_single_thread_exactly(engine, fast_switching):
    # reference: the same passes, one thread
    ref = {tid: [one_pass(tid, k) for k in range(N_PASSES)] for tid in range(N_THREADS)}
    out, errors = {}, []
    barrier = threading.Barrier(N_THREADS)
    threads = [threading.Thread(target=run_worker, args=(tid, out, errors, barrier))
               for tid in range(N_THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sorted(out) == list(range(N_THREADS))
    for tid in range(N_THREADS):
        assert len(out[tid]) == N_PASSES
        for k, (got, want) in enumerate(zip(out[tid], ref[tid])):
            assert got[0] == want[0], (tid, k)
            for g, r in zip(got[1:], want[1:]):
                np.testing.assert_array_equal(g, r, err_msg=f"thread {tid}, pass {k}")


def test_no_grad_is_per_thread(engine, fast_switching):
    """One thread inside no_grad() must not stop another from recording."""
    results = {}
    inside = threading.Event()
    done = threading.Event()

    def silent():
        with ag.no_grad():
            inside.set()
            y = ag.Tensor([1.0], requires_grad=True) * 2
            results["silent"] = y.requires_grad
            done.wait(5)

    def recorder():
        inside.wait(5)
        x = ag.Tensor([1.0, 2.0], requires_grad=True)
        (x * x).sum().backward()
        results["recorder"] = x.grad.data.tolist()
        done.set()

    ts = [threading.Thread(target=silent), threading.Thread(target=recorder)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert results == {"silent": False, "recorder": [2.0, 4.0]}
    assert ag.is_grad_enabled()


def test_concurrent_backward_into_shared_leaf(engine, fast_switching, request):
    """PyTorch accumulates concurrent backward passes into a shared leaf safely;
    with integer-valued gradients the total is exact whatever the order."""
    w = ag.Tensor(np.ones((3, 3)), requires_grad=True)
    barrier = threading.Barrier(N_THREADS)
    errors = []

    def work():
        try:
            barrier.wait()
            for _ in range(SHARED_PASSES):
                (w * 2.0).sum().backward()
        except BaseException as e:  # pragma: no cover
            errors.append(e)

    ts = [threading.Thread(target=work) for _ in range(N_THREADS)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors
    np.testing.assert_array_equal(w.grad.data, np.full((3, 3), 2.0 * N_THREADS * SHARED_PASSES))

"""Tensor.register_post_accumulate_grad_hook on both engines, against torch."""
import gc

import numpy as np
import pytest

import autograd_c as ag
from autograd_c import hooks
from conftest import needs_torch


def _scenario(lib, tensor):
    """The same program on autograd_c (lib=ag) or torch; returns the events."""
    x = tensor([1.0, 2.0], requires_grad=True)
    w = tensor([3.0], requires_grad=True)
    seen = []
    h1 = x.register_post_accumulate_grad_hook(lambda t: seen.append(("x1", np.array(t.grad.tolist()))))
    x.register_post_accumulate_grad_hook(lambda t: seen.append(("x2", np.array(t.grad.tolist()))))
    w.register_post_accumulate_grad_hook(lambda t: seen.append(("w", np.array(t.grad.tolist()))))
    (x * w).sum().backward()
    (x * 2).sum().backward()            # w gets no gradient: its hook does not run
    h1.remove()
    h1.remove()                         # idempotent
    x.backward(lib.ones(2))             # backward on the leaf itself
    return seen


def test_post_accumulate_grad_hook_events(engine):
    seen = _scenario(ag, ag.tensor)
    assert [k for k, _ in seen] == ["x1", "x2", "w", "x1", "x2", "x2"]
    np.testing.assert_array_equal(seen[0][1], [3.0, 3.0])     # sees the updated .grad
    np.testing.assert_array_equal(seen[2][1], [3.0])
    np.testing.assert_array_equal(seen[3][1], [5.0, 5.0])     # accumulated
    np.testing.assert_array_equal(seen[5][1], [6.0, 6.0])


@needs_torch
def test_post_accumulate_grad_hook_matches_torch(engine):
    import torch
    ours = _scenario(ag, ag.tensor)
    theirs = _scenario(torch, torch.tensor)
    assert sorted(k for k, _ in ours) == sorted(k for k, _ in theirs)
    # same grads seen by each hook, in each tensor's own order
    for name in ("x1", "x2", "w"):
        a = [v for k, v in ours if k == name]
        b = [v for k, v in theirs if k == name]
        assert len(a) == len(b)
        for u, v in zip(a, b):
            np.testing.assert_array_equal(u, v)


def test_hook_errors(engine):
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        (x * 2).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(RuntimeError, match="does not require grad"):
        ag.zeros(2).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(TypeError, match="callable"):
        x.register_post_accumulate_grad_hook(3)
    h = x.register_post_accumulate_grad_hook(lambda t: 5)
    with pytest.raises(TypeError, match="must return None"):
        (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])   # grad was committed first
    h.remove()


def test_hook_raising_propagates_after_all_commits(engine):
    a = ag.tensor([1.0], requires_grad=True)
    b = ag.tensor([2.0], requires_grad=True)

    def boom(t):
        raise ValueError("hook failed")
    with a.register_post_accumulate_grad_hook(boom), \
            b.register_post_accumulate_grad_hook(boom):
        with pytest.raises(ValueError, match="hook failed"):
            (a * b).sum().backward()
    assert a.grad.item() == 2.0 and b.grad.item() == 1.0     # both committed
    assert hooks.active[0] == 0                               # context manager removed them


def test_hooks_do_not_keep_tensor_alive(engine):
    before = hooks.active[0]
    x = ag.tensor([1.0], requires_grad=True)
    x.register_post_accumulate_grad_hook(lambda t: None)
    assert hooks.active[0] == before + 1
    del x
    gc.collect()
    assert hooks.active[0] == before
    assert not hooks._post.live


def test_hook_sees_parameters_of_a_module(engine):
    lin = ag.nn.Linear(3, 2)
    order = []
    for name, p in lin.named_parameters():
        p.register_post_accumulate_grad_hook(lambda t, n=name: order.append(n))
    lin(ag.ones((4, 3))).sum().backward()
    assert sorted(order) == ["bias", "weight"]


def test_hook_in_threads(engine):
    import threading
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    counts = []
    lock = threading.Lock()

    def hook(t):
        with lock:
            counts.append(1)
    h = x.register_post_accumulate_grad_hook(hook)

    def work():
        y = ag.tensor([1.0], requires_grad=True)   # no hook: must not be reported
        for _ in range(50):
            (x * y).sum().backward()
    ts = [threading.Thread(target=work) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    h.remove()
    assert len(counts) == 200
    np.testing.assert_array_equal(x.grad.data, [200.0, 200.0])

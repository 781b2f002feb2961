"""Graph recording, the backward scheduler and gradient accumulation, on both engines."""
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import autograd_c as ag
from conftest import needs_torch, require_compiled


def test_engine_names():
    assert ag.engine in ("c", "python")
    assert ag.get_engine().name == ag.engine


@pytest.mark.parametrize("name", ["c", "python"])
def test_env_var_selects_engine(name):
    if name == "c" and "c" not in ag.engines.available:
        require_compiled()
    env = dict(os.environ, AUTOGRAD_C_ENGINE=name)
    out = subprocess.run([sys.executable, "-c", "import autograd_c; print(autograd_c.engine)"],
                         env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == name
    assert "Warning" not in out.stderr


def test_default_engine_is_compiled_when_available():
    env = {k: v for k, v in os.environ.items() if k != "AUTOGRAD_C_ENGINE"}
    out = subprocess.run([sys.executable, "-c", "import autograd_c; print(autograd_c.engine)"],
                         env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ("c" if "c" in ag.engines.available else "python")


def test_tensor_basics(engine):
    t = ag.Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True)
    assert isinstance(t, ag.Tensor) and isinstance(t, engine.Tensor)
    assert t.shape == (2, 2) and t.ndim == 2 and t.dtype == np.float64
    assert t.is_leaf and t.requires_grad and t.grad is None
    # numpy() / np.asarray refuse a tensor that requires grad (as PyTorch);
    # detached, they share its memory
    assert isinstance(t.data, np.ndarray) and t.detach().numpy() is t.data
    np.testing.assert_array_equal(np.asarray(t.detach()), t.data)
    assert ag.tensor(3.5).item() == 3.5
    d = (t * 2).detach()
    assert d.is_leaf and not d.requires_grad
    y = t * 2
    assert not y.is_leaf and y.requires_grad and y.grad_fn is not None


def test_tensor_copies_its_data(engine):
    a = np.ones(3)
    t = ag.tensor(a)
    a[0] = 5
    assert t.data[0] == 1


def test_reflected_ops_with_ndarray_and_scalars(engine):
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    for y in (np.array([3.0, 4.0]) + x, np.array([3.0, 4.0]) * x, 2 - x, 1 / x, 2 ** x,
              np.eye(2) @ x, x.sum() * np.ones(2)):
        assert isinstance(y, ag.Tensor) and y.requires_grad
    z = np.array([3.0, 4.0]) - x
    z.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [-1.0, -1.0])


def test_requires_grad_iff_an_input_does(engine):
    a = ag.tensor([1.0, 2.0])
    b = ag.tensor([1.0, 2.0], requires_grad=True)
    assert not (a * a).requires_grad and (a * a).grad_fn is None
    assert (a * b).requires_grad


@pytest.mark.parametrize("data", [[1, 2], [True, False], np.array([1, 2], dtype=np.int32),
                                  np.array([object()], dtype=object), "abc"])
def test_requires_grad_on_non_float_raises(engine, data):
    with pytest.raises(TypeError):
        ag.tensor(data, requires_grad=True)


def test_integer_tensors_without_grad_are_fine(engine):
    t = ag.tensor([1, 2, 3])
    assert t.dtype.kind == "i"
    assert (t * 2).data.tolist() == [2, 4, 6]


def test_tensor_used_several_times(engine):
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * x + x * 3.0 + x
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, 2 * x.data + 4.0)


def test_diamond_graph(engine):
    x = ag.tensor(2.0, requires_grad=True)
    a = x * 3.0
    b = a.exp()
    c = a * a
    y = b + c
    y.backward()
    np.testing.assert_allclose(x.grad.data, 3 * np.exp(6.0) + 2 * 6.0 * 3)


def test_consumer_off_the_output_path_does_not_block_gradient(engine):
    # the seed framework's bug: x also feeds z, which is never backpropagated;
    # x must still receive its gradient from y
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2.0
    z = h * 5.0  # unrelated consumer of h  # noqa: F841
    y = (h * h).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.data, 8 * x.data)


def test_accumulates_over_two_backward_calls_and_resets(engine):
    x = ag.tensor([1.0, -2.0], requires_grad=True)
    (x * 3.0).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.data, 3.0 + 2 * x.data)
    x.grad = None
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad.data, [3.0, 3.0])


def test_second_backward_raises_and_retain_graph_allows_it(engine):
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()
    np.testing.assert_allclose(x.grad.data, 2 * x.data)  # unchanged by the failed call
    x.grad = None
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.data, 2 * (np.exp(x.data) * (1 + x.data)))


def test_backward_of_freed_shared_subgraph_raises_before_touching_grads(engine):
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    h = x.tanh()
    y1 = (h * 2.0).sum()
    y2 = (h * 3.0).sum()
    y1.backward()
    g = x.grad.data.copy()
    with pytest.raises(RuntimeError, match="second time"):
        y2.backward()
    np.testing.assert_array_equal(x.grad.data, g)


def test_non_scalar_backward(engine):
    x = ag.tensor([1.0, 2.0, 3.0], dtype=np.float64, requires_grad=True)
    y = x * 2.0
    with pytest.raises(RuntimeError, match="scalar"):
        y.backward()
    y.backward(np.array([1.0, 0.0, -1.0]))
    np.testing.assert_allclose(x.grad.data, [2.0, 0.0, -2.0])


def test_backward_on_leaf(engine):
    x = ag.tensor(3.0, requires_grad=True)
    x.backward()
    assert x.grad.item() == 1.0


def test_backward_without_requires_grad_raises(engine):
    with pytest.raises(RuntimeError, match="does not require grad"):
        (ag.tensor([1.0]) * 2).sum().backward()


def test_no_grad_context_and_decorator(engine):
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    with ag.no_grad():
        y = x * 2
        assert not ag.is_grad_enabled()
        with ag.enable_grad():
            assert (x * 2).requires_grad
    assert ag.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None

    @ag.no_grad()
    def f(t):
        return t * t

    assert not f(x).requires_grad
    assert (x * x).requires_grad


def test_unreached_input_gets_no_grad(engine):
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    _ = x * w
    (x * 2.0).sum().backward()
    assert w.grad is None


def test_gradient_reduces_over_broadcast_dims(engine):
    x = ag.tensor(np.ones((2, 3)), requires_grad=True)
    b = ag.tensor(np.ones((1, 3)), requires_grad=True)
    s = ag.tensor(2.0, requires_grad=True)
    ((x + b) * s).sum().backward()
    assert b.grad.shape == (1, 3) and s.grad.shape == ()
    np.testing.assert_allclose(b.grad.data, [[4.0, 4.0, 4.0]])
    np.testing.assert_allclose(s.grad.data, 12.0)


def test_float32_stays_float32(engine):
    x = ag.tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    w = ag.tensor(np.ones((3, 4), dtype=np.float32), requires_grad=True)
    y = ((x @ w).tanh() * 2.0 + 1).sum()
    assert y.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32


SEED001 = dict(
    x=[[1, 2, 3], [4, 5, 6]], y=[[1, 0], [0, 1]],
    w1=[[1, 1], [-1, 1], [-2, 2]], b1=[[0, 1]], w2=[[.2, .5], [.5, -.5]], b2=[[-1, .5]],
    w3=[[.7, -.5], [-.2, .3]], b3=[[.3, -.2]])
SEED001_L = 2.060075596202683
SEED001_GRADS = [  # as printed by seed 001
    [[6.90769472e-05, -3.63401821e-06], [1.41001896e-04, -7.26838789e-06],
     [2.12926844e-04, -1.09027576e-05]],
    [7.19249484e-05, -3.63436968e-06],
    [[0.0, 1.43982798e-04], [0.0, -6.79882637e-01]],
    [0.0, -0.67987537],
    [[0.0, 0.0], [-0.00066893, -0.00019387]],
    [-0.80019174, -2.79971239],
]


def _seed001(engine_name):
    with ag.use_engine(engine_name):
        p = {k: ag.tensor(np.array(v, dtype=float), requires_grad=k.startswith(("w", "b")))
             for k, v in SEED001.items()}
        h1 = (p["x"] @ p["w1"] + p["b1"]).sigmoid()
        h2 = (h1 @ p["w2"] + p["b2"]).relu()
        s3 = h2 @ p["w3"] + p["b3"]
        L = ((s3 - p["y"]) ** 2).sum()
        L.backward()
        return L.item(), [p[k].grad.data for k in ("w1", "b1", "w2", "b2", "w3", "b3")]


def test_seed001_network(engine):
    L, grads = _seed001(engine.name)
    assert abs(L - SEED001_L) < 1e-12
    for g, ref in zip(grads, SEED001_GRADS):
        # to the printed digits: 9 significant digits in e-notation, 8 decimals otherwise
        np.testing.assert_allclose(g.ravel(), np.ravel(ref), rtol=5e-9, atol=5e-9)


@needs_torch
def test_seed001_network_against_torch_to_1e12(engine):
    import torch
    L, grads = _seed001(engine.name)
    p = {k: torch.tensor(np.array(v, dtype=float), requires_grad=True) for k, v in SEED001.items()}
    h1 = torch.sigmoid(p["x"] @ p["w1"] + p["b1"])
    h2 = torch.relu(h1 @ p["w2"] + p["b2"])
    TL = ((h2 @ p["w3"] + p["b3"] - p["y"]) ** 2).sum()
    TL.backward()
    assert abs(L - TL.item()) < 1e-12
    for g, k in zip(grads, ("w1", "b1", "w2", "b2", "w3", "b3")):
        np.testing.assert_allclose(g, p[k].grad.numpy(), rtol=0, atol=1e-12)


def test_seed001_engines_agree(both_engines):
    (L1, g1), (L2, g2) = _seed001("c"), _seed001("python")
    assert abs(L1 - L2) < 1e-12
    for a, b in zip(g1, g2):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def test_mlp_engines_agree(both_engines):
    rng = np.random.default_rng(3)
    data = [rng.standard_normal(s) for s in [(8, 5), (5, 7), (7,), (7, 3), (8, 3)]]
    out = []
    for eng in both_engines:
        with ag.use_engine(eng.name):
            x, w1, b1, w2, y = [ag.tensor(d, requires_grad=True) for d in data]
            h = (x @ w1 + b1).tanh()
            z = ag.log_softmax(h @ w2, axis=1)
            loss = -(z * ag.softmax(y)).sum() + (h * h).mean() + ag.maximum(h, 0.1).max()
            loss.backward()
            out.append([loss.data] + [t.grad.data for t in (x, w1, b1, w2, y)])
    for a, b in zip(*out):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_deep_graph_dropped_without_backward(engine):
    # freeing a deep un-run graph must not overflow the C stack
    x = ag.tensor(np.ones(2), requires_grad=True)
    h = x
    for _ in range(200_000):
        h = h + 1.0
    del h


def test_use_engine_is_per_thread():
    """use_engine switches only the calling thread's engine (issue 10)."""
    seen = {}

    def worker():
        seen["other"] = type(ag.tensor([1.0]))._engine.name

    default = ag.get_engine().name
    other = "python" if default == "c" else "c"
    if other not in ag.engines.available:
        require_compiled()
    with ag.use_engine(other):
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        seen["here"] = (type(ag.tensor([1.0]))._engine.name, ag.engine)
    assert seen == {"other": default, "here": (other, other)}
    assert ag.engine == default


def test_grad_fn_op_is_the_public_op_on_both_engines(engine):
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    assert (x * x).grad_fn.op is ag.ops.mul
    assert (x * x).grad_fn.name == "mul"

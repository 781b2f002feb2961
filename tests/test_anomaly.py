"""Anomaly mode: a NaN/inf in a gradient raises AnomalyError naming the op and
the line of user code that created it; a non-finite loss raises at backward."""
import os
import threading
import warnings

import numpy as np
import pytest

import autograd_c as ag
from conftest import needs_torch

THIS_FILE = os.path.basename(__file__)


@pytest.fixture
def anomaly_engine(engine):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # numpy's divide-by-zero notes
        yield engine


def _snap(*ts):
    return [None if t.grad is None else t.grad.data.copy() for t in ts]


def test_anomaly_error_is_a_runtime_error():
    assert issubclass(ag.AnomalyError, RuntimeError)
    assert not ag.is_anomaly_enabled()


def test_sqrt_of_zero_names_op_and_forward_line(anomaly_engine):
    z = ag.Tensor([0.0, 1.0, 4.0], requires_grad=True)
    with ag.detect_anomaly():
        r = ag.sqrt(z).sum()  # ORIGIN-SQRT
        with pytest.raises(ag.AnomalyError) as ei:
            r.backward()
    msg = str(ei.value)
    assert "'sqrt'" in msg
    assert THIS_FILE in msg and "ORIGIN-SQRT" in msg
    assert "r = ag.sqrt(z).sum()" in msg
    assert "(3,)" in msg
    assert z.grad is None


def test_log_of_zero_behind_where_names_log(anomaly_engine):
    # the classic where() trap: the forward is finite, the log VJP gives 0/0 = nan
    x = ag.Tensor([0.0, 2.0, 3.0], requires_grad=True)
    with ag.detect_anomaly():
        lx = ag.log(x)  # ORIGIN-LOG
        y = ag.where(x.data > 0, lx, 0.0).sum()
        assert np.isfinite(y.item())
        with pytest.raises(ag.AnomalyError) as ei:
            y.backward()
    msg = str(ei.value)
    assert "'log'" in msg and "ORIGIN-LOG" in msg and THIS_FILE in msg
    assert x.grad is None


def test_pow_half_at_zero_names_pow(anomaly_engine):
    x = ag.Tensor([[0.0, 1.0], [2.0, 3.0]], requires_grad=True)
    with ag.detect_anomaly():
        y = (x ** 0.5).sum()  # ORIGIN-POW
        with pytest.raises(ag.AnomalyError) as ei:
            y.backward()
    msg = str(ei.value)
    assert "'pow'" in msg and "ORIGIN-POW" in msg and "(2, 2)" in msg


def test_division_by_zero_in_backward_names_div(anomaly_engine):
    x = ag.Tensor([1.0, 2.0], requires_grad=True)
    d = ag.Tensor([0.0, 1.0], requires_grad=True)
    with ag.detect_anomaly():
        q = x / d  # ORIGIN-DIV
        y = ag.where(np.array([False, True]), q, 0.0).sum()
        with pytest.raises(ag.AnomalyError) as ei:
            y.backward()
    assert "'div'" in str(ei.value) and "ORIGIN-DIV" in str(ei.value)
    assert x.grad is None and d.grad is None


def test_earlier_grads_untouched_after_anomaly(anomaly_engine):
    z = ag.Tensor([0.0, 1.0], requires_grad=True)
    z.grad = ag.Tensor([5.0, 6.0])
    with ag.detect_anomaly():
        y = (ag.sqrt(z) + z * 2).sum()
        with pytest.raises(ag.AnomalyError):
            y.backward()
    np.testing.assert_array_equal(z.grad.data, [5.0, 6.0])


def test_op_created_outside_anomaly_mode_is_still_checked(anomaly_engine):
    z = ag.Tensor([0.0, 1.0], requires_grad=True)
    y = ag.sqrt(z).sum()
    with ag.detect_anomaly():
        with pytest.raises(ag.AnomalyError, match="sqrt") as ei:
            y.backward()
    assert "before anomaly mode" in str(ei.value)


def test_detect_anomaly_as_decorator(anomaly_engine):
    @ag.detect_anomaly()
    def step(z):
        assert ag.is_anomaly_enabled()
        ag.sqrt(z).sum().backward()

    with pytest.raises(ag.AnomalyError, match="sqrt"):
        step(ag.Tensor([0.0], requires_grad=True))
    assert not ag.is_anomaly_enabled()


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_nonfinite_loss_raises_at_backward(engine, bad):
    x = ag.Tensor([1.0, 2.0], requires_grad=True)
    with ag.detect_anomaly():
        loss = (x * bad).sum()
        with pytest.raises(ag.AnomalyError) as ei:
            loss.backward()
    assert isinstance(ei.value, RuntimeError)
    assert "not finite" in str(ei.value) and "backward" in str(ei.value)
    assert x.grad is None


def test_without_anomaly_mode_nonfinite_grads_propagate(engine):
    z = ag.Tensor([0.0, 4.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ag.sqrt(z).sum().backward()
    assert np.isinf(z.grad.data[0]) and z.grad.data[1] == 0.25


def test_finite_graph_unaffected_by_anomaly_mode(engine):
    x = ag.Tensor([[0.5, -1.0], [2.0, 3.0]], requires_grad=True)
    with ag.detect_anomaly():
        (ag.tanh(x) * ag.exp(x)).sum().backward()
    t = np.tanh(x.data)
    np.testing.assert_allclose(x.grad.data, (1 - t * t) * np.exp(x.data) + t * np.exp(x.data))


def test_anomaly_mode_is_thread_local(engine):
    seen = []
    with ag.detect_anomaly():
        th = threading.Thread(target=lambda: seen.append(ag.is_anomaly_enabled()))
        th.start()
        th.join()
        assert ag.is_anomaly_enabled()
    assert seen == [False]


@needs_torch
def test_torch_agrees_on_nan_case(engine):
    """PyTorch's anomaly mode flags the same where/log NaN (it checks NaN only)."""
    import torch
    xt = torch.tensor([0.0, 2.0], dtype=torch.float64, requires_grad=True)
    with torch.autograd.detect_anomaly(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yt = torch.where(xt > 0, torch.log(xt), torch.zeros(2, dtype=torch.float64)).sum()
        with pytest.raises(RuntimeError, match="nan"):
            yt.backward()
    # without anomaly mode both give the same (nan) gradient
    x = ag.Tensor([0.0, 2.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ag.where(x.data > 0, ag.log(x), 0.0).sum().backward()
    xt.grad = None
    torch.where(xt > 0, torch.log(xt), torch.zeros(2, dtype=torch.float64)).sum().backward()
    np.testing.assert_array_equal(np.isnan(x.grad.data), np.isnan(xt.grad.numpy()))
    assert x.grad.data[1] == xt.grad.numpy()[1] == 0.5

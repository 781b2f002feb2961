"""examples/train_digits_cnn.py: the CNN (Conv2d, BatchNorm2d, MaxPool2d,
Dropout, Linear) built by the example's ``make_cnn`` and stepped by its
``train_step`` follows PyTorch's trajectory exactly in float64 from the same
weights, on both engines; a short training run learns; the bench's
``cnn_step`` model is the example's and its numpy floor follows torch."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

import autograd_c as ag

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "train_digits_cnn.py"


@pytest.fixture(scope="module")
def ex():
    spec = importlib.util.spec_from_file_location("train_digits_cnn", EXAMPLE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def data(ex):
    return ex.load_data(0)


def _batches(data, n_steps, batch=32):
    Xtr, _, ytr, _ = data
    rng = np.random.default_rng(1)
    for _ in range(n_steps):
        idx = rng.choice(len(Xtr), batch, replace=False)
        yield Xtr[idx].astype(np.float64), ytr[idx]


@pytest.mark.parametrize("opt_name", ["Adam", "SGD"])
def test_trajectory_matches_torch_float64(engine, ex, data, opt_name):
    """Same weights (torch's, via state_dict), same batches: loss, every
    gradient, every parameter and the batch-norm running statistics after
    each of 4 steps agree with torch to float64 rounding; the loss falls."""
    torch.manual_seed(0)
    tmodel = ex.make_cnn(torch.nn, dropout=0.0).double()
    model = ex.make_cnn(ag.nn, dropout=0.0).double()
    model.load_state_dict(tmodel.state_dict())
    kw = {"lr": 1e-2} if opt_name == "Adam" else {"lr": 0.02, "momentum": 0.9}
    topt = getattr(torch.optim, opt_name)(tmodel.parameters(), **kw)
    opt = getattr(ag.optim, opt_name)(model.parameters(), **kw)
    tparams = dict(tmodel.named_parameters())
    losses = []
    for xb, yb in _batches(data, 4):
        tl = ex.train_step(torch, tmodel, topt, torch.from_numpy(xb), torch.from_numpy(yb))
        loss = ex.train_step(ag, model, opt, ag.tensor(xb), ag.tensor(yb))
        assert loss.dtype == ag.float64
        np.testing.assert_allclose(loss.item(), tl.item(), rtol=1e-12)
        for name, p in model.named_parameters():
            np.testing.assert_allclose(p.grad.numpy(), tparams[name].grad.numpy(),
                                       rtol=1e-9, atol=1e-12, err_msg=name)
        tstate = tmodel.state_dict()
        for k, v in model.state_dict().items():
            np.testing.assert_allclose(np.asarray(v), tstate[k].numpy(), rtol=1e-9, atol=1e-12,
                                       err_msg=k)
        losses.append(loss.item())
    # the same four batches again: lower loss than at the start
    again = [torch.nn.functional.cross_entropy(tmodel(torch.from_numpy(xb)),
                                               torch.from_numpy(yb)).item()
             for xb, yb in _batches(data, 4)]
    assert np.mean(again) < np.mean(losses[:1]) * 0.8


def test_eval_mode_matches_torch(engine, ex, data):
    """After training steps, eval mode (running statistics, dropout off)
    gives torch's logits."""
    torch.manual_seed(3)
    tmodel = ex.make_cnn(torch.nn).double()
    model = ex.make_cnn(ag.nn).double()
    for xb, _ in _batches(data, 3):       # move the running statistics
        tmodel(torch.from_numpy(xb))
    model.load_state_dict(tmodel.state_dict())
    tmodel.eval()
    model.eval()
    X = data[1][:50].astype(np.float64)
    with torch.no_grad():
        ref = tmodel(torch.from_numpy(X)).numpy()
    with ag.no_grad():
        got = model(ag.tensor(X)).numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-12)


def test_short_training_learns(engine, ex, data):
    """Two epochs of the example's ``train`` on 480 images: the epoch loss
    falls and the test accuracy is far above chance."""
    Xtr, Xte, ytr, yte = data
    small = (Xtr[:480], Xte, ytr[:480], yte)
    r = ex.train(ag, small, epochs=2, seed=0, label=ag.engines.get_engine().name)
    assert r["losses"][1] < r["losses"][0] < np.log(10) * 1.2
    assert r["acc"] > 0.75
    assert all(v.dtype == np.float32 for k, v in r["state"].items()
               if not k.endswith("num_batches_tracked"))


def test_main_runs_and_saves_plot(ex, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    pytest.importorskip("tqdm")
    png = tmp_path / "cnn.png"
    engines = ",".join(n for n in ("c", "python") if n in ag.engines.available)
    assert ex.main(["--epochs", "1", "--out", str(png), "--engines", engines]) == 0
    out = capsys.readouterr().out
    assert png.stat().st_size > 1000
    for name in engines.split(","):
        line = next(ln for ln in out.splitlines() if ln.startswith(f"{name} engine:"))
        assert float(line.split("test accuracy")[1]) > 0.8
    assert any(ln.startswith("torch:") for ln in out.splitlines())
    if "," in engines:
        assert "final weights identical on both engines: True" in out


def test_bench_model_is_the_example_model(ex):
    from autograd_c.bench import workload_cnn
    assert repr(workload_cnn.cnn_module(ag.nn)) == repr(ex.make_cnn(ag.nn))
    assert workload_cnn.DROPOUT == 0.25


@pytest.mark.parametrize("system", ["numpy", "c", "python"])
def test_bench_cnn_step_follows_torch(system):
    """The bench's cnn_step without dropout: each system's losses over 4
    steps (so its gradients and Adam updates) agree with torch's in float32."""
    if system == "c" and "c" not in ag.engines.available:
        from conftest import require_compiled
        require_compiled()
    from autograd_c.bench import workload_cnn
    ref = workload_cnn.build_step("torch", dropout=False)
    step = workload_cnn.build_step(system, dropout=False)
    ref_losses = [ref() for _ in range(4)]
    losses = [step() for _ in range(4)]
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-4)   # float32 rounding
    assert losses[-1] < losses[0]

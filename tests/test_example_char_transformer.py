"""The character-level transformer of examples/train_char_transformer.py
against PyTorch, on both engines: the same model code (``define_model``) built
with autograd_c and with torch in float64 from torch's initial weights, the
same batches, AdamW + warmup/cosine schedule + gradient clipping: the losses,
gradients, parameters and greedy samples must agree with torch's; the loss
must fall."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

import autograd_c as ag

torch = pytest.importorskip("torch")

PATH = Path(__file__).resolve().parent.parent / "examples" / "train_char_transformer.py"
_spec = importlib.util.spec_from_file_location("train_char_transformer", PATH)
ex = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ex)

CFG = {"d_model": 32, "n_head": 4, "n_layer": 2}
BLOCK, BATCH, STEPS = 16, 8, 30
CLIP = 0.8       # below some of the early gradient norms of this run


def _np(v):
    return np.asarray(v.detach().numpy() if hasattr(v, "detach") else v)


def _pair():
    """Our model and torch's, float64, both from torch's seeded initial state."""
    data = ex.CharData(ex.zen_text(), BLOCK, seed=1)
    torch.manual_seed(0)
    tm = ex.define_model(torch)(data.vocab, BLOCK, **CFG).double()
    am = ex.define_model(ag)(data.vocab, BLOCK, **CFG).to(ag.float64)
    ex.copy_state(tm, am, ag)
    return data, am, tm


def test_same_parameters_names_and_shapes(engine):
    _, am, tm = _pair()
    a, t = am.state_dict(), tm.state_dict()
    assert list(a) == list(t)
    for k in t:
        assert tuple(np.shape(_np(a[k]))) == tuple(t[k].shape), k
        np.testing.assert_array_equal(_np(a[k]), t[k].numpy())


def test_training_matches_torch_and_learns(engine):
    data, am, tm = _pair()
    aopt, asched = ex.make_optimizer(ag, am, STEPS)
    topt, tsched = ex.make_optimizer(torch, tm, STEPS)
    alosses, tlosses, anorms, tnorms = [], [], [], []
    for step in range(STEPS):
        x, y = data.batch(BATCH)
        if step == 0:       # the first gradients, before any update
            _, la = am(ag.tensor(x), ag.tensor(y))
            _, lt = tm(torch.tensor(x), torch.tensor(y))
            la.backward()
            lt.backward()
            for (n, pa), (_, pt) in zip(am.named_parameters(), tm.named_parameters()):
                np.testing.assert_allclose(_np(pa.grad), pt.grad.numpy(), rtol=1e-9,
                                           atol=1e-12, err_msg=n)
        la, na = ex.train_step(ag, am, aopt, asched, ag.tensor(x), ag.tensor(y), CLIP)
        lt, nt = ex.train_step(torch, tm, topt, tsched, torch.tensor(x), torch.tensor(y),
                                CLIP)
        alosses.append(la)
        tlosses.append(lt)
        anorms.append(na)
        tnorms.append(nt)
        assert asched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-14)
    np.testing.assert_allclose(alosses, tlosses, rtol=1e-10, atol=0)
    np.testing.assert_allclose(anorms, tnorms, rtol=1e-9, atol=0)
    assert max(anorms) > CLIP > min(anorms)     # clipped in some steps, not in others
    for (n, pa), (_, pt) in zip(am.named_parameters(), tm.named_parameters()):
        np.testing.assert_allclose(_np(pa.detach()), pt.detach().numpy(), rtol=1e-9,
                                   atol=1e-10, err_msg=n)
    assert np.mean(alosses[-5:]) < alosses[0] - 0.8      # it learns
    assert ex.generate(ag, am, data, "Beautiful", 12) == ex.generate(torch, tm, data,
                                                                     "Beautiful", 12)


def test_clipping_is_active(engine):
    """With max_norm far below the gradient norm the clipped update equals
    torch's too (clip_grad_norm_ really rescales in this training)."""
    data, am, tm = _pair()
    x, y = data.batch(BATCH)
    norms = []
    for lib, m in ((ag, am), (torch, tm)):
        _, loss = m(lib.tensor(x), lib.tensor(y))
        loss.backward()
        norms.append(float(lib.nn.utils.clip_grad_norm_(m.parameters(), 0.01)))
    assert norms[0] == pytest.approx(norms[1], rel=1e-10)
    assert norms[0] > 0.01
    total = np.sqrt(sum(float((_np(p.grad) ** 2).sum()) for p in am.parameters()))
    assert total == pytest.approx(0.01, rel=1e-4)
    for (n, pa), (_, pt) in zip(am.named_parameters(), tm.named_parameters()):
        np.testing.assert_allclose(_np(pa.grad), pt.grad.numpy(), rtol=1e-9, atol=1e-14,
                                   err_msg=n)


def test_example_main_runs(capsys):
    """The script end to end (a few steps, float64): its loss columns for our
    engines and torch agree."""
    ex.main(["--steps", "4", "--every", "1", "--dtype", "float64", "--sample", "5"])
    out = capsys.readouterr().out
    rows = [ln.split() for ln in out.splitlines() if ln[:5].strip().isdigit()]
    assert len(rows) == 4
    for r in rows:
        vals = [float(v) for v in r[1:]]
        assert len(vals) >= 2
        np.testing.assert_allclose(vals, vals[0], rtol=1e-9)
    assert "greedy sample" in out

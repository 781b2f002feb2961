"""autograd_c.save / load: round trips without pickle, clear errors on bad files."""
import zipfile

import numpy as np
import pytest

import autograd_c as ag
from autograd_c import nn
from autograd_c.serialization import SerializationError


def test_round_trip_nested(engine, tmp_path):
    obj = {"model": {"w": np.arange(6.0).reshape(2, 3), "b": np.float32([1.5])},
           "t": ag.Tensor([1.0, 2.0]),
           "optim": {"state": {0: {"step": 3, "exp_avg": np.ones(2)}},
                     "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "nesterov": False,
                                       "name": None, "params": [0, 1], "x": float("inf")}]}}
    path = tmp_path / "ckpt.bin"          # any suffix is kept as given
    ag.save(obj, path)
    assert path.exists()
    back = ag.load(path)
    np.testing.assert_array_equal(back["model"]["w"], obj["model"]["w"])
    assert back["model"]["b"].dtype == np.float32
    assert isinstance(back["t"], ag.Tensor) and isinstance(back["t"], engine.Tensor)
    np.testing.assert_array_equal(back["t"].data, [1.0, 2.0])
    st = back["optim"]["state"]
    assert list(st) == [0] and st[0]["step"] == 3
    g = back["optim"]["param_groups"][0]
    assert g["betas"] == (0.9, 0.999) and g["lr"] == 0.1 and g["params"] == [0, 1]
    assert g["nesterov"] is False and g["name"] is None and g["x"] == float("inf")
    # the file holds no pickled objects
    with np.load(path, allow_pickle=False) as z:
        for k in z.files:
            assert z[k].dtype != object


def test_model_round_trip_bit_identical(engine, tmp_path):
    ag.manual_seed(0)
    a = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    ag.save(a.state_dict(), tmp_path / "m.npz")
    ag.manual_seed(1)
    b = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    b.load_state_dict(ag.load(tmp_path / "m.npz"))
    x = np.random.default_rng(0).standard_normal((5, 4))
    np.testing.assert_array_equal(a(x).data, b(x).data)


def test_truncated_file(engine, tmp_path):
    path = tmp_path / "ckpt.npz"
    ag.save({"w": np.arange(1000.0)}, path)
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(SerializationError, match="ckpt.npz") as ei:
        ag.load(path)
    assert isinstance(ei.value, ValueError)


def test_corrupted_file(engine, tmp_path):
    path = tmp_path / "ckpt.npz"
    ag.save({"w": np.arange(1000.0)}, path)
    raw = bytearray(path.read_bytes())
    for i in range(200, 2000, 7):   # flip bytes inside the array data: CRC fails
        raw[i] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(SerializationError, match="ckpt.npz"):
        ag.load(path)


def test_foreign_files(engine, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello, not an archive")
    with pytest.raises(SerializationError, match="notes.txt"):
        ag.load(text)
    plain = tmp_path / "plain.npz"
    np.savez(plain, w=np.ones(3))                 # a real npz, but not ours
    with pytest.raises(SerializationError, match="plain.npz.*not written by autograd_c"):
        ag.load(plain)
    npy = tmp_path / "a.npy"
    np.save(npy, np.ones(3))
    with pytest.raises(SerializationError, match="a.npy"):
        ag.load(npy)
    pickled = tmp_path / "obj.npy"
    np.save(pickled, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(SerializationError, match="obj.npy"):
        ag.load(pickled)
    zf = tmp_path / "other.zip"
    with zipfile.ZipFile(zf, "w") as z:
        z.writestr("x.txt", "hi")
    with pytest.raises(SerializationError, match="other.zip"):
        ag.load(zf)
    with pytest.raises(FileNotFoundError):
        ag.load(tmp_path / "missing.npz")


def test_unsupported_objects_refused(engine, tmp_path):
    with pytest.raises(TypeError, match="cannot save"):
        ag.save({"f": lambda x: x}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="keys"):
        ag.save({(1, 2): np.ones(2)}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="dtype object"):
        ag.save({"a": np.array([None])}, tmp_path / "x.npz")

"""``save``/``load`` for state dicts without pickling any code.

The file is a numpy ``.npz`` archive read with ``allow_pickle=False``: every
array (or Tensor) is one member, and the structure around them (nested dicts
with str/int keys, lists, tuples, numbers, strings, booleans, None) is a JSON
manifest stored as a uint8 member. Anything else is refused on save; a file
that is truncated, corrupted or not written by ``save`` raises
``SerializationError`` (a ``ValueError``) naming the path.
"""
from __future__ import annotations

import json
import math
import os
import struct
import zipfile
import zlib
from typing import Any

import numpy as np

from ._tensor import Tensor

__all__ = ["save", "load", "SerializationError"]

_MANIFEST = "__autograd_c_manifest__"
_FORMAT = "autograd_c.state/1"


class SerializationError(ValueError):
    """A file could not be read back by ``autograd_c.load``."""


def _encode(obj: Any, arrays: dict, where: str):
    if isinstance(obj, Tensor):
        key = f"a{len(arrays)}"
        arrays[key] = np.asarray(obj.data)
        return {"tensor": key}
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind in "OV":
            raise TypeError(f"save: {where}: arrays of dtype {obj.dtype} are not supported")
        key = f"a{len(arrays)}"
        arrays[key] = obj
        return {"array": key}
    if isinstance(obj, np.generic):
        return _encode(obj.item(), arrays, where)
    if obj is None or isinstance(obj, (bool, int, str)):
        return {"v": obj}
    if isinstance(obj, float):
        # JSON has no inf/nan; keep them (and every float) exactly via repr
        return {"f": repr(obj)} if not math.isfinite(obj) else {"v": obj}
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise TypeError(f"save: {where}: dict keys must be str or int, got {k!r}")
            items.append([k, _encode(v, arrays, f"{where}[{k!r}]")])
        return {"dict": items}
    if isinstance(obj, (list, tuple)):
        kind = "list" if isinstance(obj, list) else "tuple"
        return {kind: [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(obj)]}
    raise TypeError(f"save: {where}: cannot save an object of type {type(obj).__name__} "
                    f"(only arrays, Tensors, numbers, strings, None and dict/list/tuple "
                    f"of them)")


def save(obj: Any, path) -> None:
    """Write ``obj`` (e.g. ``model.state_dict()`` or ``optimizer.state_dict()``) to ``path``."""
    arrays: dict = {}
    manifest = {"format": _FORMAT, "root": _encode(obj, arrays, "obj")}
    arrays[_MANIFEST] = np.frombuffer(json.dumps(manifest).encode("utf-8"), dtype=np.uint8)
    with open(os.fspath(path), "wb") as f:  # a file object: numpy adds no .npz suffix
        np.savez(f, **arrays)


def _decode(node: Any, files, path):
    if not isinstance(node, dict) or len(node) != 1:
        raise SerializationError(f"load: {path}: malformed manifest entry {_short(node)}")
    (kind, val), = node.items()
    if kind == "v":
        if not (val is None or isinstance(val, (bool, int, float, str))):
            raise SerializationError(f"load: {path}: malformed value entry {_short(val)}")
        return val
    if kind == "f":
        if not isinstance(val, str):
            raise SerializationError(f"load: {path}: malformed float entry {_short(val)}")
        return float(val)
    if kind in ("array", "tensor"):
        if val not in files:
            raise SerializationError(f"load: {path}: array {val!r} named in the manifest "
                                     f"is missing from the file")
        arr = files[val]
        return Tensor(arr) if kind == "tensor" else arr
    if kind == "dict":
        return {k: _decode(v, files, path) for k, v in val}
    if kind == "list":
        return [_decode(v, files, path) for v in val]
    if kind == "tuple":
        return tuple(_decode(v, files, path) for v in val)
    raise SerializationError(f"load: {path}: unknown manifest entry kind {kind!r}")


def load(path) -> Any:
    """Read back what ``save`` wrote (Tensors come back on the active engine)."""
    path = os.fspath(path)
    try:
        npz = np.load(path, allow_pickle=False)
        if not isinstance(npz, np.lib.npyio.NpzFile):
            raise SerializationError(f"load: {path} is a bare .npy array, not a file "
                                     f"written by autograd_c.save")
        with npz:
            if _MANIFEST not in npz.files:
                raise SerializationError(f"load: {path} is an .npz archive but was not "
                                         f"written by autograd_c.save (no manifest)")
            files = {k: npz[k] for k in npz.files}
    except SerializationError:
        raise
    except FileNotFoundError:
        raise
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile,
            zipfile.LargeZipFile, struct.error, zlib.error) as e:
        raise SerializationError(f"load: {path} is not a readable autograd_c file "
                                 f"(truncated, corrupted or another format): "
                                 f"{type(e).__name__}: {e}") from None
    try:
        manifest = json.loads(files.pop(_MANIFEST).tobytes().decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        raise SerializationError(f"load: {path}: corrupted manifest: {type(e).__name__}: {e}") from None  # noqa: E501
    if not isinstance(manifest, dict) or manifest.get("format") != _FORMAT:
        fmt = manifest.get('format') if isinstance(manifest, dict) else manifest
        raise SerializationError(f"load: {path}: unsupported format {_short(fmt)}")
    try:
        return _decode(manifest.get("root"), files, path)
    except SerializationError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as e:
        # a manifest that is valid JSON but not of the form save writes
        raise SerializationError(f"load: {path}: malformed manifest: "
                                 f"{type(e).__name__}: {_short(e)}") from None


def _short(obj, n=200):
    r = repr(obj) if not isinstance(obj, BaseException) else str(obj)
    return r if len(r) <= n else r[:n] + "..."

"""Random number generators, in PyTorch's shape (``torch.Generator``,
``torch.manual_seed``, ``torch.default_generator`` ...), on top of numpy.

An ``autograd_c.Generator`` wraps a ``numpy.random.Generator`` (PCG64) and
remembers the seed it was last seeded with:

* ``Generator()`` starts from a fixed seed (67280421310721, PyTorch's), so an
  unseeded ``Generator()`` gives the same stream every run, as in PyTorch;
* ``default_generator`` is seeded from OS entropy at import; ``manual_seed(n)``
  reseeds it (and the generator ``autograd_c.nn`` layers draw from), so
  ``manual_seed(0)`` makes model initialisation and ``DataLoader(shuffle=True)``
  reproducible;
* seeds follow PyTorch's rule: any integer in [-2**63, 2**64 - 1]; a negative
  seed ``s`` is used as ``2**64 + s`` (its two's complement, as PyTorch does).

The numbers drawn are numpy's, not PyTorch's: the same seed gives a
deterministic stream here, but not the stream ``torch`` would give.

A Generator also forwards numpy's drawing methods (``g.random(shape)``,
``g.normal(...)``, ``g.permutation(n)`` ...) to the wrapped
``numpy.random.Generator`` (``g.numpy_generator``), so it can be passed as
``generator=`` wherever a numpy generator is accepted (``nn.Linear`` ...).
"""
from __future__ import annotations

import secrets

import numpy as np

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed",
           "get_rng_state", "set_rng_state", "randperm"]

#: the seed a fresh ``Generator()`` starts from (PyTorch's default_rng_seed_val)
DEFAULT_SEED = 67280421310721

_U64 = 0xFFFF_FFFF_FFFF_FFFF
_STATE_BYTES = 56          # 16 (PCG64 state) + 16 (increment) + 8 (has_uint32) + 8 (uinteger) + 8 (seed)  # noqa: E501


def _check_seed(seed, who: str) -> int:
    """PyTorch's seed rule: an integer in [-2**63, 2**64 - 1]; negatives wrap
    to their 64-bit two's complement."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{who}: seed must be an int, got {type(seed).__name__} {seed!r}")
    seed = int(seed)
    if seed < -0x8000_0000_0000_0000 or seed > _U64:
        raise ValueError(f"{who}: seed must be within [-0x8000_0000_0000_0000, "
                         f"0xffff_ffff_ffff_ffff], got {seed}")
    return seed & _U64


def _fresh_seed() -> int:
    return secrets.randbits(64)


class Generator:
    """A seedable random number generator (``torch.Generator``'s API).

    ``Generator(device="cpu")``; ``g.manual_seed(n)`` reseeds and returns ``g``;
    ``g.seed()`` reseeds from OS entropy and returns the new seed;
    ``g.initial_seed()`` is the last seed set; ``g.get_state()`` /
    ``g.set_state(state)`` save and restore the exact position in the stream
    (the state is a uint8 Tensor, as in PyTorch).
    """

    __slots__ = ("_rng", "_seed", "device")

    def __init__(self, device="cpu") -> None:
        if str(device) != "cpu":
            raise ValueError(f"Generator: only the 'cpu' device exists, got device={device!r}")
        self.device = "cpu"
        self._seed = DEFAULT_SEED
        self._rng = np.random.default_rng(DEFAULT_SEED)

    # -- seeding -------------------------------------------------------------
    def manual_seed(self, seed: int) -> "Generator":
        """Reseed with ``seed``; returns this generator (so
        ``Generator().manual_seed(0)`` is a seeded generator)."""
        seed = _check_seed(seed, "Generator.manual_seed")
        self._seed = seed
        self._rng = np.random.default_rng(seed)
        return self

    def seed(self) -> int:
        """Reseed from OS entropy; returns the new seed."""
        s = _fresh_seed()
        self._seed = s
        self._rng = np.random.default_rng(s)
        return s

    def initial_seed(self) -> int:
        """The seed this generator was last seeded with."""
        return self._seed

    # -- state ---------------------------------------------------------------
    def get_state(self):
        """The generator's state as a uint8 Tensor (opaque; give it to set_state)."""
        st = self._rng.bit_generator.state
        if st.get("bit_generator") != "PCG64":  # pragma: no cover - we always build PCG64
            raise RuntimeError(f"Generator.get_state: unsupported bit generator {st.get('bit_generator')}")  # noqa: E501
        raw = (int(st["state"]["state"]).to_bytes(16, "little")
               + int(st["state"]["inc"]).to_bytes(16, "little")
               + int(st["has_uint32"]).to_bytes(8, "little")
               + int(st["uinteger"]).to_bytes(8, "little")
               + int(self._seed).to_bytes(8, "little"))
        from ._tensor import Tensor
        return Tensor(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, new_state) -> "Generator":
        """Restore a state returned by ``get_state`` (a uint8 Tensor or array)."""
        from ._tensor import Tensor
        arr = new_state.data if isinstance(new_state, Tensor) else new_state
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"Generator.set_state: expected a uint8 Tensor from get_state(), "
                            f"got {type(new_state).__name__}")
        if arr.dtype != np.uint8 or arr.shape != (_STATE_BYTES,):
            raise ValueError(f"Generator.set_state: expected a uint8 tensor of shape "
                             f"({_STATE_BYTES},) from get_state(), got dtype {arr.dtype} "
                             f"shape {tuple(arr.shape)}")
        raw = arr.tobytes()
        inc = int.from_bytes(raw[16:32], "little")
        if inc % 2 == 0:
            raise ValueError("Generator.set_state: not a state from get_state() "
                             "(the PCG64 increment must be odd)")
        has_uint32 = int.from_bytes(raw[32:40], "little")
        if has_uint32 not in (0, 1):
            raise ValueError("Generator.set_state: not a state from get_state() "
                             f"(has_uint32={has_uint32})")
        bg = np.random.PCG64()
        bg.state = {"bit_generator": "PCG64",
                    "state": {"state": int.from_bytes(raw[0:16], "little"), "inc": inc},
                    "has_uint32": has_uint32,
                    "uinteger": int.from_bytes(raw[40:48], "little")}
        self._rng = np.random.Generator(bg)
        self._seed = int.from_bytes(raw[48:56], "little")
        return self

    # -- numpy interop -------------------------------------------------------
    @property
    def numpy_generator(self) -> np.random.Generator:
        """The wrapped ``numpy.random.Generator`` (replaced by every reseed)."""
        return self._rng

    def __getattr__(self, name):
        # numpy's drawing methods (random, normal, uniform, integers, permutation ...)
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return getattr(self._rng, name)
        except AttributeError:
            raise AttributeError(f"'Generator' object has no attribute {name!r}") from None

    def __getstate__(self):
        return {"seed": self._seed, "bit_state": self._rng.bit_generator.state}

    def __setstate__(self, d):
        self.device = "cpu"
        self._seed = d["seed"]
        bg = np.random.PCG64()
        bg.state = d["bit_state"]
        self._rng = np.random.Generator(bg)

    def __repr__(self) -> str:
        return f"<autograd_c.Generator device=cpu initial_seed={self._seed}>"


def _numpy_rng(generator, who: str) -> np.random.Generator:
    """The numpy generator to draw from: ``default_generator``'s for None, the
    wrapped one for a Generator; a ``numpy.random.Generator`` is used as is."""
    if generator is None:
        return default_generator._rng
    if isinstance(generator, Generator):
        return generator._rng
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(f"{who}: generator must be an autograd_c.Generator (or a "
                    f"numpy.random.Generator), got {type(generator).__name__}")


#: the generator used when no ``generator=`` is given; seeded from OS entropy
default_generator = Generator()
default_generator.seed()


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (and the generator ``autograd_c.nn`` layers
    draw from when built without ``generator=``); returns ``default_generator``."""
    s = _check_seed(seed, "manual_seed")
    default_generator.manual_seed(s)
    try:
        from .nn import init as _nn_init
    except ImportError:  # pragma: no cover - nn is part of the package
        pass
    else:
        _nn_init.manual_seed(s)
    return default_generator


def seed() -> int:
    """Seed the default generator from OS entropy; returns the seed used."""
    s = default_generator.seed()
    try:
        from .nn import init as _nn_init
    except ImportError:  # pragma: no cover
        pass
    else:
        _nn_init.manual_seed(s)
    return s


def initial_seed() -> int:
    """The seed the default generator was last seeded with."""
    return default_generator.initial_seed()


def get_rng_state():
    """The default generator's state (a uint8 Tensor)."""
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    """Restore the default generator's state from ``get_rng_state()``."""
    default_generator.set_state(new_state)


def randperm(n: int, generator=None, dtype=np.int64):
    """A random permutation of ``range(n)`` as an int64 Tensor."""
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"randperm: n must be a non-negative int, got {n!r}")
    from ._tensor import Tensor
    return Tensor(_numpy_rng(generator, "randperm").permutation(int(n)).astype(dtype))

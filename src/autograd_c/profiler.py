"""Per-op profiler: how often each op ran, and how long its rules took.

    with autograd_c.profiler() as prof:
        loss = model(x); loss.backward()
    print(prof.table())

Both engines call ``grad_mode.state.profiler.record(op_name, phase, seconds)``
around every op rule they run: ``phase`` is ``"forward"`` (the op's forward
math, on every op applied, recorded or not) or ``"backward"`` (its VJP, once
per node run by backward). The times are those of the op rules themselves,
i.e. the numpy work; what the engine spends around them (building tensors and
nodes, scheduling, accumulating gradients) is what is left of the block's wall
time, which ``table()`` prints as "outside op rules".

The hook is thread-local: only ops run in the thread that entered the block are
recorded. Profilers nest: the inner one is active inside its block and every
record it gets is passed on to the enclosing profiler, so the outer totals
include the inner block; on exit the enclosing profiler (or None) is restored.
"""
from __future__ import annotations

from time import perf_counter
from typing import Dict, List, Literal

from .grad_mode import state as _gm

__all__ = ["profiler"]

_PHASES = ("forward", "backward")


class profiler:
    """Context manager recording per-op counts and times (see the module docstring)."""

    def __init__(self) -> None:
        # op name -> [forward count, forward seconds, backward count, backward seconds]
        self._rows: Dict[str, List[float]] = {}
        self._parent = None
        self._active = False
        self._t_enter = 0.0                  # perf_counter() at __enter__
        self.wall_time = 0.0      # seconds spent inside the with-block(s)

    # -- the hook both engines call ------------------------------------------------
    def record(self, op_name: str, phase: str, seconds: float) -> None:
        row = self._rows.get(op_name)
        if row is None:
            row = self._rows[op_name] = [0, 0.0, 0, 0.0]
        if phase == "forward":
            row[0] += 1
            row[1] += seconds
        elif phase == "backward":
            row[2] += 1
            row[3] += seconds
        else:
            raise ValueError(f"profiler.record: phase must be 'forward' or 'backward', "
                             f"got {phase!r}")
        if self._parent is not None:
            self._parent.record(op_name, phase, seconds)

    # -- context manager ---------------------------------------------------------------
    def __enter__(self) -> "profiler":
        if self._active:
            raise RuntimeError("this profiler is already active; use a new profiler() to nest")
        self._parent = _gm.profiler
        _gm.profiler = self
        self._active = True
        self._t_enter = perf_counter()
        return self

    def __exit__(self, *exc) -> Literal[False]:
        self.wall_time += perf_counter() - self._t_enter
        _gm.profiler = self._parent
        self._parent = None
        self._active = False
        return False

    def reset(self) -> None:
        """Forget everything recorded so far."""
        self._rows.clear()
        self.wall_time = 0.0

    # -- results -------------------------------------------------------------------
    @property
    def stats(self) -> Dict[str, Dict[str, float]]:
        """``{op: {"forward_count", "forward_time", "backward_count", "backward_time",
        "total_time"}}``; times in seconds."""
        return {op: {"forward_count": int(r[0]), "forward_time": r[1],
                     "backward_count": int(r[2]), "backward_time": r[3],
                     "total_time": r[1] + r[3]}
                for op, r in self._rows.items()}

    @property
    def total_time(self) -> float:
        """Seconds spent in op rules (forward + backward), all ops."""
        return sum(r[1] + r[3] for r in self._rows.values())

    def table(self, file=None) -> str:
        """The stats as a fixed-width table sorted by total time (ms), largest first.

        Returns the table; also prints it when ``file`` is given (e.g. ``sys.stdout``).
        """
        total = self.total_time
        head = ("op", "fwd count", "fwd total ms", "bwd count", "bwd total ms",
                "total ms", "% of total")
        rows = []
        for op, r in sorted(self._rows.items(), key=lambda kv: (-(kv[1][1] + kv[1][3]), kv[0])):
            t = r[1] + r[3]
            rows.append((op, f"{int(r[0])}", f"{r[1] * 1e3:.3f}", f"{int(r[2])}",
                         f"{r[3] * 1e3:.3f}", f"{t * 1e3:.3f}",
                         f"{100.0 * t / total:.1f}" if total > 0 else "0.0"))
        fwd_n = sum(int(r[0]) for r in self._rows.values())
        bwd_n = sum(int(r[2]) for r in self._rows.values())
        rows.append(("TOTAL", f"{fwd_n}", f"{sum(r[1] for r in self._rows.values()) * 1e3:.3f}",
                     f"{bwd_n}", f"{sum(r[3] for r in self._rows.values()) * 1e3:.3f}",
                     f"{total * 1e3:.3f}", "100.0" if total > 0 else "0.0"))
        widths = [max(len(head[i]), *(len(r[i]) for r in rows)) for i in range(len(head))]

        def fmt(cells):
            return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                             for i, (c, w) in enumerate(zip(cells, widths)))

        lines = [fmt(head), "  ".join("-" * w for w in widths)]
        lines += [fmt(r) for r in rows[:-1]]
        lines += ["  ".join("-" * w for w in widths), fmt(rows[-1])]
        if self.wall_time > 0:
            outside = self.wall_time - total
            lines.append(f"wall time in profiled block(s): {self.wall_time * 1e3:.3f} ms; "
                         f"outside op rules (engine, Python, profiler): {outside * 1e3:.3f} ms "
                         f"({100.0 * outside / self.wall_time:.1f}%)")
        out = "\n".join(lines)
        if file is not None:
            print(out, file=file)
        return out

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        return f"<autograd_c.profiler: {len(self._rows)} ops, {self.total_time * 1e3:.3f} ms>"

"""Where the instructions of the elementwise-chain benchmark go, per op.

    python tools/callgrind_breakdown.py [numpy|c|python ...] [--steps N]

Runs the bench's ``elementwise_chain`` step (400 ops on 16 floats) N times
under ``valgrind --tool=callgrind`` and once more with 0 steps, subtracts the
second (interpreter start-up, imports) from the first, and sorts the
instructions left by where they were spent: numpy's array machinery, its
inner loops, CPython, the compiled engine's parts, libc. Instruction counts
are repeatable from run to run, unlike times on a shared machine. Needs
valgrind and callgrind_annotate on PATH (Debian: ``apt install valgrind``).
"""
import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile

STEP = """
import sys
from autograd_c import bench
step = bench.BUILDERS["chain"][sys.argv[1]](*bench.chain_data())
for _ in range(int(sys.argv[2])):
    step()
"""


def bucket(src, func, obj):
    if "scheduler.c" in src or func.startswith("ag_") or func in ("lookup_or_add", "push"):
        return "C scheduler (csrc/scheduler.c)"
    if "_engine_c" in obj or "9_engine_c" in func:
        return "engine glue (_engine_c: recording, Tensor/Node, callbacks)"
    if "_ufuncs" in obj or "7_ufuncs" in func:
        return "_ufuncs glue (checks, IEEE flags)"
    if "_ops_c" in obj or "6_ops_c" in func:
        return "op rules (_ops_c)"
    if "multiarray_umath" in obj:
        if re.match(r"(DOUBLE|FLOAT|BOOL)_", func):
            return "numpy inner loops (the arithmetic)"
        return "numpy: array allocation, freeing, ufunc dispatch"
    if "libc.so" in obj or "libm.so" in obj:
        return "libc (malloc, memset, fenv)"
    if "libpython" in obj or "Python-3" in src or "python3" in src:
        return "CPython: objects, calls, the user's loop"
    return "other (loader, BLAS threads, ...)"


def self_costs(path):
    out = subprocess.run(["callgrind_annotate", "--threshold=100", path],
                         capture_output=True, text=True, check=True).stdout
    costs = collections.Counter()
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+) \([ \d.]+%\)\s+(\S+?):(\S+)\s*(?:\[(.*)\])?", line)
        if m:
            costs[bucket(m.group(2), m.group(3), m.group(4) or "")] += \
                int(m.group(1).replace(",", ""))
    return costs


def measure(system, steps, tmp):
    script = os.path.join(tmp, "step.py")
    with open(script, "w") as f:
        f.write(STEP)
    runs = []
    for n in (0, steps):
        out = os.path.join(tmp, f"cg.{system}.{n}")
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                        sys.executable, script, system, str(n)],
                       check=True, capture_output=True,
                       env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))
        runs.append(self_costs(out))
    base, full = runs
    return {k: full[k] - base.get(k, 0) for k in full}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("systems", nargs="*", default=["numpy", "c", "python"])
    ap.add_argument("--steps", type=int, default=200)
    args = ap.parse_args()
    from autograd_c import bench
    ops = args.steps * bench.CHAIN_OPS
    with tempfile.TemporaryDirectory() as tmp:
        for system in args.systems:
            costs = measure(system, args.steps, tmp)
            total = sum(costs.values())
            print(f"== {system}: {total / ops:,.0f} instructions per op")
            for k, v in sorted(costs.items(), key=lambda kv: -kv[1]):
                if abs(v) / ops >= 1:
                    print(f"{v / ops:8,.0f}  {100 * v / total:5.1f}%  {k}")


if __name__ == "__main__":
    main()

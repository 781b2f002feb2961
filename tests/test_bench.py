"""Smoke test of ``python -m autograd_c.bench --quick --json``: every workload and
every system is reported, with positive numbers or "not installed". No timing
assertions (the numbers depend on the machine)."""
import json
import os
import subprocess
import sys

import pytest

from autograd_c import bench
from autograd_c.bench.workloads import NOT_APPLICABLE

NUMERIC_KEYS = {
    "timed": ("median_s", "min_s", "ratio_to_floor"),
    "subprocess": ("seconds", "per_op_s", "ratio_to_floor"),
}


@pytest.fixture(scope="module")
def quick_json():
    env = dict(os.environ)
    env.pop("AUTOGRAD_C_ENGINE", None)
    p = subprocess.run([sys.executable, "-m", "autograd_c.bench", "--quick", "--json"],
                       capture_output=True, text=True, timeout=600, env=env)
    assert p.returncode == 0, p.stderr[-2000:]
    return json.loads(p.stdout)


def _positive(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and x > 0


def test_every_workload_and_system_reported(quick_json):
    assert set(quick_json["workloads"]) == set(bench.WORKLOADS)
    for w, entry in quick_json["workloads"].items():
        assert set(entry["systems"]) == set(bench.SYSTEMS), w
        kind = "timed" if w in bench.TIMED else "subprocess"
        for s, r in entry["systems"].items():
            if r in (bench.NOT_INSTALLED, NOT_APPLICABLE):
                assert s not in ("numpy", "python"), "the floor and the pure engine always run"
                continue
            assert isinstance(r, dict) and "error" not in r, (w, s, r)
            for k in NUMERIC_KEYS[kind]:
                assert _positive(r[k]), (w, s, k, r.get(k))
            if kind == "subprocess":
                assert r["peak_above_base_mb"] >= 0
                assert _positive(r["peak_kb"])


def test_floor_ratio_is_one_and_losses_agree(quick_json):
    for w in bench.TIMED:
        systems = quick_json["workloads"][w]["systems"]
        assert systems["numpy"]["ratio_to_floor"] == pytest.approx(1.0)
        for s, r in systems.items():
            if isinstance(r, dict):
                # every system starts from the same numbers and does the same math
                assert r["matches_floor"], (w, s, r["first_loss"], systems["numpy"]["first_loss"])


def test_gradients_agree_in_subprocess_workloads(quick_json):
    for w in bench.SUBPROCESS:
        systems = quick_json["workloads"][w]["systems"]
        ref = systems["numpy"]["grad0"]
        for s, r in systems.items():
            if isinstance(r, dict):
                assert r["grad0"] == pytest.approx(ref, rel=1e-9), (w, s)


def test_memory_chain_keeps_outputs_alive(quick_json):
    # 20 tanh outputs of 1 MB each stay alive until backward in every system
    for s, r in quick_json["workloads"]["memory_1mb_chain"]["systems"].items():
        if isinstance(r, dict):
            assert r["peak_above_base_mb"] > 15, (s, r)


def test_compiled_over_pure_ratio_and_meta(quick_json):
    if quick_json["workloads"]["tiny_mlp"]["systems"]["c"] != bench.NOT_INSTALLED:
        assert _positive(quick_json["ratios"]["compiled_over_pure_elementwise"])
    meta = quick_json["meta"]
    assert meta["threads"] == 1 and meta["quick"] is True


def test_blas_threads_pinned_before_numpy_loads(quick_json):
    # the command re-executes itself with the variables set, so the BLAS
    # library read them when it loaded
    env = quick_json["meta"]["thread_env"]
    assert env["OPENBLAS_NUM_THREADS"] == "1" and env["OMP_NUM_THREADS"] == "1"
    assert env["MKL_NUM_THREADS"] == "1"
    assert bench._threads_from_argv(["--quick", "--threads", "3"]) == "3"
    assert bench._threads_from_argv(["--threads=2"]) == "2"
    assert bench._threads_from_argv([]) == "1"

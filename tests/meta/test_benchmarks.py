"""Smoke tests of the benchmark scripts: they run end to end on a tiny
slice of their workload and report what they should (their timings are
not checked: speed is measured by the scripts, never asserted here)."""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _table_row(out, dtype):
    """The cells of the markdown table row of ``dtype``."""
    for line in out.splitlines():
        if line.startswith(f"| {dtype} |"):
            return [c.strip() for c in line.strip("|").split("|")]
    raise AssertionError(f"no {dtype} row in:\n{out}")


@pytest.mark.slow
def test_array_api_benchmark_quick_run():
    """``benchmarks/array_api.py --quick`` on 300 rows: the numpy engine and
    skbackprop on a namespace (array_api_strict) are timed, and the float64
    namespace fit predicts what the numpy fit predicts (same seed, same
    batches)."""
    pytest.importorskip("array_api_strict")
    namespace = "array_api_strict"
    has_torch = importlib.util.find_spec("torch") is not None  # its loop runs
    env = dict(os.environ, SCIPY_ARRAY_API="1")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "array_api.py"), "--quick",
         "--rows", "300", "--dtypes", "float64", "--namespace", namespace,
         "--threads", "1"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    assert "device: cpu" in out and "SCIPY_ARRAY_API=1" in out
    header = next(line for line in out.splitlines() if line.startswith("| dtype"))
    assert f"sk-{namespace} ms" in header
    dtype, numpy_ms, ns_ms, loop_ms, vs_loop, vs_numpy, dp, dloss, repeats = (
        _table_row(out, "float64")
    )
    assert float(numpy_ms) > 0 and float(ns_ms) > 0 and float(vs_numpy) > 0
    assert float(dp) < 1e-12 and float(dloss) < 1e-12  # the same fit
    assert repeats == "1"
    if has_torch:
        assert float(loop_ms) > 0 and float(vs_loop) > 0
    else:
        assert loop_ms == "-" and re.search(r"NOT RUN: torch loop", out)


@pytest.mark.slow
def test_run_benchmark_quick_run_hands_real_world_its_settings(monkeypatch, capsys):
    """``benchmarks/run.py`` on its smallest workload: the training and
    memory tables have a row per dtype; its ``real_world`` workload runs
    ``benchmarks/real_world.py`` with the same repeats and table format."""
    import real_world
    import run

    calls = []
    monkeypatch.setattr(real_world, "main", calls.append)
    run.main(["--quick", "--no-torch", "--workloads", "small,real_world",
              "--markdown"])
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| small |")]
    assert len(rows) == 4, out  # training and memory, float64 and float32
    ours_ms, sklearn_ms, torch_ms, ratio = (
        [c.strip() for c in rows[0].strip("|").split("|")][2:6])
    assert float(ours_ms) > 0 and float(sklearn_ms) > 0 and float(ratio) > 0
    assert torch_ms == "-"
    assert calls == [["--repeats", "1", "--markdown"]]


@pytest.mark.slow
def test_real_world_benchmark_reports_each_workload(capsys):
    """``benchmarks/real_world.py``, L-BFGS only, one repeat: the thread
    pools and the row of each data set, with a speed-up."""
    import real_world

    real_world.main(["--repeats", "1", "--workloads", "lbfgs", "--markdown"])
    out = capsys.readouterr().out
    assert "inside an L-BFGS fit, the other BLAS pools" in out
    for name in ("load_breast_cancer", "load_digits"):
        row = next(line for line in out.splitlines() if line.startswith(f"| {name}"))
        ours, theirs, speed = [c.strip() for c in row.strip("|").split("|")][1:]
        assert ours.endswith(" ms") and theirs.endswith(" ms")
        assert float(speed.rstrip("x")) > 0


@pytest.mark.parametrize("flags, architecture, noted", [
    ("fpu avx2 avx512f avx512dq", "Haswell", True),
    ("fpu avx2 avx512f avx512dq", "SkylakeX", False),
    ("fpu avx2", "Haswell", False),
])
def test_the_benchmarks_say_when_openblas_runs_older_kernels(
        monkeypatch, tmp_path, flags, architecture, noted):
    """On a CPU with AVX-512 whose OpenBLAS runs older kernels (here
    because ``OPENBLAS_CORETYPE`` says so) the environment lines say so,
    since the products then take about 1.6x as long."""
    pytest.importorskip("threadpoolctl")
    import real_world
    import threadpoolctl

    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nflags\t\t: {flags}\n")
    monkeypatch.setattr(real_world, "Path", lambda _: cpuinfo)
    monkeypatch.setenv("OPENBLAS_CORETYPE", architecture)
    monkeypatch.setattr(threadpoolctl, "threadpool_info", lambda: [
        {"internal_api": "openblas", "architecture": architecture},
        {"internal_api": "openmp", "architecture": None},
    ])
    note = real_world.blas_kernel_note()
    if noted:
        assert note.startswith(f"note: this CPU has AVX-512 but OpenBLAS runs "
                               f"its {architecture} kernels (OPENBLAS_CORETYPE="
                               f"{architecture} is set)")
    else:
        assert note is None


def test_reliability_benchmark_classifies_the_battery_cases(capsys):
    """``benchmarks/reliability_vs_sklearn.py`` on two topics: each case of
    the battery is run on skbackprop (every case passes its test, so each
    is a clear error or sensible) and, unless it exercises an extension, on
    scikit-learn; the summary counts them."""
    import reliability_vs_sklearn as bench

    topics = ["divergence", "gradcheck"]
    rows = bench.run(timeout=60, topics=topics)
    expected = [c.id for c in bench.CASES if c.topic in topics]
    assert [r[1] for r in rows] == expected and len(rows) > 30
    assert {r[2] for r in rows} <= {"clear error", "sensible"}, rows
    theirs = {r[1]: r[3] for r in rows}
    assert all(theirs[c.id] == "n/a (extension)" for c in bench.CASES
               if c.topic == "gradcheck")
    assert all(theirs[c.id] in bench.CLASSES for c in bench.CASES
               if c.topic == "divergence")
    bench.print_summary(rows, markdown=True)
    out = capsys.readouterr().out
    assert f"| outcome | skbackprop, all ({len(rows)}) |" in out

"""The device check of the captured step, ``benchmarks/gpu_capture.py``, on
its tiny CPU size: every competitor runs, the tables and the checks are
printed, the static step did train, and the float64 fits agree."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_gpu_capture_tiny_run():
    pytest.importorskip("torch")
    env = dict(os.environ, SCIPY_ARRAY_API="1")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "gpu_capture.py"), "--tiny"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    modes = [line.split("|")[1:3] for line in out.splitlines()
             if line.startswith("| float")]
    for dtype in ("float32", "float64"):
        for mode in ("off", "eager", "on"):
            assert [f" {dtype} ", f" {mode} "] in modes, out
    checks = out.split("**Checks**")[1]
    assert checks.count("float64") >= 6 and "FAILED" not in checks
    assert "static-step epochs: 0 captured" in checks
    eager = int(checks.split("captured, ")[1].split(" eager")[0])
    assert eager >= 4  # eager and on, float32 and float64, and their warm-ups

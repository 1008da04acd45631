"""Smoke test of ``benchmarks/fresh_process.py``: on a few epochs it runs
both estimators and the products alone in fresh processes and reports the
same fit for both (its timings are not checked)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_fresh_process_benchmark_reports_both_fits_and_the_floor():
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "fresh_process.py"),
         "--repeats", "1", "--max-iter", "3", "--pause", "0"],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    assert "load average before" in out and "load average after" in out
    fits = {}
    for name in ("skbackprop (this tree)", "scikit-learn"):
        line = next(line for line in out.splitlines() if line.strip().startswith(name))
        seconds, epochs, loss = re.search(
            r"(\d+\.\d+) s \(import .*; (\d+) epochs, loss (\S+),", line).groups()
        assert float(seconds) > 0 and epochs == "3"
        fits[name] = loss
    assert fits["skbackprop (this tree)"] == fits["scikit-learn"]  # the same fit
    assert re.search(r"products alone\s+\d+\.\d+ s", out)

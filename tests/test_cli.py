"""``python -m skbackprop``: a real command line around the demo."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from skbackprop.__main__ import main

ROOT = Path(__file__).resolve().parents[1]


def _module(*args, cwd):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), env.get("PYTHONPATH", "")]
    ).rstrip(os.pathsep)
    return subprocess.run(
        [sys.executable, "-m", "skbackprop", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


def test_help_describes_the_options_and_trains_nothing(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: python -m skbackprop")
    for option in ("--quick", "circles", "digits", "all", "--version"):
        assert option in out, option
    assert not re.search(r"epoch +\d", out) and "training ..." not in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["nope"], "invalid choice: 'nope'"),
        (["circles", "digits"], "unrecognized arguments: digits"),
    ],
)
def test_bad_arguments_exit_with_status_2(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""


@pytest.mark.parametrize(
    "demo, shown, hidden, accuracy",
    [
        ("circles", "make_circles", "load_digits", r"accuracy (\d\.\d+)"),
        ("digits", "load_digits", "make_circles", r"test accuracy (\d\.\d+)"),
    ],
)
def test_quick_runs_the_chosen_demo_only(demo, shown, hidden, accuracy, capsys):
    assert main([demo, "--quick"]) == 0
    out = capsys.readouterr().out
    assert shown in out and hidden not in out
    # prints before it trains, then the loss curve and the final score
    assert out.index("training ...") < out.index("epoch")
    assert float(re.search(accuracy, out).group(1)) >= 0.95


def test_quick_mode_trains_fewer_epochs_without_warnings(recwarn):
    from skbackprop.__main__ import circles_demo, digits_demo

    _, quick = circles_demo(quick=True)
    assert quick.n_iter_ < 1000  # the full demo's run takes 2190 epochs
    _, quick_digits = digits_demo(quick=True)
    assert quick_digits[-1].n_iter_ < 100  # the full demo's takes 148
    assert not [w for w in recwarn if "skbackprop" in w.filename]


def test_module_entry_point_from_outside_the_repository(tmp_path):
    """As a user runs it: exit 2 and usage on a bad flag, the quick demo from
    any folder with exit 0 and no warning."""
    proc = _module("--bogus", cwd=tmp_path)
    assert proc.returncode == 2
    assert "usage: python -m skbackprop" in proc.stderr and proc.stdout == ""

    proc = _module("--quick", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "make_circles" in proc.stdout and "load_digits" in proc.stdout
    assert "accuracy 1.000" in proc.stdout
    assert "Warning" not in proc.stderr

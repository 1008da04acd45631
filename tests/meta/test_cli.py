"""``python -m skbackprop``: a real command line around the demo.

The entry point itself (``python -m skbackprop`` run from a folder outside
the repository) is tested by tests/meta/test_demo.py::test_demo_module_runs.
"""

import re

import pytest

from skbackprop.__main__ import main


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
    "demo, shown, hidden, accuracy, full_epochs",
    [
        ("circles", "make_circles", "load_digits", r"accuracy (\d\.\d+)", 2190),
        ("digits", "load_digits", "make_circles", r"test accuracy (\d\.\d+)", 148),
    ],
)
def test_quick_runs_the_chosen_demo_only(
    demo, shown, hidden, accuracy, full_epochs, capsys, recwarn
):
    assert main([demo, "--quick"]) == 0
    out = capsys.readouterr().out
    assert shown in out and hidden not in out
    # prints before it trains, then the loss curve and the final score
    assert out.index("training ...") < out.index("epoch")
    assert float(re.search(accuracy, out).group(1)) >= 0.95
    # fewer epochs than the full demo, and it stops on its own (no warning)
    last_epoch = int(re.findall(r"epoch +(\d+)", out)[-1])
    assert last_epoch < full_epochs / 2
    assert not [w for w in recwarn if "skbackprop" in w.filename]


@pytest.mark.slow  # a fresh interpreter or a whole workflow
def test_a_reader_that_goes_away_gets_no_traceback(tmp_path):
    """``python -m skbackprop | head -1``: the demo stops quietly when its
    reader closes the pipe (exit status 1, nothing on stderr)."""
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "skbackprop", "circles", "--quick"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path,
    )
    assert proc.stdout.readline().startswith(b"make_circles")
    proc.stdout.close()  # as head does after its line
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1
    assert err == b"", err.decode()

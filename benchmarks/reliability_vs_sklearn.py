"""Run the reliability battery against skbackprop and scikit-learn's MLP.

Every case of the battery (``tests/battery/``: input validation, targets,
kinds of input, parameters, sample and class weights, float32, divergence,
warm starts, partial_fit and other call sequences, persistence, callbacks,
threads, ONNX, gradcheck) is run on BackpropMLPClassifier/BackpropMLPRegressor,
and the cases that are not ``extra`` (skbackprop extensions such as
``class_weight``, callbacks, ``to_onnx``, ``gradcheck`` or its pickled
state) also on sklearn's MLPClassifier/MLPRegressor with the same
parameters.  Each outcome is put in one class:

* ``clear error``     -- the expected exception type, with the expected
  message (sklearn: its own wording where the case names ours);
* ``other error``     -- an exception that is not internal, but not the one
  expected (another message, e.g. blaming the data for a bad weight; or an
  error where the documented behaviour is a successful call);
* ``sensible``        -- the documented behaviour held;
* ``silent wrong``    -- an error was expected and nothing was said, the
  behaviour check failed (e.g. a model that differs from the reference, or
  an ONNX graph that does not run), non-finite weights or predictions were
  left behind, or the caller's inputs were mutated;
* ``internal crash``  -- an exception type that means "crashed inside"
  (ZeroDivisionError, KeyError, AttributeError, IndexError, TypeError,
  OverflowError, FloatingPointError) where another was expected, or an
  error raised deep inside numpy (e.g. ``matmul: ... mismatch``);
* ``hang``            -- no answer within ``--timeout`` seconds;
* ``RuntimeWarning``  -- numpy RuntimeWarnings escaped (whatever else
  happened, unless it crashed).

Usage::

    python benchmarks/reliability_vs_sklearn.py            # every case
    python benchmarks/reliability_vs_sklearn.py --summary  # counts only
    python benchmarks/reliability_vs_sklearn.py --markdown # README table
    python benchmarks/reliability_vs_sklearn.py --topic onnx --topic float32
"""

import argparse
import re
import sys
import threading
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.neural_network import MLPClassifier, MLPRegressor

_ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(_ROOT), str(_ROOT / "tests")]

from battery import runner  # noqa: E402
from battery.case import OURS  # noqa: E402
from battery.cases import CASES  # noqa: E402

# messages of errors raised deep inside numpy rather than by a check
_NUMPY_INTERNALS = (
    r"matmul: |operands could not be broadcast|cannot be interpreted as|"
    r"setting an array element with a sequence|cannot reshape array|"
    r"not aligned|non-broadcastable output"
)

SKLEARN = {"clf": MLPClassifier, "reg": MLPRegressor}

CLASSES = [
    "clear error",
    "other error",
    "sensible",
    "silent wrong",
    "internal crash",
    "hang",
    "RuntimeWarning",
]


def _non_finite(est, result):
    arrays = list(getattr(est, "coefs_", []) or []) + list(
        getattr(est, "intercepts_", []) or []
    )
    if isinstance(result, np.ndarray) and result.size and result.dtype.kind in "fc":
        arrays.append(result)
    return any(not np.isfinite(np.asarray(a, dtype=float)).all() for a in arrays)


def _error_class(exc, raises, match, sklearn):
    if raises is not None and isinstance(exc, raises):
        if re.search(_NUMPY_INTERNALS, str(exc)):
            return "internal crash"
        if match is not None and sklearn:
            match = match.replace("BackpropMLP", "MLP")
        if match is None or re.search(match, str(exc)):
            return "clear error"
        return "other error"
    if isinstance(exc, runner.INTERNAL) or re.search(_NUMPY_INTERNALS, str(exc)):
        return "internal crash"
    return "other error"


def classify(case, classes):
    """The outcome class of ``case`` run on ``classes``, and its exception."""
    out = runner.run_case(case, classes)
    runtime = any(issubclass(w.category, RuntimeWarning) for w in out.warnings)
    if out.exc is not None and runner.is_other_answer(case, out.exc):
        outcome = "clear error"
    elif out.exc is not None:
        outcome = _error_class(out.exc, case.raises, case.match, classes is SKLEARN)
        if case.raises is None and outcome == "clear error":
            outcome = "other error"
    elif case.raises is not None or out.mutated:
        outcome = "silent wrong"
    elif case.kind != "none" and _non_finite(out.est, out.result):
        outcome = "silent wrong"
    else:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if case.check is not None:
                    case.check(out.est, out.result, out.data)
            outcome = "sensible"
        except Exception:  # noqa: BLE001 - a failed check or a broken result
            outcome = "silent wrong"
    if runtime and outcome != "internal crash":
        outcome = "RuntimeWarning"
    return outcome, out.exc


def with_timeout(fn, timeout):
    """``fn()`` in a daemon thread; ``("hang", None)`` if it does not return."""
    box = {}

    def target():
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - a crash of the harness
            box["value"] = ("internal crash", exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        return "hang", None
    return box["value"]


def _detail(exc):
    if exc is None:
        return ""
    return f"{type(exc).__name__}: {str(exc).splitlines()[0][:60]}" if str(
        exc
    ) else type(exc).__name__


def run(timeout, topics=None):
    """``(topic, id, ours, theirs, detail)`` of every case (of ``topics``)."""
    rows = []
    for case in CASES:
        if topics and case.topic not in topics:
            continue
        ours, _ = with_timeout(lambda: classify(case, OURS), timeout)
        if case.extra:
            theirs, detail = "n/a (extension)", ""
        else:
            theirs, exc = with_timeout(lambda: classify(case, SKLEARN), timeout)
            detail = _detail(exc)
        rows.append((case.topic, case.id, ours, theirs, detail))
    return rows


def print_rows(rows):
    w = max(len(r[1]) for r in rows)
    t = max(len(r[0]) for r in rows)
    print(f"{'topic':<{t}}  {'case':<{w}}  {'skbackprop':<15}  {'sklearn':<16}  "
          "sklearn detail")
    print("-" * (w + t + 92))
    for topic, cid, ours, theirs, detail in rows:
        print(f"{topic:<{t}}  {cid:<{w}}  {ours:<15}  {theirs:<16}  {detail}")
    print()


def print_summary(rows, markdown):
    """Counts per outcome class: skbackprop on every case, skbackprop on the
    cases also run on sklearn, and sklearn."""
    common = [r for r in rows if r[3] != "n/a (extension)"]
    columns = [
        (f"skbackprop, all ({len(rows)})", Counter(r[2] for r in rows)),
        (f"skbackprop, common ({len(common)})", Counter(r[2] for r in common)),
        (f"sklearn ({len(common)})", Counter(r[3] for r in common)),
    ]
    if markdown:
        print("| outcome | " + " | ".join(h for h, _ in columns) + " |")
        print("|:---|" + "---:|" * len(columns))
        for cls in CLASSES:
            print(f"| {cls} | " + " | ".join(str(c[cls]) for _, c in columns) + " |")
    else:
        for h, counter in columns:
            summary = ", ".join(f"{cls}: {counter[cls]}" for cls in CLASSES
                                if counter[cls])
            print(f"{h:>36}  {summary}")
    print()
    n_common = sum(r[3] != "n/a (extension)" for r in rows)
    print(f"{len(rows)} cases; {n_common} also run on sklearn (the others "
          "exercise skbackprop extensions)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--summary", action="store_true",
                        help="only the counts, not every case")
    parser.add_argument("--markdown", action="store_true",
                        help="the counts as a markdown table")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds before a case counts as a hang")
    parser.add_argument("--topic", action="append", default=[],
                        help="only the cases of this topic (repeatable)")
    args = parser.parse_args(argv)
    rows = run(args.timeout, args.topic)
    if not args.summary and not args.markdown:
        print_rows(rows)
    print_summary(rows, args.markdown)


if __name__ == "__main__":
    main()

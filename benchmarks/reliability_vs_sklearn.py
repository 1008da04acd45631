"""Run the reliability battery against skbackprop and scikit-learn's MLP.

Every case of ``tests/test_reliability.py::CASES`` (bad input, misuse,
hostile data) is run on BackpropMLPClassifier/BackpropMLPRegressor and on
sklearn's MLPClassifier/MLPRegressor with the same parameters; cases that
exercise an extension of skbackprop (e.g. ``class_weight``) are skipped for
sklearn.  Each outcome is classified as

* ``clear error``   -- the expected exception type was raised, with the
  expected message (for a case with a documented behaviour: a ValueError);
* ``other wording`` -- the expected exception type, another message;
* ``ok``            -- the documented behaviour held;
* ``crash``         -- another exception type, or an error from deep inside
  numpy (e.g. ``matmul: ... mismatch``);
* ``RuntimeWarning``-- numpy RuntimeWarnings escaped (whatever else happened);
* ``NaN model``     -- non-finite weights or predictions were left behind;
* ``silent``        -- an error was expected and nothing was said;
* ``differs``       -- a documented-behaviour check did not hold.

Usage::

    python benchmarks/reliability_vs_sklearn.py
"""

import re
import sys
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.neural_network import MLPClassifier, MLPRegressor

_ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(_ROOT), str(_ROOT / "tests")]

from test_reliability import CASES, OURS, run_case  # noqa: E402

# messages of errors raised deep inside numpy rather than by a check
_NUMPY_INTERNALS = r"matmul: |operands could not be broadcast|cannot be interpreted as"

SKLEARN = {"clf": MLPClassifier, "reg": MLPRegressor}


def _non_finite(est, result):
    arrays = list(getattr(est, "coefs_", [])) + list(getattr(est, "intercepts_", []))
    if result is not None and isinstance(result, np.ndarray) and result.size:
        if result.dtype.kind in "fc":
            arrays.append(result)
    return any(not np.isfinite(a).all() for a in arrays)


def classify(case, classes):
    """Outcome of ``case`` run on the estimators ``classes``."""
    est, result, exc, rec = run_case(case, classes)
    runtime = any(issubclass(w.category, RuntimeWarning) for w in rec)
    if exc is not None:
        expected = case.raises or ValueError
        msg = str(exc)
        if not isinstance(exc, expected) or re.search(_NUMPY_INTERNALS, msg):
            outcome = "crash"
        elif case.match is None or re.search(
            case.match if classes is OURS else case.match.replace("BackpropMLP", "MLP"),
            msg,
        ):
            outcome = "clear error"
        else:
            outcome = "other wording"
        detail = f"{type(exc).__name__}: {str(exc).splitlines()[0][:60]}"
    else:
        detail = ""
        if _non_finite(est, result):
            outcome = "NaN model"
        elif case.raises is not None:
            outcome = "silent"
        else:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    case.check(est, result)
                outcome = "ok"
            except AssertionError:
                outcome = "differs"
    if runtime and outcome not in ("NaN model", "crash"):
        outcome = "RuntimeWarning"
    return outcome, detail


def main():
    rows = []
    totals = {"skbackprop": Counter(), "sklearn": Counter()}
    for case in CASES:
        ours, _ = classify(case, OURS)
        totals["skbackprop"][ours] += 1
        if case.extra:
            theirs, detail = "n/a (extension)", ""
        else:
            theirs, detail = classify(case, SKLEARN)
            totals["sklearn"][theirs] += 1
        rows.append((case.id, ours, theirs, detail))

    w = max(len(r[0]) for r in rows)
    print(f"{'case':<{w}}  {'skbackprop':<15}  {'sklearn':<16}  sklearn detail")
    print("-" * (w + 80))
    for cid, ours, theirs, detail in rows:
        print(f"{cid:<{w}}  {ours:<15}  {theirs:<16}  {detail}")
    print()
    n_common = sum(not c.extra for c in CASES)
    print(f"{len(CASES)} cases ({n_common} also run on sklearn)")
    for lib, counter in totals.items():
        summary = ", ".join(f"{k}: {v}" for k, v in counter.most_common())
        print(f"{lib:>10}: {summary}")


if __name__ == "__main__":
    main()

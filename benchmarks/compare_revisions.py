"""Time the same workloads on two revisions of skbackprop, interleaved.

For refactors and optimisations: each repeat runs every revision once, in a
fresh interpreter, alternating, and the best time per revision is kept, so
that machine load hits both alike.  Revisions are git revisions of this
repository (exported to temporary folders) or ``WORKTREE`` for the checkout
itself::

    python benchmarks/compare_revisions.py 7c35868 WORKTREE --repeats 5
    python benchmarks/compare_revisions.py HEAD~1 HEAD --workloads small

Workloads are those of ``benchmarks/run.py`` (training time per epoch, float64
and float32) plus ``predict`` (predict_proba of the large model).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHILD = r"""
import json, sys, time, warnings
import numpy as np
sys.path[:0] = [sys.argv[1], sys.argv[2]]
from run import SPECS, load  # the revision's own run.py (it imports its package)
import skbackprop
assert skbackprop.__file__.startswith(sys.argv[1]), skbackprop.__file__
from sklearn.exceptions import ConvergenceWarning
from skbackprop import BackpropMLPClassifier
name, dtype = sys.argv[3], np.dtype(sys.argv[4])
spec = SPECS["large" if name == "predict" else name]
X, y = load("large" if name == "predict" else name)
X = X.astype(dtype)
epochs = 1 if name == "predict" else spec[3]
est = BackpropMLPClassifier(hidden_layer_sizes=spec[1], batch_size=spec[2],
                            max_iter=epochs, random_state=0, tol=0.0,
                            n_iter_no_change=10**9)
warnings.simplefilter("ignore", ConvergenceWarning)
est.fit(X, y)  # warm-up: imports, compiled loops (as the timed fits use them)
best = float("inf")
for _ in range(2):
    start = time.perf_counter()
    if name == "predict":
        est.predict_proba(X)
    else:
        est.fit(X, y)
    best = min(best, (time.perf_counter() - start) / epochs)
print(json.dumps({"seconds": best, "loss": None if name == "predict" else est.loss_}))
"""


def export(revision, tmp):
    if revision == "WORKTREE":
        return str(ROOT)
    out = Path(tmp) / revision.replace("/", "_").replace("~", "-")
    out.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(out)], input=archive, check=True)
    return str(out)


def run(tree, workload, dtype):
    env = dict(os.environ, PYTHONPATH="")
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, tree, str(Path(tree) / "benchmarks"),
         workload, dtype],
        capture_output=True, text=True, env=env, check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("revisions", nargs=2)
    parser.add_argument("--workloads", default="large,medium,small,predict")
    parser.add_argument("--dtypes", default="float64,float32")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        trees = [export(r, tmp) for r in args.revisions]
        print(f"| workload | dtype | {args.revisions[0]} ms | "
              f"{args.revisions[1]} ms | ratio | same loss |")
        print("|---|---|---:|---:|---:|---|")
        for workload in args.workloads.split(","):
            for dtype in args.dtypes.split(","):
                best = [float("inf")] * 2
                losses = [None, None]
                for _ in range(args.repeats):
                    for i, tree in enumerate(trees):
                        out = run(tree, workload, dtype)
                        best[i] = min(best[i], out["seconds"])
                        losses[i] = out["loss"]
                print(f"| {workload} | {dtype} | {1e3 * best[0]:.1f} | "
                      f"{1e3 * best[1]:.1f} | {best[1] / best[0]:.3f} | "
                      f"{losses[0] == losses[1]} |", flush=True)


if __name__ == "__main__":
    main()

"""The whole load_digits fit in a fresh process, against scikit-learn's.

What a user running one script pays: each run is a new interpreter that
loads the data (``load_digits``, divided by 16 as in the other benchmarks;
``--raw``: as loaded), then starts the clock, imports the estimator
(``import skbackprop``, and whatever the fit loads: numba and its cached
compiled code where used) and fits ``hidden_layer_sizes=(100,)``,
``solver="adam"`` at every other default (``max_iter=200``, ``tol=1e-4``,
batch 200), ``random_state=0``.  The runs alternate (ours, scikit-learn's,
ours, ...) and the best of ``--repeats`` is kept for each, so machine load
hits both alike.  The load average is printed with the figures.  One
untimed run of each comes first, and bytecode is cached (under a temporary
``PYTHONPYCACHEPREFIX``, even where ``PYTHONDONTWRITEBYTECODE`` is set): an
installed package has its ``.pyc`` files, as scikit-learn's have, and numba
its disk cache after the first run.

Other source trees of skbackprop (a git revision, exported, or a folder)
can run in the same rotation, for an old-against-new comparison::

    python benchmarks/fresh_process.py                    # best of 5
    python benchmarks/fresh_process.py --raw --repeats 7
    python benchmarks/fresh_process.py --revision main    # main, this tree, sklearn

The *products alone* line is the physical floor of any engine that calls
the same BLAS: the time of the fit's matrix products only (forward
``X W_1``, ``A_1 W_2``; backward ``A_1^T D_2``, ``D_2 W_2^T``, ``X^T D_1``,
at the shapes of every batch of every epoch the fit ran), in a process of
its own, best of the repeats.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHILD = r"""
import json, sys, time, warnings
tree, who, raw = sys.argv[1], sys.argv[2], sys.argv[3] == "raw"
max_iter = int(sys.argv[4])
if tree:
    sys.path.insert(0, tree)
import numpy as np
from sklearn.datasets import load_digits
X, y = load_digits(return_X_y=True)
X = X if raw else X / 16
warnings.simplefilter("ignore")  # max_iter=200 ends before tol on X / 16
start = time.perf_counter()
if who == "sklearn":
    from sklearn.neural_network import MLPClassifier as Estimator
else:
    import skbackprop
    assert skbackprop.__file__.startswith(tree), skbackprop.__file__
    from skbackprop import BackpropMLPClassifier as Estimator
imported = time.perf_counter()
est = Estimator(hidden_layer_sizes=(100,), solver="adam", random_state=0,
                max_iter=max_iter).fit(X, y)
end = time.perf_counter()
print(json.dumps({"seconds": end - start, "import": imported - start,
                  "n_iter": est.n_iter_, "loss": est.loss_,
                  "numba": "numba" in sys.modules}))
"""


_PRODUCTS = r"""
import json, sys, time
import numpy as np
n_rows, epochs, batch = int(sys.argv[1]), int(sys.argv[2]), 200
rng = np.random.default_rng(0)
X, W1, W2 = rng.random((batch, 64)), rng.random((64, 100)), rng.random((100, 10))
A1, D1, D2 = rng.random((batch, 100)), rng.random((batch, 100)), rng.random((batch, 10))
Z2, G1, G2 = np.empty((batch, 10)), np.empty((64, 100)), np.empty((100, 10))
sizes = [min(batch, n_rows - s) for s in range(0, n_rows, batch)]
start = time.perf_counter()
for _ in range(epochs):
    for m in sizes:
        np.matmul(X[:m], W1, out=A1[:m])
        np.matmul(A1[:m], W2, out=Z2[:m])
        np.matmul(A1[:m].T, D2[:m], out=G2)
        np.matmul(D2[:m], W2.T, out=D1[:m])
        np.matmul(X[:m].T, D1[:m], out=G1)
print(json.dumps({"seconds": time.perf_counter() - start}))
"""


def export(revision, tmp):
    """The files of git ``revision`` of this repository in a new folder."""
    out = Path(tmp) / revision.replace("/", "_").replace("~", "-")
    out.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(out)], input=archive, check=True)
    return str(out)


def run_once(tree, raw, pycache, max_iter):
    """One fresh process; its timings as a dict."""
    env = dict(os.environ, PYTHONPATH="", PYTHONPYCACHEPREFIX=pycache)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, tree or "", "sklearn" if tree is None
         else "ours", "raw" if raw else "scaled", str(max_iter)],
        capture_output=True, text=True, env=env, check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def products_alone(n_iter, repeats):
    """Best time of the fit's matrix products alone (see above)."""
    best = float("inf")
    for _ in range(repeats):
        proc = subprocess.run([sys.executable, "-c", _PRODUCTS, "1797", str(n_iter)],
                              capture_output=True, text=True, check=True)
        best = min(best, json.loads(proc.stdout.strip().splitlines()[-1])["seconds"])
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--raw", action="store_true",
                        help="load_digits as loaded (0..16), not divided by 16")
    parser.add_argument("--max-iter", type=int, default=200,
                        help="the estimators' max_iter (default: theirs, 200)")
    parser.add_argument("--revision", action="append", default=[],
                        help="a git revision to run too (repeatable)")
    parser.add_argument("--pause", type=float, default=0.3,
                        help="seconds between runs (BLAS threads stop spinning)")
    args = parser.parse_args(argv)
    print(f"load average before: {os.getloadavg()}, "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")
    with tempfile.TemporaryDirectory() as tmp:
        contenders = {f"skbackprop {rev}": export(rev, tmp) for rev in args.revision}
        contenders["skbackprop (this tree)"] = str(ROOT)
        contenders["scikit-learn"] = None
        pycache = str(Path(tmp) / "pycache")
        for tree in contenders.values():  # bytecode and numba's cache
            run_once(tree, args.raw, pycache, args.max_iter)
        best = {name: None for name in contenders}
        for _ in range(args.repeats):
            for name, tree in contenders.items():
                time.sleep(args.pause)
                result = run_once(tree, args.raw, pycache, args.max_iter)
                if best[name] is None or result["seconds"] < best[name]["seconds"]:
                    best[name] = result
    print(f"load average after: {os.getloadavg()}")
    data = "load_digits" + ("" if args.raw else " / 16")
    print(f"{data}, (100,), adam, defaults; best of {args.repeats} fresh "
          "processes, interleaved (import + fit, seconds):")
    sklearn = best["scikit-learn"]["seconds"]
    for name, result in best.items():
        numba = "loaded" if result["numba"] else "not loaded"
        print(f"  {name:28s} {result['seconds']:.3f} s (import "
              f"{result['import']:.3f} s; {result['n_iter']} epochs, loss "
              f"{result['loss']:.6g}, numba {numba})"
              f"  sklearn/this {sklearn / result['seconds']:.2f}x")
    floor = products_alone(best["scikit-learn"]["n_iter"], args.repeats)
    print(f"  {'products alone':28s} {floor:.3f} s  sklearn/this "
          f"{sklearn / floor:.2f}x (the floor of any engine on this BLAS)")


if __name__ == "__main__":
    main()

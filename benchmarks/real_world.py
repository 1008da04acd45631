"""Benchmark the fits users actually run, against scikit-learn's MLP.

Workloads (ratios measured side by side, interleaved, best of the repeats):

* ``dataframe`` -- a generated stand-in for real tabular data: a pandas
  DataFrame of 5822 x 85 mixed-scale columns (make_classification, columns
  scaled over six decades), ``to_numpy()`` (Fortran-ordered, as pandas gives
  it) then ``StandardScaler``; adam at default settings, 30 epochs.  Also the
  same array made C-ordered first, for the Fortran/C ratio.
* ``lbfgs`` -- L-BFGS as scikit-learn advises for small data: scaled
  load_breast_cancer and load_digits / 16, hidden (100,), 50 iterations.
* ``small`` -- the origin tutorial's make_circles network, hidden (4, 3),
  batch 32, adam, 60 epochs; and load_digits / 16, hidden (100,), adam (batch
  'auto' = 200), 40 epochs (ms per epoch).
* ``predict`` -- ``predict_proba`` of one row (a fitted load_digits model,
  the time per call of many calls) and of 60000 rows.

The BLAS thread pools (threadpoolctl) are printed, and so are the settings
skbackprop chooses inside a fit (``SKBACKPROP_BLAS_THREADS`` overrides them).

Usage::

    python benchmarks/real_world.py                  # best of 5
    python benchmarks/real_world.py --repeats 3 --workloads lbfgs,predict
    python benchmarks/real_world.py --markdown       # table for the README
"""

import argparse
import os
import platform
import sys
import time
import timeit
import warnings
from pathlib import Path

import numpy as np
import sklearn
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    make_circles,
    make_classification,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from skbackprop import BackpropMLPClassifier  # noqa: E402

WORKLOADS = ("dataframe", "lbfgs", "small", "predict")


def dataframe_data():
    import pandas as pd

    X, y = make_classification(
        n_samples=5822, n_features=85, n_informative=20, weights=[0.94],
        random_state=0,
    )
    scales = np.logspace(-2, 4, X.shape[1])
    frame = pd.DataFrame(X * scales, columns=[f"f{i}" for i in range(85)])
    X_f = StandardScaler().fit_transform(frame.to_numpy())
    return X_f, np.ascontiguousarray(X_f), y


def fit_seconds(cls, X, y, **params):
    est = cls(random_state=0, **params)
    start = time.perf_counter()
    est.fit(X, y)
    return time.perf_counter() - start, est


def interleaved(runs, repeats, pause=0.3):
    """Best time of each named run, the runs interleaved in each repeat.

    A pause before each run lets the BLAS threads of the previous one stop
    spinning (OpenBLAS's busy-wait lasts about 0.1 s), so that no run pays
    for its predecessor's threads.
    """
    best = {name: np.inf for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            time.sleep(pause)
            best[name] = min(best[name], run())
    return best


def ours_versus_sklearn(X, y, params, repeats):
    """Best fit times of both estimators with ``params``, interleaved."""
    return interleaved({
        "ours": lambda: fit_seconds(BackpropMLPClassifier, X, y, **params)[0],
        "sklearn": lambda: fit_seconds(MLPClassifier, X, y, **params)[0],
    }, repeats)


def bench_dataframe(repeats):
    X_f, X_c, y = dataframe_data()
    assert X_f.flags.f_contiguous and not X_f.flags.c_contiguous
    runs = {
        "ours F": lambda: fit_seconds(BackpropMLPClassifier, X_f, y, max_iter=30)[0],
        "ours C": lambda: fit_seconds(BackpropMLPClassifier, X_c, y, max_iter=30)[0],
        "sklearn F": lambda: fit_seconds(MLPClassifier, X_f, y, max_iter=30)[0],
    }
    t = interleaved(runs, repeats)
    return [
        ("DataFrame 5822x85 (F-ordered), adam, 30 epochs", t["ours F"],
         t["sklearn F"]),
        ("  same array made C-ordered first (ours F / ours C: "
         f"{t['ours F'] / t['ours C']:.2f})", t["ours C"], None),
    ]


def bench_lbfgs(repeats):
    X_b, y_b = load_breast_cancer(return_X_y=True)
    X_b = StandardScaler().fit_transform(X_b)
    X_d, y_d = load_digits(return_X_y=True)
    rows = []
    for name, X, y in (("load_breast_cancer", X_b, y_b),
                       ("load_digits", X_d / 16, y_d)):
        params = dict(hidden_layer_sizes=(100,), solver="lbfgs", max_iter=50)
        t = ours_versus_sklearn(X, y, params, repeats)
        rows.append((f"{name}, (100,), lbfgs, 50 iterations", t["ours"], t["sklearn"]))
    return rows


def bench_small(repeats):
    X_c, y_c = make_circles(n_samples=1000, noise=0.1, factor=0.5, random_state=0)
    X_d, y_d = load_digits(return_X_y=True)
    rows = []
    for name, X, y, params, epochs in (
        ("make_circles 1000, (4, 3), batch 32, adam", X_c, y_c,
         dict(hidden_layer_sizes=(4, 3), batch_size=32), 60),
        ("load_digits, (100,), adam", X_d / 16, y_d,
         dict(hidden_layer_sizes=(100,)), 40),
    ):
        params = dict(params, max_iter=epochs, tol=0.0, n_iter_no_change=10**6)
        t = ours_versus_sklearn(X, y, params, repeats)
        rows.append((f"{name}, ms per epoch", t["ours"] / epochs,
                     t["sklearn"] / epochs))
    return rows


def bench_predict(repeats):
    X, y = load_digits(return_X_y=True)
    X = X / 16
    ours = fit_seconds(BackpropMLPClassifier, X, y, max_iter=20)[1]
    theirs = fit_seconds(MLPClassifier, X, y, max_iter=20)[1]
    row = X[:1].copy()
    big = np.resize(X, (60000, X.shape[1]))
    n = 2000

    def per_call(est, data, number):
        return lambda: timeit.timeit(lambda: est.predict_proba(data),
                                     number=number) / number

    one = interleaved({"ours": per_call(ours, row, n),
                       "sklearn": per_call(theirs, row, n)}, repeats)
    many = interleaved({"ours": per_call(ours, big, 3),
                        "sklearn": per_call(theirs, big, 3)}, repeats)
    return [("predict_proba, 1 row (load_digits model)", one["ours"], one["sklearn"]),
            ("predict_proba, 60000 rows", many["ours"], many["sklearn"])]


AVX512_KERNELS = ("SkylakeX", "Cooperlake", "SapphireRapids")
"""OpenBLAS's kernel sets that use AVX-512."""


def blas_kernel_note():
    """A line saying that OpenBLAS runs kernels older than the CPU (None
    when it does not, or when that cannot be told).

    ``OPENBLAS_CORETYPE`` in the environment overrides OpenBLAS's choice:
    with ``Haswell`` on an AVX-512 machine the matrix products take about
    1.6 times as long, for both libraries, which moves every ratio.
    """
    from threadpoolctl import threadpool_info

    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None
    if " avx512f" not in cpuinfo:
        return None
    older = sorted({
        str(info.get("architecture")) for info in threadpool_info()
        if info.get("internal_api") == "openblas"
        and info.get("architecture") not in AVX512_KERNELS
    })
    if not older:
        return None
    coretype = os.environ.get("OPENBLAS_CORETYPE")
    why = f"OPENBLAS_CORETYPE={coretype} is set" if coretype else "its own choice"
    return (f"note: this CPU has AVX-512 but OpenBLAS runs its {', '.join(older)} "
            f"kernels ({why}); OPENBLAS_CORETYPE=SkylakeX selects its AVX-512 "
            "ones. Compare figures only between runs on the same kernels.")


def print_environment():
    from threadpoolctl import threadpool_info

    from skbackprop import _blas_threads

    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"scikit-learn {sklearn.__version__}, {platform.platform()}")
    for info in threadpool_info():
        print(f"  {info['user_api']}: {info['internal_api']} {info.get('version')}"
              f" ({info['filepath'].rsplit('/', 1)[-1]}), "
              f"{info['num_threads']} threads")
    ours, others = _blas_threads._find_blas_libraries()
    print("inside an L-BFGS fit, the other BLAS pools "
          f"({len(others)}) get 1 thread, and numpy's too for products below "
          f"{_blas_threads.LBFGS_THREADED_FLOPS:.0e} flops per pass; the "
          "stochastic solvers leave every pool as it is")
    note = blas_kernel_note()
    if note:
        print(note)


def render(rows, markdown):
    header = ("workload", "skbackprop", "scikit-learn", "speed-up")
    lines = []
    for name, ours, theirs in rows:
        unit, scale = ("µs", 1e6) if ours < 1e-3 else ("ms", 1e3)
        speed = "" if theirs is None else f"{theirs / ours:.2f}x"
        lines.append((name, f"{ours * scale:.1f} {unit}",
                      "" if theirs is None else f"{theirs * scale:.1f} {unit}", speed))
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("|---|---:|---:|---:|")
        for line in lines:
            print("| " + " | ".join(line) + " |")
    else:
        widths = [max(len(r[i]) for r in [header, *lines]) for i in range(4)]
        for line in [header, *lines]:
            print("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                            for i, (c, w) in enumerate(zip(line, widths))))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)
    print_environment()
    benches = {"dataframe": bench_dataframe, "lbfgs": bench_lbfgs,
               "small": bench_small, "predict": bench_predict}
    rows = []
    for name in args.workloads.split(","):
        rows += benches[name](args.repeats)
    print()
    render(rows, args.markdown)


if __name__ == "__main__":
    main()

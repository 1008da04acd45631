"""Benchmark skbackprop's MLPClassifier against scikit-learn (and PyTorch).

What it measures, for each workload and for float64 and float32:

* **ms/epoch** of ``skbackprop.BackpropMLPClassifier.fit``, of
  ``sklearn.neural_network.MLPClassifier.fit`` (same parameters: adam,
  ``tol=0``, ``alpha=1e-4``, ``random_state=0``, no early exit) and, if
  ``import torch`` works, of an equivalent PyTorch loop (``nn.Sequential`` of
  ``Linear`` + ``ReLU``, ``CrossEntropyLoss``, ``torch.optim.Adam`` with the
  same learning rate, betas, eps and batch size, a ``randperm`` shuffle each
  epoch, ``torch.set_num_threads(2)``, ``OMP_WAIT_POLICY=PASSIVE`` unless set
  otherwise; no L2 penalty).  ms/epoch is the
  whole ``fit`` time divided by ``max_iter``.  The competitors are run
  interleaved (repeat 1: ours, sklearn, torch; repeat 2: ...) and the best of
  the repeats is reported.
* the ratios sklearn/ours and torch/ours (> 1 means skbackprop is faster);
* the achieved **GFLOP/s** of skbackprop.  An epoch over ``N`` samples of an
  MLP with layer sizes ``n0..nL`` costs ``2N * (3 * sum_k n_{k-1} n_k -
  n0 n1)`` flops (forward, weight gradient, input gradient -- the latter is
  not needed for the first layer);
* the **% of matmul limit**: the time of the epoch's matrix products alone
  (numpy matmuls of the training batches' shapes -- ``a @ W``, ``a.T @
  delta``, ``delta @ W.T`` for every layer -- for every batch of an epoch,
  timed in each repeat beside the fits, best of the repeats) divided by
  skbackprop's epoch time.  The GFLOP/s of a square 1024 x 1024 matmul is
  printed for reference;
* the **peak memory** (``tracemalloc``, which numpy reports its allocations
  to) of one separate, untimed ``fit`` of skbackprop and of sklearn;
* the ``predict_proba`` throughput on the fitted ``large`` model over its
  60000 rows (ms per call, rows/s), with a ``torch.no_grad()`` forward pass +
  softmax for torch.

Workloads: ``large`` (make_classification, 60000 x 784, 10 classes, hidden
(256, 128), batch 256, 3 epochs), ``medium`` (digits / 16, hidden (100,),
batch 200, 40 epochs), ``small`` (make_circles, 1000 samples, hidden (4, 3),
batch 32, 40 epochs) and ``predict``; then ``real_world``: the fits users
run (a Fortran-ordered DataFrame, L-BFGS on small data, small networks,
one-row ``predict_proba``, with the BLAS thread pools), measured by
``benchmarks/real_world.py`` (which also runs on its own) with the same
repeats.

Usage (the optional dependencies come with the ``bench`` extra,
``pip install -e ".[bench]"``)::

    python benchmarks/run.py                 # full run, best of 3
    python benchmarks/run.py --quick         # 1 repeat, fewer epochs (< 3 min)
    python benchmarks/run.py --workloads large,predict --repeats 5
    python benchmarks/run.py --workloads real_world   # the fits users run
    python benchmarks/run.py --no-torch --markdown   # table for the README
"""

import argparse
import gc
import os
import platform
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import sklearn
from sklearn.datasets import load_digits, make_circles, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import skbackprop  # noqa: E402
from skbackprop import BackpropMLPClassifier
from skbackprop._engine import kernels as _kernels  # noqa: E402

# torch's OpenMP threads busy-wait between parallel regions by default; on a
# machine with few cores that steals the CPU from BLAS (and from other
# processes) and makes torch's small-batch timings erratic.  Let them sleep.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

try:
    import torch  # noqa: E402
except ImportError:  # torch is optional (the ``bench`` extra)
    torch = None

try:
    from threadpoolctl import threadpool_info  # noqa: E402
except ImportError:  # threadpoolctl is optional (the ``bench`` extra)
    threadpool_info = None

WORKLOADS = ("large", "medium", "small", "predict", "real_world")
DTYPES = (np.float64, np.float32)
MIB = 2.0**20
# the leading columns of the training and predict tables
COMPARED = [
    "workload",
    "dtype",
    "ours ms",
    "sklearn ms",
    "torch ms",
    "sklearn/ours",
    "torch/ours",
]


# --------------------------------------------------------------------- data


def _large():
    X, y = make_classification(
        n_samples=60000,
        n_features=784,
        n_informative=50,
        n_classes=10,
        random_state=0,
    )
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    return X, y


def _medium():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


def _small():
    return make_circles(n_samples=1000, noise=0.1, factor=0.5, random_state=0)


# name -> (loader, hidden_layer_sizes, batch_size, max_iter, max_iter in --quick)
SPECS = {
    "large": (_large, (256, 128), 256, 3, 1),
    "medium": (_medium, (100,), 200, 40, 10),
    "small": (_small, (4, 3), 32, 40, 10),
}

_DATA = {}


def load(name):
    if name not in _DATA:
        _DATA[name] = SPECS[name][0]()
    return _DATA[name]


# ------------------------------------------------------------- competitors


def make_params(hidden, batch_size, max_iter):
    return dict(
        hidden_layer_sizes=hidden,
        activation="relu",
        solver="adam",
        alpha=1e-4,
        batch_size=batch_size,
        learning_rate_init=1e-3,
        max_iter=max_iter,
        tol=0.0,
        n_iter_no_change=10**6,
        shuffle=True,
        random_state=0,
    )


def fit_estimator(cls, X, y, params):
    """Fit ``cls(**params)``; return (seconds, fitted estimator)."""
    est = cls(**params)
    gc.collect()
    t0 = time.perf_counter()
    est.fit(X, y)
    return time.perf_counter() - t0, est


def torch_dtype(dtype):
    return torch.float64 if dtype == np.float64 else torch.float32


def torch_mlp(n_features, hidden, n_classes):
    """The torch equivalent of the benchmarked network: ``Linear`` + ``ReLU``
    per hidden layer, then a ``Linear`` output (softmax in the loss)."""
    sizes = [n_features, *hidden]
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(n_in, n_out), torch.nn.ReLU()]
    layers.append(torch.nn.Linear(sizes[-1], n_classes))
    return torch.nn.Sequential(*layers)


def fit_torch(X, y, hidden, batch_size, max_iter, dtype):
    """Train the equivalent torch MLP; return (seconds, model)."""
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    Xt = torch.from_numpy(np.ascontiguousarray(X, dtype=dtype))
    yt = torch.from_numpy(np.unique(y, return_inverse=True)[1].astype(np.int64))
    n_classes = int(yt.max()) + 1
    gc.collect()
    t0 = time.perf_counter()
    model = torch_mlp(X.shape[1], hidden, n_classes).to(torch_dtype(dtype))
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.Adam(
        model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0
    )
    n = Xt.shape[0]
    for _ in range(max_iter):
        perm = torch.randperm(n, generator=gen)
        for start in range(0, n, batch_size):
            idx = perm[start : start + batch_size]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(Xt[idx]), yt[idx])
            loss.backward()
            opt.step()
    return time.perf_counter() - t0, model


def peak_fit_memory(cls, X, y, params):
    """Peak tracemalloc'd bytes during one (untimed) fit."""
    est = cls(**params)
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        est.fit(X, y)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# ------------------------------------------------------------ flops, limits


def layer_sizes(n_features, hidden, n_classes):
    # sklearn's (and our) convention: one logistic output for 2 classes
    return [n_features, *hidden, 1 if n_classes == 2 else n_classes]


def epoch_flops(sizes, n):
    prods = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    return 2.0 * n * (3 * prods - sizes[0] * sizes[1])


def _batch_products(sizes, b, dtype):
    """A function doing one batch's matrix products on operands of its own."""
    rng = np.random.default_rng(0)
    ops = []
    for k in range(1, len(sizes)):
        n_in, n_out = sizes[k - 1], sizes[k]
        a = rng.standard_normal((b, n_in)).astype(dtype)
        W = rng.standard_normal((n_in, n_out)).astype(dtype)
        d = rng.standard_normal((b, n_out)).astype(dtype)
        outs = (
            np.empty((b, n_out), dtype),
            np.empty((n_in, n_out), dtype),
            np.empty((b, n_in), dtype),
        )
        ops.append((a, W, d, outs, k > 1))

    def one_batch():
        for a, W, d, (z, gW, ga), need_input_grad in ops:
            np.matmul(a, W, out=z)
            np.matmul(a.T, d, out=gW)
            if need_input_grad:
                np.matmul(d, W.T, out=ga)

    one_batch()  # warm-up
    return one_batch


def matmul_epoch_seconds(sizes, n, batch_size, dtype):
    """Time of an epoch's matrix products alone (the 'matmul limit').

    All of an epoch's batches, timed as one run like a training epoch, so
    that taking the best of the interleaved repeats treats both alike.
    """
    full, rest = divmod(n, batch_size)
    batch = _batch_products(sizes, batch_size, dtype)
    last = _batch_products(sizes, rest, dtype) if rest else None
    t0 = time.perf_counter()
    for _ in range(full):
        batch()
    if last is not None:
        last()
    return time.perf_counter() - t0


def square_gemm_gflops(dtype, n=1024, reps=10):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(dtype)
    b = rng.standard_normal((n, n)).astype(dtype)
    c = np.empty((n, n), dtype)
    np.matmul(a, b, out=c)
    best = np.inf
    for _ in range(reps):
        t0 = time.perf_counter()
        np.matmul(a, b, out=c)
        best = min(best, time.perf_counter() - t0)
    return 2.0 * n**3 / best / 1e9


# ------------------------------------------------------------------ output


def fmt(x, spec=".1f"):
    """``x`` formatted, "-" for a missing or non-finite value."""
    if x is None or not np.isfinite(x):
        return "-"
    return format(x, spec)


def render(title, headers, rows, markdown):
    print()
    if markdown:
        print(f"**{title}**")
        print()
        print("| " + " | ".join(headers) + " |")
        print("|" + "|".join([":---"] * 2 + ["---:"] * (len(headers) - 2)) + "|")
        for row in rows:
            print("| " + " | ".join(row) + " |")
    else:
        print(title)
        widths = [
            max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)
        ]
        line = "  ".join(
            h.ljust(w) if i < 2 else h.rjust(w)
            for i, (h, w) in enumerate(zip(headers, widths))
        )
        print(line)
        print("-" * len(line))
        for row in rows:
            print(
                "  ".join(
                    c.ljust(w) if i < 2 else c.rjust(w)
                    for i, (c, w) in enumerate(zip(row, widths))
                )
            )


def print_environment(use_torch):
    print("skbackprop benchmark")
    print(f"python {platform.python_version()} on {platform.platform()}")
    print(
        f"numpy {np.__version__}, scikit-learn {sklearn.__version__}, "
        f"skbackprop {getattr(skbackprop, '__version__', '?')}, torch "
        + (torch.__version__ if use_torch else "not used")
    )
    print(f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}, "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')}")
    if _kernels.numba_available():
        import numba

        print(
            f"numba {numba.__version__}: fused loops on for networks of >= "
            f"{_kernels.MIN_PARAMS} parameters (SKBACKPROP_NUMBA=0 turns them off)"
        )
    else:
        print("fused loops off (numba not installed, or SKBACKPROP_NUMBA=0)")
    if threadpool_info is None:
        print("threadpoolctl not installed: no thread-pool information")
        return
    for info in threadpool_info():
        print(
            f"  {info.get('user_api')}: internal_api={info.get('internal_api')} "
            f"version={info.get('version')} num_threads={info.get('num_threads')} "
            f"architecture={info.get('architecture', '-')} "
            f"({info.get('prefix')})"
        )
    import real_world  # benchmarks/, beside this script

    note = real_world.blas_kernel_note()
    if note:
        print(note)


# -------------------------------------------------------------------- main


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--quick",
        action="store_true",
        help="1 repeat, max_iter 1 (large) / 10 (medium, small)",
    )
    p.add_argument("--repeats", type=int, default=None, help="best of R (default 3)")
    p.add_argument(
        "--workloads",
        default=",".join(WORKLOADS),
        help=f"comma-separated subset of {','.join(WORKLOADS)}",
    )
    p.add_argument("--no-torch", action="store_true", help="skip the torch runs")
    p.add_argument("--markdown", action="store_true", help="print Markdown tables")
    args = p.parse_args(argv)
    args.workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]
    unknown = sorted(set(args.workloads) - set(WORKLOADS))
    if unknown:
        p.error(f"unknown workload(s) {unknown}; choose from {WORKLOADS}")
    if args.repeats is None:
        args.repeats = 1 if args.quick else 3
    if args.repeats < 1:
        p.error("--repeats must be >= 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    np.random.seed(0)
    use_torch = torch is not None and not args.no_torch
    if use_torch:
        torch.manual_seed(0)
        torch.set_num_threads(2)
    warnings.simplefilter("ignore", ConvergenceWarning)
    print_environment(use_torch)
    mode = "quick" if args.quick else "full"
    print(f"mode: {mode}, best of {args.repeats} interleaved repeat(s)")
    for dtype in DTYPES:
        gf = square_gemm_gflops(dtype)
        print(f"square 1024x1024 matmul peak, {np.dtype(dtype).name}: {gf:.1f} GFLOP/s")

    # warm-up (imports, BLAS thread start-up) so that --quick's single
    # repeat does not time first-call overheads
    Xw, yw = load("small")
    # and a network large enough to load the fused loops (numba), if any
    Xl = np.random.default_rng(0).standard_normal((300, 200))
    yl = np.arange(300) % 10
    for dtype in DTYPES:
        params = make_params((4, 3), 32, 1)
        fit_estimator(BackpropMLPClassifier, Xw.astype(dtype), yw, params)
        fit_estimator(MLPClassifier, Xw.astype(dtype), yw, params)
        fit_estimator(
            BackpropMLPClassifier, Xl.astype(dtype), yl, make_params((200,), 64, 1)
        )
        if use_torch:
            fit_torch(Xw, yw, (4, 3), 32, 1, dtype)

    train_rows, mem_rows, fitted = [], [], {}
    for name in [w for w in args.workloads if w in SPECS]:
        _, hidden, batch_size, max_iter, quick_iter = SPECS[name]
        max_iter = quick_iter if args.quick else max_iter
        X, y = load(name)
        n = X.shape[0]
        sizes = layer_sizes(X.shape[1], hidden, len(np.unique(y)))
        params = make_params(hidden, batch_size, max_iter)
        for dtype in DTYPES:
            Xd = np.ascontiguousarray(X, dtype=dtype)
            dname = np.dtype(dtype).name
            print(f"running {name} {dname} ...", file=sys.stderr, flush=True)
            best = {"ours": np.inf, "sklearn": np.inf, "torch": np.inf}
            best["limit"] = np.inf
            for _ in range(args.repeats):
                t, ours = fit_estimator(BackpropMLPClassifier, Xd, y, params)
                best["ours"] = min(best["ours"], t)
                t, skl = fit_estimator(MLPClassifier, Xd, y, params)
                best["sklearn"] = min(best["sklearn"], t)
                tm = None
                if use_torch:
                    t, tm = fit_torch(X, y, hidden, batch_size, max_iter, dtype)
                    best["torch"] = min(best["torch"], t)
                best["limit"] = min(
                    best["limit"],
                    max_iter * matmul_epoch_seconds(sizes, n, batch_size, dtype),
                )
            if name == "large":
                fitted[dtype] = (ours, skl, tm)
            ms = {k: v / max_iter * 1e3 for k, v in best.items()}
            flops = epoch_flops(sizes, n)
            limit_ms = ms["limit"]
            train_rows.append(
                [
                    name,
                    dname,
                    fmt(ms["ours"]),
                    fmt(ms["sklearn"]),
                    fmt(ms["torch"]),
                    fmt(ms["sklearn"] / ms["ours"], ".2f"),
                    fmt(ms["torch"] / ms["ours"], ".2f"),
                    fmt(flops / (ms["ours"] * 1e-3) / 1e9, ".2f"),
                    fmt(limit_ms, ".2f"),
                    fmt(100.0 * limit_ms / ms["ours"]),
                ]
            )
            mem_ours = peak_fit_memory(BackpropMLPClassifier, Xd, y, params) / MIB
            mem_skl = peak_fit_memory(MLPClassifier, Xd, y, params) / MIB
            mem_rows.append(
                [
                    name,
                    dname,
                    fmt(mem_ours, ".2f"),
                    fmt(mem_skl, ".2f"),
                    fmt(mem_ours / mem_skl, ".2f"),
                ]
            )

    predict_rows = []
    if "predict" in args.workloads:
        X, y = load("large")
        _, hidden, batch_size, _, _ = SPECS["large"]
        reps = max(args.repeats, 3)  # cheap: always at least best of 3
        for dtype in DTYPES:
            dname = np.dtype(dtype).name
            print(f"running predict {dname} ...", file=sys.stderr, flush=True)
            Xd = np.ascontiguousarray(X, dtype=dtype)
            if dtype not in fitted:  # 'large' not run: fit 1 epoch, untimed
                params = make_params(hidden, batch_size, 1)
                ours = fit_estimator(BackpropMLPClassifier, Xd, y, params)[1]
                skl = fit_estimator(MLPClassifier, Xd, y, params)[1]
                tm = None
                if use_torch:
                    tm = fit_torch(X, y, hidden, batch_size, 1, dtype)[1]
                fitted[dtype] = (ours, skl, tm)
            ours, skl, tm = fitted[dtype]
            Xt = torch.from_numpy(Xd) if tm is not None else None

            def torch_proba():
                with torch.no_grad():
                    return torch.softmax(tm(Xt), dim=1)

            calls = {"ours": ours.predict_proba, "sklearn": skl.predict_proba}
            best = {"ours": np.inf, "sklearn": np.inf, "torch": np.inf}
            for _ in range(reps):
                for key, call in calls.items():
                    gc.collect()
                    t0 = time.perf_counter()
                    call(Xd)
                    best[key] = min(best[key], time.perf_counter() - t0)
                if tm is not None:
                    gc.collect()
                    t0 = time.perf_counter()
                    torch_proba()
                    best["torch"] = min(best["torch"], time.perf_counter() - t0)
            n = Xd.shape[0]
            predict_rows.append(
                [
                    "predict_proba",
                    dname,
                    fmt(best["ours"] * 1e3),
                    fmt(best["sklearn"] * 1e3),
                    fmt(best["torch"] * 1e3),
                    fmt(best["sklearn"] / best["ours"], ".2f"),
                    fmt(best["torch"] / best["ours"], ".2f"),
                    fmt(n / best["ours"] / 1e6, ".2f"),
                    fmt(n / best["sklearn"] / 1e6, ".2f"),
                    fmt(n / best["torch"] / 1e6, ".2f"),
                ]
            )

    md = args.markdown
    if train_rows:
        render(
            "Training, ms per epoch (best of repeats; ratio > 1: skbackprop faster)",
            [*COMPARED, "ours GFLOP/s", "matmul limit ms", "% of matmul limit"],
            train_rows,
            md,
        )
        render(
            "Peak memory during fit (tracemalloc, MiB)",
            ["workload", "dtype", "ours MiB", "sklearn MiB", "ours/sklearn"],
            mem_rows,
            md,
        )
    if predict_rows:
        render(
            "predict_proba on the large model, 60000 rows (best of repeats)",
            [*COMPARED, "ours Mrows/s", "sklearn Mrows/s", "torch Mrows/s"],
            predict_rows,
            md,
        )
    if "real_world" in args.workloads:
        import real_world  # benchmarks/, beside this script

        print("\nWhere users are (benchmarks/real_world.py)")
        flags = ["--markdown"] if md else []
        real_world.main(["--repeats", str(args.repeats), *flags])


if __name__ == "__main__":
    main()

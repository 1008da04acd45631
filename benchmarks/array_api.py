"""Benchmark skbackprop on array-API namespaces (torch, CuPy) against its
numpy engine and against a plain torch training loop.

The workload is ``run.py``'s *large* one (``make_classification`` 60000 x
784, 10 classes, hidden (256, 128), ReLU, Adam with ``learning_rate_init=1e-3``,
``alpha=1e-4``, batch 256, ``tol=0`` with no early exit, ``random_state=0``;
the data comes from ``run.py``'s loader).  For float32 and float64 it times,
in ms per epoch (the whole ``fit`` divided by the number of epochs):

* **numpy**: ``BackpropMLPClassifier.fit`` on numpy arrays (the numpy engine,
  numba included when installed), always on the host CPU;
* **sk-<namespace>**: the same estimator and parameters on torch tensors
  (or CuPy / array_api_strict arrays) on ``--device``, under
  ``sklearn.config_context(array_api_dispatch=True)``;
* **torch loop**: a plain torch training loop on the same device
  (``nn.Sequential`` of ``Linear`` + ``ReLU``, ``CrossEntropyLoss``,
  ``torch.optim.Adam(lr=1e-3)``, no L2 penalty, the same batch size, a
  ``torch.randperm`` on the device each epoch).

``--capture off,eager,auto`` times the namespace fit once per value of
``SKBACKPROP_CAPTURE`` (the engine's switch of the shape-static step,
``skbackprop._engine.captured``: ``off`` the old array-API step, ``eager``
the static step uncaptured, ``on``/``auto`` the static step captured as CUDA
graphs on a GPU), interleaved, and adds a table of the modes; the main
table's namespace column is the first mode (default ``auto``, what a user
gets).

The data is moved to the device once, before the clock starts.  Every
competitor first runs one untimed warm-up fit on a slice of the data
(imports, compiled kernels, CUDA context and cuBLAS handles), then the
competitors are timed interleaved (repeat 1: numpy, namespace, torch loop;
repeat 2: ...) and the best of the repeats is reported.  On CUDA the device
is synchronised before each reading of the clock.  The table gives the two
speed ratios the array-API work is judged by (> 1: skbackprop on the
namespace is faster): *vs torch loop* = torch-loop ms / namespace ms, and
*vs numpy* = numpy ms / namespace ms, plus the largest difference of the
namespace fit's ``predict_proba`` from the numpy fit's (same seed, same
batches: rounding only).

Usage (``SCIPY_ARRAY_API=1`` is set by the script itself)::

    python benchmarks/array_api.py                     # torch CPU, best of 3
    python benchmarks/array_api.py --device cuda       # on a GPU
    python benchmarks/array_api.py --device cuda --namespace cupy
    python benchmarks/array_api.py --quick             # smoke run, < 60 s on CPU
    python benchmarks/array_api.py --repeats 5 --max-seconds 300
    python benchmarks/array_api.py --capture off,on   # old step vs static step

A missing torch, CuPy or CUDA device is reported, and what can run still
runs (the numpy engine always does).
"""

import os

# scipy reads this once, when it is imported: before numpy, scipy, sklearn
os.environ.setdefault("SCIPY_ARRAY_API", "1")
# torch's OpenMP threads busy-wait by default, which steals the CPU from BLAS
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import gc  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import scipy  # noqa: E402
import sklearn  # noqa: E402
from run import SPECS, fmt, load, make_params, torch_mlp  # noqa: E402
from sklearn import config_context  # noqa: E402
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

import skbackprop  # noqa: E402
from skbackprop import BackpropMLPClassifier  # noqa: E402
from skbackprop._engine.captured import CAPTURE_MODES  # noqa: E402

try:
    import torch
except ImportError:  # torch is optional (the ``array-api`` or ``bench`` extra)
    torch = None

try:
    from threadpoolctl import threadpool_info
except ImportError:  # optional (the ``bench`` extra)
    threadpool_info = None

NAMESPACES = ("torch", "cupy", "array_api_strict")
DTYPES = ("float32", "float64")
WARMUP_ROWS = 2048
PARITY_ROWS = 2000


# ------------------------------------------------------------- namespaces


class Namespace:
    """How to put arrays of one namespace on one device, and to wait for it.

    ``reason`` is None when it is usable, else why not (then nothing else
    is set).
    """

    def __init__(self, name, device):
        self.name, self.device, self.reason = name, device, None
        self.label = f"sk-{name}"
        try:
            self._setup(name, device)
        except ImportError as exc:
            self.reason = f"{name} is not installed ({exc})"
            if name == "torch":
                self.reason += ": try --namespace array_api_strict"

    def _setup(self, name, device):
        if name == "torch":
            import torch as module

            if device == "cuda" and not module.cuda.is_available():
                built = module.backends.cuda.is_built()
                self.reason = (
                    f"torch {module.__version__} sees no CUDA device"
                    + ("" if built else " (a CPU-only build)")
                )
                return
            self.module = module
        elif name == "cupy":
            import cupy as module

            if device != "cuda":
                self.reason = "CuPy arrays live on a GPU: use --device cuda"
                return
            try:
                module.cuda.runtime.getDeviceCount()
            except Exception as exc:  # no driver, no device
                self.reason = f"CuPy finds no CUDA device ({exc})"
                return
            self.module = module
        else:
            import array_api_strict as module

            if device != "cpu":
                self.reason = "array_api_strict runs on the host: use --device cpu"
                return
            self.module = module

    def asarray(self, array, dtype=None):
        array = np.ascontiguousarray(array, dtype=dtype)
        if self.name == "torch":
            return self.module.asarray(array, device=self.device)
        return self.module.asarray(array)

    def sync(self):
        if self.device != "cuda":
            return
        if self.name == "cupy":
            self.module.cuda.runtime.deviceSynchronize()
        else:
            self.module.cuda.synchronize()


def torch_loop_reason(device):
    """Why the plain torch loop cannot run on ``device``, or None."""
    if torch is None:
        return "torch is not installed"
    if device == "cuda" and not torch.cuda.is_available():
        return f"torch {torch.__version__} sees no CUDA device"
    return None


def sync_torch(device):
    if device == "cuda":
        torch.cuda.synchronize()


# ------------------------------------------------------------- competitors


def time_skbackprop(X, y, params, ns=None, capture="auto"):
    """Seconds of one ``fit`` (under array API dispatch on ``ns``'s arrays,
    with ``SKBACKPROP_CAPTURE=capture``); returns (seconds, fitted
    estimator)."""
    est = BackpropMLPClassifier(**params)
    os.environ["SKBACKPROP_CAPTURE"] = capture
    gc.collect()
    with config_context(array_api_dispatch=ns is not None):
        if ns is not None:
            ns.sync()
        t0 = time.perf_counter()
        est.fit(X, y)
        if ns is not None:
            ns.sync()
        return time.perf_counter() - t0, est


def time_torch_loop(X, y, hidden, batch_size, max_iter, device):
    """Seconds of the plain torch loop over the device tensors ``X``,
    ``y`` (integer class indices)."""
    torch.manual_seed(0)
    n_classes = int(y.max()) + 1
    n = X.shape[0]
    gc.collect()
    sync_torch(device)
    t0 = time.perf_counter()
    model = torch_mlp(X.shape[1], hidden, n_classes).to(
        device=X.device, dtype=X.dtype
    )
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    for _ in range(max_iter):
        perm = torch.randperm(n, device=X.device)
        for start in range(0, n, batch_size):
            idx = perm[start : start + batch_size]
            opt.zero_grad(set_to_none=True)
            loss_fn(model(X[idx]), y[idx]).backward()
            opt.step()
    sync_torch(device)
    return time.perf_counter() - t0


def host_proba(est, X):
    """``predict_proba`` as numpy, whatever the namespace of the fit."""
    from sklearn.utils._array_api import move_to

    with config_context(array_api_dispatch=True):
        return move_to(est.predict_proba(X), xp=np, device="cpu")


# ------------------------------------------------------------------ output


def ratio(a, b):
    return a / b if np.isfinite(a) and np.isfinite(b) else np.nan


def device_name(device):
    if device == "cuda" and torch is not None and torch.cuda.is_available():
        return f"cuda: {torch.cuda.get_device_name(0)}"
    if device == "cuda":
        return "cuda (not available)"
    return "cpu (the host)"


def host_name():
    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    name = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{name}, {os.cpu_count()} logical CPUs"


def print_environment(args, ns):
    print("skbackprop array API benchmark")
    print(f"host: {host_name()}")
    print(f"device: {device_name(args.device)}")
    print(f"python {platform.python_version()} on {platform.platform()}")
    versions = [
        f"numpy {np.__version__}",
        f"scipy {scipy.__version__}",
        f"scikit-learn {sklearn.__version__}",
        f"skbackprop {skbackprop.__version__}",
        "torch " + (torch.__version__ if torch is not None else "not installed"),
    ]
    if ns.reason is None and ns.name != "torch":
        versions.append(f"{ns.name} {ns.module.__version__}")
    print(", ".join(versions))
    print(
        f"SCIPY_ARRAY_API={os.environ.get('SCIPY_ARRAY_API')}, "
        f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}"
    )
    if torch is not None:
        print(
            f"torch threads: {torch.get_num_threads()} intra-op, "
            f"{torch.get_num_interop_threads()} inter-op"
        )
    if threadpool_info is None:
        print("threadpoolctl not installed: no BLAS thread information")
    else:
        for info in threadpool_info():
            print(
                f"  {info.get('user_api')}: {info.get('internal_api')} "
                f"{info.get('version') or ''} num_threads={info.get('num_threads')} "
                f"({info.get('prefix')})"
            )
    for what, reason in (
        (ns.label, ns.reason),
        ("torch loop", torch_loop_reason(args.device)),
    ):
        if reason:
            print(f"NOT RUN: {what} -- {reason}")


def out_of_time(args, start, last_repeat):
    """Whether another repeat, as long as the last one, would end past
    ``--max-seconds``."""
    if args.max_seconds is None:
        return False
    return time.perf_counter() - start + last_repeat > args.max_seconds


def render(rows, ns, args):
    print()
    print(
        f"**Large workload, {args.rows} x 784, ms per epoch (best of the "
        f"interleaved repeats, {args.epochs} epoch(s) per fit); numpy on the "
        f"host CPU, the others on {args.device}**"
    )
    print()
    headers = [
        "dtype",
        "numpy ms",
        f"{ns.label} ms",
        "torch loop ms",
        f"{ns.label} vs torch loop",
        f"{ns.label} vs numpy",
        "max abs dP vs numpy",
        "final loss rel. diff",
        "repeats",
    ]
    print("| " + " | ".join(headers) + " |")
    print("|:---|" + "---:|" * (len(headers) - 1))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()
    print(
        "vs torch loop = torch-loop ms / skbackprop ms, vs numpy = numpy ms / "
        "skbackprop ms (> 1: skbackprop on the namespace is faster); max abs dP: "
        f"largest difference of predict_proba on {min(PARITY_ROWS, args.rows)} "
        "rows between the namespace fit and the numpy fit (same seed and "
        "batches); final loss rel. diff: of their last epoch's training loss. "
        "In float64 the two fits agree to rounding; in float32 rounding makes "
        "the trajectories part over many batches (as numpy's own float32 and "
        "float64 fits do), so only the losses stay close."
    )


# ------------------------------------------------------------------ timing


def time_interleaved(args, ns, data, workload, start, last_repeat, dtype):
    """One untimed warm-up fit of each competitor on a slice, then the
    repeats, interleaved (numpy, the namespace under each capture mode,
    the torch loop); returns ``(best seconds, fitted estimators, repeats
    done, seconds of the last repeat)``, keyed ``numpy``, ``ns:<mode>``,
    ``loop``."""
    hidden, batch_size, params, warm_params = workload
    w = slice(0, min(WARMUP_ROWS, args.rows))
    time_skbackprop(data["numpy"][0][w], data["numpy"][1][w], warm_params)
    for mode in args.capture if "ns" in data else ():
        time_skbackprop(data["ns"][0][w, ...], data["ns"][1][w, ...], warm_params,
                        ns, mode)
    if "loop" in data:
        time_torch_loop(data["loop"][0][w], data["loop"][1][w], hidden, batch_size,
                        1, args.device)
    best, fitted, done = {}, {}, 0
    for _ in range(args.repeats):
        if out_of_time(args, start, last_repeat):
            print(f"--max-seconds {args.max_seconds:g}: no more {dtype} "
                  f"repeats after {done}", file=sys.stderr, flush=True)
            break
        t_repeat = time.perf_counter()
        print(f"  {dtype} repeat {done + 1} ...", file=sys.stderr, flush=True)
        runs = [("numpy", lambda: time_skbackprop(*data["numpy"], params))]
        for mode in args.capture if "ns" in data else ():
            runs.append((f"ns:{mode}", lambda mode=mode: time_skbackprop(
                *data["ns"], params, ns, mode)))
        for key, run in runs:
            t, fitted[key] = run()
            best[key] = min(best.get(key, np.inf), t)
        if "loop" in data:
            t = time_torch_loop(*data["loop"], hidden, batch_size, args.epochs,
                                args.device)
            best["loop"] = min(best.get("loop", np.inf), t)
        done += 1
        last_repeat = time.perf_counter() - t_repeat
    ms = {k: v / args.epochs * 1e3 for k, v in best.items()}
    return ms, fitted, done, last_repeat


def parity(args, fitted, data, key, reference="numpy"):
    """``(max |dP|, final loss relative difference)`` of the fit ``key``
    against the fit ``reference`` (NaN where either is missing)."""
    if key not in fitted or reference not in fitted:
        return np.nan, np.nan
    p = slice(0, min(PARITY_ROWS, args.rows))
    X_ref = data["numpy"][0][p] if reference == "numpy" else data["ns"][0][p, ...]
    ref_proba = (fitted[reference].predict_proba(X_ref) if reference == "numpy"
                 else host_proba(fitted[reference], X_ref))
    dp = np.abs(host_proba(fitted[key], data["ns"][0][p, ...]) - ref_proba).max()
    ref_loss = fitted[reference].loss_curve_[-1]
    return dp, abs(fitted[key].loss_curve_[-1] - ref_loss) / ref_loss


def table_row(args, dtype, ms, fitted, data, done):
    """The main table's row: the namespace under the first capture mode."""
    key = f"ns:{args.capture[0]}"
    dp, dloss = parity(args, fitted, data, key)
    get = lambda k: ms.get(k, np.nan)  # noqa: E731
    return [
        dtype, fmt(get("numpy")), fmt(get(key)), fmt(get("loop")),
        fmt(ratio(get("loop"), get(key)), ".2f"),
        fmt(ratio(get("numpy"), get(key)), ".2f"),
        fmt(dp, ".1e"), fmt(dloss, ".1e"), str(done),
    ]


def mode_table_rows(args, dtype, ms, fitted, data):
    """The capture modes' rows (none for a single mode): ms per epoch, the
    speed-up over the first mode, over numpy and over the torch loop, and
    the parity with the first mode's fit and with numpy's."""
    if len(args.capture) < 2:
        return []
    first = f"ns:{args.capture[0]}"
    get = lambda k: ms.get(k, np.nan)  # noqa: E731
    rows = []
    for mode in args.capture:
        key = f"ns:{mode}"
        dp_first = parity(args, fitted, data, key, first)[0]
        dp_numpy = parity(args, fitted, data, key)[0]
        rows.append([
            dtype, mode, fmt(get(key)), fmt(ratio(get(first), get(key)), ".2f"),
            fmt(ratio(get("numpy"), get(key)), ".2f"),
            fmt(ratio(get("loop"), get(key)), ".2f"),
            fmt(dp_first, ".1e"), fmt(dp_numpy, ".1e"),
        ])
    return rows


def render_modes(rows, ns, args):
    if not rows:
        return
    print()
    print(f"**{ns.label} by SKBACKPROP_CAPTURE, ms per epoch on {args.device}**")
    print()
    headers = ["dtype", "capture", f"{ns.label} ms", f"vs {args.capture[0]}",
               "vs numpy", "vs torch loop", f"max abs dP vs {args.capture[0]}",
               "max abs dP vs numpy"]
    print("| " + " | ".join(headers) + " |")
    print("|:---|:---|" + "---:|" * (len(headers) - 2))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()
    print(f"vs {args.capture[0]} = its ms / this mode's ms (> 1: faster); off = "
          "the old array-API step, eager = the static step uncaptured, on/auto = "
          "captured as CUDA graphs on a GPU (uncaptured, as eager, on a CPU for "
          "on; the old step for auto).")


# -------------------------------------------------------------------- main


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"],
                   help="where the namespace arrays and the torch loop run")
    p.add_argument("--namespace", default="torch", choices=NAMESPACES,
                   help="the arrays skbackprop trains on (default torch)")
    p.add_argument("--dtypes", default=",".join(DTYPES),
                   help="comma-separated subset of float32,float64")
    p.add_argument("--repeats", type=int, default=None,
                   help="best of R interleaved repeats (default 3; 1 with --quick)")
    p.add_argument("--epochs", type=int, default=None,
                   help="epochs per timed fit (default 3; 1 with --quick)")
    p.add_argument("--rows", type=int, default=None,
                   help="use the first ROWS rows (default 60000; 6000 with --quick)")
    p.add_argument("--threads", type=int, default=None,
                   help="torch intra-op threads (default: torch's own choice)")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: 6000 rows, 1 epoch, 1 repeat")
    p.add_argument("--max-seconds", type=float, default=None,
                   help="start no new repeat once this much time has passed "
                        "(the table then has the repeats done)")
    p.add_argument("--capture", default="auto",
                   help="comma-separated values of SKBACKPROP_CAPTURE to time "
                        f"the namespace fit under ({','.join(CAPTURE_MODES)}; "
                        "default auto)")
    args = p.parse_args(argv)
    args.capture = [m.strip() for m in args.capture.split(",") if m.strip()]
    if not args.capture or set(args.capture) - set(CAPTURE_MODES):
        p.error(f"--capture: choose from {','.join(CAPTURE_MODES)}")
    args.dtypes = [d.strip() for d in args.dtypes.split(",") if d.strip()]
    if not args.dtypes or set(args.dtypes) - set(DTYPES):
        p.error(f"--dtypes: choose from {','.join(DTYPES)}")
    defaults = (1, 1, 6000) if args.quick else (3, 3, 60000)
    for name, default in zip(("repeats", "epochs", "rows"), defaults):
        if getattr(args, name) is None:
            setattr(args, name, default)
        if getattr(args, name) < 1:
            p.error(f"--{name} must be >= 1")
    return args


def main(argv=None):
    """Run, print the tables; returns their rows (main table, modes table)."""
    args = parse_args(argv)
    start = time.perf_counter()
    warnings.simplefilter("ignore", ConvergenceWarning)
    if torch is not None:
        torch.manual_seed(0)
        if args.threads is not None:
            torch.set_num_threads(args.threads)
    ns = Namespace(args.namespace, args.device)
    loop_reason = torch_loop_reason(args.device)
    print_environment(args, ns)

    loader, hidden, batch_size, _, _ = SPECS["large"]
    if args.rows < 6000:  # a smoke run: generate just these rows (quicker)
        X_all, y_all = make_classification(
            n_samples=args.rows, n_features=784, n_informative=50,
            n_classes=10, random_state=0,
        )
    else:
        X_all, y_all = load("large")
        args.rows = min(args.rows, X_all.shape[0])
        X_all, y_all = X_all[: args.rows], y_all[: args.rows]
    params = make_params(hidden, batch_size, args.epochs)
    warm_params = make_params(hidden, batch_size, 1)
    print(f"mode: {'quick' if args.quick else 'full'}; best of {args.repeats} "
          f"repeat(s) of {args.epochs} epoch(s)", flush=True)

    rows, mode_rows, last_repeat = [], [], 0.0
    for dtype in args.dtypes:
        if out_of_time(args, start, last_repeat):
            print(f"--max-seconds {args.max_seconds:g}: {dtype} not run",
                  file=sys.stderr, flush=True)
            rows.append([dtype] + ["-"] * 7 + ["0"])
            continue
        X = np.ascontiguousarray(X_all, dtype=dtype)
        data = {"numpy": (X, y_all)}
        if ns.reason is None:
            data["ns"] = (ns.asarray(X), ns.asarray(y_all))
        if loop_reason is None:
            codes = np.unique(y_all, return_inverse=True)[1]
            data["loop"] = (torch.asarray(X, device=args.device),
                            torch.asarray(codes.astype(np.int64), device=args.device))
        best, fitted, done, last_repeat = time_interleaved(
            args, ns, data, (hidden, batch_size, params, warm_params), start,
            last_repeat, dtype)
        rows.append(table_row(args, dtype, best, fitted, data, done))
        mode_rows += mode_table_rows(args, dtype, best, fitted, data)
        del data, fitted
        gc.collect()

    render(rows, ns, args)
    render_modes(mode_rows, ns, args)
    print(f"\ntotal {time.perf_counter() - start:.0f} s")
    return rows, mode_rows


if __name__ == "__main__":
    main()

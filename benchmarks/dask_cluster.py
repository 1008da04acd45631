"""One L-BFGS model on a Dask cluster: time and bytes of an iteration.

Starts a ``LocalCluster`` of ``--workers`` worker processes (one thread
each, loopback only), makes a regression data set on the workers
(``--rows`` x ``--features`` standard normal ``X`` in ``--chunks`` row
chunks, ``y`` a smooth function of ``X`` plus noise; neither ever reaches
the client), persists it, and fits ``BackpropMLPRegressor(solver="lbfgs",
hidden_layer_sizes=(--hidden,), tol=0)`` for ``--iterations`` iterations on
it.  It reports:

* the time of an L-BFGS iteration and of a function evaluation (an
  iteration makes one evaluation or more: the line search), and the same
  fit in memory in this process (its data computed into the client first,
  which only the benchmark does), one BLAS thread everywhere, after an
  untimed one-iteration fit (the workers' imports);
* the compute of each worker per evaluation (the durations of its
  ``chunk_loss_grad`` and sum tasks, from distributed's task stream), and
  what is left of an evaluation for the scheduling and the transfers;
* the bytes moved per evaluation, from the parameter count ``P`` (float64
  vectors of ``8 P`` bytes): the model below, and distributed's own
  counters (bytes the workers sent, and received from one another, by what
  they held: parameters, sums, rows of ``X`` -- moved only by the
  scheduler's work stealing, which ``--no-stealing`` turns off -- or other
  data: a busy worker may have a chunk of ``y`` copied to it on its way to
  the client, and the finite checks of ``X`` move a few booleans).

The model of the bytes of one evaluation, ``W`` workers, ``C`` chunks:
the parameters go client -> scheduler -> one worker (``8 P`` per hop) and
from there to the ``W - 1`` others; the chunks' ``(loss, gradient)`` pairs
go to the worker of the sum task that adds them (at most ``C - C / W`` of
them move when the chunks are spread evenly); the sum goes worker ->
scheduler -> client.  The workers' counters see the peer copies of the
parameters, the moved partial sums and the final sum they hand the
scheduler: ``8 P ((W - 1) + (C - C / W) + 1)`` at most.  Once per fit they
also send ``y`` (``8 n`` bytes) to the client, which encodes the labels.

Usage::

    python benchmarks/dask_cluster.py                 # 400000 x 50, (64,)
    python benchmarks/dask_cluster.py --quick         # smoke run, seconds
    python benchmarks/dask_cluster.py --workers 2 --chunks 8 --markdown
"""

import os

# one BLAS thread per process: the workers share the cores
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=400_000)
    parser.add_argument("--features", type=int, default=50)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--chunks", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--quick", action="store_true",
                        help="20000 rows, 5 iterations: a smoke run")
    parser.add_argument("--no-stealing", action="store_true",
                        help="start the scheduler with work stealing off")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.iterations = 20_000, 5
    return args


def make_data(args):
    """``X``, ``y`` made on the workers, chunked by rows, persisted."""
    import dask.array as da
    import distributed

    rows = -(-args.rows // args.chunks)
    random = da.random.RandomState(0)
    X = random.standard_normal((args.rows, args.features), chunks=(rows, -1))
    w = np.random.RandomState(1).standard_normal(args.features) / np.sqrt(
        args.features)
    y = da.sin(X @ w) + X[:, 0] * X[:, 1] + 0.1 * random.standard_normal(
        args.rows, chunks=rows)
    X, y = X.persist(), y.persist()
    distributed.wait([X, y])
    return X, y


def estimator(args):
    from skbackprop import BackpropMLPRegressor

    return BackpropMLPRegressor(
        hidden_layer_sizes=(args.hidden,), solver="lbfgs", tol=0,
        max_iter=args.iterations, random_state=0,
    )


def _counted_evaluations():
    """Wrap the distributed objective to count its evaluations."""
    from skbackprop import _dask_fit

    calls = []
    original = _dask_fit.DistributedObjective.__call__

    def counted(self, x):
        calls.append(1)
        return original(self, x)

    _dask_fit.DistributedObjective.__call__ = counted
    return calls, lambda: setattr(_dask_fit.DistributedObjective, "__call__",
                                  original)


def _kind(key, rows_of_X):
    """What a transferred key holds: the parameters, a chunk's or a partial
    sum of ``(loss, gradient)``, a chunk of ``X`` (training rows), or other
    data (a chunk of ``y`` on its way to the client, the finite checks'
    booleans)."""
    name = str(key[0] if isinstance(key, tuple) else key)
    if name.startswith(("chunk_loss_grad", "_add")):
        return "sums"
    if name.startswith(("ndarray", "Network")):
        return "parameters"
    return "rows of X" if str(key) in rows_of_X else "other data"


def _worker_bytes(client, rows_of_X):
    """Bytes the workers sent so far (to peers and the scheduler), and
    bytes they received from peers, by kind (:func:`_kind`)."""

    def counters(dask_worker):
        received = [(str(key), nbytes)
                    for entry in dask_worker.transfer_incoming_log
                    for key, nbytes in entry["keys"].items()]
        return dask_worker.transfer_outgoing_bytes_total, received

    per_worker = client.run(counters)
    received = {}
    for _, keys in per_worker.values():
        for key, nbytes in keys:
            kind = _kind(key, rows_of_X)
            received[kind] = received.get(kind, 0) + nbytes
    return sum(sent for sent, _ in per_worker.values()), received


def fit_on_cluster(client, args, X, y):
    """Fit on the persisted data; the timings, counters and task stream."""
    import distributed

    calls, restore = _counted_evaluations()
    rows_of_X = {str(key) for key in X.__dask_keys__()[0]}  # one column of chunks
    before = _worker_bytes(client, rows_of_X)
    try:
        with distributed.get_task_stream(client) as stream:
            start = time.perf_counter()
            est = estimator(args).fit(X, y)
            seconds = time.perf_counter() - start
    finally:
        restore()
    after = _worker_bytes(client, rows_of_X)
    received = {kind: count - before[1].get(kind, 0)
                for kind, count in after[1].items()}
    return est, seconds, len(calls), stream.data, after[0] - before[0], received


def compute_per_worker(tasks, evaluations):
    """Seconds of engine and sum tasks per worker per evaluation."""
    busy = {}
    for task in tasks:
        name = str(task["key"])
        if not name.startswith(("chunk_loss_grad", "_add")):
            continue
        seconds = sum(s["stop"] - s["start"] for s in task["startstops"]
                      if s["action"] == "compute")
        busy[task["worker"]] = busy.get(task["worker"], 0.0) + seconds
    return {w: s / evaluations for w, s in sorted(busy.items())}


def model_bytes(n_params, workers, chunks):
    """Bytes the workers send per evaluation, at most (module docstring)."""
    vector = 8 * n_params
    moved_sums = chunks - chunks // workers if workers > 1 else 0
    return vector * ((workers - 1) + moved_sums + 1)


def fit_in_memory(args, X, y):
    X, y = X.compute(), y.compute()  # the benchmark's baseline only
    start = time.perf_counter()
    est = estimator(args).fit(X, y)
    return est, time.perf_counter() - start


def report(args, rows):
    if args.markdown:
        print("| quantity | value |")
        print("|---|---|")
        for name, value in rows:
            print(f"| {name} | {value} |")
    else:
        width = max(len(name) for name, _ in rows)
        for name, value in rows:
            print(f"{name:<{width}}  {value}")


def main(argv=None):
    args = parse_args(argv)
    import dask
    import distributed
    from sklearn.exceptions import ConvergenceWarning

    warnings.simplefilter("ignore", ConvergenceWarning)
    if args.no_stealing:
        dask.config.set({"distributed.scheduler.work-stealing": False})
    cluster = distributed.LocalCluster(
        n_workers=args.workers, threads_per_worker=1, processes=True,
        host="127.0.0.1", dashboard_address=None,
    )
    client = distributed.Client(cluster)
    try:
        X, y = make_data(args)
        # untimed: the workers import skbackprop at their first task
        estimator(args).set_params(max_iter=1).fit(X, y)
        est, seconds, evaluations, tasks, sent, received = fit_on_cluster(
            client, args, X, y)
        local, local_seconds = fit_in_memory(args, X, y)
    finally:
        client.close()
        cluster.close()
    n_params = sum(c.size for c in est.coefs_) + sum(b.size for b in est.intercepts_)
    per_eval = seconds / evaluations
    busy = compute_per_worker(tasks, evaluations)
    print(f"python {platform.python_version()}, {platform.machine()}, "
          f"{os.cpu_count()} cores; LocalCluster of {args.workers} worker "
          f"processes x 1 thread, work stealing "
          f"{'off' if args.no_stealing else 'on'}; {args.rows} x {args.features}, "
          f"hidden ({args.hidden},), {args.chunks} chunks, P = {n_params}")
    rows = [
        ("L-BFGS iterations (cluster / in memory)",
         f"{est.n_iter_} / {local.n_iter_}"),
        ("evaluations on the cluster", evaluations),
        ("ms per iteration, cluster", f"{1e3 * seconds / est.n_iter_:.1f}"),
        ("ms per iteration, in memory (1 process)",
         f"{1e3 * local_seconds / local.n_iter_:.1f}"),
        ("ms per evaluation, cluster", f"{1e3 * per_eval:.1f}"),
    ]
    for worker, busy_seconds in busy.items():
        rows.append((f"ms compute per evaluation, worker {worker}",
                     f"{1e3 * busy_seconds:.1f}"))
    rows += [
        ("ms per evaluation not computing (busiest worker)",
         f"{1e3 * (per_eval - max(busy.values(), default=0.0)):.1f}"),
        ("model: bytes the workers send per evaluation, at most",
         model_bytes(n_params, args.workers, args.chunks)),
        ("model: bytes of y computed into the client, once per fit", 8 * args.rows),
        ("measured: bytes the workers sent per evaluation",
         f"{sent / evaluations:.0f}"),
        ("measured: bytes the workers received from peers per evaluation",
         ", ".join(f"{kind} {received.get(kind, 0) / evaluations:.0f}"
                   for kind in ("parameters", "sums", "rows of X", "other data"))),
        ("max abs coef difference, cluster vs in memory",
         f"{max(np.abs(a - b).max() for a, b in zip(est.coefs_, local.coefs_)):.1e}"),
    ]
    report(args, rows)


if __name__ == "__main__":
    main()

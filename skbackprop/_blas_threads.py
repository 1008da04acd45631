"""The BLAS thread pools during a fit.

:func:`blas_threads` sets numpy's (and scipy's) BLAS thread pools for one
fit, by the plan of :func:`_thread_plan`, and gives the caller's settings
back afterwards.  It is the only code that touches the pools; the training
loop (:mod:`skbackprop._training`) does not know about threads.
"""

import os
import threading
from contextlib import contextmanager

__all__ = ["LBFGS_THREADED_FLOPS", "blas_threads"]

LBFGS_THREADED_FLOPS = 8e6
"""Smallest full-batch forward pass (in flops) for which L-BFGS keeps
numpy's BLAS threads; below it, one thread is faster."""

_blas_libraries = None  # (numpy's BLAS, the others), found once


def _find_blas_libraries():
    """numpy's BLAS thread pools and the others (scipy's, say).

    With wheels, numpy and scipy each load their own OpenBLAS; a library
    under a folder named like numpy's is numpy's.  When none is (one BLAS
    shared by all, as with conda), every library counts as numpy's.
    """
    global _blas_libraries
    if _blas_libraries is None:
        from threadpoolctl import ThreadpoolController

        blas = ThreadpoolController().select(user_api="blas").lib_controllers
        ours = [lib for lib in blas if "numpy" in os.path.dirname(lib.filepath)]
        others = [lib for lib in blas if lib not in ours]
        _blas_libraries = (ours or others, others if ours else [])
    return _blas_libraries


def _thread_plan(solver, forward_flops):
    """``(threads for numpy's BLAS, threads for the others, explicit)``;
    None keeps the current setting; ``explicit`` allows raising it.

    The stochastic solvers run numpy's products only, whose threads pay off
    from small batches on: every pool keeps its threads.  L-BFGS alternates
    numpy's products with scipy's own BLAS calls, and two pools of spinning
    threads starve each other on a few cores: scipy's pool gets one thread,
    and numpy's too when the products are small.
    ``SKBACKPROP_BLAS_THREADS`` overrides: ``off`` leaves every pool alone,
    an integer sets every pool to it.
    """
    setting = os.environ.get("SKBACKPROP_BLAS_THREADS", "auto").strip().lower()
    if setting == "off":
        return None, None, False
    if setting not in ("", "auto"):
        try:
            n = int(setting)
        except ValueError:
            n = 0
        if n < 1:
            raise ValueError(
                "SKBACKPROP_BLAS_THREADS must be 'auto', 'off' or a positive "
                f"number of threads, got {setting!r}."
            )
        return n, n, True
    if solver != "lbfgs":
        return None, None, False
    return (1 if forward_flops < LBFGS_THREADED_FLOPS else None), 1, False


_pools_lock = threading.Lock()
_pools_held = {}  # library -> [the caller's thread count, fits holding it]


@contextmanager
def blas_threads(solver, layer_units, n_rows):
    """Set the BLAS thread pools for a fit (see :func:`_thread_plan`) and
    restore the caller's settings afterwards.  Only lowers thread counts,
    unless ``SKBACKPROP_BLAS_THREADS`` asks for more.

    The pools belong to the process: fits running at once in threads (a
    grid search with the threading backend) share one record of the
    caller's counts, and the last of them to end restores it."""
    flops = 2.0 * n_rows * sum(a * b for a, b in zip(layer_units, layer_units[1:]))
    n_ours, n_others, explicit = _thread_plan(solver, flops)
    if n_ours is None and n_others is None:
        # nothing to set: the loaded libraries are not scanned, which a
        # fresh process's first fit would pay for
        yield
        return
    ours, others = _find_blas_libraries()
    changes = [(lib, n) for lib, n in [(lib, n_ours) for lib in ours]
               + [(lib, n_others) for lib in others] if n is not None]
    with _pools_lock:
        for lib, n in changes:
            held = _pools_held.setdefault(lib, [lib.get_num_threads(), 0])
            held[1] += 1
            if n < held[0] or explicit:
                lib.set_num_threads(n)
    try:
        yield
    finally:
        with _pools_lock:
            for lib, _ in changes:
                held = _pools_held[lib]
                held[1] -= 1
                if held[1] == 0:
                    lib.set_num_threads(held[0])
                    del _pools_held[lib]

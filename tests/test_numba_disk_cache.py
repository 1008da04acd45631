"""The compiled loops are compiled once per machine, not once per process:
a fresh interpreter loads them from numba's disk cache (``cache=True``).

A recompilation in every process would cost seconds at the start of each
fit that uses them, which is what :func:`.kernels.select_kernels` and
:func:`.kernels.tiny_epoch_loop` assume it does not.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("numba")

ROOT = Path(__file__).resolve().parents[1]

# fits a tiny network long enough for the compiled epoch, and a network large
# enough for the compiled kernels (Adam and SGD steps, bias + relu, relu',
# column sums, softmax's row maximum); prints each loop's numba cache record
_CHILD = r"""
import json, warnings
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from skbackprop import BackpropMLPClassifier
from skbackprop._engine import _numba_kernels as loops, compiled_epoch, kernels
assert kernels.numba_available()
warnings.simplefilter("ignore", ConvergenceWarning)
rng = np.random.RandomState(0)
X, y = rng.randn(200, 4), rng.randint(0, 3, 200)
for solver in ("adam", "sgd"):
    BackpropMLPClassifier(hidden_layer_sizes=(4,), batch_size=10, max_iter=60,
                          solver=solver, random_state=0).fit(X, y)
    BackpropMLPClassifier(hidden_layer_sizes=(1 << 13,), batch_size=50,
                          max_iter=1, solver=solver, random_state=0).fit(X, y)
dispatchers = [compiled_epoch.tiny_epoch, loops.adam_step, loops.sgd_step,
               loops.bias_relu, loops.relu_backward, loops.column_sum,
               loops.bias_sub_rowmax]
print(json.dumps({d.__name__: [len(d.stats.cache_hits), len(d.stats.cache_misses)]
                  for d in dispatchers}))
"""


def _fresh_process():
    env = dict(os.environ, SKBACKPROP_NUMBA="1", PYTHONPATH=str(ROOT))
    env.pop("NUMBA_DISABLE_JIT", None)
    run = subprocess.run([sys.executable, "-c", _CHILD], env=env, cwd=ROOT,
                         check=True, capture_output=True, text=True)
    return json.loads(run.stdout.splitlines()[-1])


@pytest.mark.slow  # fresh interpreters (the first may have to compile)
def test_a_fresh_process_loads_the_compiled_loops_from_disk():
    _fresh_process()  # fills the cache if this checkout's is empty or stale
    records = _fresh_process()
    assert records["tiny_epoch"][0] >= 1, records  # the compiled epoch ran
    for name, (hits, misses) in records.items():
        assert hits >= 1 and misses == 0, (name, records)

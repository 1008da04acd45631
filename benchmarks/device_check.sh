#!/usr/bin/env bash
# The GPU check of the captured training step (skbackprop._engine.captured),
# as one prepared run of under five minutes on a machine with a CUDA device
# (see benchmarks/README.md, "Array API"): the static-step tests and the
# array-API tests on torch CUDA (where SKBACKPROP_CAPTURE's default captures
# the step), then benchmarks/gpu_capture.py (numpy on the CPU cores, the
# plain torch loop, the old array-API step, the static step uncaptured and
# captured; float32 and float64; tables and equality checks).  CUPY=1 adds
# the CuPy array-API benchmark (not captured).  Wheels the machine lacks
# (scikit-learn 1.9.1, array-api-strict, scipy) travel in .whl/; output goes
# to $OUT (default /tmp/device-out).  TINY=1 runs the benchmark on 300 rows
# on the CPU (a smoke run of this script where there is no GPU).
set -o pipefail
out="${OUT:-/tmp/device-out}"
mkdir -p "$out"
if [ -z "${NO_WHEELS:-}" ] && ls .whl/*.whl > /dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
        --upgrade --target /tmp/site .whl/*.whl || exit 2
    export PYTHONPATH="/tmp/site:$PWD"
fi
export SCIPY_ARRAY_API=1 PYTHONUNBUFFERED=1 OMP_WAIT_POLICY=PASSIVE
{
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
    nproc
    python3 -c "import sys, numpy, scipy, sklearn, torch
print(sys.version.split()[0], 'numpy', numpy.__version__, 'scipy',
      scipy.__version__, 'scikit-learn', sklearn.__version__, 'torch',
      torch.__version__, 'cuda', torch.cuda.is_available())"
} 2>&1 | tee "$out/env.txt"
timeout 100 python3 -m pytest -q -p no:cacheprovider -n 0 -rs \
    tests/estimator/test_array_api_static_step.py tests/estimator/test_array_api.py \
    -k "cuda" 2>&1 | tee "$out/tests.txt" | tail -25
timeout 240 python3 benchmarks/gpu_capture.py --max-seconds 170 ${TINY:+--tiny} 2>&1 \
    | tee "$out/gpu_capture.txt" | tail -45
if [ -n "${CUPY:-}" ]; then
    timeout 100 python3 benchmarks/array_api.py --device cuda --namespace cupy \
        --repeats 2 --max-seconds 60 2>&1 | tee "$out/bench_cupy.txt" | tail -20
fi

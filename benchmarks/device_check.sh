#!/usr/bin/env bash
# The GPU checks of the array API work, as one prepared run on a machine with
# a CUDA device (see benchmarks/README.md, "Array API"): the array-API tests
# on torch CUDA and CuPy, scikit-learn's array-API estimator checks there, and
# benchmarks/array_api.py on the GPU (torch, then CuPy).  Wheels the machine
# lacks (scikit-learn 1.9.1, array-api-strict, scipy) travel in .whl/; output
# goes to $OUT (default /tmp/device-out).
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
    python3 -c "import sys, numpy, scipy, sklearn, torch
print(sys.version.split()[0], 'numpy', numpy.__version__, 'scipy',
      scipy.__version__, 'scikit-learn', sklearn.__version__, 'torch',
      torch.__version__, 'cuda', torch.cuda.is_available())"
} 2>&1 | tee "$out/env.txt"
timeout 240 python3 -m pytest -q -p no:cacheprovider -n 0 -rs \
    tests/estimator/test_array_api.py tests/estimator/test_sklearn_checks.py -m "slow or not slow" \
    -k "cuda or cupy" 2>&1 | tee "$out/tests.txt" | tail -25
timeout 200 python3 benchmarks/array_api.py --device cuda --repeats 3 \
    --max-seconds 150 2>&1 | tee "$out/bench_torch.txt" | tail -30
timeout 100 python3 benchmarks/array_api.py --device cuda --namespace cupy \
    --repeats 2 --max-seconds 60 2>&1 | tee "$out/bench_cupy.txt" | tail -20

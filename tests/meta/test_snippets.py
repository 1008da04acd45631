"""Every Python block of README.md and docs/*.rst runs as a user pastes it.

Each block is written to a script in a temporary folder outside the
repository and run there on its own, as ``python snippet.py`` in a fresh
interpreter, with a timeout, so a block that needs a name from an earlier
block fails (NameError), one that hangs fails (timeout), and the files it
writes land in that folder. Blocks that need an optional extra that is
missing, scikit-learn's callback API (scikit-learn >= 1.9) or an estimator
feature that is not there yet are skipped, and say why.

The selected blocks start together when the first of these tests runs, two
at a time (one BLAS thread each, so they do not oversubscribe a 2-core
machine), and each test waits for its own block's result.
"""

import ast
import functools
import importlib.util
import os
import re
import signal
import subprocess
import sys
import textwrap
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.rst"))]


# generous: each block takes a few seconds on an idle 2-core machine, minutes
# on a very busy one; a hanging block fails after this
TIMEOUT = 300
PARALLEL = 2
_FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)
_DIRECTIVE = re.compile(r"^([ \t]*)\.\. code-block::[ \t]*python[ \t]*$")


def _markdown_blocks(text):
    for match in _FENCE.finditer(text):
        line = text.count("\n", 0, match.start()) + 2
        yield line, match.group(1)


def _rst_blocks(text):
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        match = _DIRECTIVE.match(lines[i])
        i += 1
        if not match:
            continue
        indent = len(match.group(1).expandtabs())
        while i < len(lines) and re.match(r"^\s+:[\w-]+:", lines[i]):
            i += 1  # directive options
        body = []
        while i < len(lines):
            line = lines[i]
            if line.strip() and len(line) - len(line.lstrip()) <= indent:
                break
            body.append(line)
            i += 1
        start = i - len(body) + 1
        while body and not body[0].strip():
            body.pop(0)
            start += 1
        yield start, textwrap.dedent("\n".join(body)).strip("\n") + "\n"


def _blocks():
    blocks = []
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        parse = _markdown_blocks if path.suffix == ".md" else _rst_blocks
        for line, code in parse(text):
            blocks.append((f"{path.relative_to(ROOT).as_posix()}:{line}", code))
    return blocks


BLOCKS = _blocks()


def _imported_modules(code):
    names = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


# module a block imports (or uses through skbackprop) -> the extra bringing it
_EXTRA_OF = {
    "dask": "dask",
    "dask_ml": "dask",
    "distributed": "dask",
    "onnx": "onnx",
    "onnxruntime": "onnx",
    "skl2onnx": "onnx",
    "skops": "persist",
    "rich": "progress",
    "pandas": "test",
    "array_api_strict": "test",
    "torch": "array-api",
}


# names whose use needs a module the block does not import itself
_USES = {
    "to_onnx": ("skl2onnx", "onnxruntime"),
    "ProgressBar": ("rich",),
    "data_as_pandas": ("pandas",),
}


def _alpha_scaling_exists():
    from skbackprop import BackpropMLPClassifier

    return "alpha_scaling" in BackpropMLPClassifier().get_params()


def _sklearn_module_filter_honoured():
    from sklearn.exceptions import ConvergenceWarning

    from skbackprop import BackpropMLPClassifier

    X = np.random.RandomState(0).randn(20, 3)
    y = np.arange(20) % 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings(
            "ignore", category=ConvergenceWarning, module="sklearn"
        )
        BackpropMLPClassifier((3,), max_iter=1, random_state=0).fit(X, y)
    return not [w for w in caught if issubclass(w.category, ConvergenceWarning)]


def _sklearn_divergence_message():
    from sklearn.datasets import load_diabetes

    from skbackprop import BackpropMLPRegressor

    X, y = load_diabetes(return_X_y=True)
    try:
        BackpropMLPRegressor(solver="sgd", random_state=0).fit(X, y * 1e200)
    except ValueError as exc:
        return str(exc).startswith("Solver produced non-finite parameter weights.")
    return False


# documented estimator behaviour (alpha_scaling, ...) that may land after
# the documentation: (pattern in the block, what it needs, check)
_FEATURES = [
    (r"\balpha_scaling\b", "the alpha_scaling parameter", _alpha_scaling_exists),
    (
        r"module=\"sklearn\"",
        "ConvergenceWarning filters on module='sklearn'",
        _sklearn_module_filter_honoured,
    ),
    (
        r"Solver produced non-finite",
        "scikit-learn's wording of the divergence error",
        _sklearn_divergence_message,
    ),
]


@functools.lru_cache(maxsize=None)
def _missing(code):
    """Why the block cannot run here, or None."""
    for module in sorted(_imported_modules(code)):
        if module == "sklearn.callback" or module.startswith("sklearn.callback."):
            if importlib.util.find_spec("sklearn.callback") is None:
                return "needs scikit-learn >= 1.9 (sklearn.callback)"
        top = module.split(".")[0]
        if top in _EXTRA_OF and importlib.util.find_spec(top) is None:
            return f"needs {top} (extra {_EXTRA_OF[top]!r})"
    for name, modules in _USES.items():
        if re.search(rf"\b{name}\b", code):
            for module in modules:
                if importlib.util.find_spec(module) is None:
                    return f"{name} needs {module} (extra {_EXTRA_OF[module]!r})"
    for pattern, what, present in _FEATURES:
        if re.search(pattern, code) and not present():
            return f"needs {what}, not implemented yet"
    return None


def _params():
    # a fresh interpreter costs about a second before the block's own work,
    # so only the README's first block (the quick start) runs in the fast
    # subset, as a canary; every other block is marked slow
    return [
        pytest.param(code, id=block_id,
                     marks=[] if i == 0 else [pytest.mark.slow])
        for i, (block_id, code) in enumerate(BLOCKS)
    ]


def _run(code, cwd):
    """Run ``code`` as ``cwd/snippet.py``; return (returncode, out, err),
    returncode None when it ran past TIMEOUT (it is killed then)."""
    script = cwd / "snippet.py"
    script.write_text(code, encoding="utf-8")
    env = dict(os.environ, MPLBACKEND="Agg")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    # the checkout's package, also where the installed one is another copy
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), env.get("PYTHONPATH", "")]
    ).rstrip(os.pathsep)
    env.pop("PYTHONWARNINGS", None)
    proc = subprocess.Popen(
        [sys.executable, script.name],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, killed as a whole
    )
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        return None, out, err
    return proc.returncode, out, err


_PORT_IN_USE = re.compile(
    r"^.*UserWarning: Port \d+ is already in use\.\n(?:.*\n){0,4}?"
    r"\s*warnings\.warn\(.*\n",
    re.M,
)


@pytest.fixture(scope="module")
def results(request, tmp_path_factory):
    """Start every block this session selected and can run; map code to
    (folder, future of _run's result).

    Under pytest-xdist each worker collects every test but runs only those
    it is handed, one at a time, so starting them all here would run each
    block once per worker: there, each test runs its own block (empty map),
    and the workers are the parallelism."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return {}
    codes = [
        item.callspec.params["code"]
        for item in request.session.items
        if item.module is sys.modules[__name__]
        and item.originalname == "test_block_runs_on_its_own"
    ]
    pool = ThreadPoolExecutor(max_workers=PARALLEL)
    request.addfinalizer(lambda: pool.shutdown(cancel_futures=True))
    started = {}
    for code in codes:
        if code not in started and _missing(code) is None:
            folder = tmp_path_factory.mktemp("snippet")
            started[code] = folder, pool.submit(_run, code, folder)
    return started


def test_every_python_block_is_found():
    """No Python block escapes the collection below: every fence and
    directive is parsed, and no other Python block syntax is used."""
    by_file = {}
    for block_id, code in BLOCKS:
        by_file.setdefault(block_id.rsplit(":", 1)[0], []).append(code)
        ast.parse(code)  # each block is valid Python on its own
        assert code.strip(), block_id
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(by_file["README.md"]) == readme.count("```python") >= 6
    # the fast subset's canary is the quick start
    assert BLOCKS[0][0].startswith("README.md:")
    assert "BackpropMLPClassifier(" in BLOCKS[0][1]
    for path in SOURCES[1:]:
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(ROOT).as_posix()
        assert len(by_file.get(name, [])) == text.count(".. code-block:: python")
        for other in (".. code::", ".. sourcecode::", ".. doctest::", ">>> "):
            assert other not in text, (name, other)
    assert len(by_file["docs/user_guide.rst"]) >= 6
    assert len(by_file["docs/drop_in.rst"]) >= 3


@pytest.mark.parametrize("code", _params())
def test_block_runs_on_its_own(code, results, tmp_path_factory):
    reason = _missing(code)
    if reason:
        pytest.skip(reason)
    if code in results:
        folder, future = results[code]
        rc, out, err = future.result()
    else:
        folder = tmp_path_factory.mktemp("snippet")
        rc, out, err = _run(code, folder)
    assert not folder.resolve().is_relative_to(ROOT)
    assert rc is not None, (
        f"hung: still running after {TIMEOUT} s\n{out[-2000:]}\n{err[-2000:]}"
    )
    assert rc == 0, f"exit {rc}\n{out[-2000:]}\n{err[-4000:]}"
    # what a user would see: no warning and no traceback printed (but for
    # distributed's note that another cluster holds the dashboard's port)
    err = _PORT_IN_USE.sub("", err)
    assert "Warning" not in err and "Traceback" not in err, err[-4000:]
    # files the block writes land in the temporary folder
    for name in re.findall(r"\"([\w.-]+\.(?:joblib|skops))\"", code):
        assert (folder / name).is_file(), name

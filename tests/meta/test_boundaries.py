"""The package's boundaries, as rules on who imports whom.

Each rule of :data:`RULES` names the modules it binds (``importers``), the
modules they must not import (``forbidden``), and the exceptions
(``allowed_importers``: modules the rule does not bind; ``allowed``:
forbidden modules that may still be imported, the named seams).  Names are
dotted module names; a trailing ``.*`` matches every module below (not the
package itself).  Imports are read from the source (every ``import`` and
``from ... import``, at module level or inside a function, and literal
``importlib.import_module`` calls; a computed name counts as an import of
``<dynamic>``), so a boundary holds whatever name a helper gives a variable.

When a module is renamed, edit the table: a pattern that matches no module
fails ``test_every_rule_names_modules_that_exist``.
"""

import ast
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

import skbackprop

PACKAGE = Path(skbackprop.__file__).resolve().parent
E = "skbackprop._engine"


# --- the table ---------------------------------------------------------------
# the compiled (and compilable) kernels and the modules that build them
KERNELS = [f"{E}.kernels", f"{E}._numba_kernels", f"{E}.compiled_epoch"]


# the module(s) that choose and call the kernels: the training loop
KERNEL_USERS = [f"{E}.trainer"]


# what code outside the engine may import from it: the package, and the
# named seams (a private engine module some outside module needs by name)
ENGINE_SEAMS = [E, f"{E}.network", f"{E}.namespace", f"{E}.gradcheck"]
RULES = {
    "the engine imports no scikit-learn": dict(
        importers=[E, f"{E}.*"],
        forbidden=["sklearn", "sklearn.*"],
    ),
    "only the trainer imports the kernels": dict(
        importers=["skbackprop", "skbackprop.*"],
        forbidden=KERNELS,
        # the kernel modules build on each other
        allowed_importers=KERNEL_USERS + KERNELS,
    ),
    "only the kernel modules import numba": dict(
        importers=["skbackprop", "skbackprop.*"],
        forbidden=["numba", "numba.*"],
        allowed_importers=KERNELS,
    ),
    "nothing outside the engine imports its private modules": dict(
        importers=["skbackprop", "skbackprop.*"],
        forbidden=[f"{E}.*"],
        allowed_importers=[E, f"{E}.*"],
        allowed=ENGINE_SEAMS,
    ),
    "modules are loaded by computed names only where the kernels are chosen": dict(
        importers=["skbackprop", "skbackprop.*"],
        forbidden=["<dynamic>"],
        allowed_importers=[f"{E}.kernels"],
    ),
}


# --- reading the imports -----------------------------------------------------
def module_names():
    """``{dotted name: path}`` of every module of the package."""
    names = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _base(module, path, level):
    """The package that a relative import of ``level`` dots starts from."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for _ in range(level - 1):
        package = package.rpartition(".")[0]
    return package


def imports_of(module, path, known):
    """``[(imported module, line)]`` of ``module``: ``from a import b``
    counts as importing ``a.b`` where that is a module, else ``a``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = _base(module, path, node.level) + (f".{base}" if base else "")
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.append((sub if sub in known else base, node.lineno))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "import_module"):
            arg = node.args[0] if node.args else None
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.append((arg.value, node.lineno))
            else:
                found.append(("<dynamic>", node.lineno))
    return list(dict.fromkeys(found))


def _matches(name, patterns):
    return any(fnmatchcase(name, p) for p in patterns)


def violations(rule, graph):
    """``["importer:line imports module"]`` breaking ``rule``; ``graph`` is
    ``{module: [(imported, line)]}``."""
    bad = []
    for importer, imported in sorted(graph.items()):
        if not _matches(importer, rule["importers"]) or _matches(
                importer, rule.get("allowed_importers", [])):
            continue
        for name, line in imported:
            if _matches(name, rule["forbidden"]) and not _matches(
                    name, rule.get("allowed", [])):
                bad.append(f"{importer}:{line} imports {name}")
    return bad


@pytest.fixture(scope="module")
def graph():
    known = module_names()
    return {m: imports_of(m, p, known) for m, p in known.items()}


# --- the tests ---------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(RULES))
def test_boundary(name, graph):
    assert not violations(RULES[name], graph), violations(RULES[name], graph)


def test_every_rule_names_modules_that_exist():
    """Each pattern of the table matches a module of the package (or, for
    third-party names, names one), so a rename fails here instead of
    leaving a rule that binds nothing."""
    known = set(module_names())
    for name, rule in RULES.items():
        for key in ("importers", "allowed_importers", "allowed", "forbidden"):
            for pattern in rule.get(key, []):
                if pattern.startswith("skbackprop"):
                    assert any(fnmatchcase(m, pattern) for m in known), (name, pattern)


def test_the_rules_catch_what_they_forbid():
    """Each rule, on a graph where one importer it binds imports the first
    module it forbids, reports exactly that import."""
    for name, rule in RULES.items():
        importer = next(p for p in rule["importers"] if "*" not in p) + ".any_module"
        if _matches(importer, rule.get("allowed_importers", [])):
            importer = "skbackprop.some_module"
        forbidden = rule["forbidden"][0].replace("*", "some_private_module")
        if _matches(forbidden, rule.get("allowed", [])):
            forbidden = next(f for f in rule["forbidden"] if "*" not in f)
        fake = {importer: [(forbidden, 7)], "skbackprop.other": [("numpy", 1)]}
        assert violations(rule, fake) == [f"{importer}:7 imports {forbidden}"], name


def test_relative_imports_resolve_to_modules():
    """``from . import x``, ``from .pkg import name`` and ``from .. import
    y`` read as the modules they import."""
    known = module_names()
    engine = dict(imports_of(E, known[E], known))
    assert f"{E}.activations" in engine and f"{E}.trainer" in engine
    mlp = dict(imports_of("skbackprop._mlp", known["skbackprop._mlp"], known))
    assert "skbackprop._training" in mlp and E in mlp

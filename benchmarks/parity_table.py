"""Accuracy of skbackprop against scikit-learn's MLP, parameter for parameter.

For every solver x learning_rate x early_stopping combination, both
estimators get the same parameters and the same seeds, and are scored by
5-fold cross-validation (accuracy for load_iris and load_digits, R^2 for
load_diabetes), averaged over several seeds. Run::

    python benchmarks/parity_table.py [--seeds 5] [--markdown]

``tests/estimator/test_sklearn_parity.py`` checks a smaller version of the same table.
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import load_diabetes, load_digits, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor

# (solver, learning_rate, early_stopping); learning_rate only matters for sgd
COMBOS = [
    ("adam", "constant", False),
    ("adam", "constant", True),
    ("sgd", "constant", False),
    ("sgd", "constant", True),
    ("sgd", "invscaling", False),
    ("sgd", "invscaling", True),
    ("sgd", "adaptive", False),
    ("sgd", "adaptive", True),
    ("lbfgs", "constant", False),
]


def datasets():
    """(name, X, y, ours, sklearn's, base parameters) for each dataset."""
    X, y = load_iris(return_X_y=True)
    # a 20% validation split (24 samples) keeps early stopping meaningful
    yield "iris", X, y, BackpropMLPClassifier, MLPClassifier, dict(
        hidden_layer_sizes=(10,), max_iter=300, validation_fraction=0.2,
        n_iter_no_change=20,
    )
    X, y = load_digits(return_X_y=True)
    yield "digits", X / 16.0, y, BackpropMLPClassifier, MLPClassifier, dict(
        hidden_layer_sizes=(32,), max_iter=60
    )
    X, y = load_diabetes(return_X_y=True)
    yield "diabetes", X, (y - y.mean()) / y.std(), BackpropMLPRegressor, (
        MLPRegressor
    ), dict(hidden_layer_sizes=(16,), max_iter=200)


def params_for(base, solver, learning_rate, early_stopping, seed):
    params = dict(
        base,
        solver=solver,
        learning_rate=learning_rate,
        early_stopping=early_stopping,
        random_state=seed,
    )
    if solver == "sgd":
        # sgd's default rate (1e-3) barely moves in these budgets; 0.05 with
        # power_t 0.25 keeps invscaling useful too
        params.update(learning_rate_init=0.05, power_t=0.25)
    elif solver == "adam":
        params.update(learning_rate_init=0.01)
    return params


def cv_score(cls, X, y, params, seed, classifier):
    folds = (StratifiedKFold if classifier else KFold)(
        5, shuffle=True, random_state=seed
    )
    model = make_pipeline(StandardScaler(), cls(**params))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return cross_val_score(model, X, y, cv=folds).mean()


def compare(name, X, y, ours_cls, theirs_cls, base, combo, seeds):
    """Mean CV score of both estimators for one combination, over seeds."""
    classifier = name != "diabetes"
    ours, theirs = [], []
    for seed in seeds:
        params = params_for(base, *combo, seed)
        ours.append(cv_score(ours_cls, X, y, params, seed, classifier))
        theirs.append(cv_score(theirs_cls, X, y, params, seed, classifier))
    return float(np.mean(ours)), float(np.mean(theirs))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    seeds = list(range(args.seeds))
    start = time.perf_counter()
    rows = []
    for name, X, y, ours_cls, theirs_cls, base in datasets():
        for combo in COMBOS:
            ours, theirs = compare(name, X, y, ours_cls, theirs_cls, base, combo, seeds)
            rows.append((name, *combo, ours, theirs, ours - theirs))
    metric = {"iris": "accuracy", "digits": "accuracy", "diabetes": "R^2"}
    if args.markdown:
        print("| dataset (metric) | solver | learning_rate | early_stopping "
              "| skbackprop | sklearn | difference |")
        print("|---|---|---|---|---:|---:|---:|")
        for name, solver, lr, es, ours, theirs, diff in rows:
            print(f"| {name} ({metric[name]}) | {solver} | {lr} | {es} "
                  f"| {ours:.4f} | {theirs:.4f} | {diff:+.4f} |")
    else:
        print(f"{'dataset':10} {'solver':6} {'lr':10} {'es':5} "
              f"{'ours':>8} {'sklearn':>8} {'diff':>8}")
        for name, solver, lr, es, ours, theirs, diff in rows:
            print(f"{name:10} {solver:6} {lr:10} {es!s:5} "
                  f"{ours:8.4f} {theirs:8.4f} {diff:+8.4f}")
    worst = min(row[-1] for row in rows)
    print(f"\n{len(rows)} combinations, {len(seeds)} seeds x 5 folds each; "
          f"worst difference {worst:+.4f}; {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()

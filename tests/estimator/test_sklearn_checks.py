"""scikit-learn's estimator checks, with zero expected failures -- the
dropout estimators included: a row's dropout mask is a function of the row
(see ``skbackprop._engine.masks``), so integer sample weights fit exactly as
repeated rows.

The default estimators run in the quick loop; the other solvers and the
extensions over scikit-learn run with the full suite (``slow``).
"""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor

DEFAULTS = [
    BackpropMLPClassifier(random_state=0),
    BackpropMLPRegressor(random_state=0),
]
VARIANTS = [
    BackpropMLPClassifier(solver="lbfgs", random_state=0),
    BackpropMLPRegressor(solver="lbfgs", random_state=0),
    BackpropMLPClassifier(solver="sgd", random_state=0),
    BackpropMLPRegressor(solver="sgd", random_state=0),
    # beyond scikit-learn: dropout, one activation per hidden layer
    BackpropMLPClassifier(dropout=0.1, random_state=0),
    BackpropMLPRegressor(dropout=0.1, random_state=0),
    BackpropMLPClassifier(
        hidden_layer_sizes=(20, 10), activation=["tanh", "relu"], random_state=0
    ),
    BackpropMLPRegressor(
        hidden_layer_sizes=(20, 10), activation=("tanh", "relu"), solver="lbfgs",
        random_state=0,
    ),
    # 'balanced' counts classes by sample weight: weights equal repeated rows
    # (partial_fit refuses 'balanced', so an adam variant would fail checks
    # that call it)
    BackpropMLPClassifier(solver="lbfgs", class_weight="balanced", random_state=0),
]


# the checks fit on tiny problems with default max_iter; a ConvergenceWarning
# there is expected behaviour, not a defect
IGNORE_CONVERGENCE = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)


@IGNORE_CONVERGENCE
@parametrize_with_checks(DEFAULTS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@IGNORE_CONVERGENCE
@pytest.mark.slow
@parametrize_with_checks(VARIANTS)
def test_sklearn_compatible_estimator_variants(estimator, check):
    check(estimator)

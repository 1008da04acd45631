"""scikit-learn's estimator checks on the tabular estimators: small
networks and few epochs in the fast loop (the checks fit tiny problems many
times), the defaults in the slow one."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from skbackprop import TabularMLPClassifier, TabularMLPRegressor

SMALL = dict(hidden_layer_sizes=(16,), max_epochs=32, random_state=0)
ESTIMATORS = [TabularMLPClassifier(**SMALL), TabularMLPRegressor(**SMALL)]
DEFAULTS = [
    TabularMLPClassifier(random_state=0),
    TabularMLPRegressor(random_state=0),
]


def expected_failures(estimator):
    """The checks these estimators fail, each with its reason."""
    return {
        "check_sample_weight_equivalence_on_dense_data": (
            "the validation split (for the best epoch) and the mini-batches "
            "are drawn over rows: a row of weight 2 and a repeated row fall "
            "into different splits and batches"),
    }


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failures)
def test_sklearn_compatible_tabular_estimator(estimator, check):
    check(estimator)


@pytest.mark.slow
@parametrize_with_checks(DEFAULTS, expected_failed_checks=expected_failures)
def test_sklearn_compatible_tabular_estimator_defaults(estimator, check):
    check(estimator)

"""scikit-learn's estimator checks on the tabular estimators (small
networks, few epochs: the checks fit tiny problems many times)."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skbackprop import TabularMLPClassifier, TabularMLPRegressor

ESTIMATORS = [
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

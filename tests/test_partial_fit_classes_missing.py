"""partial_fit refuses NaN among ``classes`` with an error about ``classes``
and no RuntimeWarning (pytest turns one into an error)."""

import numpy as np
import pytest

from skbackprop import BackpropMLPClassifier

X = np.random.RandomState(0).rand(6, 2)
Y = np.array([0, 1, 0, 1, 0, 1])


@pytest.mark.parametrize("classes", [
    [0, 1, np.nan],
    [0.0, 1.0, float("nan")],
    (0, 1, np.float32("nan")),
    np.array([0.0, 1.0, np.nan]),
    np.array(["a", "b", np.nan], dtype=object),
])
def test_nan_in_classes_is_a_clear_error(classes):
    before = list(classes)
    clf = BackpropMLPClassifier(random_state=0)
    with pytest.raises(ValueError, match="^classes contains NaN"):
        clf.partial_fit(X, Y, classes=classes)
    assert not hasattr(clf, "classes_")
    assert [str(v) for v in classes] == [str(v) for v in before]


def test_classes_without_nan_still_work():
    clf = BackpropMLPClassifier(random_state=0).partial_fit(X, Y, classes=[0, 1])
    np.testing.assert_array_equal(clf.classes_, [0, 1])

"""The tabular estimators' ensemble (``n_ensemble``): members trained one
after another from one random stream, their outputs averaged."""

import copy

import numpy as np
import pytest
from helpers.small_tables import table
from numpy.testing import assert_allclose, assert_array_equal

from skbackprop import TabularMLPClassifier, TabularMLPRegressor
from skbackprop._engine import Network, PeriodicEmbedding
from skbackprop._tabular import build_network

pd = pytest.importorskip("pandas")

FAST = dict(hidden_layer_sizes=(16,), max_epochs=12, random_state=0)


def _arrays(member):
    coefs, intercepts = member
    return [*coefs, *intercepts]


def _only(est, members):
    one = copy.copy(est)
    one.members_ = members
    return one


@pytest.mark.parametrize("cls", [TabularMLPClassifier, TabularMLPRegressor])
def test_the_first_member_is_the_single_model(cls):
    """Member 0 draws first from ``random_state``: it is, bit for bit, the
    model of ``n_ensemble=1``, whose training record the ensemble keeps;
    the next member starts from other weights and ends elsewhere."""
    X, y_class, y_num = table()
    y = y_class if cls is TabularMLPClassifier else y_num
    single = cls(n_ensemble=1, **FAST).fit(X, y)
    pair = cls(n_ensemble=2, **FAST).fit(X, y)
    assert len(single.members_) == 1 and len(pair.members_) == 2
    for a, b in zip(_arrays(pair.members_[0]), _arrays(single.members_[0])):
        assert_array_equal(a, b)
    assert pair.coefs_ is pair.members_[0][0]
    assert pair.intercepts_ is pair.members_[0][1]
    assert pair.n_iter_ == single.n_iter_
    assert pair.loss_curve_ == single.loss_curve_
    assert pair.validation_scores_ == single.validation_scores_
    assert pair.best_validation_score_ == single.best_validation_score_
    assert not np.array_equal(pair.members_[1][0][-1], pair.members_[0][0][-1])


def test_the_classifier_averages_the_members_probabilities():
    X, y, _ = table()
    clf = TabularMLPClassifier(n_ensemble=3, **FAST).fit(X, y)
    parts = [_only(clf, [m]).predict_proba(X) for m in clf.members_]
    assert_allclose(clf.predict_proba(X), sum(parts) / 3, rtol=0, atol=1e-15)
    assert_array_equal(clf.predict(X), clf.classes_[sum(parts).argmax(axis=1)])


def test_the_regressor_averages_the_members_predictions():
    X, _, y = table()
    reg = TabularMLPRegressor(n_ensemble=2, **FAST).fit(X, y)
    parts = [_only(reg, [m]).predict(X) for m in reg.members_]
    assert_allclose(reg.predict(X), (parts[0] + parts[1]) / 2, rtol=1e-12)
    assert not np.allclose(parts[0], parts[1])


def test_ctrl_c_ends_the_ensemble_with_the_member_it_interrupted(monkeypatch):
    """A KeyboardInterrupt in the second of three members keeps its last
    completed batch (with the loop's warning) and trains no third."""
    X, y, _ = table()
    original, calls = Network.data_loss_grad, []

    def counting(net, *args, **kwargs):
        calls.append(1)
        return original(net, *args, **kwargs)

    monkeypatch.setattr(Network, "data_loss_grad", counting)
    single = TabularMLPClassifier(n_ensemble=1, **FAST).fit(X, y)
    per_member = len(calls)

    def interrupting(net, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2 * per_member + 5:
            raise KeyboardInterrupt
        return original(net, *args, **kwargs)

    monkeypatch.setattr(Network, "data_loss_grad", interrupting)
    est = TabularMLPClassifier(n_ensemble=3, **FAST)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        est.fit(X, y)
    monkeypatch.undo()
    assert len(est.members_) == 2
    for a, b in zip(_arrays(est.members_[0]), _arrays(single.members_[0])):
        assert_array_equal(a, b)
    assert est.n_iter_ == single.n_iter_
    assert np.isfinite(est.predict_proba(X)).all()


def test_n_ensemble_is_validated():
    X, y, _ = table()
    with pytest.raises(ValueError, match="n_ensemble"):
        TabularMLPClassifier(n_ensemble=0, **FAST).fit(X, y)


def _frequency_spreads(est):
    """The standard deviation of each member's periodic frequencies."""
    network = build_network(est._architecture, np.float64)
    k, layer = next((k, layer) for k, layer in enumerate(network.layers)
                    if isinstance(layer, PeriodicEmbedding))
    n = layer.columns.size * layer.frequencies  # the frequencies come first
    return [float(np.std(coefs[k][:n])) for coefs, _ in est.members_]


def test_each_member_draws_its_frequencies_at_its_own_scale():
    """``frequency_scale`` gives member k the k-th scale, cycled: at an
    almost-zero learning rate the frequencies keep their initial spread."""
    X, y, _ = table()
    est = TabularMLPClassifier(n_ensemble=3, frequency_scale=(0.1, 3.0),
                               learning_rate_init=1e-12, **FAST).fit(X, y)
    first, second, third = _frequency_spreads(est)
    assert 0.06 < first < 0.15 and 0.06 < third < 0.15
    assert 2.0 < second < 4.5
    default = TabularMLPClassifier(learning_rate_init=1e-12, **FAST).fit(X, y)
    low, high = _frequency_spreads(default)
    assert 0.06 < low < 0.15 and 1.3 < high < 3.0


@pytest.mark.parametrize("scales", [(0.5, 0.5), [0.5]])
def test_one_scale_repeated_is_that_scale(scales):
    X, _, y = table()
    one = TabularMLPRegressor(n_ensemble=2, frequency_scale=0.5, **FAST).fit(X, y)
    est = TabularMLPRegressor(n_ensemble=2, frequency_scale=scales, **FAST).fit(X, y)
    for a, b in zip(one.members_, est.members_):
        for u, v in zip(_arrays(a), _arrays(b)):
            assert_array_equal(u, v)


@pytest.mark.parametrize("bad", [(), (0.1, "a"), (0.1, 0.0), (np.inf,), (True,),
                                 [[0.1]]])
def test_frequency_scale_is_validated(bad):
    X, y, _ = table()
    est = TabularMLPClassifier(**FAST).fit(X, y)
    before = _arrays(est.members_[0])
    with pytest.raises(ValueError, match="frequency_scale must be a positive "
                       "number or a non-empty sequence of them, got"):
        est.set_params(frequency_scale=bad).fit(X, y)
    for a, b in zip(before, _arrays(est.members_[0])):  # the fitted model stays
        assert_array_equal(a, b)

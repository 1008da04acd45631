"""Persistence: pickle, deepcopy, joblib mmap, skops, and loading bad state.

* A model loaded with joblib ``mmap_mode="r"`` can be trained further.
* Loading a state with an unknown activation / optimizer kind, another
  estimator's state or inconsistent weights: ValueError mentioning "state",
  at load time.
"""

import copy
import copyreg
import importlib.util
import io
import pickle
import zipfile

import numpy as np
import pandas as pd
from numpy.testing import assert_array_equal
from skb_test_helpers import quiet
from sklearn.neural_network import MLPClassifier, MLPRegressor

from battery.case import (
    BASE_PARAMS,
    COLS,
    FIT,
    LABELS,
    PFIT,
    Y_3,
    Y_BIN,
    Y_REG,
    Case,
    D,
    X,
    assert_same_model,
    assert_state_equal,
    attr_is,
    checks,
    fitted_state,
    joblib_mmap,
    pickled,
    same_as,
    tagged,
)
from skbackprop import BackpropMLPClassifier, BackpropMLPRegressor

HAS_SKOPS = importlib.util.find_spec("skops") is not None


def _persistence_cases():
    cases = []
    add = cases.append

    def roundtrip(load, method="predict"):
        def call(est, d):
            FIT(est, d)
            d["copy"] = load(est)
            return est

        def check(est, result, d):
            c = d["copy"]
            assert_array_equal(getattr(c, method)(d["X"]), getattr(est, method)(d["X"]))
            assert_state_equal(fitted_state(est), fitted_state(c))

        return call, check

    for name, load, kind, params, y in [
        ("pickle-protocol-0", lambda e: pickled(e, 0), "reg", {}, Y_REG),
        ("pickle-protocol-5-early-stopping", lambda e: pickled(e, 5), "clf",
         dict(early_stopping=True), LABELS),
        ("joblib-mmap-predict", joblib_mmap, "clf", {}, Y_3),
        ("deepcopy-string-labels", copy.deepcopy, "clf", dict(solver="sgd"), LABELS),
    ]:
        call, check = roundtrip(load, "predict_proba" if kind == "clf" else "predict")
        add(Case(f"{kind}-{name}", kind, D(X=X, y=y), call, params=params,
                 check=check))
    df = pd.DataFrame(X, columns=COLS)
    call, check = roundtrip(pickled)
    add(Case("reg-pickle-dataframe-feature-names", "reg",
             D(X=df, y=pd.Series(Y_REG, name="t")), call,
             check=checks(check, attr_is("feature_names_in_", np.array(COLS,
                                                                         dtype=object)))))

    def deepcopy_independent(est, d):
        FIT(est, d)
        c = copy.deepcopy(est)
        c.coefs_[0][...] = 0.0
        c.partial_fit(d["X"], d["y"])
        return est

    add(Case("reg-deepcopy-is-independent", "reg", D(X=X, y=Y_REG),
             deepcopy_independent, check=same_as(D(X=X, y=Y_REG))))

    def mmap_then(step):
        def call(est, d):
            FIT(est, d)
            loaded = joblib_mmap(est)
            ref = pickled(est)
            step(loaded, d)
            with quiet():
                step(ref, d)
            d["ref"] = ref
            return loaded

        return call

    for kind, solver, y, cls in [("clf", "adam", Y_BIN, {}), ("reg", "sgd", Y_REG, {})]:
        add(Case(f"{kind}-{solver}-joblib-mmap-then-partial_fit", kind,
                 D(X=X, y=y, **cls), mmap_then(PFIT), params=dict(solver=solver),
                 check=lambda e, r, d: assert_same_model(r, d["ref"])))
    add(Case("clf-joblib-mmap-then-warm_start-fit", "clf", D(X=X, y=Y_BIN),
             mmap_then(FIT), params=dict(warm_start=True),
             check=lambda e, r, d: assert_same_model(r, d["ref"])))
    return cases


def _load_state(cls, state):
    """``pickle.loads`` of an object of class ``cls`` whose state is ``state``."""

    class Forged:
        def __reduce__(self):
            return (copyreg._reconstructor, (cls, object, None), state)

    return pickle.loads(pickle.dumps(Forged()))


def _fitted(cls, y, **params):
    est = cls(**{**BASE_PARAMS, **params})
    with quiet():
        return est.fit(X, y)


def _state_of(cls, y, **changes):
    state = dict(_fitted(cls, y).__getstate__())
    for key, value in changes.items():
        if key == "optimizer":  # the persisted optimizer: a dict with "kind"
            key = next(k for k, v in state.items() if isinstance(v, dict)
                       and "kind" in v)
            value = value(dict(state[key]))
        state[key] = value
    return state


def _skops_edited(cls, y, old, new):
    import skops.io as sio

    data = sio.dumps(_fitted(cls, y))
    src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            blob = src.read(name)
            if name == "schema.json":
                text = blob.decode()
                needle = f'"content": "\\"{old}\\""'
                assert needle in text, needle
                blob = text.replace(needle, f'"content": "\\"{new}\\""').encode()
            dst.writestr(name, blob)
    return out.getvalue()


def _skops_load(data):
    import skops.io as sio

    return sio.loads(data, trusted=sio.get_untrusted_types(data=data))


def _state_cases():
    cases = []
    add = cases.append
    C, R = BackpropMLPClassifier, BackpropMLPRegressor
    mismatch = r"(?is)(?=.*state)(?=.*(classifier|regressor))"

    def names(*words):
        return r"(?is)(?=.*state)(?=.*(" + "|".join(words) + "))"

    def drop_m(opt):
        del opt["m"]
        return opt

    for name, load, pattern, _before in [
        ("pickle-unknown-activation",
         lambda: _load_state(C, _state_of(C, Y_BIN, activation="bogus")),
         names("activation"), "unknown activation loads; ValueError only at predict"),
        ("pickle-unknown-out_activation_",
         lambda: _load_state(C, _state_of(C, Y_BIN, out_activation_="bogus")),
         names("out_activation_"), "unknown out_activation_ loads; KeyError 'bogus' "
         "at predict"),
        ("pickle-unknown-optimizer-kind",
         lambda: _load_state(C, _state_of(C, Y_BIN, optimizer=lambda o: {
             **o, "kind": "Bogus"})),
         names("optimizer", "kind", "Bogus"), "KeyError 'Bogus' in "
         "optimizer_from_state"),
        ("pickle-optimizer-state-missing-array",
         lambda: _load_state(R, _state_of(R, Y_REG, optimizer=drop_m)).partial_fit(
             X, Y_REG),
         names("optimizer", "'m'", r"\bm\b"), "loads; AttributeError 'Adam' object has "
         "no attribute 'm' at partial_fit"),
        ("regressor-state-into-classifier",
         lambda: _load_state(C, _state_of(R, Y_REG)).predict(X), mismatch,
         "loads; AttributeError '_label_binarizer' at predict"),
        ("classifier-state-into-regressor",
         lambda: _load_state(R, _state_of(C, Y_BIN)).predict(X), mismatch,
         "loads and predicts the classifier's probabilities as regression values"),
        ("sklearn-MLPClassifier-state",
         lambda: _load_state(C, _fitted(MLPClassifier, Y_BIN).__getstate__())
         .partial_fit(X, Y_BIN), mismatch,
         "loads and predicts; AttributeError 'class_weight' at partial_fit"),
        ("sklearn-MLPRegressor-state",
         lambda: _load_state(R, _fitted(MLPRegressor, Y_REG).__getstate__())
         .partial_fit(X, Y_REG), mismatch,
         "loads; fails only later, inside the optimizer"),
        ("coefs-that-do-not-chain",
         lambda: _load_state(C, _state_of(C, Y_BIN, coefs_=[np.zeros((4, 3)),
                                                            np.zeros((5, 1))]))
         .predict(X), names("coefs_"), "loads; matmul shape error at predict"),
        ("fitted-state-without-coefs_",
         lambda: _load_state(C, {k: v for k, v in _state_of(C, Y_BIN).items()
                                 if k != "coefs_"}).predict(X),
         names("coefs_"), "loads; AttributeError 'coefs_' at predict"),
        ("state-not-a-dict", lambda: _load_state(C, [1, 2]), names("dict"),
         "AttributeError 'list' object has no attribute 'get'"),
        ("skops-unknown-activation",
         lambda: _skops_load(_skops_edited(R, Y_REG, "relu", "bogus")).predict(X),
         names("activation"), "skops file loads; ValueError only at predict"),
        ("skops-unknown-optimizer-kind",
         lambda: _skops_load(_skops_edited(R, Y_REG, "Adam", "Bogus")),
         names("optimizer", "kind", "Bogus"), "KeyError 'Bogus' inside skops.io.load"),
    ]:
        add(Case(name, "none", D(), lambda est, d, load=load: load(), ValueError,
                 pattern, extra=True))

    def unfitted_round_trip(est, d):
        return _load_state(C, C(**BASE_PARAMS).__getstate__()).fit(X, Y_BIN)

    add(Case("unfitted-state-round-trip-then-fit", "none", D(), unfitted_round_trip,
             check=lambda e, r, d: assert_same_model(r, _fitted(C, Y_BIN)),
             extra=True))

    def skops_round_trip(est, d):
        est = _fitted(C, LABELS, solver="sgd", class_weight={"a": 2.0, "b": 1.0})
        loaded = _skops_load(__import__("skops.io").io.dumps(est))
        d["est"] = est
        return loaded

    add(Case("skops-round-trip-string-labels-class_weight", "none", D(),
             skops_round_trip,
             check=lambda e, r, d: (
                 assert_array_equal(r.predict_proba(X), d["est"].predict_proba(X)),
                 assert_same_model(r.partial_fit(X, LABELS),
                                   d["est"].partial_fit(X, LABELS))),
             extra=True))
    return cases


CASES = tagged("persistence", _persistence_cases() + [
    c for c in _state_cases() if HAS_SKOPS or "skops" not in c.id])

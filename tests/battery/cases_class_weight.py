"""class_weight (an extension: not run against sklearn).

class_weight values must be finite, non-negative numbers (ValueError
naming class_weight and the problem); a label that is not a class follows
sklearn's ``compute_sample_weight``.
"""


import numpy as np

from battery.case import (
    FIT,
    PFIT,
    X0,
    Y_3,
    Y_BIN,
    Case,
    D,
    X,
    fit_with,
    partial_fit_with,
    same_as,
    t_counts_all,
    tagged,
)


def _class_weight_misuse_cases():
    """An unknown string; 'balanced' with partial_fit."""
    cases = []
    add = cases.append
    c = "clf"
    add(Case("clf-param-class_weight='heavy'", c, D(), fit_with(X0), ValueError,
             "The 'class_weight' parameter", params=dict(class_weight="heavy"),
             extra=True))
    add(Case("clf-partial_fit-class_weight-balanced", c, D(),
             partial_fit_with(X0), ValueError,
             "class_weight='balanced' is not supported for partial_fit",
             params=dict(class_weight="balanced"), extra=True))
    return cases


def _class_weight_cases():
    """Zero, negative and non-finite class weights; labels that are not
    classes; huge weights."""
    cases = []
    add = cases.append
    zero_cls = {0: 0.0, 1: 1.0, 2: 1.0}
    add(Case("clf-class_weight-zero-class-batch1", "clf", D(X=X, y=Y_3), FIT,
             params=dict(class_weight=zero_cls, batch_size=1, shuffle=False),
             check=same_as(D(X=X, y=Y_3, sample_weight=(Y_3 != 0).astype(float)),
                           ref_params=dict(class_weight=None)),
             extra=True))
    add(Case("clf-partial_fit-class_weight-zero-class", "clf",
             D(X=X, y=Y_3, classes=[0, 1, 2]), PFIT,
             params=dict(class_weight=zero_cls, batch_size=1, shuffle=False),
             check=t_counts_all(20), extra=True))
    for name, cw, kw in [
        ("all-zero", {0: 0, 1: 0}, {}),
        ("zero-times-sample_weight", {0: 0, 1: 1},
         {"sample_weight": (Y_BIN == 0).astype(float)}),
    ]:
        add(Case(f"clf-class_weight-{name}", "clf", D(X=X, y=Y_BIN, **kw), FIT,
                 ValueError,
                 "class_weight and sample_weight give every sample zero weight",
                 params=dict(class_weight=cw), extra=True))
    add(Case("clf-partial_fit-class_weight-all-zero", "clf",
             D(X=X, y=Y_BIN, classes=[0, 1]), PFIT, ValueError,
             "class_weight and sample_weight give every sample zero weight",
             params=dict(class_weight={0: 0, 1: 0}), extra=True))
    neg = r"class_weight.*negative|negative.*class_weight"
    nonfinite = r"class_weight.*(NaN|nan|not finite|infinit)"
    for name, value, pattern, _before in [
        ("negative", -1.0, neg, "negative class weight: ZeroDivisionError or a "
         "model minimising a negative loss"),
        ("nan", np.nan, nonfinite, "NaN class weight reported as divergence"),
        ("inf", np.inf, nonfinite, "inf class weight reported as divergence"),
        ("-inf", -np.inf, r"class_weight.*(negative|not finite|infinit)",
         "-inf class weight reported as divergence"),
        ("string", "a", r"class_weight.*(numeric|number|real)",
         "string class weight: 'could not convert string to float' "
         "(sklearn.utils.class_weight), no mention of class_weight"),
        ("None", None, r"class_weight.*(numeric|number|real|None)",
         "None class weight reported as divergence"),
        ("complex", 1j, r"class_weight.*(numeric|number|real|complex)",
         "complex class weight: TypeError from float()"),
    ]:
        add(Case(f"clf-class_weight-{name}", "clf", D(X=X, y=Y_BIN), FIT,
                 ValueError, pattern, params=dict(class_weight={0: value, 1: 1.0}),
                 extra=True))
    add(Case("clf-partial_fit-class_weight-negative", "clf",
             D(X=X, y=Y_BIN, classes=[0, 1]), PFIT, ValueError, neg,
             params=dict(class_weight={0: -1.0, 1: 1.0}), extra=True))
    add(Case("clf-partial_fit-class_weight-nan", "clf",
             D(X=X, y=Y_BIN, classes=[0, 1]), PFIT, ValueError, nonfinite,
             params=dict(class_weight={0: np.nan, 1: 1.0}), extra=True))
    add(Case("clf-lbfgs-class_weight-negative", "clf", D(X=X, y=Y_BIN), FIT,
             ValueError, neg, params=dict(solver="lbfgs", class_weight={0: -1, 1: 1}),
             extra=True))
    # labels that are not classes: sklearn's compute_sample_weight rules
    add(Case("clf-class_weight-unknown-label-and-missing-class", "clf",
             D(X=X, y=Y_BIN), FIT, ValueError,
             r"The classes, \[1\], are not in class_weight",
             params=dict(class_weight={0: 2.0, 5: 1.0}), extra=True))
    add(Case("clf-class_weight-string-key-for-int-labels", "clf",
             D(X=X, y=Y_BIN), FIT, ValueError,
             r"The classes, \[0\], are not in class_weight",
             params=dict(class_weight={"0": 1.0, 1: 1.0}), extra=True))
    add(Case("clf-class_weight-extra-label-ignored", "clf", D(X=X, y=Y_BIN), FIT,
             params=dict(class_weight={0: 1.0, 1: 2.0, 5: 3.0}),
             check=same_as(D(X=X, y=Y_BIN),
                           ref_params=dict(class_weight={0: 1.0, 1: 2.0})),
             extra=True))
    add(Case("clf-class_weight-missing-class-gets-1", "clf", D(X=X, y=Y_BIN), FIT,
             params=dict(class_weight={0: 2.0}),
             check=same_as(D(X=X, y=Y_BIN),
                           ref_params=dict(class_weight={0: 2.0, 1: 1.0})),
             extra=True))
    too_large = r"(?i)weight[^.]*(too large|overflow)|(too large|overflow)[^.]*weight"
    add(Case("clf-class_weight-total-overflows-float64", "clf", D(X=X, y=Y_BIN), FIT,
             ValueError, too_large, params=dict(class_weight={0: 1e308, 1: 1e308}),
             extra=True))
    return cases


CASES = tagged("class_weight", _class_weight_misuse_cases() + _class_weight_cases())

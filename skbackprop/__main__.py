"""Demo: ``python -m skbackprop``.

1. The origin tutorial's problem: make_circles with a [2, 4, 3, 1] network,
   relu/relu/logistic, trained by full-batch gradient descent.  The tutorial's
   buggy code reached 0.82 accuracy and then diverged; this one converges.
2. load_digits with the default network, against a held-out test set.
"""

import time

import numpy as np
from sklearn.datasets import load_digits, make_circles
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skbackprop import BackpropMLPClassifier


def circles_demo(print_every=250):
    """Train the tutorial's network on make_circles; return (accuracy, model)."""
    X, y = make_circles(n_samples=1000, noise=0.05, factor=0.5, random_state=0)
    clf = BackpropMLPClassifier(
        hidden_layer_sizes=(4, 3),
        activation="relu",
        solver="sgd",
        learning_rate_init=0.5,
        momentum=0.0,  # plain gradient descent, as in the tutorial
        batch_size=len(X),  # full batch
        alpha=0.0,
        max_iter=5000,
        tol=1e-6,
        n_iter_no_change=50,
        random_state=1,
    )
    start = time.perf_counter()
    clf.fit(X, y)
    elapsed = time.perf_counter() - start
    print("make_circles, layers [2, 4, 3, 1], relu/relu/logistic, full-batch GD")
    for epoch in range(0, clf.n_iter_, print_every):
        print(f"  epoch {epoch + 1:5d}  loss {clf.loss_curve_[epoch]:.6f}")
    acc = clf.score(X, y)
    print(
        f"  epoch {clf.n_iter_:5d}  loss {clf.loss_:.6f}   "
        f"accuracy {acc:.3f}  ({elapsed:.2f} s)"
    )
    return acc, clf


def digits_demo():
    """Train the default network on load_digits; return (accuracy, model)."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    model = make_pipeline(
        StandardScaler(), BackpropMLPClassifier(random_state=0)
    )
    start = time.perf_counter()
    model.fit(X_train, y_train)
    elapsed = time.perf_counter() - start
    clf = model[-1]
    print("load_digits, hidden (100,), relu, adam")
    for epoch in range(0, clf.n_iter_, 10):
        print(f"  epoch {epoch + 1:5d}  loss {clf.loss_curve_[epoch]:.6f}")
    acc = model.score(X_test, y_test)
    print(
        f"  epoch {clf.n_iter_:5d}  loss {clf.loss_:.6f}   "
        f"test accuracy {acc:.3f}  ({elapsed:.2f} s)"
    )
    return acc, model


def main():
    np.set_printoptions(precision=4)
    circles_demo()
    print()
    digits_demo()


if __name__ == "__main__":
    main()

"""Demo: ``python -m skbackprop [--quick] [circles|digits|all]``.

1. The problem of the backpropagation tutorial skbackprop grew from:
   make_circles with a [2, 4, 3, 1] network, relu/relu/logistic, trained by
   full-batch gradient descent.  The tutorial's buggy code reached 0.82
   accuracy and then diverged; this one converges.
2. load_digits with the default network, against a held-out test set.

``--quick`` trains the same networks with a looser stopping tolerance, so
each stops on its own (no ``ConvergenceWarning``) after fewer epochs.
``python -m skbackprop --help`` lists the options.
"""

import argparse
import os
import sys
import time

import numpy as np
from sklearn.datasets import load_digits, make_circles
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skbackprop import BackpropMLPClassifier, __version__

DEMOS = ("circles", "digits")


def _say(text=""):
    """Print a line at once, so a user sees progress on a busy machine."""
    print(text, flush=True)


def circles_demo(print_every=250, quick=False):
    """Train the tutorial's network on make_circles.

    Parameters
    ----------
    print_every : int, default=250
        Print the training loss every ``print_every`` epochs.
    quick : bool, default=False
        Stop at a looser tolerance (``tol=1e-4`` over 20 epochs) instead
        of ``tol=1e-6`` over 50 epochs.

    Returns
    -------
    accuracy : float
        Training accuracy.
    model : BackpropMLPClassifier
        The fitted classifier.
    """
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
        tol=1e-4 if quick else 1e-6,
        n_iter_no_change=20 if quick else 50,
        random_state=1,
    )
    _say("make_circles, layers [2, 4, 3, 1], relu/relu/logistic, full-batch GD")
    acc = _train_and_report(clf, clf, (X, y), print_every, (X, y), "accuracy")
    return acc, clf


def digits_demo(quick=False):
    """Train the default network on load_digits against a held-out test set.

    Parameters
    ----------
    quick : bool, default=False
        Stop at ``tol=1e-3`` instead of scikit-learn's default ``1e-4``.

    Returns
    -------
    accuracy : float
        Test-set accuracy.
    model : Pipeline
        StandardScaler followed by the fitted classifier.
    """
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    model = make_pipeline(
        StandardScaler(),
        BackpropMLPClassifier(tol=1e-3 if quick else 1e-4, random_state=0),
    )
    _say("load_digits, hidden (100,), relu, adam")
    acc = _train_and_report(model, model[-1], (X_train, y_train), 10,
                            (X_test, y_test), "test accuracy")
    return acc, model


def _train_and_report(model, clf, train, print_every, scored, what):
    """Fit ``model`` on ``train`` and print the loss curve of ``clf`` (its
    network) every ``print_every`` epochs, then ``what``: the score of
    ``model`` on ``scored``; returns that score."""
    _say("  training ...")
    start = time.perf_counter()
    model.fit(*train)
    elapsed = time.perf_counter() - start
    for epoch in range(0, clf.n_iter_, print_every):
        _say(f"  epoch {epoch + 1:5d}  loss {clf.loss_curve_[epoch]:.6f}")
    acc = model.score(*scored)
    _say(
        f"  epoch {clf.n_iter_:5d}  loss {clf.loss_:.6f}   "
        f"{what} {acc:.3f}  ({elapsed:.2f} s)"
    )
    return acc


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m skbackprop",
        description=(
            "Train skbackprop's demo networks and print their loss curves: "
            "the make_circles network of the backpropagation tutorial "
            "skbackprop grew from (full-batch gradient descent) and the "
            "default network on load_digits.  Each takes "
            "well under a second on an idle 2-core machine."
        ),
    )
    parser.add_argument(
        "demo",
        nargs="?",
        choices=(*DEMOS, "all"),
        default="all",
        help="which demo to run (default: all)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="stop training at a looser tolerance (fewer epochs)",
    )
    parser.add_argument(
        "--version", action="version", version=f"skbackprop {__version__}"
    )
    return parser


def main(argv=None):
    """Run the demo; ``argv`` defaults to the command line's arguments.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments without the program name; ``None`` reads ``sys.argv[1:]``.

    Returns
    -------
    int
        The exit status, 0.  A bad argument exits with status 2.
    """
    args = _parser().parse_args(argv)
    np.set_printoptions(precision=4)
    demos = DEMOS if args.demo == "all" else (args.demo,)
    for i, name in enumerate(demos):
        if i:
            _say()
        if name == "circles":
            circles_demo(print_every=100 if args.quick else 250, quick=args.quick)
        else:
            digits_demo(quick=args.quick)
    return 0


def _run():
    """``main()``, quiet when its reader goes away (``... | head``): the
    rest of the output goes nowhere, as Python's documentation advises."""
    try:
        return main()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(_run())

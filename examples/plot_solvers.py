"""
Loss curves of the three solvers
================================

``adam`` and ``sgd`` record one loss per epoch, ``lbfgs`` one per iteration,
all in ``loss_curve_``. The digits are standardised first.
"""

# %%
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skbackprop import BackpropMLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

settings = {
    "adam": dict(solver="adam"),
    "sgd, momentum 0.9": dict(solver="sgd", learning_rate_init=0.05),
    "sgd, no momentum": dict(solver="sgd", learning_rate_init=0.05, momentum=0.0),
    "lbfgs": dict(solver="lbfgs"),
}
fig, ax = plt.subplots(figsize=(7, 4))
for label, params in settings.items():
    clf = BackpropMLPClassifier(
        hidden_layer_sizes=(64,), max_iter=60, random_state=0, **params
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_train, y_train)
    test = clf.score(X_test, y_test)
    ax.semilogy(clf.loss_curve_, label=f"{label} (test {test:.3f})")
ax.set(xlabel="epoch / iteration", ylabel="training loss")
ax.legend()
plt.show()

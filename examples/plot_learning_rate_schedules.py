"""
Learning-rate schedules
=======================

With ``solver="sgd"`` the learning rate can stay constant, decay as
``learning_rate_init / t ** power_t`` (``"invscaling"``), or be divided by 5
whenever the loss stalls (``"adaptive"``).
"""

# %%
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skbackprop import BackpropMLPClassifier

X, y = load_digits(return_X_y=True)
X = StandardScaler().fit_transform(X)

fig, ax = plt.subplots(figsize=(7, 4))
for schedule, extra in [
    ("constant", {}),
    ("invscaling", {"power_t": 0.25}),
    ("adaptive", {"n_iter_no_change": 3, "tol": 1e-3}),
]:
    clf = BackpropMLPClassifier(
        hidden_layer_sizes=(32,),
        solver="sgd",
        learning_rate=schedule,
        learning_rate_init=0.2,
        max_iter=60,
        random_state=0,
        **extra,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    ax.semilogy(clf.loss_curve_, label=f"{schedule} ({clf.n_iter_} epochs)")
ax.set(xlabel="epoch", ylabel="training loss", title="SGD learning-rate schedules")
ax.legend()
plt.show()

"""
Decision boundaries for each activation
=======================================

skbackprop offers scikit-learn's four hidden activations (identity, logistic,
tanh, relu) and four more (leaky_relu, elu, gelu, softplus). This example
trains the same small network with each on ``make_moons`` and
``make_circles`` and draws the predicted probability.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_circles, make_moons
from sklearn.preprocessing import StandardScaler

from skbackprop import BackpropMLPClassifier

activations = [
    "identity", "logistic", "tanh", "relu", "leaky_relu", "elu", "gelu", "softplus"
]
datasets = {
    "moons": make_moons(n_samples=200, noise=0.2, random_state=0),
    "circles": make_circles(n_samples=200, noise=0.1, factor=0.5, random_state=0),
}

fig, axes = plt.subplots(
    len(datasets), len(activations), figsize=(2.2 * len(activations), 4.6)
)
for row, (name, (X, y)) in enumerate(datasets.items()):
    X = StandardScaler().fit_transform(X)
    xx, yy = np.meshgrid(np.linspace(-2.5, 2.5, 100), np.linspace(-2.5, 2.5, 100))
    grid = np.c_[xx.ravel(), yy.ravel()]
    for col, activation in enumerate(activations):
        clf = BackpropMLPClassifier(
            hidden_layer_sizes=(16, 16),
            activation=activation,
            solver="lbfgs",
            max_iter=500,
            random_state=0,
        ).fit(X, y)
        ax = axes[row, col]
        proba = clf.predict_proba(grid)[:, 1].reshape(xx.shape)
        ax.contourf(xx, yy, proba, levels=10, cmap="RdBu_r", alpha=0.7)
        ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r", s=6, edgecolors="none")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"{activation}\nacc {clf.score(X, y):.2f}", fontsize=9)
    axes[row, 0].set_ylabel(name)
plt.tight_layout()
plt.show()

# %%
# ``identity`` gives a linear boundary (the network is a logistic regression);
# every non-linear activation separates both problems.

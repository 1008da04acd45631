"""
The network of the tutorial skbackprop grew from, fixed
=======================================================

skbackprop grew from a tutorial on backpropagation whose demo trained a
[2, 4, 3, 1] network (relu, relu, sigmoid) on ``make_circles`` with full-batch
gradient descent. Its code had four bugs (a factor 2 in the sigmoid
derivative, cross-entropy divided by the number of outputs, ``dW`` summed
while ``db`` was averaged, no fused output delta); it reached 0.82 accuracy
and then diverged.

The same network and optimiser, trained by skbackprop's engine, converges.
"""

# %%
# Full-batch gradient descent: ``batch_size`` covers the whole training set,
# ``momentum=0`` makes it plain gradient descent.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_circles

from skbackprop import BackpropMLPClassifier

X, y = make_circles(n_samples=400, noise=0.05, factor=0.5, random_state=0)
clf = BackpropMLPClassifier(
    hidden_layer_sizes=(4, 3),
    activation="relu",
    solver="sgd",
    learning_rate_init=0.5,
    momentum=0.0,
    batch_size=X.shape[0],
    alpha=0.0,
    max_iter=5000,
    tol=1e-6,
    n_iter_no_change=50,
    random_state=1,
)
clf.fit(X, y)
print(f"epochs: {clf.n_iter_}, training accuracy: {clf.score(X, y):.3f}")

# %%
# The loss decreases steadily instead of blowing up, and the decision
# boundary separates the two circles.
fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 4))
ax0.semilogy(clf.loss_curve_)
ax0.set(xlabel="epoch", ylabel="log-loss", title="Training loss")

xx, yy = np.meshgrid(np.linspace(-1.5, 1.5, 200), np.linspace(-1.5, 1.5, 200))
proba = clf.predict_proba(np.c_[xx.ravel(), yy.ravel()])[:, 1].reshape(xx.shape)
ax1.contourf(xx, yy, proba, levels=20, cmap="RdBu_r", alpha=0.7)
ax1.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r", edgecolors="k", s=15)
ax1.set(title="Decision function", aspect="equal")
plt.tight_layout()
plt.show()

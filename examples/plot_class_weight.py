"""
class_weight on an imbalanced problem
=====================================

scikit-learn's MLP has no ``class_weight``. With 5% positives, an unweighted
network mostly predicts the majority class; ``class_weight="balanced"``
weights each class by ``n_samples / (n_classes * count)`` and trades a little
precision for much better recall of the minority class.
"""

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import balanced_accuracy_score, recall_score
from sklearn.model_selection import train_test_split

from skbackprop import BackpropMLPClassifier

X, y = make_classification(
    n_samples=2000, n_features=2, n_redundant=0, n_clusters_per_class=1,
    weights=[0.95], class_sep=0.8, random_state=3,
)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, stratify=y, random_state=0
)

warnings.simplefilter("ignore", ConvergenceWarning)
xx, yy = np.meshgrid(np.linspace(-4, 4, 200), np.linspace(-4, 4, 200))
fig, axes = plt.subplots(1, 2, figsize=(10, 4.5))
for ax, class_weight in zip(axes, [None, "balanced"]):
    clf = BackpropMLPClassifier(
        hidden_layer_sizes=(16,), solver="lbfgs", max_iter=400,
        class_weight=class_weight, random_state=0,
    ).fit(X_train, y_train)
    pred = clf.predict(X_test)
    print(
        f"class_weight={class_weight!r}: minority recall "
        f"{recall_score(y_test, pred):.2f}"
    )
    zz = clf.predict(np.c_[xx.ravel(), yy.ravel()]).reshape(xx.shape)
    ax.contourf(xx, yy, zz, alpha=0.3, cmap="coolwarm")
    ax.scatter(X_test[:, 0], X_test[:, 1], c=y_test, cmap="coolwarm", s=8)
    ax.set_title(
        f"class_weight={class_weight!r}\n"
        f"minority recall {recall_score(y_test, pred):.2f}, "
        f"balanced accuracy {balanced_accuracy_score(y_test, pred):.2f}"
    )
plt.tight_layout()
plt.show()

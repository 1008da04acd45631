"""
GridSearchCV heat map
=====================

skbackprop's estimators work in any scikit-learn model-selection tool. Here a
``GridSearchCV`` over ``alpha`` and the hidden-layer width, inside a
``Pipeline`` with ``StandardScaler``, on the breast-cancer data.
"""

# %%
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skbackprop import BackpropMLPClassifier

X, y = load_breast_cancer(return_X_y=True)
alphas = [1e-4, 1e-2, 1.0, 10.0]
widths = [2, 8, 32]
search = GridSearchCV(
    make_pipeline(
        StandardScaler(),
        BackpropMLPClassifier(solver="lbfgs", max_iter=200, random_state=0),
    ),
    {
        "backpropmlpclassifier__alpha": alphas,
        "backpropmlpclassifier__hidden_layer_sizes": [(w,) for w in widths],
    },
    cv=3,
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X, y)
print("best:", search.best_params_, f"{search.best_score_:.3f}")

# %%
scores = search.cv_results_["mean_test_score"].reshape(len(alphas), len(widths))
fig, ax = plt.subplots(figsize=(5, 4))
im = ax.imshow(scores, cmap="viridis")
ax.set_xticks(range(len(widths)), labels=widths)
ax.set_yticks(range(len(alphas)), labels=alphas)
ax.set(xlabel="hidden units", ylabel="alpha", title="mean CV accuracy")
for i in range(len(alphas)):
    for j in range(len(widths)):
        ax.text(j, i, f"{scores[i, j]:.3f}", ha="center", va="center", color="w")
fig.colorbar(im)
plt.show()

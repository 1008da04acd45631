"""
Dropout against overfitting
===========================

A wide network trained long on a few hundred digits memorises them: its
training loss goes to zero while the loss on held-out digits turns back up.
``dropout=p`` zeroes each hidden output with probability ``p`` at every
training step (and scales the others by ``1 / (1 - p)``), which keeps the
network from relying on any single unit.

Both models below hold out a validation split (``early_stopping=True``) and
record its log-loss after every epoch through ``scoring="neg_log_loss"``;
``n_iter_no_change`` is large so that both train for all 150 epochs (and
the weights of the best epoch are kept, as early stopping does).  The
training curve of the dropout model is the loss of the *dropped* networks,
hence noisier and higher; predictions always use the whole network.
"""

# %%
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split

from skbackprop import BackpropMLPClassifier

# both models run all their epochs on purpose
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test, y_train, y_test = train_test_split(
    X, y, train_size=500, random_state=0, stratify=y
)

models = {}
for p in (0.0, 0.8):
    models[p] = BackpropMLPClassifier(
        hidden_layer_sizes=(512,),
        dropout=p,
        alpha=0.0,
        batch_size=50,
        learning_rate_init=2e-3,
        max_iter=150,
        early_stopping=True,
        validation_fraction=0.3,
        scoring="neg_log_loss",
        n_iter_no_change=1000,
        tol=0.0,
        random_state=0,
    ).fit(X_train, y_train)
    test_loss = log_loss(y_test, models[p].predict_proba(X_test))
    print(
        f"dropout={p}: validation log-loss {-models[p].validation_scores_[-1]:.3f}"
        f" at the last epoch, {-models[p].best_validation_score_:.3f} at best; "
        f"test log-loss {test_loss:.3f}, "
        f"test accuracy {models[p].score(X_test, y_test):.3f}"
    )

# %%
# The same seed gives both fits the same initial weights, validation split
# and batches: only the dropout masks differ.
fig, ax = plt.subplots(figsize=(7, 4))
for p, color in zip(models, ("C0", "C1")):
    est = models[p]
    label = "no dropout" if p == 0 else f"dropout={p}"
    ax.plot(est.loss_curve_, color=color, linestyle=":",
            label=f"{label}: training loss")
    ax.plot([-s for s in est.validation_scores_], color=color,
            label=f"{label}: validation log-loss")
ax.set(xlabel="epoch", ylabel="log-loss", yscale="log",
       title="Train vs validation, with and without dropout")
ax.legend()
plt.show()

"""
Early stopping on a validation split
====================================

``early_stopping=True`` holds out ``validation_fraction`` of the training
data, records the validation accuracy after each epoch in
``validation_scores_``, stops once it has not improved for
``n_iter_no_change`` epochs and restores the best weights.
"""

# %%
import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skbackprop import BackpropMLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

clf = BackpropMLPClassifier(
    hidden_layer_sizes=(64,),
    early_stopping=True,
    validation_fraction=0.2,
    n_iter_no_change=10,
    max_iter=300,
    random_state=0,
).fit(X_train, y_train)
print(
    f"stopped after {clf.n_iter_} epochs; best validation accuracy "
    f"{clf.best_validation_score_:.3f}; "
    f"test accuracy {clf.score(X_test, y_test):.3f}"
)

# %%
fig, ax0 = plt.subplots(figsize=(7, 4))
ax0.plot(clf.loss_curve_, color="C0")
ax0.set(xlabel="epoch", ylabel="training loss")
ax1 = ax0.twinx()
ax1.plot(clf.validation_scores_, color="C1")
best = max(range(len(clf.validation_scores_)), key=clf.validation_scores_.__getitem__)
ax1.axvline(best, color="C1", linestyle=":")
ax1.set_ylabel("validation accuracy", color="C1")
ax0.set_title("The weights of the dotted epoch are kept")
plt.show()

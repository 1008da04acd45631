"""
Out-of-core training with Dask
==============================

``dask_ml.wrappers.Incremental`` trains an estimator that has ``partial_fit``
on a Dask array one block at a time, so the data never has to fit in memory
at once. Each block is one ``partial_fit`` call, i.e. one epoch over that
block: a single pass over the data is a handful of optimizer steps (here 2
per block of 270 rows, mini-batches of 200), far fewer than ``fit``'s
``max_iter`` epochs, and leaves the model barely trained. So, as ``fit``
does, training passes over the data several times: here the "large" dataset
is a Dask array made of 8 passes over the standardised digits, 40 blocks;
the out-of-core model is compared with an in-memory ``fit`` of 8 epochs,
which sees the same samples.

Needs the ``dask`` extra (dask, distributed, dask-ml).
"""

# %%
import warnings

import dask.array as da
import matplotlib.pyplot as plt
import numpy as np
from dask_ml.wrappers import Incremental
from distributed import Client, LocalCluster
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skbackprop import BackpropMLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

passes, block = 8, 270
X_big = da.concatenate([da.from_array(X_train, chunks=(block, -1))] * passes)
y_big = da.concatenate([da.from_array(y_train, chunks=block)] * passes)
print(f"{X_big.shape[0]} rows in {X_big.numblocks[0]} blocks of <= {block}")

# %%
# Train block by block on a local cluster, recording the test accuracy after
# each block.
params = dict(hidden_layer_sizes=(32,), learning_rate_init=0.01, random_state=0)
cluster = LocalCluster(
    processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None
)
client = Client(cluster)
stepwise = Incremental(BackpropMLPClassifier(**params), shuffle_blocks=False)
classes = np.unique(y)
curve = []
for k in range(X_big.numblocks[0]):
    stepwise.partial_fit(X_big.blocks[k], y_big.blocks[k], classes=classes)
    curve.append(stepwise.estimator_.score(X_test, y_test))

# the same thing in one call: Incremental.fit walks over all blocks
inc = Incremental(BackpropMLPClassifier(**params), shuffle_blocks=False)
inc.fit(X_big, y_big, classes=classes)
client.close()
cluster.close()

with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    in_memory = BackpropMLPClassifier(max_iter=passes, **params).fit(X_train, y_train)
print(f"out-of-core: {inc.estimator_.score(X_test, y_test):.3f}, "
      f"in memory ({passes} epochs): {in_memory.score(X_test, y_test):.3f}")

# %%
fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(np.arange(1, len(curve) + 1), curve, label="Incremental, per block")
ax.axhline(in_memory.score(X_test, y_test), color="C1", linestyle="--",
           label=f"in-memory fit, {passes} epochs")
ax.set(xlabel="blocks seen", ylabel="test accuracy", ylim=(0.5, 1.0))
ax.legend()
plt.show()

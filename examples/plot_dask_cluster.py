"""
One model on a Dask cluster
===========================

With ``solver="lbfgs"``, ``fit`` trains one model on a dask array where its
chunks lie: each L-BFGS evaluation sends the weights to the workers, each
worker computes the loss and gradient of its chunks, and the client adds
them up and takes the step. The result is the in-memory fit, to rounding.
``predict`` on a dask array runs blockwise and returns a lazy dask array.

Here a ``LocalCluster`` of two workers holds the standardised digits in four
chunks. (The workers are threads of this process so that the gallery builds
anywhere; worker processes or a real cluster run the same code.)

Needs the ``dask`` extra (dask, distributed).
"""

# %%
import dask.array as da
import matplotlib.pyplot as plt
import numpy as np
from distributed import Client, LocalCluster
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skbackprop import BackpropMLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

cluster = LocalCluster(
    processes=False, n_workers=2, threads_per_worker=1, dashboard_address=None
)
client = Client(cluster)
rows = -(-len(X_train) // 4)  # four chunks of rows
X_dask = da.from_array(X_train, chunks=(rows, -1)).persist()
y_dask = da.from_array(y_train, chunks=rows).persist()
print(f"{X_dask.numblocks[0]} chunks of <= {rows} rows on "
      f"{len(client.scheduler_info()['workers'])} workers")

# %%
# Fit on the cluster and in memory, with the same parameters.
params = dict(hidden_layer_sizes=(20,), solver="lbfgs", max_iter=50,
              random_state=0)
on_cluster = BackpropMLPClassifier(**params).fit(X_dask, y_dask)
in_memory = BackpropMLPClassifier(**params).fit(X_train, y_train)
difference = max(np.abs(a - b).max() / np.abs(b).max()
                 for a, b in zip(on_cluster.coefs_, in_memory.coefs_))
print(f"{on_cluster.n_iter_} iterations; largest relative weight difference "
      f"from the in-memory fit: {difference:.1e}")

# %%
# Predict lazily: the result is a dask array until it is computed.
labels = on_cluster.predict(da.from_array(X_test, chunks=(100, -1)))
print(labels)
print(f"test accuracy: {np.mean(labels.compute() == y_test):.3f}")
client.close()
cluster.close()

# %%
fig, ax = plt.subplots(figsize=(7, 4))
ax.semilogy(on_cluster.loss_curve_, label="on the cluster (dask array)")
ax.semilogy(in_memory.loss_curve_, "--", label="in memory (numpy)")
ax.set(xlabel="L-BFGS iteration", ylabel="training loss")
ax.legend()
plt.show()

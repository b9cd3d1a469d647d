"""
A Dask cluster
==============

With a ``dask.distributed`` client active, ``LogisticRegression`` trains on a
Dask array where its chunks live: each pass is one task per chunk running the
fused kernel, and only coefficient-sized sums travel back. Predictions on a
Dask array stay lazy.

This example starts a small local cluster (one worker, threads only) and
closes it at the end; on a real cluster, pass the scheduler's address to
``Client``.
"""

import dask.array as da
import matplotlib.pyplot as plt
import numpy as np
from dask.distributed import Client, LocalCluster

import fastlogreg
from fastlogreg import LogisticRegression

cluster = LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                       dashboard_address=None)
client = Client(cluster)

# %%
# 100,000 x 20 float64 in 4 row chunks, made on the cluster.
rs = da.random.RandomState(0)
X = rs.standard_normal(size=(100_000, 20), chunks=(25_000, 20))
w_true = np.linspace(-1, 1, 20)
y = (X @ w_true + rs.logistic(size=100_000, chunks=25_000) > 0).astype(int)
X, y = client.persist([X, y])
print(X)

# %%
# Fit: the validation is one computation on the cluster, then every L-BFGS
# evaluation is one pass over the chunks.
clf = LogisticRegression(record_every=1).fit(X, y)
print("iterations:", clf.n_iter_[0])

# %%
# Predictions are a lazy Dask array until computed.
proba = clf.predict_proba(X)
print(type(proba).__name__, proba.shape)
print("mean P(y=1):", float(proba[:, 1].mean().compute()))

# %%
# The fitted weights against the true ones, and the history of the fit.
fig, (ax_w, ax_a, ax_l) = plt.subplots(1, 3, figsize=(9, 3.5), layout="tight")
ax_w.plot(w_true, clf.coef_.ravel(), "o")
ax_w.set_xlabel("true weight")
ax_w.set_ylabel("fitted weight")
fastlogreg.plot_history(clf.history_, ax=(ax_a, ax_l))
plt.show()

# %%
client.close()
cluster.close()

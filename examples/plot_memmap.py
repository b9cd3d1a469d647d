"""
A memory-mapped file
====================

A data set larger than memory lives in a file. ``np.load(..., mmap_mode="r")``
maps it without reading it. ``LogisticRegression`` reads a map larger than one
chunk (256 MiB) chunk by chunk, releasing each chunk's pages before the next,
so the resident memory stays near one chunk whatever the size of the file;
the model is bit for bit the one trained on the same array in memory.

The file here is small (8 MB, read through the same kernels in one piece) so
that the example runs in seconds; ``python scripts/out_of_core.py`` trains on
a 4 GB file with a 1 GB budget.
"""

import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import fastlogreg
from fastlogreg import LogisticRegression

# %%
# Write a ``.npy`` file of 100,000 x 20 float32 values (8 MB).
rng = np.random.default_rng(0)
n, d = 100_000, 20
X = rng.standard_normal((n, d), dtype=np.float32)
w_true = rng.standard_normal(d)
y = (X @ w_true + rng.logistic(size=n) > 0).astype(np.int64)

folder = tempfile.TemporaryDirectory()
path = Path(folder.name) / "X.npy"
np.save(path, X)
print(f"{path.name}: {path.stat().st_size / 1e6:.0f} MB")

# %%
# Map it read-only and fit. Nothing of the file is read before the fit
# starts, and X is never copied: each pass reads the pages of the map.
X_file = np.load(path, mmap_mode="r")
clf = LogisticRegression(C=1.0, record_every=1).fit(X_file, y)
print(type(X_file).__name__, "->", clf.n_iter_[0], "L-BFGS iterations")

# %%
# The same model as from memory, bit for bit.
in_memory = LogisticRegression(C=1.0, record_every=1).fit(X, y)
print("same coefficients:", np.array_equal(clf.coef_, in_memory.coef_))

# %%
# How close the weights are to the ones that generated the labels, and the
# training history.
fig, (ax_w, ax_a, ax_l) = plt.subplots(1, 3, figsize=(9, 3.5), layout="tight")
ax_w.scatter(w_true, clf.coef_.ravel(), s=12)
ax_w.set_xlabel("true weight")
ax_w.set_ylabel("fitted weight")
fastlogreg.plot_history(clf.history_, ax=(ax_a, ax_l))
plt.show()

# %%
del X_file  # close the map before the folder goes
folder.cleanup()

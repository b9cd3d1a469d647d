"""
Sparse, text-like data
======================

Bag-of-words features are sparse: each document uses a few words of a large
vocabulary. ``LogisticRegression`` reads a SciPy CSR matrix in place (float32
or float64 data, int32 or int64 indices) with fused kernels that touch only
the nonzeros, and reaches the same optimum as on the dense array.
"""

import matplotlib.pyplot as plt
import numpy as np
import scipy.sparse as sp

from fastlogreg import LogisticRegression

# %%
# 5,000 "documents" over a vocabulary of 2,000 "words", about 20 words each,
# drawn with a Zipf-like frequency; the label depends on a few words.
rng = np.random.default_rng(0)
n_docs, vocabulary, per_doc = 5_000, 2_000, 20
frequency = 1.0 / np.arange(1, vocabulary + 1)
frequency /= frequency.sum()
rows = np.repeat(np.arange(n_docs), per_doc)
cols = rng.choice(vocabulary, size=n_docs * per_doc, p=frequency)
X = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n_docs, vocabulary))
X.sum_duplicates()
X.data = np.log1p(X.data)  # damped word counts
signal = np.zeros(vocabulary)
signal[rng.choice(200, size=20, replace=False)] = rng.normal(0, 3, size=20)
y = (X @ signal + rng.logistic(size=n_docs) > 0).astype(int)
print(f"X: {X.shape}, {X.nnz} nonzeros ({X.nnz / np.prod(X.shape):.2%}), {X.format}")

# %%
# Fit on the CSR matrix, and on the same data as a dense array.
sparse_fit = LogisticRegression(C=1.0, max_iter=500).fit(X, y)
dense_fit = LogisticRegression(C=1.0, max_iter=500).fit(X.toarray(), y)
print("training accuracy:", sparse_fit.score(X, y))
print("largest coefficient difference, sparse vs dense:",
      np.abs(sparse_fit.coef_ - dense_fit.coef_).max())

# %%
# The words that matter: the fitted weights against the ones that made the
# labels.
fig, ax = plt.subplots(figsize=(5, 4), layout="tight")
ax.scatter(signal, sparse_fit.coef_.ravel(), s=8)
ax.set_xlabel("weight that made the labels")
ax.set_ylabel("fitted weight (CSR input)")
plt.show()

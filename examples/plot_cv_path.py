"""
Choosing C by cross-validation
==============================

``LogisticRegressionCV`` tries a grid of regularisation strengths ``Cs`` on
each fold of a cross-validation and keeps the ``C`` whose mean held-out score
is best. It is scikit-learn's class (same parameters and attributes); with
``solver="lbfgs"`` and the L2 penalty, fastlogreg trains the folds together:
each fold walks the Cs warm-started along its path, and each round of their
L-BFGS iterations reads X once for all folds, a fold being a set of row
weights (its held-out rows weigh 0), so X is never copied per fold.

The plot shows the held-out score of every fold against C, their mean, and
the chosen C. ``logistic_regression_path`` gives the coefficients along the
same grid for the whole training set.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification

from fastlogreg import LogisticRegressionCV, logistic_regression_path

# %%
# A small problem: 2,000 samples, 20 features, 5 of them informative.
X, y = make_classification(2000, 20, n_informative=5, random_state=0)

# %%
# Five folds times fifteen Cs: 75 models, the five folds' paths trained side
# by side from one read of X per iteration. ``scoring="neg_log_loss"``
# scores each held-out fold by its log-loss (higher is better); the default
# is accuracy.
model = LogisticRegressionCV(Cs=np.logspace(-4, 2, 15), cv=5, l1_ratios=(0,),
                             scoring="neg_log_loss", use_legacy_attributes=False)
model.fit(X, y)
print(f"chosen C = {model.C_:.3g}")

# %%
# ``scores_`` is (n_folds, n_l1_ratios, n_Cs) as in scikit-learn 1.9.
scores = model.scores_[:, 0, :]
fig, ax = plt.subplots(figsize=(6, 4))
for fold, row in enumerate(scores):
    ax.semilogx(model.Cs_, row, color="0.6", lw=1, label="each fold" if fold == 0 else None)
ax.semilogx(model.Cs_, scores.mean(axis=0), color="C0", lw=2, label="mean of the folds")
ax.axvline(model.C_, color="C3", ls="--", label=f"chosen C = {model.C_:.3g}")
ax.set_xlabel("C (inverse regularisation strength)")
ax.set_ylabel("held-out score (negative log-loss)")
ax.legend()
fig.tight_layout()

# %%
# The path of the coefficients over the same Cs on all the data: strong
# regularisation (small C) holds them near zero.
coefs, Cs, n_iter = logistic_regression_path(X, y, model.Cs_)
fig, ax = plt.subplots(figsize=(6, 4))
ax.semilogx(Cs, coefs[:, :-1])
ax.axvline(model.C_, color="C3", ls="--")
ax.set_xlabel("C")
ax.set_ylabel("coefficient")
fig.tight_layout()
plt.show()

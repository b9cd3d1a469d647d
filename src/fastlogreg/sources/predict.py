"""Logits of a fitted model for X wherever it lives (the prediction side of a source)."""

from __future__ import annotations

import numpy as np

from .. import _mapping
from ..kernels import dense, multinomial
from .sparse import decision_function as _sparse_logits
from .sparse import is_sparse

__all__ = ["decision_function"]


def _dense_logits(X, coef, intercept, out) -> None:
    if coef.shape[0] == 1:
        dense.decision_function(X, coef[0], float(intercept[0]), out)
    else:
        multinomial.decision_function(X, coef, intercept, out)


def decision_function(X, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    """``X @ coef.T + intercept``: shape (n,) for one row of ``coef``, else (n, K).

    Dense and CSR X are read in place (float32 is not copied); a memory-mapped X larger
    than a chunk is read chunk by chunk with its pages released after each.
    """
    n = X.shape[0]
    out = np.empty(n) if coef.shape[0] == 1 else np.empty((n, coef.shape[0]))
    if is_sparse(X):
        _sparse_logits(X, coef, intercept, out)
        return out
    if not _mapping.read_in_chunks(X):
        _dense_logits(X, coef, intercept, out)
        return out
    for lo, hi, Xc in _mapping.chunks(X):
        _dense_logits(Xc, coef, intercept, out[lo:hi])
    return out

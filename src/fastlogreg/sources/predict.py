"""Predictions of a fitted model for X wherever it lives (the prediction side of a
source): logits, then probabilities, with no scratch arrays of the size of X.

The estimator and :mod:`fastlogreg.functional` reach the kernels for predictions
only through these functions."""

from __future__ import annotations

import numpy as np

from .. import _mapping
from ..kernels import dense, link, multinomial
from .sparse import decision_function as _sparse_logits
from .sparse import is_sparse

__all__ = ["binary_proba", "decision_function", "probabilities", "softmax_rows"]


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


def binary_proba(z: np.ndarray, log_space: bool = False) -> np.ndarray:
    """``(P(y=0), P(y=1))`` per logit of 1-D ``z`` (their logs if ``log_space``),
    a new (n, 2) array; both columns keep full relative precision
    (:func:`fastlogreg.kernels.link.binary_proba`)."""
    z = np.ascontiguousarray(z, dtype=np.float64)
    out = np.empty((z.shape[0], 2))
    link.binary_proba(z, out, bool(log_space))
    return out


def softmax_rows(Z: np.ndarray, log_space: bool = False) -> np.ndarray:
    """Replace each row of the float64 (n, K) logits ``Z`` by its softmax (its
    log-softmax if ``log_space``), in place; returns ``Z``
    (:func:`fastlogreg.kernels.link.softmax_rows`)."""
    link.softmax_rows(Z, bool(log_space))
    return Z


def probabilities(z: np.ndarray, log_space: bool = False) -> np.ndarray:
    """Class probabilities from the logits :func:`decision_function` returns:
    (n, 2) for 1-D ``z`` (a binary model), the softmax of (n, K) ``z``
    (computed in place) otherwise; their logs if ``log_space``."""
    if z.ndim == 1:
        return binary_proba(z, log_space)
    return softmax_rows(z, log_space)

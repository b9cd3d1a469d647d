"""Logits to probabilities without temporaries: stable sigmoid and softmax.

Prediction on n rows must not cost a multiple of n in scratch arrays: these
kernels write the (n, n_classes) result in one pass over the logits.
"""

from math import exp, log, log1p

from numba import njit

from ._math import JIT


@njit(**JIT)
def binary_proba(z, out, log_space):
    """``out[i] = (P(y=0), P(y=1))`` (their logs if ``log_space``) for logits ``z``.

    Both columns come from ``e = exp(-|z|)``, so the smaller probability keeps
    full relative precision (``e / (1 + e)``, not ``1 - p``) and nothing
    overflows; logs use ``-log1p(e)`` and ``-|z| - log1p(e)``.
    """
    for i in range(z.shape[0]):
        zi = z[i]
        e = exp(-abs(zi))
        if log_space:
            big = -log1p(e)
            small = -abs(zi) + big
        else:
            big = 1.0 / (1.0 + e)
            small = e * big
        if zi >= 0.0:
            out[i, 0] = small
            out[i, 1] = big
        else:
            out[i, 0] = big
            out[i, 1] = small


@njit(**JIT)
def softmax_rows(Z, log_space):
    """Replace each row of logits ``Z`` by its softmax (log-softmax if ``log_space``)."""
    n, K = Z.shape
    for i in range(n):
        m = Z[i, 0]
        for k in range(1, K):
            m = max(m, Z[i, k])
        total = 0.0
        for k in range(K):
            total += exp(Z[i, k] - m)
        if log_space:
            shift = m + log(total)
            for k in range(K):
                Z[i, k] -= shift
        else:
            for k in range(K):
                Z[i, k] = exp(Z[i, k] - m) / total

"""Fused multinomial (softmax) passes over dense ``X``: one read of each row
serves all ``K`` classes.

Conventions (``K`` classes, ``d`` features): ``W`` is (K, d) float64, ``b``
(K,) float64, ``y`` float64 class indices ``0..K-1``. A pass writes ``out``
of length ``K*d + K + 2`` in the multinomial layout of :mod:`.layout`::

    out[:K*d]             dJ/dW, row-major (class k's gradient at k*d .. k*d+d)
    out[K*d:K*d+K]        dJ/db
    out[K*d+K + LOSS]     J = (1/S) sum_i s_i [logsumexp(z_i) - z_{i,y_i}]
                              + (alpha/2) ||W||^2
    out[K*d+K + HITS]     weighted accuracy (argmax z_i == y_i, first maximum on ties)

Blocks (C-sized for both layouts: :func:`.layout.block_rows`) and their
fixed-order reduction make the serial and parallel passes agree bit for bit
for any thread count (``tests/test_kernels_multinomial.py::
test_bitwise_across_threads``).
"""

import numpy as np
from numba import njit, prange

from ._math import JIT
from .layout import (
    HITS,
    LOSS,
    WEIGHT,
    add_rows,
    block_count,
    block_rows,
    gradient_f,
    gradient_sweep,
    logits_f,
    minibatch_epoch,
    multinomial_width,
    softmax_residuals,
)

__all__ = ["add_partials", "decision_function", "finish", "loss_grad", "minibatch_epoch"]


@njit(**JIT)
def _accumulate_c(X, y, sw, W, b, lo, hi, acc):
    # Three sweeps over a block that stays in L2, as in dense._accumulate_c:
    # the K logits of each row (the row comes from memory once and from L1
    # for the other classes), the softmax of all the block's rows
    # (.layout.softmax_residuals), then the gradient one class at a time,
    # four rows per load and store of that class's accumulator: row by row,
    # every row's K gradient updates would load and store all K*d
    # accumulator entries.
    K, d = W.shape
    m = hi - lo
    Xb = X[lo:hi]
    Z = np.empty((K, m))
    for t in range(m):
        row = Xb[t]
        for k in range(K):
            s = b[k]
            for j in range(d):
                s += row[j] * W[k, j]
            Z[k, t] = s
    softmax_residuals(Z, y[lo:hi], sw[lo:hi], acc, K * d, np.inf)
    for k in range(K):
        gradient_sweep(X, Xb, Z[k], acc[k * d:(k + 1) * d], 0, 0)


@njit(**JIT)
def _accumulate_f(X, y, sw, W, b, lo, hi, acc):
    # Column sweeps over a cache-sized block (.layout.logits_f and
    # .layout.gradient_f, the batched pass's F sweeps with one model).
    K, d = W.shape
    Z = np.empty((K, hi - lo))
    logits_f(X, lo, hi, W, b, Z)
    softmax_residuals(Z, y[lo:hi], sw[lo:hi], acc, K * d, np.inf)
    gradient_f(X, lo, hi, Z, acc.reshape((1, acc.shape[0])), K)


@njit(**JIT)
def _accumulate(X, y, sw, W, b, lo, hi, acc):
    if X.flags.f_contiguous and not X.flags.c_contiguous:
        _accumulate_f(X, y, sw, W, b, lo, hi, acc)
    else:
        _accumulate_c(X, y, sw, W, b, lo, hi, acc)


@njit(**JIT)
def _block(X, y, sw, W, b, k, partials):
    """Block ``k``'s sums into ``partials[k]``: the body of both passes."""
    rows = block_rows(X.shape[1], X.itemsize)
    partials[k, :] = 0.0
    _accumulate(X, y, sw, W, b, k * rows, min(X.shape[0], (k + 1) * rows), partials[k])


@njit(**JIT)
def _pass_serial(X, y, sw, W, b, partials):
    for k in range(partials.shape[0]):
        _block(X, y, sw, W, b, k, partials)


@njit(parallel=True, **JIT)
def _pass_parallel(X, y, sw, W, b, partials):
    for k in prange(partials.shape[0]):
        _block(X, y, sw, W, b, k, partials)


def add_partials(X, y, sw, W, b, parallel, total):
    """Add the unnormalised sums of one pass over ``X`` into ``total``.

    ``total`` (:func:`.layout.multinomial_width` long, the multinomial partial
    row of :mod:`.layout`) receives the blocks' sums in row order, so row chunks
    whose lengths are multiples of :func:`.layout.block_rows` give the same
    bits as one call; :func:`finish` normalises them. ``parallel`` picks the
    compiled serial or ``prange`` pass here, in Python, so a program compiles
    only the pass it runs.
    """
    partials = np.empty((block_count(X.shape[0], block_rows(X.shape[1], X.itemsize)),
                         total.shape[0]))
    (_pass_parallel if parallel else _pass_serial)(X, y, sw, W, b, partials)
    add_rows(partials, total)


@njit(**JIT)
def finish(total, W, alpha, out):
    """``out`` of a pass from the sums :func:`add_partials` gathered."""
    K, d = W.shape
    base = K * d
    tail = base + K
    S = total[tail + WEIGHT]
    sq = 0.0
    for k in range(K):
        for j in range(d):
            out[k * d + j] = total[k * d + j] / S + alpha * W[k, j]
            sq += W[k, j] * W[k, j]
        out[base + k] = total[base + k] / S
    out[tail + LOSS] = total[tail + LOSS] / S + 0.5 * alpha * sq
    out[tail + HITS] = total[tail + HITS] / S


def loss_grad(X, y, sw, W, b, alpha, parallel, out):
    """One fused read of ``X``: softmax loss, gradient and accuracy into ``out``."""
    total = np.zeros(multinomial_width(*W.shape))
    add_partials(X, y, sw, W, b, parallel, total)
    finish(total, W, alpha, out)


@njit(parallel=True, **JIT)
def decision_function(X, W, b, out):
    """``out[i, k] = X[i] . W[k] + b[k]``, X read in place."""
    rows = block_rows(X.shape[1], X.itemsize)
    n, d = X.shape
    K = W.shape[0]
    for blk in prange((n + rows - 1) // rows):
        lo = blk * rows
        hi = min(n, lo + rows)
        for i in range(lo, hi):
            for k in range(K):
                out[i, k] = b[k]
        for j in range(d):
            for k in range(K):
                wkj = W[k, j]
                for i in range(lo, hi):
                    out[i, k] += X[i, j] * wkj

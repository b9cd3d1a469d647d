"""Fused passes over dense ``X`` of shape (n_samples, n_features).

Every function is ``@njit`` over arrays and scalars only: no validation, no
Python objects, no allocation per row. ``X`` may be float32 or float64, C- or
F-contiguous, and is read in place; ``y`` and ``sample_weight`` are float64;
``w`` is float64 and everything accumulates in float64, so float32 data lose
nothing but their own rounding.

Output convention of a pass (``out``, length ``n_features + 3``)::

    out[:d]   dJ/dw      out[d+1]  J (loss + L2 term)
    out[d]    dJ/db      out[d+2]  weighted accuracy (sigmoid(z) > 0.5)

Determinism: the rows are cut into fixed blocks whose size depends only on
``n_features`` and the dtype; each block's partial sums are computed in one
order and the partials are reduced in block order. The serial and the
parallel (``prange``) pass therefore give bit-for-bit the same result for any
number of threads (``tests/test_kernels_dense.py::test_bitwise_across_threads``).
"""

import numpy as np
from numba import njit, prange

from ._math import JIT, sigmoid_and_loss

# A block of X should stay in L2 between the two sweeps an F-ordered block
# needs (logits, then gradient); 128 KiB leaves room for w and the gradient on
# the 512 KiB-1 MiB L2 of current x86 cores. Blocks also bound the
# partials buffer to n_samples / 64 rows at most.
BLOCK_BYTES = 128 * 1024
MIN_BLOCK_ROWS = 64
MAX_BLOCK_ROWS = 8192

# Columns of a block's partial sums: gradient (d), intercept gradient, loss,
# correct predictions and weight, all weighted and unnormalised.
_EXTRA = 4


@njit(**JIT)
def block_rows(n_features, itemsize):
    """Rows per block for this width and dtype (fixed: determinism rests on it)."""
    rows = BLOCK_BYTES // max(1, n_features * itemsize)
    return min(MAX_BLOCK_ROWS, max(MIN_BLOCK_ROWS, rows))


@njit(**JIT)
def n_blocks(X):
    rows = block_rows(X.shape[1], X.itemsize)
    return (X.shape[0] + rows - 1) // rows


@njit(**JIT)
def _accumulate_c(X, y, sw, w, b, lo, hi, acc):
    # Row-major: each row is read once from memory and its second use (the
    # gradient update) hits L1.
    d = X.shape[1]
    for i in range(lo, hi):
        z = b
        for j in range(d):
            z += X[i, j] * w[j]
        p, loss = sigmoid_and_loss(z, y[i])
        s = sw[i]
        r = s * (p - y[i])
        for j in range(d):
            acc[j] += r * X[i, j]
        acc[d] += r
        acc[d + 1] += s * loss
        if (p > 0.5) == (y[i] == 1.0):
            acc[d + 2] += s
        acc[d + 3] += s


@njit(**JIT)
def _accumulate_f(X, y, sw, w, b, lo, hi, acc):
    # Column-major: sweep the block column by column (contiguous) twice, once
    # for the logits and once for the gradient; the block is sized to stay in
    # cache in between, so X still comes from memory once.
    d = X.shape[1]
    m = hi - lo
    z = np.full(m, b)
    for j in range(d):
        wj = w[j]
        for k in range(m):
            z[k] += X[lo + k, j] * wj
    for k in range(m):
        i = lo + k
        p, loss = sigmoid_and_loss(z[k], y[i])
        s = sw[i]
        r = s * (p - y[i])
        z[k] = r  # the buffer now holds the weighted residuals
        acc[d] += r
        acc[d + 1] += s * loss
        if (p > 0.5) == (y[i] == 1.0):
            acc[d + 2] += s
        acc[d + 3] += s
    for j in range(d):
        t = 0.0
        for k in range(m):
            t += z[k] * X[lo + k, j]
        acc[j] += t


@njit(**JIT)
def _accumulate(X, y, sw, w, b, lo, hi, acc):
    if X.flags.f_contiguous and not X.flags.c_contiguous:
        _accumulate_f(X, y, sw, w, b, lo, hi, acc)
    else:
        _accumulate_c(X, y, sw, w, b, lo, hi, acc)


@njit(**JIT)
def _pass_serial(X, y, sw, w, b, partials):
    rows = block_rows(X.shape[1], X.itemsize)
    n = X.shape[0]
    for k in range(partials.shape[0]):
        partials[k, :] = 0.0
        _accumulate(X, y, sw, w, b, k * rows, min(n, (k + 1) * rows), partials[k])


@njit(parallel=True, **JIT)
def _pass_parallel(X, y, sw, w, b, partials):
    rows = block_rows(X.shape[1], X.itemsize)
    n = X.shape[0]
    for k in prange(partials.shape[0]):
        partials[k, :] = 0.0
        _accumulate(X, y, sw, w, b, k * rows, min(n, (k + 1) * rows), partials[k])


@njit(**JIT)
def _finish(acc, w, alpha, out):
    """Normalise summed partials ``acc`` by the weight and add the L2 term."""
    d = w.shape[0]
    S = acc[d + 3]
    sq = 0.0
    for j in range(d):
        out[j] = acc[j] / S + alpha * w[j]
        sq += w[j] * w[j]
    out[d] = acc[d] / S
    out[d + 1] = acc[d + 1] / S + 0.5 * alpha * sq
    out[d + 2] = acc[d + 2] / S


@njit(**JIT)
def _full_pass(X, y, sw, w, b, alpha, parallel, partials, total, out):
    if parallel:
        _pass_parallel(X, y, sw, w, b, partials)
    else:
        _pass_serial(X, y, sw, w, b, partials)
    total[:] = 0.0
    for k in range(partials.shape[0]):  # fixed order: the result is thread-count free
        total += partials[k]
    _finish(total, w, alpha, out)


@njit(**JIT)
def loss_grad(X, y, sw, w, b, alpha, parallel, out):
    """One fused read of ``X``: loss, gradient and accuracy at ``(w, b)`` into ``out``."""
    d = X.shape[1]
    partials = np.empty((n_blocks(X), d + _EXTRA))
    _full_pass(X, y, sw, w, b, alpha, parallel, partials, np.empty(d + _EXTRA), out)


@njit(**JIT)
def gd_epochs(X, y, sw, w, b, learning_rate, alpha, fit_intercept, parallel,
              first_epoch, n_epochs, record_every, grad, history):
    """Run ``n_epochs`` fixed-step gradient-descent epochs in compiled code.

    On entry ``grad`` holds :func:`loss_grad`'s output at ``(w, b[0])``; each
    epoch updates ``w`` and ``b[0]`` in place from it, then one fused pass
    computes ``grad`` at the new point, so an epoch reads ``X`` once. The pass
    also yields the loss and accuracy of the updated model: epochs ``e`` with
    ``e % record_every == 0`` append ``(e, loss, accuracy)`` to ``history``
    (as the notebook records them).

    If an update makes the loss non-finite (a step too large for the data),
    ``w`` and ``b`` are restored to the last finite point and the loop stops;
    ``grad`` is then not meaningful.

    Returns
    -------
    epochs_run : int
        Completed epochs; less than ``n_epochs`` only on divergence.
    n_records : int
        Rows written to ``history``.
    """
    d = X.shape[1]
    partials = np.empty((n_blocks(X), d + _EXTRA))
    total = np.empty(d + _EXTRA)
    w_prev = np.empty(d)
    n_records = 0
    for e in range(first_epoch, first_epoch + n_epochs):
        w_prev[:] = w
        b_prev = b[0]
        for j in range(d):
            w[j] -= learning_rate * grad[j]
        if fit_intercept:
            b[0] -= learning_rate * grad[d]
        _full_pass(X, y, sw, w, b[0], alpha, parallel, partials, total, grad)
        if not np.isfinite(grad[d + 1]):
            # Diverged: give back the last weights whose loss was finite.
            w[:] = w_prev
            b[0] = b_prev
            return e - first_epoch, n_records
        if e % record_every == 0:
            history[n_records, 0] = e
            history[n_records, 1] = grad[d + 1]
            history[n_records, 2] = grad[d + 2]
            n_records += 1
    return n_epochs, n_records


@njit(**JIT)
def minibatch_epoch(X, y, sw, w, b, order, batch_size, learning_rate, alpha,
                    fit_intercept, out):
    """One epoch of mini-batch gradient descent, fused: each batch is read once
    and the update follows it before the next batch is read.

    Batch ``k`` holds rows ``order[k*batch_size:(k+1)*batch_size]``; its rows
    are gathered into a small C-ordered buffer (so F-ordered and permuted
    access cost one gather, not strided sweeps). Its gradient is divided by the
    expected batch weight ``S nb / n``, an unbiased estimate of the full
    gradient (see :func:`fastlogreg.reference.minibatch_epoch`, whose
    ``loss`` and ``accuracy`` go to ``out[0]`` and ``out[1]``).
    """
    n, d = X.shape
    Xb = np.empty((batch_size, d), dtype=X.dtype)
    yb = np.empty(batch_size)
    sb = np.empty(batch_size)
    acc = np.empty(d + _EXTRA)
    S = 0.0
    for i in range(sw.shape[0]):
        S += sw[i]
    total_loss = 0.0
    total_hits = 0.0
    m = order.shape[0]
    for start in range(0, m, batch_size):
        nb = min(m, start + batch_size) - start
        for k in range(nb):
            i = order[start + k]
            for j in range(d):
                Xb[k, j] = X[i, j]
            yb[k] = y[i]
            sb[k] = sw[i]
        acc[:] = 0.0
        _accumulate_c(Xb, yb, sb, w, b[0], 0, nb, acc)
        scale = S * nb / n
        sq = 0.0
        for j in range(d):
            sq += w[j] * w[j]
        total_loss += acc[d + 1] / S + nb / m * 0.5 * alpha * sq
        total_hits += acc[d + 2] / S
        for j in range(d):
            w[j] -= learning_rate * (acc[j] / scale + alpha * w[j])
        if fit_intercept:
            b[0] -= learning_rate * acc[d] / scale
    out[0] = total_loss
    out[1] = total_hits


@njit(parallel=True, **JIT)
def decision_function(X, w, b, out):
    """``out[i] = X[i] . w + b``, reading X in place (no float64 copy of float32 X)."""
    rows = block_rows(X.shape[1], X.itemsize)
    n, d = X.shape
    for k in prange((n + rows - 1) // rows):
        lo = k * rows
        hi = min(n, lo + rows)
        for i in range(lo, hi):
            out[i] = b
        for j in range(d):  # column sweep: contiguous for F, cached rows for C
            wj = w[j]
            for i in range(lo, hi):
                out[i] += X[i, j] * wj


@njit(**JIT)
def weighted_sq_norm_sum(X, sw):
    """``sum_i sw[i] * ||X[i]||^2``: bounds the Lipschitz constant of the loss."""
    n, d = X.shape
    total = 0.0
    if X.flags.f_contiguous and not X.flags.c_contiguous:
        for j in range(d):  # column sweeps: contiguous for F order
            for i in range(n):
                total += sw[i] * X[i, j] * X[i, j]
        return total
    for i in range(n):
        t = 0.0
        for j in range(d):
            t += X[i, j] * X[i, j]
        total += sw[i] * t
    return total

"""One read of dense ``X`` for M models at once: the fused pass of a grid.

A cross-validation over ``n_folds`` folds and ``n_Cs`` regularisation
strengths trains ``M = n_folds * n_Cs`` models on the same rows. Each model
here has its own coefficients and its own row weights, taken from a row of a
weight matrix ``SW`` (n_folds, n_samples) through ``fold_of[model]``: a
fold's held-out rows have weight 0 there, so ``X`` is never copied per fold.
Each block of rows is read from memory once and serves every model.

Conventions (``d`` features, ``M`` models, ``K`` classes)::

    binary       W (M, d), b (M,);        total (M, d + 5), each row in the
                 layout of :func:`.dense.add_partials` (finished by
                 :func:`.dense.finish`)
    multinomial  W (M*K, d), b (M*K,);    total (M, K*d + K + 3), each row in
                 the layout of :func:`.multinomial.add_partials` (finished by
                 :func:`.multinomial.finish`); model m's class k is row m*K + k

Per block of rows, the logits of all M (or M*K) rows of ``W`` come first
(C order: four rows of X at a time, each dot product vectorised over the
features; F order: four columns at a time, vectorised over the rows), then
the residuals of each model in the vectorised loops of the single-model
passes, then the gradient (C order: four rows of X per load and store of a
model's accumulator; F order: four columns per load of a model's residuals).

Determinism: the rows are cut into at most ``MAX_TASKS`` tasks of whole
blocks; task sizes depend on ``n_samples``, ``n_features`` and the dtype only,
and the tasks' partial sums are added in task order. The serial and the
parallel pass give the same bits for any thread count
(``tests/test_kernels_batched.py::test_bitwise_serial_parallel``). The
partials take ``MAX_TASKS * M * (K*d + K + 5)`` float64, never a copy of X.
"""

import numpy as np
from numba import njit, prange

from ._math import DENSE_JIT as JIT
from ._prefetch import hint_l2
from .layout import (
    block_rows,
    gradient_f,
    logits_f,
    madd4,
    residuals,
    softmax_residuals,
    store4,
)

__all__ = ["LOSS_CAP", "MAX_TASKS", "binary_sums", "finish", "loss_cap", "model_sums",
           "multinomial_sums", "task_rows"]

# The largest per-row log-loss of a scoring pass: scikit-learn's log_loss clips
# probabilities to [eps, 1 - eps] (tests/test_cv.py compares scores).
LOSS_CAP = -float(np.log(np.finfo(np.float64).eps))

# Tasks (units of the fixed-order reduction) per pass: enough to keep any
# thread count busy, few enough that the partials stay small.
MAX_TASKS = 64

# From four rows of W on, the C-order logits sweep works long enough on each
# row that the hardware prefetchers fall behind; it hints the rows AHEAD_BYTES
# ahead into L2 (python scripts/cv_race.py --skip-race times the pass).
HINT_MIN_ROWS = 4
AHEAD_BYTES = 16 * 1024


@njit(**JIT)
def task_rows(n_samples, n_features, itemsize):
    """Rows per task: a whole number of blocks, at most ``MAX_TASKS`` tasks.

    The blocks are :func:`.layout.block_rows`' C-sized ones for both layouts:
    a block and its (M, rows) logits stay in a core's L2 between the logits,
    residual and gradient sweeps, as in the single-model pass.
    """
    rows = block_rows(n_features, itemsize)
    per = (n_samples + MAX_TASKS - 1) // MAX_TASKS
    return max(1, (per + rows - 1) // rows) * rows


@njit(**JIT)
def _logits_block(X, lo, hi, W, b, Z):
    """``Z[p, t] = X[lo + t] . W[p] + b[p]`` for the rows ``lo:hi``."""
    P, d = W.shape
    m = hi - lo
    if X.flags.f_contiguous and not X.flags.c_contiguous:
        logits_f(X, lo, hi, W, b, Z)
        return
    Xb = X[lo:hi]
    n = X.shape[0]
    ahead = AHEAD_BYTES // (d * X.itemsize) + 1 if P >= HINT_MIN_ROWS else 0
    far = lo * d
    t = 0
    while t + 4 <= m:
        if ahead:
            far = hint_l2(X, far, min(n, lo + t + 4 + ahead) * d)
        x0, x1, x2, x3 = Xb[t], Xb[t + 1], Xb[t + 2], Xb[t + 3]
        p = 0
        while p + 4 <= P:
            _logits_4x4(x0, x1, x2, x3, W[p], W[p + 1], W[p + 2], W[p + 3], b, p, t, Z)
            p += 4
        while p < P:
            wp = W[p]
            a = (0.0, 0.0, 0.0, 0.0)
            for j in range(d):  # four dot products share each load of W[p]
                a = madd4(a, (x0[j], x1[j], x2[j], x3[j]), wp[j])
            store4(Z[p], t, a, b[p])
            p += 1
        t += 4
    while t < m:
        row = Xb[t]
        for p in range(P):
            wp = W[p]
            s = 0.0
            for j in range(d):
                s += row[j] * wp[j]
            Z[p, t] = s + b[p]
        t += 1


@njit(inline="always", **JIT)
def _logits_4x4(x0, x1, x2, x3, w0, w1, w2, w3, b, p, t, Z):
    """Logits of four rows for four models: each load of a row element serves
    four models and each load of a weight four rows (16 accumulators), where
    one model at a time reloads every row element per model. The batched pass
    against one model's (``asv_bench/benchmarks/bench_batched.py``,
    ``python scripts/cv_race.py``) guards the choice."""
    a0 = a1 = a2 = a3 = (0.0, 0.0, 0.0, 0.0)
    for j in range(x0.shape[0]):
        u = (x0[j], x1[j], x2[j], x3[j])
        a0 = madd4(a0, u, w0[j])
        a1 = madd4(a1, u, w1[j])
        a2 = madd4(a2, u, w2[j])
        a3 = madd4(a3, u, w3[j])
    store4(Z[p], t, a0, b[p])
    store4(Z[p + 1], t, a1, b[p + 1])
    store4(Z[p + 2], t, a2, b[p + 2])
    store4(Z[p + 3], t, a3, b[p + 3])


@njit(**JIT)
def _gradient_block(X, lo, hi, R, acc, K):
    """``acc[p // K, (p % K) * d + j] += sum_t R[p, t] X[lo + t, j]``."""
    P, m = R.shape
    d = X.shape[1]
    if X.flags.f_contiguous and not X.flags.c_contiguous:
        gradient_f(X, lo, hi, R, acc, K)
        return
    Xb = X[lo:hi]
    t = 0
    while t + 4 <= m:
        x0, x1, x2, x3 = Xb[t], Xb[t + 1], Xb[t + 2], Xb[t + 3]
        p = 0
        while p + 4 <= P:
            # four models per load of the four rows (see _axpy_4x4)
            _axpy_4x4(x0, x1, x2, x3, R, p, t,
                      acc[p // K, (p % K) * d:(p % K + 1) * d],
                      acc[(p + 1) // K, ((p + 1) % K) * d:((p + 1) % K + 1) * d],
                      acc[(p + 2) // K, ((p + 2) % K) * d:((p + 2) % K + 1) * d],
                      acc[(p + 3) // K, ((p + 3) % K) * d:((p + 3) % K + 1) * d])
            p += 4
        while p < P:
            r0, r1, r2, r3 = R[p, t], R[p, t + 1], R[p, t + 2], R[p, t + 3]
            g = acc[p // K, (p % K) * d:(p % K + 1) * d]
            for j in range(d):  # four rows per load and store of the accumulator
                g[j] += r0 * x0[j] + r1 * x1[j] + r2 * x2[j] + r3 * x3[j]
            p += 1
        t += 4
    while t < m:
        row = Xb[t]
        for p in range(P):
            r = R[p, t]
            g = acc[p // K, (p % K) * d:(p % K + 1) * d]
            for j in range(d):
                g[j] += r * row[j]
        t += 1


@njit(inline="always", **JIT)
def _axpy_4x4(x0, x1, x2, x3, R, p, t, g0, g1, g2, g3):
    """Gradient updates of four models by four rows: each row element loaded
    once for four models, each accumulator loaded and stored once per four
    rows (``asv_bench/benchmarks/bench_batched.py`` times the pass)."""
    r00, r01, r02, r03 = R[p, t], R[p, t + 1], R[p, t + 2], R[p, t + 3]
    r10, r11, r12, r13 = R[p + 1, t], R[p + 1, t + 1], R[p + 1, t + 2], R[p + 1, t + 3]
    r20, r21, r22, r23 = R[p + 2, t], R[p + 2, t + 1], R[p + 2, t + 2], R[p + 2, t + 3]
    r30, r31, r32, r33 = R[p + 3, t], R[p + 3, t + 1], R[p + 3, t + 2], R[p + 3, t + 3]
    for j in range(x0.shape[0]):
        u0 = x0[j]
        u1 = x1[j]
        u2 = x2[j]
        u3 = x3[j]
        g0[j] += r00 * u0 + r01 * u1 + r02 * u2 + r03 * u3
        g1[j] += r10 * u0 + r11 * u1 + r12 * u2 + r13 * u3
        g2[j] += r20 * u0 + r21 * u1 + r22 * u2 + r23 * u3
        g3[j] += r30 * u0 + r31 * u1 + r32 * u2 + r33 * u3


@njit(**JIT)
def _task(X, y, SW, fold_of, W, b, K, need_grad, cap, k, partials):
    """Sums of task ``k``'s rows into ``partials[k]`` (M, E), block by block;
    the body of both the serial and the parallel pass.

    ``K == 0`` marks the binary model (one row of W per model).
    """
    n, d = X.shape
    rows = block_rows(d, X.itemsize)
    per_task = task_rows(n, d, X.itemsize)
    hi = min(n, (k + 1) * per_task)
    acc = partials[k]
    P = W.shape[0]
    start = k * per_task
    while start < hi:
        stop = min(hi, start + rows)
        m = stop - start
        Z = np.empty((P, m))
        _logits_block(X, start, stop, W, b, Z)
        yb = y[start:stop]
        if K == 0:
            for p in range(P):
                residuals(Z[p], yb, SW[fold_of[p], start:stop], m, True, acc[p], d, cap)
            if need_grad:
                _gradient_block(X, start, stop, Z, acc, 1)
        else:
            for q in range(P // K):
                softmax_residuals(Z[q * K:(q + 1) * K], yb, SW[fold_of[q], start:stop],
                                  acc[q], K * d, cap)
            if need_grad:
                _gradient_block(X, start, stop, Z, acc, K)
        start = stop


@njit(**JIT)
def _task_partials(X, total):
    """Zeroed partial sums (n_tasks, M, E) of a pass over ``X`` into ``total``."""
    n, d = X.shape
    rows = task_rows(n, d, X.itemsize)
    return np.zeros(((n + rows - 1) // rows, total.shape[0], total.shape[1]))


@njit(**JIT)
def _reduce(partials, total):
    """Add the tasks' partials to ``total`` in task order (thread-count free)."""
    for k in range(partials.shape[0]):
        for p in range(total.shape[0]):
            for j in range(total.shape[1]):
                total[p, j] += partials[k, p, j]


@njit(**JIT)
def _pass_serial(X, y, SW, fold_of, W, b, K, need_grad, cap, total):
    partials = _task_partials(X, total)
    for k in range(partials.shape[0]):
        _task(X, y, SW, fold_of, W, b, K, need_grad, cap, k, partials)
    _reduce(partials, total)


@njit(parallel=True, **JIT)
def _pass_parallel(X, y, SW, fold_of, W, b, K, need_grad, cap, total):
    partials = _task_partials(X, total)
    for k in prange(partials.shape[0]):
        _task(X, y, SW, fold_of, W, b, K, need_grad, cap, k, partials)
    _reduce(partials, total)


def loss_cap(need_grad: bool) -> float:
    """The per-row loss cap of a batched pass: none for training (``need_grad``),
    :data:`LOSS_CAP` for scoring."""
    return np.inf if need_grad else LOSS_CAP


def binary_sums(X, y, SW, fold_of, W, b, parallel, need_grad, total):
    """Add the unnormalised sums of M binary models' pass over ``X`` to ``total``.

    Parameters
    ----------
    X : (n, d) float32/float64, C- or F-contiguous, read in place
    y : (n,) float64 0/1 labels
    SW : (n_folds, n) float64 C-contiguous row weights (0 on held-out rows)
    fold_of : (M,) int64, the row of ``SW`` each model trains on
    W : (M, d) float64 C-contiguous; b : (M,) float64
    parallel : bool
        Run the tasks on Numba's threads (same bits either way).
    need_grad : bool
        False skips the gradient sweep (loss, hits and weight only: scoring)
        and caps each row's loss at ``-log(eps)`` as
        :func:`sklearn.metrics.log_loss` does by clipping probabilities to
        ``[eps, 1 - eps]``, so that held-out log-losses match scikit-learn's.
    total : (M, d + 5) float64
        Receives, per model, :func:`.dense.add_partials`' sums.
    """
    run = _pass_parallel if parallel else _pass_serial
    run(X, y, SW, fold_of, W, b, 0, bool(need_grad), loss_cap(need_grad), total)


def multinomial_sums(X, y, SW, fold_of, W, b, n_classes, parallel, need_grad, total):
    """Add the sums of M softmax models' pass over ``X`` to ``total``.

    ``W`` is (M * n_classes, d) (model m's classes in rows ``m*K .. m*K+K-1``),
    ``b`` (M * n_classes,), ``y`` holds class indices; ``total`` (M, K*d + K + 3)
    receives per model :func:`.multinomial.add_partials`' sums. Other
    arguments as in :func:`binary_sums`.
    """
    run = _pass_parallel if parallel else _pass_serial
    run(X, y, SW, fold_of, W, b, int(n_classes), bool(need_grad), loss_cap(need_grad), total)


def model_sums(X, y, SW, fold_of, W, b, parallel, need_grad, total=None):
    """:func:`binary_sums` for ``W`` (M, d), :func:`multinomial_sums` for ``W``
    (M, K, d) and ``b`` (M, K); returns ``total`` (allocated when None)."""
    M = W.shape[0]
    SW = np.ascontiguousarray(SW, dtype=np.float64)
    fold_of = np.ascontiguousarray(fold_of, dtype=np.int64)
    if W.ndim == 2:
        if total is None:
            total = np.zeros((M, W.shape[1] + 5))
        binary_sums(X, y, SW, fold_of, np.ascontiguousarray(W), np.ascontiguousarray(b),
                    parallel, need_grad, total)
        return total
    K, d = W.shape[1], W.shape[2]
    if total is None:
        total = np.zeros((M, K * d + K + 3))
    multinomial_sums(X, y, SW, fold_of, np.ascontiguousarray(W).reshape(M * K, d),
                     np.ascontiguousarray(b).reshape(M * K), K, parallel, need_grad, total)
    return total


@njit(**JIT)
def finish(total, W, alpha, n_intercepts, out):
    """Each model's pass ``out`` from its sums: ``out[m]`` = [gradient
    (n_params), J, accuracy], normalised by the model's weight sum.

    ``total`` (M, >= n_params + 3) holds per model the gradient sums of the
    ``n_weights = W.shape[1]`` weights and the ``n_intercepts`` intercepts,
    then the loss, hits and weight (both layouts of this module); ``W`` is
    (M, n_weights) (each model's weights flattened), ``alpha`` (M,) the L2
    strengths; ``out`` is (M, n_params + 2).
    """
    M, nw = W.shape
    npar = nw + n_intercepts
    for m in range(M):
        S = total[m, npar + 2]
        a = alpha[m]
        sq = 0.0
        for j in range(nw):
            out[m, j] = total[m, j] / S + a * W[m, j]
            sq += W[m, j] * W[m, j]
        for j in range(nw, npar):
            out[m, j] = total[m, j] / S
        out[m, npar] = total[m, npar] / S + 0.5 * a * sq
        out[m, npar + 1] = total[m, npar + 1] / S

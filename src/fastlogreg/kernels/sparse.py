"""Fused passes over CSR ``X``, given as its three arrays.

``X`` (n_samples x n_features) is passed as ``data`` (float32 or float64),
``indices`` and ``indptr`` (int32 or int64, one dtype for both, as scipy.sparse
makes them), exactly as a ``scipy.sparse.csr_matrix`` holds them: read in
place, never copied. Indices within a row may be in any order; a row must not
repeat a column (scipy's canonical form: ``X.sum_duplicates()``), although
only :func:`weighted_sq_norm_sum` would notice. ``y``, the sample weights
``sw``, ``w``/``W`` and ``b`` are float64 and everything accumulates in
float64, so float32 data lose nothing but their own rounding. Like every
kernel: no validation, no Python objects; callers pass validated arrays
(indices in ``[0, n_features)``, ``sw >= 0`` with a positive sum).

Output conventions are those of the dense kernels. :func:`binary_partials`
*adds* the unnormalised sums of a pass into ``total``, the binary partial row
of :mod:`.layout` (``d + 5`` long), and :func:`multinomial_partials` into the
multinomial one (``K*d + K + 3``; computed class-minor, see the multinomial
section); :func:`batched_partials` adds M binary models' rows from one read
(the batched pass of a cross-validation grid, laid out as the softmax's
classes). The per-row arithmetic is the dense kernels' own, from
:mod:`.layout`: :func:`.layout.residuals` (vectorised ``exp_nonpos`` /
``log1p_unit`` sigmoid and loss) and :func:`.layout.softmax_inplace`.

Determinism: rows are cut into fixed blocks of about equal work
(:func:`block_bounds`: nonzeros plus a per-row cost), chosen from ``indptr``
and the width of a partial row only, never from the thread count. Each block
sums into its own partials row in one fixed order; the rows are added to
``total`` in block order (in parallel over column slices, which does not
change any column's order). The serial and the parallel (``prange``) pass
give bit-for-bit the same result for any number of threads
(``tests/test_kernels_sparse.py::test_bitwise_across_threads``).

Speed: the pass is compute-bound rather than bandwidth-bound, since each
nonzero costs a gather from ``w`` and a scatter-add into the block's
accumulator, which for wide ``X`` miss L1; ``python
scripts/diagnostics/sparse_bandwidth.py`` prints the pass against the bytes it
reads over the machine's bandwidth.
"""

import numpy as np
from numba import njit, prange

from ._math import DENSE_JIT as JIT
from ._prefetch import hint_l1, hint_l2
from .layout import (
    BINARY_TAIL,
    HITS,
    LOSS,
    MULTINOMIAL_TAIL,
    WEIGHT,
    csr_dot,
    csr_scatter,
    residuals,
    softmax_inplace,
)

# The names kernels/newton.py imports (kept until it imports them from .layout).

# DENSE_JIT (NumPy's error model) for every kernel here, as in dense.py: the
# per-group residual loop must vectorise, and the only divisions are by
# 1 + e >= 1, a softmax sum >= 1 and the validated, positive weight sum.

# A binary block's intercept gradient and tail (.layout), summed in scratch of
# its own before they are added to the block's partial row (see _binary_block).
_B_EXTRA = 1 + BINARY_TAIL

# --- blocks ----------------------------------------------------------------------
# CSR blocks are cut by work, not by a fixed row count (dense blocks:
# .layout.block_rows): a block's work is its nonzeros plus ROW_WORK per row,
# since besides its nonzeros a row costs its sigmoid, loop setups and a
# horizontal vector sum, about as much as a dozen nonzeros. It only matters
# for load balance: without it millions of empty or near-empty rows could pile
# into one block (tests/test_kernels_sparse.py::test_block_bounds_of_a_long_matrix).
ROW_WORK = 12
# Work per block: at least BLOCK_WORK and at least WIDTH_WORK partial-row
# widths, so that zeroing a block's partials row and adding it to the total
# stay small beside reading its nonzeros, and the partials array small beside
# X; and many more blocks than threads, so that the static prange split is
# balanced. Wide X (a partial row as long as a few rows' nonzeros) still gets
# MIN_BLOCKS blocks, as long as their partials hold no more numbers than X has
# nonzeros: with one block its whole pass would run on one thread
# (python scripts/wide_sparse.py times a wide fit).
BLOCK_WORK = 1 << 20
WIDTH_WORK = 16
MIN_BLOCKS = 4
# Rows per group inside a block: their logits are computed first (one gather
# per nonzero), then their residuals in one vectorised loop (.layout.residuals),
# then their gradient (one scatter-add per nonzero) re-reads the group's
# nonzeros from L2, where a group of rows of a hundred nonzeros still fits.
GROUP_ROWS = 64
# Software prefetch of data and indices, one hint per cache line: this many
# nonzeros ahead into L2 and, nearer, into L1. The hardware prefetchers alone
# leave the stream exposed while the random w / accumulator accesses miss L1.
# python scripts/diagnostics/sparse_bandwidth.py times the pass; with
# FASTLOGREG_PREFETCH=0 (see ._prefetch) it runs without the hints.
PREFETCH_L2 = 4096
PREFETCH_L1 = 256
# Columns per slice of the parallel reduction of the partials (16 KB of total).
REDUCE_COLUMNS = 2048
# Rows per task of the multinomial decision function.
PREDICT_ROWS = 4096
# Up to this many classes the softmax pass sweeps a row once per class, for the
# logits and for the gradient (LLVM vectorises or unrolls each sweep); more
# classes update K contiguous entries per nonzero in one sweep, which is
# slower for few classes (python scripts/diagnostics/sparse_bandwidth.py
# --classes K times the pass).
CLASS_OUTER_MAX = 4


@njit(**JIT)
def block_bounds(indptr, width):
    """Row boundaries of the blocks of a pass with partial rows of ``width``.

    Block ``k`` holds rows ``bounds[k]:bounds[k + 1]``; boundaries fall where the
    work ``nnz_before(i) + ROW_WORK * i`` crosses multiples of the block size
    (binary search: O(blocks x log n), not a sweep of ``indptr``); the block
    size is BLOCK_WORK, WIDTH_WORK widths, or less for wide X so that there
    are MIN_BLOCKS blocks (see there). They depend on ``indptr`` and ``width``
    only. A row longer than a block makes the next block(s) empty, which is
    harmless.
    """
    n = indptr.shape[0] - 1
    base = np.int64(indptr[0])
    nnz = np.int64(indptr[n]) - base
    work = nnz + ROW_WORK * n
    least = max(1, min(MIN_BLOCKS, nnz // width))
    size = max(BLOCK_WORK, min(WIDTH_WORK * width, (work + least - 1) // least))
    nb = max(1, (work + size - 1) // size)
    bounds = np.empty(nb + 1, np.int64)
    bounds[0] = 0
    for k in range(1, nb):
        target = k * size
        lo = 0
        hi = n
        while lo < hi:  # first row i with work(i) >= target
            mid = (lo + hi) >> 1
            if np.int64(indptr[mid]) - base + ROW_WORK * mid < target:
                lo = mid + 1
            else:
                hi = mid
        bounds[k] = lo
    bounds[nb] = n
    return bounds


# --- the per-row loops --------------------------------------------------------------
# Nonzeros are addressed through unsigned positions (np.uintp): a signed index
# keeps Numba's negative-index wrap-around test in the loop. No array views
# are made per row either: each view of a shared array is an atomic reference
# count update, and two threads updating the same count serialise.

@njit(inline="always", **JIT)
def _prefetch(data, indices, marks, end):
    """Prefetch data and indices up to ``end + PREFETCH_L2`` into L2 and up to
    ``end + PREFETCH_L1`` into L1, one hint per cache line: ``marks`` (data and
    indices positions already hinted, far then near) are returned advanced."""
    far_data, far_indices, near_data, near_indices = marks
    upto = min(end + PREFETCH_L2, data.shape[0])
    far_data = hint_l2(data, far_data, upto)
    far_indices = hint_l2(indices, far_indices, upto)
    upto = min(end + PREFETCH_L1, data.shape[0])
    near_data = hint_l1(data, near_data, upto)
    near_indices = hint_l1(indices, near_indices, upto)
    return far_data, far_indices, near_data, near_indices


@njit(inline="always", **JIT)
def _first_marks(indptr, lo):
    """:func:`_prefetch`'s marks for a block from row ``lo``: hints start
    PREFETCH_L2 and PREFETCH_L1 nonzeros past its first one (nearer ones are
    read before a hint could arrive)."""
    far = np.int64(indptr[lo]) + PREFETCH_L2
    near = np.int64(indptr[lo]) + PREFETCH_L1
    return far, far, near, near


# --- binary ------------------------------------------------------------------------

@njit(**JIT)
def _binary_block(data, indices, indptr, y, sw, w, b, lo, hi, z, yb, sb, extra, acc,
                  need_loss):
    """Add rows ``lo:hi`` into ``acc`` (a binary partial row of :mod:`.layout`):
    logits of a group of rows, their residuals in one vectorised loop, then
    their gradient.

    ``z``, ``yb``, ``sb`` (GROUP_ROWS) and ``extra`` (_B_EXTRA) are the block's own
    scratch: the residual loop's sums go to ``extra``, not to ``acc``, a view
    of the shared partials whose reference count two threads would otherwise
    update (atomically, on one cache line) around every group.
    """
    d = w.shape[0]
    extra[:] = 0.0
    marks = _first_marks(indptr, lo)
    for g in range(lo, hi, GROUP_ROWS):
        m = min(hi, g + GROUP_ROWS) - g
        for t in range(m):
            i = g + t
            start = indptr[i]
            end = indptr[i + 1]
            marks = _prefetch(data, indices, marks, end)
            z[t] = csr_dot(data, indices, start, end, w) + b
            yb[t] = y[i]
            sb[t] = sw[i]
        residuals(z, yb, sb, m, need_loss, extra, 0, np.inf)
        for t in range(m):
            csr_scatter(data, indices, indptr[g + t], indptr[g + t + 1], z[t], acc, 0)
    for j in range(_B_EXTRA):
        acc[d + j] += extra[j]


@njit(**JIT)
def _binary_serial(data, indices, indptr, y, sw, w, b, bounds, total, need_loss):
    acc = np.empty(total.shape[0])
    z = np.empty(GROUP_ROWS)
    yb = np.empty(GROUP_ROWS)
    sb = np.empty(GROUP_ROWS)
    extra = np.empty(_B_EXTRA)
    for k in range(bounds.shape[0] - 1):
        acc[:] = 0.0
        _binary_block(data, indices, indptr, y, sw, w, b, bounds[k], bounds[k + 1], z, yb,
                      sb, extra, acc, need_loss)
        total += acc


@njit(parallel=True, **JIT)
def _binary_parallel(data, indices, indptr, y, sw, w, b, bounds, partials, need_loss):
    # One prange over all blocks, not waves of blocks each reduced before the
    # next: every wave would wait for its slowest, perhaps descheduled, thread
    # (python scripts/diagnostics/sparse_bandwidth.py times the pass).
    for k in prange(bounds.shape[0] - 1):
        acc = partials[k]
        acc[:] = 0.0
        z = np.empty(GROUP_ROWS)
        yb = np.empty(GROUP_ROWS)
        sb = np.empty(GROUP_ROWS)
        extra = np.empty(_B_EXTRA)
        _binary_block(data, indices, indptr, y, sw, w, b, bounds[k], bounds[k + 1], z, yb,
                      sb, extra, acc, need_loss)


@njit(parallel=True, **JIT)
def _reduce_parallel(partials, total):
    """``total += partials[0]; total += partials[1]; ...``, in parallel over
    column slices: each column still adds the blocks in block order."""
    width = total.shape[0]
    for c in prange((width + REDUCE_COLUMNS - 1) // REDUCE_COLUMNS):
        lo = c * REDUCE_COLUMNS
        hi = min(width, lo + REDUCE_COLUMNS)
        for k in range(partials.shape[0]):
            for j in range(lo, hi):
                total[j] += partials[k, j]


@njit(**JIT)
def binary_partials(data, indices, indptr, y, sw, w, b, parallel, total, need_loss):
    """One fused read of CSR ``X`` at ``(w, b)``: add the pass's sums into ``total``.

    ``total`` (float64, ``d + 5``) receives the layout of the module docstring.
    Without ``need_loss`` the loss column gets 0 added (its ``log1p`` is the
    one part the gradient does not need). Bit-for-bit the same with
    ``parallel`` true or false and any thread count.
    """
    bounds = block_bounds(indptr, total.shape[0])
    if parallel:
        partials = np.empty((bounds.shape[0] - 1, total.shape[0]))
        _binary_parallel(data, indices, indptr, y, sw, w, b, bounds, partials, need_loss)
        _reduce_parallel(partials, total)
    else:
        _binary_serial(data, indices, indptr, y, sw, w, b, bounds, total, need_loss)


# --- multinomial -----------------------------------------------------------------------
# The softmax passes work on W and the gradient laid out class-minor, WT[j*K + k]
# = W[k, j] (:func:`_class_minor`): a nonzero in column j then reads the K
# weights of j, and adds into the K gradient entries of j, on one or two cache
# lines, instead of K lines d apart. The block partials keep that layout; the
# reduction into ``total`` turns them back to K*d. Class-major passes (one
# gather and one scatter sweep per class) fall behind as K grows (python
# scripts/diagnostics/sparse_bandwidth.py --classes K times the pass).

@njit(**JIT)
def _class_minor(W):
    """``WT`` (d*K,) with ``WT[j*K + k] = W[k, j]``."""
    K, d = W.shape
    WT = np.empty(K * d)
    for k in range(K):
        for j in range(d):
            WT[j * K + k] = W[k, j]
    return WT


@njit(inline="always", **JIT)
def _class_minor_logits(data, indices, start, end, WT, b, p):
    """``p[k] = b[k] + sum over the nonzeros start:end of x * WT[j*K + k]``.

    Up to CLASS_OUTER_MAX classes, K sweeps of the row, one register chain
    each; more classes, four nonzeros per update of ``p``: ``p`` lives in
    memory, so one nonzero at a time would chain every update through a store
    and a load."""
    K = b.shape[0]
    uK = np.uintp(K)
    if K <= CLASS_OUTER_MAX:
        for k in range(K):
            t = b[k]
            uk = np.uintp(k)
            for q in range(start, end):  # reassoc: vectorised gathers, as csr_dot
                t += data[q] * WT[np.uintp(indices[q]) * uK + uk]
            p[k] = t
        return
    for k in range(K):
        p[k] = b[k]
    q = start
    while q + np.uintp(4) <= end:
        x0 = np.float64(data[q])
        x1 = np.float64(data[q + np.uintp(1)])
        x2 = np.float64(data[q + np.uintp(2)])
        x3 = np.float64(data[q + np.uintp(3)])
        c0 = np.uintp(indices[q]) * uK
        c1 = np.uintp(indices[q + np.uintp(1)]) * uK
        c2 = np.uintp(indices[q + np.uintp(2)]) * uK
        c3 = np.uintp(indices[q + np.uintp(3)]) * uK
        for k in range(K):
            uk = np.uintp(k)
            p[k] += ((x0 * WT[c0 + uk] + x1 * WT[c1 + uk])
                     + (x2 * WT[c2 + uk] + x3 * WT[c3 + uk]))
        q += np.uintp(4)
    while q < end:
        x = np.float64(data[q])
        col = np.uintp(indices[q]) * uK
        for k in range(K):
            p[k] += x * WT[col + np.uintp(k)]
        q += np.uintp(1)


@njit(inline="always", **JIT)
def _class_minor_scatter(data, indices, start, end, r, acc):
    """``acc[j*K + k] += r[k] * x`` for the nonzeros ``x`` (column ``j``) of
    ``start:end``; up to CLASS_OUTER_MAX classes one sweep per class (a loop
    LLVM unrolls), more classes one sweep with K contiguous updates."""
    K = r.shape[0]
    uK = np.uintp(K)
    if K <= CLASS_OUTER_MAX:
        for k in range(K):
            rk = r[k]
            uk = np.uintp(k)
            for q in range(start, end):
                acc[np.uintp(indices[q]) * uK + uk] += rk * data[q]
        return
    for q in range(start, end):
        x = np.float64(data[q])
        col = np.uintp(indices[q]) * uK
        for k in range(K):
            acc[col + np.uintp(k)] += r[k] * x


@njit(**JIT)
def _multinomial_rows(data, indices, indptr, y, sw, WT, b, rows, p, r, acc):
    """Add the rows ``rows`` (an index array or range) into ``acc``: the
    gradient class-minor (``acc[j*K + k]``, d*K entries), then K intercept
    gradients, loss, hits and weight.

    Per row: one read of its nonzeros for the K logits, the softmax in place,
    one read for the K gradients of each nonzero's column.
    """
    K = b.shape[0]
    base = WT.shape[0]
    for i in rows:
        start = np.uintp(indptr[i])
        end = np.uintp(indptr[i + 1])
        _class_minor_logits(data, indices, start, end, WT, b, p)
        yi = int(y[i])
        loss, hit = softmax_inplace(p, yi)
        s = sw[i]
        for k in range(K):
            r[k] = s * (p[k] - (1.0 if k == yi else 0.0))
            acc[base + k] += r[k]
        _class_minor_scatter(data, indices, start, end, r, acc)
        acc[base + K + LOSS] += s * loss
        if hit:
            acc[base + K + HITS] += s
        acc[base + K + WEIGHT] += s


@njit(**JIT)
def _add_class_major(acc, K, total):
    """``total += acc`` with acc's class-minor gradient turned back to K*d."""
    d = (acc.shape[0] - K - MULTINOMIAL_TAIL) // K
    for k in range(K):
        for j in range(d):
            total[k * d + j] += acc[j * K + k]
    for t in range(K * d, acc.shape[0]):
        total[t] += acc[t]


@njit(**JIT)
def _multinomial_serial(data, indices, indptr, y, sw, WT, b, bounds, total):
    K = b.shape[0]
    acc = np.empty(total.shape[0])
    p = np.empty(K)
    r = np.empty(K)
    for k in range(bounds.shape[0] - 1):
        acc[:] = 0.0
        _multinomial_rows(data, indices, indptr, y, sw, WT, b,
                          range(bounds[k], bounds[k + 1]), p, r, acc)
        _add_class_major(acc, K, total)


@njit(parallel=True, **JIT)
def _multinomial_parallel(data, indices, indptr, y, sw, WT, b, bounds, partials):
    for k in prange(bounds.shape[0] - 1):
        acc = partials[k]
        acc[:] = 0.0
        p = np.empty(b.shape[0])
        r = np.empty(b.shape[0])
        _multinomial_rows(data, indices, indptr, y, sw, WT, b,
                          range(bounds[k], bounds[k + 1]), p, r, acc)


@njit(parallel=True, **JIT)
def _reduce_class_major(partials, K, total):
    """``total += partials[0]; total += partials[1]; ...`` with each block's
    class-minor gradient turned back to K*d, in parallel over classes and
    slices of the columns: each entry adds the blocks in block order."""
    d = (total.shape[0] - K - MULTINOMIAL_TAIL) // K
    slices = (d + REDUCE_COLUMNS - 1) // REDUCE_COLUMNS
    for t in prange(K * slices):
        k = t // slices
        lo = (t % slices) * REDUCE_COLUMNS
        hi = min(d, lo + REDUCE_COLUMNS)
        for blk in range(partials.shape[0]):
            for j in range(lo, hi):
                total[k * d + j] += partials[blk, j * K + k]
    for blk in range(partials.shape[0]):
        for t in range(K * d, total.shape[0]):
            total[t] += partials[blk, t]


@njit(**JIT)
def multinomial_partials(data, indices, indptr, y, sw, W, b, parallel, total):
    """One fused softmax read of CSR ``X`` for all ``K`` classes: add the sums
    into ``total`` (``K*d + K + 3``, :mod:`.multinomial`'s layout, unnormalised).

    ``y`` holds class indices ``0..K-1`` as float64. Bit-for-bit the same with
    ``parallel`` true or false and any thread count.
    """
    K = W.shape[0]
    WT = _class_minor(W)
    bounds = block_bounds(indptr, total.shape[0])
    if parallel:
        partials = np.empty((bounds.shape[0] - 1, total.shape[0]))
        _multinomial_parallel(data, indices, indptr, y, sw, WT, b, bounds, partials)
        _reduce_class_major(partials, K, total)
    else:
        _multinomial_serial(data, indices, indptr, y, sw, WT, b, bounds, total)


# --- M binary models from one read (a cross-validation grid) --------------------------
# kernels/batched.py's pass for CSR X. The M models' weights are laid out as the
# softmax's classes, class-minor (WT[j*M + m], _class_minor), so that a nonzero
# reads the M weights of its column and adds into their M gradient entries on one
# or two cache lines: M models cost about one read of X, not M. Model m has its
# own row weights SW[fold_of[m]] (0 on its fold's held-out rows). A block's
# partial row is the class-minor gradient (d*M) and then each model's
# _B_EXTRA sums (intercept gradient, loss, hits, weight, probe).

@njit(**JIT)
def _batched_block(data, indices, indptr, y, SW, fold_of, WT, b, lo, hi, Z, yb, sb, p,
                   extra, acc, need_grad, cap):
    """Add rows ``lo:hi`` into ``acc``: per group of rows the M logits of each
    row, then each model's residuals in one vectorised loop
    (:func:`.layout.residuals`, its sums into ``extra[m]``), then the gradient.

    ``Z`` (M, GROUP_ROWS), ``yb``, ``sb`` (GROUP_ROWS), ``p`` (M) and ``extra``
    (M, _B_EXTRA) are the block's scratch (see :func:`_binary_block`).
    """
    M = b.shape[0]
    base = WT.shape[0]
    extra[:] = 0.0
    marks = _first_marks(indptr, lo)
    for g in range(lo, hi, GROUP_ROWS):
        m = min(hi, g + GROUP_ROWS) - g
        for t in range(m):
            i = g + t
            end = np.uintp(indptr[i + 1])
            marks = _prefetch(data, indices, marks, end)
            _class_minor_logits(data, indices, np.uintp(indptr[i]), end, WT, b, p)
            for q in range(M):
                Z[q, t] = p[q]
            yb[t] = y[i]
        for q in range(M):
            f = fold_of[q]
            for t in range(m):  # no view of the shared SW (see the per-row loops)
                sb[t] = SW[f, g + t]
            residuals(Z[q], yb, sb, m, True, extra[q], 0, cap)
        if need_grad:
            for t in range(m):
                for q in range(M):
                    p[q] = Z[q, t]
                _class_minor_scatter(data, indices, np.uintp(indptr[g + t]),
                                     np.uintp(indptr[g + t + 1]), p, acc)
    for q in range(M):
        for j in range(_B_EXTRA):
            acc[base + q * _B_EXTRA + j] += extra[q, j]


@njit(**JIT)
def _batched_scratch(M):
    return (np.empty((M, GROUP_ROWS)), np.empty(GROUP_ROWS), np.empty(GROUP_ROWS),
            np.empty(M), np.empty((M, _B_EXTRA)))


@njit(**JIT)
def _add_batched(acc, total):
    """``total (M, d + 5) += acc`` (a block's class-minor partial row)."""
    M, width = total.shape
    d = width - _B_EXTRA
    for j in range(d):
        for q in range(M):
            total[q, j] += acc[j * M + q]
    for q in range(M):
        for t in range(_B_EXTRA):
            total[q, d + t] += acc[d * M + q * _B_EXTRA + t]


@njit(parallel=True, **JIT)
def _reduce_batched(partials, total):
    """``total += partials[0]; total += partials[1]; ...`` (each a block's
    class-minor partial row), in parallel over slices of the columns: each
    entry adds the blocks in block order."""
    M, width = total.shape
    d = width - _B_EXTRA
    for c in prange((d + REDUCE_COLUMNS - 1) // REDUCE_COLUMNS):
        lo = c * REDUCE_COLUMNS
        hi = min(d, lo + REDUCE_COLUMNS)
        for blk in range(partials.shape[0]):
            acc = partials[blk]
            for j in range(lo, hi):
                for q in range(M):
                    total[q, j] += acc[j * M + q]
    for blk in range(partials.shape[0]):
        for q in range(M):
            for t in range(_B_EXTRA):
                total[q, d + t] += partials[blk, d * M + q * _B_EXTRA + t]


@njit(parallel=True, **JIT)
def _batched_parallel(data, indices, indptr, y, SW, fold_of, WT, b, bounds, partials,
                      need_grad, cap):
    for k in prange(bounds.shape[0] - 1):
        acc = partials[k]
        acc[:] = 0.0
        Z, yb, sb, p, extra = _batched_scratch(b.shape[0])
        _batched_block(data, indices, indptr, y, SW, fold_of, WT, b, bounds[k],
                       bounds[k + 1], Z, yb, sb, p, extra, acc, need_grad, cap)


@njit(**JIT)
def batched_partials(data, indices, indptr, y, SW, fold_of, W, b, parallel, need_grad, cap,
                     total):
    """One read of CSR ``X`` for M binary models: add their sums into ``total``.

    ``W`` (M, d) and ``b`` (M,) float64; ``SW`` (n_folds, n) float64 row
    weights, model m reading row ``fold_of[m]``; ``total`` (M, d + 5) receives
    per model the binary partial row of :mod:`.layout` (unnormalised), as
    :func:`.batched.binary_sums` gives it for dense X. ``need_grad`` False skips
    the gradient (scoring); ``cap`` bounds each row's loss (``np.inf`` for
    training, :data:`.batched.LOSS_CAP` for scoring). Bit-for-bit the same
    with ``parallel`` true or false and any thread count.
    """
    M = W.shape[0]
    WT = _class_minor(W)
    width = WT.shape[0] + M * _B_EXTRA
    bounds = block_bounds(indptr, width)
    if parallel:
        partials = np.empty((bounds.shape[0] - 1, width))
        _batched_parallel(data, indices, indptr, y, SW, fold_of, WT, b, bounds, partials,
                          need_grad, cap)
        _reduce_batched(partials, total)
    else:
        acc = np.empty(width)
        Z, yb, sb, p, extra = _batched_scratch(M)
        for k in range(bounds.shape[0] - 1):
            acc[:] = 0.0
            _batched_block(data, indices, indptr, y, SW, fold_of, WT, b, bounds[k],
                           bounds[k + 1], Z, yb, sb, p, extra, acc, need_grad, cap)
            _add_batched(acc, total)


# --- mini-batch epochs ---------------------------------------------------------------

@njit(**JIT)
def _weight_sum(sw):
    S = 0.0
    for i in range(sw.shape[0]):
        S += sw[i]
    return S


@njit(**JIT)
def binary_minibatch_epoch(data, indices, indptr, y, sw, w, b, order, batch_size,
                           learning_rate, alpha, fit_intercept, out):
    """One fused mini-batch epoch over rows ``order`` (``dense.minibatch_epoch``'s
    arguments and semantics, CSR ``X``).

    Batch rows are read in place by index (no gather of X). Each batch's
    gradient is divided by the expected batch weight ``S nb / n`` (see
    :func:`fastlogreg.reference.minibatch_epoch`); ``w`` and ``b[0]`` are
    updated in place after each batch, the L2 term ``alpha w`` densely;
    ``out[0]`` and ``out[1]`` receive the loss and accuracy along the way.
    """
    n = indptr.shape[0] - 1
    d = w.shape[0]
    z = np.empty(batch_size)
    yb = np.empty(batch_size)
    sb = np.empty(batch_size)
    acc = np.zeros(d + _B_EXTRA)
    S = _weight_sum(sw)
    total_loss = 0.0
    total_hits = 0.0
    m = order.shape[0]
    for first in range(0, m, batch_size):
        nb = min(m, first + batch_size) - first
        for t in range(nb):
            i = order[first + t]
            z[t] = csr_dot(data, indices, indptr[i], indptr[i + 1], w) + b[0]
            yb[t] = y[i]
            sb[t] = sw[i]
        residuals(z, yb, sb, nb, True, acc, d, np.inf)
        for t in range(nb):
            i = order[first + t]
            csr_scatter(data, indices, indptr[i], indptr[i + 1], z[t], acc, 0)
        scale = S * nb / n
        # One O(d) sweep per batch: the penalty's norm at w_B, the update, and
        # the zeroing of the accumulator for the next batch.
        sq = 0.0
        for j in range(d):
            wj = w[j]
            sq += wj * wj
            w[j] = wj - learning_rate * (acc[j] / scale + alpha * wj)
            acc[j] = 0.0
        total_loss += acc[d + 1 + LOSS] / S + nb / m * 0.5 * alpha * sq
        total_hits += acc[d + 1 + HITS] / S
        if fit_intercept:
            b[0] -= learning_rate * acc[d] / scale
        acc[d:] = 0.0
    out[0] = total_loss
    out[1] = total_hits


@njit(**JIT)
def multinomial_minibatch_epoch(data, indices, indptr, y, sw, W, b, order, batch_size,
                                learning_rate, alpha, fit_intercept, out):
    """One fused softmax mini-batch epoch over rows ``order`` (see
    :func:`binary_minibatch_epoch` and ``multinomial.minibatch_epoch``); ``W``
    (K, d) and ``b`` (K,) are updated in place. The epoch updates the
    class-minor copy of ``W`` that the rows read, and writes it back at the end."""
    n = indptr.shape[0] - 1
    K, d = W.shape
    base = K * d
    WT = _class_minor(W)
    acc = np.zeros(base + K + MULTINOMIAL_TAIL)
    p = np.empty(K)
    r = np.empty(K)
    S = _weight_sum(sw)
    total_loss = 0.0
    total_hits = 0.0
    m = order.shape[0]
    for first in range(0, m, batch_size):
        nb = min(m, first + batch_size) - first
        _multinomial_rows(data, indices, indptr, y, sw, WT, b, order[first:first + nb], p,
                          r, acc)
        scale = S * nb / n
        sq = 0.0
        for t in range(base):  # class-minor throughout: an elementwise update
            wt = WT[t]
            sq += wt * wt
            WT[t] = wt - learning_rate * (acc[t] / scale + alpha * wt)
            acc[t] = 0.0
        total_loss += acc[base + K + LOSS] / S + nb / m * 0.5 * alpha * sq
        total_hits += acc[base + K + HITS] / S
        if fit_intercept:
            for k in range(K):
                b[k] -= learning_rate * acc[base + k] / scale
        acc[base:] = 0.0
    for k in range(K):
        for j in range(d):
            W[k, j] = WT[j * K + k]
    out[0] = total_loss
    out[1] = total_hits


# --- predictions and bounds -------------------------------------------------------------

@njit(parallel=True, **JIT)
def decision_function(data, indices, indptr, w, b, out):
    """``out[i] = X[i] . w + b`` for CSR ``X``, in parallel over rows."""
    for i in prange(indptr.shape[0] - 1):
        out[i] = csr_dot(data, indices, indptr[i], indptr[i + 1], w) + b


@njit(parallel=True, **JIT)
def multinomial_decision_function(data, indices, indptr, W, b, out):
    """``out[i, k] = X[i] . W[k] + b[k]`` for CSR ``X``, in parallel over rows
    (one read of a row's nonzeros for all K classes, as the passes do)."""
    K = W.shape[0]
    WT = _class_minor(W)
    n = indptr.shape[0] - 1
    for c in prange((n + PREDICT_ROWS - 1) // PREDICT_ROWS):
        p = np.empty(K)  # scratch per chunk of rows: a view out[i] per row would
        # update out's reference count (atomically, shared by the threads)
        for i in range(c * PREDICT_ROWS, min(n, (c + 1) * PREDICT_ROWS)):
            _class_minor_logits(data, indices, np.uintp(indptr[i]),
                                np.uintp(indptr[i + 1]), WT, b, p)
            for k in range(K):
                out[i, k] = p[k]


@njit(**JIT)
def weighted_sq_norm_sum(data, indptr, sw):
    """``sum_i sw[i] * ||X[i]||^2`` for CSR ``X`` (rows without repeated columns)."""
    total = 0.0
    for i in range(indptr.shape[0] - 1):
        t = 0.0
        for p in range(np.uintp(indptr[i]), np.uintp(indptr[i + 1])):
            x = np.float64(data[p])  # float32 squares would round in float32
            t += x * x
        total += sw[i] * t
    return total

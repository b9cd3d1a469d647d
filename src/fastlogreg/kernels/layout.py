"""What the kernels share: a pass's partial row, its blocks, and the per-row math.

Besides those, the sweeps that more than one module runs live here: the
residual loops with their per-row loss cap (:func:`residuals`,
:func:`softmax_residuals`: ``np.inf`` for training, a cap for the batched
scoring pass), the four-chain dot-product steps (:func:`madd4`), the F-order
logits and gradient of P rows of weights (:func:`logits_f`,
:func:`gradient_f`), and the dense mini-batch epoch of both models
(:func:`minibatch_epoch`).

The partial row
---------------
Every fused pass sums, block by block, into rows of one layout. The first
``n_params`` entries are the gradient, in the order of a problem's ``theta``
(:mod:`fastlogreg.solvers.problem`); named offsets after them hold the rest::

    binary (n_params = d + 1)            multinomial (n_params = K*d + K)
    [0:d]      sum_i r_i x_i             [k*d:(k+1)*d]  class k's gradient
    [d]        sum_i r_i                 [K*d + k]      class k's intercept
    [d+1 + LOSS]    sum_i s_i loss_i     [K*d+K + LOSS]    sum_i s_i loss_i
    [d+1 + HITS]    sum_i s_i hit_i      [K*d+K + HITS]    sum_i s_i hit_i
    [d+1 + WEIGHT]  sum_i s_i            [K*d+K + WEIGHT]  sum_i s_i
    [d+1 + PROBE]   sum_i 0 * z_i

with ``r_i = s_i (sigmoid(z_i) - y_i)`` (binary) or ``s_i (softmax(z_i) -
onehot(y_i))`` (multinomial). The probe is 0 unless a logit is inf or nan:
it lets the gradient-descent epochs that skip the loss still notice
divergence. A pass's ``out`` (what :func:`.dense.finish` and
:func:`.multinomial.finish` write, and a problem's ``evaluate`` returns) keeps
the first ``n_params + 2`` entries, normalised by the weight: ``out[n_params +
LOSS]`` is the objective and ``out[n_params + HITS]`` the accuracy.

Blocks
------
Rows are cut into blocks whose size depends only on the bytes of a row
(:func:`block_rows`) for dense ``X``, and only on ``indptr`` for CSR ``X``
(:func:`.sparse.block_bounds`, which balances nonzeros), never on the thread
count. Each block sums into its own partial row in one order, and the rows are
added in block order, so the serial and the parallel pass give the same bits
for any number of threads (``tests/test_kernels_dense.py::
test_bitwise_across_threads``, and the same test in the multinomial and sparse
test files).

Serial or parallel
------------------
Every entry that has a ``parallel`` argument runs the serial pass or the
``prange`` one; both give the same bits. The kernels take no decision: the
rule lives in :func:`fastlogreg.sources.memory.use_threads` (the parallel
pass once ``X`` has :data:`fastlogreg.sources.memory.PARALLEL_MIN_ELEMENTS`
elements and Numba has more than one thread), which every source applies to
what one call reads (a whole array, a file's chunk, a CSR's nonzeros); a Dask
chunk runs the serial pass, Dask itself running chunks side by side.
"""

from math import exp, log

import numpy as np
from numba import njit
from numba.extending import overload

from ._math import DENSE_JIT, JIT, exp_nonpos, log1p_unit
from ._prefetch import hint_l2

__all__ = [
    "BINARY_TAIL", "HITS", "LOSS", "MULTINOMIAL_TAIL", "PROBE", "WEIGHT", "add4", "add_rows",
    "binary_width", "block_count", "block_rows", "csr_dot", "csr_scatter", "gather_batch",
    "gradient_f", "gradient_sweep", "logits_f", "madd4", "minibatch_epoch",
    "multinomial_width", "residuals", "softmax_inplace", "softmax_residuals", "store4",
]

# --- the partial row ----------------------------------------------------------------
# Offsets after the n_params gradient entries (see the module docstring).
LOSS = 0
HITS = 1
WEIGHT = 2
PROBE = 3
BINARY_TAIL = 4       # LOSS, HITS, WEIGHT, PROBE
MULTINOMIAL_TAIL = 3  # LOSS, HITS, WEIGHT


@njit(**DENSE_JIT)
def binary_width(n_features):
    """Length of a binary partial row: ``d + 1`` gradient entries and the tail."""
    return n_features + 1 + BINARY_TAIL


@njit(**DENSE_JIT)
def multinomial_width(n_classes, n_features):
    """Length of a multinomial partial row: ``K*d + K`` gradient entries and the tail."""
    return n_classes * (n_features + 1) + MULTINOMIAL_TAIL


# --- blocks ---------------------------------------------------------------------------
# A C-ordered block is swept three times (logits, residuals, gradient), so it
# must stay in a core's L2 between the sweeps: X then still comes from memory
# once. An F-ordered block is d separate runs of rows, one per column, and the
# hardware prefetcher restarts on each, so it is larger: longer runs.
# python scripts/diagnostics/epoch_anatomy.py shows a block's share of an epoch.
BLOCK_BYTES_C = 256 * 1024
BLOCK_BYTES_F = 1024 * 1024
# Per-block work (a small allocation, one partial row) must stay negligible.
MIN_BLOCK_ROWS = 64
MAX_BLOCK_ROWS = 8192


@njit(**DENSE_JIT)
def block_rows(n_features, itemsize, column_major=False):
    """Rows per block of a dense pass over rows of ``n_features`` elements of
    ``itemsize`` bytes: C-ordered blocks (the default) or F-ordered ones.

    The one block size of the dense kernels; it depends on the bytes of a row
    only, never on the thread count, so that the passes are deterministic.
    """
    size = BLOCK_BYTES_F if column_major else BLOCK_BYTES_C
    rows = size // max(1, n_features * itemsize)
    return min(MAX_BLOCK_ROWS, max(MIN_BLOCK_ROWS, rows))


@njit(**DENSE_JIT)
def block_count(n_rows, rows):
    """Blocks of ``rows`` rows (the last one shorter) in ``n_rows`` rows."""
    return (n_rows + rows - 1) // rows


@njit(**DENSE_JIT)
def add_rows(partials, total):
    """``total += partials[0]; total += partials[1]; ...``: the blocks' partial
    rows added in block order, whatever thread summed each (explicit loops: an
    array expression would compile its shape-mismatch error path too)."""
    for k in range(partials.shape[0]):
        for j in range(total.shape[0]):
            total[j] += partials[k, j]


# --- the per-row math, vectorised over a group or block of rows --------------------

def _residual_loop(with_loss):
    """The residual loop of :func:`residuals`, with or without the loss: one
    source, two compiled loops (``with_loss`` is a compile-time constant)."""

    @njit(inline="always", **DENSE_JIT)
    def loop(z, y, s, m, acc, d, cap):
        gb = 0.0
        hits = 0.0
        wsum = 0.0
        probe = 0.0
        loss = 0.0
        for k in range(m):
            zk = z[k]
            yk = y[k]
            sk = s[k]
            e = exp_nonpos(-abs(zk))
            q = 1.0 / (1.0 + e)
            p = q if zk >= 0.0 else e * q
            rk = sk * (p - yk)
            z[k] = rk
            gb += rk
            hits += sk if (p > 0.5) == (yk == 1.0) else 0.0
            wsum += sk
            probe += 0.0 * zk
            if with_loss:
                lin = (1.0 - yk) * zk if zk > 0.0 else -yk * zk
                loss += sk * min(log1p_unit(e) + lin, cap)
        tail = d + 1
        acc[d] += gb
        acc[tail + LOSS] += loss
        acc[tail + HITS] += hits
        acc[tail + WEIGHT] += wsum
        acc[tail + PROBE] += probe

    return loop


_residuals_with_loss = _residual_loop(True)
_residuals_without_loss = _residual_loop(False)


@njit(inline="always", **DENSE_JIT)
def residuals(z, y, s, m, need_loss, acc, d, cap):
    """Turn the logits ``z[:m]`` into weighted residuals ``s (sigmoid(z) - y)``
    in place, and add the intercept gradient (at ``acc[d]``) and the tail
    (loss if ``need_loss``, else 0; hits, weight, probe) after it.

    One loop without calls or branches that LLVM cannot turn into selects:
    it vectorises across rows. The sigmoid is ``1 / (1 + e)`` or ``e / (1 +
    e)`` with ``e = exp(-|z|)`` in (0, 1] (never overflows); the loss is
    ``log1p(e) + (1 - y) z`` for z > 0 and ``log1p(e) - y z`` otherwise, the
    oracle's stable forms (``tests/test_kernels_dense.py`` compares them).
    Each row's loss is capped at ``cap``: ``np.inf`` for training passes (a
    constant there, so LLVM drops the comparison) and
    :data:`.batched.LOSS_CAP` for the batched scoring pass.
    """
    if need_loss:
        _residuals_with_loss(z, y, s, m, acc, d, cap)
    else:
        _residuals_without_loss(z, y, s, m, acc, d, cap)


@njit(**DENSE_JIT)
def softmax_residuals(Z, y, sw, acc, base, cap):
    """Turn the class-major logits ``Z`` (K, m) of m rows into weighted
    residuals ``s (softmax(z) - onehot(y))`` in place, and add the intercept
    gradients, loss, hits and weight to ``acc[base:]`` (the multinomial partial
    row's entries after its ``base = K*d`` weight gradients).

    The arithmetic of :func:`softmax_inplace`, in loops over the rows that
    LLVM vectorises: ``exp_nonpos`` for the K exponentials (their arguments,
    shifted by the row's maximum, are <= 0) and NumPy's error model for the
    division (the sum is >= 1); the first maximum wins ties. Only the loss's
    ``log`` stays one libm call a row. Each row's loss is capped at ``cap``
    (``np.inf`` for training, :data:`.batched.LOSS_CAP` for scoring).
    """
    K, m = Z.shape
    top = np.zeros(m)   # first class with the largest logit
    mx = np.empty(m)
    zy = np.empty(m)
    Z0 = Z[0]
    for t in range(m):
        mx[t] = Z0[t]
    for k in range(1, K):
        Zk = Z[k]
        for t in range(m):
            if Zk[t] > mx[t]:
                mx[t] = Zk[t]
                top[t] = k
    for t in range(m):
        zy[t] = Z[int(y[t]), t]
    tot = np.zeros(m)
    for k in range(K):
        Zk = Z[k]
        for t in range(m):
            e = exp_nonpos(Zk[t] - mx[t])
            Zk[t] = e
            tot[t] += e
    loss = 0.0
    for t in range(m):  # libm's log: not vectorised, one call a row
        loss += sw[t] * min(log(tot[t]) + mx[t] - zy[t], cap)
    hits = 0.0
    wsum = 0.0
    for t in range(m):
        hits += sw[t] if top[t] == y[t] else 0.0
        wsum += sw[t]
        tot[t] = sw[t] / tot[t]
    for k in range(K):
        Zk = Z[k]
        g = 0.0
        for t in range(m):
            r = Zk[t] * tot[t] - (sw[t] if y[t] == k else 0.0)
            Zk[t] = r
            g += r
        acc[base + k] += g
    tail = base + K
    acc[tail + LOSS] += loss
    acc[tail + HITS] += hits
    acc[tail + WEIGHT] += wsum


@njit(inline="always", **JIT)
def softmax_inplace(z, yi):
    """Overwrite logits ``z`` with softmax(z); return (loss, hit) for class ``yi``.

    Shifting by the max keeps every exp in (0, 1] and the sum in [1, K]. One
    buffer, updated in place: with separate logit and probability scratch
    arrays the compiled loops took address-dependent paths and the same row
    came out differently from call to call
    (tests/test_kernels_multinomial.py::test_bitwise_across_threads).
    """
    K = z.shape[0]
    top = 0
    for k in range(1, K):
        if z[k] > z[top]:
            top = k
    m = z[top]
    zy = z[yi]
    total = 0.0
    for k in range(K):
        z[k] = exp(z[k] - m)
        total += z[k]
    for k in range(K):
        z[k] /= total
    return log(total) + m - zy, top == yi


@njit(inline="always", **DENSE_JIT)
def madd4(acc, u, v):
    """``acc + u v`` for a tuple ``acc`` of four accumulators and a tuple ``u``
    of four values sharing one ``v``: one step of four dot products that share
    each load (four rows and one weight, or one row element and four models'
    weights). Inlined, the tuples are registers; the logits sweeps of
    :mod:`.dense` and :mod:`.batched` build their chains from it."""
    return (acc[0] + u[0] * v, acc[1] + u[1] * v, acc[2] + u[2] * v, acc[3] + u[3] * v)


@njit(inline="always", **DENSE_JIT)
def store4(z, k, acc, b):
    """``z[k + i] = acc[i] + b`` for the four logits of :func:`madd4`'s chains."""
    z[k] = acc[0] + b
    z[k + 1] = acc[1] + b
    z[k + 2] = acc[2] + b
    z[k + 3] = acc[3] + b


@njit(inline="always", **DENSE_JIT)
def add4(z, k, acc):
    """``z[k + i] += acc[i]`` for the four sums of :func:`madd4`'s chains."""
    z[k] += acc[0]
    z[k + 1] += acc[1]
    z[k + 2] += acc[2]
    z[k + 3] += acc[3]


@njit(**DENSE_JIT)
def logits_f(X, lo, hi, W, b, Z):
    """``Z[p, t] = X[lo + t] . W[p] + b[p]`` for F-ordered ``X``: column sweeps
    over the rows ``lo:hi``, four columns per load and store of each row of
    ``Z`` (the loops over rows vectorise). The softmax and batched passes'
    F-order logits; the block stays in cache for :func:`gradient_f`."""
    P, d = W.shape
    m = hi - lo
    for p in range(P):
        Zp = Z[p]
        bp = b[p]
        for t in range(m):
            Zp[t] = bp
    j = 0
    while j + 4 <= d:
        c0, c1 = X[lo:hi, j], X[lo:hi, j + 1]
        c2, c3 = X[lo:hi, j + 2], X[lo:hi, j + 3]
        for p in range(P):
            w0, w1, w2, w3 = W[p, j], W[p, j + 1], W[p, j + 2], W[p, j + 3]
            Zp = Z[p]
            for t in range(m):
                Zp[t] += c0[t] * w0 + c1[t] * w1 + c2[t] * w2 + c3[t] * w3
        j += 4
    while j < d:
        c = X[lo:hi, j]
        for p in range(P):
            wj = W[p, j]
            Zp = Z[p]
            for t in range(m):
                Zp[t] += c[t] * wj
        j += 1


@njit(**DENSE_JIT)
def gradient_f(X, lo, hi, R, acc, K):
    """``acc[p // K, (p % K) * d + j] += sum_t R[p, t] X[lo + t, j]`` for
    F-ordered ``X``: four columns share each load of a row of residuals ``R``
    (P, m). ``acc`` is (M, E), a row per model of ``K`` classes (``K = 1``:
    binary); the softmax and batched passes' F-order gradient."""
    P, m = R.shape
    d = X.shape[1]
    j = 0
    while j + 4 <= d:
        c0, c1 = X[lo:hi, j], X[lo:hi, j + 1]
        c2, c3 = X[lo:hi, j + 2], X[lo:hi, j + 3]
        for p in range(P):
            Rp = R[p]
            g = (0.0, 0.0, 0.0, 0.0)
            for t in range(m):
                g = madd4(g, (c0[t], c1[t], c2[t], c3[t]), Rp[t])
            add4(acc[p // K], (p % K) * d + j, g)
        j += 4
    while j < d:
        c = X[lo:hi, j]
        for p in range(P):
            Rp = R[p]
            g1 = 0.0
            for t in range(m):
                g1 += Rp[t] * c[t]
            acc[p // K, (p % K) * d + j] += g1
        j += 1


@njit(inline="always", **DENSE_JIT)
def gradient_sweep(X, Xb, r, g, far, far_hi):
    """``g[j] += sum_t r[t] Xb[t, j]`` over the rows of ``Xb``, four rows per
    load and store of ``g`` (the loop over j a plain vector loop), hinting
    flat elements ``far:far_hi`` of ``X`` into L2 a share per four rows (none
    if ``far == far_hi``). Shared by the binary and the softmax C sweeps."""
    m, d = Xb.shape
    step = (far_hi - far) // max(1, m) + 1
    far_from = far
    k = 0
    while k + 4 <= m:
        far = hint_l2(X, far, min(far_hi, far_from + (k + 4) * step))
        x0, x1, x2, x3 = Xb[k], Xb[k + 1], Xb[k + 2], Xb[k + 3]
        r0, r1, r2, r3 = r[k], r[k + 1], r[k + 2], r[k + 3]
        for j in range(d):
            g[j] += r0 * x0[j] + r1 * x1[j] + r2 * x2[j] + r3 * x3[j]
        k += 4
    while k < m:
        row = Xb[k]
        rk = r[k]
        for j in range(d):
            g[j] += rk * row[j]
        k += 1


@njit(**DENSE_JIT)
def gather_batch(X, y, sw, order, start, nb, Xb, yb, sb):
    """Copy rows ``order[start:start + nb]`` of X, y and sw into the batch buffers.

    One gather per batch turns permuted (and F-ordered) access into a small
    C-ordered block that the row sweeps read contiguously; the binary and the
    multinomial mini-batch epochs share it.
    """
    d = X.shape[1]
    for k in range(nb):
        i = order[start + k]
        for j in range(d):
            Xb[k, j] = X[i, j]
        yb[k] = y[i]
        sb[k] = sw[i]


# --- mini-batch epochs -------------------------------------------------------------

def _as_rows(W):
    """``W`` as (K, d) rows: a binary ``w`` (d,) is one row (a view)."""
    raise NotImplementedError("compiled only, through the overload below")


@overload(_as_rows, jit_options=DENSE_JIT)
def _as_rows_for(W):
    if W.ndim == 1:
        return lambda W: W[None, :]
    return lambda W: W


def _batch_sums(Xb, yb, sb, W, b, nb, acc):
    """Add the fused pass sums of a gathered batch's ``nb`` rows into ``acc``."""
    raise NotImplementedError("compiled only, through the overload below")


@overload(_batch_sums, jit_options=DENSE_JIT)
def _batch_sums_for(Xb, yb, sb, W, b, nb, acc):
    # The binary (w of one dimension) or the softmax C sweep, picked when the
    # epoch compiles; imported here because both modules import this one.
    if W.ndim == 1:
        from .dense import _accumulate_c as binary

        return lambda Xb, yb, sb, W, b, nb, acc: binary(Xb, yb, sb, W, b[0], 0, nb, acc,
                                                        True)
    from .multinomial import _accumulate_c as softmax

    return lambda Xb, yb, sb, W, b, nb, acc: softmax(Xb, yb, sb, W, b, 0, nb, acc)


@njit(**DENSE_JIT)
def minibatch_epoch(X, y, sw, W, b, order, batch_size, learning_rate, alpha,
                    fit_intercept, out):
    """One epoch of mini-batch gradient descent, fused: each batch is read once
    and the update follows it before the next batch is read. ``W`` is a binary
    model's ``w`` (d,) with ``b`` (1,), or a softmax model's (K, d) with ``b``
    (K,); both are updated in place (:func:`.dense.minibatch_epoch` and
    :func:`.multinomial.minibatch_epoch` are this function).

    Batch ``k`` holds rows ``order[k*batch_size:(k+1)*batch_size]``; its rows
    are gathered into a small C-ordered buffer (:func:`gather_batch`: F-ordered
    and permuted access cost one gather, not strided sweeps). Its gradient is
    divided by the expected batch weight ``S nb / n``, an unbiased estimate of
    the full gradient (see :func:`fastlogreg.reference.minibatch_epoch`, whose
    ``loss`` and ``accuracy`` go to ``out[0]`` and ``out[1]``).
    """
    n, d = X.shape
    rows = _as_rows(W)
    K = 1 if W.ndim == 1 else W.shape[0]  # a constant for the binary model
    base = K * d
    Xb = np.empty((batch_size, d), dtype=X.dtype)
    yb = np.empty(batch_size)
    sb = np.empty(batch_size)
    acc = np.empty(binary_width(d) if W.ndim == 1 else multinomial_width(K, d))
    S = 0.0
    for i in range(sw.shape[0]):
        S += sw[i]
    total_loss = 0.0
    total_hits = 0.0
    m = order.shape[0]
    for start in range(0, m, batch_size):
        nb = min(m, start + batch_size) - start
        gather_batch(X, y, sw, order, start, nb, Xb, yb, sb)
        acc[:] = 0.0
        _batch_sums(Xb, yb, sb, W, b, nb, acc)
        scale = S * nb / n
        sq = 0.0
        for k in range(K):
            for j in range(d):
                sq += rows[k, j] * rows[k, j]
        total_loss += acc[base + K + LOSS] / S + nb / m * 0.5 * alpha * sq
        total_hits += acc[base + K + HITS] / S
        for k in range(K):
            for j in range(d):
                rows[k, j] -= learning_rate * (acc[k * d + j] / scale + alpha * rows[k, j])
            if fit_intercept:
                b[k] -= learning_rate * acc[base + k] / scale
    out[0] = total_loss
    out[1] = total_hits


# --- one CSR row -------------------------------------------------------------------
# Nonzeros are addressed through unsigned positions (np.uintp): a signed index
# keeps Numba's negative-index wrap-around test in the loop.

@njit(**DENSE_JIT)
def csr_dot(data, indices, start, end, w):
    """``sum_p data[p] * w[indices[p]]`` over the nonzeros ``start:end`` of a row.

    With reassoc LLVM vectorises it with gathers and several accumulators;
    hand-written scalar chains were slower
    (``python scripts/diagnostics/sparse_bandwidth.py`` times the pass).
    """
    s = 0.0
    for p in range(np.uintp(start), np.uintp(end)):
        s += data[p] * w[np.uintp(indices[p])]
    return s


@njit(**DENSE_JIT)
def csr_scatter(data, indices, start, end, r, acc, offset):
    """``acc[offset + indices[p]] += r * data[p]`` over the nonzeros ``start:end``.

    Scalar, unrolled by LLVM: a vectorised scatter-add would need rows free of
    repeated columns, which LLVM cannot know. ``offset`` selects a class's
    gradient in the K*d layout.
    """
    off = np.uintp(offset)
    for p in range(np.uintp(start), np.uintp(end)):
        acc[off + np.uintp(indices[p])] += r * data[p]

"""Second-order passes for the Newton solvers: Hessian-vector products and
the gradient with the Hessian, each one fused read of ``X``.

Conventions are those of :mod:`.dense`, :mod:`.multinomial` and
:mod:`.sparse`: ``X`` float32/float64, C- or F-ordered (or CSR as ``data,
indices, indptr``), read in place; ``y``, ``sw``, coefficients and every
accumulator float64. Every function *adds* unnormalised sums (weighted by
``s_i``, not divided by ``S``) into caller-owned outputs; the problem
normalises them and adds the L2 terms.

Hessian-vector passes (``newton-cg``): at ``theta = (w, b)`` in direction
``(v, c)``, with ``z_i = x_i.w + b`` recomputed in the row loop (no stored
curvature)::

    binary       out[:d] += sum_i q_i x_i,  out[d] += sum_i q_i,
                 q_i = s_i sigmoid'(z_i) (x_i.v + c)
    multinomial  out[k*d:(k+1)*d] += sum_i r_ik x_i,  out[K*d + k] += sum_i r_ik,
                 r_ik = s_i p_ik (u_ik - p_i.u_i),  p_i = softmax(W x_i + b),
                 u_i = V x_i + c

Gradient-and-Hessian passes (``newton-cholesky``), with ``x~ = [x, 1]``:
``total`` receives the gradient sums as a partial row of :mod:`.layout`
(binary, plus ``sum_i s_i [sigmoid'(z_i) == 0]`` at ``FLAT`` after its tail,
scikit-learn's "non-positive pointwise Hessian" weight; or multinomial), and
``H`` the Hessian sums::

    binary       H (d+1, d+1)        += sum_i s_i sigmoid'(z_i) x~_i x~_i^T
    multinomial  H (K(d+1), K(d+1)), laid out as theta = [W.ravel(), b]; its
                 class block (k, l) += sum_i s_i (p_ik d_kl - p_ik p_il) x~_i x~_i^T

Determinism: the Hessian-vector passes use the fixed row blocks of the
first-order passes (:func:`.layout.block_rows`, :func:`.sparse.block_bounds`)
with one partials row per block, added in block order. The Hessian passes cut
the blocks into a fixed number of groups (:func:`hessian_groups`, from the
shape only) whose blocks are summed in order into a group's own matrix; the
groups' matrices are added in group order. Blocks and groups are the tasks of
one serial and one ``prange`` loop shared by every pass (``_run``), and both
give bit-for-bit the same results for any thread count
(``tests/test_kernels_newton.py::test_bitwise_across_threads``).
"""

from collections import namedtuple
from math import exp

import numpy as np
from numba import njit, prange
from numba.extending import overload

from ._math import DENSE_JIT as JIT
from ._math import exp_nonpos, log1p_unit
from .layout import (
    BINARY_TAIL,
    HITS,
    LOSS,
    PROBE,
    WEIGHT,
    add_rows,
    binary_width,
    block_rows,
    csr_dot,
    csr_scatter,
    gradient_f,
    gradient_sweep,
    logits_f,
    multinomial_width,
    residuals,
)
from .sparse import block_bounds

# After a binary partial row (layout.binary_width): the weight of the rows
# whose curvature sigmoid'(z) is 0, scikit-learn's "non-positive pointwise
# Hessian" share (its newton-cholesky falls back to lbfgs above 25%).
FLAT = BINARY_TAIL

__all__ = [
    "binary_hessian",
    "binary_hessian_zeros",
    "binary_hessp",
    "csr_binary_hessian",
    "csr_binary_hessp",
    "csr_multinomial_hessian",
    "csr_multinomial_hessp",
    "hessian_groups",
    "multinomial_hessian",
    "multinomial_hessian_zeros",
    "multinomial_hessp",
]

# --- serial or parallel: one loop over a pass's tasks --------------------------------
# Every pass here is a set of tasks that each sum into their own output: a block
# of rows into its partial row (Hessian-vector products) or a group of blocks
# into its group's matrices (Hessians), in a fixed order. _run loops over the
# tasks with range or prange, and the outputs are added in task order after it,
# so both loops give the same bits for any thread count
# (tests/test_kernels_newton.py::test_bitwise_across_threads). A pass's
# arguments travel as one named tuple whose class names its task function
# (_TASKS): each pass compiles its own serial and prange loop, only when run.


def _task(args, k):
    """Task ``k`` of the pass whose arguments are ``args``."""
    raise NotImplementedError("compiled only, through the overload below")


@overload(_task, jit_options=JIT)
def _task_for(args, k):
    task = _TASKS[args.instance_class]
    return lambda args, k: task(args, k)


@njit(**JIT)
def _tasks_serial(args, n_tasks):
    for k in range(n_tasks):
        _task(args, k)


@njit(parallel=True, **JIT)
def _tasks_parallel(args, n_tasks):
    for k in prange(n_tasks):
        _task(args, k)


def _run(args: tuple, n_tasks: int, parallel: bool) -> None:
    """Run tasks ``0 .. n_tasks-1`` of the pass of ``args``: the ``prange``
    loop if ``parallel`` (same bits)."""
    (_tasks_parallel if parallel else _tasks_serial)(args, n_tasks)


@njit(**JIT)
def _own(outs, k):
    """Task ``k``'s output ``outs[k]``, zeroed."""
    out = outs[k]
    out[:] = 0.0
    return out


# --- Hessian-vector products, dense --------------------------------------------------


@njit(**JIT)
def _is_f(X):
    return X.flags.f_contiguous and not X.flags.c_contiguous


def _blocks(X) -> int:
    """Blocks of :func:`.layout.block_rows` (C-sized for both layouts, as the
    softmax passes) in dense ``X``: the Hessian-vector passes' partial rows."""
    return -(-X.shape[0] // block_rows(X.shape[1], X.itemsize))


@njit(**JIT)
def _block(X, k, partials):
    """Rows ``lo:hi`` of block ``k`` of dense ``X`` and its zeroed partial row."""
    rows = block_rows(X.shape[1], X.itemsize)
    return k * rows, min(X.shape[0], (k + 1) * rows), _own(partials, k)


@njit(inline="always", **JIT)
def _binary_curvature(z, u, s, m):
    """``z[t] <- s_t sigmoid'(z_t) u_t`` in place, returning the sum.

    ``sigmoid'(z) = e / (1 + e)^2`` with ``e = exp(-|z|)`` in (0, 1]: finite
    for any finite logit, and the loop (no calls, selects only) vectorises.
    """
    total = 0.0
    for t in range(m):
        e = exp_nonpos(-abs(z[t]))
        q = 1.0 / (1.0 + e)
        r = s[t] * (e * q * q) * u[t]
        z[t] = r
        total += r
    return total


@njit(**JIT)
def _binary_hessp_block(args, k):
    X, sw, wv, bc, partials = args
    lo, hi, acc = _block(X, k, partials)
    d = X.shape[1]
    m = hi - lo
    if _is_f(X):  # column sweeps over a cached block, as the softmax passes
        zu = np.empty((2, m))  # the logits z and the directions' x.v + c
        logits_f(X, lo, hi, wv, bc, zu)
        acc[d] += _binary_curvature(zu[0], zu[1], sw[lo:hi], m)
        gradient_f(X, lo, hi, zu[:1], acc.reshape((1, acc.shape[0])), 1)
        return
    z = np.empty(m)
    u = np.empty(m)
    Xb = X[lo:hi]
    w = wv[0]
    v = wv[1]
    b = bc[0]
    c = bc[1]
    for t in range(m):  # both dot products from one read of the row
        row = Xb[t]
        p = 0.0
        q = 0.0
        for j in range(d):
            x = row[j]
            p += x * w[j]
            q += x * v[j]
        z[t] = p + b
        u[t] = q + c
    acc[d] += _binary_curvature(z, u, sw[lo:hi], m)
    gradient_sweep(X, Xb, z, acc, 0, 0)


_BinaryHessp = namedtuple("_BinaryHessp", "X sw wv bc partials")


def binary_hessp(X, sw, w, b, v, c, parallel, total):
    """Add ``sum_i s_i sigmoid'(z_i) (x_i.v + c) [x_i, 1]`` into ``total`` (d+1).

    One read of dense ``X``: ``z_i = x_i.w + b`` and ``x_i.v`` in the same row
    loop. ``parallel`` picks the ``prange`` pass (same bits).
    """
    partials = np.empty((_blocks(X), X.shape[1] + 1))
    wv = np.stack((w, v)).astype(np.float64, copy=False)  # (2, d): the F sweep's models
    _run(_BinaryHessp(X, sw, wv, np.array([float(b), float(c)]), partials),
         partials.shape[0], parallel)
    add_rows(partials, total)


@njit(inline="always", **JIT)
def _softmax_columns(Z, m, mx, tot):
    """Overwrite logits ``Z`` (K, >= m) with softmax probabilities, column by
    column (one column a row), in loops over rows that vectorise
    (``exp_nonpos`` of arguments <= 0, as :func:`.layout.softmax_residuals`)."""
    K = Z.shape[0]
    Z0 = Z[0]
    for t in range(m):
        mx[t] = Z0[t]
    for k in range(1, K):
        Zk = Z[k]
        for t in range(m):
            mx[t] = max(mx[t], Zk[t])
    for t in range(m):
        tot[t] = 0.0
    for k in range(K):
        Zk = Z[k]
        for t in range(m):
            e = exp_nonpos(Zk[t] - mx[t])
            Zk[t] = e
            tot[t] += e
    for t in range(m):
        tot[t] = 1.0 / tot[t]  # the sum is >= 1
    for k in range(K):
        Zk = Z[k]
        for t in range(m):
            Zk[t] *= tot[t]


@njit(**JIT)
def _multinomial_hessp_block(args, k):
    X, sw, W, b, V, c, partials = args
    lo, hi, acc = _block(X, k, partials)
    K, d = W.shape
    m = hi - lo
    Z = np.empty((K, m))
    U = np.empty((K, m))
    if _is_f(X):  # the block stays in cache for the second sweep and the gradient
        logits_f(X, lo, hi, W, b, Z)
        logits_f(X, lo, hi, V, c, U)
    else:
        Xb = X[lo:hi]
        for t in range(m):
            row = Xb[t]
            for k in range(K):
                p = b[k]
                q = c[k]
                for j in range(d):
                    x = row[j]
                    p += x * W[k, j]
                    q += x * V[k, j]
                Z[k, t] = p
                U[k, t] = q
    mx = np.empty(m)
    pu = np.empty(m)
    _softmax_columns(Z, m, mx, pu)
    s = sw[lo:hi]
    for t in range(m):
        pu[t] = 0.0
    for k in range(K):
        Zk = Z[k]
        Uk = U[k]
        for t in range(m):
            pu[t] += Zk[t] * Uk[t]
    for k in range(K):
        Zk = Z[k]
        Uk = U[k]
        g = 0.0
        for t in range(m):
            r = s[t] * Zk[t] * (Uk[t] - pu[t])
            Zk[t] = r
            g += r
        acc[K * d + k] += g
    if _is_f(X):
        gradient_f(X, lo, hi, Z, acc.reshape((1, acc.shape[0])), K)
    else:
        Xb = X[lo:hi]
        for k in range(K):
            gradient_sweep(X, Xb, Z[k], acc[k * d:(k + 1) * d], 0, 0)


_MultinomialHessp = namedtuple("_MultinomialHessp", "X sw W b V c partials")


def multinomial_hessp(X, sw, W, b, V, c, parallel, total):
    """Add the softmax Hessian times ``(V, c)`` at ``(W, b)`` into ``total``
    (``K*d + K``: class-major weights, then intercepts); one read of ``X``."""
    K, d = W.shape
    partials = np.empty((_blocks(X), K * d + K))
    _run(_MultinomialHessp(X, sw, W, b, V, c, partials), partials.shape[0], parallel)
    add_rows(partials, total)


# --- Hessian-vector products, CSR ----------------------------------------------------


@njit(**JIT)
def _csr_binary_hessp_block(args, k):
    data, indices, indptr, sw, w, b, v, c, bounds, partials = args
    lo, hi, acc = bounds[k], bounds[k + 1], _own(partials, k)
    d = w.shape[0]
    for i in range(lo, hi):
        start = indptr[i]
        end = indptr[i + 1]
        z = csr_dot(data, indices, start, end, w) + b
        u = csr_dot(data, indices, start, end, v) + c
        e = exp(-abs(z))
        q = 1.0 / (1.0 + e)
        r = sw[i] * (e * q * q) * u
        acc[d] += r
        csr_scatter(data, indices, start, end, r, acc, 0)


_CsrBinaryHessp = namedtuple("_CsrBinaryHessp",
                             "data indices indptr sw w b v c bounds partials")


def csr_binary_hessp(data, indices, indptr, sw, w, b, v, c, parallel, total):
    """:func:`binary_hessp` over CSR ``X`` given as its three arrays."""
    bounds = block_bounds(indptr, total.shape[0])
    partials = np.empty((bounds.shape[0] - 1, total.shape[0]))
    args = _CsrBinaryHessp(data, indices, indptr, sw, w, float(b), v, float(c), bounds,
                           partials)
    _run(args, partials.shape[0], parallel)
    add_rows(partials, total)


@njit(**JIT)
def _csr_multinomial_hessp_block(args, k):
    data, indices, indptr, sw, W, b, V, c, bounds, partials = args
    lo, hi, acc = bounds[k], bounds[k + 1], _own(partials, k)
    K, d = W.shape
    p = np.empty(K)
    u = np.empty(K)
    for i in range(lo, hi):
        start = indptr[i]
        end = indptr[i + 1]
        top = -np.inf
        for k in range(K):
            p[k] = csr_dot(data, indices, start, end, W[k]) + b[k]
            u[k] = csr_dot(data, indices, start, end, V[k]) + c[k]
            top = max(top, p[k])
        tot = 0.0
        for k in range(K):
            p[k] = exp(p[k] - top)
            tot += p[k]
        pu = 0.0
        for k in range(K):
            p[k] /= tot
            pu += p[k] * u[k]
        s = sw[i]
        for k in range(K):
            r = s * p[k] * (u[k] - pu)
            acc[K * d + k] += r
            csr_scatter(data, indices, start, end, r, acc, k * d)


_CsrMultinomialHessp = namedtuple("_CsrMultinomialHessp",
                                  "data indices indptr sw W b V c bounds partials")


def csr_multinomial_hessp(data, indices, indptr, sw, W, b, V, c, parallel, total):
    """:func:`multinomial_hessp` over CSR ``X`` given as its three arrays."""
    bounds = block_bounds(indptr, total.shape[0])
    partials = np.empty((bounds.shape[0] - 1, total.shape[0]))
    _run(_CsrMultinomialHessp(data, indices, indptr, sw, W, b, V, c, bounds, partials),
         partials.shape[0], parallel)
    add_rows(partials, total)


# --- gradient and Hessian, dense --------------------------------------------------------
# A block of rows is copied, transposed and in float64, to a scratch T (dp, m)
# with T[j, t] = x~_tj (column d all ones, columns past it zero up to dp, a
# multiple of TILE): the logits, the residuals and the gradient are then loops
# over t that vectorise for either layout of X, and the Hessian is a sum of
# TILE x TILE tiles sum_t A[j, t] T[k, t] with A = h * T, each a loop over t
# with TILE * TILE vector accumulators (8 vector loads for 16 FMAs, the tile's
# operands in L1). Only tiles on or above the diagonal are computed; the lower
# triangle is copied at the end.

TILE = 4
# Rows of a Hessian block: T and A (2 x dp x m x 8 bytes) stay in a core's
# L2 and one tile's 8 rows of m in L1. Each tile ends in 16 horizontal sums, so
# longer rows of T pay until they leave L2: the size sits between the two
# (asv_bench/benchmarks/bench_newton.py times the Hessian passes).
HESSIAN_BLOCK_BYTES = 512 * 1024
# Groups of blocks, each summed into its own matrix: at most this many, and
# at most HESSIAN_GROUP_DOUBLES doubles of group matrices in all, but two
# groups however wide the matrices (two cores work on them).
MAX_GROUPS = 32
HESSIAN_GROUP_DOUBLES = 1 << 22


@njit(**JIT)
def _padded(d):
    return (d + 1 + TILE - 1) // TILE * TILE


@njit(**JIT)
def hessian_block_rows(d):
    """Rows per block of the Hessian passes for ``d`` features."""
    return min(1024, max(64, HESSIAN_BLOCK_BYTES // (16 * _padded(d))))


@njit(**JIT)
def hessian_groups(n, d, n_matrices):
    """Groups of a Hessian pass over ``n`` rows (from the shape only)."""
    rows = hessian_block_rows(d)
    nb = (n + rows - 1) // rows
    dp = _padded(d)
    cap = max(2, HESSIAN_GROUP_DOUBLES // (n_matrices * dp * dp))
    return max(1, min(nb, MAX_GROUPS, cap))


@njit(**JIT)
def _group_blocks(X, g, G):
    """Blocks ``first:stop`` of group ``g`` of ``G`` in a dense Hessian pass
    over ``X``, the rows per block, and the group's scratch ``T`` and ``A``."""
    n, d = X.shape
    rows = hessian_block_rows(d)
    nb = (n + rows - 1) // rows
    dp = _padded(d)
    return g * nb // G, (g + 1) * nb // G, rows, np.empty((dp, rows)), np.empty((dp, rows))


@njit(inline="always", **JIT)
def _tiles(A, T, m, H, lower):
    """``H[j, k] += sum_t A[j, t] T[k, t]`` for the TILE x TILE tiles with
    ``k >= j`` (all tiles if ``lower``)."""
    dp = T.shape[0]
    for j in range(0, dp, TILE):
        a0, a1, a2, a3 = A[j], A[j + 1], A[j + 2], A[j + 3]
        for k in range(0 if lower else j, dp, TILE):
            x0, x1, x2, x3 = T[k], T[k + 1], T[k + 2], T[k + 3]
            s00 = s01 = s02 = s03 = 0.0
            s10 = s11 = s12 = s13 = 0.0
            s20 = s21 = s22 = s23 = 0.0
            s30 = s31 = s32 = s33 = 0.0
            for t in range(m):
                p0, p1, p2, p3 = a0[t], a1[t], a2[t], a3[t]
                q0, q1, q2, q3 = x0[t], x1[t], x2[t], x3[t]
                s00 += p0 * q0
                s01 += p0 * q1
                s02 += p0 * q2
                s03 += p0 * q3
                s10 += p1 * q0
                s11 += p1 * q1
                s12 += p1 * q2
                s13 += p1 * q3
                s20 += p2 * q0
                s21 += p2 * q1
                s22 += p2 * q2
                s23 += p2 * q3
                s30 += p3 * q0
                s31 += p3 * q1
                s32 += p3 * q2
                s33 += p3 * q3
            H[j, k] += s00
            H[j, k + 1] += s01
            H[j, k + 2] += s02
            H[j, k + 3] += s03
            H[j + 1, k] += s10
            H[j + 1, k + 1] += s11
            H[j + 1, k + 2] += s12
            H[j + 1, k + 3] += s13
            H[j + 2, k] += s20
            H[j + 2, k + 1] += s21
            H[j + 2, k + 2] += s22
            H[j + 2, k + 3] += s23
            H[j + 3, k] += s30
            H[j + 3, k + 1] += s31
            H[j + 3, k + 2] += s32
            H[j + 3, k + 3] += s33


@njit(**JIT)
def _transpose_block(X, lo, hi, T):
    """``T[j, t] = X[lo + t, j]`` in float64, ``T[d, t] = 1``, zeros below."""
    d = X.shape[1]
    m = hi - lo
    dp = T.shape[0]
    if _is_f(X):
        for j in range(d):
            col = X[lo:hi, j]
            Tj = T[j]
            for t in range(m):
                Tj[t] = col[t]
    else:
        Xb = X[lo:hi]
        for t in range(m):
            row = Xb[t]
            for j in range(d):
                T[j, t] = row[j]
    for t in range(m):
        T[d, t] = 1.0
    for j in range(d + 1, dp):
        for t in range(m):
            T[j, t] = 0.0


@njit(**JIT)
def _block_logits(T, w, b, m, z):
    """``z[t] = b + sum_j T[j, t] w[j]`` for the ``m`` rows of a transposed block."""
    for t in range(m):
        z[t] = b
    for j in range(w.shape[0]):
        Tj = T[j]
        wj = w[j]
        for t in range(m):
            z[t] += Tj[t] * wj


@njit(**JIT)
def _binary_hessian_rows(X, y, sw, w, b, lo, hi, T, A, z, h, acc, H):
    d = X.shape[1]
    m = hi - lo
    _transpose_block(X, lo, hi, T)
    _block_logits(T, w, b, m, z)
    s = sw[lo:hi]
    flat = 0.0
    for t in range(m):  # the curvature, before residuals overwrites the logits
        e = exp_nonpos(-abs(z[t]))
        q = 1.0 / (1.0 + e)
        curv = e * q * q
        h[t] = s[t] * curv
        flat += s[t] if curv <= 0.0 else 0.0
    acc[d + 1 + FLAT] += flat
    # the residuals, the intercept's gradient and the partial row's tail
    residuals(z, y[lo:hi], s, m, True, acc, d, np.inf)
    for j in range(d):
        Tj = T[j]
        g = 0.0
        for t in range(m):
            g += z[t] * Tj[t]
        acc[j] += g
    for j in range(T.shape[0]):
        Tj = T[j]
        Aj = A[j]
        for t in range(m):
            Aj[t] = h[t] * Tj[t]
    _tiles(A, T, m, H, False)


@njit(**JIT)
def _binary_hessian_group(args, g):
    X, y, sw, w, b, accs, Hs = args
    first, stop, rows, T, A = _group_blocks(X, g, accs.shape[0])
    acc, H = _own(accs, g), _own(Hs, g)
    z = np.empty(rows)
    h = np.empty(rows)
    for blk in range(first, stop):
        lo = blk * rows
        _binary_hessian_rows(X, y, sw, w, b, lo, min(X.shape[0], lo + rows), T, A, z, h,
                             acc, H)


@njit(**JIT)
def _add_upper(Hs, n_dof, H):
    """``H += sum_g Hs[g]`` (group order) on and above the diagonal of the
    leading ``n_dof`` block, mirrored below."""
    for g in range(Hs.shape[0]):
        for j in range(n_dof):
            for k in range(j, n_dof):
                H[j, k] += Hs[g, j, k]
    for j in range(n_dof):
        for k in range(j + 1, n_dof):
            H[k, j] = H[j, k]


_BinaryHessian = namedtuple("_BinaryHessian", "X y sw w b accs Hs")


def binary_hessian(X, y, sw, w, b, parallel, total, H):
    """One read of dense ``X``: add the gradient sums into ``total``
    (``layout.binary_width(d) + 1``: a binary partial row, then at ``FLAT``
    after its tail the weight of rows whose ``sigmoid'`` is 0) and the
    Hessian sums ``sum_i s_i sigmoid'(z_i) x~_i x~_i^T`` into ``H`` ((d+1,
    d+1), symmetric; the intercept last)."""
    n, d = X.shape
    G = hessian_groups(n, d, 1)
    dp = _padded(d)
    accs = np.empty((G, binary_width(d) + 1))
    Hs = np.empty((G, dp, dp))
    _run(_BinaryHessian(X, y, sw, w, float(b), accs, Hs), G, parallel)
    add_rows(accs, total)
    _add_upper(Hs, d + 1, H)


@njit(**JIT)
def _multinomial_hessian_rows(X, y, sw, W, b, lo, hi, T, A, Z, mx, tot, h, acc, Hk):
    K, d = W.shape
    m = hi - lo
    _transpose_block(X, lo, hi, T)
    for k in range(K):
        _block_logits(T, W[k], b[k], m, Z[k])
    yb = y[lo:hi]
    s = sw[lo:hi]
    # the loss, hits and weight, as layout.softmax_residuals: from the logits
    loss = 0.0
    hits = 0.0
    wsum = 0.0
    for t in range(m):
        top = 0
        for k in range(1, K):
            if Z[k, t] > Z[top, t]:
                top = k
        mxt = Z[top, t]
        tt = 0.0
        for k in range(K):
            tt += exp(Z[k, t] - mxt)
        yi = int(yb[t])
        loss += s[t] * (np.log(tt) + mxt - Z[yi, t])
        hits += s[t] if top == yi else 0.0
        wsum += s[t]
    tail = K * d + K
    acc[tail + LOSS] += loss
    acc[tail + HITS] += hits
    acc[tail + WEIGHT] += wsum
    _softmax_columns(Z, m, mx, tot)
    for k in range(K):
        Zk = Z[k]
        for t in range(m):
            h[t] = s[t] * (Zk[t] - (1.0 if yb[t] == k else 0.0))
        for j in range(d + 1):
            Tj = T[j]
            g = 0.0
            for t in range(m):
                g += h[t] * Tj[t]
            if j < d:
                acc[k * d + j] += g
            else:
                acc[K * d + k] += g
    for k in range(K):
        Zk = Z[k]
        for q in range(k, K):
            Zq = Z[q]
            if q == k:
                for t in range(m):
                    h[t] = s[t] * Zk[t] * (1.0 - Zk[t])
            else:
                for t in range(m):
                    h[t] = -s[t] * Zk[t] * Zq[t]
            for j in range(T.shape[0]):
                Tj = T[j]
                Aj = A[j]
                for t in range(m):
                    Aj[t] = h[t] * Tj[t]
            _tiles(A, T, m, Hk[k, q], q != k)


@njit(**JIT)
def _multinomial_hessian_group(args, g):
    X, y, sw, W, b, accs, Hs = args
    first, stop, rows, T, A = _group_blocks(X, g, accs.shape[0])
    acc, Hk = _own(accs, g), _own(Hs, g)
    Z = np.empty((W.shape[0], rows))
    mx = np.empty(rows)
    tot = np.empty(rows)
    h = np.empty(rows)
    for blk in range(first, stop):
        lo = blk * rows
        _multinomial_hessian_rows(X, y, sw, W, b, lo, min(X.shape[0], lo + rows), T, A, Z,
                                  mx, tot, h, acc, Hk)


@njit(inline="always", **JIT)
def _theta_index(k, j, K, d):
    """Position of class ``k``'s coefficient ``j`` (``j = d``: its intercept) in
    ``theta = [W.ravel(), b]``."""
    return k * d + j if j < d else K * d + k


@njit(**JIT)
def _add_class_blocks(Hs, d, H):
    """Add the groups' class blocks (group order) into ``H`` laid out as
    ``theta``: blocks ``q >= k`` (upper triangle only for ``q == k``) are
    summed, then mirrored."""
    K = Hs.shape[1]
    for g in range(Hs.shape[0]):
        for k in range(K):
            for q in range(k, K):
                for i in range(d + 1):
                    for j in range(i if q == k else 0, d + 1):
                        H[_theta_index(k, i, K, d), _theta_index(q, j, K, d)] += \
                            Hs[g, k, q, i, j]
    for k in range(K):
        for q in range(k, K):
            for i in range(d + 1):
                for j in range(i + 1 if q == k else 0, d + 1):
                    H[_theta_index(q, j, K, d), _theta_index(k, i, K, d)] = \
                        H[_theta_index(k, i, K, d), _theta_index(q, j, K, d)]


_MultinomialHessian = namedtuple("_MultinomialHessian", "X y sw W b accs Hs")


def multinomial_hessian(X, y, sw, W, b, parallel, total, H):
    """One read of dense ``X``: add the softmax gradient sums into ``total``
    (``layout.multinomial_width(K, d)``, a multinomial partial row) and the Hessian
    sums into ``H`` (``K*(d+1)`` square, laid out as ``theta = [W.ravel(), b]``):
    its class block ``(k, l)`` is ``sum_i s_i (p_ik d_kl - p_ik p_il) x~_i x~_i^T``."""
    n, d = X.shape
    K = W.shape[0]
    G = hessian_groups(n, d, K * K)
    dp = _padded(d)
    accs = np.empty((G, multinomial_width(K, d)))
    Hs = np.empty((G, K, K, dp, dp))
    _run(_MultinomialHessian(X, y, sw, W, b, accs, Hs), G, parallel)
    add_rows(accs, total)
    _add_class_blocks(Hs, d, H)


# --- gradient and Hessian, CSR (binary) ----------------------------------------------


@njit(**JIT)
def _csr_outer(data, indices, indptr, lo, hi, h, H, d):
    """``H += sum_i h[i - lo] x~_i x~_i^T`` over the CSR rows ``lo:hi`` (``x~ =
    [x, 1]``, its 1 at ``d``): each row's block, column ``d`` and row ``d``.
    Called once a group (binary) or a row (softmax): a call per row costs the
    binary pass, whose rows do little else (bench_newton.py's SparsePasses)."""
    for i in range(lo, hi):
        hw = h[i - lo]
        start = indptr[i]
        end = indptr[i + 1]
        H[d, d] += hw
        for a in range(start, end):
            ja = indices[a]
            xa = hw * data[a]
            H[ja, d] += xa
            H[d, ja] += xa
            for c in range(start, end):
                H[ja, indices[c]] += xa * data[c]


@njit(**JIT)
def _csr_group(bounds, g, accs, Hs):
    """Rows ``lo:hi`` of group ``g`` of a CSR Hessian pass (its blocks, one
    after the other) and the group's zeroed outputs."""
    G = accs.shape[0]
    nb = bounds.shape[0] - 1
    return bounds[g * nb // G], bounds[(g + 1) * nb // G], _own(accs, g), _own(Hs, g)


@njit(**JIT)
def _csr_binary_hessian_group(args, g):
    data, indices, indptr, y, sw, w, b, bounds, accs, Hs = args
    lo, hi, acc, H = _csr_group(bounds, g, accs, Hs)
    d = w.shape[0]
    hw = np.empty(hi - lo)  # the rows' curvature weights, for _csr_outer
    for i in range(lo, hi):
        start = indptr[i]
        end = indptr[i + 1]
        z = csr_dot(data, indices, start, end, w) + b
        e = exp(-abs(z))
        q = 1.0 / (1.0 + e)
        p = q if z >= 0.0 else e * q
        curv = e * q * q
        s = sw[i]
        r = s * (p - y[i])
        hs = s * curv
        acc[d] += r
        csr_scatter(data, indices, start, end, r, acc, 0)
        lin = (1.0 - y[i]) * z if z > 0.0 else -y[i] * z
        tail = d + 1
        acc[tail + LOSS] += s * (log1p_unit(e) + lin)
        acc[tail + HITS] += s if (p > 0.5) == (y[i] == 1.0) else 0.0
        acc[tail + WEIGHT] += s
        acc[tail + PROBE] += 0.0 * z
        acc[tail + FLAT] += s if curv <= 0.0 else 0.0
        hw[i - lo] = hs
    _csr_outer(data, indices, indptr, lo, hi, hw, H, d)


_CsrBinaryHessian = namedtuple("_CsrBinaryHessian",
                               "data indices indptr y sw w b bounds accs Hs")


@njit(**JIT)
def _add_matrices(Hs, H):
    """``H += Hs[0] + Hs[1] + ...`` in group order: the CSR binary groups'
    matrices, whole (:func:`_csr_outer` fills row ``d`` too)."""
    add_rows(Hs.reshape((Hs.shape[0], H.size)), H.reshape(H.size))


def csr_binary_hessian(data, indices, indptr, y, sw, w, b, parallel, total, H):
    """:func:`binary_hessian` over CSR ``X`` given as its three arrays
    (O(nnz per row^2) a row, into dense (d+1, d+1) group matrices)."""
    d = w.shape[0]
    n = indptr.shape[0] - 1
    bounds = block_bounds(indptr, binary_width(d) + 1)
    G = hessian_groups(n, d, 1)
    G = max(1, min(G, bounds.shape[0] - 1))
    accs = np.empty((G, binary_width(d) + 1))
    Hs = np.empty((G, d + 1, d + 1))
    _run(_CsrBinaryHessian(data, indices, indptr, y, sw, w, float(b), bounds, accs, Hs),
         G, parallel)
    add_rows(accs, total)
    _add_matrices(Hs, H)


def binary_hessian_zeros(d: int) -> tuple[np.ndarray, np.ndarray]:
    """Zeroed ``(total, H)`` for :func:`binary_hessian` / :func:`csr_binary_hessian`."""
    return np.zeros(binary_width(d) + 1), np.zeros((d + 1, d + 1))


def multinomial_hessian_zeros(K: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Zeroed ``(total, H)`` for :func:`multinomial_hessian`."""
    n = K * (d + 1)
    return np.zeros(multinomial_width(K, d)), np.zeros((n, n))


# --- gradient and Hessian, CSR (softmax) ---------------------------------------------


@njit(**JIT)
def _csr_multinomial_hessian_group(args, g):
    data, indices, indptr, y, sw, W, b, bounds, accs, Hs = args
    lo, hi, acc, Hk = _csr_group(bounds, g, accs, Hs)
    K, d = W.shape
    p = np.empty(K)
    hq = np.empty(1)
    tail = K * d + K
    for i in range(lo, hi):
        start = indptr[i]
        end = indptr[i + 1]
        top = 0
        for k in range(K):
            p[k] = csr_dot(data, indices, start, end, W[k]) + b[k]
            if p[k] > p[top]:
                top = k
        mx = p[top]
        yi = int(y[i])
        zy = p[yi]
        tot = 0.0
        for k in range(K):
            p[k] = exp(p[k] - mx)
            tot += p[k]
        s = sw[i]
        acc[tail + LOSS] += s * (np.log(tot) + mx - zy)
        acc[tail + HITS] += s if top == yi else 0.0
        acc[tail + WEIGHT] += s
        for k in range(K):
            p[k] /= tot
            r = s * (p[k] - (1.0 if k == yi else 0.0))
            acc[K * d + k] += r
            csr_scatter(data, indices, start, end, r, acc, k * d)
        for k in range(K):
            for q in range(k, K):
                hq[0] = s * (p[k] * (1.0 if q == k else 0.0) - p[k] * p[q])
                _csr_outer(data, indices, indptr, i, i + 1, hq, Hk[k, q], d)


_CsrMultinomialHessian = namedtuple("_CsrMultinomialHessian",
                                    "data indices indptr y sw W b bounds accs Hs")


def csr_multinomial_hessian(data, indices, indptr, y, sw, W, b, parallel, total, H):
    """:func:`multinomial_hessian` over CSR ``X`` given as its three arrays
    (O(K^2 nnz per row^2) a row, into dense class blocks of each group)."""
    K, d = W.shape
    n = indptr.shape[0] - 1
    bounds = block_bounds(indptr, multinomial_width(K, d))
    G = max(1, min(hessian_groups(n, d, K * K), bounds.shape[0] - 1))
    accs = np.empty((G, multinomial_width(K, d)))
    Hs = np.empty((G, K, K, d + 1, d + 1))
    _run(_CsrMultinomialHessian(data, indices, indptr, y, sw, W, b, bounds, accs, Hs),
         G, parallel)
    add_rows(accs, total)
    _add_class_blocks(Hs, d, H)


# The task function of each pass, by the class of its arguments.
_TASKS = {
    _BinaryHessp: _binary_hessp_block,
    _MultinomialHessp: _multinomial_hessp_block,
    _CsrBinaryHessp: _csr_binary_hessp_block,
    _CsrMultinomialHessp: _csr_multinomial_hessp_block,
    _BinaryHessian: _binary_hessian_group,
    _MultinomialHessian: _multinomial_hessian_group,
    _CsrBinaryHessian: _csr_binary_hessian_group,
    _CsrMultinomialHessian: _csr_multinomial_hessian_group,
}

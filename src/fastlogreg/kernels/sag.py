"""SAG and SAGA epochs: one sampled row at a time, the whole run in compiled code.

The algorithm is scikit-learn's ``sag_solver`` (``sklearn/linear_model/
_sag_fast.pyx.tp``): rows drawn uniformly with replacement; each row keeps
its last gradient ``g_i = s_i dl_i/dz`` (one scalar for the binary model,
``K`` for the softmax one) in ``memory``; ``sum_grad`` holds
``G = sum_i g_i x_i`` and ``sum_grad_b`` the intercepts' ``sum_i g_i``; with
``m`` the number of distinct rows seen so far, a step at row ``i`` is::

    delta = g_i(W) - memory[i]
    SAG:  G += delta x_i;  W <- (1 - step alpha) W - step G / m
    SAGA: W <- prox_{step l1}((1 - step alpha) W - step (delta x_i + G / m));  G += delta x_i
    b   <- b - step decay Gb / m   (SAGA: also - step (1 - 1/m) delta)

``alpha`` and ``l1`` are scikit-learn's ``alpha_scaled``/``beta_scaled``
(divided by n); :func:`fastlogreg.reference.sag_epoch` is the same step
written eagerly in NumPy, and the tests compare both layouts with it row for
row.

Weights are ``W`` (K, d) float64 (K = 1: the binary, sigmoid model; K >= 2:
softmax), the layout of the problems' ``theta``, updated in place.

Dense rows: every weight moves at every step, so the step is one fused sweep
per class that updates ``G`` and ``W`` and, in the same loop, forms the next
sampled row's logit from the new weights (that row is known: each epoch's
rows are drawn up front). Random rows come from memory: a few draws ahead,
each row's label, weight and gradient memory (and its C-ordered or CSR row)
are prefetched.

CSR rows: a step touches only the row's nonzero features, as scikit-learn
does: the L2 shrink is a scalar ``wscale`` and the average-gradient steps are
kept as cumulative sums, applied to a feature "just in time" when a row next
reads it (``hist[j]``: the first step not yet applied), and to every feature
at the end of each epoch. SAGA's soft-thresholding is applied lazily too.

Each call runs up to ``n_epochs`` epochs and stops early when scikit-learn's
rule holds after an epoch: ``max|W - W_prev| <= tol max|W|`` (weights only).
"""

import numpy as np
from numba import njit

from ._math import JIT, sigmoid_and_loss
from ._prefetch import hint_l1
from .layout import softmax_inplace

# Rows whose data and state are prefetched ahead of the one being stepped.
_AHEAD = 8
# scikit-learn rescales the lazy weights when wscale falls below this.
_MIN_WSCALE = 1e-9
# scikit-learn's factor on the intercept's steps for sparse X
# (sklearn.linear_model._base.SPARSE_INTERCEPT_DECAY), against its oscillation.
SPARSE_INTERCEPT_DECAY = 0.01


@njit(**JIT)
def draw_rows(rng_state, n, rows):
    """Fill ``rows`` with uniform draws from ``0..n-1`` (splitmix64 on
    ``rng_state[0]``, a uint64 advanced in place): the kernels' sampler,
    exposed so that tests replay the same rows through the oracle."""
    s = rng_state[0]
    golden = np.uint64(0x9E3779B97F4A7C15)
    m1 = np.uint64(0xBF58476D1CE4E5B9)
    m2 = np.uint64(0x94D049BB133111EB)
    nn = np.uint64(n)
    small = n < (1 << 32)
    for t in range(rows.shape[0]):
        s = s + golden
        z = s
        z = (z ^ (z >> np.uint64(30))) * m1
        z = (z ^ (z >> np.uint64(27))) * m2
        z = z ^ (z >> np.uint64(31))
        if small:  # Lemire's multiply-shift: the top 32 bits scaled to [0, n)
            rows[t] = np.int64(((z >> np.uint64(32)) * nn) >> np.uint64(32))
        else:
            rows[t] = np.int64(z % nn)
    rng_state[0] = s


@njit(inline="always", **JIT)
def _soft(v, t):
    return max(v - t, 0.0) - max(-v - t, 0.0)


@njit(inline="always", **JIT)
def _check(W, b, prev, tol):
    """After an epoch: 1 if scikit-learn's stopping rule holds, -1 if a weight
    is not finite, else 0; ``prev`` takes ``W``."""
    K, d = W.shape
    max_w = 0.0
    max_change = 0.0
    finite = True
    for k in range(K):
        finite = finite and np.isfinite(b[k])
        for j in range(d):
            v = W[k, j]
            finite = finite and np.isfinite(v)
            max_w = max(max_w, abs(v))
            max_change = max(max_change, abs(v - prev[k, j]))
            prev[k, j] = v
    if not finite:
        return -1
    if (max_w != 0.0 and max_change / max_w <= tol) or (max_w == 0.0 and max_change == 0.0):
        return 1
    return 0


@njit(inline="always", **JIT)
def _hint_row_state(y, sw, memory, seen, r, K):
    """Prefetch row ``r``'s label, weight, memory and seen flag: random rows
    miss the cache in these arrays as in ``X`` (``asv_bench/benchmarks/
    bench_sag.py`` times the epochs)."""
    hint_l1(y, r, r + 1)
    hint_l1(sw, r, r + 1)
    hint_l1(memory, r * K, r * K + K)
    hint_l1(seen, r, r + 1)


# The per-row steps that dense and CSR rows share. A step's logits buffer ``z``
# then holds its gradient ``g``: one scratch array the fewer in the row loop.
# Inlined helpers that take arrays may leave (atomic) reference-count updates
# in the row loop; these leave none that the epochs' timings show
# (asv_bench/benchmarks/bench_sag.py), unlike a catch-up helper (see csr_epochs).


@njit(inline="always", **JIT)
def _softmax_gradient(z, yi, si):
    """Overwrite the row's logits ``z`` with ``s_i dl_i/dz`` of the softmax loss."""
    softmax_inplace(z, int(yi))
    for k in range(z.shape[0]):
        z[k] *= si
    z[int(yi)] -= si


@njit(inline="always", **JIT)
def _remember(g, memory, i, delta):
    """``delta <- g - memory[i]``, ``memory[i] <- g``."""
    for k in range(g.shape[0]):
        delta[k] = g[k] - memory[i, k]
        memory[i, k] = g[k]


@njit(inline="always", **JIT)
def _intercept_step(b, sum_grad_b, delta, step_b, step, inv_m, saga):
    """The intercepts' step (``step_b``: ``step`` times the intercept decay)."""
    for k in range(b.shape[0]):
        sum_grad_b[k] += delta[k]
        b[k] -= step_b * sum_grad_b[k] * inv_m
        if saga:
            b[k] -= step * (1.0 - inv_m) * delta[k]


@njit(**JIT)
def dense_epochs(X, y, sw, W, b, memory, sum_grad, sum_grad_b, seen, counters, rng_state,
                 step, alpha, l1, saga, fit_intercept, n_epochs, tol):
    """Up to ``n_epochs`` SAG/SAGA epochs over dense ``X`` (C or F, float32 or
    float64, read in place), all state updated in place.

    ``memory`` (n, K), ``sum_grad`` (K, d), ``sum_grad_b`` (K,), ``seen`` (n,)
    uint8 and ``counters[0]`` (rows seen) carry the run from call to call.
    Returns ``(epochs run, status)``: status 1 when the stopping rule held,
    -1 when a weight stopped being finite, else 0.
    """
    n, d = X.shape
    K = W.shape[0]
    rows = np.empty(n, np.int64)
    prev = W.copy()
    z = np.empty(K)
    delta = np.empty(K)
    c = 1.0 - step * alpha
    shrink = step * l1 if saga else 0.0
    c_order = X.flags.c_contiguous
    num_seen = counters[0]
    status = 0
    ran = 0
    while status == 0 and ran < n_epochs:
        draw_rows(rng_state, n, rows)
        i = rows[0]
        for k in range(K):
            acc = b[k]
            for j in range(d):
                acc += W[k, j] * X[i, j]
            z[k] = acc
        for t in range(n):
            i = rows[t]
            if t + _AHEAD < n:
                r = rows[t + _AHEAD]
                _hint_row_state(y, sw, memory, seen, r, K)
                if c_order:
                    hint_l1(X, r * d, r * d + d)  # flat positions of a C-ordered row
                else:  # an F-ordered row is d elements n apart: one line each
                    for j in range(d):
                        hint_l1(X, r + j * n, r + j * n + 1)
            if K == 1:  # z <- g = s_i dl/dz
                p1, _ = sigmoid_and_loss(z[0], y[i])
                z[0] = sw[i] * (p1 - y[i])
            else:
                _softmax_gradient(z, y[i], sw[i])
            if not seen[i]:
                seen[i] = 1
                num_seen += 1
            inv_m = 1.0 / num_seen
            _remember(z, memory, i, delta)
            if fit_intercept:
                _intercept_step(b, sum_grad_b, delta, step, step, inv_m, saga)
            # the next row's logits come from the new weights, in the same sweep
            # (at the epoch's last row it reads a row it then discards)
            nxt = rows[t + 1] if t + 1 < n else i
            for k in range(K):
                dk = delta[k]
                acc = b[k]
                if not saga:
                    for j in range(d):
                        gj = sum_grad[k, j] + dk * X[i, j]
                        sum_grad[k, j] = gj
                        v = c * W[k, j] - step * gj * inv_m
                        W[k, j] = v
                        acc += v * X[nxt, j]
                elif shrink > 0.0:
                    for j in range(d):
                        xj = X[i, j]
                        gj = sum_grad[k, j]
                        v = _soft(c * W[k, j] - step * (dk * xj + gj * inv_m), shrink)
                        sum_grad[k, j] = gj + dk * xj
                        W[k, j] = v
                        acc += v * X[nxt, j]
                else:
                    for j in range(d):
                        xj = X[i, j]
                        gj = sum_grad[k, j]
                        v = c * W[k, j] - step * (dk * xj + gj * inv_m)
                        sum_grad[k, j] = gj + dk * xj
                        W[k, j] = v
                        acc += v * X[nxt, j]
                z[k] = acc
        ran += 1
        status = _check(W, b, prev, tol)
    counters[0] = num_seen
    return ran, status


@njit(**JIT)
def _replay(v, gk, cum, cum_prox, h, upto, last, last_p, bound_last):
    """Steps ``h .. upto-1`` of one weight whose gradient move outweighs the
    threshold at some step: gradient step, then soft-threshold, each step.

    When it does so at every step (``|G| >= bound_last = l1 m_last``, always
    once every row has been seen), each step moves ``v`` the same way,
    ``-sign(G)``: by ``|G| a_s + p_s`` while on the starting side of 0 and by
    ``|G| a_s - p_s`` past it, so one binary search over the cumulative sums
    finds the step that reaches 0 and two sums do the rest. Otherwise (while
    ``m`` still grows) the steps are replayed one by one.
    """
    if abs(gk) < bound_last:
        for s in range(h, upto):
            v = _soft(v - (cum[s] - last) * gk, cum_prox[s] - last_p)
            last = cum[s]
            last_p = cum_prox[s]
        return v
    sign = 1.0 if gk >= 0.0 else -1.0
    g = abs(gk)
    u = sign * v  # in these units every step moves u down
    # first step s whose own-side move reaches 0: u - (g A(s) + P(s)) <= 0
    lo, hi = h, upto
    while lo < hi:
        mid = (lo + hi) // 2
        if u - (g * (cum[mid] - last) + (cum_prox[mid] - last_p)) <= 0.0:
            hi = mid
        else:
            lo = mid + 1
    if lo == upto:  # stays on its side
        return sign * (u - g * (cum[upto - 1] - last) - (cum_prox[upto - 1] - last_p))
    before = cum[lo - 1] if lo > h else last
    before_p = cum_prox[lo - 1] if lo > h else last_p
    u = u - g * (before - last) - (before_p - last_p)  # the value before that step
    x = u - g * (cum[lo] - before)
    p = cum_prox[lo] - before_p
    u = 0.0 if x >= -p else x + p
    # past 0 (or from 0): each remaining step moves by g a_s - p_s >= 0 downwards
    u -= g * (cum[upto - 1] - cum[lo]) - (cum_prox[upto - 1] - cum_prox[lo])
    return sign * u


# Catching a feature up (csr_epochs' catch_up: its pending steps h .. upto-1
# applied to the unscaled weights): without L1 the pending steps add up to one
# step along the feature's unchanged G. With L1, gradient steps and soft-thresholds commute
# into one of each when every single gradient move is no larger than its
# threshold, |G| / m_s <= l1 for each pending s; m_s never decreases, so
# |G| <= l1 m_h decides (scikit-learn tests the summed steps, which is not
# exact while m still grows). Otherwise _replay applies them. The CSR tests of
# tests/test_kernels_sag.py compare it with the eager oracle step by step.
# catch_up and flush are closures of csr_epochs, which Numba inlines reading
# its arrays in place: a module-level helper taking the arrays as arguments
# keeps (atomic) reference-count updates in the row loop, several times a
# step's cost (asv_bench/benchmarks/bench_sag.py times it).


@njit(**JIT)
def csr_epochs(data, indices, indptr, y, sw, W, b, memory, sum_grad, sum_grad_b, seen,
               counters, rng_state, step, alpha, l1, saga, fit_intercept, intercept_decay,
               n_epochs, tol):
    """Up to ``n_epochs`` SAG/SAGA epochs over CSR rows, with lazy updates.

    Arguments and return as :func:`dense_epochs`, plus ``intercept_decay``
    (scikit-learn's 0.01 for sparse data). ``W`` holds the true weights on
    entry and on return: the lazy state (``wscale``, cumulative sums,
    ``hist``) lives within one call, flushed at every epoch's end.
    """
    n = indptr.shape[0] - 1
    K, d = W.shape
    rows = np.empty(n, np.int64)
    cum = np.zeros(n)
    cum_prox = np.zeros(n)
    seen_at = np.zeros(n, np.int64)
    hist = np.zeros(d, np.int64)
    prev = W.copy()
    z = np.empty(K)
    delta = np.empty(K)
    c = 1.0 - step * alpha
    step_b = step * intercept_decay
    prox = saga and l1 > 0.0
    num_seen = counters[0]
    wscale = 1.0
    status = 0
    ran = 0

    def catch_up(j, upto):
        # feature j's pending steps hist[j] .. upto-1 applied (see above)
        h = hist[j]
        if h < upto:
            base = cum[h - 1] if h > 0 else 0.0
            base_p = cum_prox[h - 1] if h > 0 else 0.0
            cs = cum[upto - 1] - base
            ps = cum_prox[upto - 1] - base_p
            bound = l1 * seen_at[h]
            for k in range(K):
                gk = sum_grad[k, j]
                if not prox:
                    W[k, j] -= cs * gk
                elif abs(gk) <= bound:
                    W[k, j] = _soft(W[k, j] - cs * gk, ps)
                else:
                    W[k, j] = _replay(W[k, j], gk, cum, cum_prox, h, upto, base, base_p,
                                      l1 * seen_at[upto - 1])

    def flush(upto, scale):
        # every feature up to step upto, scale folded into W (scikit-learn's
        # scale_weights); the lazy sums restart after upto
        for j in range(d):
            catch_up(j, upto)
            for k in range(K):
                W[k, j] *= scale
            hist[j] = upto % n
        cum[upto - 1] = 0.0
        cum_prox[upto - 1] = 0.0

    while status == 0 and ran < n_epochs:
        draw_rows(rng_state, n, rows)
        for t in range(n):
            i = rows[t]
            if t + _AHEAD < n:
                r = rows[t + _AHEAD]
                _hint_row_state(y, sw, memory, seen, r, K)
                hint_l1(indptr, r, r + 2)
            if t + _AHEAD // 2 < n:  # this row's indptr was hinted _AHEAD / 2 rows ago
                r = rows[t + _AHEAD // 2]
                hint_l1(indices, indptr[r], indptr[r + 1])
                hint_l1(data, indptr[r], indptr[r + 1])
            lo = indptr[i]
            hi = indptr[i + 1]
            if not seen[i]:
                seen[i] = 1
                num_seen += 1
            seen_at[t] = num_seen
            for p in range(lo, hi):
                j = indices[p]
                catch_up(j, t)
                hist[j] = t
            for k in range(K):
                acc = 0.0
                for p in range(lo, hi):
                    acc += W[k, indices[p]] * data[p]
                z[k] = wscale * acc + b[k]
            if K == 1:  # z <- g = s_i dl/dz
                p1, _ = sigmoid_and_loss(z[0], y[i])
                z[0] = sw[i] * (p1 - y[i])
            else:
                _softmax_gradient(z, y[i], sw[i])
            wscale *= c
            inv_m = 1.0 / num_seen
            step_w = step / wscale  # a step in the unscaled weights' units
            _remember(z, memory, i, delta)
            corr = step_w * (1.0 - inv_m)
            for p in range(lo, hi):
                j = indices[p]
                v = data[p]
                for k in range(K):
                    dv = v * delta[k]
                    if saga:
                        W[k, j] -= dv * corr
                    sum_grad[k, j] += dv
            if fit_intercept:
                _intercept_step(b, sum_grad_b, delta, step_b, step, inv_m, saga)
            before = cum[t - 1] if t > 0 else 0.0
            before_p = cum_prox[t - 1] if t > 0 else 0.0
            cum[t] = before + step_w * inv_m
            cum_prox[t] = before_p + step_w * l1
            if wscale < _MIN_WSCALE:
                flush(t + 1, wscale)
                wscale = 1.0
        flush(n, wscale)
        wscale = 1.0
        ran += 1
        status = _check(W, b, prev, tol)
    counters[0] = num_seen
    return ran, status


@njit(**JIT)
def max_sq_row_norm(X):
    """``max_i ||X[i]||^2`` of dense ``X``: scikit-learn's SAG step-size bound."""
    n, d = X.shape
    top = 0.0
    for i in range(n):
        acc = 0.0
        for j in range(d):
            acc += float(X[i, j]) * float(X[i, j])
        top = max(top, acc)
    return top


@njit(**JIT)
def csr_max_sq_row_norm(data, indptr):
    """``max_i ||X[i]||^2`` of CSR rows."""
    top = 0.0
    for i in range(indptr.shape[0] - 1):
        acc = 0.0
        for p in range(indptr[i], indptr[i + 1]):
            acc += float(data[p]) * float(data[p])
        top = max(top, acc)
    return top

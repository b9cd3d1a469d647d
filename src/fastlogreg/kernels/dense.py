"""Fused passes over dense ``X`` of shape (n_samples, n_features).

Every function is ``@njit`` over arrays and scalars only: no validation, no
Python objects, no allocation per row. ``X`` may be float32 or float64, C- or
F-contiguous, and is read in place; ``y`` and ``sample_weight`` are float64;
``w`` is float64 and everything accumulates in float64, so float32 data lose
nothing but their own rounding.

A pass's ``out`` (length ``n_features + 3``) and the sums it is made of are
laid out as :mod:`.layout` says: ``out[:d]`` dJ/dw, ``out[d]`` dJ/db, then
``out[d + 1 + LOSS]`` J (loss + L2 term) and ``out[d + 1 + HITS]`` the
weighted accuracy (sigmoid(z) > 0.5).

Determinism: the rows are cut into fixed blocks (:func:`.layout.block_rows`,
from ``n_features``, the dtype and the layout only); each block's partial sums
are computed in one order and the partials are reduced in block order. The
serial and the parallel (``prange``) pass therefore give bit-for-bit the same
result for any number of threads
(``tests/test_kernels_dense.py::test_bitwise_across_threads``).
"""

import numpy as np
from numba import literally, njit, prange
from numba.extending import overload

from ._math import DENSE_JIT as JIT
from ._math import literal_flag
from ._prefetch import hint_l1, hint_l2
from .layout import (
    HITS,
    LOSS,
    PROBE,
    WEIGHT,
    add4,
    add_rows,
    binary_width,
    block_count,
    block_rows,
    gather_batch,
    gradient_sweep,
    madd4,
    minibatch_epoch,
    residuals,
    store4,
)

__all__ = [
    "add_partials", "decision_function", "finish", "gather_batch", "gd_epochs",
    "gd_first_pass", "gradient_sweep", "loss_grad", "minibatch_epoch", "n_blocks",
    "pass_block_rows", "weighted_sq_norm_sum",
]

# Rows this short (in features) take the C sweep's eight-rows-at-a-time logits
# (_logits_short); gd's epochs read such X as an F-ordered copy when it is small
# (sources/memory.py, TRANSPOSE_MAX_BYTES).
SHORT_ROW = 16
# Prefetch in the C sweep (see _accumulate_c): the next block's rows are hinted
# into L2, FAR_SPLIT_NUM / FAR_SPLIT_DEN of them over this block's logits sweep
# and the rest over its gradient sweep, so that memory keeps streaming while the
# block is worked on from L2; the logits sweep also hints its own rows NEAR_BYTES
# ahead from L2 into L1. python scripts/diagnostics/epoch_anatomy.py --hints times
# an epoch with and without them; scripts/diagnostics/prefetch_overlap.py shows
# the overlap they buy. The F sweep takes no hints: its column runs are long
# enough for the hardware prefetcher.
FAR_SPLIT_NUM, FAR_SPLIT_DEN = 1, 2
NEAR_BYTES = 8 * 1024
# An X of at most this many bytes (a last-level cache) stays in cache from pass
# to pass, and hints would only cost their instructions: none are issued.
HINT_MIN_BYTES = 32 * 1024 * 1024


@njit(**JIT)
def _is_f(X):
    return X.flags.f_contiguous and not X.flags.c_contiguous


@njit(**JIT)
def pass_block_rows(X):
    """Rows per block of the binary pass over ``X``: :func:`.layout.block_rows`
    for its layout (F-ordered blocks are larger). A source that feeds ``X`` in
    row chunks of multiples of it gets the bits of one pass over all of ``X``."""
    return block_rows(X.shape[1], X.itemsize, _is_f(X))


@njit(**JIT)
def _n_pass_blocks(X):
    return block_count(X.shape[0], pass_block_rows(X))


@njit(**JIT)
def n_blocks(X):
    """Blocks of :func:`.layout.block_rows` (C-sized) rows in ``X``: the partial
    rows of a pass cut that way (kernels/newton.py's)."""
    return block_count(X.shape[0], block_rows(X.shape[1], X.itemsize))


@njit(**JIT)
def _accumulate_c(X, y, sw, w, b, lo, hi, acc, need_loss):
    # Row-major, in three sweeps over a block that stays in L2: the logits
    # (one dot product per row, vectorised over the row), the residuals of
    # all the block's rows in one vectorised loop, then the gradient, four
    # rows at a time so that acc is loaded and stored once per four rows and
    # the loop over j is a plain vector loop. Slices are indexed from 0 on
    # purpose: an index like ``lo + k`` keeps Numba's negative-index
    # wrap-around test in the loop and stops vectorisation.
    #
    # Prefetch (see FAR_SPLIT_NUM and NEAR_BYTES): the next block's rows are
    # hinted into L2 a share per row of both sweeps, so that memory keeps streaming
    # while the block is worked on from cache; the logits sweep also hints
    # its own rows NEAR_BYTES ahead into L1. Hints change no result (python
    # scripts/diagnostics/epoch_anatomy.py --hints checks the bits of both).
    Xb = X[lo:hi]
    m = hi - lo
    n, d = X.shape
    z = np.empty(m)
    if d <= SHORT_ROW:
        # No hints: short rows are cheap to work on from cache, so memory is
        # the bottleneck anyway and hints only add instructions.
        far = far_hi = 0
        _logits_short(Xb, w, b, z)
    else:
        far_lo = hi * d
        far_hi = min(n, hi + m) * d
        near = lo * d
        if n * d * X.itemsize <= HINT_MIN_BYTES:
            far_hi = far_lo  # X stays in cache from pass to pass: no hints
            near = hi * d
        far_mid = far_lo + (far_hi - far_lo) * FAR_SPLIT_NUM // FAR_SPLIT_DEN
        far = far_lo
        step = (far_mid - far_lo) // m + 1
        near_rows = max(1, NEAR_BYTES // (d * X.itemsize))
        k = 0
        if X.itemsize == 4:
            # float32: four rows share each load of w (float64, twice the
            # bytes of a row); float64 rows go one at a time, which was no
            # slower (python scripts/compare.py times both dtypes).
            while k + 4 <= m:
                far = hint_l2(X, far, min(far_mid, far_lo + (k + 4) * step))
                near = hint_l1(X, near, min(hi, lo + k + 4 + near_rows) * d)
                x0, x1, x2, x3 = Xb[k], Xb[k + 1], Xb[k + 2], Xb[k + 3]
                t = (0.0, 0.0, 0.0, 0.0)
                for j in range(d):
                    t = madd4(t, (x0[j], x1[j], x2[j], x3[j]), w[j])
                store4(z, k, t, b)
                k += 4
        while k < m:
            far = hint_l2(X, far, min(far_mid, far_lo + (k + 1) * step))
            near = hint_l1(X, near, min(hi, lo + k + 1 + near_rows) * d)
            row = Xb[k]
            t = 0.0
            for j in range(d):  # reassoc: several vector accumulators
                t += row[j] * w[j]
            z[k] = t + b
            k += 1
    residuals(z, y[lo:hi], sw[lo:hi], m, need_loss, acc, d, np.inf)
    gradient_sweep(X, Xb, z, acc, far, far_hi)


@njit(inline="never", **JIT)
def _logits_short(Xb, w, b, z):
    # Short rows (d <= SHORT_ROW): logits eight rows at a time, eight
    # independent accumulator chains over j. One row at a time, a row too
    # short for the vector loop that reassoc allows is one serial chain of d
    # dependent FMAs. Longer rows keep the vectorised dot product per row,
    # which streams from memory better. A function of its own (inline="never"):
    # written out in _accumulate_c, it slowed the long-row sweep down too.
    # python scripts/compare.py times both widths.
    m, d = Xb.shape
    k = 0
    while k + 8 <= m:
        x0, x1, x2, x3 = Xb[k], Xb[k + 1], Xb[k + 2], Xb[k + 3]
        x4, x5, x6, x7 = Xb[k + 4], Xb[k + 5], Xb[k + 6], Xb[k + 7]
        lo = hi = (0.0, 0.0, 0.0, 0.0)
        for j in range(d):
            wj = w[j]
            lo = madd4(lo, (x0[j], x1[j], x2[j], x3[j]), wj)
            hi = madd4(hi, (x4[j], x5[j], x6[j], x7[j]), wj)
        store4(z, k, lo, b)
        store4(z, k + 4, hi, b)
        k += 8
    while k < m:
        row = Xb[k]
        t = 0.0
        for j in range(d):
            t += row[j] * w[j]
        z[k] = t + b
        k += 1


@njit(**JIT)
def _accumulate_f(X, y, sw, w, b, lo, hi, acc, need_loss):
    # Column-major: sweep the block column by column (contiguous) twice, once
    # for the logits and once for the gradient; the block is sized to stay in
    # cache in between, so X still comes from memory once. Eight columns per
    # sweep share each load and store of the logits (first sweep) and each
    # load of the residuals (second sweep), and give eight independent
    # accumulators; with F-sized blocks (.layout.BLOCK_BYTES_F) the F epoch
    # then keeps up with the C one (python scripts/compare.py prints both).
    d = X.shape[1]
    m = hi - lo
    z = np.full(m, b)
    j = 0
    while j + 8 <= d:
        c0, c1, c2, c3 = X[lo:hi, j], X[lo:hi, j + 1], X[lo:hi, j + 2], X[lo:hi, j + 3]
        c4, c5, c6, c7 = X[lo:hi, j + 4], X[lo:hi, j + 5], X[lo:hi, j + 6], X[lo:hi, j + 7]
        w0, w1, w2, w3 = w[j], w[j + 1], w[j + 2], w[j + 3]
        w4, w5, w6, w7 = w[j + 4], w[j + 5], w[j + 6], w[j + 7]
        for k in range(m):
            z[k] += ((c0[k] * w0 + c1[k] * w1 + c2[k] * w2 + c3[k] * w3)
                     + (c4[k] * w4 + c5[k] * w5 + c6[k] * w6 + c7[k] * w7))
        j += 8
    # The last d % 8 columns one at a time: sweeps of four, two and one would
    # add more to compiling the pass than they save in it.
    while j < d:
        c0 = X[lo:hi, j]
        w0 = w[j]
        for k in range(m):
            z[k] += c0[k] * w0
        j += 1
    residuals(z, y[lo:hi], sw[lo:hi], m, need_loss, acc, d, np.inf)
    j = 0
    while j + 8 <= d:
        c0, c1, c2, c3 = X[lo:hi, j], X[lo:hi, j + 1], X[lo:hi, j + 2], X[lo:hi, j + 3]
        c4, c5, c6, c7 = X[lo:hi, j + 4], X[lo:hi, j + 5], X[lo:hi, j + 6], X[lo:hi, j + 7]
        lo4 = hi4 = (0.0, 0.0, 0.0, 0.0)
        for k in range(m):
            r = z[k]
            lo4 = madd4(lo4, (c0[k], c1[k], c2[k], c3[k]), r)
            hi4 = madd4(hi4, (c4[k], c5[k], c6[k], c7[k]), r)
        add4(acc, j, lo4)
        add4(acc, j + 4, hi4)
        j += 8
    while j < d:
        c0 = X[lo:hi, j]
        t0 = 0.0
        for k in range(m):
            t0 += z[k] * c0[k]
        acc[j] += t0
        j += 1


def _accumulate(X, y, sw, w, b, lo, hi, acc, need_loss):
    """Add rows ``lo:hi`` of the pass into ``acc`` (the layout's own sweep)."""
    raise NotImplementedError("compiled only, through the overload below")


@overload(_accumulate, jit_options=JIT)
def _accumulate_for_layout(X, y, sw, w, b, lo, hi, acc, need_loss):
    # The layout is chosen when the caller is compiled, not tested at run time:
    # a run-time test would compile both sweeps for every array type (the F
    # sweep of a C array, never run), about a third of a cold compile.
    if X.layout == "F":
        return (lambda X, y, sw, w, b, lo, hi, acc, need_loss:
                _accumulate_f(X, y, sw, w, b, lo, hi, acc, need_loss))
    return (lambda X, y, sw, w, b, lo, hi, acc, need_loss:
            _accumulate_c(X, y, sw, w, b, lo, hi, acc, need_loss))


@njit(**JIT)
def _block(X, y, sw, w, b, k, partials, need_loss):
    """Block ``k``'s sums into ``partials[k]``: the body of both passes."""
    rows = pass_block_rows(X)
    partials[k, :] = 0.0
    _accumulate(X, y, sw, w, b, k * rows, min(X.shape[0], (k + 1) * rows), partials[k],
                need_loss)


@njit(**JIT)
def _pass_serial(X, y, sw, w, b, partials, need_loss):
    for k in range(partials.shape[0]):
        _block(X, y, sw, w, b, k, partials, need_loss)


@njit(parallel=True, **JIT)
def _pass_parallel(X, y, sw, w, b, partials, need_loss):
    for k in prange(partials.shape[0]):
        _block(X, y, sw, w, b, k, partials, need_loss)


@njit(**JIT)
def _finish(acc, w, alpha, out):
    """Normalise summed partials ``acc`` by the weight and add the L2 term."""
    d = w.shape[0]
    tail = d + 1
    S = acc[tail + WEIGHT]
    sq = 0.0
    for j in range(d):
        out[j] = acc[j] / S + alpha * w[j]
        sq += w[j] * w[j]
    out[d] = acc[d] / S
    out[tail + LOSS] = acc[tail + LOSS] / S + 0.5 * alpha * sq
    out[tail + HITS] = acc[tail + HITS] / S


def _sum_blocks(X, y, sw, w, b, parallel, partials, total, need_loss):
    """The pass proper: each block's sums into its row of ``partials``, then
    the rows added to ``total`` in block order (thread-count free)."""
    raise NotImplementedError("compiled only, through the overload below")


@overload(_sum_blocks, jit_options=JIT)
def _sum_blocks_for(X, y, sw, w, b, parallel, partials, total, need_loss):
    # The serial or the prange pass, chosen when the caller is compiled: with
    # a run-time flag both would compile, and the prange pass is most of a
    # cold compile of loss_grad.
    run = _pass_parallel if literal_flag(parallel) else _pass_serial

    def impl(X, y, sw, w, b, parallel, partials, total, need_loss):
        run(X, y, sw, w, b, partials, need_loss)
        add_rows(partials, total)
    return impl


@njit(**JIT)
def _add_partials(X, y, sw, w, b, parallel, total, need_loss):
    literally(parallel)
    partials = np.empty((_n_pass_blocks(X), binary_width(X.shape[1])))
    _sum_blocks(X, y, sw, w, b, parallel, partials, total, need_loss)


@njit(**JIT)
def _add_partials_serial(X, y, sw, w, b, total, need_loss):
    _add_partials(X, y, sw, w, b, False, total, need_loss)


@njit(**JIT)
def _add_partials_parallel(X, y, sw, w, b, total, need_loss):
    _add_partials(X, y, sw, w, b, True, total, need_loss)


def add_partials(X, y, sw, w, b, parallel, total, need_loss):
    """Add the unnormalised sums of one pass over ``X`` into ``total``.

    ``total`` (:func:`.layout.binary_width` long) receives the binary partial
    row of :mod:`.layout`, block by block in row order; the loss column gets 0
    unless ``need_loss``. A source that
    feeds ``X`` in row chunks whose lengths are multiples of
    :func:`pass_block_rows` gets the same bits as one call over all of ``X``;
    :func:`finish` turns the sums into a pass's ``out``. Like every entry with
    a ``parallel`` flag, it runs one compiled function per value of the flag,
    so a program that never runs the ``prange`` pass never compiles it.
    """
    run = _add_partials_parallel if parallel else _add_partials_serial
    run(X, y, sw, w, b, total, need_loss)


@njit(**JIT)
def finish(total, w, alpha, need_loss, out):
    """``out`` of a pass from the sums :func:`add_partials` gathered.

    Returns False if a logit was inf or nan (the finiteness probe). Without
    ``need_loss`` the loss, which the gradient does not need, is nan.
    """
    _finish(total, w, alpha, out)
    tail = w.shape[0] + 1
    if not need_loss:
        out[tail + LOSS] = np.nan
    return np.isfinite(total[tail + PROBE])


@njit(**JIT)
def _full_pass(X, y, sw, w, b, alpha, parallel, partials, total, out, need_loss):
    """One read of X into ``out``; returns False if a logit was inf or nan.

    Without ``need_loss`` the loss is skipped (``out[d + 1 + LOSS]`` is nan):
    it is the one part of the pass that the gradient does not need.
    """
    literally(parallel)
    total[:] = 0.0
    _sum_blocks(X, y, sw, w, b, parallel, partials, total, need_loss)
    return finish(total, w, alpha, need_loss, out)


@njit(**JIT)
def _loss_grad(X, y, sw, w, b, alpha, parallel, out, need_loss):
    literally(parallel)
    width = binary_width(X.shape[1])
    partials = np.empty((_n_pass_blocks(X), width))
    _full_pass(X, y, sw, w, b, alpha, parallel, partials, np.empty(width), out, need_loss)


@njit(**JIT)
def _loss_grad_serial(X, y, sw, w, b, alpha, out, need_loss):
    _loss_grad(X, y, sw, w, b, alpha, False, out, need_loss)


@njit(**JIT)
def _loss_grad_parallel(X, y, sw, w, b, alpha, out, need_loss):
    _loss_grad(X, y, sw, w, b, alpha, True, out, need_loss)


def loss_grad(X, y, sw, w, b, alpha, parallel, out):
    """One fused read of ``X``: loss, gradient and accuracy at ``(w, b)`` into ``out``.

    ``parallel`` picks the compiled function of the serial or the ``prange``
    pass (see :func:`add_partials`).
    """
    run = _loss_grad_parallel if parallel else _loss_grad_serial
    # need_loss arrives from Python as a run-time bool, as in gd_epochs: a
    # constant True would be typed as a literal and compile _full_pass twice
    run(X, y, sw, w, b, alpha, out, True)


def gd_epochs(X, y, sw, w, b, learning_rate, alpha, fit_intercept, parallel,
              first_epoch, n_epochs, record_every, grad, history):
    """Run ``n_epochs`` fixed-step gradient-descent epochs in compiled code.

    On entry ``grad`` holds :func:`loss_grad`'s output at ``(w, b[0])``; each
    epoch updates ``w`` and ``b[0]`` in place from it, then one fused pass
    computes ``grad`` at the new point, so an epoch reads ``X`` once. The pass
    also yields the loss and accuracy of the updated model: epochs ``e`` with
    ``e % record_every == 0`` append ``(e, loss, accuracy)`` to ``history``
    (as the notebook records them). The loss is computed only at those epochs
    and at the last one, so on return ``grad`` is a full :func:`loss_grad`
    output at the final ``(w, b[0])``; the other epochs skip its ``log1p``.

    If an update makes the loss non-finite (a step too large for the data),
    ``w`` and ``b`` are restored to the last finite point and the loop stops;
    ``grad`` is then not meaningful. Epochs that skip the loss detect this
    from the logits: the loss is finite exactly when every logit is (bar an
    overflow of the sum itself, which the epochs that do compute it catch).

    Returns
    -------
    epochs_run : int
        Completed epochs; less than ``n_epochs`` only on divergence.
    n_records : int
        Rows written to ``history``.
    """
    run = _gd_epochs_parallel if parallel else _gd_epochs_serial
    return run(X, y, sw, w, b, learning_rate, alpha, fit_intercept, first_epoch,
               n_epochs, record_every, grad, history)


def gd_first_pass(X, y, sw, w, b, alpha, fit_intercept, parallel, grad):
    """:func:`loss_grad`'s output at ``(w, b[0])`` into ``grad``, from
    :func:`gd_epochs`' own compiled code: what its first call needs on entry.

    One epoch with a zero step leaves ``w`` and ``b`` as they are (``w - 0 *
    0`` is ``w``, bit for bit) and its pass is :func:`loss_grad`'s, the same
    compiled ``_full_pass`` with the loss: the same bits. A gd fit then
    compiles one entry instead of two. Pass the
    arguments of the :func:`gd_epochs` calls that follow (the same types:
    one compiled function). Returns False if the pass was not finite, in
    which case ``grad`` holds the non-finite pass, as :func:`loss_grad`'s
    would.
    """
    grad[:] = 0.0
    history = np.empty((1, 3))
    ran, _ = gd_epochs(X, y, sw, w, b, 0.0, alpha, fit_intercept, parallel, 0, 1, 1, grad,
                       history)
    return ran == 1


@njit(**JIT)
def _gd_epochs(X, y, sw, w, b, learning_rate, alpha, fit_intercept, parallel,
               first_epoch, n_epochs, record_every, grad, history):
    literally(parallel)
    d = X.shape[1]
    tail = d + 1
    partials = np.empty((_n_pass_blocks(X), binary_width(d)))
    total = np.empty(binary_width(d))
    w_prev = np.empty(d)
    n_records = 0
    last = first_epoch + n_epochs - 1
    for e in range(first_epoch, first_epoch + n_epochs):
        for j in range(d):
            w_prev[j] = w[j]
        b_prev = b[0]
        for j in range(d):
            w[j] -= learning_rate * grad[j]
        if fit_intercept:
            b[0] -= learning_rate * grad[d]
        record = e % record_every == 0
        need_loss = record or e == last
        finite = _full_pass(X, y, sw, w, b[0], alpha, parallel, partials, total, grad,
                            need_loss)
        if not finite or (need_loss and not np.isfinite(grad[tail + LOSS])):
            # Diverged: give back the last weights whose loss was finite.
            for j in range(d):
                w[j] = w_prev[j]
            b[0] = b_prev
            return e - first_epoch, n_records
        if record:
            history[n_records, 0] = e
            history[n_records, 1] = grad[tail + LOSS]
            history[n_records, 2] = grad[tail + HITS]
            n_records += 1
    return n_epochs, n_records


@njit(**JIT)
def _gd_epochs_serial(X, y, sw, w, b, learning_rate, alpha, fit_intercept, first_epoch,
                      n_epochs, record_every, grad, history):
    return _gd_epochs(X, y, sw, w, b, learning_rate, alpha, fit_intercept, False,
                      first_epoch, n_epochs, record_every, grad, history)


@njit(**JIT)
def _gd_epochs_parallel(X, y, sw, w, b, learning_rate, alpha, fit_intercept,
                        first_epoch, n_epochs, record_every, grad, history):
    return _gd_epochs(X, y, sw, w, b, learning_rate, alpha, fit_intercept, True,
                      first_epoch, n_epochs, record_every, grad, history)


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
                # squared in float64, as everything else (Numba's float() would
                # keep a float32 element float32)
                x = np.float64(X[i, j])
                total += sw[i] * x * x
        return total
    for i in range(n):
        t = 0.0
        for j in range(d):
            x = np.float64(X[i, j])
            t += x * x
        total += sw[i] * t
    return total

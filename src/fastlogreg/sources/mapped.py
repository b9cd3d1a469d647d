"""A memory-mapped dense X larger than a chunk, read in row chunks.

Each pass reads the file once, chunk by chunk, with the in-memory kernels on
each chunk, and releases the chunk's pages before the next (see
:mod:`fastlogreg._mapping`): resident memory stays near one chunk
(``fastlogreg._mapping.CHUNK_BYTES``, 256 MiB) whatever the size of the file.
Chunks of a C-ordered X are read in place; chunks of an F-ordered X, whose
rows are spread over the whole file, are copied to one F-ordered chunk first.
"""

from __future__ import annotations

import numpy as np

from .. import _mapping
from ..kernels import batched, dense, multinomial, newton
from ..kernels.layout import binary_width, block_rows, multinomial_width
from .base import Source
from .memory import use_threads

__all__ = ["Mapped"]


class Mapped(Source):
    """Dense float32/float64 X on a releasable file mapping (see :mod:`._mapping`)."""

    def __init__(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray):
        self.X, self.y, self.sample_weight = X, y, sample_weight
        self.n_samples, self.n_features = X.shape
        self._mm = _mapping.mapping_of(X)

    def _chunks(self, multiple: int = 1):
        """``(lo, hi, X[lo:hi])`` for each chunk (:func:`.._mapping.chunks`)."""
        return _mapping.chunks(self.X, multiple)

    def binary_sums(self, w, b, need_loss):
        total = np.zeros(binary_width(self.n_features))
        # chunks of whole blocks: the same blocks, in the same order, as one pass
        # over X in memory, hence the same bits
        multiple = dense.pass_block_rows(self.X)
        for lo, hi, Xc in self._chunks(multiple):
            dense.add_partials(Xc, self.y[lo:hi], self.sample_weight[lo:hi], w, b,
                               use_threads(Xc.size), total, need_loss)
        return total

    def multinomial_sums(self, W, b):
        total = np.zeros(multinomial_width(*W.shape))
        multiple = block_rows(self.n_features, self.X.itemsize)
        for lo, hi, Xc in self._chunks(multiple):
            multinomial.add_partials(Xc, self.y[lo:hi], self.sample_weight[lo:hi], W,
                                     b, use_threads(Xc.size), total)
        return total

    def batched_sums(self, W, b, fold_weights, fold_of, need_grad=True):
        # chunk by chunk, each chunk one read for all M models (kernels/batched.py)
        total = None
        for lo, hi, Xc in self._chunks():
            total = batched.model_sums(Xc, self.y[lo:hi],
                                       np.ascontiguousarray(fold_weights[:, lo:hi]),
                                       fold_of, W, b, use_threads(Xc.size * W.shape[0]),
                                       need_grad, total)
        return total

    def sq_norm_sum(self):
        return sum(dense.weighted_sq_norm_sum(Xc, self.sample_weight[lo:hi])
                   for lo, hi, Xc in self._chunks())

    def sample_rows(self, rows):
        try:
            return self.X[rows].astype(np.float64), self.sample_weight[rows]
        finally:
            _mapping.release(self._mm)

    def minibatch_epoch(self, W, b, order, batch_size, learning_rate, alpha,
                        fit_intercept, out):
        """Mini-batch epoch chunk by chunk: the rows of ``order`` that fall in a
        chunk, in their order, form that chunk's batches.

        The shuffle is therefore within chunks (a global one would touch every
        page of the file in every batch); each chunk's step is scaled by its own
        weight and chunks of zero weight are skipped.
        """
        kernel = dense.minibatch_epoch if W.ndim == 1 else multinomial.minibatch_epoch
        S = self.weight_sum()
        part = np.empty(2)
        out[:2] = 0.0
        for lo, hi, Xc in self._chunks():
            sw = self.sample_weight[lo:hi]
            S_c = float(sw.sum())
            if S_c <= 0.0:
                continue
            mine = order[(order >= lo) & (order < hi)] - lo
            kernel(Xc, self.y[lo:hi], sw, W, b, mine, batch_size, learning_rate,
                   alpha, fit_intercept, part)
            out[:2] += part * (S_c / S)

    # The second-order passes add their chunks' sums, as binary_sums does.

    def binary_hessp_sums(self, w, b, v, c):
        total = np.zeros(self.n_features + 1)
        for lo, hi, Xc in self._chunks(block_rows(self.n_features, self.X.itemsize)):
            newton.binary_hessp(Xc, self.sample_weight[lo:hi], w, b, v, c,
                                use_threads(Xc.size), total)
        return total

    def multinomial_hessp_sums(self, W, b, V, c):
        total = np.zeros(W.size + W.shape[0])
        for lo, hi, Xc in self._chunks(block_rows(self.n_features, self.X.itemsize)):
            newton.multinomial_hessp(Xc, self.sample_weight[lo:hi], W, b, V, c,
                                     use_threads(Xc.size), total)
        return total

    def binary_hessian_sums(self, w, b):
        total, H = newton.binary_hessian_zeros(self.n_features)
        for lo, hi, Xc in self._chunks():
            newton.binary_hessian(Xc, self.y[lo:hi], self.sample_weight[lo:hi], w, b,
                                  use_threads(Xc.size), total, H)
        return total, H

    def multinomial_hessian_sums(self, W, b):
        total, H = newton.multinomial_hessian_zeros(*W.shape)
        for lo, hi, Xc in self._chunks():
            newton.multinomial_hessian(Xc, self.y[lo:hi], self.sample_weight[lo:hi], W,
                                       b, use_threads(Xc.size), total, H)
        return total, H

    def describe(self):
        return f"a memory-mapped {self.X.dtype} array"

"""SciPy CSR matrices: the fused passes run over the nonzeros only."""

from __future__ import annotations

import numpy as np

from .._validation import check_csr_indices
from ..kernels import batched, newton, sparse
from ..kernels import sag as sag_kernels
from ..kernels.layout import binary_width, multinomial_width
from .base import Source
from .memory import use_threads

__all__ = ["CSR", "is_sparse"]


# The batched CSR pass gathers and scatters each nonzero's column for all M models
# at once: M models cost less than M passes while the M x d weights and a
# gradient partial per thread stay in cache; beyond this many weights they
# spill to memory and one pass per model is faster (asv_bench/benchmarks/
# bench_batched.py::BatchedSparsePass times the batched pass against one model's).
BATCHED_MAX_WEIGHTS = 1 << 19


def is_sparse(X) -> bool:
    """True for a SciPy sparse matrix or array (without importing SciPy)."""
    return hasattr(X, "tocsr") and hasattr(X, "nnz")


class CSR(Source):
    """A ``scipy.sparse`` CSR matrix: float32/float64 data, int32/int64 indices.

    Its ``data``, ``indices`` and ``indptr`` are read in place; other sparse
    formats are converted to CSR once, by the caller (the estimator's
    validation does it).
    """

    def __init__(self, X, y: np.ndarray, sample_weight: np.ndarray):
        self.X, self.y, self.sample_weight = X, y, sample_weight
        self.n_samples, self.n_features = X.shape
        # the kernels index without bounds checks: a bad column index would
        # crash the process (tests/test_sources.py::test_csr_index_out_of_range)
        check_csr_indices(X.indices, X.indptr, *X.shape)
        self._arrays = (X.data, X.indices, X.indptr)

    @property
    def parallel(self) -> bool:
        return use_threads(self.X.nnz)

    def binary_sums(self, w, b, need_loss):
        total = np.zeros(binary_width(self.n_features))
        sparse.binary_partials(*self._arrays, self.y, self.sample_weight, w, b,
                               self.parallel, total, need_loss)
        return total

    def multinomial_sums(self, W, b):
        total = np.zeros(multinomial_width(*W.shape))
        sparse.multinomial_partials(*self._arrays, self.y, self.sample_weight, W, b,
                                    self.parallel, total)
        return total

    def batched_sums(self, W, b, fold_weights, fold_of, need_grad=True):
        if W.ndim != 2 or W.size > BATCHED_MAX_WEIGHTS:
            # softmax models, or binary ones too wide to batch: one pass each
            return super().batched_sums(W, b, fold_weights, fold_of, need_grad)
        # binary models: one read of the nonzeros for all of them (kernels/sparse.py)
        total = np.zeros((W.shape[0], binary_width(self.n_features)))
        sparse.batched_partials(*self._arrays, self.y,
                                np.ascontiguousarray(fold_weights, dtype=np.float64),
                                np.ascontiguousarray(fold_of, dtype=np.int64),
                                np.ascontiguousarray(W, dtype=np.float64),
                                np.ascontiguousarray(b, dtype=np.float64),
                                use_threads(self.X.nnz * W.shape[0]), bool(need_grad),
                                batched.loss_cap(need_grad), total)
        return total

    def sq_norm_sum(self):
        return sparse.weighted_sq_norm_sum(self.X.data, self.X.indptr, self.sample_weight)

    def sample_rows(self, rows):
        return self.X[rows].toarray().astype(np.float64), self.sample_weight[rows]

    def minibatch_epoch(self, W, b, order, batch_size, learning_rate, alpha,
                        fit_intercept, out):
        kernel = (sparse.binary_minibatch_epoch if W.ndim == 1
                  else sparse.multinomial_minibatch_epoch)
        kernel(*self._arrays, self.y, self.sample_weight, W, b, order, batch_size,
               learning_rate, alpha, fit_intercept, out)

    def max_sq_row_norm(self):
        return sag_kernels.csr_max_sq_row_norm(self.X.data, self.X.indptr)

    def sag_epochs(self, W, b, state, n_epochs, tol):
        return sag_kernels.csr_epochs(
            *self._arrays, self.y, self.sample_weight, W, b, state.memory, state.sum_grad,
            state.sum_grad_b, state.seen, state.counters, state.rng_state, state.step,
            state.alpha, state.l1, state.saga, state.fit_intercept,
            sag_kernels.SPARSE_INTERCEPT_DECAY,
            n_epochs, tol)

    def binary_hessp_sums(self, w, b, v, c):
        total = np.zeros(self.n_features + 1)
        newton.csr_binary_hessp(*self._arrays, self.sample_weight, w, b, v, c,
                                self.parallel, total)
        return total

    def multinomial_hessp_sums(self, W, b, V, c):
        total = np.zeros(W.size + W.shape[0])
        newton.csr_multinomial_hessp(*self._arrays, self.sample_weight, W, b, V, c,
                                     self.parallel, total)
        return total

    def binary_hessian_sums(self, w, b):
        total, H = newton.binary_hessian_zeros(self.n_features)
        newton.csr_binary_hessian(*self._arrays, self.y, self.sample_weight, w, b,
                                  self.parallel, total, H)
        return total, H

    def multinomial_hessian_sums(self, W, b):
        total, H = newton.multinomial_hessian_zeros(*W.shape)
        newton.csr_multinomial_hessian(*self._arrays, self.y, self.sample_weight, W, b,
                                       self.parallel, total, H)
        return total, H

    def describe(self):
        return f"a sparse CSR {self.X.dtype} matrix"


def decision_function(X, coef: np.ndarray, intercept: np.ndarray, out: np.ndarray) -> None:
    """Logits of CSR ``X`` into ``out`` ((n,) for one row of ``coef``, else (n, K))."""
    check_csr_indices(X.indices, X.indptr, *X.shape)
    if coef.shape[0] == 1:
        sparse.decision_function(X.data, X.indices, X.indptr, coef[0], float(intercept[0]),
                                 out)
    else:
        sparse.multinomial_decision_function(X.data, X.indices, X.indptr, coef, intercept,
                                             out)

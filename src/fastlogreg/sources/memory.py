"""Dense in-memory arrays: the kernels read X in place, whole."""

from __future__ import annotations

from functools import cached_property

import numba
import numpy as np

from ..kernels import batched, dense, multinomial
from .base import Source

__all__ = ["PARALLEL_MIN_ELEMENTS", "InMemory"]

# Below this many elements of X a pass takes microseconds and waking the thread
# pool costs more than it saves; above it the parallel pass wins.
PARALLEL_MIN_ELEMENTS = 1 << 17

# gd's compiled epochs read a column-major copy of a C-ordered X whose rows are
# short (at most dense.SHORT_ROW features) while the copy is at most this big.
# In cache the column sweep is the faster one for short rows: eight columns
# share each load and store of the logits, where the row sweep runs one
# scalar chain of d FMAs per row. Per epoch, C / F (python scripts/compare.py's
# machine): 1000 x 10 float64 1.2-1.4x, float32 1.55x, 1000 x 2 1.9x,
# 200,000 x 10 (16 MB, 2 threads) 1.6x; from memory both are bandwidth-bound
# (400,000 x 10: 1.1x, 1,000,000 x 10: 1.0x), and a larger copy would cost
# memory for nothing. The copy (7 us at 1000 x 10) is made once per fit, and
# gd reads only the copy, so that it compiles the F passes alone: both layouts
# would take a cold fastlogreg.fit from 9 to 16 s.
TRANSPOSE_MAX_BYTES = 16 << 20


def use_threads(n_elements: int) -> bool:
    """Whether a pass over this many elements should run on Numba's threads."""
    return n_elements >= PARALLEL_MIN_ELEMENTS and numba.get_num_threads() > 1


class InMemory(Source):
    """A dense float32/float64 ``X`` (C- or F-contiguous, or an ``np.memmap``
    small enough to read whole) with float64 ``y`` and ``sample_weight``."""

    in_memory = True

    def __init__(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray):
        self.X, self.y, self.sample_weight = X, y, sample_weight
        self.n_samples, self.n_features = X.shape

    @property
    def parallel(self) -> bool:
        # read at each pass: n_jobs may change Numba's thread count between fits
        return use_threads(self.X.size)

    @cached_property
    def epoch_X(self) -> np.ndarray:
        """``X`` as the compiled gradient-descent epochs read it fastest: an
        F-ordered copy when it is C-ordered, short-rowed and small (see
        ``TRANSPOSE_MAX_BYTES``), otherwise ``X`` itself."""
        X = self.X
        if (X.flags.c_contiguous and not X.flags.f_contiguous
                and X.shape[1] <= dense.SHORT_ROW and X.nbytes <= TRANSPOSE_MAX_BYTES):
            return np.asfortranarray(X)
        return X

    def binary_sums(self, w, b, need_loss):
        total = np.zeros(self.n_features + 5)
        dense.add_partials(self.X, self.y, self.sample_weight, w, b, self.parallel,
                           total, need_loss)
        return total

    def multinomial_sums(self, W, b):
        total = np.zeros(W.size + W.shape[0] + 3)
        multinomial.add_partials(self.X, self.y, self.sample_weight, W, b,
                                 self.parallel, total)
        return total

    def binary_pass(self, w, b, alpha, out):
        # one compiled call: the small problems' passes take microseconds
        dense.loss_grad(self.X, self.y, self.sample_weight, w, b, alpha, self.parallel,
                        out)

    def multinomial_pass(self, W, b, alpha, out):
        multinomial.loss_grad(self.X, self.y, self.sample_weight, W, b, alpha,
                              self.parallel, out)

    def batched_sums(self, W, b, fold_weights, fold_of, need_grad=True):
        # one read of X for all M models (kernels/batched.py)
        return batched.model_sums(self.X, self.y, fold_weights, fold_of, W, b,
                                  use_threads(self.X.size * W.shape[0]), need_grad)

    def sq_norm_sum(self):
        return dense.weighted_sq_norm_sum(self.X, self.sample_weight)

    def sample_rows(self, rows):
        return self.X[rows].astype(np.float64), self.sample_weight[rows]

    def minibatch_epoch(self, W, b, order, batch_size, learning_rate, alpha,
                        fit_intercept, out):
        kernel = dense.minibatch_epoch if W.ndim == 1 else multinomial.minibatch_epoch
        kernel(self.X, self.y, self.sample_weight, W, b, order, batch_size,
               learning_rate, alpha, fit_intercept, out)

    def describe(self):
        return f"a dense {self.X.dtype} array"

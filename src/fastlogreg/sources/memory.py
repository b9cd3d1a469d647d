"""Dense in-memory arrays: the kernels read X in place, whole."""

from __future__ import annotations

from functools import cached_property

import numba
import numpy as np

from ..kernels import batched, dense, multinomial, newton
from ..kernels import sag as sag_kernels
from ..kernels.layout import binary_width, multinomial_width
from .base import Source

__all__ = ["PARALLEL_MIN_ELEMENTS", "InMemory"]

# Below this many elements a pass takes microseconds and waking the thread
# pool costs more than it saves (see use_threads).
PARALLEL_MIN_ELEMENTS = 1 << 17

# gd's compiled epochs read a column-major copy of a C-ordered X whose rows are
# short (at most dense.SHORT_ROW features) while the copy is at most this big.
# In cache the column sweep is the faster one for short rows: eight columns
# share each load and store of the logits, where the row sweep runs one scalar
# chain of d FMAs per row; from memory both are bandwidth-bound, and a larger
# copy would cost memory for nothing (python scripts/compare.py times the C and
# F epochs side by side). The copy is made once per fit, and gd reads only the
# copy, so that it compiles the F passes alone.
TRANSPOSE_MAX_BYTES = 16 << 20


def use_threads(n_elements: int) -> bool:
    """Whether a pass over this many elements should run on Numba's threads.

    The one rule for the ``parallel`` argument of every kernel (see
    :mod:`fastlogreg.kernels.layout`): the ``prange`` pass once a call reads
    at least :data:`PARALLEL_MIN_ELEMENTS` elements (of ``X``, of a file's
    chunk, or a CSR matrix's nonzeros) and Numba has more than one thread;
    the serial pass otherwise. Both give the same bits, so the rule changes
    speed only. Sources apply it at each call, since ``n_jobs`` may change
    Numba's thread count between fits; a Dask chunk always runs the serial
    pass (Dask runs chunks side by side).
    """
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

    def gd_first_pass(self, w, b, alpha, fit_intercept, grad) -> bool:
        """:func:`.kernels.dense.gd_first_pass` over :attr:`epoch_X`: the pass
        at ``(w, b[0])`` into ``grad``; False if it was not finite."""
        return dense.gd_first_pass(self.epoch_X, self.y, self.sample_weight, w, b, alpha,
                                   fit_intercept, self.parallel, grad)

    def gd_epochs(self, w, b, learning_rate, alpha, fit_intercept, first_epoch, n_epochs,
                  record_every, grad, history) -> tuple[int, int]:
        """:func:`.kernels.dense.gd_epochs` over :attr:`epoch_X`: ``n_epochs``
        fixed-step epochs in compiled code, ``(epochs_run, n_records)``."""
        return dense.gd_epochs(self.epoch_X, self.y, self.sample_weight, w, b,
                               learning_rate, alpha, fit_intercept, self.parallel,
                               first_epoch, n_epochs, record_every, grad, history)

    def binary_sums(self, w, b, need_loss):
        total = np.zeros(binary_width(self.n_features))
        dense.add_partials(self.X, self.y, self.sample_weight, w, b, self.parallel,
                           total, need_loss)
        return total

    def multinomial_sums(self, W, b):
        total = np.zeros(multinomial_width(*W.shape))
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

    def max_sq_row_norm(self):
        return sag_kernels.max_sq_row_norm(self.X)

    def sag_epochs(self, W, b, state, n_epochs, tol):
        return sag_kernels.dense_epochs(
            self.X, self.y, self.sample_weight, W, b, state.memory, state.sum_grad,
            state.sum_grad_b, state.seen, state.counters, state.rng_state, state.step,
            state.alpha, state.l1, state.saga, state.fit_intercept, n_epochs, tol)

    def binary_hessp_sums(self, w, b, v, c):
        total = np.zeros(self.n_features + 1)
        newton.binary_hessp(self.X, self.sample_weight, w, b, v, c, self.parallel, total)
        return total

    def multinomial_hessp_sums(self, W, b, V, c):
        total = np.zeros(W.size + W.shape[0])
        newton.multinomial_hessp(self.X, self.sample_weight, W, b, V, c, self.parallel,
                                 total)
        return total

    def binary_hessian_sums(self, w, b):
        total, H = newton.binary_hessian_zeros(self.n_features)
        newton.binary_hessian(self.X, self.y, self.sample_weight, w, b, self.parallel,
                              total, H)
        return total, H

    def multinomial_hessian_sums(self, W, b):
        total, H = newton.multinomial_hessian_zeros(*W.shape)
        newton.multinomial_hessian(self.X, self.y, self.sample_weight, W, b, self.parallel,
                                   total, H)
        return total, H

    def describe(self):
        return f"a dense {self.X.dtype} array"

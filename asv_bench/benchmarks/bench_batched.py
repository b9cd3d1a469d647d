"""The batched pass (M models from one read of X) from the shared registry.

Every timed function is an entry of ``fastlogreg.comparisons.COMPARISONS``
(kinds ``batched``, ``batched_multinomial`` and ``batched_sparse``), which the
tests check against the oracle model by model; ``track_max_error`` keeps that
check alive across commits. ``time_one_model`` times the single-model pass on
the same X, so the ratio of the two is the cost of batching. Data are built in
``setup`` and the JIT is warmed there.
"""

import numpy as np

from fastlogreg.comparisons import COMPARISONS, MAKERS, checked_max_rel_error

SHAPE = (100_000, 50)


class BatchedPass:
    """One batched read of X for M models (5 folds), serial and parallel."""

    params = (["float64", "float32"], ["C", "F"], [1, 16, 50],
              ["batched_loss_grad", "batched_loss_grad_parallel"])
    param_names = ["dtype", "layout", "models", "kernel"]
    timeout = 300

    def setup(self, dtype, layout, models, kernel):
        self.case = MAKERS["batched"](*SHAPE, dtype=np.dtype(dtype), layout=layout,
                                      n_models=models, n_folds=5)
        self.comparison = COMPARISONS[kernel]
        self.comparison.fast(self.case)
        self.single = COMPARISONS["loss_grad_parallel" if kernel.endswith("parallel")
                                  else "loss_grad"]
        self.single_case = MAKERS["binary"](*SHAPE, dtype=np.dtype(dtype), layout=layout)
        self.single.fast(self.single_case)

    def time_batched(self, dtype, layout, models, kernel):
        self.comparison.fast(self.case)

    def time_one_model(self, dtype, layout, models, kernel):
        if models == 1:  # the same for every M: timed once
            self.single.fast(self.single_case)
        else:
            raise NotImplementedError

    def track_max_error(self, dtype, layout, models, kernel):
        if models > 16:  # the oracle runs model by model: checked on the smaller batches
            raise NotImplementedError
        return checked_max_rel_error(self.comparison, self.case)

    track_max_error.unit = "relative error"


class BatchedMultinomialPass:
    """One batched read of X for M softmax models of 3 classes."""

    params = ([16], ["batched_multinomial_loss_grad_parallel"])
    param_names = ["models", "kernel"]
    timeout = 300

    def setup(self, models, kernel):
        self.case = MAKERS["batched_multinomial"](*SHAPE, n_models=models, n_folds=5)
        self.comparison = COMPARISONS[kernel]
        self.comparison.fast(self.case)

    def time_batched(self, models, kernel):
        self.comparison.fast(self.case)

    def track_max_error(self, models, kernel):
        return checked_max_rel_error(self.comparison, self.case)

    track_max_error.unit = "relative error"


class BatchedSparsePass:
    """One read of a wide CSR X (50 nonzeros a row) for M binary models, against
    one model's pass (``time_one_model``): each nonzero reads and updates the M
    models' entries of its column together."""

    params = ([1, 5, 16], ["batched_sparse_loss_grad_parallel"])
    param_names = ["models", "kernel"]
    timeout = 300

    def setup(self, models, kernel):
        self.case = MAKERS["batched_sparse"](20_000, 5_000, density=0.01, n_models=models,
                                             n_folds=5)
        self.comparison = COMPARISONS[kernel]
        self.comparison.fast(self.case)
        self.single = COMPARISONS["sparse_loss_grad_parallel"]
        self.single_case = MAKERS["sparse"](20_000, 5_000, density=0.01)
        self.single.fast(self.single_case)

    def time_batched(self, models, kernel):
        self.comparison.fast(self.case)

    def time_one_model(self, models, kernel):
        if models == 1:
            self.single.fast(self.single_case)
        else:
            raise NotImplementedError

    def track_max_error(self, models, kernel):
        return checked_max_rel_error(self.comparison, self.case)

    track_max_error.unit = "relative error"

"""Per-epoch cost of the kernels beside the oracle, from the shared registry.

Every timed function here is an entry of ``fastlogreg.comparisons.COMPARISONS``,
which the test suite checks against the oracle; ``track_max_error`` keeps that
check alive across commits.
"""

import numpy as np

from fastlogreg.comparisons import COMPARISONS, make_case, max_rel_error


class Epoch:
    params = (
        [(1000, 10), (100_000, 50)],
        ["float64", "float32"],
        ["C", "F"],
        ["loss_grad", "loss_grad_parallel", "gd_epoch", "minibatch_epoch"],
    )
    param_names = ["shape", "dtype", "layout", "kernel"]

    def setup(self, shape, dtype, layout, kernel):
        self.case = make_case(*shape, dtype=np.dtype(dtype), layout=layout,
                              batch_size=256)
        self.comparison = COMPARISONS[kernel]
        self.comparison.fast(self.case)  # JIT warm-up outside the timing

    def time_kernel(self, shape, dtype, layout, kernel):
        self.comparison.fast(self.case)

    def time_oracle(self, shape, dtype, layout, kernel):
        self.comparison.oracle(self.case)

    def track_max_error(self, shape, dtype, layout, kernel):
        return max_rel_error(self.comparison.fast(self.case),
                             self.comparison.oracle(self.case))

    track_max_error.unit = "relative error"

"""Per-epoch cost of the kernels beside the oracle, from the shared registry.

Every timed function here is an entry of ``fastlogreg.comparisons.COMPARISONS``,
which the test suite checks against the oracle; ``track_max_error`` keeps that
check alive across commits. Data are built in ``setup`` from a fixed seed and
the JIT is warmed there, so no timing includes compilation.
"""

import numba
import numpy as np

from fastlogreg.comparisons import COMPARISONS, checked_max_rel_error, make_case

# The notebook's problem, a mid-size one, and the large one of the README.
SHAPES = [(1000, 10), (100_000, 50), (1_000_000, 100)]
THREADS = [1, 2]
EPOCHS = 10  # gd_run: one loss_grad, then EPOCHS epochs with one record


def _case(shape, dtype, layout):
    return make_case(*shape, dtype=np.dtype(dtype), layout=layout, epochs=EPOCHS)


class GDEpochs:
    """``EPOCHS`` gradient-descent epochs: oracle (``reference.train``) and
    kernels (``dense.gd_epochs``, parallel pass) on the same case."""

    params = (SHAPES, ["float64", "float32"], ["C", "F"], THREADS)
    param_names = ["shape", "dtype", "layout", "threads"]
    timeout = 300

    def setup(self, shape, dtype, layout, threads):
        if threads > numba.config.NUMBA_NUM_THREADS:
            raise NotImplementedError("not enough cores")  # asv skips the combination
        self._threads = numba.get_num_threads()
        numba.set_num_threads(threads)
        self.case = _case(shape, dtype, layout)
        self.fast = COMPARISONS["gd_run_parallel"].fast
        self.oracle = COMPARISONS["gd_run_parallel"].oracle
        self.fast(self.case)  # JIT warm-up outside the timing

    def teardown(self, shape, dtype, layout, threads):
        numba.set_num_threads(self._threads)

    def time_kernels(self, shape, dtype, layout, threads):
        self.fast(self.case)

    def time_oracle(self, shape, dtype, layout, threads):
        if threads == THREADS[0]:  # NumPy ignores Numba's thread count: time it once
            self.oracle(self.case)
        else:
            raise NotImplementedError

    def track_max_error(self, shape, dtype, layout, threads):
        # raises when the kernel leaves the oracle's tolerance: a failed benchmark
        return checked_max_rel_error(COMPARISONS["gd_run_parallel"], self.case)

    track_max_error.unit = "relative error"


class OnePass:
    """The other registry entries, one call each, on the mid-size problem."""

    params = (["float64", "float32"], ["C", "F"],
              ["loss_grad", "loss_grad_parallel", "minibatch_epoch", "decision_function"])
    param_names = ["dtype", "layout", "kernel"]

    def setup(self, dtype, layout, kernel):
        self.case = make_case(100_000, 50, dtype=np.dtype(dtype), layout=layout,
                              batch_size=256)
        self.comparison = COMPARISONS[kernel]
        self.comparison.fast(self.case)

    def time_kernel(self, dtype, layout, kernel):
        self.comparison.fast(self.case)

    def time_oracle(self, dtype, layout, kernel):
        self.comparison.oracle(self.case)

    def track_max_error(self, dtype, layout, kernel):
        return checked_max_rel_error(self.comparison, self.case)  # raises past RTOL

    track_max_error.unit = "relative error"

"""The Newton solvers' passes beside the oracle, from the shared registry.

Every timed function is an entry of ``fastlogreg.comparisons.COMPARISONS``
(kinds ``newton*``: Hessian-vector products and gradient + Hessian passes),
which ``tests/test_kernels_newton.py`` checks against the oracle;
``track_max_error`` keeps that check alive across commits. Data come from
the registry's case makers with a fixed seed, and the JIT is warmed in
``setup``, so no timing includes compilation.
"""

import numpy as np

from fastlogreg.comparisons import COMPARISONS, MAKERS, checked_max_rel_error

# The shapes: newton-cg and newton-cholesky must beat scikit-learn there.
SHAPES = [(200_000, 50), (1_000_000, 100)]
DENSE = [name for name, c in COMPARISONS.items()
         if c.kind in ("newton", "newton_multinomial") and name.endswith("_parallel")]
SPARSE = [name for name, c in COMPARISONS.items()
          if c.kind in ("newton_sparse", "newton_sparse_multinomial")
          and name.endswith("_parallel")]


class DensePasses:
    """One parallel pass of each dense second-order kernel."""

    params = (SHAPES, ["float64", "float32"], ["C", "F"], DENSE)
    param_names = ["shape", "dtype", "layout", "kernel"]
    timeout = 600

    def setup(self, shape, dtype, layout, kernel):
        self.comparison = COMPARISONS[kernel]
        self.case = MAKERS[self.comparison.kind](*shape, dtype=np.dtype(dtype),
                                                 layout=layout)
        self.comparison.fast(self.case)

    def time_kernel(self, shape, dtype, layout, kernel):
        self.comparison.fast(self.case)

    def time_oracle(self, shape, dtype, layout, kernel):
        if shape == SHAPES[0]:  # the oracle's d x d products: the small shape only
            self.comparison.oracle(self.case)
        else:
            raise NotImplementedError

    def track_max_error(self, shape, dtype, layout, kernel):
        return checked_max_rel_error(self.comparison, self.case)  # raises past RTOL

    track_max_error.unit = "relative error"


class SparsePasses:
    """One parallel pass of each CSR second-order kernel, 10,000 x 1,000 at 2%
    (bench_sparse.py's case)."""

    params = (SPARSE,)
    param_names = ["kernel"]

    def setup(self, kernel):
        self.comparison = COMPARISONS[kernel]
        self.case = MAKERS[self.comparison.kind](10_000, 1_000, 0.02)
        self.comparison.fast(self.case)

    def time_kernel(self, kernel):
        self.comparison.fast(self.case)

    def track_max_error(self, kernel):
        return checked_max_rel_error(self.comparison, self.case)  # raises past RTOL

    track_max_error.unit = "relative error"

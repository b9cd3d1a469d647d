"""SAG and SAGA: the registry's epoch kernels beside their oracle, and whole
``sag``/``saga`` fits beside scikit-learn's same-named solvers.

Every timed kernel is an entry of ``fastlogreg.comparisons.COMPARISONS`` (kinds
``sag*``: ``SAG_EPOCHS`` epochs from a fixed start, dense and CSR, binary and
softmax), which ``tests/test_kernels_sag.py`` checks against
``reference.sag_epoch``; ``track_max_error`` keeps that check alive here. Data
are built in ``setup`` from fixed seeds and the JIT is warmed there.
"""

import warnings

import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from fastlogreg.comparisons import COMPARISONS, MAKERS, checked_max_rel_error
from fastlogreg.solvers import SOLVERS, BinaryProblem

SAG_KERNELS = [name for name, c in COMPARISONS.items() if c.kind.startswith("sag")]
# rows, features (and CSR density): "small" also runs the row-by-row oracle
SIZES = {"small": (2_000, 20, 0.1), "large": (100_000, 50, 0.02)}


def _case(kernel, size):
    n, d, density = SIZES[size]
    kind = COMPARISONS[kernel].kind
    if "sparse" in kind:
        return MAKERS[kind](n, 20 * d, density, weighted=True, alpha=1e-4)
    return MAKERS[kind](n, d, weighted=True, alpha=1e-4)


class SagEpochs:
    """``SAG_EPOCHS`` SAG/SAGA epochs of each registry entry."""

    params = (SAG_KERNELS, list(SIZES))
    param_names = ["kernel", "size"]
    timeout = 300

    def setup(self, kernel, size):
        self.comparison = COMPARISONS[kernel]
        self.case = _case(kernel, size)
        self.comparison.fast(self.case)  # JIT warm-up outside the timing

    def time_kernel(self, kernel, size):
        self.comparison.fast(self.case)

    def time_oracle(self, kernel, size):
        if size != "small":  # one NumPy step per row: seconds per epoch at 100,000 rows
            raise NotImplementedError
        self.comparison.oracle(self.case)

    def track_max_error(self, kernel, size):
        if size != "small":
            raise NotImplementedError
        return checked_max_rel_error(self.comparison, self.case)  # raises past RTOL

    track_max_error.unit = "relative error"


class SagFit:
    """A whole fit at scikit-learn's default ``tol`` (1e-4) on the issue's
    200,000 x 50 ``make_classification``: ours through ``solvers.SOLVERS``
    (the problem the estimator builds, ``alpha = 1 / (C S)``) beside
    scikit-learn's same-named solver. ``track_objective`` is our final
    objective over scikit-learn's (1.0: the same point)."""

    params = (["sag", "saga"], ["fastlogreg", "scikit-learn"])
    param_names = ["solver", "implementation"]
    timeout = 600

    def setup(self, solver, implementation):
        X, y = make_classification(200_000, 50, random_state=0)
        self.X, self.y = X, y.astype(np.float64)
        n = len(y)
        self.problem = BinaryProblem(self.X, self.y, np.ones(n), alpha=1.0 / n)
        self._fit(solver, implementation, max_iter=1)  # JIT warm-up

    def _fit(self, solver, implementation, max_iter=1000):
        if implementation == "fastlogreg":
            res = SOLVERS[solver](self.problem, np.zeros(self.problem.n_params),
                                  max_iter=max_iter, tol=1e-4,
                                  rng=np.random.default_rng(0))
            return res.theta
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf = LogisticRegression(solver=solver, max_iter=max_iter, tol=1e-4,
                                     random_state=0).fit(self.X, self.y)
        return np.r_[clf.coef_.ravel(), clf.intercept_]

    def time_fit(self, solver, implementation):
        self._fit(solver, implementation)

    def track_objective(self, solver, implementation):
        theta = self._fit(solver, implementation)
        ours = self.problem.objective(theta, self.problem.evaluate(theta))
        theirs = self._fit(solver, "scikit-learn")
        return ours / self.problem.objective(theirs, self.problem.evaluate(theirs))

    track_objective.unit = "objective ratio"

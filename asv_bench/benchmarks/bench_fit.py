"""Whole fits: each fastlogreg solver beside scikit-learn on the same problem,
their peak memory, and the first-call compile time."""

import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression as SkLogisticRegression

import fastlogreg
from fastlogreg.comparisons import make_case

# How each implementation fits; an estimator-based entry is added when the
# package has one. Every fastlogreg entry runs the public API, which the test
# suite covers.
FITS = {
    "fastlogreg.fit gd": lambda X, y: fastlogreg.fit(X, y, solver="gd", epochs=100,
                                                     learning_rate=1.0),
    "fastlogreg.fit sgd": lambda X, y: fastlogreg.fit(X, y, solver="sgd", epochs=5,
                                                      learning_rate=0.1,
                                                      random_state=0),
    "scikit-learn lbfgs": lambda X, y: SkLogisticRegression(max_iter=100).fit(X, y),
}
try:  # the fastest peer measured here, when installed (pip install scikit-learn-intelex)
    from sklearnex.linear_model import LogisticRegression as ExLogisticRegression
except ImportError:
    pass
else:
    FITS["scikit-learn-intelex lbfgs"] = (
        lambda X, y: ExLogisticRegression(max_iter=100).fit(X, y))
if hasattr(fastlogreg, "LogisticRegression"):
    for _solver in ("lbfgs", "gd", "nesterov", "sgd"):
        FITS[f"LogisticRegression {_solver}"] = (
            lambda X, y, s=_solver: fastlogreg.LogisticRegression(solver=s,
                                                                  max_iter=100).fit(X, y))


def _quiet(fit, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        return fit(X, y)


class Fit:
    params = ([(1000, 10), (100_000, 50)], ["float64", "float32"], list(FITS))
    param_names = ["shape", "dtype", "implementation"]
    timeout = 300

    def setup(self, shape, dtype, implementation):
        case = make_case(*shape, dtype=np.dtype(dtype))
        self.X, self.y = case.X, case.y
        self.fit = FITS[implementation]
        _quiet(self.fit, self.X, self.y)  # JIT warm-up

    def time_fit(self, shape, dtype, implementation):
        _quiet(self.fit, self.X, self.y)

    def peakmem_fit(self, shape, dtype, implementation):
        _quiet(self.fit, self.X, self.y)


_FIRST_FIT = (
    "import numpy as np, fastlogreg; rng = np.random.default_rng(0); "
    "X = rng.standard_normal((1000, 10)); y = (X[:, 0] > 0).astype(float); "
    "fastlogreg.fit(X, y)"
)


def _fresh_process_seconds(env_extra):
    import time

    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", _FIRST_FIT], check=True,
                   env={**os.environ, **env_extra}, capture_output=True)
    return time.perf_counter() - start


def track_first_fit_cold_compile():
    """Seconds for import + a default fit with an empty Numba cache."""
    with tempfile.TemporaryDirectory() as tmp:
        return _fresh_process_seconds({"NUMBA_CACHE_DIR": tmp})


track_first_fit_cold_compile.unit = "seconds"
track_first_fit_cold_compile.timeout = 300


def track_first_fit_warm_cache():
    """Seconds for import + a default fit with the Numba cache warm."""
    _fresh_process_seconds({})
    return _fresh_process_seconds({})


track_first_fit_warm_cache.unit = "seconds"

"""fastlogreg: logistic regression for large data with fused Numba kernels.

``LogisticRegression`` is a drop-in for scikit-learn's; ``fit`` is the
functional API for binary problems; ``reference`` is the plain NumPy oracle
the kernels are tested against.
"""

from . import reference
from .functional import FitResult, fit
from .solvers import DivergenceWarning


def __getattr__(name: str):
    # LogisticRegression needs scikit-learn's base classes, whose import takes
    # most of a second: load them when the estimator is first asked for, so that
    # `import fastlogreg` and the functional `fit` stay quick.
    if name == "LogisticRegression":
        from .estimator import LogisticRegression

        return LogisticRegression
    raise AttributeError(f"module 'fastlogreg' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)


__all__ = ["DivergenceWarning", "FitResult", "LogisticRegression", "fit", "reference"]
__version__ = "0.1.0"

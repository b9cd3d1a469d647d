"""fastlogreg: logistic regression for large data with fused Numba kernels.

``LogisticRegression`` is a drop-in for scikit-learn's; ``fit`` is the
functional API for binary problems; ``reference`` is the plain NumPy oracle
the kernels are tested against.
"""

from . import reference
from .estimator import LogisticRegression
from .functional import FitResult, fit
from .persistence import load_model, save_model
from .plotting import plot_history
from .solvers import DivergenceWarning

__all__ = [
    "DivergenceWarning",
    "FitResult",
    "LogisticRegression",
    "fit",
    "load_model",
    "plot_history",
    "reference",
    "save_model",
]
__version__ = "0.1.0"

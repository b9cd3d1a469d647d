"""fastlogreg: logistic regression for large data with fused Numba kernels.

``LogisticRegression`` is a drop-in for scikit-learn's; ``fit`` is the
functional API for binary problems; ``reference`` is the plain NumPy oracle
the kernels are tested against; ``save_model``/``load_model`` write and read
single-file models without pickle; ``plot_history`` draws a training history.
"""

from importlib import import_module

from . import _threading

# before any kernel loads: a thread-safe threading layer (see _threading)
_threading.select_layer()

from . import reference  # noqa: E402
from .functional import FitResult, fit  # noqa: E402
from .plotting import plot_history  # noqa: E402
from .solvers import DivergenceWarning  # noqa: E402

# These need scikit-learn's base classes, whose import takes most of a second:
# they load when first asked for, so that `import fastlogreg` and the
# functional `fit` stay quick.
_LAZY = {
    "LogisticRegression": ".estimator",
    "LogisticRegressionCV": ".cv",
    "logistic_regression_path": ".cv",
    "load_model": ".persistence",
    "save_model": ".persistence",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'fastlogreg' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)


__all__ = [
    "DivergenceWarning",
    "FitResult",
    "LogisticRegression",
    "LogisticRegressionCV",
    "fit",
    "load_model",
    "logistic_regression_path",
    "plot_history",
    "reference",
    "save_model",
]
__version__ = "0.1.0"

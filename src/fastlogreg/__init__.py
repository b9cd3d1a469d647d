"""fastlogreg: logistic regression for large data with fused Numba kernels.

``fit`` trains binary logistic regression; ``reference`` is the plain NumPy
oracle the kernels are tested against.
"""

from . import reference
from .functional import FitResult, fit
from .solvers import DivergenceWarning

__all__ = ["DivergenceWarning", "FitResult", "fit", "reference"]
__version__ = "0.1.0"

"""Numba kernels: explicit loops over arrays, no validation and no policy.

Callers (``fastlogreg.solvers``) pass validated, contiguous arrays of the
documented dtypes; see ``dense`` for the output conventions.
"""

from . import dense

__all__ = ["dense"]

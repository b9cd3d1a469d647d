"""Numba kernels: explicit loops over arrays, no validation and no policy.

Callers (``fastlogreg.solvers``) pass validated, contiguous arrays of the
documented dtypes; see ``dense`` for the output conventions.
"""

from numba.np.ufunc.parallel import _launch_threads

# Start Numba's threading layer before any kernel runs. A cached serial
# function that calls a parallel one (loss_grad -> _pass_parallel) does not
# start it when loaded from the cache (numba#8578, numba#9938), and its first
# prange then calls a null pointer: a segfault that depends on which process
# compiled which cache entry (reproduced here with 21 processes sharing one
# NUMBA_CACHE_DIR). Costs about 20 ms at import.
_launch_threads()

from . import dense  # noqa: E402

__all__ = ["dense"]

"""Numba kernels: explicit loops over arrays, no validation and no policy.

Callers (the sources, ``fastlogreg.sources``) pass validated, contiguous arrays
of the documented dtypes; :mod:`.layout` holds what the kernels share: the
partial row of a pass, block sizing, the per-row math, and how the serial or
the parallel pass is chosen.
"""

from numba.np.ufunc.parallel import _launch_threads

# Start Numba's threading layer before any kernel runs. A cached serial
# function that calls a parallel one (loss_grad -> _pass_parallel) does not
# start it when loaded from the cache (numba#8578, numba#9938), and its first
# prange then calls a null pointer: a segfault that depends on which process
# compiled which cache entry (tests/test_kernels_dense.py::
# test_kernels_loaded_from_a_shared_cache_do_not_crash reproduces it with 21
# processes sharing one NUMBA_CACHE_DIR).
_launch_threads()

from . import dense  # noqa: E402

__all__ = ["dense"]

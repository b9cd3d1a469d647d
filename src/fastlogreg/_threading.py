"""Numba's threading layer: a thread-safe one by default, a lock where there is none.

fastlogreg promises that fits (and predictions) in several Python threads at
once are safe. Numba's parallel passes run on its threading layer, and only
two of its three layers may be entered from several threads at once: TBB and
OpenMP. The third, ``workqueue``, aborts the whole process (SIGABRT, "Concurrent
access has been detected") when two threads launch a parallel region at the
same time.

So, before any kernel loads (``fastlogreg/__init__.py`` calls
:func:`select_layer` first):

* if the user has not chosen a layer (no ``NUMBA_THREADING_LAYER`` in the
  environment, ``numba.config.THREADING_LAYER`` still ``"default"``), Numba is
  asked for a ``"threadsafe"`` one (TBB, else OpenMP); where neither is
  installed it falls back to Numba's default, which is then ``workqueue``;
* whatever layer is running, :func:`exclusive` is the context every public
  entry point that may run a parallel kernel holds: nothing under TBB or
  OpenMP, one process-wide lock under ``workqueue``, so that concurrent fits
  there run one at a time instead of crashing
  (``tests/test_threading.py::test_concurrent_fits_under_workqueue``).

A user's explicit choice (``NUMBA_THREADING_LAYER=workqueue``, for instance
for fork safety) is kept.
"""

from __future__ import annotations

import contextlib
import os
import threading

__all__ = ["exclusive", "layer", "select_layer"]

_LOCK = threading.RLock()


def select_layer() -> None:
    """Start Numba's threading layer, preferring a thread-safe one (see above)."""
    from numba.core import config
    from numba.np.ufunc.parallel import _launch_threads

    user_chose = ("NUMBA_THREADING_LAYER" in os.environ
                  or str(config.THREADING_LAYER).lower() != "default")
    if not user_chose:
        config.THREADING_LAYER = "threadsafe"
        try:
            _launch_threads()
            return
        except ValueError:  # "No threading layer could be loaded": no TBB, no OpenMP
            config.THREADING_LAYER = "default"
    _launch_threads()


def layer() -> str:
    """The name of the threading layer in use (``"omp"``, ``"tbb"``, ``"workqueue"``)."""
    import numba

    return numba.threading_layer()


def exclusive():
    """A context to hold while parallel kernels run: a process-wide re-entrant
    lock under ``workqueue``, nothing under a thread-safe layer."""
    return _LOCK if layer() == "workqueue" else contextlib.nullcontext()

"""Dask arrays: every pass runs chunk by chunk where the chunks live.

X, y and the weights are persisted once (on the cluster of the active
``dask.distributed`` client, or in the local process under Dask's default
scheduler), bundled per row chunk so that each chunk's rows, labels and
weights sit on one worker. A pass is one task per chunk running the serial
in-memory kernel where the chunk lives (Dask runs the chunks in parallel),
whose coefficient-sized sums are added pairwise in a tree of tasks; only the
final sums come back to the client. The coefficients go out with the tasks.
So a pass reads each chunk once, and what travels is about ``2 n_chunks``
vectors of ``n_params + 5`` floats plus the scheduler's messages: kilobytes,
whatever the number of rows.
"""

from __future__ import annotations

import numpy as np

from ..kernels import dense, multinomial
from .base import Source

__all__ = ["DaskArrays", "import_dask", "is_dask_array"]


def is_dask_array(a) -> bool:
    """True for a ``dask.array.Array`` (without importing Dask)."""
    return any(c.__module__.startswith("dask.array") and c.__name__ == "Array"
               for c in type(a).__mro__)


def import_dask():
    """``(dask, dask.array)``, or an ImportError that says how to install them."""
    try:
        import dask
        import dask.array as da
    except ImportError as exc:
        raise ImportError(
            "Dask arrays need the optional Dask dependencies: "
            "pip install 'fastlogreg[dask]'") from exc
    return dask, da


# --- what runs on the workers (module-level, so tasks pickle by reference) -------

def _readable(X):
    # a chunk of any Dask array: kernels read float32/float64, C or F order
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    if not (X.flags.c_contiguous or X.flags.f_contiguous):
        X = np.ascontiguousarray(X)
    return X


def _bundle(X, y, sw):
    # one key per chunk holding its rows, labels and weights: a pass's task then
    # depends on one key, which lives where X's chunk lives, and moves nothing
    return _readable(X), y, sw


def _binary_chunk(part, w, b, need_loss):
    X, y, sw = part
    total = np.zeros(X.shape[1] + 5)
    dense.add_partials(X, y, sw, w, b, False, total, need_loss)
    return total


def _multinomial_chunk(part, W, b):
    X, y, sw = part
    total = np.zeros(W.size + W.shape[0] + 3)
    multinomial.add_partials(X, y, sw, W, b, False, total)
    return total


def _sq_norm_chunk(part):
    X, _, sw = part
    return dense.weighted_sq_norm_sum(X, sw)


def _add(a, b):
    return a + b


class DaskArrays(Source):
    """Row-chunked ``dask.array`` X (any number of column chunks is merged into
    one) with ``y`` and ``sample_weight`` as Dask or NumPy arrays."""

    def __init__(self, X, y, sample_weight):
        dask, da = import_dask()
        from dask import delayed

        X = X.rechunk({1: -1}) if X.numblocks[1] > 1 else X
        rows = X.chunks[0]
        y = _aligned(da, y, rows)
        sample_weight = _aligned(da, sample_weight, rows)
        self.X, self.y, self.sample_weight = dask.persist(X, y, sample_weight)
        self.n_samples, self.n_features = X.shape
        parts = zip(self.X.to_delayed().ravel(), self.y.to_delayed().ravel(),
                    self.sample_weight.to_delayed().ravel(), strict=True)
        self._parts = dask.persist(*(delayed(_bundle)(*p) for p in parts))
        self._weight = None

    def _reduce(self, func, *args):
        """``func((X_c, y_c, sw_c), *args)`` on every chunk, summed in a tree of tasks."""
        from dask import delayed

        parts = [delayed(func, pure=False)(part, *args) for part in self._parts]
        while len(parts) > 1:
            parts = [delayed(_add, pure=False)(*parts[i:i + 2]) if i + 1 < len(parts)
                     else parts[i] for i in range(0, len(parts), 2)]
        return parts[0].compute()

    def binary_sums(self, w, b, need_loss):
        return self._reduce(_binary_chunk, w, float(b), need_loss)

    def multinomial_sums(self, W, b):
        return self._reduce(_multinomial_chunk, W, b)

    def sq_norm_sum(self):
        return float(self._reduce(_sq_norm_chunk))

    def weight_sum(self):
        if self._weight is None:
            self._weight = float(self.sample_weight.sum().compute())
        return self._weight

    def sample_rows(self, rows):
        import dask

        Xs, s = dask.compute(self.X[rows], self.sample_weight[rows])
        return np.asarray(Xs, dtype=np.float64), np.asarray(s, dtype=np.float64)

    def describe(self):
        return "a Dask array"


def _aligned(da, a, rows):
    """``a`` as a float64 Dask array chunked like X's rows."""
    if not is_dask_array(a):
        a = da.from_array(np.asarray(a, dtype=np.float64), chunks=(rows,))
    elif a.dtype != np.float64:
        a = a.astype(np.float64)
    return a.rechunk((rows,)) if a.chunks[0] != rows else a

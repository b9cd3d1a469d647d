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

from ..kernels import dense, multinomial, newton
from ..kernels.layout import binary_width, multinomial_width
from .base import Source

__all__ = ["DaskArrays", "import_dask", "is_dask_array", "prepare_dask"]


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
    total = np.zeros(binary_width(X.shape[1]))
    dense.add_partials(X, y, sw, w, b, False, total, need_loss)
    return total


def _multinomial_chunk(part, W, b):
    X, y, sw = part
    total = np.zeros(multinomial_width(*W.shape))
    multinomial.add_partials(X, y, sw, W, b, False, total)
    return total


def _sq_norm_chunk(part):
    X, _, sw = part
    return dense.weighted_sq_norm_sum(X, sw)


def _hessp_chunk(part, W, b, V, c):
    X, _, sw = part
    total = np.zeros(W.size + np.size(b))
    if W.ndim == 1:
        newton.binary_hessp(X, sw, W, b, V, c, False, total)
    else:
        newton.multinomial_hessp(X, sw, W, b, V, c, False, total)
    return total


def _hessian_chunk(part, W, b):
    """A chunk's Hessian sums and partial row, flat (so that _add sums them)."""
    X, y, sw = part
    if W.ndim == 1:
        total, H = newton.binary_hessian_zeros(W.shape[0])
        newton.binary_hessian(X, y, sw, W, b, False, total, H)
    else:
        total, H = newton.multinomial_hessian_zeros(*W.shape)
        newton.multinomial_hessian(X, y, sw, W, b, False, total, H)
    return np.concatenate([total, H.ravel()])


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

    def binary_hessp_sums(self, w, b, v, c):
        return self._reduce(_hessp_chunk, w, float(b), v, float(c))

    def multinomial_hessp_sums(self, W, b, V, c):
        return self._reduce(_hessp_chunk, W, b, V, c)

    def binary_hessian_sums(self, w, b):
        flat = self._reduce(_hessian_chunk, w, float(b))
        n = w.shape[0] + 1
        return flat[:-n * n], flat[-n * n:].reshape(n, n)

    def multinomial_hessian_sums(self, W, b):
        flat = self._reduce(_hessian_chunk, W, b)
        n = W.size + W.shape[0]
        return flat[:-n * n], flat[-n * n:].reshape(n, n)

    def describe(self):
        return "a Dask array"


def prepare_dask(X, y, sample_weight=None, class_weight=None, *, solver: str = "lbfgs",
                 early_stopping: bool = False):
    """Validate Dask ``X``, ``y`` (and weights) on the cluster, ``y`` lazily encoded.

    One computation checks every value and finds the classes; nothing of the
    size of X comes back to the client. ``y`` and ``sample_weight`` may be
    Dask or NumPy arrays; ``class_weight`` is scikit-learn's (None, a dict or
    ``"balanced"``), applied to the weights as a lazy product. ``solver`` and
    ``early_stopping`` are the estimator's: those that cannot read Dask data
    are refused before any work.

    Returns
    -------
    X : dask.array.Array
        float32/float64, row-chunked as given.
    y_index : dask.array.Array
        Every label's class index as float64, chunked like X's rows.
    classes : numpy.ndarray
        The sorted distinct labels (a single class is returned as is: the
        caller decides whether it can fit one).
    weight : dask.array.Array
        float64 sample weights times class weights, chunked like X's rows.
    n_features : int

    Raises
    ------
    ValueError
        For ``solver="sgd"``, ``early_stopping``, X not 2-D or of unknown
        chunk sizes, y not 1-D with one label per row, ``sample_weight`` of
        the wrong shape, non-finite X, or negative or non-finite weights.
    TypeError
        When X is not a Dask array or does not hold real numbers.
    """
    from sklearn.utils.multiclass import check_classification_targets

    from .._validation import class_weights

    dask, da = import_dask()
    if solver == "sgd":
        raise ValueError("solver='sgd' shuffles rows in memory and does not take "
                         "Dask arrays; use solver='lbfgs', 'gd' or 'nesterov'.")
    if early_stopping:
        raise ValueError("early_stopping does not take Dask arrays; hold out a "
                         "validation set yourself and use the callback.")
    if not is_dask_array(X):
        raise TypeError("y is a Dask array but X is not; pass X as a Dask array "
                        "too (dask.array.from_array), or y in memory.")
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features); got {X.ndim}-D "
                         f"Dask array of shape {X.shape}.")
    if any(np.isnan(c) for c in X.shape):
        raise ValueError("X has unknown chunk sizes; call X.compute_chunk_sizes() "
                         "first.")
    if X.dtype.kind not in "biuf":
        raise TypeError(f"X must hold real numbers; got dtype {X.dtype}.")
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    n = X.shape[0]
    rows = X.chunks[0]
    y = y if is_dask_array(y) else da.from_array(np.asarray(y), chunks=(rows,))
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"y must be 1-D with one label per row of X ({n}); got "
                         f"shape {y.shape}.")
    if sample_weight is None:  # made from X's chunks, so where they live
        weight = X[:, 0].map_blocks(lambda c: np.ones(c.shape[0]), dtype=np.float64)
    else:
        weight = (sample_weight if is_dask_array(sample_weight)
                  else da.from_array(np.asarray(sample_weight, dtype=np.float64),
                                     chunks=(rows,)))
        if weight.shape != (n,):
            raise ValueError(f"sample_weight must have shape ({n},); got "
                             f"{weight.shape}.")
    y, weight = y.rechunk((rows,)), weight.rechunk((rows,))  # chunked like X
    classes, bad_x, bad_w = dask.compute(
        da.unique(y), ~da.isfinite(X).all(),
        ~(da.isfinite(weight) & (weight >= 0)).all())
    if bad_x:
        raise ValueError("X contains NaN or infinity; remove or clip those values.")
    if bad_w:
        raise ValueError("sample_weight must be finite and >= 0.")
    if classes.dtype.kind == "f" and np.any(classes != np.round(classes)):
        check_classification_targets(classes)
    y_index = y.map_blocks(
        lambda b: np.searchsorted(classes, b).astype(np.float64), dtype=np.float64)
    if class_weight is not None and classes.size >= 2:
        counts = da.bincount(y_index.astype(np.intp), weights=weight,
                             minlength=classes.size).compute()
        # the weighted class counts stand in for y: the same formula as fit's
        cw = class_weights(class_weight, classes, classes, counts)
        weight = weight * y_index.map_blocks(lambda i: cw[i.astype(np.intp)],
                                             dtype=np.float64)
    return X, y_index, classes, weight, int(X.shape[1])


def _aligned(da, a, rows):
    """``a`` as a float64 Dask array chunked like X's rows."""
    if not is_dask_array(a):
        a = da.from_array(np.asarray(a, dtype=np.float64), chunks=(rows,))
    elif a.dtype != np.float64:
        a = a.astype(np.float64)
    return a.rechunk((rows,)) if a.chunks[0] != rows else a

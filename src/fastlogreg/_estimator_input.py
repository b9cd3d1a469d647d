"""scikit-learn's validation of :class:`~fastlogreg.LogisticRegression`'s input.

The estimator validates once, here, then trains through
:func:`fastlogreg.training.fit_path`: :func:`fit_input` for ``fit``,
:func:`validate_X` for ``partial_fit`` and the predictions. Each error keeps
scikit-learn's words where scikit-learn has the same condition; the tests that
raise them are in ``tests/test_estimator.py`` and ``tests/test_validation.py``.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import _check_sample_weight, validate_data

from . import _mapping
from ._validation import check_finite, class_weights, encode_labels
from .sources.dask_arrays import is_dask_array, prepare_dask
from .sources.sparse import is_sparse

__all__ = ["fit_input", "sample_weights", "validate_X"]


def validate_X(estimator, X, *, reset: bool, y="no_validation"):
    """scikit-learn's validation, keeping float32/float64 and the memory layout.

    Parameters
    ----------
    estimator : LogisticRegression
        Receives ``n_features_in_`` (and ``feature_names_in_``) when ``reset``.
    X : array-like, sparse matrix or memory map
        The rows.
    reset : bool
        True for ``fit`` and a first ``partial_fit``; False checks X against
        the fitted features.
    y : array-like, None or "no_validation"
        As scikit-learn's ``validate_data`` takes it: left out for
        prediction; for ``fit`` even None is passed on, so that a missing
        target gets scikit-learn's own error.

    Returns
    -------
    X : ndarray or scipy.sparse.csr_matrix
        float32/float64, C or F order (a non-contiguous X is copied), or
        canonical CSR.
    y : ndarray or str
        The validated labels (``y`` as given when left out).
    """
    dtype = getattr(X, "dtype", None)  # arrays only: never converts X to look
    if isinstance(dtype, np.dtype) and dtype.kind == "c":  # scikit-learn's words
        raise ValueError("Complex data not supported: X must hold real numbers; "
                         f"got dtype {dtype}.")
    # A memory-mapped X gets the chunked finiteness check, which keeps the
    # file from becoming resident (scikit-learn's reads it whole).
    mapped = _mapping.mapping_of(X) is not None
    # Sparse input becomes CSR (other formats are converted once, a copy).
    kwargs = dict(dtype=[np.float64, np.float32], order=None, accept_sparse="csr",
                  reset=reset, ensure_all_finite=not mapped)
    if reset and estimator.solver in ("liblinear", "sag", "saga"):
        # scikit-learn's rule for these names (its C code is 32-bit); our
        # kernels read 64-bit indices for every other solver
        kwargs["accept_large_sparse"] = False
    if isinstance(y, str) and y == "no_validation":
        X = validate_data(estimator, X, **kwargs)
    else:
        X, y = validate_data(estimator, X, y, **kwargs)
    if is_sparse(X):
        if not X.has_canonical_format:  # repeated entries: summed, in a copy
            X = X.copy()
            X.sum_duplicates()
        return X, y
    if not (X.flags.c_contiguous or X.flags.f_contiguous):
        X = np.ascontiguousarray(X)
    if mapped:
        check_finite(X, "X")
    return X, y


def sample_weights(class_weight, X, y, y_index: np.ndarray, classes: np.ndarray,
                   sample_weight) -> np.ndarray:
    """Sample weights times class weights, as a new float64 array.

    Parameters
    ----------
    class_weight : dict, "balanced" or None
        scikit-learn's ``class_weight``.
    X : ndarray or sparse matrix
        The validated rows (for the number of samples).
    y : ndarray
        The labels.
    y_index : ndarray
        Their class indices.
    classes : ndarray
        The sorted classes.
    sample_weight : array-like or None
        Non-negative weights of the rows.

    Returns
    -------
    ndarray of shape (n_samples,)
        The weights of the rows, float64.
    """
    weight = _check_sample_weight(sample_weight, X, dtype=np.float64, copy=True,
                                  ensure_non_negative=True)
    if class_weight is not None:
        weight *= class_weights(class_weight, classes, y, weight)[y_index.astype(np.intp)]
    return weight


def fit_input(estimator, X, y, sample_weight):
    """Everything ``fit`` checks of its parameters and data, before any training.

    Sets the estimator's ``classes_`` (early, as scikit-learn: the fitted
    copies its callbacks take read it) and ``n_features_in_``.

    Parameters
    ----------
    estimator : LogisticRegression
        The estimator being fitted.
    X : array-like, sparse matrix, memory map or Dask array
        The rows.
    y : array-like or Dask array
        The labels.
    sample_weight : array-like or None
        Non-negative weights of the rows.

    Returns
    -------
    X : ndarray, sparse matrix or Dask array
        The validated rows.
    y : ndarray or Dask array
        The validated labels.
    y_index : ndarray or Dask array
        Their class indices, float64.
    weight : ndarray or Dask array
        Sample times class weights, float64.
    """
    if estimator.n_jobs == 0:
        raise ValueError("n_jobs must be a positive number of threads, -1 or None; "
                         "got 0.")
    if is_dask_array(X) or is_dask_array(y):
        X, y_index, classes, weight, estimator.n_features_in_ = prepare_dask(
            X, y, sample_weight, estimator.class_weight, solver=estimator.solver,
            early_stopping=estimator.early_stopping)
        estimator.__dict__.pop("feature_names_in_", None)
    else:
        X, y = validate_X(estimator, X, reset=True, y=y)
        classes, y_index = encode_labels(y)
    estimator.classes_ = classes
    liblinear = estimator.solver == "liblinear"
    if liblinear and classes.size > 2:
        raise ValueError(
            "The 'liblinear' solver does not support multiclass classification "
            "(n_classes >= 3). Either use another solver or wrap the estimator in "
            "a OneVsRestClassifier to keep applying a one-versus-rest scheme. Only "
            "binary classification is supported.")
    if liblinear and not is_sparse(X) and X.size and np.max(X) > 1e30:
        raise ValueError(
            "Using the 'liblinear' solver while X contains a maximum value > 1e30 "
            "results in a frozen fit. Please choose another solver or rescale the "
            "input X.")
    if classes.size < 2:
        raise ValueError(
            "This solver needs samples of at least 2 classes in the data, but the "
            f"data contains only one class: {classes[0]!r}")
    if not is_dask_array(X):
        weight = sample_weights(estimator.class_weight, X, y, y_index, classes,
                                sample_weight)
    return X, y, y_index, weight

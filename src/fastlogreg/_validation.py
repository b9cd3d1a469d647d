"""Every check and conversion of user input, with messages that name the fix.

Everything here runs before any training work. Nothing here writes to a
caller's array: conversions make new arrays, and arrays already in a form the
kernels read (float32/float64, C- or F-contiguous) are passed through
untouched, never copied.
"""

from __future__ import annotations

import numbers

import numpy as np

from . import _mapping

__all__ = [
    "check_X",
    "check_binary_y",
    "check_csr_indices",
    "check_finite",
    "check_float_dtype",
    "check_int",
    "check_real",
    "check_sample_weight",
    "check_vector",
    "class_weights",
    "encode_labels",
]

# Row chunk for the slow path of the finiteness check, bounding its boolean
# temporary to a few MB whatever the size of X.
_FINITE_CHUNK_ELEMENTS = 1 << 22


def _as_numeric(a, name: str) -> np.ndarray:
    if hasattr(a, "tocsr") or hasattr(a, "toarray"):
        raise TypeError(
            f"{name} is a sparse matrix; fastlogreg.fit trains on dense arrays only. "
            "fastlogreg.LogisticRegression reads CSR matrices in place; or pass "
            f"{name}.toarray() if it fits in memory."
        )
    try:
        arr = np.asarray(a)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers: {exc}") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{name} must hold real numbers (bool, int or float); got dtype "
            f"{arr.dtype}. Encode strings or categories as numbers first."
        )
    return arr


def check_finite(arr: np.ndarray, name: str) -> None:
    """Raise if ``arr`` holds NaN or inf; one read of the data, no large temporary.

    A memory-mapped array larger than a chunk is read in row chunks whose
    pages are released after each (:mod:`._mapping`), so that checking a file
    does not make it resident.
    """
    if arr.dtype.kind != "f" or arr.size == 0:
        return
    if _mapping.read_in_chunks(arr):
        for _, _, chunk in _mapping.chunks(arr):
            _check_finite(chunk, name)
        return
    _check_finite(arr, name)


def _check_finite(arr: np.ndarray, name: str) -> None:
    if arr.dtype.kind != "f" or arr.size == 0:
        return
    # Fast path (as scikit-learn's): the sum is finite iff every element is,
    # unless finite values overflow it, which the slow path then sorts out.
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.sum(arr)):
            return
    flat = arr.ravel(order="K")  # a view for C- and F-contiguous arrays (a copy
    # of a row chunk of F-ordered X: chunk-sized)
    for lo in range(0, flat.size, _FINITE_CHUNK_ELEMENTS):
        chunk = flat[lo:lo + _FINITE_CHUNK_ELEMENTS]
        if np.isnan(chunk).any():
            raise ValueError(f"{name} contains NaN; remove or impute missing values.")
        if np.isinf(chunk).any():
            raise ValueError(f"{name} contains infinity; remove or clip those values.")


def check_X(X, *, n_features: int | None = None) -> np.ndarray:
    """Return ``X`` as a 2-D float32/float64 array the kernels read in place.

    float32 and float64 arrays that are C- or F-contiguous are returned as they
    are (same object, no copy). Integer and bool data become float64, float16
    becomes float32, and non-contiguous views are copied to C order.

    Raises
    ------
    TypeError
        Non-numeric, complex or sparse input.
    ValueError
        Not 2-D, empty, NaN/inf, or a feature count other than ``n_features``.
    """
    arr = _as_numeric(X, "X")
    if arr.ndim != 2:
        hint = " Use X.reshape(-1, 1) for a single feature." if arr.ndim == 1 else ""
        raise ValueError(
            f"X must be 2-D (n_samples, n_features); got {arr.ndim}-D array of "
            f"shape {arr.shape}.{hint}"
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(
            f"X is empty (shape {arr.shape}); it needs at least one sample and "
            "one feature."
        )
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(
            f"X has {arr.shape[1]} features, but the model was fitted with "
            f"{n_features}."
        )
    check_float_dtype(arr.dtype, "X")
    if arr.dtype == np.float16:
        arr = arr.astype(np.float32)
    elif arr.dtype.kind != "f":
        arr = arr.astype(np.float64)
    if not (arr.flags.c_contiguous or arr.flags.f_contiguous):
        arr = np.ascontiguousarray(arr)
    check_finite(arr, "X")
    return arr


def _check_1d(a, name: str, length: int, of: str) -> np.ndarray:
    arr = _as_numeric(a, name)
    if arr.ndim != 1:
        hint = f" Use {name}.ravel() for a column vector." if arr.ndim == 2 else ""
        raise ValueError(f"{name} must be 1-D; got shape {arr.shape}.{hint}")
    if arr.shape[0] != length:
        raise ValueError(
            f"{name} has {arr.shape[0]} entries but X has {length} {of}; "
            "they must match."
        )
    return arr


def check_vector(a, name: str, length: int, *, of: str = "samples") -> np.ndarray:
    """Return ``a`` as a finite 1-D numeric array of ``length`` entries.

    ``of`` names what the length counts in the message ("X has 5 samples").
    """
    arr = _check_1d(a, name, length, of)
    check_finite(arr, name)
    return arr


def check_binary_y(y, n_samples: int) -> np.ndarray:
    """Return binary labels as float64 0/1, refusing anything else."""
    arr = _check_1d(y, "y", n_samples, "samples")
    # Two counts instead of np.unique's sort: on the notebook's small data the
    # sort was a visible share of the whole fit. Labels that are all 0 or 1
    # are finite, so the NaN check and np.unique only build the error messages.
    ones = np.count_nonzero(arr == 1)
    zeros = np.count_nonzero(arr == 0)
    if ones and zeros and ones + zeros == arr.shape[0]:
        return arr.astype(np.float64)
    check_finite(arr, "y")
    values = np.unique(arr)
    if not np.isin(values, (0, 1)).all():
        shown = ", ".join(str(v) for v in values[:5]) + (", ..." if values.size > 5 else "")
        raise ValueError(
            f"y must hold binary labels 0 and 1; got values {shown}. Encode "
            "labels as 0/1 (or use fastlogreg.LogisticRegression, which "
            "accepts any two labels)."
        )
    if values.size < 2:
        raise ValueError(
            f"y holds one class only ({int(values[0])}); training needs samples "
            "of both classes 0 and 1."
        )
    return arr.astype(np.float64)


def check_sample_weight(sample_weight, n_samples: int) -> np.ndarray:
    """Return float64 weights (ones when ``None``): finite, >= 0, positive sum."""
    if sample_weight is None:
        return np.ones(n_samples)
    arr = check_vector(sample_weight, "sample_weight", n_samples).astype(np.float64)
    if (arr < 0).any():
        raise ValueError("sample_weight must be >= 0; got negative weights.")
    if not arr.sum() > 0:
        raise ValueError("sample_weight sums to 0; at least one weight must be > 0.")
    return arr


def check_real(value, name: str, *, low: float = -np.inf, high: float = np.inf,
               low_open: bool = False) -> float:
    """Return ``value`` as a finite float in ``[low, high]`` (``(low, high]`` if
    ``low_open``), else raise ``TypeError``/``ValueError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {value!r}.")
    value = float(value)
    bad_low = value <= low if low_open else value < low
    if not np.isfinite(value) or bad_low or value > high:
        bound = f"> {low}" if low_open else f">= {low}"
        if np.isfinite(high):
            bound += f" and <= {high}"
        raise ValueError(f"{name} must be finite and {bound}; got {value!r}.")
    return value


def check_int(value, name: str, *, low: int, high: int | None = None) -> int:
    """Return ``value`` as an int in ``[low, high]``, else raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer; got {value!r}.")
    value = int(value)
    if value < low or (high is not None and value > high):
        bound = f">= {low}" if high is None else f"between {low} and {high}"
        raise ValueError(f"{name} must be {bound}; got {value}.")
    return value


def check_float_dtype(dtype, name: str) -> None:
    """Refuse float dtypes the kernels cannot read and a silent cast would change.

    Long double (``np.longdouble``, 80 or 128 bits) would lose precision in a
    float64 copy, and Numba has no kernels for it: a ``TypeError`` that says
    how to convert, instead of Numba's typing error
    (``tests/test_validation.py::test_long_double_is_refused_by_name``).
    """
    dtype = np.dtype(dtype)
    if dtype.kind == "f" and dtype.itemsize > 8:
        raise TypeError(
            f"{name} has dtype {dtype} (long double), which fastlogreg cannot read; "
            f"convert it with {name}.astype(np.float64) (which rounds to float64).")


def check_csr_indices(indices: np.ndarray, indptr: np.ndarray, n_rows: int,
                      n_features: int, name: str = "X") -> None:
    """Refuse a CSR structure that the compiled passes would read out of bounds.

    The kernels index the coefficients by ``indices`` and the rows by
    ``indptr`` without bounds checks, so a column index of -1 or
    ``>= n_features`` would read or write outside an array (a segfault, or
    silently wrong sums). One vectorised pass over ``indices``: about a tenth
    of a fused pass (``tests/test_validation.py::test_csr_index_out_of_range``).
    """
    if indptr.ndim != 1 or indptr.shape[0] != n_rows + 1:
        raise ValueError(f"{name} is a malformed CSR matrix: indptr has shape "
                         f"{indptr.shape}, expected ({n_rows + 1},).")
    if indices.ndim != 1 or indptr.dtype.kind not in "iu" or indices.dtype.kind not in "iu":
        raise ValueError(f"{name} is a malformed CSR matrix: indices and indptr must be "
                         "1-D integer arrays.")
    nnz = indices.shape[0]
    if n_rows and (int(indptr[0]) != 0 or int(indptr[-1]) > nnz
                   or (np.diff(indptr) < 0).any()):
        raise ValueError(f"{name} is a malformed CSR matrix: indptr must start at 0, "
                         f"never decrease and end at most at nnz={nnz}.")
    used = indices[:int(indptr[-1])] if n_rows else indices[:0]
    if used.size and (int(used.min()) < 0 or int(used.max()) >= n_features):
        bad = int(used.min()) if int(used.min()) < 0 else int(used.max())
        raise ValueError(
            f"{name} is a malformed CSR matrix: column index {bad} is out of range for "
            f"{n_features} features (0 to {n_features - 1}); fix it, or check it with "
            f"{name}.check_format(full_check=True).")


def encode_labels(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``classes_`` (sorted, in ``y``'s dtype) and every label's class index (float64).

    Integer labels spanning fewer than 2**16 values are encoded by counting
    (O(n)); the span is computed in Python integers, so that uint64 labels
    near 2**64 (or int64 ones near both ends) neither overflow nor wrap
    (``tests/test_validation.py::test_encode_labels_near_the_uint64_limit``).
    Float labels must be whole numbers; anything else goes through
    scikit-learn's ``check_classification_targets`` (its own error).
    """
    from sklearn.utils.multiclass import check_classification_targets

    y = np.asarray(y)
    if y.dtype.kind in "iub":
        if y.size:
            low, high = int(y.min()), int(y.max())
            if high - low < _COUNTING_SPAN:
                # shift in a type that holds y - low exactly: y's own unsigned
                # type (y >= low), int64 for signed y (|y - low| < 2**16)
                if y.dtype.kind == "u":
                    shifted = (y - y.dtype.type(low)).astype(np.intp)
                else:
                    shifted = (y.astype(np.int64) - low).astype(np.intp)
                present = np.flatnonzero(np.bincount(shifted, minlength=high - low + 1))
                lookup = np.zeros(high - low + 1)
                lookup[present] = np.arange(present.size)
                if y.dtype.kind == "u":
                    classes = present.astype(y.dtype) + y.dtype.type(low)
                else:
                    classes = (present.astype(np.int64) + low).astype(y.dtype)
                return classes, lookup[shifted]
    elif y.dtype.kind == "f":
        classes = np.unique(y)
        if np.any(classes != np.round(classes)):
            check_classification_targets(y)  # raises scikit-learn's own error
        return classes, np.searchsorted(classes, y).astype(np.float64)
    else:
        check_classification_targets(y)
    classes = np.unique(y)
    return classes, np.searchsorted(classes, y).astype(np.float64)


# Integer labels spanning fewer values than this are encoded by counting
# (O(n)) instead of sorting (O(n log n)).
_COUNTING_SPAN = 1 << 16


def class_weights(class_weight, classes: np.ndarray, y, sample_weight=None) -> np.ndarray:
    """scikit-learn's per-class weights (``compute_class_weight``), checked.

    ``y`` holds the labels (or, for data that stays where it lives, ``classes``
    with their weighted counts as ``sample_weight``: the same formula). Every
    weight must be finite and non-negative, as sample weights must: a NaN or a
    negative entry of a ``class_weight`` dict is named here, before any work
    (``tests/test_properties.py::test_negative_class_weights_are_refused``).
    """
    from sklearn.utils.class_weight import compute_class_weight

    cw = compute_class_weight(class_weight, classes=classes, y=y,
                              sample_weight=sample_weight)
    bad = ~(np.isfinite(cw) & (cw >= 0))
    if bad.any():
        raise ValueError(
            "class_weight must be finite and >= 0 for every class; got "
            f"{dict(zip(classes[bad].tolist(), cw[bad].tolist(), strict=True))}.")
    return cw

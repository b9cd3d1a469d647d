"""Reading the command line's data files: CSV, ``.npy``, ``.npz`` and Parquet.

The format is chosen by the file's extension. CSV is read with pandas when it
is installed (then the estimator keeps the column names as
``feature_names_in_`` and ``predict`` picks the columns by name), else with
NumPy; Parquet needs pandas and pyarrow. Every problem with a file is a
:class:`DataError` (a ``ValueError``) whose message names the file and the fix.
"""

from __future__ import annotations

import csv
import os
import zipfile
from pathlib import Path

import numpy as np

__all__ = ["DataError", "read_features", "read_training_data"]

FORMATS = {".csv": "csv", ".npy": "npy", ".npz": "npz", ".parquet": "parquet",
           ".pq": "parquet"}


class DataError(ValueError):
    """A data file the command line cannot use."""


def _format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise DataError(f"cannot tell the format of {path} from its extension; use "
                        ".csv, .npy, .npz or .parquet.")
    if not path.is_file():
        raise DataError(f"{path}: no such file.")
    return fmt


def _pandas():
    try:
        import pandas
    except ImportError:
        return None
    return pandas


def read_training_data(path: str | os.PathLike, target: str | None):
    """Features and labels from ``path``.

    Parameters
    ----------
    path : str or path-like
        ``.csv``/``.parquet``: a table with a header; ``target`` names the label
        column (or gives its 0-based index). ``.npy``: a 2-D array; ``target``
        is the label column's index (``-1`` for the last). ``.npz``: arrays
        ``X`` and ``y``; ``target`` may name another array for the labels.
    target : str or None

    Returns
    -------
    X : ndarray or pandas.DataFrame of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    """
    path = Path(path)
    fmt = _format(path)
    if fmt == "npz":
        arrays = _npz(path)
        label_key = "y" if target is None else target
        if label_key not in arrays:
            raise DataError(f"{path} has no array {label_key!r} for the labels; its "
                            f"arrays are {', '.join(sorted(arrays))}.")
        return _npz_X(path, arrays), arrays[label_key]
    if target is None:
        raise DataError("--target is required: the label column's name (CSV, Parquet) "
                        "or index (.npy).")
    if fmt == "npy":
        data = _npy(path)
        column = _column_index(path, target, data.shape[1])
        return np.delete(data, column, axis=1), data[:, column]
    frame = _frame(path, fmt)
    if frame is not None:
        name = _column_name(path, target, list(frame.columns))
        X = frame.drop(columns=[name])
        _check_numeric_columns(path, X)
        return X, frame[name].to_numpy()
    header = _csv_header(path)
    column = _column_index(path, target, len(header), header)
    features = [k for k in range(len(header)) if k != column]
    X = _loadtxt(path, features, float)
    y = _labels(_loadtxt(path, [column], str)[:, 0])
    return X, y


def read_features(path: str | os.PathLike, *, target: str | None = None,
                  feature_names=None):
    """The features of ``path`` for prediction.

    ``target`` names a column (CSV, Parquet) or gives an index (``.npy``) to
    leave out. When the model knows its ``feature_names`` and the file has a
    header, exactly those columns are taken, in the model's order.
    """
    path = Path(path)
    fmt = _format(path)
    if fmt == "npz":
        return _npz_X(path, _npz(path))
    if fmt == "npy":
        data = _npy(path)
        if target is None:
            return data
        return np.delete(data, _column_index(path, target, data.shape[1]), axis=1)
    frame = _frame(path, fmt)
    columns = list(frame.columns) if frame is not None else _csv_header(path)
    if feature_names is not None:
        names = [str(name) for name in feature_names]
        missing = [name for name in names if name not in columns]
        if missing:
            raise DataError(f"{path} lacks the column(s) {', '.join(missing)} the model "
                            "was trained on.")
    else:
        drop = [] if target is None else [_column_name(path, target, columns)]
        names = [name for name in columns if name not in drop]
    if frame is not None:
        X = frame[names]
        _check_numeric_columns(path, X)
        return X
    return _loadtxt(path, [columns.index(name) for name in names], float)


# --- the formats -------------------------------------------------------------------------


def _npy(path: Path) -> np.ndarray:
    try:
        data = np.load(path, allow_pickle=False)
    except ValueError as exc:
        raise DataError(f"{path} is not a readable .npy array ({exc}).") from None
    if not isinstance(data, np.ndarray) or data.ndim != 2:
        raise DataError(f"{path} must hold a 2-D array (n_samples, n_columns); got shape "
                        f"{getattr(data, 'shape', None)}.")
    return data


def _npz(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path} is not a readable .npz archive ({exc}).") from None


def _npz_X(path: Path, arrays: dict) -> np.ndarray:
    if "X" not in arrays:
        raise DataError(f"{path} has no array 'X' for the features; its arrays are "
                        f"{', '.join(sorted(arrays))}.")
    return arrays["X"]


def _frame(path: Path, fmt: str):
    """A pandas DataFrame of the file, or None for a CSV when pandas is missing."""
    pd = _pandas()
    if fmt == "parquet":
        if pd is None:
            raise DataError("reading Parquet needs pandas and pyarrow: "
                            "pip install pandas pyarrow.")
        try:
            return pd.read_parquet(path)
        except ImportError:
            raise DataError("reading Parquet needs pyarrow: pip install pyarrow.") from None
    if pd is None:
        return None
    return pd.read_csv(path)


def _check_numeric_columns(path: Path, X) -> None:
    for name in X.columns:
        kind = X[name].to_numpy().dtype.kind
        if kind not in "biuf":
            raise DataError(f"column {name!r} of {path} is not numeric; every feature "
                            "column must hold numbers (leave it out or encode it).")


def _csv_header(path: Path) -> list[str]:
    with open(path, newline="") as f:
        header = next(csv.reader(f), None)
    if not header:
        raise DataError(f"{path} is empty; a CSV file needs a header line of column names.")
    return header


def _loadtxt(path: Path, columns: list[int], dtype) -> np.ndarray:
    return np.loadtxt(path, delimiter=",", skiprows=1, usecols=columns, dtype=dtype,
                      quotechar='"', ndmin=2)


def _labels(text: np.ndarray) -> np.ndarray:
    """Labels read as text: integers if they all are, else floats, else strings."""
    for dtype in (np.int64, np.float64):
        try:
            return text.astype(dtype)
        except ValueError:
            pass
    return text


def _column_name(path: Path, target: str, columns: list) -> str:
    if target in columns:
        return target
    try:
        k = int(target)
    except ValueError:
        k = None
    if k is not None and -len(columns) <= k < len(columns):
        return columns[k]
    raise DataError(f"{path} has no column {target!r}; its columns are "
                    f"{', '.join(map(str, columns))}.")


def _column_index(path: Path, target: str, n_columns: int,
                  header: list[str] | None = None) -> int:
    if header is not None and target in header:
        return header.index(target)
    try:
        k = int(target)
    except ValueError:
        what = "a column index" if header is None else "a column name or index"
        raise DataError(f"--target must be {what} for {path}; got {target!r}.") from None
    if not -n_columns <= k < n_columns:
        raise DataError(f"--target {k} is out of range: {path} has {n_columns} columns.")
    return k % n_columns

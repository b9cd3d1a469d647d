"""Model files: ``save_model`` and ``load_model``, one ``.npz`` file, no pickle.

A model file is a NumPy ``.npz`` archive (a zip of ``.npy`` arrays) holding

- ``__fastlogreg__``: a JSON header (a unicode array): the format name
  ``"fastlogreg-model"``, the integer format ``version``, the model ``kind``
  (``"LogisticRegression"`` or ``"FitResult"``), the estimator's parameters as
  tagged JSON (so ``1`` stays an int, ``1.0`` a float, ``inf`` a float, and a
  ``class_weight`` dict keeps its key types), and a description of every
  fitted attribute: a JSON scalar, or the entries, dtype and shape of the
  arrays that hold it;
- one array per fitted array: numbers as they are (bit for bit, same dtype),
  object arrays of ``str``/``int``/``float``/``bool`` (scikit-learn's string
  labels and feature names) as unicode/int64/float64/bool arrays plus a tag
  that turns them back into object arrays, and structured arrays (``history_``)
  as one array per field.

Loading reads the arrays with ``allow_pickle=False`` and parses the header
with :func:`json.loads`, so a file can never run code; every entry is checked
against the header (names, dtypes, shapes) and the model against itself
(``coef_`` against ``classes_`` and ``n_features_in_``), and anything else is
refused with a :class:`ValueError` that says what is wrong with the file.
Writing goes to a temporary file in the same folder that replaces the target
in one step (:func:`os.replace`), so a crash never leaves half a model file.
"""

from __future__ import annotations

import dataclasses
import json
import math
import numbers
import os
import tempfile
import warnings
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .estimator import LogisticRegression
from .functional import FitResult

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "load_model", "save_model"]

FORMAT_NAME = "fastlogreg-model"
FORMAT_VERSION = 1

_HEADER_KEY = "__fastlogreg__"
_ZIP_MAGIC = b"PK\x03\x04"
# Array dtypes stored as they are: bool, integers, floats, complex, bytes, unicode.
_PLAIN_KINDS = "biufcSU"
# Python types an object array may hold, and the plain dtype that holds them exactly.
_OBJECT_TYPES = {"str": (str, np.str_), "int": (int, np.int64), "float": (float, np.float64),
                 "bool": (bool, np.bool_)}
_OBJECT_KINDS = {"str": "U", "int": "i", "float": "f", "bool": "b"}
_INT64 = np.iinfo(np.int64)
# Coefficient dtypes a fit writes (native order, checked per entry): float16,
# long double or big-endian ones would reach the kernels, which have none.
_COEF_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


# --- saving ----------------------------------------------------------------------------


def save_model(model: LogisticRegression | FitResult, path: str | os.PathLike) -> None:
    """Write a fitted model to ``path`` as one ``.npz`` file that holds no pickle.

    Parameters
    ----------
    model : fastlogreg.LogisticRegression or fastlogreg.FitResult
        A fitted estimator (its ``get_params()`` and every fitted attribute:
        ``classes_``, ``coef_``, ``intercept_``, ``n_iter_``,
        ``n_features_in_``, ``feature_names_in_``, ``history_``, ...) or the
        result of :func:`fastlogreg.fit`.
    path : str or path-like
        The file to write, used as given (no suffix is added; ``.npz`` is the
        natural one). An existing file is replaced in one step.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        ``model`` is an estimator that was never fitted.
    TypeError
        ``model`` is neither of the two model types.
    ValueError
        A parameter or attribute cannot be stored exactly (a ``random_state``
        generator object, a callable, labels of mixed or unusual types, strings
        ending in NUL); the message names it.
    """
    header, arrays = _encode_model(model)
    arrays[_HEADER_KEY] = np.array(json.dumps(header, sort_keys=True))
    _write_atomically(Path(os.fspath(path)), arrays)


def _encode_model(model) -> tuple[dict, dict[str, np.ndarray]]:
    if type(model) is LogisticRegression:
        check_is_fitted(model)
        kind = "LogisticRegression"
        params = {name: _encode_param(name, value)
                  for name, value in model.get_params(deep=False).items()}
        names = sorted(name for name in vars(model)
                       if name.endswith("_") and not name.startswith("_"))
        values = {name: getattr(model, name) for name in names}
    elif type(model) is FitResult:
        kind = "FitResult"
        params = {}
        values = {f.name: getattr(model, f.name) for f in dataclasses.fields(model)}
    else:
        raise TypeError(
            "save_model takes a fitted fastlogreg.LogisticRegression or a "
            f"fastlogreg.FitResult; got {type(model).__name__}.")
    arrays: dict[str, np.ndarray] = {}
    attributes = {name: _encode_value(name, value, arrays) for name, value in values.items()}
    header = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "kind": kind,
              "params": params, "attributes": attributes,
              "written_by": _package_version()}
    return header, arrays


def _package_version() -> str:
    from . import __version__
    return __version__


def _encode_param(name: str, value: Any) -> dict:
    """A parameter as tagged JSON, so that its Python type comes back exactly."""
    if value is None:
        return {"t": "none"}
    if isinstance(value, (bool, np.bool_)):
        return {"t": "bool", "v": bool(value)}
    if isinstance(value, numbers.Integral):
        return {"t": "int", "v": int(value)}
    if isinstance(value, numbers.Real):
        return {"t": "float", "v": float(value).hex()}
    if isinstance(value, str):
        return {"t": "str", "v": str(value)}
    if isinstance(value, (list, tuple)):
        return {"t": type(value).__name__,
                "v": [_encode_param(name, item) for item in value]}
    if isinstance(value, dict):
        return {"t": "dict",
                "v": [[_encode_param(name, k), _encode_param(name, v)]
                      for k, v in value.items()]}
    raise ValueError(
        f"parameter {name}={value!r} cannot be stored in a model file (only None, "
        "bool, int, float, str and lists, tuples and dicts of them can); set it "
        f"to one of those with model.set_params({name}=...) before saving.")


def _encode_value(name: str, value: Any, arrays: dict[str, np.ndarray]) -> dict:
    """Describe one attribute in the header; put its arrays into ``arrays``."""
    if value is None:
        return {"t": "none"}
    if type(value) in (bool, int, str):
        return {"t": type(value).__name__, "v": value}
    if type(value) is float:
        return {"t": "float", "v": value.hex()}
    if isinstance(value, np.generic):
        value = np.asarray(value)  # a NumPy scalar: a 0-d array, read back as a scalar
        kind = "scalar"
    elif isinstance(value, np.ndarray) and type(value) is np.ndarray:
        kind = "array"
    else:
        raise ValueError(
            f"attribute {name} of type {type(value).__name__} cannot be stored in a "
            "model file (only None, bool, int, float, str and NumPy arrays can).")
    spec = {"t": kind, "shape": list(value.shape)}
    if value.dtype.names is not None:
        spec["fields"] = _encode_structured(name, value, arrays)
    elif value.dtype.kind == "O":
        spec["object"], arrays[name] = _encode_objects(name, value)
        spec["dtype"] = arrays[name].dtype.str
    elif value.dtype.kind in _PLAIN_KINDS and value.dtype.subdtype is None:
        arrays[name] = value
        spec["dtype"] = value.dtype.str
    else:
        raise ValueError(
            f"attribute {name} has dtype {value.dtype}, which a model file cannot hold.")
    return spec


def _encode_structured(name: str, value: np.ndarray, arrays: dict) -> list:
    """A structured array (a history) as one plain array per field."""
    fields = []
    for field in value.dtype.names:
        column = value[field]
        if column.dtype.kind not in _PLAIN_KINDS or column.dtype.subdtype is not None \
                or column.ndim != value.ndim:
            raise ValueError(f"field {field!r} of attribute {name} has dtype "
                             f"{column.dtype}, which a model file cannot hold.")
        fields.append([field, column.dtype.str])
        arrays[f"{name}.{field}"] = np.ascontiguousarray(column)
    if _structured_dtype(fields) != value.dtype:
        raise ValueError(f"attribute {name} has a padded or aligned structured dtype "
                         f"{value.dtype}; a model file holds packed ones only.")
    return fields


def _structured_dtype(fields) -> np.dtype:
    return np.dtype([(str(field), np.dtype(dtype)) for field, dtype in fields])


def _encode_objects(name: str, value: np.ndarray) -> tuple[str, np.ndarray]:
    """An object array of one Python type as a plain array that holds it exactly."""
    items = value.ravel().tolist()
    for tag, (python_type, dtype) in _OBJECT_TYPES.items():
        # bool is an int subclass; an int array must hold no bools and vice versa
        if items and all(isinstance(x, python_type) and
                         (tag == "bool" or not isinstance(x, (bool, np.bool_)))
                         for x in items):
            if tag == "int" and not all(_INT64.min <= x <= _INT64.max for x in items):
                break
            plain = np.array(items, dtype=dtype).reshape(value.shape)
            if tag == "str" and any(s.endswith("\x00") for s in items):
                break  # NumPy's unicode arrays drop trailing NULs
            return tag, plain
    kinds = sorted({type(x).__name__ for x in items})
    raise ValueError(
        f"attribute {name} holds values a model file cannot store exactly (types "
        f"{', '.join(kinds) or 'none'}); labels must all be str (without trailing "
        "NUL characters), all int (64-bit), all float or all bool.")


def _write_atomically(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write the archive next to ``path`` and move it into place in one step."""
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- loading ---------------------------------------------------------------------------


class _BadFile(ValueError):
    """The file is not a readable fastlogreg model file."""


def load_model(path: str | os.PathLike) -> LogisticRegression | FitResult:
    """Read a model written by :func:`save_model`; never runs code from the file.

    Parameters
    ----------
    path : str or path-like
        The model file.

    Returns
    -------
    fastlogreg.LogisticRegression or fastlogreg.FitResult
        The model as it was saved: the same parameters and, bit for bit, the
        same fitted arrays with the same dtypes.

    Raises
    ------
    OSError
        The file cannot be opened (``FileNotFoundError`` when there is no
        file at ``path``, ``IsADirectoryError``, ``PermissionError``).
    ValueError
        Anything else: the file is not a fastlogreg model file (random bytes,
        another zip or ``.npz``), is truncated or corrupted (a zip structure
        Python cannot read, a failed checksum, entries that claim more bytes
        than the file can hold, duplicated entries), misses entries or has
        entries of the wrong dtype or shape, holds an object (pickled) array,
        holds a model that is not consistent (non-finite or non-float64
        coefficients, repeated classes, parameters the estimator refuses,
        attributes that would shadow its methods), or was written by a newer
        fastlogreg (the message names both format versions). The message
        names the file and what is wrong with it.
    """
    path = Path(os.fspath(path))
    try:
        return _load(path)
    except _BadFile as exc:
        raise ValueError(str(exc)) from None


# A header larger than this is not ours (ours are a few kB: arrays live in entries).
_MAX_HEADER_CHARS = 1 << 22
# Entries may claim at most this many times the file's size once decompressed
# (plus a little): save_model stores entries uncompressed (about 1x), and the
# bound stops a small file that claims gigabytes before any of it is read.
_MAX_EXPANSION = 64
_NPY_MAX_HEADER = 10_000  # np.load's own default bound on an .npy header


def _load(path: Path):
    with open(path, "rb") as f:  # OSError for a missing or unreadable file
        magic = f.read(4)
    if not magic:
        raise _BadFile(f"{path} is empty; it is not a fastlogreg model file.")
    if magic != _ZIP_MAGIC:
        raise _BadFile(f"{path} is not a fastlogreg model file (not an .npz archive).")
    try:
        with zipfile.ZipFile(path) as archive:
            _check_archive(path, archive)
            bad = archive.testzip()  # reads every entry, checking its CRC
        if bad is not None:
            raise _BadFile(f"{path} is corrupted (entry {bad!r} fails its checksum).")
        with np.load(path, allow_pickle=False) as npz:
            names = set(npz.files)
            if _HEADER_KEY not in names:
                raise _BadFile(f"{path} is not a fastlogreg model file (an archive "
                               f"without the {_HEADER_KEY} header).")
            header = _read_header(path, npz[_HEADER_KEY])
            entries = {key: npz[key] for key in sorted(names - {_HEADER_KEY})}
    except _BadFile:
        raise
    except MemoryError:
        raise  # the checks above bound every allocation by the file's size
    except Exception as exc:  # any failure to parse is a bad file
        # zipfile raises NotImplementedError, RuntimeError, struct.error,
        # zlib.error, ... on damaged structures (tests/test_persistence.py::
        # test_every_damaged_byte_is_a_value_error)
        if "allow_pickle" in str(exc):
            raise _BadFile(f"{path} holds an object array, which would need unpickling; "
                           "fastlogreg never unpickles model files.") from None
        raise _BadFile(f"{path} is truncated or corrupted ({type(exc).__name__}: "
                       f"{exc}).") from None
    try:
        return _decode_model(header, entries)
    except _BadFile as exc:
        raise _BadFile(f"{path} is not a valid fastlogreg model file: {exc}") from None
    except MemoryError:
        raise
    except Exception as exc:  # a malformed header, whatever breaks
        raise _BadFile(f"{path} is not a valid fastlogreg model file: "
                       f"{type(exc).__name__}: {exc}") from None


def _check_archive(path: Path, archive: zipfile.ZipFile) -> None:
    """Refuse, from the zip's directory and each .npy header alone, an archive
    that holds anything but uniquely named, plainly stored .npy entries whose
    declared sizes are what their headers claim and what the file can hold.

    So no entry is read (or allocated) before its size is known to be bounded
    by the file's: a 2 MB file claiming a 2 GiB entry, or an .npy header
    claiming a huge shape, is refused at once.
    """
    infos = archive.infolist()
    names = [info.filename for info in infos]
    if f"{_HEADER_KEY}.npy" not in names:
        raise _BadFile(f"{path} is not a fastlogreg model file (an archive "
                       f"without the {_HEADER_KEY} header).")
    if len(set(names)) != len(names):
        repeated = sorted({n for n in names if names.count(n) > 1})
        raise _BadFile(f"{path} is corrupted (entries {repeated} appear more than once).")
    size = path.stat().st_size
    claimed = sum(info.file_size for info in infos)
    if claimed > _MAX_EXPANSION * size + (1 << 20):
        raise _BadFile(f"{path} is corrupted (its entries claim {claimed} bytes "
                       f"uncompressed in a file of {size} bytes).")
    for info in infos:
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) \
                or info.flag_bits & 0x1:
            raise _BadFile(f"{path} is not a fastlogreg model file (entry "
                           f"{info.filename!r} is encrypted or compressed in a way "
                           "fastlogreg does not write).")
        if not info.filename.endswith(".npy"):
            raise _BadFile(f"{path} is not a fastlogreg model file (entry "
                           f"{info.filename!r} is not an .npy array).")
        with archive.open(info) as f:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(
                    f, max_header_size=_NPY_MAX_HEADER)
            elif version in ((2, 0), (3, 0)):
                shape, _, dtype = np.lib.format.read_array_header_2_0(
                    f, max_header_size=_NPY_MAX_HEADER)
            else:
                raise _BadFile(f"{path} is corrupted (entry {info.filename!r} has .npy "
                               f"format version {version}).")
            header_bytes = f.tell()
        if dtype.hasobject:
            continue  # refused by np.load's allow_pickle=False, with its own message
        data_bytes = math.prod(shape) * dtype.itemsize
        if header_bytes + data_bytes != info.file_size:
            raise _BadFile(f"{path} is corrupted (entry {info.filename!r} claims shape "
                           f"{shape} of {dtype} in {info.file_size} bytes).")


def _read_header(path: Path, raw: np.ndarray) -> dict:
    if not isinstance(raw, np.ndarray) or raw.dtype.kind != "U" or raw.shape != () \
            or raw.dtype.itemsize > 4 * _MAX_HEADER_CHARS:
        raise _BadFile(f"{path} is not a fastlogreg model file (a malformed header).")
    try:
        header = json.loads(str(raw[()]))
    except (json.JSONDecodeError, RecursionError):  # RecursionError: [[[[...]]]]
        raise _BadFile(f"{path} is corrupted (its header is not JSON, or is nested "
                       "too deeply).") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT_NAME:
        raise _BadFile(f"{path} is not a fastlogreg model file (format "
                       f"{header.get('format') if isinstance(header, dict) else None!r}).")
    version = header.get("version")
    if type(version) is not int or version < 1:
        raise _BadFile(f"{path} is corrupted (format version {version!r}).")
    if version > FORMAT_VERSION:
        raise _BadFile(
            f"{path} was written by a newer fastlogreg (model file format version "
            f"{version}); this fastlogreg ({_package_version()}) reads format version "
            f"{FORMAT_VERSION} and older. Upgrade fastlogreg to load it.")
    return header


def _decode_model(header: dict, entries: dict[str, np.ndarray]):
    kind, params, specs = header.get("kind"), header.get("params"), header.get("attributes")
    if kind not in ("LogisticRegression", "FitResult") or not isinstance(params, dict) \
            or not isinstance(specs, dict):
        raise _BadFile(f"unknown model kind {kind!r} or malformed header")
    used: set[str] = set()
    values = {name: _decode_value(name, spec, entries, used) for name, spec in specs.items()}
    unexpected = sorted(set(entries) - used)
    if unexpected:
        raise _BadFile(f"unexpected entries {unexpected}")
    if kind == "FitResult":
        return _fit_result(values)
    return _estimator(params, values)


def _decode_param(value):
    if not isinstance(value, dict):
        raise _BadFile(f"malformed parameter {value!r}")
    tag, v = value.get("t"), value.get("v")
    if tag == "none":
        return None
    if tag == "bool" and type(v) is bool:
        return v
    if tag == "int" and type(v) is int:
        return v
    if tag == "str" and type(v) is str:
        return v
    if tag == "float" and type(v) is str:
        try:
            return float.fromhex(v)
        except ValueError:
            raise _BadFile(f"malformed float {v!r}") from None
    if tag in ("list", "tuple") and type(v) is list:
        items = [_decode_param(item) for item in v]
        return items if tag == "list" else tuple(items)
    if tag == "dict" and type(v) is list and all(type(p) is list and len(p) == 2 for p in v):
        return {_decode_param(k): _decode_param(item) for k, item in v}
    raise _BadFile(f"malformed parameter {value!r}")


def _decode_value(name: str, spec, entries: dict, used: set):
    if not isinstance(name, str) or not name.isidentifier() or name.startswith("_") \
            or not isinstance(spec, dict):
        raise _BadFile(f"malformed attribute {name!r}")
    tag = spec.get("t")
    if tag in ("none", "bool", "int", "str", "float"):
        return _decode_param(spec)
    if tag not in ("array", "scalar"):
        raise _BadFile(f"attribute {name} has unknown type {tag!r}")
    shape = spec.get("shape")
    if type(shape) is not list or not all(type(n) is int and n >= 0 for n in shape):
        raise _BadFile(f"attribute {name} has a malformed shape")
    shape = tuple(shape)
    if "fields" in spec:
        fields = spec["fields"]
        if type(fields) is not list or not all(
                type(f) is list and len(f) == 2 and all(type(x) is str for x in f)
                for f in fields):
            raise _BadFile(f"attribute {name} has malformed fields")
        try:
            dtype = _structured_dtype(fields)
        except (TypeError, ValueError):
            raise _BadFile(f"attribute {name} has malformed fields") from None
        # every field's entry first: their shapes (checked against the header's)
        # bound the allocation, which a header's shape alone must not decide
        columns = [_entry(f"{name}.{field}", field_dtype, shape, entries, used)
                   for field, field_dtype in fields]
        value = np.empty(shape, dtype=dtype)
        for (field, _), column in zip(fields, columns, strict=True):
            value[field] = column
    else:
        value = _entry(name, spec.get("dtype"), shape, entries, used)
        if "object" in spec:
            tag_object = spec["object"]
            if tag_object not in _OBJECT_KINDS or \
                    value.dtype.kind != _OBJECT_KINDS[tag_object]:
                raise _BadFile(f"attribute {name} has a malformed object tag")
            value = _as_python_items(value)
    return value[()] if tag == "scalar" else value


def _as_python_items(value: np.ndarray) -> np.ndarray:
    """An array of Python objects (str, int, float, bool) from a plain array."""
    out = np.empty(value.shape, dtype=object)
    flat = out.reshape(-1)
    for k, item in enumerate(value.reshape(-1).tolist()):
        flat[k] = item
    return out


def _entry(key: str, dtype, shape: tuple, entries: dict, used: set) -> np.ndarray:
    if key not in entries:
        raise _BadFile(f"the entry {key!r} is missing")
    arr = entries[key]
    if not isinstance(dtype, str) or arr.dtype.str != dtype:
        raise _BadFile(f"the entry {key!r} has dtype {arr.dtype}, the header says {dtype!r}")
    if not arr.dtype.isnative:  # save_model writes native arrays only
        raise _BadFile(f"the entry {key!r} has a byte order ({arr.dtype.str}) that "
                       "save_model never writes")
    if arr.shape != shape:
        raise _BadFile(f"the entry {key!r} has shape {arr.shape}, the header says {shape}")
    used.add(key)
    return arr


def _fit_result(values: dict) -> FitResult:
    expected = {f.name for f in dataclasses.fields(FitResult)}
    if set(values) != expected:
        raise _BadFile(f"a FitResult has the entries {sorted(expected)}; "
                       f"the file holds {sorted(values)}")
    coef, history = values["coef"], values["history"]
    if not (isinstance(coef, np.ndarray) and coef.ndim == 1 and coef.dtype in _COEF_DTYPES
            and coef.size >= 1):
        raise _BadFile("coef must be a 1-D float32 or float64 array")
    if not isinstance(values["intercept"], float):
        raise _BadFile("intercept must be a float")
    _check_finite("coef", coef)
    _check_finite("intercept", np.array(values["intercept"]))
    if type(values["n_epochs"]) is not int or values["n_epochs"] < 0 \
            or type(values["converged"]) is not bool:
        raise _BadFile("n_epochs must be an int >= 0 and converged a bool")
    _check_history("history", history)
    return FitResult(**values)


def _check_history(name: str, history) -> None:
    if not (isinstance(history, np.ndarray) and history.ndim == 1
            and history.dtype.names is not None
            and {"epoch", "loss", "accuracy"} <= set(history.dtype.names)):
        raise _BadFile(f"{name} must be a 1-D array with fields epoch, loss, accuracy")


def _check_finite(name: str, value: np.ndarray) -> None:
    if not np.isfinite(value).all():
        raise _BadFile(f"{name} holds NaN or infinite values; a fit never writes them")


def _check_params(model: LogisticRegression) -> None:
    """The parameters as ``fit`` would check them, so that a file cannot load a
    model whose ``fit`` (or ``warm_start``) would refuse its parameters.

    scikit-learn's ``_validate_params`` reads the estimator's
    ``_parameter_constraints``, so parameters added to the estimator are
    checked here without a change.
    """
    from sklearn.utils._param_validation import InvalidParameterError

    try:
        model._validate_params()
        # and their combinations (solver, penalty, dual), as fit checks them
        resolve = getattr(_training_module(), "resolve_penalty", None)
        if resolve is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # deprecations: fit's to give
                resolve(model.penalty, model.C, model.l1_ratio, model.solver, model.dual)
    except (InvalidParameterError, ValueError, TypeError) as exc:
        raise _BadFile(f"its parameters are refused by LogisticRegression: {exc}") from None


def _training_module():
    try:
        from . import training
    except ImportError:  # pragma: no cover - an estimator without the module
        return None
    return training


def _estimator(params: dict, values: dict) -> LogisticRegression:
    model = LogisticRegression()
    decoded = {name: _decode_param(value) for name, value in params.items()}
    unknown = sorted(set(decoded) - set(model.get_params(deep=False)))
    if unknown:
        raise _BadFile(f"parameters {unknown} are not parameters of this fastlogreg's "
                       "LogisticRegression")
    model.set_params(**decoded)
    _check_params(model)
    # fitted attributes end with "_" (scikit-learn's rule) and may not replace
    # anything of the class: a method, a property, a class attribute
    shadowing = sorted(name for name in values
                       if not name.endswith("_") or hasattr(LogisticRegression, name))
    if shadowing:
        raise _BadFile(f"attributes {shadowing} are not fitted attributes (they would "
                       "shadow the estimator's own names)")
    required = ("classes_", "coef_", "intercept_", "n_features_in_")
    missing = [name for name in required if name not in values]
    if missing:
        raise _BadFile(f"the fitted attributes {missing} are missing")
    classes, coef, intercept = values["classes_"], values["coef_"], values["intercept_"]
    n_features = values["n_features_in_"]
    if not (isinstance(classes, np.ndarray) and classes.ndim == 1 and classes.size >= 2):
        raise _BadFile("classes_ must be a 1-D array of at least 2 labels")
    if not _strictly_increasing(classes):
        raise _BadFile("classes_ must hold distinct labels in increasing order (as "
                       "fit writes them)")
    if not (isinstance(n_features, numbers.Integral) and not isinstance(n_features, bool)
            and n_features >= 1):
        raise _BadFile("n_features_in_ must be a positive integer")
    rows = 1 if classes.size == 2 else classes.size
    if not (isinstance(coef, np.ndarray) and coef.dtype in _COEF_DTYPES
            and coef.shape == (rows, n_features)):
        raise _BadFile(f"coef_ must be a float array of shape {(rows, n_features)} for "
                       f"{classes.size} classes and {n_features} features (float32 or "
                       "float64, as fit writes it)")
    if not (isinstance(intercept, np.ndarray) and intercept.dtype == coef.dtype
            and intercept.shape == (rows,)):
        raise _BadFile(f"intercept_ must be a {coef.dtype} array of shape {(rows,)}")
    _check_finite("coef_", coef)
    _check_finite("intercept_", intercept)
    names = values.get("feature_names_in_")
    if names is not None and not (isinstance(names, np.ndarray)
                                  and names.shape == (n_features,)):
        raise _BadFile(f"feature_names_in_ must hold {n_features} names")
    if "history_" in values:
        _check_history("history_", values["history_"])
    for name, value in values.items():
        setattr(model, name, value)
    return model


def _strictly_increasing(classes: np.ndarray) -> bool:
    """Whether labels are distinct and sorted, as ``np.unique`` gives them."""
    try:
        unique = np.unique(classes)
    except TypeError:  # labels of mixed types cannot be ordered
        return False
    return unique.shape == classes.shape and bool(np.all(unique == classes))

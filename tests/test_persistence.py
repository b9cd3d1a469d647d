"""Model files: exact round trips, and clear refusals of every file that is not ours."""

import json
import zipfile

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import NotFittedError

import fastlogreg
from fastlogreg import LogisticRegression, load_model, save_model
from fastlogreg.persistence import FORMAT_VERSION


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(300, 6, n_informative=4, n_classes=3, random_state=0)
    return X, y


def assert_same_model(a, b):
    """Same class, same parameters (with types), every fitted attribute bit for bit."""
    assert type(a) is type(b)
    pa, pb = a.get_params(), b.get_params()
    assert pa == pb
    assert {k: type(v) for k, v in pa.items()} == {k: type(v) for k, v in pb.items()}
    fitted = {k for k in vars(a) if k.endswith("_") and not k.startswith("_")}
    assert fitted == {k for k in vars(b) if k.endswith("_") and not k.startswith("_")}
    for name in fitted:
        x, y = getattr(a, name), getattr(b, name)
        assert type(x) is type(y), name
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and x.shape == y.shape, name
            if x.dtype == object:
                assert x.tolist() == y.tolist(), name
                assert [type(v) for v in x.tolist()] == [type(v) for v in y.tolist()]
            else:
                assert x.tobytes() == y.tobytes(), name
        else:
            assert x == y, name


def round_trip(model, tmp_path):
    path = tmp_path / "model.npz"
    save_model(model, path)
    return load_model(path)


def test_binary_round_trip_is_exact(data, tmp_path):
    X, y = data
    yb = (y == 1).astype(int)
    model = LogisticRegression(C=0.5, max_iter=300).fit(X, yb)
    loaded = round_trip(model, tmp_path)
    assert_same_model(model, loaded)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_multiclass_round_trip_with_odd_params(data, tmp_path):
    X, y = data
    model = LogisticRegression(solver="nesterov", C=np.inf, l1_ratio=0.0, tol=1e-3,
                               class_weight={0: 1.0, 1: 2, 2: 0.5}, random_state=3,
                               learning_rate=0.5, max_iter=200).fit(X, y)
    loaded = round_trip(model, tmp_path)
    assert_same_model(model, loaded)
    assert loaded.class_weight == {0: 1.0, 1: 2, 2: 0.5}
    assert type(loaded.class_weight[1]) is int and np.isinf(loaded.C)
    np.testing.assert_array_equal(loaded.decision_function(X), model.decision_function(X))


@pytest.mark.parametrize("labels", [
    np.array(["cat", "dog", "émeu"]),                      # unicode dtype
    np.array(["cat", "dog", "émeu"], dtype=object),        # what pandas gives
    np.array([-1.0, 2.0, 7.0]),
    np.array([10, 20, 30], dtype=np.uint8),
], ids=["unicode", "object-str", "float", "uint8"])
def test_label_types_round_trip(data, tmp_path, labels):
    X, y = data
    model = LogisticRegression(max_iter=300).fit(X, labels[y])
    loaded = round_trip(model, tmp_path)
    assert_same_model(model, loaded)
    assert loaded.classes_.dtype == labels.dtype
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_float32_and_feature_names_round_trip(data, tmp_path):
    pd = pytest.importorskip("pandas")
    X, y = data
    frame = pd.DataFrame(X.astype(np.float32), columns=[f"f{k}" for k in range(6)])
    model = LogisticRegression(solver="gd", max_iter=500).fit(frame, y == 2)
    loaded = round_trip(model, tmp_path)
    assert_same_model(model, loaded)
    assert list(loaded.feature_names_in_) == list(frame.columns)
    np.testing.assert_array_equal(loaded.predict_proba(frame), model.predict_proba(frame))


def test_fit_result_round_trip(data, tmp_path):
    X, y = data
    result = fastlogreg.fit(X.astype(np.float32), (y == 0).astype(float), epochs=30,
                            learning_rate=0.5, tol=1e-12)
    loaded = round_trip(result, tmp_path)
    assert type(loaded) is fastlogreg.FitResult
    assert loaded.coef.tobytes() == result.coef.tobytes()
    assert loaded.coef.dtype == result.coef.dtype
    assert loaded.intercept == result.intercept and type(loaded.intercept) is float
    assert loaded.history.dtype == result.history.dtype
    assert loaded.history.tobytes() == result.history.tobytes()
    assert (loaded.n_epochs, loaded.converged) == (result.n_epochs, result.converged)
    np.testing.assert_array_equal(loaded.predict_proba(X), result.predict_proba(X))


def test_unfitted_and_foreign_models_are_refused(tmp_path):
    with pytest.raises(NotFittedError):
        save_model(LogisticRegression(), tmp_path / "m.npz")
    from sklearn.linear_model import LogisticRegression as SkLogisticRegression
    with pytest.raises(TypeError, match="fitted fastlogreg.LogisticRegression"):
        save_model(SkLogisticRegression(), tmp_path / "m.npz")
    assert list(tmp_path.iterdir()) == []


def test_labels_that_cannot_be_stored_exactly_are_refused(data, tmp_path):
    X, y = data
    labels = np.array(["a", "b", "c\x00"], dtype=object)  # unicode arrays drop the NUL
    model = LogisticRegression(max_iter=300).fit(X, labels[y])
    with pytest.raises(ValueError, match="classes_ holds values a model file cannot store"):
        save_model(model, tmp_path / "m.npz")
    model = LogisticRegression(max_iter=300, random_state=np.random.RandomState(0))
    model.fit(X, y)
    with pytest.raises(ValueError, match="parameter random_state=RandomState"):
        save_model(model, tmp_path / "m.npz")
    assert list(tmp_path.iterdir()) == []  # nothing written, no temporary left


def test_save_replaces_atomically_and_leaves_no_temporary(data, tmp_path):
    X, y = data
    path = tmp_path / "model.npz"
    path.write_bytes(b"an older file")
    model = LogisticRegression(max_iter=300).fit(X, y)
    save_model(model, str(path))
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]
    assert_same_model(model, load_model(str(path)))


# --- files that are not (whole) model files ----------------------------------------------


@pytest.fixture(scope="module")
def saved(data, tmp_path_factory):
    X, y = data
    path = tmp_path_factory.mktemp("saved") / "model.npz"
    save_model(LogisticRegression(max_iter=300).fit(X, y), path)
    return path


def entries(path):
    with np.load(path, allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


def rewrite(path, arrays):
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def test_truncated_file(saved, tmp_path):
    raw = saved.read_bytes()
    for cut in (len(raw) // 2, len(raw) - 10, 10):
        path = tmp_path / "cut.npz"
        path.write_bytes(raw[:cut])
        with pytest.raises(ValueError, match="truncated or corrupted"):
            load_model(path)


def test_corrupted_bytes_fail_the_checksum(saved, tmp_path):
    raw = bytearray(saved.read_bytes())
    with zipfile.ZipFile(saved) as z:
        info = z.getinfo("coef_.npy")
    # flip a byte of coef_'s data (past its local header and .npy header)
    at = info.header_offset + 30 + len(info.filename) + 128 + 3
    raw[at] ^= 0xFF
    path = tmp_path / "flipped.npz"
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="corrupted"):
        load_model(path)


def test_random_bytes_empty_and_npy(tmp_path):
    path = tmp_path / "noise.npz"
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(ValueError, match="not a fastlogreg model file"):
        load_model(path)
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="is empty"):
        load_model(path)
    np.save(tmp_path / "array.npy", np.arange(3))
    with pytest.raises(ValueError, match="not an .npz archive"):
        load_model(tmp_path / "array.npy")
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "missing.npz")


def test_foreign_zip_and_foreign_npz(tmp_path):
    path = tmp_path / "foreign.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(ValueError, match="without the __fastlogreg__ header"):
        load_model(path)
    rewrite(path, {"coef_": np.zeros((1, 3))})
    with pytest.raises(ValueError, match="without the __fastlogreg__ header"):
        load_model(path)


def header_of(arrays):
    return json.loads(str(arrays["__fastlogreg__"][()]))


def with_header(arrays, header):
    return {**arrays, "__fastlogreg__": np.array(json.dumps(header))}


def test_newer_version_names_both_versions(saved, tmp_path):
    arrays = entries(saved)
    header = header_of(arrays)
    header["version"] = FORMAT_VERSION + 1
    path = tmp_path / "newer.npz"
    rewrite(path, with_header(arrays, header))
    with pytest.raises(ValueError, match=f"newer fastlogreg.*version {FORMAT_VERSION + 1}.*"
                                         f"format version {FORMAT_VERSION} and older"):
        load_model(path)
    header["format"] = "something-else"
    rewrite(path, with_header(arrays, header))
    with pytest.raises(ValueError, match="not a fastlogreg model file"):
        load_model(path)


def test_missing_entries_wrong_shapes_and_dtypes(saved, tmp_path):
    arrays = entries(saved)
    path = tmp_path / "bad.npz"
    rewrite(path, {k: v for k, v in arrays.items() if k != "coef_"})
    with pytest.raises(ValueError, match="'coef_' is missing"):
        load_model(path)
    rewrite(path, {**arrays, "coef_": arrays["coef_"][:, :-1]})
    with pytest.raises(ValueError, match="'coef_' has shape"):
        load_model(path)
    rewrite(path, {**arrays, "intercept_": arrays["intercept_"].astype(np.float32)})
    with pytest.raises(ValueError, match="'intercept_' has dtype float32"):
        load_model(path)
    rewrite(path, {**arrays, "history_.loss": np.append(arrays["history_.loss"], 0.0)})
    with pytest.raises(ValueError, match="'history_.loss' has shape"):
        load_model(path)
    rewrite(path, {**arrays, "extra": np.zeros(2)})
    with pytest.raises(ValueError, match="unexpected entries"):
        load_model(path)
    # a consistent file whose model is not: coef_ rows disagree with classes_
    header = header_of(arrays)
    header["attributes"]["coef_"]["shape"] = [1, 6]
    rewrite(path, with_header({**arrays, "coef_": arrays["coef_"][:1]}, header))
    with pytest.raises(ValueError, match="coef_ must be a float array of shape"):
        load_model(path)
    rewrite(path, {**arrays, "__fastlogreg__": np.array("{not json")})
    with pytest.raises(ValueError, match="header is not JSON"):
        load_model(path)


class Boom:
    """Unpickling this would run code; loading a model file must never do that."""

    def __reduce__(self):
        return (exec, ("raise SystemExit('code ran')",))


def test_object_arrays_are_never_unpickled(saved, tmp_path):
    arrays = entries(saved)
    path = tmp_path / "evil.npz"
    evil = np.empty(1, dtype=object)
    evil[0] = Boom()
    rewrite(path, {**arrays, "classes_": evil})
    with pytest.raises(ValueError, match="never unpickles"):
        load_model(path)


# --- the fuzz's hostile files: each refused with a ValueError naming the file ---------


def refused(path, match):
    """load_model raises a ValueError that names the file and matches ``match``."""
    with pytest.raises(ValueError, match=match) as info:
        load_model(path)
    assert str(path) in str(info.value)
    assert type(info.value) is ValueError  # not a subclass the caller cannot expect


def test_every_damaged_byte_is_a_value_error(saved, tmp_path):
    """One byte changed in the central directory (compression method, flag bits,
    "version needed", ...) made zipfile raise NotImplementedError or
    RuntimeError; anywhere else it may break any parser. Every damaged file is
    refused with a ValueError, or loads the very model that was saved (a byte
    that nothing reads, such as a timestamp)."""
    raw = saved.read_bytes()
    original = load_model(saved)
    central = raw.index(b"PK\x01\x02")
    rng = np.random.default_rng(0)
    spots = sorted({*range(central, len(raw)), *rng.integers(0, central, 150).tolist()})
    path = tmp_path / "damaged.npz"
    loaded = 0
    for at in spots:
        for value in {raw[at] ^ 0xFF, 0x63}:  # 0x63: lzma's compression method
            damaged = bytearray(raw)
            damaged[at] = value
            path.write_bytes(bytes(damaged))
            try:
                model = load_model(path)
            except ValueError as exc:
                assert str(path) in str(exc)
                continue
            assert_same_model(model, original)
            loaded += 1
    assert loaded < len(spots)  # most damage is seen


def test_central_directory_fields_named_by_the_fuzz(saved, tmp_path):
    raw = saved.read_bytes()
    central = raw.index(b"PK\x01\x02")
    path = tmp_path / "damaged.npz"
    # offsets in a central directory record: 6 version needed, 8 flags, 10 method
    for offset, value in [(10, 99), (10, 14), (8, 0x01), (8, 0x40), (6, 0xFF)]:
        damaged = bytearray(raw)
        damaged[central + offset] = value
        path.write_bytes(bytes(damaged))
        refused(path, "fastlogreg model file|corrupted")


def test_header_entry_of_raw_bytes(saved, tmp_path):
    arrays = entries(saved)
    path = tmp_path / "raw.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("__fastlogreg__.npy", json.dumps(header_of(arrays)))
        for key, value in arrays.items():
            if key != "__fastlogreg__":
                with z.open(f"{key}.npy", "w") as f:
                    np.lib.format.write_array(f, value)
    refused(path, "corrupted|not a fastlogreg model file")


def _npy_claiming(shape, dtype="<f8", data=b"\0" * 64):
    """An .npy file whose header claims ``shape`` over a few bytes of data."""
    import io

    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": dtype, "fortran_order": False, "shape": shape})
    return buffer.getvalue() + data


def test_huge_claimed_shapes_are_refused_before_allocating(saved, tmp_path):
    import tracemalloc

    arrays = entries(saved)
    path = tmp_path / "huge.npz"
    # an .npy header claiming 8 TB for coef_
    with zipfile.ZipFile(path, "w") as z:
        for key, value in arrays.items():
            with z.open(f"{key}.npy", "w") as f:
                if key == "coef_":
                    f.write(_npy_claiming((10**6, 10**6)))
                else:
                    np.lib.format.write_array(f, value)
    tracemalloc.start()
    try:
        refused(path, "claims shape")
        # the JSON header claiming a huge history_: its fields' entries decide
        header = header_of(arrays)
        header["attributes"]["history_"]["shape"] = [10**12]
        rewrite(path, with_header(arrays, header))
        refused(path, "'history_.epoch' has shape")
        assert tracemalloc.get_traced_memory()[1] < 64 << 20
    finally:
        tracemalloc.stop()


def test_deeply_nested_json_header(saved, tmp_path):
    arrays = entries(saved)
    path = tmp_path / "nested.npz"
    rewrite(path, {**arrays, "__fastlogreg__": np.array("[" * 100_000 + "]" * 100_000)})
    refused(path, "nested too deeply|not JSON")
    # valid JSON, 5,000 lists deep in a parameter (json.dumps cannot write it)
    text = json.dumps(header_of(arrays)).replace(
        '"C": {"t": "float"', '"C": ' + '{"t": "list", "v": [' * 5_000 + '{"t": "float"', 1)
    text = text.replace('"}, "class_weight"', '"}' + "]}" * 5_000 + ', "class_weight"', 1)
    assert text.count("[") > 5_000
    rewrite(path, {**arrays, "__fastlogreg__": np.array(text)})
    refused(path, "RecursionError|nested too deeply|not JSON")


def test_small_file_claiming_a_huge_entry_is_refused_unread(saved, tmp_path):
    """The fuzz's 2 MB file with a 2 GiB deflated entry was read whole (14.6 s,
    2.3 GB) before being refused: now its declared size refuses it."""
    import tracemalloc

    arrays = entries(saved)
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for key, value in arrays.items():
            with z.open(f"{key}.npy", "w") as f:
                np.lib.format.write_array(f, value)
        with z.open("padding.npy", "w") as f:  # 128 MiB of zeros: about 128 kB deflated
            np.lib.format.write_array(f, np.zeros(16 << 20))
    assert path.stat().st_size < 1 << 20
    tracemalloc.start()
    try:
        refused(path, "claim .* bytes uncompressed")
        assert tracemalloc.get_traced_memory()[1] < 16 << 20
    finally:
        tracemalloc.stop()


def test_deflated_model_files_still_load(saved, tmp_path):
    """A model file re-zipped with compression (a user's archive tool) is fine."""
    path = tmp_path / "deflated.npz"
    with zipfile.ZipFile(saved) as source, \
            zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for info in source.infolist():
            z.writestr(info.filename, source.read(info))
    assert_same_model(load_model(path), load_model(saved))


def test_duplicated_entries(saved, tmp_path):
    import warnings

    arrays = entries(saved)
    path = tmp_path / "twice.npz"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile: "Duplicate name"
        with zipfile.ZipFile(path, "w") as z:
            for key, value in [*arrays.items(), ("coef_", -arrays["coef_"])]:
                with z.open(f"{key}.npy", "w") as f:
                    np.lib.format.write_array(f, value)
    refused(path, r"entries \['coef_.npy'\] appear more than once")


@pytest.mark.parametrize("dtype", [">f8", np.float16, np.longdouble, ">f4"])
def test_coefficients_of_a_dtype_fit_never_writes(saved, tmp_path, dtype):
    """A consistent file (header and entry agree) with coef_ in a dtype the
    kernels do not read: predict raised a Numba TypingError."""
    arrays = entries(saved)
    header = header_of(arrays)
    coef = arrays["coef_"].astype(dtype)
    header["attributes"]["coef_"]["dtype"] = coef.dtype.str
    path = tmp_path / "dtype.npz"
    rewrite(path, with_header({**arrays, "coef_": coef}, header))
    refused(path, "byte order|coef_ must be a float array")


def test_repeated_or_unsorted_classes(saved, tmp_path):
    arrays = entries(saved)
    path = tmp_path / "classes.npz"
    for classes in ([0, 0, 2], [2, 1, 0]):
        bad = np.array(classes, dtype=arrays["classes_"].dtype)
        rewrite(path, {**arrays, "classes_": bad})
        refused(path, "classes_ must hold distinct labels")


@pytest.mark.parametrize("name", ["coef_", "intercept_"])
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_coefficients(saved, tmp_path, name, value):
    arrays = entries(saved)
    bad = arrays[name].copy()
    bad.flat[1] = value
    path = tmp_path / "nan.npz"
    rewrite(path, {**arrays, name: bad})
    refused(path, f"{name} holds NaN or infinite values")


@pytest.mark.parametrize(("param", "value"), [
    ("C", {"t": "float", "v": float("nan").hex()}),
    ("C", {"t": "float", "v": float(-1).hex()}),
    ("solver", {"t": "str", "v": "magic"}),
    ("max_iter", {"t": "int", "v": -5}),
    ("tol", {"t": "str", "v": "small"}),
    ("fit_intercept", {"t": "str", "v": "False"}),
    ("class_weight", {"t": "int", "v": 3}),
    ("penalty", {"t": "str", "v": "l1"}),  # with solver="lbfgs": fit refuses the pair
    ("dual", {"t": "bool", "v": True}),
])
def test_parameters_fit_would_refuse(saved, tmp_path, param, value):
    arrays = entries(saved)
    header = header_of(arrays)
    header["params"][param] = value
    path = tmp_path / "params.npz"
    rewrite(path, with_header(arrays, header))
    refused(path, f"parameters are refused.*{param}")


@pytest.mark.parametrize("name", ["predict", "score", "fit", "classes", "get_params"])
def test_attributes_that_would_shadow_the_estimators_names(saved, tmp_path, name):
    arrays = entries(saved)
    header = header_of(arrays)
    header["attributes"][name] = {"t": "int", "v": 1}
    path = tmp_path / "shadow.npz"
    rewrite(path, with_header(arrays, header))
    refused(path, "would shadow")


def test_fit_result_with_non_finite_or_long_double_coef(data, tmp_path):
    X, y = data
    result = fastlogreg.fit(X, (y == 0).astype(float), epochs=3)
    path = tmp_path / "result.npz"
    save_model(result, path)
    arrays = entries(path)
    header = header_of(arrays)
    bad = arrays["coef"].copy()
    bad[0] = np.nan
    rewrite(path, {**arrays, "coef": bad})
    refused(path, "coef holds NaN")
    coef = arrays["coef"].astype(np.float16)
    header["attributes"]["coef"]["dtype"] = coef.dtype.str
    rewrite(path, with_header({**arrays, "coef": coef}, header))
    refused(path, "coef must be a 1-D float32 or float64 array")

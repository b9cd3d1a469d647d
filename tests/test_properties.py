"""Bad input and hostile files, as properties (issue 16, item 4 and the fuzz).

For estimator inputs drawn over shapes, dtypes, layouts, strides, NaN/inf
placements, label types and weights, and for model files with random damage:

* never a crash or a hang (a crash kills the test run; an alarm stops a hang);
* never a modified input (every array is compared with a copy, bit for bit);
* always a ``ValueError``/``TypeError`` (``OSError`` for files) that names the
  argument or the file;
* never a silently different model from a damaged file (a load that succeeds
  gives back the saved model exactly);
* and what must work does: clean input always fits, to finite coefficients.

Runs in CI in the default (derandomised) hypothesis profile;
``HYPOTHESIS_PROFILE=nightly`` explores new examples.
"""

import json
import os
import signal
import subprocess
import sys
import warnings

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from sklearn.exceptions import ConvergenceWarning

import fastlogreg
from fastlogreg import LogisticRegression, load_model, save_model
from test_persistence import assert_same_model


@pytest.fixture(autouse=True)
def no_hang():
    """Fail (instead of hanging the run) when a test takes over 150 s."""
    def stop(signum, frame):
        raise TimeoutError("a property test hung for 150 s")
    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(150)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


# --- estimator inputs -------------------------------------------------------------------

X_DTYPES = ["float64", "float32", "float16", "int64", "int8", "uint8", "bool",
            "longdouble", "complex128", "object", "str"]
LABELS = ["int", "float", "str", "bool", "uint64-top", "int8", "float-nan", "one-class",
          "continuous", "object-mixed"]
WEIGHTS = ["none", "positive", "zeros", "negative", "nan", "inf", "short", "2d", "some-zero"]
LAYOUTS = ["C", "F", "rows-strided", "cols-strided", "transposed-view"]
BAD_VALUES = ["none", "nan", "inf", "-inf", "huge"]
NAMED = ("X", "y", "sample_weight", "label", "class", "sample", "feature", "weight")


def _labels(kind, n, rng):
    k = rng.integers(0, 3, n)
    k[:2] = [0, 1]  # at least two classes unless asked otherwise
    if kind == "int":
        return k * 7 - 3
    if kind == "float":
        return k.astype(np.float64) * 0.5 * 2
    if kind == "str":
        return np.array(["cat", "dog", "emu"])[k]
    if kind == "bool":
        return k % 2 == 0
    if kind == "uint64-top":
        return (np.uint64(2**64 - 1) - k.astype(np.uint64))
    if kind == "int8":
        return (k * 127 - 127).astype(np.int8)
    if kind == "float-nan":
        y = k.astype(np.float64)
        y[rng.integers(0, n)] = np.nan
        return y
    if kind == "one-class":
        return np.zeros(n, dtype=int)
    if kind == "continuous":
        return rng.standard_normal(n)
    y = np.empty(n, dtype=object)  # str and int mixed: scikit-learn refuses it
    y[:] = ["a" if v else 1 for v in k % 2]
    return y


def _weights(kind, n, rng):
    return {"none": None, "positive": rng.uniform(0.1, 3, n), "zeros": np.zeros(n),
            "negative": -np.ones(n), "nan": np.r_[np.nan, np.ones(n - 1)],
            "inf": np.r_[np.inf, np.ones(n - 1)], "short": np.ones(max(n - 1, 0)),
            "2d": np.ones((n, 1)),
            "some-zero": np.r_[0.0, rng.uniform(0.1, 3, n - 1)]}[kind]


def _X(dtype, layout, bad, n, d, rng):
    base = rng.standard_normal((2 * n, 2 * d)) * 3
    if bad == "huge":
        base *= 1e160
    if dtype == "str":
        full = base.astype(str)
    elif dtype == "object":
        full = base.astype(object)
    else:
        with np.errstate(over="ignore", invalid="ignore"):  # float16 of 1e160: inf
            full = base.astype(dtype)
    if bad in ("nan", "inf", "-inf") and full.dtype.kind in "fc":
        full[rng.integers(0, 2 * n), rng.integers(0, 2 * d)] = {
            "nan": np.nan, "inf": np.inf, "-inf": -np.inf}[bad]
    if layout == "C":
        return np.ascontiguousarray(full[:n, :d])
    if layout == "F":
        return np.asfortranarray(full[:n, :d])
    if layout == "rows-strided":
        return full[::2, :d][:n]
    if layout == "cols-strided":
        return full[:n, ::2][:, :d]
    return np.ascontiguousarray(full[:n, :d].T).T  # F order: the transpose of a C array


def _bad_values_in(X):
    if X.dtype.kind != "f":
        return False
    return not np.isfinite(X).all()


@st.composite
def estimator_inputs(draw):
    n = draw(st.integers(1, 40))
    d = draw(st.integers(1, 6))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    dtype = draw(st.sampled_from(X_DTYPES))
    layout = draw(st.sampled_from(LAYOUTS))
    bad = draw(st.sampled_from(BAD_VALUES))
    labels = draw(st.sampled_from(LABELS))
    weights = draw(st.sampled_from(WEIGHTS))
    solver = draw(st.sampled_from(["lbfgs", "gd", "nesterov", "sgd"]))
    X = _X(dtype, layout, bad, n, d, rng)
    y = _labels(labels, n, rng) if n >= 2 else np.array([0])
    sw = _weights(weights, n, rng)
    clean = (dtype in ("float64", "float32", "int64", "int8", "uint8", "bool")
             and not _bad_values_in(X) and bad != "huge" and n >= 2
             and labels in ("int", "float", "str", "bool", "int8")
             and weights in ("none", "positive", "some-zero"))
    return dict(X=X, y=y, sample_weight=sw, solver=solver, clean=clean,
                describe=(n, d, dtype, layout, bad, labels, weights, solver))


def _copies(*arrays):
    return [None if a is None else np.array(a, copy=True) for a in arrays]


def _assert_unchanged(before, after):
    for b, a in zip(before, after, strict=True):
        if b is None:
            continue
        assert a.dtype == b.dtype and a.shape == b.shape
        if a.dtype.kind in "fc":
            assert a.tobytes() == b.tobytes(), "an input array was modified"
        else:
            assert np.array_equal(a, b), "an input array was modified"


@settings(max_examples=80, suppress_health_check=list(HealthCheck))
@given(estimator_inputs())
def test_estimator_inputs_fit_or_are_refused_by_name(drawn):
    X, y, sw = drawn["X"], drawn["y"], drawn["sample_weight"]
    before = _copies(X, y, sw)
    model = LogisticRegression(solver=drawn["solver"], max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence and conversion warnings
        try:
            model.fit(X, y, sample_weight=sw)
        except (ValueError, TypeError) as exc:
            assert not drawn["clean"], (drawn["describe"], exc)
            message = str(exc)
            assert any(name in message for name in NAMED), (drawn["describe"], message)
        else:
            assert np.isfinite(model.coef_).all() and np.isfinite(model.intercept_).all()
            proba = model.predict_proba(X)
            assert np.isfinite(proba).all()
            np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
            assert set(np.unique(model.predict(X)).tolist()) <= set(
                model.classes_.tolist())
    _assert_unchanged(before, [X, y, sw])


@st.composite
def functional_inputs(draw):
    n = draw(st.integers(1, 30))
    d = draw(st.integers(1, 5))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    X = _X(draw(st.sampled_from(X_DTYPES)), draw(st.sampled_from(LAYOUTS)),
           draw(st.sampled_from(BAD_VALUES)), n, d, rng)
    y = draw(st.sampled_from([
        (np.arange(n) % 2).astype(float), np.arange(n) % 3, np.zeros(n),
        np.where(np.arange(n) == 0, np.nan, np.arange(n) % 2)]))
    return X, y, _weights(draw(st.sampled_from(WEIGHTS)), n, rng), draw(
        st.sampled_from(["gd", "sgd"]))


@settings(max_examples=60, suppress_health_check=list(HealthCheck))
@given(functional_inputs())
def test_functional_inputs_fit_or_are_refused_by_name(drawn):
    X, y, sw, solver = drawn
    before = _copies(X, y, sw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = fastlogreg.fit(X, y, sample_weight=sw, solver=solver, epochs=3,
                                    random_state=0)
        except (ValueError, TypeError) as exc:
            assert any(name in str(exc) for name in NAMED), str(exc)
        else:
            assert np.isfinite(result.coef).all() and np.isfinite(result.intercept)
            assert np.isfinite(result.predict_proba(X)).all()
    _assert_unchanged(before, [X, y, sw])


@st.composite
def csr_inputs(draw):
    sp = pytest.importorskip("scipy.sparse")
    n = draw(st.integers(2, 40))
    d = draw(st.integers(1, 8))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    dtype = draw(st.sampled_from(["float64", "float32", "int64", "int8", "bool"]))
    X = sp.random(n, d, density=draw(st.sampled_from([0.0, 0.3, 1.0])), format="csr",
                  random_state=rng, dtype=np.float64).astype(dtype)
    index = draw(st.sampled_from([np.int32, np.int64]))
    X.indices, X.indptr = X.indices.astype(index), X.indptr.astype(index)
    damage = draw(st.sampled_from(["none", "nan", "inf", "index-high", "index-negative",
                                   "duplicates", "unsorted", "indptr"]))
    if X.nnz:
        k = rng.integers(0, X.nnz)
        if damage == "nan" and X.dtype.kind == "f":
            X.data[k] = np.nan
        elif damage == "inf" and X.dtype.kind == "f":
            X.data[k] = np.inf
        elif damage == "index-high":
            X.indices[k] = d + rng.integers(0, 3)
        elif damage == "index-negative":
            X.indices[k] = -1 - rng.integers(0, 3)
        elif damage == "duplicates" and X.nnz >= 2:
            X.indices[1:] = X.indices[:-1].copy()  # some rows repeat a column
        elif damage == "unsorted":
            X.indices[:] = X.indices[::-1].copy()
    if damage == "indptr":
        X.indptr[-1] += 1
    y = rng.integers(0, draw(st.integers(2, 3)), n)
    y[:2] = [0, 1]
    return X, y, damage


@settings(max_examples=60, suppress_health_check=list(HealthCheck))
@given(csr_inputs())
def test_csr_inputs_fit_or_are_refused_by_name(drawn):
    """Damaged CSR structures (indices out of range, a wrong indptr, NaN/inf in
    data) are refused naming X; repeated or unsorted entries are summed in a
    copy; the caller's matrix is never modified."""
    X, y, damage = drawn
    before = _copies(X.data, X.indices, X.indptr, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model = LogisticRegression(max_iter=3).fit(X, y)
        except (ValueError, TypeError) as exc:
            assert damage in ("nan", "inf", "index-high", "index-negative", "indptr"), \
                (damage, exc)
            assert "X" in str(exc) or "index" in str(exc) or "indptr" in str(exc), str(exc)
        else:
            assert damage not in ("index-high", "index-negative", "indptr") or X.nnz == 0, \
                damage
            assert damage not in ("nan", "inf") or X.dtype.kind != "f" or X.nnz == 0, damage
            assert np.isfinite(model.coef_).all()
            assert np.isfinite(model.predict_proba(X)).all()
    _assert_unchanged(before, [X.data, X.indices, X.indptr, y])


@st.composite
def streams(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    d = draw(st.integers(1, 5))
    classes = draw(st.sampled_from([np.array([0, 1]), np.array([3, 5, 9]),
                                    np.array(["a", "b"]), np.array([0, 1]),
                                    np.array([3, 5, 9]), np.array([0]), None]))
    chunks = []
    for _ in range(draw(st.integers(1, 3))):
        n = draw(st.integers(1, 20))
        # mostly valid chunks, so that streams run on after their first chunk
        X = _X(draw(st.sampled_from(["float64", "float32", "int64", "object"])),
               draw(st.sampled_from(LAYOUTS)),
               draw(st.sampled_from(["none"] * 6 + BAD_VALUES[1:3])), n, d, rng)
        pool = np.array([0, 1]) if classes is None or classes.size < 2 else classes
        y = pool[rng.integers(0, pool.size, n)]
        if draw(st.integers(0, 5)) == 0 and pool.dtype.kind in "iu":
            y = y.copy()
            y[0] = 77  # a label outside classes
        weights = draw(st.sampled_from(["none", "positive"] * 4 + WEIGHTS))
        chunks.append((X, y, _weights(weights, n, rng)))
    return classes, chunks


@settings(max_examples=40, suppress_health_check=list(HealthCheck))
@given(streams())
def test_partial_fit_streams_fit_or_are_refused_by_name(drawn):
    classes, chunks = drawn
    model = LogisticRegression(solver="sgd", random_state=0)
    for X, y, sw in chunks:
        before = _copies(X, y, sw)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                model.partial_fit(X, y, classes=classes, sample_weight=sw)
            except (ValueError, TypeError) as exc:
                assert any(name in str(exc) for name in (*NAMED, "classes")), str(exc)
                _assert_unchanged(before, [X, y, sw])
                return
        _assert_unchanged(before, [X, y, sw])
        assert np.isfinite(model.coef_).all() and np.isfinite(model.intercept_).all()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert np.isfinite(model.predict_proba(X)).all()


# --- the fuzz's odd inputs, one test each -----------------------------------------------


@given(st.integers(0, 10_000), st.sampled_from([-1, -7, 5, 6, 1000, 2**31 - 1]))
@settings(max_examples=20)
def test_csr_with_a_column_index_out_of_range_is_refused(seed, bad):
    """The fuzz's segfault in sources/sparse.py binary_sums."""
    sp = pytest.importorskip("scipy.sparse")
    rng = np.random.default_rng(seed)
    X = sp.random(30, 5, density=0.4, format="csr", random_state=seed)
    X.indices[rng.integers(0, X.nnz)] = bad
    before = _copies(X.data, X.indices, X.indptr)
    y = np.arange(30) % rng.integers(2, 4)
    with pytest.raises(ValueError, match=f"column index {bad} is out of range"):
        LogisticRegression(max_iter=3).fit(X, y)
    _assert_unchanged(before, [X.data, X.indices, X.indptr])


@pytest.mark.parametrize("solver", ["gd", "nesterov", "sgd"])
@pytest.mark.parametrize("scale", [1e160, 1e300, 1e-170])
def test_extreme_X_gives_a_finite_step(solver, scale):
    """X of 1e160 made the step-size estimate raise LinAlgError ("Eigenvalues did
    not converge"); tiny X without intercept made it divide by zero."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 3)) * scale
    y = np.arange(60) % 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LogisticRegression(solver=solver, max_iter=5, fit_intercept=scale > 1,
                                   C=np.inf if scale < 1 else 1.0).fit(X, y)
    assert np.isfinite(model.coef_).all() and np.isfinite(model.intercept_).all()


def test_long_double_through_the_functional_fit_is_a_type_error():
    if np.dtype(np.longdouble).itemsize <= 8:
        pytest.skip("long double is float64 here")
    X = np.random.default_rng(0).standard_normal((20, 2)).astype(np.longdouble)
    with pytest.raises(TypeError, match="X has dtype float(96|128) \\(long double\\)"):
        fastlogreg.fit(X, np.arange(20) % 2)


@pytest.mark.parametrize("top", [2**64 - 1, 2**63 + 5])
def test_uint64_labels_near_the_top_fit_and_predict_themselves(top):
    """uint64 labels near 2**64 overflowed the label encoding (the estimator must
    call _validation.encode_labels)."""
    X = np.random.default_rng(0).standard_normal((40, 2))
    y = np.where(X[:, 0] > 0, np.uint64(top), np.uint64(top - 3)).astype(np.uint64)
    model = LogisticRegression().fit(X, y)
    assert model.classes_.dtype == np.uint64
    assert model.classes_.tolist() == [top - 3, top]
    assert (model.predict(X) == y).mean() > 0.9


# The lead's items (estimator.py): each fails until the estimator checks it.

def test_class_weight_nan_names_class_weight():
    X = np.random.default_rng(0).standard_normal((20, 2))
    with pytest.raises(ValueError, match="class_weight"):
        LogisticRegression(class_weight={0: np.nan, 1: 1.0}).fit(X, np.arange(20) % 2)


def test_negative_class_weights_are_refused():
    X = np.random.default_rng(0).standard_normal((20, 2))
    with pytest.raises(ValueError, match="class_weight"):
        LogisticRegression(class_weight={0: -0.5, 1: 2.0}).fit(X, np.arange(20) % 2)


def test_random_state_string_is_refused():
    X = np.random.default_rng(0).standard_normal((20, 2))
    with pytest.raises(ValueError, match="random_state"):
        LogisticRegression(solver="sgd", random_state="x").fit(X, np.arange(20) % 2)


@pytest.mark.parametrize("params", [dict(max_iter=1.5), dict(fit_intercept="False"),
                                    dict(C="1"), dict(solver=3)])
def test_bad_parameters_are_both_value_and_type_errors(params):
    """scikit-learn's InvalidParameterError is both, so `except ValueError`
    catches max_iter=1.5 as it does with scikit-learn."""
    X = np.random.default_rng(0).standard_normal((20, 2))
    with pytest.raises(ValueError) as info:
        LogisticRegression(**params).fit(X, np.arange(20) % 2)
    assert isinstance(info.value, TypeError)
    assert next(iter(params)) in str(info.value)


def test_sgd_warns_when_max_iter_stops_it():
    X = np.random.default_rng(0).standard_normal((200, 3))
    y = (X[:, 0] > 0).astype(int)
    with pytest.warns(ConvergenceWarning):
        LogisticRegression(solver="sgd", max_iter=2, tol=1e-12, random_state=0).fit(X, y)


# --- hostile model files ----------------------------------------------------------------


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((120, 4))
    y = np.array(["a", "b", "c"])[np.argmax(X[:, :3], axis=1)]
    path = tmp_path_factory.mktemp("model") / "model.npz"
    save_model(LogisticRegression(max_iter=200).fit(X, y), path)
    return path, load_model(path), X


def _load_or_refuse(path, original, X):
    """A damaged file is refused with a ValueError naming it, or loads the model
    that was saved, exactly."""
    try:
        model = load_model(path)
    except ValueError as exc:
        assert str(path) in str(exc), str(exc)
        return False
    assert_same_model(model, original)
    return True


@settings(max_examples=150, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_randomly_damaged_model_files(model_file, tmp_path_factory, data):
    path, original, X = model_file
    raw = bytearray(path.read_bytes())
    how = data.draw(st.sampled_from(["flip", "set", "truncate", "insert", "delete",
                                     "zero-run"]))
    at = data.draw(st.integers(0, len(raw) - 1))
    if how == "flip":
        for k in data.draw(st.lists(st.integers(0, len(raw) - 1), min_size=1, max_size=5)):
            raw[k] ^= data.draw(st.integers(1, 255))
    elif how == "set":
        raw[at] = data.draw(st.integers(0, 255))
    elif how == "truncate":
        del raw[at:]
    elif how == "insert":
        raw[at:at] = data.draw(st.binary(min_size=1, max_size=64))
    elif how == "delete":
        del raw[at:at + data.draw(st.integers(1, 64))]
    else:
        raw[at:at + data.draw(st.integers(1, 256))] = bytes(256)[:len(raw[at:at + 256])]
    damaged = tmp_path_factory.mktemp("damaged") / "damaged.npz"
    damaged.write_bytes(bytes(raw))
    _load_or_refuse(damaged, original, X)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=4),
    max_leaves=12)


@settings(max_examples=100, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_randomly_edited_headers(model_file, tmp_path_factory, data):
    """Consistent files (fresh checksums) whose JSON header has one value replaced:
    refused by name, or loaded as a model whose every method works."""
    path, _, X = model_file
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    header = json.loads(str(arrays["__fastlogreg__"][()]))
    section = data.draw(st.sampled_from(["params", "attributes", "top"]))
    if section == "top":
        key = data.draw(st.sampled_from(sorted(header)))
        header[key] = data.draw(JSON_VALUES)
    else:
        key = data.draw(st.sampled_from(sorted(header[section])))
        target = header[section]
        if data.draw(st.booleans()) and isinstance(target[key], dict) and target[key]:
            field = data.draw(st.sampled_from(sorted(target[key])))
            target[key][field] = data.draw(JSON_VALUES)
        else:
            target[key] = data.draw(JSON_VALUES)
    edited = tmp_path_factory.mktemp("edited") / "edited.npz"
    try:
        text = json.dumps(header, allow_nan=True)
    except (TypeError, ValueError):
        return
    np.savez(edited, **{**arrays, "__fastlogreg__": np.array(text)})
    try:
        model = load_model(edited)
    except ValueError as exc:
        assert str(edited) in str(exc)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        proba = model.predict_proba(X)
    assert np.isfinite(proba).all()
    assert model.get_params() == model.get_params()  # plain, comparable parameters


def test_a_directory_or_unreadable_path_is_an_os_error(tmp_path):
    with pytest.raises(OSError):
        load_model(tmp_path)
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "nope.npz")


def test_zip_with_one_byte_damaged_never_loads_a_different_model(model_file, tmp_path):
    """Bytes spread over the whole file set to 0xFF in turn (the fuzz flipped
    bytes at random): refused, or the same model."""
    path, original, X = model_file
    raw = path.read_bytes()
    target = tmp_path / "one.npz"
    loaded = 0
    spots = range(0, len(raw), max(1, len(raw) // 250))  # about 250, evenly spread
    for at in spots:
        damaged = bytearray(raw)
        damaged[at] = 0xFF if raw[at] != 0xFF else 0x00
        target.write_bytes(bytes(damaged))
        loaded += _load_or_refuse(target, original, X)
    assert loaded < len(spots)


# --- the hypothesis profiles ---------------------------------------------------------


def test_the_nightly_profile_explores_new_examples():
    code = ("import sys; sys.path.insert(0, 'tests'); import conftest; "
            "from hypothesis import settings; s = settings.default; "
            "print(s.max_examples, s.derandomize)")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for profile, want in [("nightly", "1200 False"), (None, "60 True")]:
        env = {k: v for k, v in os.environ.items() if k != "HYPOTHESIS_PROFILE"}
        if profile:
            env["HYPOTHESIS_PROFILE"] = profile
        out = subprocess.run([sys.executable, "-c", code], cwd=root, env=env,
                             capture_output=True, text=True, check=True, timeout=120)
        assert out.stdout.split()[-2:] == want.split()


def test_workqueue_is_named_in_the_threading_module():
    """The concurrent-fits SIGABRT of the fuzz is tested in test_threading.py."""
    from fastlogreg import _threading

    assert "workqueue" in _threading.__doc__


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_wide_data_step_uses_the_smaller_gram(fit_intercept):
    """With more features than sampled rows the step estimate takes the rows'
    m x m Gram matrix: the same largest eigenvalue as the (d+1)-square one,
    without allocating the latter."""
    import tracemalloc

    from fastlogreg.solvers import BinaryProblem

    rng = np.random.default_rng(7)
    n, d = 100, 1_200
    X = rng.standard_normal((n, d)) * rng.uniform(0.1, 3, d)
    y = (X[:, 0] > 0).astype(float)
    sw = rng.uniform(0.2, 2.0, n)
    problem = BinaryProblem(X, y, sw, fit_intercept=fit_intercept)
    Xt = np.column_stack([X, np.ones(n)]) if fit_intercept else X
    lam = np.linalg.eigvalsh((Xt * (sw / sw.sum())[:, None]).T @ Xt)[-1]
    want = min(0.25 * lam, 0.25 * problem._trace())
    tracemalloc.start()
    try:
        got = problem.lipschitz()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert got == pytest.approx(want, rel=1e-10)
    assert peak < (d + 1) ** 2 * 8 / 4, peak  # far below the d x d matrix

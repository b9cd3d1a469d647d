"""Bad input is refused with a clear error before any work; inputs are never modified."""

import numpy as np
import pytest

import fastlogreg
from conftest import assert_unchanged
from fastlogreg import _validation, solvers
from fastlogreg.comparisons import make_case


@pytest.fixture
def data():
    case = make_case(40, 3, seed=11)
    return case.X, case.y


@pytest.fixture
def no_training(monkeypatch):
    """Fail the test if a solver starts: errors must come before any work."""
    def refuse(*args, **kwargs):
        raise AssertionError("training started despite invalid input")
    monkeypatch.setattr(solvers, "gd", refuse)
    monkeypatch.setattr(solvers, "sgd", refuse)


X_ERRORS = [
    (lambda X: X[:, 0], ValueError, "X must be 2-D.*reshape"),
    (lambda X: X[None], ValueError, "X must be 2-D"),
    (lambda X: X[:0], ValueError, "X is empty"),
    (lambda X: X[:, :0], ValueError, "X is empty"),
    (lambda X: np.where(np.arange(X.size).reshape(X.shape) == 5, np.nan, X),
     ValueError, "X contains NaN"),
    (lambda X: np.where(np.arange(X.size).reshape(X.shape) == 7, -np.inf, X),
     ValueError, "X contains infinity"),
    (lambda X: X.astype(str), TypeError, "X must hold real numbers"),
    (lambda X: X.astype(object), TypeError, "X must hold real numbers"),
    (lambda X: X.astype(complex), TypeError, "X must hold real numbers"),
]


@pytest.mark.parametrize(("make_bad", "error", "match"), X_ERRORS)
def test_bad_X_is_refused(data, no_training, make_bad, error, match):
    X, y = data
    with pytest.raises(error, match=match):
        fastlogreg.fit(make_bad(X), y)


def test_sparse_X_is_refused_with_a_hint(data, no_training):
    sparse = pytest.importorskip("scipy.sparse")
    X, y = data
    with pytest.raises(TypeError, match="sparse.*toarray"):
        fastlogreg.fit(sparse.csr_matrix(X), y)


Y_ERRORS = [
    (lambda y: y[:-1], ValueError, "y has 39 entries but X has 40 samples"),
    (lambda y: y[:, None], ValueError, "y must be 1-D.*ravel"),
    (lambda y: np.where(np.arange(y.size) == 3, np.nan, y), ValueError, "y contains NaN"),
    (lambda y: y * 2 - 1, ValueError, "binary labels 0 and 1; got values -1.0, 1.0"),
    (lambda y: y + np.arange(y.size) % 3, ValueError, "binary labels"),
    (lambda y: np.zeros_like(y), ValueError, "one class only"),
    (lambda y: np.ones_like(y), ValueError, "one class only"),
    (lambda y: y.astype(str), TypeError, "y must hold real numbers"),
]


@pytest.mark.parametrize(("make_bad", "error", "match"), Y_ERRORS)
def test_bad_y_is_refused(data, no_training, make_bad, error, match):
    X, y = data
    with pytest.raises(error, match=match):
        fastlogreg.fit(X, make_bad(y))


SW_ERRORS = [
    (np.ones(39), ValueError, "sample_weight has 39 entries"),
    (np.full(40, -1.0), ValueError, "sample_weight must be >= 0"),
    (np.zeros(40), ValueError, "sample_weight sums to 0"),
    (np.r_[np.inf, np.ones(39)], ValueError, "sample_weight contains infinity"),
    (np.r_[np.nan, np.ones(39)], ValueError, "sample_weight contains NaN"),
    (np.ones((40, 1)), ValueError, "sample_weight must be 1-D"),
]


@pytest.mark.parametrize(("sw", "error", "match"), SW_ERRORS)
def test_bad_sample_weight_is_refused(data, no_training, sw, error, match):
    X, y = data
    with pytest.raises(error, match=match):
        fastlogreg.fit(X, y, sample_weight=sw)


PARAM_ERRORS = [
    (dict(learning_rate=0), ValueError, "learning_rate must be finite and > 0"),
    (dict(learning_rate=-0.1), ValueError, "learning_rate must be finite and > 0"),
    (dict(learning_rate=np.nan), ValueError, "learning_rate must be finite"),
    (dict(learning_rate="fast"), TypeError, "learning_rate must be a real number"),
    (dict(epochs=0), ValueError, "epochs must be >= 1"),
    (dict(epochs=2.5), TypeError, "epochs must be an integer"),
    (dict(epochs=True), TypeError, "epochs must be an integer"),
    (dict(alpha=-1.0), ValueError, "alpha must be finite and >= 0"),
    (dict(alpha=np.inf), ValueError, "alpha must be finite"),
    (dict(record_every=0), ValueError, "record_every must be >= 1"),
    (dict(tol=-1e-3), ValueError, "tol must be finite and >= 0"),
    (dict(solver="newton-cg"), ValueError, "solver must be one of"),
    (dict(solver="sgd", batch_size=0), ValueError, "batch_size must be between 1 and 40"),
    (dict(solver="sgd", batch_size=41), ValueError, "batch_size must be between 1 and 40"),
    (dict(solver="gd", batch_size=8), ValueError, "batch_size applies to solver='sgd'"),
    (dict(fit_intercept="yes"), TypeError, "fit_intercept must be True or False"),
    (dict(coef_init=np.ones(4)), ValueError, "coef_init has 4 entries but X has 3 features"),
    (dict(coef_init=[np.nan, 0, 0]), ValueError, "coef_init contains NaN"),
    (dict(intercept_init=np.inf), ValueError, "intercept_init must be finite"),
]


@pytest.mark.parametrize(("params", "error", "match"), PARAM_ERRORS)
def test_bad_parameters_are_refused(data, no_training, params, error, match):
    X, y = data
    with pytest.raises(error, match=match):
        fastlogreg.fit(X, y, **params)


def test_predict_checks_features(data):
    X, y = data
    model = fastlogreg.fit(X, y, epochs=2)
    with pytest.raises(ValueError, match="X has 2 features, but the model was fitted with 3"):
        model.predict(X[:, :2])
    with pytest.raises(ValueError, match="X contains NaN"):
        model.predict_proba(np.full((2, 3), np.nan))


@pytest.mark.parametrize("solver", ["gd", "sgd"])
@pytest.mark.parametrize("layout", ["C", "F"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_caller_arrays_are_never_modified(solver, layout, dtype):
    case = make_case(200, 4, weighted=True, seed=12)
    args = {
        "X": np.asarray(case.X * 3, dtype=dtype, order=layout),
        "y": case.y.copy(),
        "sample_weight": case.sample_weight.copy(),
        "coef_init": np.ones(4),
    }
    before = {k: v.copy() for k, v in args.items()}
    model = fastlogreg.fit(args.pop("X"), args.pop("y"), solver=solver, epochs=5,
                           random_state=0, **args)
    model.predict_proba(before["X"])
    after = {"X": before["X"], **args}
    assert_unchanged(before, {**after, "X": before["X"], "y": before["y"]})
    assert not np.shares_memory(model.coef, before["coef_init"])


def test_check_X_reads_kernel_ready_arrays_in_place():
    for dtype in (np.float32, np.float64):
        for layout in "CF":
            X = np.ones((5, 3), dtype=dtype, order=layout)
            assert _validation.check_X(X) is X
    strided = np.ones((6, 6))[::2, ::2]
    assert _validation.check_X(strided).flags.c_contiguous
    assert _validation.check_X(np.ones((2, 2), dtype=np.float16)).dtype == np.float32
    assert _validation.check_X(np.ones((2, 2), dtype=bool)).dtype == np.float64


def test_finite_check_is_not_fooled_by_an_overflowing_sum():
    X = np.full((4, 2), 1e308)  # finite, but its sum overflows
    assert _validation.check_X(X) is X
    X32 = np.full((4, 2), 3e38, dtype=np.float32)
    assert _validation.check_X(X32) is X32


@pytest.mark.skipif(np.dtype(np.longdouble).itemsize <= 8,
                    reason="long double is float64 on this platform")
def test_long_double_is_refused_by_name(data):
    """Numba has no long-double kernels: a TypeError, not a Numba TypingError."""
    X, y = data
    with pytest.raises(TypeError, match=r"X has dtype float(96|128) \(long double\).*astype"):
        fastlogreg.fit(X.astype(np.longdouble), y, epochs=1)
    model = fastlogreg.fit(X, y, epochs=2)
    with pytest.raises(TypeError, match="long double"):
        model.predict(X.astype(np.longdouble))


@pytest.mark.parametrize("bad", [-1, 3, 1000])
def test_csr_index_out_of_range(bad):
    """A column index outside [0, n_features) would make the kernels read out of
    bounds (the fuzz's segfault in binary_sums): refused before any pass."""
    sp = pytest.importorskip("scipy.sparse")
    X = sp.random(20, 3, density=0.5, format="csr", random_state=0)
    indices = X.indices.copy()
    indices[len(indices) // 2] = bad
    with pytest.raises(ValueError, match=f"column index {bad} is out of range for 3"):
        _validation.check_csr_indices(indices, X.indptr, 20, 3)
    _validation.check_csr_indices(X.indices, X.indptr, 20, 3)  # a valid one passes
    with pytest.raises(ValueError, match="indptr"):
        _validation.check_csr_indices(X.indices, X.indptr[::-1].copy(), 20, 3)
    with pytest.raises(ValueError, match="indptr has shape"):
        _validation.check_csr_indices(X.indices, X.indptr[:-1], 20, 3)


@pytest.mark.parametrize(("y", "classes"), [
    (np.array([2**64 - 1, 2**64 - 2, 2**64 - 1], dtype=np.uint64), [2**64 - 2, 2**64 - 1]),
    (np.array([2**64 - 1, 0], dtype=np.uint64), [0, 2**64 - 1]),
    (np.array([2**63 - 1, 2**63 - 4]), [2**63 - 4, 2**63 - 1]),
    (np.array([-2**63, 2**63 - 1]), [-2**63, 2**63 - 1]),
    (np.array([-128, 127, -128], dtype=np.int8), [-128, 127]),
    (np.array([True, False, True]), [False, True]),
    (np.array([3.0, -1.0, 3.0]), [-1.0, 3.0]),
    (np.array(["b", "a", "b"]), ["a", "b"]),
])
def test_encode_labels_near_the_uint64_limit(y, classes):
    """Labels at the ends of their integer type neither overflow nor wrap; classes
    keep y's dtype and every index points back at its label."""
    found, index = _validation.encode_labels(y)
    assert found.dtype == y.dtype
    assert found.tolist() == classes
    assert index.dtype == np.float64
    np.testing.assert_array_equal(found[index.astype(np.intp)], y)

"""fastlogreg.LogisticRegressionCV and logistic_regression_path against scikit-learn."""

import numpy as np
import pytest
import sklearn
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegressionCV as SkLogisticRegressionCV
from sklearn.linear_model._logistic import _logistic_regression_path
from sklearn.model_selection import GroupKFold, StratifiedKFold
from sklearn.utils.estimator_checks import parametrize_with_checks

from conftest import rss_growth
from fastlogreg import LogisticRegressionCV, logistic_regression_path

TIGHT = dict(tol=1e-10, max_iter=1000)


def _data(n_classes, n=240, d=5, seed=0):
    return make_classification(n, d, n_informative=3, n_redundant=1,
                               n_classes=n_classes, n_clusters_per_class=1,
                               random_state=seed)


def _both(X, y, fit_kw=None, **params):
    params = {"Cs": 4, "cv": 3, "l1_ratios": (0,), "use_legacy_attributes": True,
              **params}
    ours = LogisticRegressionCV(**params).fit(X, y, **(fit_kw or {}))
    theirs = SkLogisticRegressionCV(**params).fit(X, y, **(fit_kw or {}))
    return ours, theirs


def _assert_same(ours, theirs, rtol=1e-4, atol=1e-6):
    np.testing.assert_array_equal(ours.C_, theirs.C_)
    np.testing.assert_array_equal(ours.l1_ratio_, theirs.l1_ratio_)
    np.testing.assert_array_equal(ours.Cs_, theirs.Cs_)
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    for name in ("coefs_paths_", "scores_"):
        a, b = getattr(ours, name), getattr(theirs, name)
        if isinstance(b, dict):
            assert list(a) == list(b)
            a, b = np.array(list(a.values())), np.array(list(b.values()))
        assert a.shape == b.shape, name
        if name == "scores_":
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
        else:
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
    assert ours.n_iter_.shape == theirs.n_iter_.shape
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=rtol, atol=1e-5)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=rtol, atol=1e-5)


@pytest.mark.parametrize("scoring", [None, "neg_log_loss"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_same_as_sklearn(n_classes, scoring):
    X, y = _data(n_classes)
    _assert_same(*_both(X, y, scoring=scoring, **TIGHT))


@pytest.mark.parametrize("n_classes", [2, 3])
def test_new_attribute_layout_and_no_refit(n_classes):
    X, y = _data(n_classes, seed=1)
    _assert_same(*_both(X, y, scoring="neg_log_loss", use_legacy_attributes=False,
                        refit=False, **TIGHT))


def test_weights_class_weight_and_no_intercept():
    X, y = _data(3, seed=2)
    sw = np.random.default_rng(0).uniform(0.2, 2.0, y.shape[0])
    _assert_same(*_both(X, y, fit_kw={"sample_weight": sw}, scoring=None,
                        class_weight="balanced", fit_intercept=False, **TIGHT))


def test_float32_fortran_x_read_in_place():
    X, y = _data(2, seed=3)
    X32 = np.asfortranarray(X, dtype=np.float32)
    ours = LogisticRegressionCV(Cs=3, cv=3, l1_ratios=(0,), scoring=None,
                                use_legacy_attributes=False, **TIGHT).fit(X32, y)
    ref = LogisticRegressionCV(Cs=3, cv=3, l1_ratios=(0,), scoring=None,
                               use_legacy_attributes=False, **TIGHT).fit(
        X32.astype(np.float64), y)
    np.testing.assert_allclose(ours.coefs_paths_, ref.coefs_paths_, rtol=1e-6, atol=1e-8)
    assert ours.C_ == ref.C_


def test_groups_routed_to_the_splitter():
    X, y = _data(2, seed=4)
    groups = np.arange(y.shape[0]) % 6
    with sklearn.config_context(enable_metadata_routing=True):
        ours, theirs = _both(X, y, fit_kw={"groups": groups}, cv=GroupKFold(3),
                             scoring=None, **TIGHT)
    _assert_same(ours, theirs)


def test_other_scorer_and_splitter():
    X, y = _data(2, seed=5)
    _assert_same(*_both(X, y, scoring="roc_auc", cv=StratifiedKFold(4), **TIGHT))


def test_other_solvers_fall_back_to_sklearn():
    X, y = _data(2, seed=6)
    ours, theirs = _both(X, y, solver="liblinear", scoring=None)
    np.testing.assert_allclose(ours.coef_, theirs.coef_)


def test_defaults_warn_as_sklearn_does():
    X, y = _data(2, seed=7)
    with pytest.warns(FutureWarning):
        LogisticRegressionCV(Cs=2, cv=2).fit(X, y)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_path_same_as_sklearn(n_classes):
    X, y = _data(n_classes, seed=8)
    Cs = np.logspace(-2, 2, 4)
    coefs, Cs_out, n_iter = logistic_regression_path(X, y, Cs, **TIGHT)
    want, _, _ = _logistic_regression_path(X, y, classes=np.unique(y), Cs=Cs, **TIGHT)
    np.testing.assert_allclose(coefs, want, rtol=1e-4, atol=1e-6)
    np.testing.assert_array_equal(Cs_out, Cs)
    assert n_iter.shape == (4,) and np.all(n_iter > 0)


def test_path_rejects_bad_input():
    X, y = _data(2)
    with pytest.raises(ValueError, match="one class"):
        logistic_regression_path(X, np.zeros_like(y))


# scikit-learn's own test configuration of its class (max_iter=5 warns, as theirs
# does; a 3-fold split of a class of 2 samples warns in the splitter).
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.filterwarnings("ignore:The least populated class:UserWarning")
@parametrize_with_checks([
    LogisticRegressionCV(max_iter=5, cv=3, l1_ratios=(0,), scoring="neg_log_loss",
                         use_legacy_attributes=False),
])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_sparse_x_gives_the_dense_result(n_classes):
    """CSR X: binary models share each read of the nonzeros (the batched CSR
    pass), softmax ones take the sources' per-model default."""
    import scipy.sparse as sp

    X, y = _data(n_classes, seed=9)
    X[np.abs(X) < 0.5] = 0.0
    params = dict(Cs=3, cv=3, l1_ratios=(0,), scoring=None, use_legacy_attributes=False,
                  **TIGHT)
    dense = LogisticRegressionCV(**params).fit(X, y)
    sparse = LogisticRegressionCV(**params).fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(sparse.coefs_paths_, dense.coefs_paths_, rtol=1e-6,
                               atol=1e-8)
    np.testing.assert_array_equal(sparse.scores_, dense.scores_)


def test_dask_x_gives_the_in_memory_result():
    """A Dask X (and y) is read into memory by the validation, as scikit-learn's
    class does, and gives the in-memory fit (docs/user_guide/large_data.rst)."""
    da = pytest.importorskip("dask.array")
    X, y = _data(2, seed=4)
    params = dict(Cs=3, cv=3, l1_ratios=(0,), scoring=None, use_legacy_attributes=False)
    here = LogisticRegressionCV(**params).fit(X, y)
    there = LogisticRegressionCV(**params).fit(da.from_array(X, chunks=(60, 5)),
                                               da.from_array(y, chunks=60))
    np.testing.assert_array_equal(there.coefs_paths_, here.coefs_paths_)
    np.testing.assert_array_equal(there.coef_, here.coef_)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_default_tol_follows_sklearn_path(n_classes):
    """Warm starts along each fold's path of Cs give scikit-learn's iterates,
    so even at the default tol the scores, C and iteration counts agree."""
    X, y = _data(n_classes, n=600, seed=10)
    ours, theirs = _both(X, y, scoring=None, Cs=6)
    _assert_same(ours, theirs, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ours.n_iter_, theirs.n_iter_, atol=1)


@pytest.mark.parametrize("dtype,layout", [("float32", "C"), ("float64", "F")])
def test_a_cv_fit_never_copies_X(dtype, layout):
    """Peak memory of a whole cross-validation (5 folds x 4 Cs, scoring and the
    refit included) beyond X: folds are row weights, never copies of X."""
    fit = ("fastlogreg.LogisticRegressionCV(Cs=4, cv=5, max_iter=5, "
           "use_legacy_attributes=False).fit({}, {})")
    grown = rss_growth(dtype, layout, warm=fit.format("small", "ys"),
                       work=fit.format("X", "y"))
    n, d, folds = 200_000, 100, 5  # rss_growth's X
    grown_bytes = grown * n * d * np.dtype(dtype).itemsize
    # per fold and row: training and held-out weights and the splitter's
    # indices, a few float64; one copy of X would be d of them
    assert grown_bytes <= folds * n * 6 * 8

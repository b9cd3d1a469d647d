"""The ``sag`` and ``saga`` solvers (``fastlogreg.solvers.sag``) against
scikit-learn's same-named solvers: the same optimum at a tight ``tol``, and
the solver's contract (epochs, convergence flag, records, determinism)."""

import warnings

import numba
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from fastlogreg.solvers import SOLVERS, BinaryProblem, MultinomialProblem, sag, saga

TOL = 1e-10
C = 0.7


def _data(n_classes, seed=0, n=150, d=5):
    X, y = make_classification(n, d, n_informative=4, n_redundant=0,
                               n_classes=n_classes, random_state=seed)
    sw = np.random.default_rng(seed).uniform(0.0, 2.0, n)
    sw[::7] = 0.0  # zero weights included
    return X, y, sw


def _problem(X, y, sw, n_classes, l1_ratio, fit_intercept=True):
    S = sw.sum()
    kw = dict(alpha=(1 - l1_ratio) / (C * S), l1=l1_ratio / (C * S),
              fit_intercept=fit_intercept)
    if n_classes == 2:
        return BinaryProblem(X, y.astype(float), sw, **kw)
    return MultinomialProblem(X, y.astype(float), sw, n_classes=n_classes, **kw)


def _objective(problem, theta):
    return problem.objective(theta, problem.evaluate(theta))


CASES = [  # (solver, l1_ratio, n_classes, sparse, fit_intercept)
    ("sag", 0.0, 2, False, True),
    ("sag", 0.0, 3, False, True),
    ("sag", 0.0, 2, False, False),
    ("sag", 0.0, 2, True, True),
    ("sag", 0.0, 3, True, False),
    ("saga", 0.0, 2, False, True),
    ("saga", 1.0, 2, False, True),
    ("saga", 0.5, 3, False, True),
    ("saga", 1.0, 3, True, False),
    ("saga", 0.5, 2, True, True),
]


@pytest.mark.parametrize(("solver", "l1_ratio", "n_classes", "sparse", "fit_intercept"),
                         CASES)
def test_optimum_matches_scikit_learn(solver, l1_ratio, n_classes, sparse, fit_intercept):
    X, y, sw = _data(n_classes)
    if sparse:
        X = np.where(np.abs(X) > 0.5, X, 0.0)
        X = sp.csr_matrix(X)
    clf = LogisticRegression(solver=solver, C=C, l1_ratio=l1_ratio, tol=TOL,
                             max_iter=20_000, fit_intercept=fit_intercept,
                             random_state=0).fit(X, y, sample_weight=sw)
    problem = _problem(X, y, sw, n_classes, l1_ratio, fit_intercept)
    theta0 = np.zeros(problem.n_params)
    res = SOLVERS[solver](problem, theta0, max_iter=20_000, tol=TOL,
                          rng=np.random.default_rng(0))
    assert res.converged and not res.stopped
    theirs = np.r_[clf.coef_.ravel(), np.broadcast_to(clf.intercept_, (clf.coef_.shape[0],))]
    mine, want = _objective(problem, res.theta), _objective(problem, theirs)
    assert abs(mine - want) <= 1e-8 * abs(want), (mine, want)
    if not fit_intercept:
        assert np.all(res.theta[problem.n_weights:] == 0.0)
    # scikit-learn counts epochs the same way: the same order of magnitude
    assert 0.3 < res.n_iter / clf.n_iter_[0] < 3.0


def test_same_seed_same_bits_on_any_thread_count():
    X, y, sw = _data(3, seed=1)
    problem = _problem(X, y, sw, 3, 0.5)
    runs = []
    for threads in sorted({1, numba.config.NUMBA_NUM_THREADS}):
        before = numba.get_num_threads()
        numba.set_num_threads(threads)
        try:
            runs.append(saga(problem, np.zeros(problem.n_params), max_iter=30, tol=1e-4,
                             rng=np.random.default_rng(5)))
        finally:
            numba.set_num_threads(before)
    runs.append(saga(problem, np.zeros(problem.n_params), max_iter=30, tol=1e-4,
                     rng=np.random.default_rng(5)))
    for other in runs[1:]:
        np.testing.assert_array_equal(other.theta, runs[0].theta)
        assert other.n_iter == runs[0].n_iter
    different = saga(problem, np.zeros(problem.n_params), max_iter=30, tol=1e-4,
                     rng=np.random.default_rng(6))
    assert not np.array_equal(different.theta, runs[0].theta)


def test_max_iter_ends_unconverged_and_records_every_k_epochs():
    X, y, sw = _data(2)
    problem = _problem(X, y, sw, 2, 0.0)
    seen = []
    res = sag(problem, np.zeros(problem.n_params), max_iter=25, tol=1e-15, record_every=10,
              monitor=lambda *row: seen.append(row[:3]) and False,
              rng=np.random.default_rng(0))
    assert res.n_iter == 25 and not res.converged and not res.stopped
    assert list(res.history["epoch"]) == [0, 10, 20] == [r[0] for r in seen]
    assert np.all(np.diff(res.history["loss"]) < 0)
    assert np.isfinite(res.grad_norm)
    # scikit-learn agrees that 25 epochs do not meet this tol
    with pytest.warns(ConvergenceWarning):
        LogisticRegression(solver="sag", tol=1e-15, max_iter=25).fit(X, y)


def test_monitor_can_stop_and_theta0_is_not_modified():
    X, y, sw = _data(2)
    problem = _problem(X, y, sw, 2, 0.0)
    theta0 = np.zeros(problem.n_params)
    res = sag(problem, theta0, max_iter=100, tol=1e-15, record_every=3,
              monitor=lambda epoch, *_: epoch >= 3, rng=np.random.default_rng(0))
    assert res.stopped and not res.converged and res.n_iter == 4
    assert np.all(theta0 == 0.0)


def test_refusals():
    X, y, sw = _data(2)
    with pytest.raises(ValueError, match="solver='sag' takes no L1"):
        sag(_problem(X, y, sw, 2, 0.5), np.zeros(6), max_iter=5, tol=1e-3)
    liblinear_like = BinaryProblem(X, y.astype(float), sw, alpha=0.1, intercept_alpha=0.1)
    with pytest.raises(ValueError, match="does not penalise the intercept"):
        saga(liblinear_like, np.zeros(6), max_iter=5, tol=1e-3)
    da = pytest.importorskip("dask.array")
    on_dask = BinaryProblem(da.from_array(X, chunks=50), y.astype(float), sw, alpha=0.1)
    with pytest.raises(TypeError, match="solver='sag' and 'saga' cannot run on a Dask"):
        saga(on_dask, np.zeros(6), max_iter=5, tol=1e-3)
    state = _problem(X, y, sw, 2, 0.5).sag_state(True, np.random.default_rng(0))
    with pytest.raises(TypeError, match="solver='saga' cannot run on a Dask array"):
        on_dask.data.sag_epochs(np.zeros((1, 5)), np.zeros(1), state, 1, 1e-3)


def test_all_zero_x_without_intercept_is_scikit_learns_zero_division():
    X = np.zeros((10, 3))
    y = np.r_[np.zeros(5), np.ones(5)]
    problem = BinaryProblem(X, y, np.ones(10), alpha=0.1, fit_intercept=False)
    with pytest.raises(ZeroDivisionError, match="step_size \\* alpha_scaled == 1"):
        sag(problem, np.zeros(4), max_iter=5, tol=1e-3)
    with warnings.catch_warnings(), pytest.raises(ZeroDivisionError):
        warnings.simplefilter("ignore")
        LogisticRegression(solver="sag", C=1.0, fit_intercept=False).fit(X, y)


@pytest.mark.parametrize("sparse", [False, True])
def test_overflow_is_scikit_learns_value_error(sparse):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 3)) * 1e3
    y = (rng.random(50) < 0.5).astype(float)
    sw = np.full(50, 1e306)  # scikit-learn's step ignores the weights: the steps overflow
    problem = BinaryProblem(sp.csr_matrix(X) if sparse else X, y, sw, alpha=1e-3)
    message = "Floating-point under-/overflow occurred at epoch #1"
    with pytest.raises(ValueError, match=message):
        sag(problem, np.zeros(4), max_iter=5, tol=1e-4, rng=np.random.default_rng(0))
    with warnings.catch_warnings(), pytest.raises(ValueError, match=message):
        warnings.simplefilter("ignore")
        LogisticRegression(solver="sag", max_iter=5).fit(X, y, sample_weight=sw)

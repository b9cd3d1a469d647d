"""newton-cg and newton-cholesky against scikit-learn's solvers of the same name:
the same optimum, the same iteration counts, the same fallback."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from fastlogreg.solvers import (
    SOLVERS,
    BinaryProblem,
    MultinomialProblem,
    newton_cg,
    newton_cholesky,
)

SOLVER = {"newton-cg": newton_cg, "newton-cholesky": newton_cholesky}


def _data(n_classes, n=400, d=8, seed=0):
    # no redundant (collinear) features: with C = inf the Hessian stays regular
    X, y = make_classification(n, d, n_informative=5, n_redundant=0, n_classes=n_classes,
                               flip_y=0.1, random_state=seed)
    return X, y.astype(np.float64)


def _problem(X, y, sw, C, fit_intercept, n_classes):
    alpha = 0.0 if np.isinf(C) else 1.0 / (C * sw.sum())
    if n_classes == 2:
        return BinaryProblem(X, y, sw, alpha=alpha, fit_intercept=fit_intercept)
    return MultinomialProblem(X, y, sw, alpha=alpha, fit_intercept=fit_intercept,
                              n_classes=n_classes)


def _theta_of(sk, problem):
    b = sk.intercept_ if problem.fit_intercept else np.zeros(
        problem.n_params - problem.n_weights)
    return np.r_[sk.coef_.ravel(), b]


def test_registered():
    assert SOLVERS["newton-cg"] is newton_cg
    assert SOLVERS["newton-cholesky"] is newton_cholesky


@pytest.mark.parametrize("name", list(SOLVER))
@pytest.mark.parametrize(("n_classes", "fit_intercept", "weighted", "C"), [
    (2, True, False, 1.0), (2, False, True, 0.3), (2, True, True, np.inf),
    (3, True, True, 2.0), (3, False, False, 1.0), (3, True, False, np.inf),
])
def test_optimum_and_n_iter_match_scikit_learn(name, n_classes, fit_intercept, weighted, C):
    X, y = _data(n_classes)
    sw = (np.random.default_rng(1).uniform(0.2, 2.0, len(y)) if weighted
          else np.ones(len(y)))
    sk = LogisticRegression(solver=name, C=C, tol=1e-10, max_iter=500,
                            fit_intercept=fit_intercept).fit(X, y, sample_weight=sw)
    problem = _problem(X, y, sw, C, fit_intercept, n_classes)
    result = SOLVER[name](problem, np.zeros(problem.n_params), max_iter=500, tol=1e-10)
    J = problem.evaluate(result.theta)[problem.n_params]
    J_sk = problem.evaluate(_theta_of(sk, problem))[problem.n_params]
    assert abs(J - J_sk) <= 1e-8 * abs(J_sk)
    assert result.converged and not result.fell_back
    assert result.n_iter == sk.n_iter_[0]
    if not fit_intercept:
        assert np.all(result.theta[problem.n_weights:] == 0.0)


@pytest.mark.parametrize("name", list(SOLVER))
@pytest.mark.parametrize("n_classes", [2, 3])
def test_csr_gives_the_dense_result(name, n_classes):
    X, y = _data(n_classes, n=300, d=12, seed=3)
    X[np.abs(X) < 0.8] = 0.0
    sw = np.ones(len(y))
    dense = _problem(X, y, sw, 1.0, True, n_classes)
    csr = _problem(sp.csr_matrix(X), y, sw, 1.0, True, n_classes)
    a = SOLVER[name](dense, np.zeros(dense.n_params), max_iter=100, tol=1e-10)
    b = SOLVER[name](csr, np.zeros(csr.n_params), max_iter=100, tol=1e-10)
    # (near tol, rounding may take one iteration more or less)
    assert abs(a.n_iter - b.n_iter) <= 1 and a.converged and b.converged
    # the softmax's intercepts may shift together (a direction the objective
    # is flat along): compare objectives, and coefficients loosely
    J = [p.evaluate(r.theta)[p.n_params] for p, r in ((dense, a), (csr, b))]
    assert J[1] == pytest.approx(J[0], rel=1e-13)
    np.testing.assert_allclose(b.theta, a.theta, atol=1e-7)


@pytest.mark.parametrize("name", list(SOLVER))
def test_max_iter_stops_without_convergence(name):
    X, y = _data(2)
    problem = _problem(X, y, np.ones(len(y)), 1.0, True, 2)
    result = SOLVER[name](problem, np.zeros(problem.n_params), max_iter=2, tol=1e-12)
    assert result.n_iter == 2 and not result.converged
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sk = LogisticRegression(solver=name, tol=1e-12, max_iter=2).fit(X, y)
    assert sk.n_iter_[0] == 2
    zero = SOLVER[name](problem, np.zeros(problem.n_params), max_iter=0, tol=1e-4)
    assert zero.n_iter == 0 and not zero.converged


def test_newton_cholesky_falls_back_to_lbfgs_as_scikit_learn():
    """scikit-learn's test_newton_cholesky_fallback_to_lbfgs, on the problem."""
    from scipy.linalg import LinAlgWarning

    X, y = make_classification(n_samples=10, n_features=20, random_state=42)
    C = 1e30
    problem = _problem(X, y.astype(float), np.ones(10), C, True, 2)
    lbfgs = LogisticRegression(solver="lbfgs", C=C).fit(X, y)
    with pytest.warns(LinAlgWarning, match="singular or very ill-conditioned Hessian"):
        result = newton_cholesky(problem, np.zeros(21), max_iter=100, tol=1e-4)
    assert result.fell_back and result.converged
    assert result.n_iter == lbfgs.n_iter_[0]
    limited = lbfgs.n_iter_[0] - 1
    with pytest.warns(LinAlgWarning):
        result = newton_cholesky(problem, np.zeros(21), max_iter=limited, tol=1e-4)
    assert result.fell_back and not result.converged
    assert result.n_iter == limited - 1


@pytest.mark.parametrize("name", list(SOLVER))
def test_monitor_records_and_stops(name):
    X, y = _data(3)
    problem = _problem(X, y, np.ones(len(y)), 1.0, True, 3)
    seen = []

    def monitor(iteration, loss, accuracy, theta):
        seen.append((iteration, loss, accuracy))
        return iteration >= 2

    result = SOLVER[name](problem, np.zeros(problem.n_params), max_iter=100, tol=1e-10,
                          record_every=2, monitor=monitor)
    assert [row[0] for row in seen] == [0, 2]
    assert result.stopped and not result.converged and result.n_iter == 3
    assert list(result.history["epoch"]) == [0, 2]
    J = problem.evaluate(result.theta)[problem.n_params]
    assert result.history["loss"][-1] == pytest.approx(J, rel=1e-12)


@pytest.mark.parametrize("name", list(SOLVER))
def test_l1_refused(name):
    X, y = _data(2, n=50)
    problem = BinaryProblem(X, y, np.ones(50), alpha=0.1, l1=0.1)
    with pytest.raises(ValueError, match=f"solver='{name}' takes no L1"):
        SOLVER[name](problem, np.zeros(problem.n_params), max_iter=10, tol=1e-4)


def test_theta0_is_not_modified():
    X, y = _data(3, n=100)
    problem = _problem(X, y, np.ones(100), 1.0, True, 3)
    theta0 = np.linspace(-1, 1, problem.n_params)
    before = theta0.copy()
    for solver in SOLVER.values():
        solver(problem, theta0, max_iter=5, tol=1e-8)
    np.testing.assert_array_equal(theta0, before)


def test_solver_race_prints_a_row_per_solver():
    """scripts/solver_race.py runs (its numbers are timings: only their shape
    is checked)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "scripts" / "solver_race.py"
    spec = importlib.util.spec_from_file_location("solver_race", path)
    race = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(race)
    lines = []
    rows = race.race(["newton-cg", "newton-cholesky"], 2000, 5, "float64", 1,
                     via="problem", out=lines.append)
    assert [r["solver"] for r in rows] == ["newton-cg", "newton-cholesky"]
    assert all(r["gap_ours"] <= race.GAP and r["gap_sklearn"] <= race.GAP for r in rows)
    assert all(r["ratio"] > 0 for r in rows) and len(lines) == 4


@pytest.mark.parametrize("name", list(SOLVER))
@pytest.mark.parametrize("n_classes", [2, 3])
def test_chunked_sources_give_the_in_memory_result(name, n_classes, monkeypatch):
    """A file read in chunks (Mapped, over an in-memory array here) and a Dask
    array (local scheduler) sum their chunks' second-order passes."""
    pytest.importorskip("dask")
    import dask.array as da

    from fastlogreg import _mapping
    from fastlogreg.sources import DaskArrays, Mapped

    monkeypatch.setattr(_mapping, "CHUNK_BYTES", 16 * 1024)
    X, y = _data(n_classes, n=3000, d=6, seed=4)
    sw = np.random.default_rng(2).uniform(0.5, 1.5, len(y))
    want = SOLVER[name](_problem(X, y, sw, 1.0, True, n_classes),
                        np.zeros((n_classes if n_classes > 2 else 1) * 7),
                        max_iter=50, tol=1e-9)
    sources = [Mapped(X, y, sw), DaskArrays(da.from_array(X, chunks=(700, 6)),
                                            da.from_array(y, chunks=700),
                                            da.from_array(sw, chunks=700))]
    for source in sources:
        problem = _problem(source, y, sw, 1.0, True, n_classes)
        got = SOLVER[name](problem, np.zeros(problem.n_params), max_iter=50, tol=1e-9)
        assert abs(got.n_iter - want.n_iter) <= 1
        np.testing.assert_allclose(got.theta, want.theta, rtol=1e-7, atol=1e-9)


def test_sources_without_the_passes_name_the_alternatives():
    from fastlogreg.sources import Source

    class Rows(Source):  # a source with the first-order passes only
        n_samples, n_features = 4, 2
        sample_weight = np.ones(4)

        def binary_sums(self, w, b, need_loss):
            raise AssertionError

        def multinomial_sums(self, W, b):
            raise AssertionError

        def sq_norm_sum(self):
            return 1.0

        def sample_rows(self, rows):
            raise AssertionError

    problem = BinaryProblem(Rows(), np.zeros(4), np.ones(4), alpha=0.1)
    with pytest.raises(TypeError, match="solver='newton-cg' cannot run on Rows; use "
                                        "solver='lbfgs'"):
        problem.hessp(np.zeros(3), np.ones(3))
    with pytest.raises(TypeError, match="solver='newton-cholesky' cannot run on Rows"):
        problem.gradient_hessian(np.zeros(3))

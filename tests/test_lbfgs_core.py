"""Our ask/tell L-BFGS (solvers/lbfgs_core.py) against SciPy's L-BFGS-B."""

import numpy as np
import pytest
from scipy import optimize

from fastlogreg import reference as ref
from fastlogreg.comparisons import make_case, make_multinomial_case
from fastlogreg.solvers import BinaryProblem, MultinomialProblem, lbfgs
from fastlogreg.solvers import lbfgs_core as _lbfgs_core
from fastlogreg.solvers.lbfgs_core import LBFGSState

OPTIONS = {"maxls": 50, "ftol": 64 * np.finfo(float).eps}


def _oracle_fun(case, multinomial):
    """The oracle's objective and gradient over ``theta = [w, b]``."""
    X, y, sw = case.X.astype(np.float64), case.y, case.sample_weight
    if not multinomial:
        d = X.shape[1]

        def fun(theta):
            J, dw, db = ref.loss_and_gradient(X, y, theta[:d], theta[d], alpha=case.alpha,
                                              sample_weight=sw)
            return J, np.append(dw, db)
        return fun, d + 1
    K, d = case.w.shape

    def fun(theta):
        J, dW, db = ref.multinomial_loss_and_gradient(
            X, y, theta[:K * d].reshape(K, d), theta[K * d:], alpha=case.alpha,
            sample_weight=sw)
        return J, np.concatenate([dW.ravel(), db])
    return fun, K * (d + 1)


def _ours(fun, theta0, tol, max_iter):
    state = LBFGSState(theta0, tol=tol, max_iter=max_iter)
    iterates = []
    while (theta := state.ask()) is not None:
        if state.tell(*fun(theta)):
            iterates.append(state.x.copy())
    return state, iterates


def _scipy(fun, theta0, tol, max_iter):
    iterates = []

    def callback(intermediate_result):  # SciPy passes the result by this name
        iterates.append(intermediate_result.x.copy())

    res = optimize.minimize(fun, theta0, method="L-BFGS-B", jac=True, callback=callback,
                            options={"maxiter": max_iter, "gtol": tol, **OPTIONS})
    return res, iterates


@pytest.mark.parametrize("multinomial", [False, True])
@pytest.mark.parametrize("alpha", [1e-3, 0.1])
def test_iterates_follow_scipy(multinomial, alpha):
    """The same iterates up to the line search's rounding; the same optimum."""
    make = make_multinomial_case if multinomial else make_case
    case = make(300, 6, weighted=True, alpha=alpha, seed=4)
    fun, n = _oracle_fun(case, multinomial)
    theta0 = np.zeros(n)
    state, ours = _ours(fun, theta0, 1e-10, 500)
    res, theirs = _scipy(fun, theta0, 1e-10, 500)
    assert state.converged and res.status == 0
    # early iterates agree closely; rounding differences grow along the path
    for a, b in zip(ours[:5], theirs[:5], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(state.x, res.x, rtol=1e-6, atol=1e-8)
    assert abs(state.n_iter - res.nit) <= max(3, 0.2 * res.nit)


def test_sklearn_tolerance_same_iterations():
    """At scikit-learn's default tol the iteration counts match SciPy's."""
    case = make_case(500, 8, alpha=1e-3, seed=1)
    fun, n = _oracle_fun(case, False)
    state, _ = _ours(fun, np.zeros(n), 1e-4, 100)
    res, _ = _scipy(fun, np.zeros(n), 1e-4, 100)
    assert state.n_iter == res.nit
    np.testing.assert_allclose(state.x, res.x, rtol=1e-5, atol=1e-7)


def test_stopping_rules():
    case = make_case(200, 5, alpha=1e-2, seed=2)
    fun, n = _oracle_fun(case, False)
    state, _ = _ours(fun, np.zeros(n), 1e-12, 3)
    res, _ = _scipy(fun, np.zeros(n), 1e-12, 3)
    assert (state.status, state.n_iter) == (1, 3) and res.status == 1
    np.testing.assert_allclose(state.x, res.x, rtol=1e-8)
    # at the optimum: converged without an iteration
    again, iterates = _ours(fun, state.x * 0 + res.x, 1.0, 10)
    assert again.converged and again.n_iter == 0 and not iterates


@pytest.mark.parametrize("n_classes", [2, 3])
def test_lbfgs_solver_reaches_scipys_optimum(n_classes):
    """solvers.lbfgs (ours) against SciPy's L-BFGS-B on the same problem: same
    optimum, a like number of iterations; its history and result fields."""
    if n_classes == 2:
        case = make_case(400, 7, weighted=True, seed=5)
        problem = BinaryProblem(case.X, case.y, case.sample_weight, alpha=1e-3)
    else:
        case = make_multinomial_case(400, 7, weighted=True, seed=5)
        problem = MultinomialProblem(case.X, case.y, case.sample_weight, alpha=1e-3,
                                     n_classes=3)
    theta0 = np.zeros(problem.n_params)
    records = []
    ours = lbfgs(problem, theta0, max_iter=200, tol=1e-8,
                 monitor=lambda *row: records.append(row[:3]) and False)
    n = problem.n_params
    theirs = optimize.minimize(
        lambda th: (lambda out: (out[n], out[:n]))(problem.evaluate(th)), theta0,
        method="L-BFGS-B", jac=True, options={**OPTIONS, "maxiter": 200, "gtol": 1e-8})
    assert ours.converged and theirs.status == 0
    np.testing.assert_allclose(ours.theta, theirs.x, rtol=1e-5, atol=1e-7)
    assert ours.grad_norm <= 1e-6  # converged by tol or by the relative decrease
    assert [r[0] for r in records] == list(ours.history["epoch"])
    assert abs(ours.n_iter - theirs.nit) <= max(3, 0.2 * theirs.nit)


def test_lbfgs_monitor_stops():
    case = make_case(300, 4, seed=6)
    problem = BinaryProblem(case.X, case.y, case.sample_weight, alpha=1e-3)
    result = lbfgs(problem, np.zeros(5), max_iter=100, tol=1e-12, record_every=2,
                   monitor=lambda k, *_: k >= 2)
    assert result.stopped and not result.converged and result.n_iter == 3


def _textbook_direction(S, Y, order, g):
    """``-H g`` by Nocedal and Wright's two-loop recursion (Algorithm 7.4), in NumPy."""
    q = -g.copy()
    a = []
    for i in order:  # newest first
        rho = 1.0 / (S[i] @ Y[i])
        a.append(rho * (S[i] @ q))
        q -= a[-1] * Y[i]
    if order:
        q *= (S[order[0]] @ Y[order[0]]) / (Y[order[0]] @ Y[order[0]])
    for i, ai in zip(reversed(order), reversed(a), strict=True):
        rho = 1.0 / (S[i] @ Y[i])
        q += (ai - rho * (Y[i] @ q)) * S[i]
    return q


@pytest.mark.parametrize("n", [7, _lbfgs_core._CHUNK * 3 + 5, 1 << 17])
@pytest.mark.parametrize("k", [0, 1, 4])
def test_two_loop_is_the_textbook_recursion(n, k):
    """The fused sweeps against the textbook recursion, with the order of the
    pairs in a ring (newest first, wrapping); ``g'q`` and ``q'q`` returned."""
    rng = np.random.default_rng(n + k)
    m = 5
    S, Y = rng.standard_normal((m, n)), rng.standard_normal((m, n))
    Y += 2.0 * S  # s'y > 0, as the pairs L-BFGS keeps
    rho = 1.0 / np.einsum("ij,ij->i", S, Y)
    yy = np.einsum("ij,ij->i", Y, Y)
    order = [(3 - i) % m for i in range(k)]
    g = rng.standard_normal(n)
    q = np.empty(n)
    gq, qq = _lbfgs_core._two_loop(S, Y, rho, yy, order, g, q, np.empty(m))
    want = _textbook_direction(S, Y, order, g)
    np.testing.assert_allclose(q, want, rtol=1e-11, atol=1e-12 * np.abs(want).max())
    np.testing.assert_allclose([gq, qq], [g @ want, want @ want], rtol=1e-11)


def test_wide_iterates_follow_scipy():
    """Over many chunks of the sweeps: SciPy's iterates on a smooth coupled
    objective of 131,083 variables."""
    n = (1 << 17) + 11
    rng = np.random.default_rng(7)
    scale, centre = rng.uniform(0.5, 20.0, n), rng.standard_normal(n)

    def fun(x):
        r = x - centre
        sq = 1.0 + x @ x
        return 0.5 * float(r @ (scale * r)) + np.log(sq), scale * r + 2.0 * x / sq

    state, ours = _ours(fun, np.zeros(n), 1e-6, 30)
    res, theirs = _scipy(fun, np.zeros(n), 1e-6, 30)
    for a, b in zip(ours[:5], theirs[:5], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(state.x, res.x, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("where", [0, 1, _lbfgs_core._CHUNK + 7])
def test_the_gradients_max_norm_keeps_a_nan(where):
    """The slope sweep's max |g| (the ``tol`` test of every accepted step) is
    nan when any entry is, in any chunk: a nan gradient never passes ``tol``
    (Numba's ``max`` would skip it)."""
    n = _lbfgs_core._CHUNK * 2 + 3
    g = np.full(n, 1e-9)
    g[where] = np.nan
    slope, gmax = _lbfgs_core._sweep(_lbfgs_core._SLOPE, g, np.ones(n))
    assert np.isnan(gmax) and np.isnan(slope)
    g[where] = -2.0
    assert _lbfgs_core._sweep(_lbfgs_core._SLOPE, g, np.ones(n))[1] == 2.0


def _every_sweep(A, B, C, D, E):
    """Each sweep once, on views of five vectors: its sums and what it wrote."""
    sweep = _lbfgs_core._sweep
    out = [sweep(_lbfgs_core._FILL, A, B, C, D=D, c=0.37, scale=1.3), A.copy(),
           sweep(_lbfgs_core._FILL, A, B, D=D, scale=-1.0), A.copy(),
           sweep(_lbfgs_core._FILL, A, B, C, c=0.37), A.copy(),
           sweep(_lbfgs_core._UPDATE, A, C=C, D=D, c=-0.21, scale=0.7), A.copy(),
           sweep(_lbfgs_core._PAIR, A, B, C, D, E, c=0.5), A.copy(), B.copy(),
           sweep(_lbfgs_core._SLOPE, D, C)]
    return [np.asarray(v, dtype=np.float64) for v in out]


@pytest.mark.parametrize("n", [5, 21, 100])
def test_sweeps_do_not_depend_on_where_arrays_lie(n):
    """The same bits for vectors far apart and for vectors packed next to one
    another in one buffer, in any order and with small gaps: LLVM takes a
    scalar copy of a storing loop when arrays are close, and that copy must
    round as the vector one does (the first fit of a process differed from
    later ones in the last bit before the sweeps stored, then summed)."""
    vals = np.random.default_rng(n).standard_normal((5, n))
    far = [np.empty(n + 8192)[4096:4096 + n] for _ in range(5)]
    for a, v in zip(far, vals, strict=True):
        a[:] = v
    want = _every_sweep(*far)
    for order in ([0, 1, 2, 3, 4], [4, 3, 2, 1, 0], [2, 0, 4, 1, 3], [1, 3, 0, 4, 2]):
        for gap in (0, 1, 3, 8):
            buf = np.empty(5 * (n + gap) + 2)
            views = [None] * 5
            for slot, k in enumerate(order):
                views[k] = buf[1 + slot * (n + gap):1 + slot * (n + gap) + n]
                views[k][:] = vals[k]
            for a, b in zip(_every_sweep(*views), want, strict=True):
                np.testing.assert_array_equal(a, b)

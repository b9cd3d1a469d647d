"""Inexact Newton with conjugate gradients: scikit-learn's ``newton-cg``.

The algorithm, stopping rules and iteration count are those of
``sklearn.utils.optimize._newton_cg`` (scikit-learn 1.9): each Newton
iteration stops at once if ``max|g| <= tol``; otherwise it solves ``H p = -g``
by conjugate gradients (at most 200 inner iterations, until the residual's
1-norm is ``<= min(0.5, sqrt(|g|_1)) |g|_1``, with its capped-curvature and
negative-curvature exits), then takes a Wolfe line search along ``p``
(MINPACK's, then the tiny-loss rule, then SciPy's ``line_search_wolfe2``).

What differs is how the data are read. Every Hessian-vector product is one
fused pass over ``X`` (:meth:`.problem._Problem.hessp`: the curvature is
recomputed in the row loop, never stored), and the line search's value and
gradient at a point come from one pass (:meth:`evaluate`) where scikit-learn
reads ``X`` for each; the gradient at the accepted point is reused by the
next iteration.
"""

from __future__ import annotations

import warnings

import numpy as np

from .problem import SolverResult, as_history

__all__ = ["newton_cg"]

# scikit-learn's inner iterations per Newton step (_newton_cg's maxinner).
MAX_INNER = 200


def _cg(hessp, fgrad: np.ndarray, maxiter: int, tol: float) -> np.ndarray:
    """Approximately solve ``H x = -fgrad``: ``sklearn.utils.optimize._cg``."""
    eps = 16 * np.finfo(fgrad.dtype).eps
    xsupi = np.zeros_like(fgrad)
    ri = fgrad.copy()  # residual = fgrad + H xsupi
    psupi = -ri
    i = 0
    dri0 = ri @ ri
    psupi_norm2 = dri0  # |p_i|^2
    while i <= maxiter:
        if np.sum(np.abs(ri)) <= tol:
            break
        Ap = hessp(psupi)
        curv = psupi @ Ap
        if 0 <= curv <= eps * psupi_norm2:
            break  # capped CG (arXiv:1803.02924, Algorithm 1)
        elif curv < 0:
            if i == 0:  # steepest descent
                xsupi += dri0 / curv * psupi
            break
        alphai = dri0 / curv
        xsupi += alphai * psupi
        ri += alphai * Ap
        dri1 = ri @ ri
        betai = dri1 / dri0
        psupi = -ri + betai * psupi
        psupi_norm2 = dri1 + betai**2 * psupi_norm2
        i += 1
        dri0 = dri1
    return xsupi


def newton_cg(problem, theta0: np.ndarray, *, max_iter: int, tol: float,
              record_every: int = 10, monitor=None) -> SolverResult:
    """Minimise the problem's smooth objective by scikit-learn's newton-cg.

    Parameters
    ----------
    problem : BinaryProblem or MultinomialProblem
        Its objective is the mean loss plus the L2 terms, scikit-learn's own
        scaling (``alpha = 1 / (C S)``), so ``tol`` is scikit-learn's: the
        iteration stops once the gradient's max-norm is ``<= tol``.
    theta0 : ndarray
        Starting parameters (copied).
    max_iter : int
        Newton iterations at most.
    tol : float
    record_every : int, default=10
        After Newton iterations 0, k, 2k, ... (counted from 0) the row
        ``(iteration, objective, accuracy)`` is recorded and passed with
        ``theta`` to ``monitor``, which may stop the fit by returning True.
    monitor : callable, optional

    Returns
    -------
    SolverResult
        ``n_iter`` is scikit-learn's: the Newton iterations taken (the
        iteration that finds ``max|g| <= tol`` takes no step and is not
        counted). ``converged`` is False only when ``max_iter`` iterations
        ran out, when scikit-learn warns; a failed line search ends the fit
        with scikit-learn's "Line Search failed" warning and counts as
        converged, as scikit-learn does not warn of convergence then.
    """
    if problem.l1:
        raise ValueError("solver='newton-cg' takes no L1 penalty (l1_ratio > 0); use "
                         "solver='saga', 'gd' or 'nesterov'.")
    from scipy.optimize._linesearch import line_search_wolfe2, scalar_search_wolfe1

    n = problem.n_params
    free = problem.free_params
    every = len(free) == n
    theta = np.zeros(n)
    theta[free] = np.asarray(theta0, dtype=np.float64)[free]
    last = {"theta": None, "out": None}

    def evaluate(x_full):
        # the line search asks for the value and the gradient at one point in
        # turn, and the next iteration for the gradient at the accepted one:
        # one pass serves them all
        if last["theta"] is None or not np.array_equal(last["theta"], x_full):
            last["theta"], last["out"] = x_full.copy(), problem.evaluate(x_full)
        return last["out"]

    def full(x):
        if every:
            return x
        t = np.zeros(n)
        t[free] = x
        return t

    def f(x):
        return evaluate(full(x))[n]

    def fprime(x):
        return evaluate(full(x))[:n][free]

    xk = theta[free].copy()
    old_fval = f(xk)
    old_old_fval = None
    eps = 16 * np.finfo(np.float64).eps
    rows = []
    k = 0
    converged = stopped = False
    while k < max_iter:
        fgrad = fprime(xk)
        absgrad = np.abs(fgrad)
        if np.max(absgrad) <= tol:
            converged = True
            break
        maggrad = np.sum(absgrad)
        eta = min(0.5, np.sqrt(maggrad))
        point = full(xk).copy()

        def hessp(p, point=point):
            return problem.hessp(point, full(p))[free]

        xsupi = _cg(hessp, fgrad, MAX_INNER, eta * maggrad)
        ret = _wolfe12(f, fprime, xk, xsupi, fgrad, old_fval, old_old_fval, eps,
                       scalar_search_wolfe1, line_search_wolfe2)
        if ret is None:
            warnings.warn("Line Search failed", stacklevel=2)
            converged = True  # scikit-learn ends here without a ConvergenceWarning
            break
        alphak, old_fval, old_old_fval = ret
        xk = xk + alphak * xsupi
        k += 1
        if (k - 1) % record_every == 0:
            t = full(xk)
            out = evaluate(t)
            rows.append((k - 1, problem.objective(t, out), out[n + 1]))
            if monitor is not None and monitor(*rows[-1], t.copy()):
                stopped = True
                break
    theta = full(xk).copy()
    out = evaluate(theta)
    return SolverResult(theta, k, converged and not stopped, as_history(rows),
                        problem.optimality(theta, out), stopped)


def _wolfe12(f, fprime, xk, pk, gfk, old_fval, old_old_fval, eps, wolfe1, wolfe2):
    """``sklearn.utils.optimize._line_search_wolfe12``: ``(step, new value,
    previous value)``, or None if no step was found."""
    gval = [gfk]

    def phi(s):
        return f(xk + s * pk)

    def derphi(s):
        gval[0] = fprime(xk + s * pk)
        return gval[0] @ pk

    stp, fval, old = wolfe1(phi, derphi, old_fval, old_old_fval, gfk @ pk, c1=1e-4,
                            c2=0.9, amax=50, amin=1e-8, xtol=1e-14)
    if stp is not None:
        return stp, fval, old
    # relative loss differences around machine precision: accept the full step
    # if it lowers the gradient's 1-norm
    fval = f(xk + pk)
    if abs(fval - old_fval) <= abs(old_fval * eps):
        if np.sum(np.abs(fprime(xk + pk))) < np.sum(np.abs(gfk)):
            return 1.0, fval, old_fval
    ret = wolfe2(f, fprime, xk, pk, gfk, old_fval, old_old_fval)
    if ret[0] is None:
        return None
    return ret[0], ret[3], ret[4]

"""Newton's method with the Hessian solved directly: scikit-learn's ``newton-cholesky``.

The algorithm, stopping rules, warnings and iteration count are those of
``sklearn.linear_model._glm._newton_solver.NewtonCholeskySolver`` (scikit-learn
1.9): each iteration takes the gradient and the full Hessian at the current
point, solves ``H p = -g`` (``scipy.linalg.solve(..., assume_a="sym")``, a
symmetric factorisation that reports a singular or ill-conditioned ``H``),
backtracks from the full step (halving, at most 21 trials, Armijo with
``sigma = 2**-11`` or the tiny-loss rule), and stops once ``max|g| <= tol``
and the Newton decrement ``p.H.p / 2 <= tol``. A singular Hessian, a step
that is not a descent direction, a line search that fails, or more than a
quarter of the weight on rows of zero curvature hand the rest of the
``max_iter`` budget to lbfgs, with scikit-learn's warnings. The softmax
model pins the last class's intercept (or, without any penalty, all of its
coefficients) during the solve and returns to the symmetric parametrisation
at the end, as scikit-learn does.

The gradient and the Hessian come from one fused, blocked pass over ``X``
(:meth:`.problem._Problem.gradient_hessian`), each line-search trial from one
fused value-and-gradient pass.
"""

from __future__ import annotations

import warnings

import numpy as np

from .lbfgs import lbfgs
from .problem import MultinomialProblem, SolverResult, as_history

__all__ = ["newton_cholesky"]

_NAME = "NewtonCholeskySolver"  # scikit-learn's class, named in its warnings


def _convergence_warning():
    from sklearn.exceptions import ConvergenceWarning

    return ConvergenceWarning


def newton_cholesky(problem, theta0: np.ndarray, *, max_iter: int, tol: float,
                    record_every: int = 10, monitor=None) -> SolverResult:
    """Minimise the problem's smooth objective by scikit-learn's newton-cholesky.

    Parameters
    ----------
    problem : BinaryProblem or MultinomialProblem
        Mean loss plus L2 terms (scikit-learn's scaling, ``alpha = 1 / (C S)``),
        so ``tol`` is scikit-learn's.
    theta0 : ndarray
        Starting parameters (copied).
    max_iter : int
        Newton iterations at most, lbfgs's included after a fallback.
    tol : float
    record_every : int, default=10
        After Newton iterations 0, k, 2k, ... (from 0) ``(iteration, objective,
        accuracy)`` is recorded and passed with ``theta`` to ``monitor``, which
        may stop the fit by returning True.
    monitor : callable, optional

    Returns
    -------
    SolverResult
        ``n_iter`` is scikit-learn's ``NewtonCholeskySolver.iteration``: Newton
        steps taken plus, after a fallback, the iterations of lbfgs (which
        starts where Newton stopped, in the iteration that failed).
        ``converged`` after a fallback is lbfgs's. ``fell_back`` says a fit
        ended in lbfgs, whose not-converged warning scikit-learn then gives.
    """
    if problem.l1:
        raise ValueError("solver='newton-cholesky' takes no L1 penalty (l1_ratio > 0); "
                         "use solver='saga', 'gd' or 'nesterov'.")
    import scipy.linalg

    n = problem.n_params
    nw = problem.n_weights
    free = problem.free_params
    coef = np.zeros(n)
    coef[free] = np.asarray(theta0, dtype=np.float64)[free]
    multinomial = isinstance(problem, MultinomialProblem)
    no_penalty = multinomial and problem.alpha == 0
    with_intercept = multinomial and problem.fit_intercept and not no_penalty
    pinned = np.zeros(n, dtype=bool)  # entries held at 0 through the solve
    if multinomial:
        K, d = problem.n_classes, problem.n_features
        W, b = coef[:nw].reshape(K, d), coef[nw:]
        if no_penalty:  # the model is invariant to a shift of every class
            W -= W[-1].copy()
            pinned[(K - 1) * d:K * d] = True
        if problem.fit_intercept and (no_penalty or with_intercept):
            b -= b[-1]
            pinned[n - 1] = True
    solve = np.setdiff1d(free, np.flatnonzero(pinned))
    X = problem.X
    eps = 16 * np.finfo(X.dtype if hasattr(X, "dtype") else np.float64).eps

    rows = []
    iteration = 1
    converged = fallback = stopped = False
    loss_value = None
    gradient = None
    while iteration <= max_iter and not converged:
        # 1. gradient and Hessian at coef (the first pass also gives the loss)
        out, H, flat = problem.gradient_hessian(coef)
        gradient = out[:n].copy()
        if loss_value is None:
            loss_value = out[n]
        # 2. the Newton step
        if flat > 0.25:
            warnings.warn(
                f"The inner solver of {_NAME} detected a pointwise hessian with many "
                f"negative values at iteration #{iteration}. It will now resort to "
                "lbfgs instead.", _convergence_warning(), stacklevel=2)
            fallback = True
            break
        step = _newton_step(scipy.linalg, H, gradient, solve, iteration)
        if step is None:
            fallback = True
            break
        newton = np.zeros(n)
        newton[solve] = step
        gradient_times_newton = gradient @ newton
        if gradient_times_newton > 0:  # not a descent direction
            fallback = True
            break
        # 3. backtracking line search
        armijo = 2.0**-11 * gradient_times_newton
        coef_old, loss_old, gradient_old = coef, loss_value, gradient
        sum_abs_grad_old = -1.0
        t = 1.0
        for _ in range(21):  # down to t = 2**-20
            coef = coef_old + t * newton
            out = problem.evaluate(coef)
            loss_value, gradient = out[n], out[:n]
            improvement = loss_value - loss_old
            if improvement <= t * armijo:
                break
            if abs(improvement) <= abs(loss_old * eps):
                if sum_abs_grad_old < 0:
                    sum_abs_grad_old = np.sum(np.abs(gradient_old))
                if np.sum(np.abs(gradient)) < sum_abs_grad_old:
                    break
            t *= 0.5
        else:
            warnings.warn(
                f"Line search of Newton solver {_NAME} at iteration #{iteration} did "
                "not converge after 21 line search refinement iterations. It will now "
                "resort to lbfgs instead.", _convergence_warning(), stacklevel=2)
            fallback = True
            break
        # 4. convergence: max|g| <= tol and the Newton decrement at the old point
        if np.max(np.abs(gradient)) <= tol and 0.5 * (newton @ H @ newton) <= tol:
            converged = True
        if (iteration - 1) % record_every == 0:
            rows.append((iteration - 1, problem.objective(coef, out), out[n + 1]))
            if monitor is not None and monitor(*rows[-1], coef.copy()):
                stopped = True
                iteration += 1
                break
        iteration += 1

    history = as_history(rows)
    if fallback and not converged:
        result = lbfgs(problem, coef, max_iter=max_iter - iteration, tol=tol,
                       record_every=record_every, monitor=monitor)
        iteration += result.n_iter
        coef, converged, stopped = result.theta, result.converged, result.stopped
        later = result.history.copy()
        later["epoch"] += iteration - result.n_iter
        history = np.concatenate([history, later])
    iteration -= 1
    coef = _symmetric(problem, coef, no_penalty, with_intercept) if multinomial else coef
    out = problem.evaluate(coef)
    return SolverResult(coef, iteration, converged and not stopped, history,
                        problem.optimality(coef, out), stopped, fell_back=fallback)


def _newton_step(linalg, H, gradient, solve, iteration):
    """``-H^-1 g`` over the entries ``solve``, or None (with scikit-learn's
    warning) when the Hessian is singular or too ill-conditioned."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", linalg.LinAlgWarning)
            return linalg.solve(H[np.ix_(solve, solve)], -gradient[solve],
                                check_finite=False, assume_a="sym")
    except (np.linalg.LinAlgError, linalg.LinAlgWarning) as e:
        warnings.warn(
            f"The inner solver of {_NAME} stumbled upon a singular or very "
            f"ill-conditioned Hessian matrix at iteration {iteration}. It will now "
            "resort to lbfgs instead.\n"
            "Further options are to use another solver or to avoid such situation "
            "in the first place. Possible remedies are removing collinear features"
            " of X or increasing the penalization strengths.\n"
            "The original Linear Algebra message was:\n" + str(e),
            linalg.LinAlgWarning, stacklevel=3)
        return None


def _symmetric(problem, coef, no_penalty, with_intercept):
    """scikit-learn's symmetric parametrisation of the softmax model: the
    coefficients (without penalty) or the intercepts summing to 0 over classes."""
    K, d, nw = problem.n_classes, problem.n_features, problem.n_weights
    coef = coef.copy()
    if no_penalty:
        W = coef[:nw].reshape(K, d)
        W -= W.mean(axis=0)
    if (no_penalty or with_intercept) and problem.fit_intercept:
        coef[nw:] -= coef[nw:].mean()
    return coef

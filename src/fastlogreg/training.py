"""The one training path: an objective's strengths, a problem, a solver, a monitor.

Both front ends (:class:`fastlogreg.LogisticRegression` and
:func:`fastlogreg.fit`) validate their input, then call :func:`train` with a
problem built by :func:`make_problem`. Everything between "validated arrays"
and "a :class:`~fastlogreg.solvers.SolverResult`" happens here once: the
penalty strengths for scikit-learn's ``C``, the thread count, the solver's
options, ``max_iter=0``, and the convergence warning in each solver's words.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import numba
import numpy as np

from . import solvers
from ._threading import exclusive

__all__ = ["SOLVER_NAMES", "Strengths", "alpha_from_C", "check_solver", "liblinear_tol",
           "make_problem", "resolve_penalty", "strengths", "threads", "train",
           "warn_not_converged"]


#: scikit-learn's solver names, then fastlogreg's own.
SOLVER_NAMES = ("lbfgs", "liblinear", "newton-cg", "newton-cholesky", "sag", "saga",
           "gd", "nesterov", "sgd")
# Which solvers take which penalties (scikit-learn's rules, plus our proximal ones).
_L1_SOLVERS = ("liblinear", "saga", "gd", "nesterov")
_ELASTICNET_SOLVERS = ("saga", "gd", "nesterov")
_DEPRECATED_PENALTY = (
    "'penalty' was deprecated in version 1.8 and will be removed in 1.10. To avoid "
    "this warning, leave 'penalty' set to its default value and use 'l1_ratio' or 'C' "
    "instead. Use l1_ratio=0 instead of penalty='l2', l1_ratio=1 instead of "
    "penalty='l1', l1_ratio set to a float between 0 and 1 instead of "
    "penalty='elasticnet', and C=np.inf instead of penalty=None.")


def check_solver(solver: str, penalty, dual: bool) -> None:
    """scikit-learn's solver/penalty/dual rules, in its words."""
    if solver not in _L1_SOLVERS and penalty not in ("l2", None):
        raise ValueError(f"Solver {solver} supports only 'l2' or None penalties, got "
                         f"{penalty} penalty.")
    if solver != "liblinear" and dual:
        raise ValueError(f"Solver {solver} supports only dual=False, got dual={dual}")
    if penalty == "elasticnet" and solver not in _ELASTICNET_SOLVERS:
        raise ValueError("Only 'saga' solver supports elasticnet penalty, got "
                         f"solver={solver}. (fastlogreg's 'gd' and 'nesterov' do too.)")
    if solver == "liblinear" and penalty is None:
        raise ValueError("C=np.inf as well as penalty=None is not supported for the "
                         "liblinear solver")
    if solver == "liblinear" and penalty == "l1" and dual:
        raise ValueError(
            "Unsupported set of arguments: The combination of penalty='l1' and "
            "loss='logistic_regression' are not supported when dual=True, Parameters: "
            "penalty='l1', loss='logistic_regression', dual=True")


def resolve_penalty(penalty_param, C: float, l1_ratio, solver: str,
                    dual: bool) -> tuple[float, float]:
    """``(C, l1_ratio)`` in force, after scikit-learn's ``penalty`` rules and
    warnings (``penalty`` is deprecated but still decides when given)."""
    if penalty_param == "deprecated":
        if l1_ratio is None or l1_ratio == 0:
            penalty = "l2"
            if l1_ratio is None:
                warnings.warn("'l1_ratio=None' was deprecated in version 1.8 and "
                              "will trigger an error in 1.10. Use 0<=l1_ratio<=1 "
                              "instead.", FutureWarning, stacklevel=4)
        else:
            penalty = "l1" if l1_ratio == 1 else "elasticnet"
        if C == np.inf:
            penalty = None
    else:
        penalty = penalty_param
        warnings.warn(_DEPRECATED_PENALTY, FutureWarning, stacklevel=4)
    check_solver(solver, penalty, dual)
    if penalty != "elasticnet" and l1_ratio is not None and 0 < l1_ratio < 1:
        warnings.warn("l1_ratio parameter is only used when penalty is 'elasticnet'."
                      f" Got (penalty={penalty})", stacklevel=4)
    if (penalty_param == "l2" and l1_ratio != 0) or \
            (penalty_param == "l1" and l1_ratio != 1):
        warnings.warn(f"Inconsistent values: penalty={penalty_param} with "
                      f"l1_ratio={l1_ratio}. penalty is deprecated. Please use "
                      "l1_ratio only.", stacklevel=4)
    if penalty == "elasticnet" and l1_ratio is None:
        raise ValueError("l1_ratio must be specified when penalty is elasticnet.")
    if penalty_param is None:
        if C != 1.0:
            warnings.warn("Setting penalty=None will ignore the C and l1_ratio "
                          "parameters", stacklevel=4)
        C = np.inf
    ratio = {"l1": 1.0, "elasticnet": l1_ratio}.get(penalty, 0.0)
    return C, float(ratio)


def liblinear_tol(problem, y_index, tol: float, solver: str) -> float:
    """liblinear's stopping rule: ``||g|| <= eps ||g_0||`` with ``eps = tol *
    max(min(n_pos, n_neg), 1) / n`` and ``g_0`` the gradient at 0.

    The trust-region method takes ``eps`` itself; for the proximal Newton
    solver it becomes an absolute bound on the max-norm (dividing by
    ``sqrt(n_params)`` makes it at least as strict as liblinear's 2-norm).
    """
    n = y_index.shape[0]
    n_pos = int(np.count_nonzero(y_index))
    eps = tol * max(min(n_pos, n - n_pos), 1) / n
    if solver == "trust-region-newton":
        return eps
    g0 = problem.evaluate(np.zeros(problem.n_params))[:problem.n_params]
    return eps * float(np.linalg.norm(g0)) / np.sqrt(problem.n_params)



def alpha_from_C(C: float, sample_weight_sum: float) -> float:
    """The penalty strength of fastlogreg's objective for scikit-learn's ``C``.

    scikit-learn minimises ``C sum_i s_i l_i + R(w)``; fastlogreg minimises the
    same divided by ``C S``: ``(1/S) sum_i s_i l_i + alpha R(w)`` with
    ``alpha = 1 / (C S)`` and ``S = sum_i s_i`` (class weights included).
    ``C = inf`` means no penalty. This is the one place the identity lives.
    """
    return 0.0 if np.isinf(C) else 1.0 / (C * sample_weight_sum)


@dataclass(frozen=True)
class Strengths:
    """Penalty strengths of the mean objective (see :class:`solvers.BinaryProblem`)."""

    alpha: float = 0.0
    l1: float = 0.0
    intercept_alpha: float = 0.0
    intercept_l1: float = 0.0


def strengths(C: float, l1_ratio: float, weight_sum: float, *,
              intercept_scaling: float | None = None) -> Strengths:
    """Strengths for ``C sum s_i l_i + l1_ratio ||W||_1 + (1 - l1_ratio)/2 ||W||^2``.

    ``intercept_scaling`` given: liblinear's objective, where the intercept is
    the weight ``b / s`` of a constant feature ``s`` and is penalised with the
    weights, so its strengths are ``alpha / s**2`` (L2) and ``l1 / s`` (L1).
    """
    total = alpha_from_C(C, weight_sum)
    alpha, l1 = total * (1.0 - l1_ratio), total * l1_ratio
    if intercept_scaling is None:
        return Strengths(alpha, l1)
    s = float(intercept_scaling)
    return Strengths(alpha, l1, alpha / s**2, l1 / s)


def make_problem(X, y_index: np.ndarray, weight: np.ndarray, n_classes: int,
                 strength: Strengths = Strengths(), *, fit_intercept: bool = True):
    """The binary (two classes) or multinomial problem over validated data."""
    common = dict(alpha=strength.alpha, l1=strength.l1,
                  intercept_alpha=strength.intercept_alpha,
                  intercept_l1=strength.intercept_l1, fit_intercept=fit_intercept)
    if n_classes == 2:
        return solvers.BinaryProblem(X, y_index, weight, **common)
    return solvers.MultinomialProblem(X, y_index, weight, n_classes=n_classes, **common)


@contextmanager
def threads(n_jobs: int | None):
    """Run Numba's parallel passes on ``n_jobs`` threads (None: Numba's setting),
    holding :func:`._threading.exclusive` (a lock only under ``workqueue``)."""
    with exclusive():
        if n_jobs is None:
            yield
            return
        before = numba.get_num_threads()
        top = numba.config.NUMBA_NUM_THREADS
        numba.set_num_threads(top if n_jobs < 0 else min(n_jobs, top))
        try:
            yield
        finally:
            numba.set_num_threads(before)


def train(problem, theta0: np.ndarray, solver: str, *, max_iter: int, tol: float,
          record_every: int = 10, monitor=None, n_jobs: int | None = None,
          **options) -> solvers.SolverResult:
    """Run ``solver`` (a name of :data:`solvers.SOLVERS`) on ``problem`` from ``theta0``.

    ``max_iter=0`` returns ``theta0`` unchanged, not converged, as scikit-learn
    does. ``options`` go to the solver (learning rates, batch sizes, ``rng``).
    """
    if max_iter == 0:
        return solvers.SolverResult(np.array(theta0, dtype=np.float64), 0, False,
                                    solvers.as_history([]))
    with threads(n_jobs):
        return solvers.SOLVERS[solver](problem, theta0, max_iter=max_iter, tol=tol,
                                       record_every=record_every, monitor=monitor,
                                       **options)


_SCALE_HINT = ("\nYou might also want to scale the data as shown in:\n"
               "    https://scikit-learn.org/stable/modules/preprocessing.html\n"
               "Please also refer to the documentation for alternative solver options:\n"
               "    https://scikit-learn.org/stable/modules/linear_model.html"
               "#logistic-regression")


def warn_not_converged(solver: str, result: solvers.SolverResult, max_iter: int,
                       tol: float, problem=None, stacklevel: int = 3) -> None:
    """The ``ConvergenceWarning`` of a fit that ``max_iter`` stopped.

    Each scikit-learn solver name warns in scikit-learn's words, which users'
    filters and scikit-learn's tests match; our own solvers name the
    optimality they reached.
    """
    from sklearn.exceptions import ConvergenceWarning

    n = result.n_iter
    if result.fell_back:  # newton-cholesky handed over to lbfgs, which ran out
        solver = "lbfgs"
    if solver == "lbfgs":
        msg = (f"lbfgs failed to converge after {n} iteration(s) (status=1):\n"
               "STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT\n"
               f"\nIncrease the number of iterations to improve the convergence "
               f"(max_iter={max_iter}).{_SCALE_HINT}")
    elif solver == "newton-cg":  # the loss where it stopped, as scikit-learn's
        loss = (problem.objective(result.theta, problem.evaluate(result.theta))
                if problem is not None else np.nan)
        msg = (f"newton-cg failed to converge at loss = {loss}. Increase the number "
               "of iterations.")
    elif solver == "newton-cholesky":
        msg = (f"Newton solver did not converge after {n} iterations.{_SCALE_HINT}")
    elif solver in ("sag", "saga"):
        msg = "The max_iter was reached which means the coef_ did not converge"
    elif solver == "liblinear":
        msg = "Liblinear failed to converge, increase the number of iterations."
    elif solver == "sgd":
        msg = (f"solver='sgd' did not converge in max_iter={max_iter} epochs: the epoch "
               f"loss still improved by more than tol={tol}; increase max_iter.")
    else:
        msg = (f"solver={solver!r} did not converge in max_iter={max_iter} iterations "
               f"(optimality {result.grad_norm:.3g} > tol={tol}); increase max_iter, "
               "or standardise the features.")
    warnings.warn(msg, ConvergenceWarning, stacklevel=stacklevel)

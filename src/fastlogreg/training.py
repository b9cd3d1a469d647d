"""The one training path: an objective's strengths, a problem, a solver, a monitor.

Both front ends (:class:`fastlogreg.LogisticRegression` and
:func:`fastlogreg.fit`) validate their input, then call :func:`fit_path`, as
scikit-learn's estimator calls its ``_logistic_regression_path``. Everything
between "validated arrays" and "fitted coefficients" happens there once: the
early-stopping split, the penalty strengths for scikit-learn's ``C``, the
problem (:func:`make_problem`), the initial parameters, the monitor, the
solver's options, the thread count, ``max_iter=0`` (:func:`train`), Ctrl-C,
and the convergence warning in each solver's words.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

import numba
import numpy as np

from . import solvers
from ._threading import exclusive
from .monitor import Monitor

__all__ = ["SOLVER_NAMES", "Fitted", "Strengths", "alpha_from_C", "check_solver",
           "fit_path", "hold_out", "liblinear_tol", "make_problem", "resolve_penalty",
           "rng", "solver_options", "strengths", "threads", "train",
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


def _seed(random_state):
    """A seed from scikit-learn's ``random_state`` forms (None, int,
    ``RandomState``, ``Generator``): a ``RandomState`` gives one draw."""
    if isinstance(random_state, np.random.RandomState):
        return random_state.randint(np.iinfo(np.int32).max)
    return random_state


def rng(random_state) -> np.random.Generator:
    """The generator of scikit-learn's ``random_state`` (see :func:`_seed`)."""
    return np.random.default_rng(_seed(random_state))


def hold_out(y_index: np.ndarray, fraction: float, random_state) -> np.ndarray:
    """Indices of the early-stopping validation rows: ``fraction`` of them,
    stratified by class and drawn by ``random_state``."""
    from sklearn.model_selection import train_test_split

    rows = np.arange(y_index.shape[0])
    try:
        _, held_out = train_test_split(rows, test_size=fraction, stratify=y_index,
                                       random_state=_seed(random_state))
    except ValueError as exc:
        raise ValueError(f"early_stopping cannot hold out validation_fraction="
                         f"{fraction} of the samples: {exc}") from None
    return held_out


def solver_options(solver: str, problem, *, l1_ratio: float = 0.0,
                   learning_rate: float | str = "auto", batch_size: int = 256,
                   schedule: str = "constant", n_iter_no_change: int = 5,
                   random_state=None) -> tuple[str, dict]:
    """The registered solver (:data:`solvers.SOLVERS`) that runs the public
    ``solver`` name on ``problem``, and its options."""
    if solver == "liblinear":
        # liblinear's objective, solved by liblinear's algorithms on our
        # passes: its trust-region Newton for L2, proximal Newton for L1
        # (its newGLMNET; FISTA when too wide).
        if l1_ratio == 0:
            return "trust-region-newton", {}
        small = problem.n_params <= solvers.prox_newton.MAX_PARAMS
        return ("proximal-newton" if small else "nesterov"), {}
    if solver in ("gd", "sgd"):
        step = (1.0 / problem.lipschitz() if learning_rate == "auto"
                else float(learning_rate))
        if solver == "gd":
            return solver, {"learning_rate": step}
        return solver, {"learning_rate": step, "rng": rng(random_state),
                        "batch_size": min(int(batch_size), problem.n_samples),
                        "schedule": schedule, "n_iter_no_change": int(n_iter_no_change)}
    if solver in ("sag", "saga"):
        return solver, {"rng": rng(random_state)}
    return solver, {}


@dataclass(frozen=True)
class Fitted:
    """What :func:`fit_path` returns (and what a Ctrl-C leaves behind).

    Parameters
    ----------
    coef : ndarray of shape (1, n_features) or (n_classes, n_features)
        The weights, shaped and typed as scikit-learn's ``coef_``.
    intercept : ndarray of shape (1,) or (n_classes,)
        The intercepts.
    n_iter : int
        Iterations (epochs) run.
    history : structured ndarray
        Fields ``epoch``, ``loss``, ``accuracy``, one row per record.
    converged : bool
        Whether ``tol`` ended the run.
    validation_scores : ndarray or None
        The held-out log-loss at each record, with early stopping.
    """

    coef: np.ndarray
    intercept: np.ndarray
    n_iter: int
    history: np.ndarray
    converged: bool = False
    validation_scores: np.ndarray | None = None


def fit_path(X, y_index: np.ndarray, weight: np.ndarray, n_classes: int, *,
             solver: str = "lbfgs", C: float = 1.0, l1_ratio: float = 0.0,
             alpha: float | None = None, fit_intercept: bool = True,
             intercept_scaling: float = 1.0, validation_fraction: float | None = None,
             coef_init=None, intercept_init=None, max_iter: int = 100,
             tol: float | None = 1e-4, record_every: int = 10,
             learning_rate: float | str = "auto", batch_size: int = 256,
             schedule: str = "constant", n_iter_no_change: int = 5, random_state=None,
             n_jobs: int | None = None, verbose: int = 0, callback: Callable | None = None,
             callback_bridge: Callable | None = None, keep: Callable | None = None,
             dtype=None, warn: bool = True) -> Fitted:
    """Train on validated data: the one path of both front ends.

    Parameters
    ----------
    X : ndarray, sparse matrix or source
        Validated rows (float32/float64, C or F order, or CSR).
    y_index : ndarray of shape (n_samples,)
        Class indices into the sorted classes, as float64.
    weight : ndarray of shape (n_samples,)
        Sample times class weights, float64.
    n_classes : int
        Two for the binary model, more for the multinomial one.
    solver : str, default="lbfgs"
        A public solver name (:data:`SOLVER_NAMES`).
    C, l1_ratio : float
        scikit-learn's penalty (:func:`strengths`), unless ``alpha`` is given.
    alpha : float, optional
        The L2 strength of the mean objective itself (``fastlogreg.fit``'s).
    fit_intercept : bool, default=True
        Whether the intercepts are trained.
    intercept_scaling : float, default=1
        liblinear's constant feature (``solver="liblinear"`` only).
    validation_fraction : float, optional
        Early stopping on this share of the rows (:func:`hold_out`), given.
    coef_init, intercept_init : array-like, optional
        Starting parameters; a ``coef_init`` of another size starts from 0
        (scikit-learn's ``warm_start`` after the shape changed).
    max_iter, tol, record_every : int, float or None, int
        The solver's budget, stopping tolerance (None: none) and record period.
    learning_rate, batch_size, schedule, n_iter_no_change, random_state
        The options of the solvers that take them (:func:`solver_options`).
    n_jobs : int, optional
        Threads for the parallel passes (:func:`threads`).
    verbose : int, default=0
        > 0 shows a progress bar (:class:`~fastlogreg.monitor.Monitor`).
    callback : callable, optional
        ``callback(iteration, loss, coef, intercept)`` at every record.
    callback_bridge : callable, optional
        ``callback_bridge(split, theta0)`` starts scikit-learn's callback hooks
        (:class:`~fastlogreg._callbacks.CallbackBridge`) or returns None.
    keep : callable, optional
        ``keep(fitted)`` stores a :class:`Fitted`: at the end, and, on Ctrl-C,
        the last record's before the ``KeyboardInterrupt`` propagates. Given,
        a monitor watches every fit (the last record needs one).
    dtype : dtype, optional
        Of the coefficients; default X's (float64 for liblinear), as scikit-learn's.
    warn : bool, default=True
        Whether a run that ``max_iter`` stopped warns (:func:`warn_not_converged`).

    Returns
    -------
    Fitted
        The coefficients (the best record's with early stopping) and the run.
    """
    held_out = (None if validation_fraction is None
                else hold_out(y_index, validation_fraction, random_state))
    train_weight = weight
    if held_out is not None:  # held-out rows weigh 0 in training: X is not copied
        train_weight = weight.copy()
        train_weight[held_out] = 0.0
    S = float(train_weight.sum())
    if not S > 0:
        raise ValueError("the sample (and class) weights sum to 0; at least one "
                         "must be > 0.")
    liblinear = solver == "liblinear"
    if alpha is None:
        scaling = intercept_scaling if liblinear and fit_intercept else None
        strength = strengths(C, l1_ratio, S, intercept_scaling=scaling)
    else:
        strength = Strengths(alpha)
    problem = make_problem(X, y_index, train_weight, n_classes, strength,
                           fit_intercept=fit_intercept)
    validation = None
    if held_out is not None:
        val_weight = np.zeros_like(weight)
        val_weight[held_out] = weight[held_out]
        validation = make_problem(X, y_index, val_weight, n_classes,
                                  fit_intercept=fit_intercept)
    theta0 = _initial_theta(problem, coef_init, intercept_init)
    dtype = (np.float64 if liblinear else X.dtype) if dtype is None else dtype

    def split(theta):  # copies shaped as coef_ and intercept_, of dtype
        coef, intercept = problem.split(theta)
        return coef.reshape(-1, problem.n_features).astype(dtype), intercept.astype(dtype)

    bridge = callback_bridge(split, theta0) if callback_bridge is not None else None
    per_iteration = bridge is not None and bridge.per_iteration
    monitor = None
    # With nothing to watch (fastlogreg.fit without a callback), no monitor:
    # gd then runs all its compiled epochs in one call (solvers/gd.py).
    if keep is not None or callback is not None or verbose or validation is not None \
            or per_iteration:
        monitor = Monitor(max_iter, split, verbose=verbose, callback=callback,
                          validation=validation, n_iter_no_change=n_iter_no_change,
                          tol=float(tol or 0.0), observers=[bridge] if per_iteration else ())
    name, options = solver_options(
        solver, problem, l1_ratio=l1_ratio, learning_rate=learning_rate,
        batch_size=batch_size, schedule=schedule, n_iter_no_change=n_iter_no_change,
        random_state=random_state)
    solver_tol = tol
    if liblinear:  # liblinear's stopping rule is relative to the start's gradient
        solver_tol = liblinear_tol(problem, y_index, tol, name)
    if per_iteration and max_iter == 0:
        bridge(0, theta0)  # scikit-learn's lbfgs reports one iteration even then
    try:
        result = train(problem, theta0, name, max_iter=max_iter, tol=solver_tol,
                       record_every=1 if per_iteration else record_every,
                       monitor=monitor, n_jobs=n_jobs, **options)
    except KeyboardInterrupt:
        if keep is not None and monitor.last is not None:  # keep the last record
            keep(Fitted(*split(monitor.last), monitor.last_iteration + 1,
                        solvers.as_history(monitor.rows)))
        raise
    finally:
        if monitor is not None:
            monitor.close()
    if bridge is not None:
        bridge.close()
    if warn and not (result.converged or result.stopped):
        warn_not_converged(solver, result, max_iter, tol, problem, stacklevel=4)
    best = result.theta if monitor is None or monitor.best is None else monitor.best
    fitted = Fitted(*split(best), result.n_iter, result.history, result.converged,
                    None if validation is None else np.array(monitor.validation_losses))
    if keep is not None:
        keep(fitted)
    if bridge is not None:
        bridge.finish()
    return fitted


def _initial_theta(problem, coef_init, intercept_init) -> np.ndarray:
    theta = np.zeros(problem.n_params)
    k = problem.n_weights
    if coef_init is not None and coef_init.size == k:
        theta[:k] = np.asarray(coef_init).ravel()
        if intercept_init is not None:
            theta[k:] = intercept_init
    return theta

"""L-BFGS-B from SciPy, fed by the one-pass loss+gradient kernel."""

from __future__ import annotations

import numpy as np

from .problem import SolverResult, as_history


def lbfgs(problem, theta0: np.ndarray, *, max_iter: int, tol: float,
          record_every: int = 10, monitor=None) -> SolverResult:
    """Minimise with ``scipy.optimize.minimize(method="L-BFGS-B", jac=True)``.

    Options are scikit-learn's: ``gtol=tol`` (max-norm of the gradient),
    ``ftol=64 * eps``, ``maxls=50``, ``maxiter=max_iter``. Each function
    evaluation is one fused read of X giving loss and gradient together.
    Every ``record_every`` iterations the record goes to ``monitor`` (see
    :func:`.gd`); a True answer ends the minimisation.
    """
    if problem.l1:
        raise ValueError("solver='lbfgs' takes no L1 penalty (l1_ratio > 0); use "
                         "solver='gd' or 'nesterov', which take proximal steps.")
    from scipy import optimize  # imported on first use: it is slow to import

    n_params = problem.n_params
    last = {}

    def fun(theta):
        out = problem.evaluate(theta)
        last["theta"], last["out"] = theta, out
        return out[n_params], out[:n_params]

    rows = []

    def callback(intermediate_result):
        k = len(rows_seen)
        rows_seen.append(k)
        if k % record_every == 0:
            rows.append((k, intermediate_result.fun, last["out"][n_params + 1]))
            if monitor is not None and monitor(*rows[-1], intermediate_result.x):
                stopped.append(k)
                raise StopIteration  # SciPy ends the minimisation cleanly

    rows_seen: list[int] = []
    stopped: list[int] = []
    res = optimize.minimize(
        fun, np.array(theta0, dtype=np.float64), method="L-BFGS-B", jac=True,
        callback=callback,
        options={"maxiter": max_iter, "maxls": 50, "gtol": tol,
                 "ftol": 64 * np.finfo(float).eps},
    )
    theta = res.x
    out = last["out"] if np.array_equal(last["theta"], theta) else problem.evaluate(theta)
    gnorm = problem.optimality(theta, out)
    # status 0: gtol or ftol met (scikit-learn counts both as converged); anything
    # else (max_iter, an abnormal line search) is reported as not converged.
    return SolverResult(theta, int(res.nit), res.status == 0 and not stopped,
                        as_history(rows), gnorm, bool(stopped))

"""Accelerated (proximal) gradient descent with adaptive restart: FISTA."""

from __future__ import annotations

import numpy as np

from .problem import SolverResult, as_history


def nesterov(problem, theta0: np.ndarray, *, max_iter: int, tol: float | None,
             record_every: int = 10) -> SolverResult:
    """FISTA with a step ``1/L`` from :meth:`lipschitz` and adaptive restart.

    One fused pass per iteration, at the extrapolated point ``y``. Momentum
    restarts (O'Donoghue & Candès, 2015) when it points uphill,
    ``(y - x_new) . (x_new - x) > 0``, or when the objective rises; a rise
    right after a restart means ``L`` was underestimated, so ``L`` doubles
    and the step is retaken from the last point. Stops when the optimality
    measure at ``y`` is ``<= tol``.
    """
    n_params = problem.n_params
    L = problem.lipschitz()
    x = np.array(theta0, dtype=np.float64)
    y = x.copy()
    out = problem.evaluate(y)
    J_prev = problem.objective(y, out)
    t = 1.0
    rows = []
    converged = False
    restarted = True
    it = 0
    gnorm = problem.optimality(y, out)
    while it < max_iter:
        if tol is not None and gnorm <= tol:
            converged = True
            x = y
            break
        x_new = problem.prox(y - out[:n_params] / L, 1.0 / L)
        t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
        if np.dot(y - x_new, x_new - x) > 0:  # momentum points uphill: restart
            t_new, y_new, restarted_now = 1.0, x_new, True
        else:
            y_new = x_new + ((t - 1.0) / t_new) * (x_new - x)
            restarted_now = False
        out_new = problem.evaluate(y_new)
        J_new = problem.objective(y_new, out_new)
        it += 1
        if not np.isfinite(J_new) or J_new > J_prev:
            if restarted and restarted_now:  # a plain step went uphill: L too small
                L *= 2.0
            # restart from x_new's predecessor without momentum
            t, y, restarted = 1.0, x.copy(), True
            out = problem.evaluate(y)
            J_prev = problem.objective(y, out)
            gnorm = problem.optimality(y, out)
            continue
        x, y, t, out, J_prev, restarted = x_new, y_new, t_new, out_new, J_new, restarted_now
        gnorm = problem.optimality(y, out)
        if (it - 1) % record_every == 0:
            rows.append((it - 1, J_new, out[n_params + 1]))
    return SolverResult(x if not converged else y, it, converged, as_history(rows), gnorm)

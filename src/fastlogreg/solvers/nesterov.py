"""Accelerated (proximal) gradient descent with adaptive restart: FISTA."""

from __future__ import annotations

import numpy as np

from .problem import SolverResult, as_history


def nesterov(problem, theta0: np.ndarray, *, max_iter: int, tol: float | None,
             record_every: int = 10, monitor=None) -> SolverResult:
    """FISTA with a step ``1/L`` from :meth:`lipschitz` and adaptive restart.

    One fused pass per iteration, at the extrapolated point ``y``. Momentum
    restarts when it points uphill, ``(y - x_new) . (x_new - x) > 0`` (the
    gradient scheme of O'Donoghue & Candès, 2015, which needs no extra pass
    and no objective comparisons that rounding would blur near the optimum).
    A step taken without momentum must lower the objective when ``L`` bounds
    the curvature; if it raises it (or overflows), ``L`` was underestimated:
    it doubles and the step is retaken. Stops when the optimality measure at
    ``y`` is ``<= tol``; returns that ``y``. Records go to ``monitor``
    (see :func:`.gd`).
    """
    n_params = problem.n_params
    L = problem.lipschitz()
    x = np.array(theta0, dtype=np.float64)
    y = x.copy()
    out = problem.evaluate(y)
    J = problem.objective(y, out)
    t = 1.0
    plain = True  # y carries no momentum (y == x)
    rows = []
    converged = stopped = False
    it = 0
    gnorm = problem.optimality(y, out)
    while it < max_iter:
        if tol is not None and gnorm <= tol:
            converged = True
            break
        x_new = problem.prox(y - out[:n_params] / L, 1.0 / L)
        t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
        if np.dot(y - x_new, x_new - x) > 0:
            t_new, y_new, plain_new = 1.0, x_new, True
        else:
            y_new = x_new + ((t - 1.0) / t_new) * (x_new - x)
            plain_new = False
        out_new = problem.evaluate(y_new)
        J_new = problem.objective(y_new, out_new)
        it += 1
        rose = J_new > J + 1e-12 * (1.0 + abs(J))
        if not np.isfinite(J_new) or (plain and plain_new and rose):
            L *= 2.0  # the curvature bound was too small: retake from y (== x)
            continue
        x, y, t, out, J, plain = x_new, y_new, t_new, out_new, J_new, plain_new
        gnorm = problem.optimality(y, out)
        if (it - 1) % record_every == 0:
            rows.append((it - 1, J, out[n_params + 1]))
            if monitor is not None and monitor(*rows[-1], y):
                stopped = True
                break
    return SolverResult(y, it, converged, as_history(rows), gnorm, stopped)

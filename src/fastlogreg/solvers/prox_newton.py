"""Proximal Newton for L1 penalties: liblinear's newGLMNET over the fused Hessian pass.

Each outer iteration reads X once for the gradient and the Hessian
(:meth:`~.problem.BinaryProblem.gradient_hessian`), then minimises the
quadratic model plus the L1 term by coordinate descent on the Hessian (no
further read of X), and takes a backtracking step on the full objective.
This is the algorithm liblinear uses for L1-penalised logistic regression,
so ``solver="liblinear"`` with ``l1_ratio=1`` reaches liblinear's optimum in
as few outer iterations. The Hessian is ``n_params x n_params``: for wide
data (:data:`MAX_PARAMS`) the estimator takes FISTA instead.
"""

from __future__ import annotations

import numpy as np

from .problem import SolverResult, as_history

__all__ = ["MAX_PARAMS", "proximal_newton"]

#: Above this many parameters the dense Hessian would not fit comfortably.
MAX_PARAMS = 4096

# Coordinate-descent sweeps of the quadratic model per outer iteration, and the
# Armijo constant and halvings of the line search (liblinear's values).
_INNER_SWEEPS = 100
_SIGMA = 0.01
_MAX_HALVINGS = 30


def _strengths(problem, free: np.ndarray) -> np.ndarray:
    lam = np.where(free < problem.n_weights, problem.l1, problem.intercept_l1)
    return lam.astype(np.float64)


def _full_objective(problem, theta: np.ndarray) -> tuple[float, np.ndarray]:
    out = problem.evaluate(theta)
    return problem.objective(theta, out), out


def _model_minimiser(g, H, theta, lam, inner_tol) -> np.ndarray:
    """Coordinate descent on ``g.d + d'Hd/2 + sum lam_j |theta_j + d_j|``."""
    d = np.zeros_like(theta)
    Hd = np.zeros_like(theta)
    diag = np.maximum(np.diag(H), 1e-12)
    for _ in range(_INNER_SWEEPS):
        biggest = 0.0
        for j in range(theta.size):
            t = theta[j] + d[j]
            z = t - (g[j] + Hd[j]) / diag[j]
            new = np.sign(z) * max(abs(z) - lam[j] / diag[j], 0.0) if lam[j] else z
            delta = new - t
            if delta != 0.0:
                d[j] += delta
                Hd += delta * H[:, j]
                biggest = max(biggest, abs(delta) * diag[j])
        if biggest <= inner_tol:
            break
    return d


def proximal_newton(problem, theta0: np.ndarray, *, max_iter: int, tol: float,
                    record_every: int = 10, monitor=None) -> SolverResult:
    """Minimise the smooth objective plus its L1 terms by proximal Newton steps.

    Stops when the max-norm of the minimum-norm subgradient
    (:meth:`~.problem.BinaryProblem.optimality`) is ``<= tol``; ``n_iter``
    counts outer (Newton) iterations. Every ``record_every`` iterations the
    record goes to ``monitor`` as in :func:`.gd`.
    """
    free = problem.free_params
    lam = _strengths(problem, free)
    theta = np.array(theta0, dtype=np.float64)
    rows: list[tuple[int, float, float]] = []
    converged = stopped = False
    n_iter = 0
    gnorm = np.inf
    for k in range(max_iter):
        out, H, _ = problem.gradient_hessian(theta)
        F = problem.objective(theta, out)
        gnorm = problem.optimality(theta, out)
        if gnorm <= tol:
            converged = True
            break
        g = out[free]
        Hf = H[np.ix_(free, free)]
        d = _model_minimiser(g, Hf, theta[free], lam, 0.1 * gnorm)
        l1_now = float(lam @ np.abs(theta[free]))
        decrease = float(g @ d) + float(lam @ np.abs(theta[free] + d)) - l1_now
        step, trial = 1.0, theta.copy()
        for _ in range(_MAX_HALVINGS):
            trial[free] = theta[free] + step * d
            F_trial, out_trial = _full_objective(problem, trial)
            if F_trial <= F + _SIGMA * step * decrease:
                break
            step *= 0.5
        else:  # no decrease possible at this precision: the optimum is reached
            converged = gnorm <= tol
            break
        theta = trial
        n_iter = k + 1
        if n_iter % record_every == 0 or n_iter == max_iter:
            rows.append((n_iter - 1, F_trial, out_trial[problem.n_params + 1]))
            if monitor is not None and monitor(*rows[-1], theta):
                stopped = True
                break
    else:
        out = problem.evaluate(theta)
        gnorm = problem.optimality(theta, out)
        converged = gnorm <= tol
    return SolverResult(theta, n_iter, converged and not stopped, as_history(rows), gnorm,
                        stopped)

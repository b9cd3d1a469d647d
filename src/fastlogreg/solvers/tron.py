"""liblinear's trust-region Newton method (TRON) over the fused passes.

``solver="liblinear"`` with an L2 penalty runs this: the algorithm, the
constants and the stopping rule of liblinear's ``tron.cpp``, on liblinear's
scaling of the objective, so that it takes liblinear's iterates (up to the
rounding of the sums) and stops where liblinear stops. Each function value
and gradient is one fused read of X (:meth:`~.problem.BinaryProblem.evaluate`),
each Hessian-vector product of the conjugate-gradient steps one more
(:meth:`~.problem.BinaryProblem.hessp`).

liblinear minimises ``f(v) = C sum_i s_i l_i + ||v||^2 / 2`` over
``v = [w, b / intercept_scaling]``: the problem's mean objective ``J``
divided by its ``alpha`` (``1 / (C S)``), with the intercept entries
rescaled by ``s = sqrt(alpha / intercept_alpha)``.
"""

from __future__ import annotations

import numpy as np

from .problem import SolverResult, as_history

__all__ = ["tron"]

# liblinear's constants: acceptance of a step (eta), trust-region updates
# (sigma), and the conjugate-gradient tolerance relative to the gradient.
_ETA0, _ETA1, _ETA2 = 1e-4, 0.25, 0.75
_SIGMA1, _SIGMA2, _SIGMA3 = 0.25, 0.5, 4.0
_CG_TOL = 0.1


class _Scaled:
    """The problem in liblinear's variables and scale."""

    def __init__(self, problem):
        if not problem.alpha > 0:
            raise ValueError("liblinear's trust-region method needs an L2 penalty "
                             "(finite C).")
        self.problem = problem
        self.free = problem.free_params
        self.factor = 1.0 / problem.alpha
        d = np.ones(problem.n_params)
        if problem.fit_intercept and problem.intercept_alpha:
            d[problem.n_weights:] = np.sqrt(problem.alpha / problem.intercept_alpha)
        self.d = d[self.free]
        self.theta = np.zeros(problem.n_params)
        self.at = self.theta  # where the Hessian is taken: the last gradient's point
        self.out = None

    def set(self, v: np.ndarray) -> float:
        """Move to ``v``; return ``f(v)``."""
        self.theta = np.zeros(self.problem.n_params)
        self.theta[self.free] = self.d * v
        self.out = self.problem.evaluate(self.theta)
        return self.factor * self.out[self.problem.n_params]

    def grad(self) -> np.ndarray:
        """The gradient at the current point, which the Hessian products then use
        (as liblinear's, whose curvature weights come with the gradient)."""
        self.at = self.theta
        return self.factor * self.d * self.out[self.free]

    def hessp(self, s: np.ndarray) -> np.ndarray:
        full = np.zeros(self.problem.n_params)
        full[self.free] = self.d * s
        return self.factor * self.d * self.problem.hessp(self.at, full)[self.free]


def _trcg(fun: _Scaled, delta: float, g: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Conjugate gradients on the Newton system inside the trust region ``delta``."""
    s = np.zeros_like(g)
    r = -g
    d = r.copy()
    cgtol = _CG_TOL * np.linalg.norm(g)
    rTr = r @ r
    cg_iter = 0
    while np.linalg.norm(r) > cgtol:
        cg_iter += 1
        Hd = fun.hessp(d)
        alpha = rTr / (d @ Hd)
        s += alpha * d
        if np.linalg.norm(s) > delta:  # to the boundary along d, then stop
            s -= alpha * d
            std, sts, dtd = s @ d, s @ s, d @ d
            dsq = delta * delta
            rad = np.sqrt(std * std + dtd * (dsq - sts))
            alpha = (dsq - sts) / (std + rad) if std >= 0 else (rad - std) / dtd
            s += alpha * d
            r -= alpha * Hd
            break
        r -= alpha * Hd
        rnew = r @ r
        d = r + (rnew / rTr) * d
        rTr = rnew
    return s, r, cg_iter


def tron(problem, theta0: np.ndarray, *, max_iter: int, tol: float,
         record_every: int = 10, monitor=None) -> SolverResult:
    """liblinear's TRON from 0 (as liblinear, ``theta0`` is not used).

    ``tol`` is liblinear's relative ``eps``: the fit stops when the gradient's
    2-norm is at most ``tol`` times its norm at 0 (the estimator passes
    ``tol * max(min(n_pos, n_neg), 1) / n``, liblinear's rule).
    """
    del theta0  # liblinear always starts from 0
    fun = _Scaled(problem)
    v = np.zeros(fun.free.size)
    f = fun.set(v)
    g = fun.grad()
    delta = gnorm1 = gnorm = float(np.linalg.norm(g))
    rows: list[tuple[int, float, float]] = []
    stopped = False
    it = 1
    search = gnorm > tol * gnorm1
    while it <= max_iter and search:
        s, r, _ = _trcg(fun, delta, g)
        v_new = v + s
        gs = float(g @ s)
        prered = -0.5 * (gs - float(s @ r))
        fnew = fun.set(v_new)
        actred = f - fnew
        snorm = float(np.linalg.norm(s))
        if it == 1:
            delta = min(delta, snorm)
        alpha = _SIGMA3 if fnew - f - gs <= 0 else max(_SIGMA1, -0.5 * gs / (fnew - f - gs))
        if actred < _ETA0 * prered:
            delta = min(max(alpha, _SIGMA1) * snorm, _SIGMA2 * delta)
        elif actred < _ETA1 * prered:
            delta = max(_SIGMA1 * delta, min(alpha * snorm, _SIGMA2 * delta))
        elif actred < _ETA2 * prered:
            delta = max(_SIGMA1 * delta, min(alpha * snorm, _SIGMA3 * delta))
        else:
            delta = max(delta, min(alpha * snorm, _SIGMA3 * delta))
        if actred > _ETA0 * prered:
            it += 1
            v, f = v_new, fnew
            g = fun.grad()
            gnorm = float(np.linalg.norm(g))
            if (it - 1) % record_every == 0:
                theta = fun.theta.copy()
                rows.append((it - 2, problem.objective(theta, fun.out),
                             fun.out[problem.n_params + 1]))
                if monitor is not None and monitor(*rows[-1], theta):
                    stopped = True
                    break
            if gnorm <= tol * gnorm1:
                break
        if abs(actred) <= 0 and prered <= 0:
            break
        if abs(actred) <= 1e-12 * abs(f) and abs(prered) <= 1e-12 * abs(f):
            break
    n_iter = it - 1
    theta = np.zeros(problem.n_params)  # v, not the last trial point
    theta[fun.free] = fun.d * v
    out = problem.evaluate(theta)
    # liblinear (and so scikit-learn) reports non-convergence when max_iter ran out
    return SolverResult(theta, n_iter, n_iter < max_iter and not stopped, as_history(rows),
                        problem.optimality(theta, out), stopped)

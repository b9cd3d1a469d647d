"""Optimisation loops, each written once over "a pass" of the kernels.

A solver owns the iteration policy (step, stopping, history, divergence) and
calls compiled kernels for everything that touches the rows; it never loops
over samples itself. Inputs are validated by the caller (:mod:`fastlogreg._validation`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numba
import numpy as np

from .kernels import dense

__all__ = [
    "HISTORY_DTYPE",
    "DivergenceWarning",
    "Problem",
    "SolverResult",
    "gd",
    "sgd",
]

HISTORY_DTYPE = np.dtype([("epoch", np.int64), ("loss", np.float64),
                          ("accuracy", np.float64)])

# Below this many elements of X a pass takes microseconds and the cost of
# waking the thread pool dominates; above it the parallel pass wins.
PARALLEL_MIN_ELEMENTS = 1 << 17


class DivergenceWarning(RuntimeWarning):
    """The loss stopped being finite; training kept the last finite weights."""


@dataclass(frozen=True)
class Problem:
    """Validated training data and the objective's constants.

    Attributes
    ----------
    X : ndarray (n_samples, n_features), float32 or float64, C- or F-contiguous
    y : ndarray (n_samples,), float64 in {0, 1}
    sample_weight : ndarray (n_samples,), float64 >= 0
    alpha : float
        L2 strength of ``J`` (see :mod:`fastlogreg.reference`).
    fit_intercept : bool
    """

    X: np.ndarray
    y: np.ndarray
    sample_weight: np.ndarray
    alpha: float
    fit_intercept: bool

    @property
    def n_features(self) -> int:
        return self.X.shape[1]

    @property
    def parallel(self) -> bool:
        return self.X.size >= PARALLEL_MIN_ELEMENTS and numba.get_num_threads() > 1

    def loss_grad(self, coef: np.ndarray, intercept: float) -> np.ndarray:
        """One fused pass: ``[dJ/dw..., dJ/db, J, accuracy]`` at ``(coef, intercept)``."""
        out = np.empty(self.n_features + 3)
        dense.loss_grad(self.X, self.y, self.sample_weight, coef, intercept,
                        self.alpha, self.parallel, out)
        return out

    def grad_norm(self, out: np.ndarray) -> float:
        """Max-norm of the gradient part of a :meth:`loss_grad` output."""
        d = self.n_features
        g = out[: d + 1] if self.fit_intercept else out[:d]
        return float(np.max(np.abs(g)))

    def safe_learning_rate(self) -> float:
        """``1 / L`` for an upper bound ``L`` of the gradient's Lipschitz constant.

        ``L <= sum_i s_i ||x_i||^2 / (4 S) + alpha`` (with the intercept as a
        column of ones when fitted); a fixed step of ``1 / L`` never diverges.
        """
        sw = self.sample_weight
        L = dense.weighted_sq_norm_sum(self.X, sw) / sw.sum()
        if self.fit_intercept:
            L += 1.0
        return 1.0 / (0.25 * L + self.alpha)


@dataclass(frozen=True)
class SolverResult:
    """Weights and trace of one solver run."""

    coef: np.ndarray
    intercept: float
    history: np.ndarray
    n_epochs: int
    converged: bool


def _warn_divergence(problem: Problem, learning_rate: float, epoch: int) -> None:
    warnings.warn(
        f"the loss stopped being finite at epoch {epoch} with learning_rate="
        f"{learning_rate:g}; training stopped and kept the last finite weights. "
        f"A learning_rate <= {problem.safe_learning_rate():.3g} cannot diverge "
        "on this data.",
        DivergenceWarning,
        stacklevel=3,
    )


def gd(problem: Problem, coef: np.ndarray, intercept: float, *,
       learning_rate: float, epochs: int, record_every: int,
       tol: float | None) -> SolverResult:
    """Fixed-step gradient descent (the notebook's algorithm).

    Runs in compiled code and returns to Python every ``record_every`` epochs
    to stop once the gradient's max-norm is ``<= tol`` (if ``tol`` is given).
    History rows are the loss and accuracy right after the update of epochs
    ``0, record_every, 2 * record_every, ...``.
    """
    w = np.array(coef, dtype=np.float64)
    b = np.array([intercept if problem.fit_intercept else 0.0])
    grad = problem.loss_grad(w, b[0])
    history = np.zeros((-(-epochs // record_every), 3))
    n_rec = done = 0
    converged = False
    while done < epochs:
        chunk = min(record_every, epochs - done)
        ran, rec = dense.gd_epochs(
            problem.X, problem.y, problem.sample_weight, w, b, learning_rate,
            problem.alpha, problem.fit_intercept, problem.parallel, done, chunk,
            record_every, grad, history[n_rec:],
        )
        done += ran
        n_rec += rec
        if ran < chunk:
            _warn_divergence(problem, learning_rate, done)
            break
        if tol is not None and problem.grad_norm(grad) <= tol:
            converged = True
            break
    return SolverResult(w, float(b[0]), _as_history(history[:n_rec]), done, converged)


def sgd(problem: Problem, coef: np.ndarray, intercept: float, *,
        learning_rate: float, epochs: int, batch_size: int, record_every: int,
        tol: float | None, rng: np.random.Generator) -> SolverResult:
    """Mini-batch gradient descent with a constant step, reshuffled every epoch.

    Each epoch is one fused kernel call over ``rng.permutation(n_samples)``.
    Every ``record_every`` epochs one extra pass measures the exact objective
    for the history; with ``tol`` given, training stops when that objective
    improved by less than ``tol * max(1, |J|)`` since the previous record.
    """
    w = np.array(coef, dtype=np.float64)
    b = np.array([intercept if problem.fit_intercept else 0.0])
    n = problem.X.shape[0]
    out = np.empty(2)
    rows = []
    converged = False
    done = 0
    previous = np.inf
    for epoch in range(epochs):
        w_prev, b_prev = w.copy(), b[0]
        dense.minibatch_epoch(problem.X, problem.y, problem.sample_weight, w, b,
                              rng.permutation(n), batch_size, learning_rate,
                              problem.alpha, problem.fit_intercept, out)
        if not (np.isfinite(out[0]) and np.isfinite(w).all() and np.isfinite(b[0])):
            w[:], b[0] = w_prev, b_prev
            _warn_divergence(problem, learning_rate, epoch)
            break
        done = epoch + 1
        if epoch % record_every == 0:
            ev = problem.loss_grad(w, b[0])
            J = ev[problem.n_features + 1]
            rows.append((epoch, J, ev[problem.n_features + 2]))
            if tol is not None and previous - J < tol * max(1.0, abs(J)):
                converged = True
                break
            previous = J
    return SolverResult(w, float(b[0]), _as_history(np.array(rows).reshape(-1, 3)),
                        done, converged)


def _as_history(rows: np.ndarray) -> np.ndarray:
    history = np.empty(len(rows), dtype=HISTORY_DTYPE)
    for k, name in enumerate(HISTORY_DTYPE.names):
        history[name] = rows[:, k]
    return history

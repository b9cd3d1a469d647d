"""Mini-batch stochastic gradient descent over the fused mini-batch epoch."""

from __future__ import annotations

import numpy as np

from .problem import SolverResult, as_history

SCHEDULES = ("constant", "invscaling")


def sgd(problem, theta0: np.ndarray, *, learning_rate: float, max_iter: int,
        batch_size: int, rng: np.random.Generator, tol: float | None,
        schedule: str = "constant", n_iter_no_change: int = 5,
        record_every: int = 10, monitor=None) -> SolverResult:
    """Mini-batch SGD, reshuffled by ``rng`` every epoch.

    Each epoch is one kernel call over ``rng.permutation(n_samples)`` in which
    every batch's update follows the batch within the same read. The step of
    epoch ``e`` is ``learning_rate`` (``"constant"``) or
    ``learning_rate / sqrt(e + 1)`` (``"invscaling"``). With ``tol`` given,
    training stops once the epoch's running loss has failed to improve on the
    best by more than ``tol`` for ``n_iter_no_change`` epochs in a row (the rule
    of scikit-learn's ``SGDClassifier``). Every ``record_every`` epochs one
    extra pass measures the exact objective for the history and ``monitor``
    (see :func:`.gd`).
    """
    if problem.l1:
        raise ValueError("solver='sgd' takes no L1 penalty (l1_ratio > 0); use "
                         "solver='gd' or 'nesterov', which take proximal steps.")
    theta = np.array(theta0, dtype=np.float64)
    n = problem.n_samples
    out = np.empty(2)
    rows = []
    best = np.inf
    stale = 0
    done = 0
    converged = stopped = False
    for epoch in range(max_iter):
        step = learning_rate / np.sqrt(epoch + 1) if schedule == "invscaling" \
            else learning_rate
        previous = theta.copy()
        problem.minibatch_epoch(theta, rng.permutation(n), batch_size, step, out)
        if not (np.isfinite(out[0]) and np.isfinite(theta).all()):
            theta = previous
            problem.warn_divergence(step, epoch)
            break
        done = epoch + 1
        if epoch % record_every == 0:
            ev = problem.evaluate(theta)
            rows.append((epoch, problem.objective(theta, ev), ev[problem.n_params + 1]))
            if monitor is not None and monitor(*rows[-1], theta):
                stopped = True
                break
        if tol is not None:
            if out[0] > best - tol:
                stale += 1
            else:
                stale = 0
            best = min(best, out[0])
            if stale >= n_iter_no_change:
                converged = True
                break
    return SolverResult(theta, done, converged, as_history(rows), stopped=stopped)

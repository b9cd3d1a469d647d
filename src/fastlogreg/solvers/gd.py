"""Fixed-step gradient descent: the notebook's algorithm, one fused read per epoch."""

from __future__ import annotations

import numpy as np

from .problem import BinaryProblem, SolverResult, as_history


def gd(problem, theta0: np.ndarray, *, learning_rate: float, max_iter: int,
       tol: float | None, record_every: int = 10, monitor=None) -> SolverResult:
    """Gradient descent ``theta -= learning_rate * grad`` (a proximal step with L1).

    A problem that offers compiled epochs (:attr:`BinaryProblem.has_compiled_gd`:
    binary, no L1, in-memory data) runs them in compiled code and returns to
    Python every ``record_every`` epochs; the other problems (and sources)
    take one fused pass per epoch from Python. Either way
    it stops once the optimality measure (the gradient's max-norm) is
    ``<= tol``, checked every ``record_every`` epochs. History rows are the
    loss and accuracy right after the update of epochs 0, k, 2k, ...; each
    is passed to ``monitor(epoch, loss, accuracy, theta)``, which may stop
    the fit by returning True.
    """
    theta = np.array(theta0, dtype=np.float64)
    if isinstance(problem, BinaryProblem) and problem.has_compiled_gd:
        return _gd_compiled(problem, theta, learning_rate, max_iter, tol, record_every,
                            monitor)
    out = problem.evaluate(theta)
    rows = []
    done = 0
    converged = stopped = False
    while done < max_iter:
        previous = theta.copy()
        theta -= learning_rate * out[:problem.n_params]
        problem.prox(theta, learning_rate)
        new = problem.evaluate(theta)
        if not np.isfinite(new[problem.n_params]):
            theta = previous
            problem.warn_divergence(learning_rate, done)
            break
        out = new
        if done % record_every == 0:
            rows.append((done, problem.objective(theta, out), out[problem.n_params + 1]))
            stopped = monitor is not None and monitor(*rows[-1], theta)
        done += 1
        if stopped:
            break
        if tol is not None and done % record_every == 0 \
                and problem.optimality(theta, out) <= tol:
            converged = True
            break
    return SolverResult(theta, done, converged, as_history(rows),
                        problem.optimality(theta, out), stopped)


def _gd_compiled(problem: BinaryProblem, theta, learning_rate, max_iter, tol,
                 record_every, monitor) -> SolverResult:
    def evaluate():
        # the pass at theta by gd_epochs' own compiled code: one entry to compile
        out = np.empty(problem.n_params + 2)
        problem.gd_first_pass(theta, out)
        return out

    grad = evaluate()
    history = np.zeros((-(-max_iter // record_every), 3))
    n_rec = done = 0
    converged = stopped = False
    while done < max_iter:
        # run up to and including the next record epoch (e % record_every == 0),
        # so that the monitor and the tol check see the weights of that record
        next_record = -(-done // record_every) * record_every
        chunk = min(next_record - done + 1, max_iter - done)
        if tol is None and monitor is None:
            chunk = max_iter - done  # nothing to check between records: one call
        ran, rec = problem.gd_epochs(theta, learning_rate, done, chunk, record_every,
                                     grad, history[n_rec:])
        done += ran
        n_rec += rec
        if ran < chunk:
            problem.warn_divergence(learning_rate, done)
            grad = evaluate()  # at the restored, finite point
            break
        if rec and monitor is not None and monitor(*history[n_rec - 1], theta):
            stopped = True
            break
        if tol is not None and problem.optimality(theta, grad) <= tol:
            converged = True
            break
    return SolverResult(theta, done, converged, as_history(history[:n_rec]),
                        problem.optimality(theta, grad), stopped)

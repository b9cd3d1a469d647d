"""Stochastic average gradient (SAG) and SAGA: scikit-learn's ``sag``/``saga``."""

from __future__ import annotations

from functools import partial

import numpy as np

from .problem import SolverResult, as_history


def sag(problem, theta0: np.ndarray, *, max_iter: int, tol: float | None,
        record_every: int = 10, monitor=None, saga: bool = False,
        rng: np.random.Generator | None = None) -> SolverResult:
    """SAG (or SAGA with ``saga=True``), the algorithm of scikit-learn's solvers.

    Each epoch draws ``n_samples`` rows uniformly with replacement (a sampler
    seeded from ``rng``) and takes one step per row with scikit-learn's step
    size (:meth:`~.problem.BinaryProblem.sag_state`); SAGA applies the L1 part
    of the penalty by its proximal step. Epochs run in compiled code and come
    back here every ``record_every`` epochs; after every epoch the compiled
    loop applies scikit-learn's stopping rule ``max|W_e - W_{e-1}| <= tol
    max|W_e|`` (the weights, not the intercepts). ``n_iter`` counts epochs.

    History rows are the objective and accuracy after epochs 0, k, 2k, ...
    (one extra pass each); each goes to ``monitor(epoch, loss, accuracy,
    theta)``, which may stop the fit by returning True. ``converged`` is True
    only when the stopping rule held (not when ``max_iter`` ended the run).

    Raises
    ------
    ValueError
        With an L1 penalty and ``saga=False``, intercept penalties, or when a
        weight stops being finite (scikit-learn's message).
    """
    theta = np.array(theta0, dtype=np.float64)  # a contiguous copy, updated in place
    if rng is None:
        rng = np.random.default_rng()
    state = problem.sag_state(saga, rng)
    check = -1.0 if tol is None else float(tol)  # the ratio is >= 0: never met
    history = []
    done = 0
    converged = stopped = False
    while done < max_iter:
        # run up to and including the next record epoch (e % record_every == 0)
        next_record = -(-done // record_every) * record_every
        chunk = min(next_record - done + 1, max_iter - done)
        ran, status = problem.sag_epochs(theta, state, chunk, check)
        done += ran
        if status < 0:
            raise ValueError(f"Floating-point under-/overflow occurred at epoch #{done}. "
                             "Scaling input data with StandardScaler or MinMaxScaler "
                             "might help.")
        if (done - 1) % record_every == 0:
            out = problem.evaluate(theta)
            history.append((done - 1, problem.objective(theta, out),
                            out[problem.n_params + 1]))
            if monitor is not None and monitor(*history[-1], theta):
                stopped = True
                break
        if status == 1:
            converged = True
            break
    gnorm = problem.optimality(theta, problem.evaluate(theta))
    return SolverResult(theta, done, converged, as_history(history), gnorm, stopped)


#: SAGA: :func:`sag` with ``saga=True`` (L1 and elastic net by its proximal step).
saga = partial(sag, saga=True)

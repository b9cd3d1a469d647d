"""L-BFGS, ours: SciPy's L-BFGS-B iteration (without bounds) over the fused pass.

The iteration itself is the ask/tell state of :mod:`.lbfgs_core`, which the
batched cross-validation solver also drives; this is its single-model loop.
Each evaluation is one fused read of X giving loss and gradient together, and
the optimiser's own step (a two-loop recursion over ten float64 pairs) is a
few compiled sweeps over coefficient-sized vectors. SciPy's
``minimize(method="L-BFGS-B")`` stays the test oracle.
"""

from __future__ import annotations

import numpy as np

from .lbfgs_core import LBFGSState
from .problem import SolverResult, as_history

__all__ = ["lbfgs"]


def lbfgs(problem, theta0: np.ndarray, *, max_iter: int, tol: float,
              record_every: int = 10, monitor=None) -> SolverResult:
    """Minimise a problem's smooth objective by L-BFGS (:class:`.lbfgs_core.LBFGSState`).

    scikit-learn's options: ``gtol=tol`` (max-norm of the gradient), ``ftol=64
    * eps``, ``maxls=50``, ``maxiter=max_iter``, memory 10; the iterates are
    SciPy L-BFGS-B's up to the line search's rounding
    (``tests/test_estimator.py::test_lbfgs_iterates_are_scipy_on_the_oracle``).

    Each evaluation is one fused pass (:meth:`problem.evaluate`). Every
    ``record_every`` iterations the row ``(iteration, loss, accuracy)`` goes
    to ``monitor`` with the iterate; a True answer ends the minimisation.
    """
    if problem.l1:
        raise ValueError("solver='lbfgs' takes no L1 penalty (l1_ratio > 0); use "
                         "solver='gd' or 'nesterov', which take proximal steps.")
    n_params = problem.n_params
    state = LBFGSState(theta0, tol=tol, max_iter=max_iter)
    rows = []
    stopped = False
    last_out = None
    while (theta := state.ask()) is not None:
        out = problem.evaluate(theta)
        if state.tell(out[n_params], out[:n_params]):
            last_out = out
            k = state.n_iter - 1
            if k % record_every == 0:
                rows.append((k, state.f, out[n_params + 1]))
                if monitor is not None and monitor(*rows[-1], state.x):
                    stopped = True
                    break
        elif state.n_iter == 0 and state.done:
            last_out = out
    theta = state.x
    if last_out is None or not np.array_equal(theta, state.x):
        last_out = problem.evaluate(theta)
    gnorm = problem.optimality(theta, last_out)
    return SolverResult(theta, state.n_iter, state.converged and not stopped,
                        as_history(rows), gnorm, stopped)

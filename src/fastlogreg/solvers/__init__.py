"""Optimisation loops, each written once over "a pass" of the kernels.

A solver owns the iteration policy (step, stopping, history, divergence) and
calls a problem's fused pass (:mod:`.problem`) for everything that touches the
rows; it never loops over samples itself. Inputs arrive validated.

Each solver takes ``(problem, theta0, **options)`` and returns a
:class:`SolverResult`.
"""

from .gd import gd
from .lbfgs import lbfgs
from .nesterov import nesterov
from .newton_cg import newton_cg
from .newton_cholesky import newton_cholesky
from .problem import (
    HISTORY_DTYPE,
    BinaryProblem,
    DivergenceWarning,
    MultinomialProblem,
    SolverResult,
    as_history,
)
from .prox_newton import proximal_newton
from .sag import sag, saga
from .sgd import SCHEDULES, sgd
from .tron import tron

#: Every solver by its ``solver=`` name. Each is called as
#: ``SOLVERS[name](problem, theta0, *, max_iter, tol, record_every, monitor, **options)``
#: and returns a :class:`SolverResult`.
SOLVERS = {
    "lbfgs": lbfgs,
    "gd": gd,
    "nesterov": nesterov,
    "sgd": sgd,
    "sag": sag,
    "saga": saga,
    "newton-cg": newton_cg,
    "newton-cholesky": newton_cholesky,
    # liblinear's L1 algorithm (newGLMNET); the estimator's "liblinear" with L1
    "proximal-newton": proximal_newton,
    # liblinear's L2 algorithm (trust-region Newton); the estimator's "liblinear"
    "trust-region-newton": tron,
}

__all__ = [
    "HISTORY_DTYPE",
    "SCHEDULES",
    "SOLVERS",
    "BinaryProblem",
    "DivergenceWarning",
    "MultinomialProblem",
    "SolverResult",
    "as_history",
    "gd",
    "lbfgs",
    "nesterov",
    "newton_cg",
    "newton_cholesky",
    "proximal_newton",
    "sag",
    "saga",
    "sgd",
    "tron",
]

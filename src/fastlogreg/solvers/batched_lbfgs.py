"""M L-BFGS minimisations in lockstep over one read of X per round.

A grid of models (folds x regularisation strengths) shares its rows: model
``m`` trains on the row weights ``fold_weights[fold_of[m]]`` (0 on its
fold's held-out rows) with L2 strength ``alpha[m]``. Each round asks every
running :class:`.lbfgs_core.LBFGSState` for its next point, evaluates all of
them with one batched pass of the source (:meth:`.sources.Source.batched_sums`,
one read of X for dense data), and tells each state its loss and gradient.
A model that has converged leaves the batch: later passes compute only the
running ones. Along a path of Cs, a model may instead start from the
solution of the one before it (``chains``), as scikit-learn's path does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..sources import Source
from .lbfgs_core import LBFGSState

__all__ = ["BatchResult", "batched_lbfgs", "batched_scores", "split_thetas"]


@dataclass(frozen=True)
class BatchResult:
    """What :func:`batched_lbfgs` returns, one row per model."""

    theta: np.ndarray      # (M, n_params): [W.ravel(), b] per model, as a problem's theta
    n_iter: np.ndarray     # (M,) int
    status: np.ndarray     # (M,) int: 0 converged, 1 max_iter, 2 abnormal
    n_passes: int          # batched passes (reads of X) taken


def split_thetas(thetas: np.ndarray, n_features: int, n_classes: int):
    """``(W, b)`` of stacked thetas: (M, d) and (M,) for the binary model
    (``n_classes == 2``), (M, K, d) and (M, K) for the softmax one."""
    M = thetas.shape[0]
    if n_classes == 2:
        return thetas[:, :n_features], thetas[:, n_features]
    k = n_classes * n_features
    return thetas[:, :k].reshape(M, n_classes, n_features), thetas[:, k:]


def batched_lbfgs(data: Source, fold_weights: np.ndarray, fold_of: np.ndarray,
                  alpha: np.ndarray, n_classes: int, theta0: np.ndarray, *,
                  fit_intercept: bool, max_iter: int, tol: float,
                  chains: list[list[int]] | None = None) -> BatchResult:
    """Minimise M L2-penalised logistic objectives that share the rows of ``data``.

    Model ``m`` minimises ``J_m = (1/S_m) sum_i s_mi loss_i + (alpha_m / 2) ||W_m||^2``
    with ``s_m = fold_weights[fold_of[m]]`` and ``S_m`` its sum (the same
    objective as a :class:`.BinaryProblem` or :class:`.MultinomialProblem`
    with those weights), with scikit-learn's lbfgs options (``tol`` on the
    gradient's max-norm, ``max_iter``).

    Parameters
    ----------
    data : Source
        The rows; ``data.y`` holds 0/1 or class indices.
    fold_weights : (n_folds, n_samples) float64
    fold_of : (M,) int
    alpha : (M,) float64
    n_classes : int
        2 for the binary model, else the softmax's K.
    theta0 : (M, n_params) float64
        Starting points in a problem's layout (``[w, b]`` or ``[W.ravel(), b]``).
    fit_intercept : bool
        False keeps the intercepts at their starting value (their gradient
        is zeroed, as a problem's ``evaluate`` does).
    chains : list of lists of model indices, optional
        Warm starts along a path: within a chain, a model starts when the one
        before it has finished, from its solution (scikit-learn's path over
        Cs); ``theta0`` is used for the first model of each chain. The chains
        advance side by side, one running model each; by default every model
        runs from the first round, from its ``theta0``. Within a fold, a model's
        first evaluation is its predecessor's last one with its own L2 term.
    """
    d = data.n_features
    M, n_params = theta0.shape
    n_weights = n_params - (1 if n_classes == 2 else n_classes)
    fold_weights = np.ascontiguousarray(fold_weights, dtype=np.float64)
    fold_of = np.asarray(fold_of, dtype=np.int64)
    alpha = np.asarray(alpha, dtype=np.float64)
    if chains is None:
        chains = [[m] for m in range(M)]
    states: list[LBFGSState | None] = [None] * M
    position = [0] * len(chains)  # the running model's place in each chain

    def start(m, prev=None):
        if prev is None:
            states[m] = LBFGSState(theta0[m], tol=tol, max_iter=max_iter)
            return
        done = states[prev]
        states[m] = LBFGSState(done.x, tol=tol, max_iter=max_iter)
        if fold_of[m] == fold_of[prev] and np.isfinite(done.f):
            # The same rows at the same point: only the L2 term differs, so the
            # predecessor's last pass is this model's first evaluation, and a
            # model already converged there costs no read of X.
            w = done.x[:n_weights]
            shift = alpha[m] - alpha[prev]
            g = done.g.copy()
            g[:n_weights] += shift * w
            states[m].tell(done.f + 0.5 * shift * float(w @ w), g)

    for chain in chains:
        start(chain[0])
    passes = 0
    while True:
        # a chain whose model has finished hands its solution to the next one
        running = []
        for c, chain in enumerate(chains):
            while position[c] < len(chain) and states[chain[position[c]]].done:
                position[c] += 1
                if position[c] < len(chain):
                    start(chain[position[c]], prev=chain[position[c] - 1])
            if position[c] < len(chain):
                running.append(chain[position[c]])
        if not running:
            break
        running = np.array(running, dtype=np.intp)
        thetas = np.array([states[m].ask() for m in running])
        W, b = split_thetas(thetas, d, n_classes)
        out = np.empty((running.size, n_params + 2))
        data.batched_pass(W, b, fold_weights, fold_of[running], alpha[running], out)
        if not fit_intercept:
            out[:, n_weights:n_params] = 0.0
        passes += 1
        for i, m in enumerate(running):
            states[m].tell(out[i, n_params], out[i, :n_params])
    return BatchResult(np.array([s.x for s in states]),
                       np.array([s.n_iter for s in states]),
                       np.array([s.status for s in states]), passes)


def batched_scores(data: Source, thetas: np.ndarray, n_classes: int,
                   fold_weights: np.ndarray, fold_of: np.ndarray) -> np.ndarray:
    """Held-out ``(log_loss, accuracy)`` of M models from one read of X.

    ``fold_weights`` here are each fold's *test* weights (0 on its training
    rows). Returns (M, 2): the weighted mean log-loss (each row's loss capped
    as :func:`sklearn.metrics.log_loss` clips) and the weighted accuracy.
    """
    W, b = split_thetas(thetas, data.n_features, n_classes)
    total = data.batched_sums(W, b, np.ascontiguousarray(fold_weights, dtype=np.float64),
                              np.asarray(fold_of, dtype=np.int64), need_grad=False)
    n_params = thetas.shape[1]
    S = total[:, n_params + 2]
    return np.column_stack([total[:, n_params] / S, total[:, n_params + 1] / S])

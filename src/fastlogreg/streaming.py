"""``partial_fit``'s stream: what one chunk leaves for the next, and its epoch.

:meth:`fastlogreg.LogisticRegression.partial_fit` validates a chunk with
:func:`stream_classes` and :func:`encode_chunk`, then runs
:meth:`Stream.epoch`, one fused mini-batch SGD epoch over the chunk, on the
estimator's :class:`Stream`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import training

__all__ = ["Stream", "encode_chunk", "stream_classes"]


def stream_classes(classes, fitted: np.ndarray | None) -> np.ndarray:
    """The classes in force for a ``partial_fit`` call.

    Parameters
    ----------
    classes : array-like or None
        The call's ``classes``: required on the first call, else optional.
    fitted : ndarray or None
        The model's ``classes_``; None before the first call.

    Returns
    -------
    ndarray
        The sorted distinct labels.
    """
    if fitted is None and classes is None:
        raise ValueError("classes must be passed on the first call to "
                         "partial_fit: every label the stream will contain.")
    if classes is None:
        return fitted
    classes = np.unique(np.asarray(classes))
    if fitted is not None and not np.array_equal(classes, fitted):
        raise ValueError(f"classes={classes.tolist()} differs from the classes "
                         f"of the model, {fitted.tolist()}.")
    if classes.size < 2:
        raise ValueError(f"classes must hold at least 2 labels; got "
                         f"{classes.tolist()}.")
    return classes


def encode_chunk(y: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """The float64 indices of a chunk's labels in ``classes`` (sorted).

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        The chunk's labels.
    classes : ndarray
        The stream's classes, sorted.

    Returns
    -------
    ndarray of shape (n_samples,)
        ``classes[index] == y``, as float64.
    """
    y_index = np.searchsorted(classes, y)
    unknown = (y_index >= classes.size) | \
        (classes[np.minimum(y_index, classes.size - 1)] != y)
    if unknown.any():
        raise ValueError(f"y holds labels not in classes: "
                         f"{np.unique(y[unknown])[:5].tolist()}.")
    return y_index.astype(np.float64)


@dataclass
class Stream:
    """What ``partial_fit`` carries from one chunk to the next.

    Parameters
    ----------
    rng : numpy.random.Generator
        Shuffles each chunk.
    weight : float, default=0
        The sum of the weights of every chunk seen (it sets the penalty).
    calls : int, default=0
        Chunks seen (epochs run).
    step : float, optional
        The first chunk's step (``learning_rate="auto"``: ``1/L`` there).
    """

    rng: np.random.Generator
    weight: float = 0.0
    calls: int = 0
    step: float | None = None

    def epoch(self, X, y_index: np.ndarray, weight: np.ndarray, n_classes: int,
              coef: np.ndarray | None, intercept: np.ndarray | None, *, C: float,
              fit_intercept: bool, learning_rate: float | str, schedule: str,
              batch_size: int, n_jobs: int | None) -> tuple[np.ndarray, np.ndarray]:
        """One fused mini-batch epoch over a chunk, from ``coef`` and ``intercept``.

        The penalty is ``fit``'s on every row seen so far (``alpha = 1 /
        (C S_seen)``); the step is the first chunk's, divided by ``sqrt(t +
        1)`` after ``t`` chunks with ``schedule="invscaling"``. An epoch whose
        loss or weights stop being finite is undone, with a DivergenceWarning.

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (n_samples, n_features)
            The chunk's validated rows.
        y_index : ndarray of shape (n_samples,)
            Their class indices (:func:`encode_chunk`).
        weight : ndarray of shape (n_samples,)
            Their sample times class weights.
        n_classes : int
            The stream's number of classes.
        coef, intercept : ndarray or None
            The current coefficients (``coef_``, ``intercept_``); None: zeros.
        C : float
            scikit-learn's inverse penalty strength.
        fit_intercept : bool
            Whether the intercepts are trained.
        learning_rate : float or "auto"
            The step (``"auto"``: ``1/L`` on the first chunk).
        schedule : {"constant", "invscaling"}
            The step schedule over chunks.
        batch_size : int
            Rows per mini-batch (capped at the chunk's rows).
        n_jobs : int or None
            Threads for the pass.

        Returns
        -------
        coef : ndarray of shape (1, n_features) or (n_classes, n_features)
            The new weights, of X's dtype.
        intercept : ndarray of shape (1,) or (n_classes,)
            The new intercepts, of X's dtype.
        """
        S = float(weight.sum())
        seen = self.weight + S
        problem = training.make_problem(
            X, y_index, weight, n_classes,
            training.Strengths(alpha=training.alpha_from_C(C, seen) if seen > 0 else 0.0),
            fit_intercept=fit_intercept)
        if coef is None:
            theta = np.zeros(problem.n_params)
        else:
            theta = np.concatenate([coef.ravel(), intercept]).astype(np.float64)
        if self.step is None:
            self.step = (1.0 / problem.lipschitz() if learning_rate == "auto"
                         else float(learning_rate))
        step = self.step
        if schedule == "invscaling":
            step /= np.sqrt(self.calls + 1)
        if S > 0:
            previous = theta.copy()
            out = np.empty(2)
            with training.threads(n_jobs):
                problem.minibatch_epoch(theta, self.rng.permutation(X.shape[0]),
                                        min(int(batch_size), X.shape[0]), step, out)
            if not (np.isfinite(out[0]) and np.isfinite(theta).all()):
                theta = previous
                problem.warn_divergence(step, self.calls)
        self.weight = seen
        self.calls += 1
        coef, intercept = problem.split(theta)
        return (np.array(coef, dtype=X.dtype).reshape(-1, problem.n_features),
                np.array(intercept, dtype=X.dtype).reshape(-1))

"""The functional API: ``fit`` binary logistic regression, and the fitted model.

``fit`` validates everything, then trains through
:func:`fastlogreg.training.fit_path`, the path the scikit-learn estimator
trains through too, and returns a :class:`FitResult` that predicts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import training
from ._threading import exclusive
from ._validation import (
    check_binary_y,
    check_int,
    check_real,
    check_sample_weight,
    check_vector,
    check_X,
)
from .sources.predict import decision_function as logits
from .sources.predict import probabilities

__all__ = ["SOLVERS", "FitResult", "fit"]

SOLVERS = ("gd", "sgd")


@dataclass(frozen=True)
class FitResult:
    """A fitted binary logistic regression model and how it was trained.

    :func:`fit` returns it; its fields are read-only attributes of the same
    names.

    Parameters
    ----------
    coef : ndarray of shape (n_features,)
        The weights.
    intercept : float
        The intercept.
    history : structured ndarray with fields ``epoch``, ``loss``, ``accuracy``
        One row per recorded epoch: the objective ``J`` and the (weighted)
        training accuracy right after that epoch's update.
    n_epochs : int
        Epochs run.
    converged : bool
        Whether the ``tol`` criterion stopped training (always False when
        ``tol`` is None).
    """

    coef: np.ndarray
    intercept: float
    history: np.ndarray
    n_epochs: int
    converged: bool

    def decision_function(self, X) -> np.ndarray:
        """Logits ``X @ coef + intercept``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The rows, read in place (a float32 ``X`` is not copied to float64).

        Returns
        -------
        ndarray of shape (n_samples,)
            The logits, float64.
        """
        X = check_X(X, n_features=self.coef.shape[0])
        with exclusive():  # a lock under Numba's workqueue layer (see _threading)
            return logits(X, self.coef[None, :], np.array([self.intercept]))

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The rows.

        Returns
        -------
        proba : ndarray of shape (n_samples, 2)
            Columns P(y=0) and P(y=1).
        """
        return probabilities(self.decision_function(X))

    def predict(self, X) -> np.ndarray:
        """Predicted labels: 1 where the logit is positive, else 0.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The rows to classify.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Labels 0 and 1 (int64).
        """
        return (self.decision_function(X) > 0).astype(np.int64)


def fit(X, y, *, solver: str = "gd", learning_rate: float = 0.1,
        epochs: int = 100, batch_size: int | None = None, alpha: float = 0.0,
        fit_intercept: bool = True, sample_weight=None, tol: float | None = None,
        record_every: int = 10, coef_init=None, intercept_init: float = 0.0,
        random_state: int | np.random.Generator | None = None,
        callback=None) -> FitResult:
    """Train binary logistic regression with the fused Numba kernels.

    Minimises ``J(w, b) = (1/S) sum_i s_i [softplus(z_i) - y_i z_i] +
    (alpha/2) ||w||^2`` with ``z_i = x_i . w + b`` (see :mod:`fastlogreg.reference`).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The rows. float32 and float64 arrays in C or F order are read in place, never
        copied (except by ``"gd"`` for a C-ordered ``X`` of at most 16
        features and 16 MiB, read faster from a column-major copy); other
        numeric dtypes are converted to float64.
    y : array-like of shape (n_samples,)
        Labels 0 and 1 (or bool).
    solver : {"gd", "sgd"}, default="gd"
        ``"gd"``: fixed-step full-batch gradient descent, the notebook's
        algorithm, one fused read of X per epoch. ``"sgd"``: mini-batch
        gradient descent, the update following each batch within one read.
    learning_rate : float, default=0.1
        The fixed step, > 0.
    epochs : int, default=100
        Number of epochs (passes over the data), >= 1; an upper bound when
        ``tol`` is given.
    batch_size : int, optional
        Rows per mini-batch, for ``solver="sgd"`` only (default
        ``min(256, n_samples)``).
    alpha : float, default=0
        L2 penalty strength, >= 0 (the intercept is not penalised).
    fit_intercept : bool, default=True
        Whether to train an intercept (it stays 0 otherwise).
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative weights with a positive sum.
    tol : float, optional
        ``"gd"`` stops when the gradient's max-norm is ``<= tol`` (checked every
        ``record_every`` epochs); ``"sgd"`` when the epoch's running loss has
        not improved on its best by more than ``tol`` for 5 epochs in a row.
        ``None`` runs all ``epochs``.
    record_every : int, default=10
        Record loss and accuracy after epochs ``0, k, 2k, ...``.
    coef_init : array-like of shape (n_features,), optional
        Starting weights (zeros by default); never modified.
    intercept_init : float, default=0
        Starting intercept.
    random_state : int, Generator or None
        Seeds the ``"sgd"`` shuffles.
    callback : callable, optional
        ``callback(epoch, loss, coef, intercept)`` at every record; returning
        True stops training (the result keeps the current weights).

    Returns
    -------
    FitResult
        The weights, the history and how training ended.

    Raises
    ------
    TypeError, ValueError
        For any invalid input, before any training work.

    Warns
    -----
    DivergenceWarning
        If the loss stops being finite (a step too large); the last finite
        weights are returned and the message names a safe ``learning_rate``.
    """
    if solver not in SOLVERS:
        raise ValueError(f"solver must be one of {SOLVERS}; got {solver!r}.")
    X = check_X(X)
    n_samples, n_features = X.shape
    y = check_binary_y(y, n_samples)
    sample_weight = check_sample_weight(sample_weight, n_samples)
    learning_rate = check_real(learning_rate, "learning_rate", low=0.0, low_open=True)
    epochs = check_int(epochs, "epochs", low=1)
    alpha = check_real(alpha, "alpha", low=0.0)
    record_every = check_int(record_every, "record_every", low=1)
    if tol is not None:
        tol = check_real(tol, "tol", low=0.0)
    if not isinstance(fit_intercept, (bool, np.bool_)):
        raise TypeError(f"fit_intercept must be True or False; got {fit_intercept!r}.")
    if solver == "sgd":
        batch_size = (min(256, n_samples) if batch_size is None else
                      check_int(batch_size, "batch_size", low=1, high=n_samples))
    elif batch_size is not None:
        raise ValueError("batch_size applies to solver='sgd' only; leave it None "
                         "for solver='gd'.")
    if coef_init is None:
        coef = np.zeros(n_features)
    else:
        coef = check_vector(coef_init, "coef_init", n_features, of="features")
    intercept = check_real(intercept_init, "intercept_init")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable; got {callback!r}.")

    # the path passes coef_-shaped arrays; this API's callback gets a vector and a float
    report = None if callback is None else (
        lambda epoch, loss, coef, b: callback(epoch, loss, coef[0], float(b[0])))
    fitted = training.fit_path(
        X, y, sample_weight, 2, solver=solver, alpha=alpha,
        fit_intercept=bool(fit_intercept), coef_init=coef, intercept_init=intercept,
        max_iter=epochs, tol=tol, record_every=record_every, learning_rate=learning_rate,
        batch_size=batch_size, random_state=random_state, callback=report,
        dtype=np.float64, warn=False)
    return FitResult(fitted.coef[0], float(fitted.intercept[0]), fitted.history,
                     fitted.n_iter, fitted.converged)

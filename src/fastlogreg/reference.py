"""The NumPy oracle: the notebook's mathematics, correct, vectorised and readable.

This module is what every Numba kernel is tested against. It imports NumPy
only, favours clarity over speed, and keeps the notebook's function names
(``sigmoid``, ``derivative_sigmoid``, ``loss``, ``accuracy``, ``forward``,
``backward``) so a reader can follow it beside the notebook
"Logistic Regression From Scratch".

Conventions differ from the notebook in one way on purpose: ``X`` is
``(n_samples, n_features)`` everywhere (the notebook stores ``X.T``), ``w`` is
a 1-D array of ``n_features`` and ``b`` a float.

The objective (binary labels ``y_i`` in {0, 1}, sample weights ``s_i >= 0``,
``S = sum(s)``)::

    z_i = x_i . w + b
    J(w, b) = (1/S) sum_i s_i [softplus(z_i) - y_i z_i] + (alpha/2) ||w||^2
    dJ/dw   = (1/S) sum_i s_i (sigmoid(z_i) - y_i) x_i + alpha w
    dJ/db   = (1/S) sum_i s_i (sigmoid(z_i) - y_i)

The intercept is not penalised.

Where the notebook's code departs from its own derivation
---------------------------------------------------------
The notebook derives ``dz = a - y``, ``dw = X dz^T / m`` and
``db = mean(dz)``, which is what :func:`backward` computes. Its code differs
twice:

1. ``backward`` evaluates ``derivative_sigmoid(a)`` -- the derivative at the
   *activation* ``a = sigmoid(z)`` instead of at ``z``. Its
   ``da = (a - y) / (a (1 - a))`` needs ``sigmoid'(z) = a (1 - a)`` to cancel
   down to ``a - y``; with ``sigmoid'(a)``, which lies in (0.196, 0.25], the
   code's ``dz`` is ``(a - y) sigmoid'(a) / sigmoid'(z)``: about 0.94 (a - y)
   for uncertain predictions, but about ``-0.2 / a`` instead of ~0 for a
   sample predicted right with confidence, so well-classified samples never
   stop pulling (and ``da`` itself becomes ``inf``/NaN once ``a`` rounds to
   0 or 1).
2. ``np.mean(X @ dz.T, axis=1, keepdims=True)`` averages an ``(n, 1)`` array
   over its single column, which divides by one: its ``dw`` is the *sum* over
   samples, ``m`` times the mean, while its ``db`` is a true mean. The weights
   therefore take steps ``m`` times larger than the bias.

``scripts/notebook_vs_package.py`` runs both side by side.

Every function here is finite and silent (no overflow warning, no ``log(0)``)
for any finite ``z``, including ``|z|`` up to 1e300: the sigmoid and softplus
are written in terms of ``exp(-|z|)``, which never overflows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "Trace",
    "accuracy",
    "backward",
    "derivative_sigmoid",
    "evaluate",
    "forward",
    "hessian",
    "hessp",
    "log_loss_from_logits",
    "loss",
    "loss_and_gradient",
    "minibatch_epoch",
    "multinomial_evaluate",
    "multinomial_hessian",
    "multinomial_hessp",
    "multinomial_loss_and_gradient",
    "sag_epoch",
    "sigmoid",
    "softmax",
    "train",
]


def _weights(sample_weight, n: int) -> np.ndarray:
    if sample_weight is None:
        return np.ones(n)
    return np.asarray(sample_weight, dtype=np.float64)


def sigmoid(z):
    """Logistic function ``1 / (1 + exp(-z))``, stable for any finite ``z``.

    Parameters
    ----------
    z : array_like
        Logits.

    Returns
    -------
    ndarray
        Values in [0, 1], float64.
    """
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def derivative_sigmoid(z):
    """Derivative of the sigmoid at ``z``: ``sigmoid(z) * (1 - sigmoid(z))``.

    Written as ``e / (1 + e)^2`` with ``e = exp(-|z|)`` so that it neither
    overflows nor loses the tail to ``1 - 1 = 0`` cancellation.

    Parameters
    ----------
    z : array_like
        Logits.

    Returns
    -------
    ndarray
        Values in [0, 0.25], float64.
    """
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))
    return e / (1.0 + e) ** 2


def log_loss_from_logits(y, z):
    """Per-sample cross-entropy ``softplus(z) - y z`` computed from logits.

    For ``z > 0`` it is evaluated as ``log1p(exp(-z)) + (1 - y) z`` and for
    ``z <= 0`` as ``log1p(exp(z)) - y z``, so binary labels never meet the
    cancellation ``z - z`` and no branch overflows.

    Parameters
    ----------
    y : array_like
        Labels 0 and 1 (fractional targets are allowed).
    z : array_like
        Logits, broadcastable against ``y``.

    Returns
    -------
    ndarray
        The per-sample loss, float64, finite for any finite ``z``.
    """
    y = np.asarray(y, dtype=np.float64)
    z = np.asarray(z, dtype=np.float64)
    return np.log1p(np.exp(-np.abs(z))) + np.where(z > 0, (1.0 - y) * z, -y * z)


def loss(y, y_hat, sample_weight=None) -> float:
    """Mean binary cross-entropy of probabilities ``y_hat`` (the notebook's ``loss``).

    Probabilities are clipped to ``[eps, 1 - eps]`` (``eps`` of float64), as
    :func:`sklearn.metrics.log_loss` does, so a saturated prediction gives a
    large finite loss instead of ``log(0)``. Training uses
    :func:`log_loss_from_logits`, which needs no clipping.

    Parameters
    ----------
    y : array_like of shape (n_samples,)
        Labels 0 and 1.
    y_hat : array_like of shape (n_samples,)
        Predicted probabilities of label 1.
    sample_weight : array_like of shape (n_samples,), optional
        Weights of the average (all 1 by default).

    Returns
    -------
    float
        The weighted mean loss.
    """
    y = np.asarray(y, dtype=np.float64)
    eps = np.finfo(np.float64).eps
    p = np.clip(np.asarray(y_hat, dtype=np.float64), eps, 1.0 - eps)
    per_sample = -(y * np.log(p) + (1.0 - y) * np.log1p(-p))
    return float(np.average(per_sample, weights=_weights(sample_weight, y.size)))


def accuracy(y, y_hat, threshold: float = 0.5, sample_weight=None) -> float:
    """Fraction (weighted by ``sample_weight``) of ``(y_hat > threshold) == y``.

    Parameters
    ----------
    y : array_like of shape (n_samples,)
        Labels 0 and 1.
    y_hat : array_like of shape (n_samples,)
        Predicted probabilities of label 1.
    threshold : float, default=0.5
        A probability above it predicts 1.
    sample_weight : array_like of shape (n_samples,), optional
        Weights of the average (all 1 by default).

    Returns
    -------
    float
        The weighted share of right predictions, in [0, 1].
    """
    y = np.asarray(y)
    hit = (np.asarray(y_hat) > threshold) == (y == 1)
    return float(np.average(hit, weights=_weights(sample_weight, y.size)))


def forward(X, w, b=0.0):
    """Forward pass: ``a = sigmoid(X @ w + b)``.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
        The rows.
    w : array_like of shape (n_features,)
        The weights.
    b : float, default=0
        The intercept.

    Returns
    -------
    ndarray of shape (n_samples,)
        The probabilities of label 1.
    """
    return sigmoid(np.asarray(X) @ np.asarray(w, dtype=np.float64) + b)


def backward(X, y, a, sample_weight=None):
    """Backward pass of the notebook's derivation: ``dz = a - y``, averaged.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
        The rows.
    y : array_like of shape (n_samples,)
        Labels 0 and 1.
    a : array_like of shape (n_samples,)
        The forward pass's probabilities.
    sample_weight : array_like of shape (n_samples,), optional
        Weights ``s`` (all 1 by default); ``S = sum(s)``.

    Returns
    -------
    dw : ndarray of shape (n_features,)
        ``X.T @ (s * dz) / S``.
    db : float
        ``sum(s * dz) / S``.
    """
    X = np.asarray(X)
    s = _weights(sample_weight, X.shape[0])
    dz = s * (np.asarray(a, dtype=np.float64) - np.asarray(y, dtype=np.float64))
    S = s.sum()
    return X.T @ dz / S, float(dz.sum() / S)


def loss_and_gradient(X, y, w, b=0.0, *, alpha: float = 0.0, sample_weight=None):
    """Objective ``J(w, b)`` and its gradient, from one forward and one backward pass.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The rows.
    y : ndarray of shape (n_samples,)
        Labels 0 and 1.
    w : ndarray of shape (n_features,)
        The weights.
    b : float, default=0
        The intercept.
    alpha : float, default=0
        L2 strength; the intercept is not penalised.
    sample_weight : ndarray of shape (n_samples,), optional
        Weights (all 1 by default).

    Returns
    -------
    loss : float
        The objective ``J(w, b)``.
    dw : ndarray of shape (n_features,)
        Its gradient in ``w``.
    db : float
        Its derivative in ``b``.
    """
    X = np.asarray(X)
    w = np.asarray(w, dtype=np.float64)
    s = _weights(sample_weight, X.shape[0])
    z = X @ w + b
    data_loss = float(np.sum(s * log_loss_from_logits(y, z)) / s.sum())
    dw, db = backward(X, y, sigmoid(z), s)
    return data_loss + 0.5 * alpha * float(w @ w), dw + alpha * w, db


def evaluate(X, y, w, b=0.0, *, alpha: float = 0.0, sample_weight=None):
    """Objective ``J`` and weighted accuracy at ``(w, b)`` from one forward pass.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The rows.
    y : ndarray of shape (n_samples,)
        Labels 0 and 1.
    w : ndarray of shape (n_features,)
        The weights.
    b : float, default=0
        The intercept.
    alpha : float, default=0
        L2 strength; the intercept is not penalised.
    sample_weight : ndarray of shape (n_samples,), optional
        Weights (all 1 by default).

    Returns
    -------
    loss : float
        The objective ``J(w, b)``.
    accuracy : float
        The weighted share of right predictions.
    """
    X = np.asarray(X)
    w = np.asarray(w, dtype=np.float64)
    s = _weights(sample_weight, X.shape[0])
    z = X @ w + b
    J = float(np.sum(s * log_loss_from_logits(y, z)) / s.sum()) + 0.5 * alpha * float(w @ w)
    return J, accuracy(y, sigmoid(z), sample_weight=s)


def softmax(Z):
    """Row-wise softmax of logits, shifted by the row max: finite for any finite logits.

    Parameters
    ----------
    Z : array_like of shape (n_samples, n_classes)
        Logits.

    Returns
    -------
    ndarray of shape (n_samples, n_classes)
        Probabilities, each row summing to 1.
    """
    Z = np.asarray(Z, dtype=np.float64)
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def multinomial_loss_and_gradient(X, y, W, b, *, alpha: float = 0.0,
                                  sample_weight=None):
    """Softmax cross-entropy objective and gradient (scikit-learn's multinomial).

    ``J(W, b) = (1/S) sum_i s_i [logsumexp(z_i) - z_{i, y_i}] + (alpha/2) ||W||_F^2``
    with ``z_i = W x_i + b``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The rows.
    y : ndarray of shape (n_samples,)
        Class indices 0..K-1.
    W : ndarray of shape (K, n_features)
        The weights, one row per class.
    b : ndarray of shape (K,)
        The intercepts.
    alpha : float, default=0
        L2 strength; the intercepts are not penalised.
    sample_weight : ndarray of shape (n_samples,), optional
        Weights (all 1 by default).

    Returns
    -------
    J : float
        The objective.
    dW : ndarray of shape (K, n_features)
        Its gradient in ``W``.
    db : ndarray of shape (K,)
        Its gradient in ``b``.
    """
    X = np.asarray(X)
    W = np.asarray(W, dtype=np.float64)
    s = _weights(sample_weight, X.shape[0])
    Z = X @ W.T + b
    rows = np.arange(X.shape[0])
    y = np.asarray(y).astype(np.intp)
    top = Z.max(axis=1)
    lse = np.log(np.exp(Z - top[:, None]).sum(axis=1)) + top
    S = s.sum()
    J = float(np.sum(s * (lse - Z[rows, y])) / S) + 0.5 * alpha * float(np.sum(W * W))
    R = softmax(Z)
    R[rows, y] -= 1.0
    R *= s[:, None] / S
    return J, R.T @ X + alpha * W, R.sum(axis=0)


def multinomial_evaluate(X, y, W, b, *, alpha: float = 0.0, sample_weight=None):
    """Objective and weighted accuracy (argmax of the logits) at ``(W, b)``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The rows.
    y : ndarray of shape (n_samples,)
        Class indices 0..K-1.
    W : ndarray of shape (K, n_features)
        The weights, one row per class.
    b : ndarray of shape (K,)
        The intercepts.
    alpha : float, default=0
        L2 strength; the intercepts are not penalised.
    sample_weight : ndarray of shape (n_samples,), optional
        Weights (all 1 by default).

    Returns
    -------
    J : float
        The objective of :func:`multinomial_loss_and_gradient`.
    accuracy : float
        The weighted share of rows whose largest logit is their class.
    """
    X = np.asarray(X)
    s = _weights(sample_weight, X.shape[0])
    J, _, _ = multinomial_loss_and_gradient(X, y, W, b, alpha=alpha, sample_weight=s)
    hit = np.argmax(X @ np.asarray(W, dtype=np.float64).T + b, axis=1) == np.asarray(y)
    return J, float(np.average(hit, weights=s))


@dataclass
class Trace:
    """What :func:`train` returns: final weights and the recorded history.

    Parameters
    ----------
    w : ndarray of shape (n_features,)
        The final weights.
    b : float
        The final intercept.
    history : ndarray of shape (n_records, 3)
        One row ``(epoch, loss, accuracy)`` per recorded epoch, the loss and
        accuracy being those of the model right after that epoch's update
        (as the notebook records them).
    """

    w: np.ndarray
    b: float
    history: np.ndarray


def train(X, y, *, learning_rate=0.001, epochs=100, record_every=10, w0=None,
          b0=0.0, alpha=0.0, sample_weight=None, fit_intercept=True) -> Trace:
    """The notebook's fixed-step gradient descent, with its derivation's gradient.

    Runs ``epochs`` updates ``w -= learning_rate * dJ/dw`` (and ``b`` likewise
    when ``fit_intercept``), and after the update of every epoch ``e`` with
    ``e % record_every == 0`` records the loss ``J`` and the accuracy of the
    updated model, exactly as the notebook's loop does.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The rows.
    y : ndarray of shape (n_samples,)
        Labels 0 and 1.
    learning_rate : float, default=0.001
        The fixed step.
    epochs : int, default=100
        Number of updates.
    record_every : int, default=10
        Record the loss and accuracy after epochs ``0, k, 2k, ...``.
    w0 : ndarray of shape (n_features,), optional
        Starting weights (zeros by default).
    b0 : float, default=0
        Starting intercept.
    alpha : float, default=0
        L2 strength; the intercept is not penalised.
    sample_weight : ndarray of shape (n_samples,), optional
        Weights (all 1 by default).
    fit_intercept : bool, default=True
        Whether ``b`` is trained (it stays 0 otherwise).

    Returns
    -------
    Trace
        The final weights and the history.
    """
    X = np.asarray(X)
    w = np.zeros(X.shape[1]) if w0 is None else np.array(w0, dtype=np.float64)
    b = float(b0) if fit_intercept else 0.0
    rows = []
    for epoch in range(epochs):
        _, dw, db = loss_and_gradient(X, y, w, b, alpha=alpha, sample_weight=sample_weight)
        w = w - learning_rate * dw
        if fit_intercept:
            b = b - learning_rate * db
        if epoch % record_every == 0:
            rows.append((epoch, *evaluate(X, y, w, b, alpha=alpha,
                                          sample_weight=sample_weight)))
    return Trace(w, b, np.array(rows, dtype=np.float64).reshape(-1, 3))


def _weighted_sums(X, y, w, b, s):
    """Unnormalised sums over rows: (sum s l, sum s r x, sum s r, sum s hit)."""
    if np.ndim(w) == 2:  # multinomial
        Z = X @ np.asarray(w, dtype=np.float64).T + b
        y = np.asarray(y).astype(np.intp)
        rows = np.arange(len(y))
        top = Z.max(axis=1)
        lse = np.log(np.exp(Z - top[:, None]).sum(axis=1)) + top
        R = softmax(Z)
        R[rows, y] -= 1.0
        R *= s[:, None]
        hit = np.argmax(Z, axis=1) == y
        return float(s @ (lse - Z[rows, y])), R.T @ X, R.sum(axis=0), float(s @ hit)
    z = X @ np.asarray(w, dtype=np.float64) + b
    r = s * (sigmoid(z) - y)
    hit = (sigmoid(z) > 0.5) == (y == 1)
    return float(s @ log_loss_from_logits(y, z)), X.T @ r, float(r.sum()), float(s @ hit)


def minibatch_epoch(X, y, w, b, order, batch_size, learning_rate, *, alpha=0.0,
                    sample_weight=None, fit_intercept=True):
    """One epoch of mini-batch gradient descent over rows in ``order``.

    Binary when ``w`` is 1-D; multinomial when ``w`` is (K, d) (then ``b`` is
    (K,) and ``y`` holds class indices).

    Batch ``B`` is ``order[k*batch_size:(k+1)*batch_size]`` and takes the step::

        w -= learning_rate * ((n / (S |B|)) sum_{i in B} s_i (p_i - y_i) x_i + alpha w)

    whose data term is an unbiased estimate of the full gradient: it divides by
    the *expected* weight of a batch, ``S |B| / n``, not by the batch's own
    weight, which would give batches of light samples (class weights, say) the
    pull of heavy ones. A batch of zero weight moves ``w`` by the penalty only.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The rows.
    y : ndarray of shape (n_samples,)
        Labels 0 and 1, or class indices (multinomial).
    w : ndarray of shape (n_features,) or (K, n_features)
        The weights at the start of the epoch (not modified).
    b : float or ndarray of shape (K,)
        The intercept(s) at the start of the epoch.
    order : ndarray of int
        The rows of the epoch, in the order they are visited.
    batch_size : int
        Rows per batch (the last batch may be smaller).
    learning_rate : float
        The fixed step.
    alpha : float, default=0
        L2 strength; the intercept is not penalised.
    sample_weight : ndarray of shape (n_samples,), optional
        Weights (all 1 by default).
    fit_intercept : bool, default=True
        Whether ``b`` is trained.

    Returns
    -------
    w : ndarray
        The weights after the epoch.
    b : float or ndarray
        The intercept(s) after the epoch.
    loss : float
        ``sum_B [sum_{i in B} s_i l_i(w_B) / S + (|B| / m) (alpha/2) ||w_B||^2]``
        over the ``m = len(order)`` rows: the objective along the way.
    accuracy : float
        ``sum_B sum_{i in B} s_i hit_i(w_B) / S``.
    """
    X = np.asarray(X)
    s = _weights(sample_weight, X.shape[0])
    S = s.sum()
    n, m = X.shape[0], len(order)
    total_loss = total_hits = 0.0
    for start in range(0, m, batch_size):
        rows = order[start:start + batch_size]
        scale = S * len(rows) / n
        loss_sum, gw, gb, hits = _weighted_sums(X[rows], y[rows], w, b, s[rows])
        total_loss += loss_sum / S + len(rows) / m * 0.5 * alpha * float(np.sum(w * w))
        total_hits += hits / S
        dw = gw / scale + alpha * w
        w = w - learning_rate * dw
        if fit_intercept:
            b = b - learning_rate * gb / scale
    return w, b, total_loss, total_hits


def batched_loss_and_gradient(X, y, W, b, *, alpha=0.0, sample_weight=None):
    """Objectives and gradients of M models on the same rows, one model at a time.

    The oracle of the batched pass (:mod:`fastlogreg.kernels.batched`): model
    ``m`` has coefficients ``W[m]`` ((d,) binary, (K, d) multinomial),
    intercepts ``b[m]``, L2 strength ``alpha[m]`` and row weights
    ``sample_weight[m]`` (rows of weight 0, a fold's held-out rows, do not
    count). Each model is computed by :func:`loss_and_gradient` or
    :func:`multinomial_loss_and_gradient`.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,), 0/1 or class indices
    W : ndarray of shape (M, n_features) or (M, n_classes, n_features)
    b : ndarray of shape (M,) or (M, n_classes)
    alpha : float or ndarray of shape (M,)
    sample_weight : ndarray of shape (M, n_samples), optional

    Returns
    -------
    J : ndarray of shape (M,)
    dW : ndarray shaped as ``W``
    db : ndarray shaped as ``b``
    """
    W = np.asarray(W, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    M = W.shape[0]
    alpha = np.broadcast_to(np.asarray(alpha, dtype=np.float64), (M,))
    if sample_weight is None:
        sample_weight = np.ones((M, np.shape(X)[0]))
    J, dW, db = np.empty(M), np.empty_like(W), np.empty_like(b)
    for m in range(M):
        if W.ndim == 2:
            J[m], dW[m], db[m] = loss_and_gradient(X, y, W[m], b[m], alpha=alpha[m],
                                                   sample_weight=sample_weight[m])
        else:
            J[m], dW[m], db[m] = multinomial_loss_and_gradient(
                X, y, W[m], b[m], alpha=alpha[m], sample_weight=sample_weight[m])
    return J, dW, db


def sag_epoch(X, y, sample_weight, W, b, memory, sum_grad, sum_grad_b, seen, rows, *,
              step: float, alpha: float, l1: float = 0.0, saga: bool = False,
              fit_intercept: bool = True, intercept_decay: float = 1.0) -> None:
    """SAG (or SAGA) steps over the sampled rows ``rows``, in place.

    The algorithm of scikit-learn's ``sag_solver`` written eagerly (every
    weight updated at every step, no weight scale, no lazy sums), so that the
    compiled epochs of :mod:`fastlogreg.kernels.sag`, dense and CSR, can be
    compared with it step by step on the same rows. Its objective is
    scikit-learn's ``(1/n) sum_i s_i l_i + (alpha/2) ||W||^2 + l1 ||W||_1``.

    At each sampled row ``i``, with ``g = s_i * dl_i/dz`` at the current
    weights (``sigmoid(z) - y`` for the binary model, ``softmax(z) -
    onehot(y)`` for the multinomial one), ``delta = g - memory[i]`` and ``m``
    the number of distinct rows seen so far::

        SAG:  G += delta x_i;  W <- (1 - step alpha) W - step G / m
        SAGA: W <- prox((1 - step alpha) W - step (delta x_i + G / m));  G += delta x_i
        b   <- b - step decay Gb / m     (SAGA also - step (1 - 1/m) delta)

    where ``prox`` soft-thresholds by ``step * l1`` (SAGA only) and ``Gb``
    sums the intercept's ``delta``.

    Parameters
    ----------
    X : (n, d) array
        Rows (any float dtype; used as float64).
    y : (n,) array
        0/1 labels (binary) or class indices (multinomial).
    sample_weight : (n,) array
        Non-negative row weights.
    W : (d,) or (K, d) float64
        Weights, updated in place: 1-D is the binary (sigmoid) model, 2-D the
        softmax one.
    b : (1,) or (K,) float64
        Intercepts, updated in place.
    memory : (n, 1) or (n, K) float64
        Each row's last gradient ``g``, updated in place.
    sum_grad : same shape as W
        ``sum_i memory[i] x_i`` (``G``), updated in place.
    sum_grad_b : (1,) or (K,) float64
        ``sum_i memory[i]`` (``Gb``), updated in place.
    seen : (n,) bool
        Rows seen so far, updated in place.
    rows : sequence of int
        The sampled rows, in order.
    step, alpha, l1 : float
        Step size and the penalties (``alpha`` and ``l1`` already divided by n,
        as scikit-learn's ``alpha_scaled`` and ``beta_scaled``).
    saga : bool
        SAGA's steps (with the proximal L1 step) instead of SAG's.
    fit_intercept : bool
        Whether ``b`` is trained.
    intercept_decay : float
        Factor of the intercept's average-gradient step (scikit-learn's 0.01
        for sparse X, 1 for dense).
    """
    binary = W.ndim == 1
    W2 = W.reshape(1, -1) if binary else W
    G = sum_grad.reshape(W2.shape)
    for i in rows:
        x = np.asarray(X[i], dtype=np.float64).ravel()
        z = W2 @ x + b
        if binary:
            g = sigmoid(z) - y[i]
        else:
            g = softmax(z[None, :])[0]
            g[int(y[i])] -= 1.0
        g = g * sample_weight[i]
        seen[i] = True
        m = int(np.count_nonzero(seen))
        delta = g - memory[i]
        memory[i] = g
        if saga:
            W2[:] = (1.0 - step * alpha) * W2 - step * (np.outer(delta, x) + G / m)
            G += np.outer(delta, x)
            if l1:
                W2[:] = np.sign(W2) * np.maximum(np.abs(W2) - step * l1, 0.0)
        else:
            G += np.outer(delta, x)
            W2[:] = (1.0 - step * alpha) * W2 - step * G / m
        if fit_intercept:
            sum_grad_b += delta
            b -= step * intercept_decay * sum_grad_b / m
            if saga:
                b -= step * (1.0 - 1.0 / m) * delta


# --- second order: the Newton solvers' Hessian-vector products and Hessians -----------

def hessp(X, y, w, b, v, c=0.0, *, alpha: float = 0.0, sample_weight=None):
    """Hessian of the binary ``J`` at ``(w, b)`` times the direction ``(v, c)``.

    ``H = (1/S) sum_i s_i sigmoid'(z_i) x~_i x~_i^T + alpha diag(1, ..., 1, 0)``
    with ``x~_i = [x_i, 1]`` (the intercept last, not penalised). ``y`` is not
    needed (the Hessian of the log-loss does not depend on it) and is taken
    for symmetry with :func:`loss_and_gradient`.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The rows.
    y : ndarray of shape (n_samples,)
        Labels 0 and 1 (unused: the Hessian of the log-loss does not depend
        on them; taken for symmetry with :func:`loss_and_gradient`).
    w : ndarray of shape (n_features,)
        The weights.
    b : float
        The intercept.
    v : ndarray of shape (n_features,)
        The direction's weight part.
    c : float, default=0
        The direction's intercept part.
    alpha : float, default=0
        L2 strength; the intercepts are not penalised.
    sample_weight : ndarray of shape (n_samples,), optional
        Weights (all 1 by default).

    Returns
    -------
    Hv_w : ndarray of shape (n_features,)
        The product's weight part.
    Hv_b : float
        The product's intercept part.
    """
    X = np.asarray(X)
    s = _weights(sample_weight, X.shape[0])
    v = np.asarray(v, dtype=np.float64)
    h = s * derivative_sigmoid(X @ np.asarray(w, dtype=np.float64) + b) / s.sum()
    q = h * (X @ v + c)
    return X.T @ q + alpha * v, float(q.sum())


def hessian(X, y, w, b, *, alpha: float = 0.0, sample_weight=None):
    """The binary ``J``'s Hessian at ``(w, b)``, the intercept last (see :func:`hessp`).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The rows.
    y : ndarray of shape (n_samples,)
        Labels 0 and 1 (unused: the Hessian of the log-loss does not depend
        on them; taken for symmetry with :func:`loss_and_gradient`).
    w : ndarray of shape (n_features,)
        The weights.
    b : float
        The intercept.
    alpha : float, default=0
        L2 strength; the intercepts are not penalised.
    sample_weight : ndarray of shape (n_samples,), optional
        Weights (all 1 by default).

    Returns
    -------
    ndarray of shape (n_features + 1, n_features + 1)
        The Hessian in the order ``[w, b]``.
    """
    X = np.asarray(X)
    s = _weights(sample_weight, X.shape[0])
    Xt = np.column_stack([X.astype(np.float64), np.ones(X.shape[0])])
    h = s * derivative_sigmoid(X @ np.asarray(w, dtype=np.float64) + b) / s.sum()
    H = Xt.T @ (h[:, None] * Xt)
    d = X.shape[1]
    H[np.arange(d), np.arange(d)] += alpha
    return H


def multinomial_hessp(X, y, W, b, V, c, *, alpha: float = 0.0, sample_weight=None):
    """Hessian of the softmax ``J`` at ``(W, b)`` times the direction ``(V, c)``.

    Per row, with ``p = softmax(W x + b)`` and ``u = V x + c``, the Hessian of
    ``logsumexp`` times ``u`` is ``p * (u - p.u)``; the data term is
    ``R^T [X, 1]`` with ``R = (s/S) p (u - p.u)``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The rows.
    y : ndarray of shape (n_samples,)
        Class indices (unused: the Hessian does not depend on them).
    W : ndarray of shape (K, n_features)
        The weights, one row per class.
    b : ndarray of shape (K,)
        The intercepts.
    V : ndarray of shape (K, n_features)
        The direction's weight part.
    c : ndarray of shape (K,)
        The direction's intercept part.
    alpha : float, default=0
        L2 strength; the intercepts are not penalised.
    sample_weight : ndarray of shape (n_samples,), optional
        Weights (all 1 by default).

    Returns
    -------
    HV_W : ndarray of shape (K, n_features)
        The product's weight part.
    HV_b : ndarray of shape (K,)
        The product's intercept part.
    """
    X = np.asarray(X)
    s = _weights(sample_weight, X.shape[0])
    V = np.asarray(V, dtype=np.float64)
    P = softmax(X @ np.asarray(W, dtype=np.float64).T + b)
    U = X @ V.T + c
    R = (s / s.sum())[:, None] * P * (U - np.sum(P * U, axis=1, keepdims=True))
    return R.T @ X + alpha * V, R.sum(axis=0)


def multinomial_hessian(X, y, W, b, *, alpha: float = 0.0, sample_weight=None):
    """The softmax ``J``'s Hessian at ``(W, b)`` in the order of ``[W.ravel(), b]``.

    Class block ``(k, l)`` over ``x~ = [x, 1]`` is
    ``(1/S) sum_i s_i (p_ik [k == l] - p_ik p_il) x~_i x~_i^T``; ``alpha`` is on
    the diagonal of the weights (not the intercepts).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The rows.
    y : ndarray of shape (n_samples,)
        Class indices (unused: the Hessian does not depend on them).
    W : ndarray of shape (K, n_features)
        The weights, one row per class.
    b : ndarray of shape (K,)
        The intercepts.
    alpha : float, default=0
        L2 strength; the intercepts are not penalised.
    sample_weight : ndarray of shape (n_samples,), optional
        Weights (all 1 by default).

    Returns
    -------
    ndarray of shape (K * (n_features + 1), K * (n_features + 1))
        The Hessian in the order of ``[W.ravel(), b]``.
    """
    X = np.asarray(X)
    n, d = X.shape
    s = _weights(sample_weight, n)
    W = np.asarray(W, dtype=np.float64)
    K = W.shape[0]
    P = softmax(X @ W.T + b)
    Xt = np.column_stack([X.astype(np.float64), np.ones(n)])
    blocks = np.empty((K, d + 1, K, d + 1))
    for k in range(K):
        for q in range(K):
            h = (s / s.sum()) * (P[:, k] * (k == q) - P[:, k] * P[:, q])
            blocks[k, :, q, :] = Xt.T @ (h[:, None] * Xt)
    # theta order: class k's weights at k*d:(k+1)*d, its intercept at K*d + k
    order = np.concatenate([np.arange(K)[:, None] * (d + 1) + np.arange(d)[None, :],
                            np.arange(K)[:, None] * (d + 1) + d], axis=None)
    H = blocks.reshape(K * (d + 1), K * (d + 1))[np.ix_(order, order)]
    H[np.arange(K * d), np.arange(K * d)] += alpha
    return H

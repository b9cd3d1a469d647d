"""What a solver optimises: the data, the objective's constants and one fused pass.

A problem exposes its parameters as one flat vector ``theta``: ``[w, b]`` for
the binary model, ``[W.ravel(), b]`` for the multinomial one, the penalised
weights first. :meth:`evaluate` runs one fused pass and returns
``[gradient (n_params), J, accuracy]``, so every solver is written once over it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from ..sources import PARALLEL_MIN_ELEMENTS, Source, as_source
from ..sources.base import SagState

__all__ = [
    "HISTORY_DTYPE",
    "PARALLEL_MIN_ELEMENTS",
    "BinaryProblem",
    "DivergenceWarning",
    "MultinomialProblem",
    "SolverResult",
    "as_history",
]

HISTORY_DTYPE = np.dtype([("epoch", np.int64), ("loss", np.float64),
                          ("accuracy", np.float64)])

# Rows used to estimate the largest Hessian eigenvalue (a d x d eigenproblem).
_LIPSCHITZ_ROWS = 4096


class DivergenceWarning(RuntimeWarning):
    """The loss stopped being finite; training kept the last finite weights."""


@dataclass(frozen=True)
class SolverResult:
    """What every solver returns."""

    theta: np.ndarray
    n_iter: int
    converged: bool
    history: np.ndarray
    grad_norm: float = np.nan
    stopped: bool = False  # a monitor (callback, early stopping) ended the fit
    # newton-cholesky handed over to lbfgs (scikit-learn then warns as lbfgs does)
    fell_back: bool = False


def as_history(rows) -> np.ndarray:
    """Rows of (epoch, loss, accuracy) as a structured array."""
    rows = np.asarray(rows, dtype=np.float64).reshape(-1, 3)
    history = np.empty(len(rows), dtype=HISTORY_DTYPE)
    for k, name in enumerate(HISTORY_DTYPE.names):
        history[name] = rows[:, k]
    return history


@dataclass(frozen=True)
class _Problem:
    """Shared parts of the binary and multinomial problems.

    Attributes
    ----------
    X : (n_samples, n_features) float32/float64, C- or F-contiguous, read in
        place; or any input :func:`fastlogreg.sources.as_source` takes (a
        memory-mapped file, a sparse or Dask matrix) or a ready :class:`Source`
    y : (n_samples,) float64: 0/1 (binary) or class indices (multinomial)
    sample_weight : (n_samples,) float64, >= 0, positive sum
    data : Source
        Where the passes read the rows (built from X, y and sample_weight).
    alpha : float
        L2 strength of the smooth objective.
    l1 : float
        L1 strength, applied by proximal steps (solvers that cannot take one
        refuse ``l1 > 0``).
    fit_intercept : bool
    intercept_alpha, intercept_l1 : float
        L2 and L1 strengths on the intercepts, 0 but for liblinear's objective,
        which penalises the intercept as the weight of a constant feature
        ``intercept_scaling``: ``alpha / s**2`` and ``l1 / s``. The passes never
        see them: :meth:`evaluate`, :meth:`objective`, :meth:`prox` and
        :meth:`optimality` add them to the intercept entries.
    """

    X: np.ndarray
    y: np.ndarray
    sample_weight: np.ndarray
    alpha: float = 0.0
    l1: float = 0.0
    fit_intercept: bool = True
    intercept_alpha: float = 0.0
    intercept_l1: float = 0.0
    _hessian_bound: float = field(default=0.25, init=False, repr=False)
    data: Source = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "data", as_source(self.X, self.y, self.sample_weight))

    @property
    def n_features(self) -> int:
        return self.data.n_features

    @property
    def n_samples(self) -> int:
        return self.data.n_samples

    # subclasses define n_weights, n_params, split and _pass

    def evaluate(self, theta: np.ndarray) -> np.ndarray:
        """One fused pass at ``theta``: ``[gradient, J_smooth, accuracy]``."""
        out = np.empty(self.n_params + 2)
        self._pass(theta, out)
        self._intercept_terms(theta, out)
        return out

    def _intercept_terms(self, theta: np.ndarray, out: np.ndarray) -> None:
        """Fix a pass's ``out`` for the intercepts: their gradient 0 when they are
        not fitted, else their L2 term (``intercept_alpha``) added."""
        if not self.fit_intercept:
            out[self.n_weights:self.n_params] = 0.0
        elif self.intercept_alpha:
            b = theta[self.n_weights:self.n_params]
            out[self.n_weights:self.n_params] += self.intercept_alpha * b
            out[self.n_params] += 0.5 * self.intercept_alpha * float(b @ b)

    # --- second order: the Newton solvers ------------------------------------------

    @property
    def free_params(self) -> np.ndarray:
        """Positions of ``theta`` that a solver moves: all of them, or the
        weights only when the intercepts are not fitted (they stay 0)."""
        return np.arange(self.n_params if self.fit_intercept else self.n_weights)

    def hessp(self, theta: np.ndarray, v: np.ndarray) -> np.ndarray:
        """The smooth objective's Hessian at ``theta`` times ``v`` (one read of X).

        The data term is normalised by the weight sum ``S`` as :meth:`evaluate`'s
        gradient is; ``alpha v`` is added on the weights and ``intercept_alpha
        v`` on the intercepts; without ``fit_intercept`` the intercept entries
        are 0 (``v``'s are ignored).
        """
        out = self._hessp_sums(theta, v) / self.data.weight_sum()
        out[:self.n_weights] += self.alpha * v[:self.n_weights]
        if not self.fit_intercept:
            out[self.n_weights:] = 0.0
        elif self.intercept_alpha:
            out[self.n_weights:] += self.intercept_alpha * v[self.n_weights:]
        return out

    def gradient_hessian(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        """One read of X: ``(out, H, flat)``.

        ``out`` is :meth:`evaluate`'s ``[gradient, J_smooth, accuracy]``; ``H``
        the smooth objective's Hessian (n_params x n_params, laid out as
        ``theta``, L2 terms included; without ``fit_intercept`` its intercept
        rows and columns are the data's, to be left out with
        :attr:`free_params`); ``flat`` the share of the weight on rows of zero
        curvature (0 for the softmax), scikit-learn's newton-cholesky test for
        falling back to lbfgs.
        """
        out = np.empty(self.n_params + 2)
        H, flat = self._gradient_hessian(theta, out)
        self._intercept_terms(theta, out)
        if self.fit_intercept and self.intercept_alpha:
            k = np.arange(self.n_weights, self.n_params)
            H[k, k] += self.intercept_alpha
        return out, H, flat

    def minibatch_epoch(self, theta, order, batch_size, learning_rate, out) -> None:
        """One fused mini-batch epoch over rows ``order``, updating ``theta`` in
        place; ``out[:2]`` receives the loss and accuracy along the way."""
        W, b = self.split(theta)
        self.data.minibatch_epoch(W, b, order, batch_size, learning_rate, self.alpha,
                                  self.fit_intercept, out)

    def sag_state(self, saga: bool, rng: np.random.Generator) -> SagState:
        """A fresh SAG/SAGA run on this problem, with scikit-learn's step size.

        scikit-learn's ``sag_solver`` minimises ``(1/n) sum_i s_i l_i +
        (alpha_n/2) ||w||^2 + l1_n ||w||_1``, this problem times ``S/n``: the
        same optimum with ``alpha_n = alpha S / n`` and ``l1_n = l1 S / n``. Its
        step (``sklearn.linear_model._sag.get_auto_step_size``) is ``1 / L``
        for SAG and ``1 / (2 L + min(2 n alpha_n, L))`` for SAGA, with ``L =
        (max_i ||x_i||^2 + fit_intercept) / 4 + alpha_n`` (sample weights and
        the softmax's larger curvature left out, as there). The row sampler is
        seeded from ``rng``.
        """
        name = "saga" if saga else "sag"
        if self.l1 and not saga:
            raise ValueError("solver='sag' takes no L1 penalty (l1_ratio > 0); use "
                             "solver='saga'.")
        if self.intercept_alpha or self.intercept_l1:
            raise ValueError(f"solver={name!r} does not penalise the intercept "
                             "(intercept_alpha/intercept_l1 are liblinear's).")
        n, S = self.n_samples, self.data.weight_sum()
        alpha_n, l1_n = self.alpha * S / n, self.l1 * S / n
        L = 0.25 * (self.data.max_sq_row_norm() + int(self.fit_intercept)) + alpha_n
        step = 1.0 / (2.0 * L + min(2.0 * n * alpha_n, L)) if saga else 1.0 / L
        if step * alpha_n == 1.0:  # scikit-learn's message: the lazy scale would be 0
            raise ZeroDivisionError("Current sag implementation does not handle the "
                                    "case step_size * alpha_scaled == 1")
        K = self.n_params - self.n_weights
        return SagState(
            memory=np.zeros((n, K)), sum_grad=np.zeros((K, self.n_features)),
            sum_grad_b=np.zeros(K), seen=np.zeros(n, np.uint8),
            counters=np.zeros(1, np.int64),
            rng_state=np.array([rng.integers(0, 2**64, dtype=np.uint64)]),
            step=step, alpha=alpha_n, l1=l1_n, saga=bool(saga),
            fit_intercept=bool(self.fit_intercept))

    def sag_epochs(self, theta: np.ndarray, state: SagState, n_epochs: int,
                   tol: float) -> tuple[int, int]:
        """Up to ``n_epochs`` SAG/SAGA epochs updating ``theta`` (contiguous
        float64) and ``state`` in place: ``(epochs run, status)``, status 1 once
        ``max|dW| <= tol max|W|`` after an epoch, -1 on non-finite weights."""
        K = self.n_params - self.n_weights
        W = theta[:self.n_weights].reshape(K, self.n_features)
        return self.data.sag_epochs(W, theta[self.n_weights:], state, n_epochs, tol)

    def objective(self, theta: np.ndarray, out: np.ndarray) -> float:
        """Full objective at ``theta`` given its :meth:`evaluate` output."""
        J = out[self.n_params]
        if self.l1:
            J += self.l1 * float(np.abs(theta[:self.n_weights]).sum())
        if self.intercept_l1 and self.fit_intercept:
            J += self.intercept_l1 * float(np.abs(theta[self.n_weights:]).sum())
        return J

    def prox(self, theta: np.ndarray, step: float) -> np.ndarray:
        """Proximal map of ``step * (l1 ||w||_1 + intercept_l1 ||b||_1)``
        (soft-thresholding) in place."""
        for part, strength in ((slice(0, self.n_weights), self.l1),
                               (slice(self.n_weights, None), self.intercept_l1)):
            if strength:
                v = theta[part]
                v[:] = np.sign(v) * np.maximum(np.abs(v) - step * strength, 0.0)
        return theta

    def optimality(self, theta: np.ndarray, out: np.ndarray) -> float:
        """Max-norm of the (proximal) gradient: 0 exactly at the optimum.

        Without L1 it is the gradient's max-norm, scikit-learn's lbfgs ``gtol``
        criterion; with L1 it is the minimum-norm subgradient's.
        """
        # intercept entries count only when fitted (kernels compute them anyway)
        end = self.n_params if self.fit_intercept else self.n_weights
        if not (self.l1 or self.intercept_l1):  # one reduction: runs after every record
            return float(np.abs(out[:end]).max())
        worst = 0.0
        for lo, hi, strength in ((0, self.n_weights, self.l1),
                                 (self.n_weights, end, self.intercept_l1)):
            g, v = out[lo:hi], theta[lo:hi]
            if strength:
                g = np.where(v != 0, g + strength * np.sign(v),
                             np.sign(g) * np.maximum(np.abs(g) - strength, 0.0))
            worst = max(worst, float(np.max(np.abs(g), initial=0.0)))
        return worst

    def lipschitz(self) -> float:
        """Estimate of the gradient's Lipschitz constant.

        ``c * lambda_max(sum_i s_i x~_i x~_i^T / S) + alpha`` (``x~`` = x with a
        1 for the intercept; c = 1/4 binary, 1/2 multinomial) bounds the
        Hessian. The eigenvalue comes from at most 4096 evenly spaced rows, so
        it is exact for small data and a close estimate for large data; the
        trace bound caps it.
        """
        n = self.n_samples
        rows = np.linspace(0, n - 1, min(n, _LIPSCHITZ_ROWS)).astype(np.intp)
        Xs, s = self.data.sample_rows(rows)
        if self.fit_intercept:
            Xs = np.column_stack([Xs, np.ones(len(rows))])
        if s.sum() <= 0:
            s = np.ones(len(rows))
        # Extreme X is scaled by its largest |x|, so that the Gram matrix cannot
        # overflow (X of 1e160 made it inf and eigvalsh fail); an eigenvalue
        # that overflows afterwards is inf, and the trace bound is the estimate.
        # Ordinary X is not rescaled, so that its step keeps its bits
        # (tests/test_properties.py::test_extreme_X_gives_a_finite_step).
        scale = float(np.max(np.abs(Xs), initial=0.0))
        if 0.0 < scale < np.inf and not 1e-100 < scale < 1e100:
            Xs = Xs / scale
        else:
            scale = 1.0
        if Xs.shape[1] > Xs.shape[0]:
            # wide data: the rows' m x m Gram matrix has the same largest
            # eigenvalue as the (d+1)-square one, at a fraction of the memory
            # and time (d = 20,000: 128 MB and seconds instead of 3.2 GB and
            # an O(d**3) eigenproblem); tests/test_properties.py::
            # test_wide_data_step_uses_the_smaller_gram
            root = Xs * np.sqrt(s / s.sum())[:, None]
            gram = root @ root.T
        else:
            gram = (Xs * (s / s.sum())[:, None]).T @ Xs
        try:
            lam = float(np.linalg.eigvalsh(gram)[-1]) * scale * scale
        except np.linalg.LinAlgError:
            lam = np.inf
        L = (self._hessian_bound * min(lam, self._trace())
             + max(self.alpha, self.intercept_alpha))
        # finite and positive, so that a step of 1/L is too: L overflows for X
        # of 1e160 (x**2 is not a float64), underflows to 0 for X of 1e-170
        # without intercept or penalty
        big = np.finfo(np.float64)
        return min(max(L, big.tiny), big.max)

    def safe_learning_rate(self) -> float:
        """A fixed step that cannot diverge: ``1 / L`` for the trace bound ``L``."""
        strongest = max(self.alpha, self.intercept_alpha)
        return 1.0 / (self._hessian_bound * self._trace() + strongest)

    def _trace(self) -> float:
        """``sum_i s_i ||x~_i||^2 / S``: the trace of the weighted Gram matrix, an
        upper bound of its largest eigenvalue (one read of X)."""
        return self.data.sq_norm_sum() / self.data.weight_sum() + float(self.fit_intercept)

    def warn_divergence(self, learning_rate: float, epoch: int) -> None:
        warnings.warn(
            f"the loss stopped being finite at epoch {epoch} with learning_rate="
            f"{learning_rate:g}; training stopped and kept the last finite weights. "
            f"A learning_rate <= {self.safe_learning_rate():.3g} cannot diverge "
            "on this data.",
            DivergenceWarning,
            stacklevel=4,
        )


@dataclass(frozen=True)
class BinaryProblem(_Problem):
    """Binary logistic regression: ``theta = [w (d), b]``."""

    @property
    def n_weights(self) -> int:
        return self.n_features

    @property
    def n_params(self) -> int:
        return self.n_features + 1

    def split(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Views ``(w, b)`` of ``theta``; ``b`` is a 1-element array."""
        d = self.n_features
        return theta[:d], theta[d:d + 1]

    def _pass(self, theta, out):
        w, b = self.split(theta)
        self.data.binary_pass(w, b[0], self.alpha, out)

    def _hessp_sums(self, theta, v):
        (w, b), (vw, c) = self.split(theta), self.split(v)
        return self.data.binary_hessp_sums(w, b[0], vw, c[0])

    def _gradient_hessian(self, theta, out):
        w, b = self.split(theta)
        return self.data.binary_gradient_hessian(w, b[0], self.alpha, out)

    @property
    def has_compiled_gd(self) -> bool:
        """Whether :meth:`gd_epochs` can run: the source offers the compiled
        multi-epoch loop, and the objective is the one it computes (no L1,
        no penalty on the intercept)."""
        return (self.data.in_memory and not self.l1 and not self.intercept_alpha
                and not self.intercept_l1)

    def gd_first_pass(self, theta: np.ndarray, grad: np.ndarray) -> bool:
        """:meth:`evaluate` at ``theta`` into ``grad`` by :meth:`gd_epochs`' own
        compiled code (one entry to compile); False if the pass was not finite."""
        w, b = self.split(theta)
        return self.data.gd_first_pass(w, b, self.alpha, self.fit_intercept, grad)

    def gd_epochs(self, theta: np.ndarray, learning_rate: float, first_epoch: int,
                  n_epochs: int, record_every: int, grad: np.ndarray,
                  history: np.ndarray) -> tuple[int, int]:
        """``n_epochs`` fixed-step gradient-descent epochs in compiled code,
        updating ``theta`` in place (only if :attr:`has_compiled_gd`).

        ``grad`` holds the pass at ``theta`` on entry and on return; records
        go to ``history`` (see :func:`fastlogreg.kernels.dense.gd_epochs`).
        Returns ``(epochs_run, n_records)``; fewer epochs only on divergence,
        with ``theta`` restored to the last finite point.
        """
        w, b = self.split(theta)
        return self.data.gd_epochs(w, b, learning_rate, self.alpha, self.fit_intercept,
                                   first_epoch, n_epochs, record_every, grad, history)


@dataclass(frozen=True)
class MultinomialProblem(_Problem):
    """Softmax regression over ``n_classes``: ``theta = [W.ravel() (K*d), b (K)]``."""

    n_classes: int = 3
    _hessian_bound: float = field(default=0.5, init=False, repr=False)

    @property
    def n_weights(self) -> int:
        return self.n_classes * self.n_features

    @property
    def n_params(self) -> int:
        return self.n_classes * (self.n_features + 1)

    def split(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Views ``(W (K, d), b (K,))`` of ``theta``."""
        k = self.n_weights
        return theta[:k].reshape(self.n_classes, self.n_features), theta[k:]

    def _pass(self, theta, out):
        W, b = self.split(theta)
        self.data.multinomial_pass(W, b, self.alpha, out)

    def _hessp_sums(self, theta, v):
        (W, b), (V, c) = self.split(theta), self.split(v)
        return self.data.multinomial_hessp_sums(W, b, V, c)

    def _gradient_hessian(self, theta, out):
        W, b = self.split(theta)
        return self.data.multinomial_gradient_hessian(W, b, self.alpha, out), 0.0

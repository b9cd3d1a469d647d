"""What every data source gives a problem: passes over its rows.

A source holds the rows ``(X, y, sample_weight)`` wherever they live (in
memory, in a file, on a cluster) and answers the few questions a solver asks
about them, each with one read of the data:

* :meth:`Source.binary_sums` and :meth:`Source.multinomial_sums`: the
  unnormalised sums of a fused pass (gradient, loss, hits, weight), which
  :meth:`Source.binary_pass` and :meth:`Source.multinomial_pass` finish into a
  pass's ``out``. Sums are what travel: a source that cuts its rows into
  chunks (a file, a Dask array) adds the chunks' sums, so only
  coefficient-sized vectors move, never rows.
* :meth:`Source.sq_norm_sum`, :meth:`Source.sample_rows` and
  :meth:`Source.weight_sum` for the step-size bounds.
* Optionally :meth:`Source.minibatch_epoch` (the ``sgd`` solver) and
  :meth:`Source.decision_function`.

Adding a source: subclass :class:`Source`, implement the abstract methods
(usually by calling the kernels of :mod:`fastlogreg.kernels` on each piece of
the data and adding the sums in a fixed order), and teach
:func:`fastlogreg.sources.as_source` to recognise its input. Solvers need no
change: they only see a problem's :meth:`evaluate`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from ..kernels import batched, dense, layout, multinomial, newton

__all__ = ["SagState", "Source"]


@dataclass
class SagState:
    """What a SAG/SAGA run carries from epoch to epoch (built by the problem).

    ``memory`` (n, K) each row's last gradient, ``sum_grad`` (K, d) and
    ``sum_grad_b`` (K,) their sums, ``seen`` (n,) uint8 rows seen,
    ``counters[0]`` their number, ``rng_state`` (1,) uint64 the row sampler's
    state; ``step``, ``alpha`` and ``l1`` as scikit-learn's ``sag_solver``
    uses them (penalties divided by n). K = 1 is the binary model.
    """

    memory: np.ndarray
    sum_grad: np.ndarray
    sum_grad_b: np.ndarray
    seen: np.ndarray
    counters: np.ndarray
    rng_state: np.ndarray
    step: float
    alpha: float
    l1: float
    saga: bool
    fit_intercept: bool


class Source(ABC):
    """Rows ``(X, y, sample_weight)`` read in fused passes.

    ``y`` holds 0/1 (binary) or class indices (multinomial) as float64;
    ``sample_weight`` is float64 and non-negative.
    """

    n_samples: int
    n_features: int
    #: True when ``X``, ``y`` and ``sample_weight`` are in-memory arrays that
    #: the compiled multi-epoch loop (``dense.gd_epochs``) may read directly;
    #: such a source also offers that loop as ``gd_first_pass`` and
    #: ``gd_epochs`` (see :class:`.memory.InMemory`), which the ``gd`` solver
    #: reaches through :meth:`.solvers.problem.BinaryProblem.gd_epochs`.
    in_memory: bool = False

    @abstractmethod
    def binary_sums(self, w: np.ndarray, b: float, need_loss: bool) -> np.ndarray:
        """Sums of one binary pass (the layout of :func:`.kernels.dense.add_partials`)."""

    @abstractmethod
    def multinomial_sums(self, W: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Sums of one softmax pass (:func:`.kernels.multinomial.add_partials`)."""

    @abstractmethod
    def sq_norm_sum(self) -> float:
        """``sum_i s_i ||x_i||^2``."""

    def weight_sum(self) -> float:
        """``S = sum_i s_i`` (of in-memory weights; a source that holds them
        elsewhere overrides it)."""
        return float(self.sample_weight.sum())

    @abstractmethod
    def sample_rows(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rows ``rows`` of X as a dense float64 array, and their weights."""

    def binary_pass(self, w: np.ndarray, b: float, alpha: float,
                    out: np.ndarray) -> None:
        """One pass at ``(w, b)`` into ``out`` (:func:`.kernels.dense.loss_grad`'s)."""
        dense.finish(self.binary_sums(w, b, True), w, alpha, True, out)

    def multinomial_pass(self, W: np.ndarray, b: np.ndarray, alpha: float,
                         out: np.ndarray) -> None:
        """One softmax pass at ``(W, b)`` into ``out``."""
        multinomial.finish(self.multinomial_sums(W, b), W, alpha, out)

    def minibatch_epoch(self, W: np.ndarray, b: np.ndarray, order: np.ndarray,
                        batch_size: int, learning_rate: float, alpha: float,
                        fit_intercept: bool, out: np.ndarray) -> None:
        """One fused mini-batch epoch over rows ``order``, updating ``W``, ``b``.

        ``W`` is 1-D for the binary model (then ``b`` has one entry), (K, d)
        for the softmax one.
        """
        raise TypeError(f"solver='sgd' cannot run on {self.describe()}; use "
                        "solver='lbfgs', 'gd' or 'nesterov'.")

    def reweighted(self, sample_weight: np.ndarray) -> Source:
        """The same rows with other sample weights (``X`` and ``y`` shared)."""
        return type(self)(self.X, self.y, sample_weight)

    def batched_sums(self, W: np.ndarray, b: np.ndarray, fold_weights: np.ndarray,
                     fold_of: np.ndarray, need_grad: bool = True) -> np.ndarray:
        """Sums of M models' passes: row m as :meth:`binary_sums` (``W`` (M, d),
        ``b`` (M,)) or :meth:`multinomial_sums` (``W`` (M, K, d), ``b`` (M, K))
        give them, with the row weights ``fold_weights[fold_of[m]]``.

        This default runs one pass per model (a source of each fold's weights,
        :meth:`reweighted`); dense sources override it with one read of X for
        all models (:mod:`fastlogreg.kernels.batched`). ``need_grad`` lets an
        override skip the gradient; here it is always computed.
        """
        folds: dict[int, Source] = {}
        rows = []
        for m in range(W.shape[0]):
            f = int(fold_of[m])
            if f not in folds:
                folds[f] = self.reweighted(np.ascontiguousarray(fold_weights[f]))
            if W.ndim == 2:
                rows.append(folds[f].binary_sums(W[m], float(b[m]), True))
            else:
                rows.append(folds[f].multinomial_sums(W[m], b[m]))
        return np.array(rows)

    def batched_pass(self, W: np.ndarray, b: np.ndarray, fold_weights: np.ndarray,
                     fold_of: np.ndarray, alpha: np.ndarray, out: np.ndarray) -> None:
        """M models' passes into ``out`` (M, n_params + 2): each row
        :meth:`binary_pass`'s or :meth:`multinomial_pass`'s layout for model
        ``m`` with L2 strength ``alpha[m]``, from one :meth:`batched_sums`."""
        total = self.batched_sums(W, b, fold_weights, fold_of)
        n_intercepts = 1 if W.ndim == 2 else W.shape[1]
        batched.finish(total, np.ascontiguousarray(W.reshape(W.shape[0], -1)), alpha,
                       n_intercepts, out)

    def max_sq_row_norm(self) -> float:
        """``max_i ||x_i||^2``, SAG's step size: sources that run
        :meth:`sag_epochs` give it; the others refuse SAG here, before any read."""
        raise TypeError(f"solver='sag' and 'saga' cannot run on {self.describe()}; use "
                        "solver='lbfgs', 'gd' or 'nesterov' (or load the data in memory).")

    def sag_epochs(self, W: np.ndarray, b: np.ndarray, state: SagState, n_epochs: int,
                   tol: float) -> tuple[int, int]:
        """Up to ``n_epochs`` SAG/SAGA epochs from ``(W (K, d), b (K,))``, updating
        them and ``state`` in place; ``(epochs run, status)`` with status 1 once
        scikit-learn's stopping rule holds, -1 if a weight stopped being finite,
        else 0 (see :mod:`fastlogreg.kernels.sag`)."""
        name = "saga" if state.saga else "sag"
        raise TypeError(f"solver={name!r} cannot run on {self.describe()}; use "
                        "solver='lbfgs', 'gd' or 'nesterov' (or load the data in memory).")

    # --- second order (the newton-cg and newton-cholesky solvers) -------------------
    # Sums, unnormalised, as the first-order passes give them; a source that
    # cannot take a pass keeps the default, which names the solvers it can run.

    def binary_hessp_sums(self, w: np.ndarray, b: float, v: np.ndarray,
                          c: float) -> np.ndarray:
        """``sum_i s_i sigmoid'(z_i) (x_i.v + c) [x_i, 1]`` at ``(w, b)`` (d + 1),
        one read of the rows (:func:`.kernels.newton.binary_hessp`)."""
        raise TypeError(_refuse_newton("newton-cg", self))

    def multinomial_hessp_sums(self, W: np.ndarray, b: np.ndarray, V: np.ndarray,
                               c: np.ndarray) -> np.ndarray:
        """The softmax Hessian-vector sums at ``(W, b)`` in direction ``(V, c)``
        (``K*d + K``, :func:`.kernels.newton.multinomial_hessp`)."""
        raise TypeError(_refuse_newton("newton-cg", self))

    def binary_hessian_sums(self, w: np.ndarray, b: float) -> tuple[np.ndarray, np.ndarray]:
        """``(total, H)`` of :func:`.kernels.newton.binary_hessian`: a binary partial
        row with the flat-curvature weight after it, and ``sum_i s_i
        sigmoid'(z_i) x~_i x~_i^T`` ((d+1, d+1))."""
        raise TypeError(_refuse_newton("newton-cholesky", self))

    def multinomial_hessian_sums(self, W: np.ndarray,
                                 b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(total, H)`` of :func:`.kernels.newton.multinomial_hessian`: a
        multinomial partial row and the Hessian sums laid out as ``theta``."""
        raise TypeError(_refuse_newton("newton-cholesky", self))

    def binary_gradient_hessian(self, w: np.ndarray, b: float, alpha: float,
                                out: np.ndarray) -> tuple[np.ndarray, float]:
        """One pass at ``(w, b)``: ``out`` as :meth:`binary_pass` writes it, and
        ``(H, flat)``: the Hessian of the mean loss plus ``alpha`` on the
        weights' diagonal ((d+1, d+1), the intercept last), and the share of the
        weight on rows whose curvature ``sigmoid'(z)`` is 0."""
        total, H = self.binary_hessian_sums(w, b)
        dense.finish(total, w, alpha, True, out)
        d = w.shape[0]
        S = total[d + 1 + layout.WEIGHT]
        H /= S
        H[np.arange(d), np.arange(d)] += alpha
        return H, float(total[d + 1 + newton.FLAT] / S)

    def multinomial_gradient_hessian(self, W: np.ndarray, b: np.ndarray, alpha: float,
                                     out: np.ndarray) -> np.ndarray:
        """One pass at ``(W, b)``: ``out`` as :meth:`multinomial_pass` writes it,
        and the Hessian of the mean loss plus ``alpha`` on the weights'
        diagonal, laid out as ``theta = [W.ravel(), b]``."""
        total, H = self.multinomial_hessian_sums(W, b)
        multinomial.finish(total, W, alpha, out)
        K, d = W.shape
        H /= total[K * d + K + layout.WEIGHT]
        H[np.arange(K * d), np.arange(K * d)] += alpha
        return H

    def describe(self) -> str:
        """A few words naming the data, for messages."""
        return type(self).__name__


def _refuse_newton(solver: str, source: Source) -> str:
    """The message of a source that cannot run a Newton solver's pass."""
    return (f"solver={solver!r} cannot run on {source.describe()}; use solver='lbfgs', "
            "'gd' or 'nesterov' (or load the data in memory).")

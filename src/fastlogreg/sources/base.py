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

import numpy as np

from ..kernels import dense, multinomial

__all__ = ["Source"]


class Source(ABC):
    """Rows ``(X, y, sample_weight)`` read in fused passes.

    ``y`` holds 0/1 (binary) or class indices (multinomial) as float64;
    ``sample_weight`` is float64 and non-negative.
    """

    n_samples: int
    n_features: int
    #: True when ``X``, ``y`` and ``sample_weight`` are in-memory arrays that
    #: the compiled multi-epoch loop (``dense.gd_epochs``) may read directly;
    #: such a source also has ``epoch_X``, ``X`` in the layout that loop reads.
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

    def describe(self) -> str:
        """A few words naming the data, for messages."""
        return type(self).__name__

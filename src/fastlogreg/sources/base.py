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

    def describe(self) -> str:
        """A few words naming the data, for messages."""
        return type(self).__name__

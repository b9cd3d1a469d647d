"""What happens between records of a fit: progress, callbacks, early stopping.

Solvers call a :class:`Monitor` once every ``record_every`` iterations (never
per row or per batch, so the compiled loops keep their speed) with the
iteration, the objective, the training accuracy and the current parameters.
The monitor returns True to stop the fit. It also keeps a copy of the last
recorded parameters, which is what a fit interrupted by Ctrl-C leaves behind.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["Monitor"]

# A progress bar appears only on fits that have run this long (seconds), and
# redraws at most this often.
PROGRESS_DELAY = 1.0
PROGRESS_MININTERVAL = 0.1


class Monitor:
    """Progress bar, user callback and early stopping, checked at each record.

    Parameters
    ----------
    total : int
        The iteration budget (``max_iter``), for the progress bar.
    split : callable
        Maps a flat parameter vector to the ``(coef, intercept)`` the callback
        receives; it must return copies, so the callback cannot disturb the fit.
    verbose : int
        > 0 shows a tqdm progress bar with the iteration and the loss; it
        appears only once a fit has run for a second.
    callback : callable, optional
        ``callback(iteration, loss, coef, intercept)``; returning True stops
        the fit (the model keeps the current parameters).
    observers : sequence of callables, optional
        ``observer(iteration, theta)`` at every record (scikit-learn's
        callback hooks); any True answer stops the fit.
    validation : object with ``evaluate(theta)``, optional
        A problem whose weights select the held-out rows: early stopping
        evaluates its loss at every record and stops after
        ``n_iter_no_change`` records without an improvement larger than
        ``tol``; :attr:`best` then holds the parameters of the best record.
    n_iter_no_change : int, default=5
        Records without an improvement of the held-out loss before early
        stopping stops the fit.
    tol : float, default=0
        The improvement of the held-out loss that counts as one.
    """

    def __init__(self, total: int, split: Callable, *, verbose: int = 0,
                 callback: Callable | None = None, validation=None,
                 n_iter_no_change: int = 5, tol: float = 0.0, observers=()):
        self.split = split
        self.observers = tuple(observers)
        self.callback = callback
        self.validation = validation
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.last: np.ndarray | None = None
        self.last_iteration = -1
        self.rows: list[tuple[int, float, float]] = []
        self.best: np.ndarray | None = None
        self.best_loss = np.inf
        self.validation_losses: list[float] = []
        self._stale = 0
        self._bar = None
        self._done = 0
        if verbose:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, delay=PROGRESS_DELAY, unit="it",
                             desc="fastlogreg", leave=False,
                             mininterval=PROGRESS_MININTERVAL)

    def __call__(self, iteration: int, loss: float, accuracy: float,
                 theta: np.ndarray) -> bool:
        self.last = theta.copy()
        self.last_iteration = iteration
        self.rows.append((iteration, loss, accuracy))
        stop = False
        if self.validation is not None:
            out = self.validation.evaluate(theta)
            val = float(out[self.validation.n_params])
            self.validation_losses.append(val)
            # as SGDClassifier: only a gain > tol resets the count, but any gain
            # updates the best weights
            self._stale = 0 if val < self.best_loss - self.tol else self._stale + 1
            if val < self.best_loss:
                self.best_loss, self.best = val, theta.copy()
            stop = self._stale >= self.n_iter_no_change
        if self._bar is not None:
            self._bar.set_postfix(loss=f"{loss:.6g}", refresh=False)
            self._bar.update(iteration + 1 - self._done)
            self._done = iteration + 1
        if self.callback is not None:
            coef, intercept = self.split(theta)
            if self.callback(iteration, loss, coef, intercept):
                stop = True
        for observer in self.observers:
            stop = bool(observer(iteration, theta)) or stop
        return stop

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

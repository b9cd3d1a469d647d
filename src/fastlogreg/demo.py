"""The embedded demo: the notebook's problem trained by the oracle and the kernels.

Needs no data file: the problem is the notebook's own ``make_classification``
call. ``run_demo`` prints the recorded histories side by side, their largest
difference, and timings (medians of repeats) of the oracle and the kernels.
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import TextIO

import numpy as np
from sklearn.datasets import make_classification

from . import reference
from ._timing import interleaved_seconds
from .functional import fit

__all__ = ["NOTEBOOK_SETTINGS", "notebook_init", "notebook_problem", "run_demo"]

# The notebook's loop: a fixed step of 0.001, 100 epochs, a record every 10.
NOTEBOOK_SETTINGS = {"learning_rate": 0.001, "epochs": 100, "record_every": 10}


def notebook_problem() -> tuple[np.ndarray, np.ndarray]:
    """The notebook's data, as (n_samples, n_features) = (1000, 10) and labels 0/1."""
    X, y = make_classification(n_samples=1000, n_features=10, n_classes=2,
                               n_clusters_per_class=1, random_state=0)
    return X, y.astype(np.float64)


def notebook_init(seed: int = 0) -> tuple[np.ndarray, float]:
    """The notebook's start ``rand * 0.01`` for w and b, seeded (it was not)."""
    rng = np.random.default_rng(seed)
    return rng.random(10) * 0.01, float(rng.random() * 0.01)


def run_demo(repeats: int = 15, file: TextIO | None = None) -> dict:
    """Train the notebook's problem with the oracle and with the kernels; print both.

    Returns
    -------
    dict
        ``max_loss_diff``, ``max_coef_diff``, ``oracle_seconds``,
        ``kernel_seconds`` (medians), ``first_fit_seconds``, and ``history``:
        the kernels' recorded history (for :func:`fastlogreg.plot_history`).
    """
    out = file or sys.stdout
    X, y = notebook_problem()
    w0, b0 = notebook_init()

    start = time.perf_counter()
    fast = fit(X, y, coef_init=w0, intercept_init=b0, **NOTEBOOK_SETTINGS)
    first = time.perf_counter() - start
    oracle = reference.train(X, y, w0=w0, b0=b0, **NOTEBOOK_SETTINGS)

    print("fastlogreg demo: the notebook's problem (1000 x 10, make_classification, "
          "random_state=0),", file=out)
    print("fixed-step gradient descent, learning_rate=0.001, 100 epochs, "
          "history every 10 epochs.\n", file=out)
    print("| epoch | loss (oracle) | loss (kernels) | accuracy (oracle) | "
          "accuracy (kernels) |", file=out)
    print("|---:|---:|---:|---:|---:|", file=out)
    for row, (epoch, loss, acc) in zip(fast.history, oracle.history, strict=True):
        print(f"| {int(epoch)} | {loss:.12f} | {row['loss']:.12f} | {acc:.3f} | "
              f"{row['accuracy']:.3f} |", file=out)
    loss_diff = float(np.max(np.abs(fast.history["loss"] - oracle.history[:, 1])))
    coef_diff = float(np.max(np.abs(fast.coef - oracle.w)))
    print(f"\nlargest difference: loss {loss_diff:.2e}, weights {coef_diff:.2e}", file=out)

    t_oracle, t_fast = (statistics.median(ts) for ts in interleaved_seconds(
        [lambda: reference.train(X, y, w0=w0, b0=b0, **NOTEBOOK_SETTINGS),
         lambda: fit(X, y, coef_init=w0, intercept_init=b0, **NOTEBOOK_SETTINGS)],
        repeats, calls=5))
    print(f"\ntime for the 100 epochs (medians of {repeats} alternating rounds of 5 "
          "calls):", file=out)
    print(f"  NumPy oracle   {t_oracle * 1e3:8.3f} ms", file=out)
    print(f"  Numba kernels  {t_fast * 1e3:8.3f} ms   ({t_oracle / t_fast:.1f}x faster)",
          file=out)
    print(f"  first kernel fit in this process (Numba cache load or compile): "
          f"{first:.2f} s", file=out)
    return {"max_loss_diff": loss_diff, "max_coef_diff": coef_diff,
            "oracle_seconds": t_oracle, "kernel_seconds": t_fast,
            "first_fit_seconds": first, "history": fast.history}

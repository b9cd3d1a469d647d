"""``plot_history``: the notebook's two panels, accuracy and loss against the epoch.

matplotlib is an optional extra (``pip install "fastlogreg[plot]"``), imported
only when a plot is drawn. Figures are built with the object-oriented API
(:class:`matplotlib.figure.Figure`), not pyplot: no GUI backend is touched,
so plotting works on a headless machine (``fig.savefig`` renders with Agg),
and nothing accumulates in pyplot's global list of open figures. In Jupyter
the returned figure displays itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["history_columns", "plot_history"]

_MISSING = ('plot_history needs matplotlib, an optional extra of fastlogreg: '
            'pip install "fastlogreg[plot]"')


def history_columns(history) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The epoch, loss and accuracy columns of a history.

    Parameters
    ----------
    history : structured ndarray or array-like of shape (k, 3)
        ``FitResult.history`` / ``LogisticRegression.history_`` (fields
        ``epoch``, ``loss``, ``accuracy``), or rows ``(epoch, loss, accuracy)``
        such as ``fastlogreg.reference.train(...).history``.

    Returns
    -------
    epoch, loss, accuracy : ndarray
        The three columns, views of ``history`` where it allows.

    Raises
    ------
    ValueError
        Anything else.
    """
    arr = np.asarray(history)
    if arr.dtype.names is not None:
        missing = [f for f in ("epoch", "loss", "accuracy") if f not in arr.dtype.names]
        if missing or arr.ndim != 1:
            raise ValueError(
                "history must be a 1-D structured array with fields epoch, loss and "
                f"accuracy; got dtype {arr.dtype} and shape {arr.shape}.")
        return arr["epoch"], arr["loss"], arr["accuracy"]
    if arr.ndim != 2 or arr.shape[1] != 3 or arr.dtype.kind not in "biuf":
        raise ValueError(
            "history must be FitResult.history, LogisticRegression.history_ or a "
            f"numeric (k, 3) array of (epoch, loss, accuracy) rows; got shape "
            f"{arr.shape} and dtype {arr.dtype}.")
    return arr[:, 0], arr[:, 1], arr[:, 2]


def plot_history(history, *, ax: Sequence[Any] | None = None, label: str | None = None):
    """Draw the notebook's two panels: accuracy and loss against the epoch.

    Parameters
    ----------
    history : structured ndarray or array-like of shape (k, 3)
        ``FitResult.history``, ``LogisticRegression.history_`` or rows
        ``(epoch, loss, accuracy)``.
    ax : pair of matplotlib Axes, optional
        Where to draw (accuracy, then loss); by default a new 8 x 4 inch figure
        with two panels side by side, as in the notebook. Drawing into the same
        pair again overlays a second history.
    label : str, optional
        Legend label of the lines (a legend is drawn when given).

    Returns
    -------
    matplotlib.figure.Figure
        The figure holding the panels; ``fig.savefig("history.png")`` writes it.

    Raises
    ------
    ImportError
        matplotlib is not installed; the message names
        ``pip install "fastlogreg[plot]"``.
    ValueError
        ``history`` has no epoch/loss/accuracy columns, or ``ax`` is not two Axes.
    """
    epoch, loss, accuracy = history_columns(history)
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(_MISSING) from None
    if ax is None:
        fig = Figure(figsize=(8, 4), layout="tight")
        axes = fig.subplots(1, 2)
    else:
        axes = list(ax)
        if len(axes) != 2:
            raise ValueError(f"ax must be two Axes (accuracy, loss); got {len(axes)}.")
        fig = axes[0].figure
    for panel, values, title in ((axes[0], accuracy, "Accuracy"), (axes[1], loss, "Loss")):
        panel.plot(epoch, values, "o-", label=label)
        panel.set_title(title)
        panel.set_xlabel("epoch")
        if label is not None:
            panel.legend()
    return fig

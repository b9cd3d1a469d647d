"""plot_history: the notebook's two panels, from every form of history."""

import sys
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

import fastlogreg
from fastlogreg import plot_history

pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def result():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 3))
    y = (X[:, 0] > 0).astype(float)
    return fastlogreg.fit(X, y, epochs=50, learning_rate=0.5)


def lines(fig):
    return [(ax.get_title(), ax.lines[0].get_xdata(), ax.lines[0].get_ydata(),
             ax.lines[0].get_marker(), ax.lines[0].get_linestyle()) for ax in fig.axes]


def test_two_panels_accuracy_and_loss_against_epoch(result, tmp_path):
    fig = plot_history(result.history)
    (t0, x0, y0, m0, s0), (t1, x1, y1, m1, s1) = lines(fig)
    assert (t0, t1) == ("Accuracy", "Loss")
    np.testing.assert_array_equal(x0, result.history["epoch"])
    np.testing.assert_array_equal(x1, result.history["epoch"])
    np.testing.assert_array_equal(y0, result.history["accuracy"])
    np.testing.assert_array_equal(y1, result.history["loss"])
    assert (m0, s0, m1, s1) == ("o", "-", "o", "-")
    fig.savefig(tmp_path / "h.png")  # renders headless, no pyplot
    assert (tmp_path / "h.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plain_rows_estimator_history_and_given_axes(result):
    rows = np.column_stack([result.history["epoch"], result.history["loss"],
                            result.history["accuracy"]])
    fig = plot_history(rows)
    np.testing.assert_array_equal(lines(fig)[1][2], result.history["loss"])
    again = plot_history(result.history, ax=fig.axes, label="second")
    assert again is fig and len(fig.axes) == 2 and len(fig.axes[0].lines) == 2
    X = np.random.default_rng(1).standard_normal((100, 2))
    model = fastlogreg.LogisticRegression(solver="gd", max_iter=30, record_every=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 30 epochs on purpose
        model.fit(X, X[:, 1] > 0)
    assert len(model.history_) > 2
    fig = plot_history(model.history_)
    np.testing.assert_array_equal(lines(fig)[0][2], model.history_["accuracy"])


def test_bad_history_is_refused():
    with pytest.raises(ValueError, match=r"\(k, 3\) array"):
        plot_history(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="fields epoch, loss and accuracy"):
        plot_history(np.zeros(3, dtype=[("epoch", int), ("loss", float)]))


def test_missing_matplotlib_names_the_extra(result, monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r'pip install "fastlogreg\[plot\]"'):
        plot_history(result.history)

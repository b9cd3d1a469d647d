"""Progress, callbacks, early stopping, Ctrl-C and threads: the user's side of a fit."""

import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

import fastlogreg
from fastlogreg import LogisticRegression, monitor, training
from fastlogreg import reference as ref

SOLVERS = ["lbfgs", "gd", "nesterov", "sgd"]


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(n_samples=2000, n_features=8, n_informative=5,
                               random_state=0)
    return X, y


@pytest.mark.parametrize("solver", SOLVERS)
def test_callback_sees_every_record_and_can_stop(data, solver):
    X, y = data
    seen = []

    def callback(iteration, loss, coef, intercept):
        seen.append((iteration, loss, coef, intercept))
        coef[:] = np.nan  # a copy: cannot disturb the fit
        return len(seen) == 3

    model = LogisticRegression(solver=solver, callback=callback, record_every=2,
                               max_iter=1000, tol=0.0, random_state=0).fit(X, y)
    assert [s[0] for s in seen] == [0, 2, 4]
    assert seen[0][2].shape == model.coef_.shape and seen[0][3].shape == (1,)
    assert np.isfinite(model.coef_).all()
    np.testing.assert_array_equal([s[1] for s in seen], model.history_["loss"])
    assert model.n_iter_[0] <= 6


def test_functional_callback_can_stop(data):
    X, y = data
    calls = []
    result = fastlogreg.fit(X, y, epochs=500, record_every=5,
                            callback=lambda e, loss, w, b: calls.append(e) or e >= 20)
    assert calls == [0, 5, 10, 15, 20]
    assert result.n_epochs == 21


@pytest.mark.parametrize("solver", SOLVERS)
def test_early_stopping_keeps_the_best_weights(data, solver):
    X, y = data
    noisy = np.where(np.random.default_rng(1).random(len(y)) < 0.3, 1 - y, y)
    model = LogisticRegression(solver=solver, early_stopping=True, C=1e4, tol=1e-5,
                               max_iter=5000, record_every=1, random_state=0,
                               n_iter_no_change=3)
    model.fit(X, noisy)
    scores = model.validation_scores_
    assert len(scores) >= 4  # ran, then stopped on no improvement
    assert model.n_iter_[0] < 5000
    # the kept weights are those of the best validation record
    held = training.hold_out(np.searchsorted(model.classes_, noisy).astype(float),
                             model.validation_fraction, model.random_state)
    J_val, _, _ = ref.loss_and_gradient(X[held], noisy[held], model.coef_[0],
                                        model.intercept_[0])
    assert J_val == pytest.approx(scores.min(), rel=1e-9)


def test_early_stopping_needs_a_stratifiable_split(data):
    X, y = data
    with pytest.raises(ValueError, match="early_stopping cannot hold out"):
        LogisticRegression(early_stopping=True, validation_fraction=0.0001).fit(X, y)


def test_progress_bar_shows_iteration_and_loss(data, capsys, monkeypatch):
    monkeypatch.setattr(monitor, "PROGRESS_DELAY", 0.0)
    monkeypatch.setattr(monitor, "PROGRESS_MININTERVAL", 0.0)
    X, y = data
    with pytest.warns(ConvergenceWarning):
        LogisticRegression(solver="gd", verbose=1, max_iter=50, tol=0.0).fit(X, y)
    err = capsys.readouterr().err
    assert "fastlogreg" in err and "loss=" in err


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_two_threads_give_the_sequential_results():
    """Kernels release the GIL and Numba's OpenMP layer is thread-safe: fits in
    two Python threads at once give the bits they give one after the other."""
    X, y = make_classification(n_samples=60_000, n_features=30, random_state=3)
    jobs = [dict(solver="lbfgs"), dict(solver="nesterov", max_iter=300),
            dict(solver="gd", max_iter=300)]
    sequential = [LogisticRegression(**p).fit(X, y).coef_ for p in jobs]
    results = [None] * len(jobs)

    def worker(k):
        results[k] = LogisticRegression(**jobs[k]).fit(X, y).coef_

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for got, want in zip(results, sequential, strict=True):
        np.testing.assert_array_equal(got, want)


@pytest.mark.slow
def test_ctrl_c_keeps_the_last_record_and_stops():
    code = textwrap.dedent("""
        import sys, warnings
        import numpy as np
        from fastlogreg import LogisticRegression
        warnings.simplefilter("ignore")
        rng = np.random.default_rng(0)
        X = rng.standard_normal((200_000, 50))
        y = (X[:, 0] + rng.standard_normal(200_000) > 0).astype(int)
        LogisticRegression(solver="gd", max_iter=2).fit(X[:100], y[:100])
        model = LogisticRegression(solver="gd", max_iter=10**9, tol=0.0, record_every=5)
        print("ready", flush=True)
        try:
            model.fit(X, y)
        except KeyboardInterrupt:
            print("interrupted", model.n_iter_[0], np.isfinite(model.coef_).all(),
                  len(model.history_), flush=True)
            sys.exit(0)
        print("not interrupted")
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(2.0)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    words = out.split()
    assert words[0] == "interrupted", out
    assert int(words[1]) >= 5 and words[2] == "True" and int(words[3]) >= 1

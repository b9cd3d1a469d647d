"""Dask arrays on a real ``dask.distributed.LocalCluster`` (2 worker processes on
loopback): the distributed fit is the in-memory fit, predictions stay lazy,
and a worker killed during a fit is survived without a hang."""

import os
import signal
import sys
import threading

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

from fastlogreg import LogisticRegression

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=":0")
    with cluster, distributed.Client(cluster) as c:
        yield c


def _data(n_classes=2, dtype=np.float64, n=8_000, d=20, seed=0):
    X, y = make_classification(n, d, n_informative=8, n_classes=n_classes,
                               random_state=seed)
    return X.astype(dtype), y


def _chunked(X, y, n_chunks=8):
    rows = -(-X.shape[0] // n_chunks)
    return da.from_array(X, chunks=(rows, X.shape[1])), da.from_array(y, chunks=rows)


@pytest.mark.parametrize("solver", ["lbfgs", "gd", "nesterov"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_distributed_fit_is_the_in_memory_fit(client, solver, n_classes):
    X, y = _data(n_classes)
    Xd, yd = _chunked(X, y)
    kw = dict(solver=solver, tol=1e-6, max_iter=300 if solver == "lbfgs" else 60)
    warn = solver != "lbfgs"  # gd and nesterov stop at max_iter here
    # exactly one ConvergenceWarning each (any other warning fails: filterwarnings=error)
    with pytest.warns(ConvergenceWarning) if warn else _quiet() as record:
        remote = LogisticRegression(**kw).fit(Xd, yd)
    with pytest.warns(ConvergenceWarning) if warn else _quiet() as record_local:
        local = LogisticRegression(**kw).fit(X, y)
    if warn:
        assert [w.category for w in record] == [ConvergenceWarning]
        assert [w.category for w in record_local] == [ConvergenceWarning]
    np.testing.assert_allclose(remote.coef_, local.coef_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(remote.intercept_, local.intercept_, rtol=1e-8, atol=1e-10)
    np.testing.assert_array_equal(remote.classes_, local.classes_)
    assert remote.n_features_in_ == X.shape[1]


class _quiet:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_float32_weights_and_balanced_classes(client):
    X, y = _data(3, np.float32, seed=3)
    w = np.random.default_rng(0).uniform(0.0, 2.0, X.shape[0])
    Xd, yd = _chunked(X, y, 5)
    kw = dict(class_weight="balanced", tol=1e-8, max_iter=500, C=0.5)
    remote = LogisticRegression(**kw).fit(Xd, yd, sample_weight=da.from_array(w, 1_000))
    local = LogisticRegression(**kw).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(remote.coef_, local.coef_, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_predictions_are_lazy_dask_arrays(client, n_classes):
    X, y = _data(n_classes)
    Xd, _ = _chunked(X, y)
    model = LogisticRegression().fit(X, y)
    for method in ("predict", "predict_proba", "predict_log_proba", "decision_function"):
        lazy = getattr(model, method)(Xd)
        assert isinstance(lazy, da.Array), method
        np.testing.assert_allclose(lazy.compute(), getattr(model, method)(X), rtol=1e-12,
                                   err_msg=method)


def test_a_worker_killed_during_a_fit_is_survived(client):
    """The first record's callback kills one worker process (SIGKILL); its nanny
    starts a new one, Dask recomputes the lost chunks from their lineage, and
    the fit ends with the model of an undisturbed fit, within a time limit."""
    X, y = _data()
    Xd, yd = _chunked(X, y)
    pids = list(client.run(os.getpid).values())
    killed = []

    def kill_once(iteration, loss, coef, intercept):
        if not killed:
            os.kill(pids[0], signal.SIGKILL)
            killed.append(iteration)

    result = {}

    def fit():
        try:
            result["model"] = LogisticRegression(callback=kill_once, record_every=1,
                                                 tol=1e-6).fit(Xd, yd)
        except Exception as exc:  # reported below, not swallowed
            result["error"] = exc

    thread = threading.Thread(target=fit, daemon=True)
    thread.start()
    thread.join(timeout=120)
    assert not thread.is_alive(), "the fit hung after a worker was killed"
    assert "error" not in result, result.get("error")
    assert killed
    reference = LogisticRegression(tol=1e-6).fit(X, y)
    np.testing.assert_allclose(result["model"].coef_, reference.coef_, rtol=1e-8)
    client.wait_for_workers(2, timeout=60)  # the nanny's replacement, for later tests


def test_default_scheduler_without_the_cluster():
    import dask

    X, y = _data()
    Xd, yd = _chunked(X, y, 4)
    with dask.config.set(scheduler="threads"):
        remote = LogisticRegression().fit(Xd, yd)
    local = LogisticRegression().fit(X, y)
    np.testing.assert_allclose(remote.coef_, local.coef_, rtol=1e-8)


@pytest.mark.parametrize(("kwargs", "match"), [
    (dict(solver="sgd"), "solver='sgd'.*Dask"),
    (dict(early_stopping=True), "early_stopping does not take Dask"),
])
def test_unsupported_options_are_refused_before_work(kwargs, match):
    X, y = _data(n=200)
    Xd, yd = _chunked(X, y)
    with pytest.raises(ValueError, match=match):
        LogisticRegression(**kwargs).fit(Xd, yd)


def test_bad_dask_input_gets_clear_errors():
    import dask

    X, y = _data(n=200)
    X[7, 3] = np.nan
    Xd, yd = _chunked(X, y)
    with dask.config.set(scheduler="sync"):
        with pytest.raises(ValueError, match="X contains NaN"):
            LogisticRegression().fit(Xd, yd)
        with pytest.raises(ValueError, match="y must be 1-D"):
            LogisticRegression().fit(Xd, yd[:100])
        with pytest.raises(TypeError, match="X as a Dask array"):
            LogisticRegression().fit(X, yd)
        with pytest.raises(ValueError, match="only one class"):
            LogisticRegression().fit(_chunked(np.ones((50, 2)), np.zeros(50))[0],
                                     np.zeros(50))


def test_missing_dask_is_named_with_the_extra(monkeypatch):
    from fastlogreg.sources import dask_arrays

    monkeypatch.setitem(sys.modules, "dask", None)
    with pytest.raises(ImportError, match=r"pip install 'fastlogreg\[dask\]'"):
        dask_arrays.import_dask()


@pytest.mark.parametrize("solver", ["gd", "nesterov"])
def test_the_step_estimate_pulls_at_most_4096_rows_to_the_client(client, monkeypatch,
                                                                 solver):
    """Stated in docs/user_guide/promises.rst: for the Lipschitz step estimate, gd,
    nesterov and sgd (learning_rate="auto") bring min(n, 4096) evenly spaced
    rows of X to the client, once per fit; nothing else comes back but sums."""
    from fastlogreg.sources.dask_arrays import DaskArrays

    pulled = []
    real = DaskArrays.sample_rows

    def counting(self, rows):  # the real method, counted
        Xs, s = real(self, rows)
        pulled.append(Xs.shape)
        return Xs, s

    monkeypatch.setattr(DaskArrays, "sample_rows", counting)
    X, y = _data(2, n=10_000)
    Xd, yd = _chunked(X, y)
    with pytest.warns(ConvergenceWarning):
        LogisticRegression(solver=solver, max_iter=3, tol=0.0).fit(Xd, yd)
    assert pulled == [(min(X.shape[0], 4096), X.shape[1])]


def test_prepare_dask_validates_and_encodes_on_the_cluster_side():
    """sources.dask_arrays.prepare_dask: labels encoded lazily as class indices,
    class weights applied as scikit-learn computes them, each bad input refused
    with its message (the estimator's Dask path calls it)."""
    import dask
    from sklearn.utils.class_weight import compute_class_weight

    from fastlogreg.sources.dask_arrays import prepare_dask

    X, y = _data(n_classes=3, n=300, d=10)
    labels = np.array([10, 20, 30])[y]
    sw = np.linspace(0.5, 1.5, 300)
    Xd, yd = _chunked(X.astype(np.int64), labels, 4)
    with dask.config.set(scheduler="sync"):
        Xp, y_index, classes, weight, d = prepare_dask(Xd, yd, sw, "balanced")
        assert Xp.dtype == np.float64 and d == 10 and Xp.chunks == Xd.chunks
        np.testing.assert_array_equal(classes, [10, 20, 30])
        np.testing.assert_array_equal(y_index.compute(), y.astype(np.float64))
        cw = compute_class_weight("balanced", classes=classes, y=labels, sample_weight=sw)
        np.testing.assert_allclose(weight.compute(), sw * cw[y], rtol=1e-12)
        _, _, _, ones, _ = prepare_dask(Xd.astype(np.float32), labels, None)
        np.testing.assert_array_equal(ones.compute(), np.ones(300))
        bad = X.copy()
        bad[3, 1] = np.inf
        for args, kwargs, error, match in [
            ((Xd, yd), dict(solver="sgd"), ValueError, "solver='sgd'.*Dask"),
            ((Xd, yd), dict(early_stopping=True), ValueError, "early_stopping does not"),
            ((X, yd), {}, TypeError, "X as a Dask array"),
            ((Xd[:, 0], yd), {}, ValueError, "X must be 2-D"),
            ((Xd.astype(bool).astype("c16"), yd), {}, TypeError, "real numbers"),
            ((Xd, yd[:10]), {}, ValueError, "y must be 1-D"),
            ((Xd, yd, da.ones(5)), {}, ValueError, r"sample_weight must have shape \(300,\)"),
            ((Xd, yd, -sw), {}, ValueError, "finite and >= 0"),
            ((_chunked(bad, y)[0], yd), {}, ValueError, "X contains NaN or infinity"),
        ]:
            with pytest.raises(error, match=match):
                prepare_dask(*args, **kwargs)

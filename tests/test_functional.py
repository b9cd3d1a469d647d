"""The public functional API: ``fastlogreg.fit`` and ``FitResult``."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import fastlogreg
from conftest import rss_growth
from fastlogreg import reference as ref
from fastlogreg.comparisons import make_case


@pytest.mark.parametrize("layout", ["C", "F"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gd_fit_is_the_oracle_train(dtype, layout):
    case = make_case(500, 6, dtype=dtype, layout=layout, weighted=True, seed=21)
    kwargs = dict(learning_rate=0.3, epochs=57, record_every=5, alpha=0.01,
                  sample_weight=case.sample_weight)
    model = fastlogreg.fit(case.X, case.y, **kwargs)
    trace = ref.train(case.X, case.y, **kwargs)
    np.testing.assert_allclose(model.coef, trace.w, rtol=1e-10)
    assert model.intercept == pytest.approx(trace.b, rel=1e-10)
    np.testing.assert_array_equal(model.history["epoch"], trace.history[:, 0])
    np.testing.assert_allclose(model.history["loss"], trace.history[:, 1], rtol=1e-10)
    np.testing.assert_allclose(model.history["accuracy"], trace.history[:, 2], rtol=1e-12)
    assert model.n_epochs == 57 and not model.converged


def test_sgd_fit_replays_through_the_oracle():
    case = make_case(300, 4, weighted=True, seed=22)
    model = fastlogreg.fit(case.X, case.y, solver="sgd", learning_rate=0.05, epochs=7,
                           batch_size=16, alpha=0.01, sample_weight=case.sample_weight,
                           random_state=5, record_every=3)
    rng = np.random.default_rng(5)
    w, b = np.zeros(4), 0.0
    for _ in range(7):
        w, b, _, _ = ref.minibatch_epoch(case.X, case.y, w, b, rng.permutation(300), 16,
                                         0.05, alpha=0.01, sample_weight=case.sample_weight)
    np.testing.assert_allclose(model.coef, w, rtol=1e-10)
    assert model.intercept == pytest.approx(b, rel=1e-10)
    np.testing.assert_array_equal(model.history["epoch"], [0, 3, 6])
    J, acc = ref.evaluate(case.X, case.y, w, b, alpha=0.01, sample_weight=case.sample_weight)
    assert model.history["loss"][-1] == pytest.approx(J, rel=1e-10)
    assert model.history["accuracy"][-1] == pytest.approx(acc, rel=1e-12)


def test_sgd_is_reproducible_and_seed_dependent():
    case = make_case(200, 3, seed=23)
    fits = [fastlogreg.fit(case.X, case.y, solver="sgd", epochs=3, random_state=s).coef
            for s in (1, 1, 2)]
    np.testing.assert_array_equal(fits[0], fits[1])
    assert not np.array_equal(fits[0], fits[2])


def test_gd_reaches_sklearn_optimum_and_stops_on_tol():
    case = make_case(400, 5, seed=24)
    alpha = 0.01
    skl = LogisticRegression(C=1 / (alpha * 400), tol=1e-12, max_iter=10_000)
    skl.fit(case.X, case.y)
    model = fastlogreg.fit(case.X, case.y, learning_rate=3.0, epochs=100_000,
                           alpha=alpha, tol=1e-12)
    assert model.converged and model.n_epochs < 100_000
    # |grad| <= 1e-12 with strong convexity alpha puts us within 1e-10 of the optimum
    np.testing.assert_allclose(model.coef, skl.coef_.ravel(), rtol=1e-6, atol=1e-8)
    assert model.intercept == pytest.approx(skl.intercept_[0], rel=1e-6, abs=1e-8)
    _, dw, db = ref.loss_and_gradient(case.X, case.y, model.coef, model.intercept,
                                      alpha=alpha)
    assert max(np.abs(dw).max(), abs(db)) <= 1e-12


def test_predictions_are_consistent():
    case = make_case(300, 4, seed=25)
    model = fastlogreg.fit(case.X, case.y, learning_rate=1.0)
    z = model.decision_function(case.X)
    np.testing.assert_allclose(z, case.X @ model.coef + model.intercept, rtol=1e-12)
    proba = model.predict_proba(case.X)
    assert proba.shape == (300, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-15)
    np.testing.assert_allclose(proba[:, 1], ref.sigmoid(z), rtol=1e-15)
    np.testing.assert_array_equal(model.predict(case.X), (z > 0).astype(int))
    assert model.predict(case.X.astype(np.float32)).dtype == np.int64
    hits = np.mean(model.predict(case.X) == case.y)
    assert hits == ref.accuracy(case.y, ref.forward(case.X, model.coef, model.intercept))


@pytest.mark.parametrize("solver", ["gd", "sgd"])
def test_separable_and_badly_scaled_data_stay_finite(solver):
    """pytest turns every warning into an error here: this run must be silent."""
    rng = np.random.default_rng(26)
    X = rng.standard_normal((500, 3)) * np.array([1e6, 1.0, 1e-6])
    y = (X[:, 0] > 0).astype(float)  # perfectly separable along a 1e6-scaled column
    model = fastlogreg.fit(X, y, solver=solver, learning_rate=1.0, epochs=200,
                           random_state=0)
    assert np.isfinite(model.coef).all() and np.isfinite(model.intercept)
    assert np.isfinite(model.history["loss"]).all()
    proba = model.predict_proba(X * 1e3)
    assert np.isfinite(proba).all()
    assert (model.predict(X) == y).mean() > 0.99


def test_divergence_keeps_last_finite_weights_and_names_a_safe_step():
    case = make_case(40, 3, seed=27)
    X = case.X * 1e150  # a step of 1e150 overflows the logits on the first update
    with pytest.warns(fastlogreg.DivergenceWarning,
                      match=r"learning_rate=1e\+150.*learning_rate <= \d"):
        model = fastlogreg.fit(X, case.y, learning_rate=1e150, epochs=10)
    assert model.n_epochs == 0
    np.testing.assert_array_equal(model.coef, 0.0)
    with pytest.warns(fastlogreg.DivergenceWarning):
        sgd = fastlogreg.fit(X, case.y, solver="sgd", learning_rate=1e150, epochs=3)
    assert np.isfinite(sgd.coef).all()


@pytest.mark.slow
@pytest.mark.parametrize(("dtype", "layout"), [("float32", "C"), ("float64", "F")])
def test_fit_never_copies_X(dtype, layout):
    """Peak RSS grows by far less than X during fits and predicts."""
    growth = rss_growth(
        dtype, layout,
        warm="[fastlogreg.fit(small, ys, solver=s, epochs=2).predict(small) "
             "for s in ('gd', 'sgd')]",
        work="fastlogreg.fit(X, y, epochs=3).predict_proba(X); "
             "fastlogreg.fit(X, y, solver='sgd', epochs=1)")
    assert growth < 0.1


@pytest.mark.parametrize("solver", ["gd", "sgd"])
def test_fit_and_the_estimator_train_through_one_path(solver):
    # fastlogreg.fit's alpha is the estimator's 1 / (C S): both call training.fit_path
    from sklearn.exceptions import ConvergenceWarning

    case = make_case(300, 4, weighted=True, seed=31)
    alpha, S = 0.01, float(case.sample_weight.sum())
    seen = []
    result = fastlogreg.fit(case.X, case.y, solver=solver, learning_rate=0.5, epochs=12,
                            alpha=alpha, sample_weight=case.sample_weight,
                            random_state=4, record_every=4,
                            callback=lambda *record: seen.append(record))
    model = fastlogreg.LogisticRegression(solver=solver, learning_rate=0.5, max_iter=12,
                                          C=1 / (alpha * S), tol=0.0, random_state=4,
                                          record_every=4)
    with pytest.warns(ConvergenceWarning):
        model.fit(case.X, case.y, sample_weight=case.sample_weight)
    np.testing.assert_allclose(result.coef, model.coef_[0], rtol=1e-12)
    assert result.intercept == pytest.approx(model.intercept_[0], rel=1e-12)
    np.testing.assert_allclose(result.history["loss"], model.history_["loss"], rtol=1e-12)
    assert result.n_epochs == model.n_iter_[0] == 12
    # this API's callback gets a vector and a float where the estimator's gets coef_ rows
    assert [r[0] for r in seen] == [0, 4, 8]
    assert seen[-1][2].shape == (4,) and isinstance(seen[-1][3], float)

"""``fastlogreg.LogisticRegression``: scikit-learn's API, scikit-learn's optimum."""

import pickle
import warnings

import numpy as np
import pytest
from scipy import optimize
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from conftest import rss_growth
from fastlogreg import LogisticRegression
from fastlogreg import reference as ref
from fastlogreg.estimator import alpha_from_C
from fastlogreg.solvers import BinaryProblem

SOLVERS = ["lbfgs", "newton-cg", "newton-cholesky", "sag", "saga", "liblinear", "gd",
           "nesterov", "sgd"]


# --- scikit-learn's own estimator checks ------------------------------------------

def _expected_failed_checks(estimator):
    # sag and saga draw rows at random: weights and repeated rows give different
    # draws, so the fits agree only at the optimum, not at the check's default
    # tol. scikit-learn marks the same checks as expected failures for its
    # LogisticRegression (sklearn/utils/_test_common/instance_generator.py).
    if estimator.solver in ("sag", "saga"):
        reason = "stochastic row draws: sample_weight is not repeating samples"
        return {"check_sample_weight_equivalence_on_dense_data": reason,
                "check_sample_weight_equivalence_on_sparse_data": reason}
    return {}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks([LogisticRegression(solver=s) for s in SOLVERS],
                         expected_failed_checks=_expected_failed_checks)
def test_sklearn_estimator_checks(estimator, check):
    # Every check passes for every solver, but the two above for sag and saga.
    check(estimator)


# --- the same optimum as scikit-learn ---------------------------------------------

def _breast_cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _data(name, n_classes):
    if name == "breast_cancer":
        X, y = _breast_cancer()
        if n_classes == 3:  # a third class from the first feature's tertiles
            y = np.where(X[:, 0] > np.quantile(X[:, 0], 0.66), 2, y)
        return X, y
    return make_classification(n_samples=400, n_features=8, n_informative=5,
                               n_classes=n_classes, random_state=0)


WEIGHTINGS = {
    "plain": dict(fit_intercept=True, sample_weight=False, class_weight=None),
    "sample-weights": dict(fit_intercept=True, sample_weight=True, class_weight=None),
    "class-weights": dict(fit_intercept=True, sample_weight=False,
                          class_weight="balanced"),
    "no-intercept+both": dict(fit_intercept=False, sample_weight=True,
                              class_weight="balanced"),
}

_SKLEARN_CACHE = {}


def _sklearn_fit(dataset, n_classes, C, weighting):
    key = (dataset, n_classes, C, weighting)
    if key not in _SKLEARN_CACHE:
        X, y = _data(dataset, n_classes)
        opts = WEIGHTINGS[weighting]
        sw = np.random.default_rng(1).uniform(0.2, 3.0, len(y)) if opts["sample_weight"] \
            else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            sk = SkLogisticRegression(C=C, tol=1e-10, max_iter=100_000,
                                      fit_intercept=opts["fit_intercept"],
                                      class_weight=opts["class_weight"])
            sk.fit(X, y, sample_weight=sw)
        _SKLEARN_CACHE[key] = (X, y, sw, sk)
    return _SKLEARN_CACHE[key]


def _objective(model, X, y, sw, C):
    """scikit-learn's objective divided by C * S, evaluated by the oracle."""
    s = np.ones(len(y)) if sw is None else sw.copy()
    if model.class_weight is not None:
        from sklearn.utils.class_weight import compute_class_weight
        cw = compute_class_weight(model.class_weight, classes=model.classes_, y=y,
                                  sample_weight=s)
        s = s * cw[np.searchsorted(model.classes_, y)]
    alpha = alpha_from_C(C, s.sum())
    yi = np.searchsorted(model.classes_, y)
    if len(model.classes_) == 2:
        J, _, _ = ref.loss_and_gradient(X, yi, model.coef_[0], model.intercept_[0],
                                        alpha=alpha, sample_weight=s)
    else:
        J, _, _ = ref.multinomial_loss_and_gradient(X, yi, model.coef_, model.intercept_,
                                                    alpha=alpha, sample_weight=s)
    return J


def _optimum_params():
    for dataset in ("breast_cancer", "make_classification"):
        for n_classes in (2, 3):
            for C in (0.01, 1.0, 100.0):
                for weighting in WEIGHTINGS:
                    # newton-cg, newton-cholesky, sag and saga have this grid's
                    # checks in tests/test_solvers_newton.py and test_solvers_sag.py
                    for solver in ("lbfgs", "nesterov", "gd"):
                        # a fixed step needs ~condition-number epochs: at C=100 that
                        # is millions here, so gd is held to the better-conditioned C
                        if solver == "gd" and C == 100.0:
                            continue
                        slow = solver != "lbfgs" and C >= 1.0
                        yield pytest.param(
                            dataset, n_classes, C, weighting, solver,
                            marks=[pytest.mark.slow] if slow else [],
                            id=f"{dataset}-{n_classes}cls-C{C:g}-{weighting}-{solver}")


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize(("dataset", "n_classes", "C", "weighting", "solver"),
                         list(_optimum_params()))
def test_reaches_sklearn_optimum(dataset, n_classes, C, weighting, solver, dtype):
    X, y, sw, sk = _sklearn_fit(dataset, n_classes, C, weighting)
    X_ours = X.astype(dtype)
    if dtype == np.float32:  # same problem: the float32 values, exactly, in float64
        X64 = X_ours.astype(np.float64)
        _, _, _, sk = _sklearn_fit_on(X64, y, sw, sk)
    else:
        X64 = X
    opts = WEIGHTINGS[weighting]
    model = LogisticRegression(C=C, tol=1e-10, max_iter=1_000_000, solver=solver,
                               fit_intercept=opts["fit_intercept"],
                               class_weight=opts["class_weight"])
    model.fit(X_ours, y, sample_weight=sw)
    J_ours = _objective(model, X64, y, sw, C)
    J_sk = _objective(sk, X64, y, sw, C)
    assert J_ours <= J_sk * (1 + 1e-8), (J_ours, J_sk)
    assert J_ours == pytest.approx(J_sk, rel=1e-8)
    scale = np.abs(sk.coef_).max()
    np.testing.assert_allclose(model.coef_, sk.coef_, rtol=1e-4, atol=1e-4 * scale)
    np.testing.assert_allclose(model.intercept_, sk.intercept_, rtol=1e-4,
                               atol=1e-4 * scale)


def _sklearn_fit_on(X, y, sw, template):
    sk = clone(template).set_params(tol=1e-10, max_iter=100_000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sk.fit(X, y, sample_weight=sw)
    return X, y, sw, sk


# --- iterates against the oracle -----------------------------------------------------

@pytest.fixture
def binary():
    X, y = _breast_cancer()
    return X[:200], y[:200].astype(float)


def test_gd_iterates_are_the_oracle_train(binary):
    X, y = binary
    model = LogisticRegression(solver="gd", learning_rate=0.05, max_iter=7, C=1.0,
                               tol=0.0)
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    trace = ref.train(X, y, learning_rate=0.05, epochs=7, alpha=alpha_from_C(1.0, 200))
    np.testing.assert_allclose(model.coef_[0], trace.w, rtol=1e-10)
    assert model.intercept_[0] == pytest.approx(trace.b, rel=1e-10)


def test_multinomial_gd_iterates_are_the_oracle(binary):
    X, _ = binary
    y = np.arange(200) % 3
    model = LogisticRegression(solver="gd", learning_rate=0.1, max_iter=5, tol=0.0)
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    W, b = np.zeros((3, X.shape[1])), np.zeros(3)
    for _ in range(5):
        _, dW, db = ref.multinomial_loss_and_gradient(X, y, W, b,
                                                      alpha=alpha_from_C(1.0, 200))
        W, b = W - 0.1 * dW, b - 0.1 * db
    np.testing.assert_allclose(model.coef_, W, rtol=1e-10)
    np.testing.assert_allclose(model.intercept_, b, rtol=1e-10)


def test_sgd_iterates_are_the_oracle_replay(binary):
    X, y = binary
    model = LogisticRegression(solver="sgd", learning_rate=0.02, max_iter=4,
                               batch_size=16, random_state=3, tol=0.0,
                               schedule="invscaling")
    with pytest.warns(ConvergenceWarning, match="solver='sgd' did not converge"):
        model.fit(X, y)
    rng = np.random.default_rng(3)
    w, b = np.zeros(X.shape[1]), 0.0
    for epoch in range(4):
        w, b, _, _ = ref.minibatch_epoch(X, y, w, b, rng.permutation(200), 16,
                                         0.02 / np.sqrt(epoch + 1),
                                         alpha=alpha_from_C(1.0, 200))
    np.testing.assert_allclose(model.coef_[0], w, rtol=1e-10)
    assert model.intercept_[0] == pytest.approx(b, rel=1e-10)


def test_nesterov_iterates_are_the_oracle_fista(binary):
    X, y = binary
    alpha = alpha_from_C(1.0, 200)
    L = BinaryProblem(X, y, np.ones(200), alpha=alpha).lipschitz()
    model = LogisticRegression(solver="nesterov", max_iter=6, tol=0.0)
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    # plain FISTA with the gradient restart, written with the oracle
    x = yk = np.zeros(X.shape[1] + 1)
    t = 1.0
    for _ in range(6):
        _, dw, db = ref.loss_and_gradient(X, y, yk[:-1], yk[-1], alpha=alpha)
        x_new = yk - np.append(dw, db) / L
        t_new = (1 + np.sqrt(1 + 4 * t * t)) / 2
        if np.dot(yk - x_new, x_new - x) > 0:
            t_new, y_new = 1.0, x_new
        else:
            y_new = x_new + (t - 1) / t_new * (x_new - x)
        x, yk, t = x_new, y_new, t_new
    np.testing.assert_allclose(model.coef_[0], yk[:-1], rtol=1e-9)
    assert model.intercept_[0] == pytest.approx(yk[-1], rel=1e-9)


def test_lbfgs_iterates_are_scipy_on_the_oracle(binary):
    X, y = binary
    alpha = alpha_from_C(1.0, 200)

    def fun(theta):
        J, dw, db = ref.loss_and_gradient(X, y, theta[:-1], theta[-1], alpha=alpha)
        return J, np.append(dw, db)

    res = optimize.minimize(fun, np.zeros(X.shape[1] + 1), method="L-BFGS-B", jac=True,
                            options={"maxiter": 5, "maxls": 50, "gtol": 0.0,
                                     "ftol": 64 * np.finfo(float).eps})
    model = LogisticRegression(max_iter=5, tol=0.0)
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    np.testing.assert_allclose(model.coef_[0], res.x[:-1], rtol=1e-8, atol=1e-12)
    assert model.n_iter_[0] == res.nit == 5


# --- L1 and elastic net by proximal steps --------------------------------------------

@pytest.mark.parametrize("solver", ["nesterov", "gd"])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_l1_matches_sklearn_saga(solver, l1_ratio):
    X, y = _breast_cancer()
    C = 0.1
    sk = SkLogisticRegression(C=C, l1_ratio=l1_ratio, solver="saga", tol=1e-12,
                              max_iter=100_000).fit(X, y)
    model = LogisticRegression(C=C, l1_ratio=l1_ratio, solver=solver, tol=1e-10,
                               max_iter=1_000_000).fit(X, y)
    np.testing.assert_allclose(model.coef_, sk.coef_, atol=1e-5)
    assert model.intercept_[0] == pytest.approx(sk.intercept_[0], abs=1e-5)
    # the L1 part zeroes coefficients exactly, as scikit-learn's does
    np.testing.assert_array_equal(model.coef_ == 0, np.abs(sk.coef_) < 1e-8)
    assert (model.coef_ == 0).sum() >= 5


# --- the estimator surface -----------------------------------------------------------

def test_predictions_equal_to_sklearn_model_from_to_sklearn():
    X, y = make_classification(n_samples=300, n_features=6, n_informative=4,
                               n_classes=3, random_state=1)
    for labels in (y, np.array(["ant", "bee", "cat"])[y]):
        model = LogisticRegression().fit(X, labels)
        sk = model.to_sklearn()
        assert isinstance(sk, SkLogisticRegression)
        np.testing.assert_array_equal(model.predict(X), sk.predict(X))
        np.testing.assert_allclose(model.predict_proba(X), sk.predict_proba(X),
                                   rtol=1e-12)
        np.testing.assert_allclose(model.predict_log_proba(X), sk.predict_log_proba(X),
                                   rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(model.decision_function(X), sk.decision_function(X),
                                   rtol=1e-12, atol=1e-14)
        assert model.score(X, labels) == sk.score(X, labels)
        np.testing.assert_array_equal(model.classes_, np.unique(labels))


def test_binary_surface_matches_sklearn_shapes(binary):
    X, y = binary
    labels = np.where(y == 1, "yes", "no")
    model = LogisticRegression().fit(X, labels)
    sk = SkLogisticRegression().fit(X, labels)
    assert model.coef_.shape == sk.coef_.shape == (1, X.shape[1])
    assert model.intercept_.shape == sk.intercept_.shape == (1,)
    assert model.n_iter_.shape == (1,)
    assert model.decision_function(X).shape == (200,)
    assert set(model.predict(X)) <= {"yes", "no"}
    np.testing.assert_allclose(model.predict_proba(X), sk.predict_proba(X), atol=1e-5)


def test_extreme_logits_give_finite_probabilities(binary):
    X, y = binary
    model = LogisticRegression().fit(X, y)
    P = model.predict_proba(X * 1e6)
    L = model.predict_log_proba(X * 1e6)
    assert np.isfinite(L).all() and np.isfinite(P).all()
    np.testing.assert_allclose(P.sum(axis=1), 1.0)


def test_pickle_clone_pipeline_gridsearch(binary):
    X, y = binary
    model = LogisticRegression(C=0.5).fit(X, y)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict_proba(X), model.predict_proba(X))
    assert clone(model).get_params() == model.get_params()
    pipe = make_pipeline(StandardScaler(), LogisticRegression())
    search = GridSearchCV(pipe, {"logisticregression__C": [0.1, 1.0]}, cv=3).fit(X, y)
    assert search.best_params_["logisticregression__C"] in (0.1, 1.0)
    assert search.score(X, y) > 0.9


def test_pandas_feature_names():
    pd = pytest.importorskip("pandas")
    X, y = _breast_cancer()
    frame = pd.DataFrame(X[:, :4], columns=["a", "b", "c", "d"])
    model = LogisticRegression().fit(frame, y)
    np.testing.assert_array_equal(model.feature_names_in_, ["a", "b", "c", "d"])
    np.testing.assert_array_equal(model.to_sklearn().feature_names_in_,
                                  model.feature_names_in_)


def test_warm_start_continues(binary):
    X, y = binary
    cold = LogisticRegression(tol=1e-8, max_iter=1000).fit(X, y)
    warm = LogisticRegression(tol=1e-8, max_iter=1000, warm_start=True).fit(X, y)
    warm.fit(X, y)
    assert warm.n_iter_[0] < cold.n_iter_[0]
    np.testing.assert_allclose(warm.coef_, cold.coef_, rtol=1e-5, atol=1e-7)


def test_n_jobs_does_not_change_the_bits():
    X, y = make_classification(n_samples=30_000, n_features=20, random_state=2)
    for n in (1, 2):  # compile first (docs/user_guide/promises.rst, Threads)
        LogisticRegression(n_jobs=n).fit(X, y)
    fits = [LogisticRegression(n_jobs=n).fit(X, y).coef_ for n in (1, 2, -1)]
    np.testing.assert_array_equal(fits[0], fits[1])
    np.testing.assert_array_equal(fits[0], fits[2])


BAD_PARAMS = [  # scikit-learn's parameter validation, in its words
    (dict(C=0), "'C' parameter of LogisticRegression must be a float in the range"),
    (dict(C=-1.0), "'C' parameter of LogisticRegression must be a float in the range"),
    (dict(l1_ratio=1.5), "'l1_ratio' parameter .* must be a float in the range"),
    (dict(solver="adam"), "'solver' parameter of LogisticRegression must be a str among"),
    (dict(tol=-1.0), "'tol' parameter"),
    (dict(max_iter=-1), "'max_iter' parameter"),
    (dict(max_iter=1.5), "'max_iter' parameter"),
    (dict(fit_intercept="False"), "'fit_intercept' parameter"),
    (dict(learning_rate=0.0, solver="gd"), "'learning_rate' parameter"),
    (dict(learning_rate="fast", solver="gd"), "'learning_rate' parameter"),
    (dict(batch_size=0, solver="sgd"), "'batch_size' parameter"),
    (dict(schedule="optimal", solver="sgd"), "'schedule' parameter"),
    (dict(random_state="x"), "'random_state' parameter"),
    (dict(n_jobs=-2), "'n_jobs' parameter"),
]


@pytest.mark.parametrize(("params", "match"), BAD_PARAMS)
def test_bad_parameters_are_refused(binary, params, match):
    # scikit-learn's InvalidParameterError: both a ValueError and a TypeError, so
    # either ``except`` of a user catches it
    X, y = binary
    with pytest.raises(ValueError, match=match) as caught:
        LogisticRegression(**params).fit(X, y)
    assert isinstance(caught.value, TypeError)


SOLVER_RULES = [  # scikit-learn's solver/penalty rules, in its words
    (dict(l1_ratio=0.5), "Solver lbfgs supports only 'l2' or None penalties"),
    (dict(l1_ratio=1.0, solver="sgd"), "Solver sgd supports only 'l2' or None"),
    (dict(l1_ratio=0.5, solver="liblinear"), "Only 'saga' solver supports elasticnet"),
    (dict(dual=True), "Solver lbfgs supports only dual=False"),
    (dict(C=np.inf, solver="liblinear"), "penalty=None is not supported for the liblinear"),
    (dict(l1_ratio=1.0, solver="liblinear", dual=True), "Unsupported set of arguments"),
    (dict(n_jobs=0), "n_jobs must be a positive number of threads"),
]


@pytest.mark.parametrize(("params", "match"), SOLVER_RULES)
def test_solver_rules_are_scikit_learns(binary, params, match):
    X, y = binary
    with pytest.raises(ValueError, match=match):
        LogisticRegression(**params).fit(X, y)


def test_deprecated_penalty_maps_as_scikit_learn(binary):
    X, y = binary
    with pytest.warns(FutureWarning, match="'penalty' was deprecated in version 1.8"):
        l2 = LogisticRegression(penalty="l2").fit(X, y)
    np.testing.assert_array_equal(l2.coef_, LogisticRegression().fit(X, y).coef_)
    with pytest.warns(FutureWarning, match="'l1_ratio=None' was deprecated"):
        LogisticRegression(l1_ratio=None).fit(X, y)
    with pytest.warns(FutureWarning), pytest.warns(UserWarning, match="ignore the C"):
        none = LogisticRegression(penalty=None, C=0.1).fit(X, y)
    np.testing.assert_allclose(none.coef_, LogisticRegression(C=np.inf).fit(X, y).coef_)


def test_coef_takes_the_dtype_of_X_and_max_iter_0_keeps_the_start(binary):
    X, y = binary
    X32 = X.astype(np.float32)
    assert LogisticRegression().fit(X32, y).coef_.dtype == np.float32
    assert LogisticRegression(solver="liblinear").fit(X32, y).coef_.dtype == np.float64
    with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge after 0"):
        model = LogisticRegression(max_iter=0).fit(X, y)
    assert model.n_iter_[0] == 0 and not model.coef_.any()


def test_sparsify_densify_predict_the_same(binary):
    X, y = binary
    model = LogisticRegression().fit(X, y)
    dense = model.predict_proba(X)
    assert hasattr(model.sparsify().coef_, "toarray")
    np.testing.assert_array_equal(model.predict_proba(X), dense)
    assert isinstance(model.densify().coef_, np.ndarray)


def test_one_class_and_bad_data_are_refused(binary):
    X, y = binary
    with pytest.raises(ValueError, match="only one class"):
        LogisticRegression().fit(X, np.ones(200))
    with pytest.raises(ValueError, match="NaN"):
        LogisticRegression().fit(np.where(X > 2, np.nan, X), y)
    with pytest.raises(ValueError, match="Unknown label type"):
        LogisticRegression().fit(X, y + 0.5)
    with pytest.raises(ValueError, match="at least one non-zero"):
        LogisticRegression().fit(X, y, sample_weight=np.zeros(200))
    with pytest.raises(ValueError, match="Negative values in data passed to .sample_weight"):
        LogisticRegression().fit(X, y, sample_weight=-np.ones(200))


@pytest.mark.slow
@pytest.mark.parametrize(("dtype", "layout"), [("float32", "C"), ("float64", "F")])
def test_estimator_fit_never_copies_X(dtype, layout):
    """Peak RSS grows by < 10% of X during an lbfgs fit (X is never copied)."""
    growth = rss_growth(dtype, layout,
                        warm="LogisticRegression().fit(small, ys).predict_proba(small)",
                        work="LogisticRegression(max_iter=5).fit(X, y)")
    assert growth < 0.1


# --- numerical extremes ----------------------------------------------------------------

@pytest.mark.parametrize("solver", SOLVERS)
def test_separable_and_badly_scaled_data_are_finite_and_silent(solver):
    """pytest turns warnings into errors: no NumPy warning, no overflow."""
    rng = np.random.default_rng(7)
    X = rng.standard_normal((600, 4)) * np.array([1e6, 1.0, 1e-6, 1e3])
    y = (X[:, 0] > 0).astype(int)  # separable along a column scaled by 1e6
    model = LogisticRegression(solver=solver, C=1e6, max_iter=50, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 50 iterations, by design
        if solver == "newton-cholesky":  # scikit-learn's documented fallback to lbfgs
            from scipy.linalg import LinAlgWarning
            warnings.simplefilter("ignore", LinAlgWarning)
        model.fit(X, y)
    assert np.isfinite(model.coef_).all() and np.isfinite(model.intercept_).all()
    assert np.isfinite(model.history_["loss"]).all()
    P = model.predict_proba(X * 1e3)
    assert np.isfinite(P).all() and np.isfinite(model.predict_log_proba(X * 1e3)).all()
    assert model.score(X, y) > 0.99


def test_gd_divergence_warns_and_keeps_finite_weights():
    from fastlogreg import DivergenceWarning

    X, y = make_classification(n_samples=100, n_features=3, n_informative=2,
                               n_redundant=0, random_state=0)
    with pytest.warns(DivergenceWarning, match=r"learning_rate=1e\+150.*<= \d"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = LogisticRegression(solver="gd", learning_rate=1e150).fit(X * 1e150, y)
    assert np.isfinite(model.coef_).all()


# --- partial_fit ---------------------------------------------------------------------

def _stream_data(n_classes):
    X, y = make_classification(600, 6, n_informative=4, n_classes=n_classes,
                               random_state=4)
    return X, np.asarray(["abc"[k] for k in y])  # string labels: classes map them


@pytest.mark.parametrize("n_classes", [2, 3])
def test_partial_fit_calls_are_minibatch_epochs_of_the_oracle(n_classes):
    """Each call is one reference mini-batch epoch over the chunk, shuffled by
    the model's own generator, with the penalty of all rows seen so far."""
    X, labels = _stream_data(n_classes)
    classes = np.array(list("abc"[:n_classes]))
    weight = np.random.default_rng(1).uniform(0.5, 1.5, X.shape[0])
    model = LogisticRegression(solver="sgd", learning_rate=0.05, batch_size=32, C=0.5,
                               random_state=7)
    rng = np.random.default_rng(7)
    K = 1 if n_classes == 2 else n_classes
    w, b = np.zeros((K, X.shape[1])), np.zeros(K)
    seen = 0.0
    for lo, hi in [(0, 250), (250, 600), (0, 250)]:
        Xc, yc, sc = X[lo:hi], labels[lo:hi], weight[lo:hi]
        model.partial_fit(Xc, yc, classes=classes, sample_weight=sc)
        seen += sc.sum()
        y_index = np.searchsorted(classes, yc).astype(float)
        order = rng.permutation(hi - lo)
        if n_classes == 2:
            w1, b1, _, _ = ref.minibatch_epoch(
                Xc, y_index, w[0], b[0], order, 32, 0.05, alpha=1 / (0.5 * seen),
                sample_weight=sc)
            w, b = w1[None, :], np.atleast_1d(b1)
        else:
            w, b, _, _ = ref.minibatch_epoch(
                Xc, y_index, w, b, order, 32, 0.05, alpha=1 / (0.5 * seen),
                sample_weight=sc)
        np.testing.assert_allclose(model.coef_, w, rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(model.intercept_, b, rtol=1e-10, atol=1e-13)
    assert model.n_iter_[0] == 3
    np.testing.assert_array_equal(model.classes_, classes)


def test_partial_fit_over_a_stream_approaches_fit():
    X, y = make_classification(4_000, 10, random_state=5)
    model = LogisticRegression(solver="sgd", schedule="invscaling", random_state=0)
    for _ in range(20):
        for lo in range(0, 4_000, 1_000):
            model.partial_fit(X[lo:lo + 1_000], y[lo:lo + 1_000], classes=[0, 1])
    full = LogisticRegression(C=1 / 20).fit(X, y)  # 20 passes: S_seen = 20 S
    from sklearn.metrics import log_loss

    assert log_loss(y, model.predict_proba(X)) < 1.02 * log_loss(y, full.predict_proba(X))


def test_partial_fit_continues_a_fitted_model():
    X, y = make_classification(500, 5, random_state=6)
    model = LogisticRegression(solver="sgd", max_iter=5, random_state=0)
    with pytest.warns(ConvergenceWarning, match="solver='sgd' did not converge"):
        model.fit(X, y)
    before = model.coef_.copy()
    model.partial_fit(X, y)  # classes known from fit
    assert not np.array_equal(model.coef_, before)
    assert np.abs(model.coef_ - before).max() < 0.5 * np.abs(before).max()


def test_partial_fit_errors():
    # the stream's own checks are tested where they are raised, in test_streaming.py
    X, y = make_classification(100, 4, random_state=0)
    sgd = LogisticRegression(solver="sgd")
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        sgd.partial_fit(X, y)
    with pytest.raises(ValueError, match="class_weight='balanced'.*partial_fit"):
        LogisticRegression(solver="sgd", class_weight="balanced").partial_fit(
            X, y, classes=[0, 1])
    sgd.partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match=r"y holds labels not in classes: \[2\]"):
        sgd.partial_fit(X, y * 2)  # later chunks are checked against classes_
    with pytest.raises(ValueError, match="features"):
        sgd.partial_fit(X[:, :3], y)
    assert not hasattr(LogisticRegression(solver="lbfgs"), "partial_fit")


# --- liblinear's objective -------------------------------------------------------------

def _liblinear_objective(model, X, y, C, l1_ratio):
    """liblinear's objective: the intercept is the weight of a constant feature."""
    w = np.append(model.coef_.ravel(), model.intercept_[0] / model.intercept_scaling)
    z = X @ model.coef_.ravel() + model.intercept_[0]
    loss = np.sum(np.logaddexp(0.0, z) - (y == model.classes_[1]) * z)
    penalty = np.abs(w).sum() if l1_ratio == 1 else 0.5 * w @ w
    return C * loss + penalty


@pytest.mark.parametrize("l1_ratio", [0.0, 1.0], ids=["l2", "l1"])
@pytest.mark.parametrize(("C", "intercept_scaling"), [(0.1, 1.0), (10.0, 5.0)])
def test_liblinear_reaches_liblinears_optimum(l1_ratio, C, intercept_scaling):
    X, y = _breast_cancer()
    params = dict(solver="liblinear", C=C, l1_ratio=l1_ratio, tol=1e-10, max_iter=10_000,
                  intercept_scaling=intercept_scaling)
    sk = SkLogisticRegression(**params).fit(X, y)
    ours = LogisticRegression(**params).fit(X, y)
    J_sk = _liblinear_objective(sk, X, y, C, l1_ratio)
    J_ours = _liblinear_objective(ours, X, y, C, l1_ratio)
    assert J_ours == pytest.approx(J_sk, rel=1e-8)
    scale = np.abs(sk.coef_).max()
    np.testing.assert_allclose(ours.coef_, sk.coef_, rtol=1e-4, atol=1e-4 * scale)
    np.testing.assert_allclose(ours.intercept_, sk.intercept_, rtol=1e-4, atol=1e-4 * scale)

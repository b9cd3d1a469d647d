"""The oracle is checked against truth that does not come from it:
finite differences, scikit-learn's log_loss and scikit-learn's optimum."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

from fastlogreg import reference as ref
from fastlogreg.comparisons import make_case


@pytest.mark.parametrize("alpha", [0.0, 0.3])
@pytest.mark.parametrize("weighted", [False, True])
def test_gradient_matches_central_differences(alpha, weighted):
    case = make_case(50, 4, weighted=weighted, alpha=alpha, seed=1)
    w, b = case.w * 10, 0.7  # away from 0 so every term matters

    def J(w, b):
        return ref.loss_and_gradient(case.X, case.y, w, b, alpha=alpha,
                                     sample_weight=case.sample_weight)[0]

    _, dw, db = ref.loss_and_gradient(case.X, case.y, w, b, alpha=alpha,
                                      sample_weight=case.sample_weight)
    h = 1e-6
    fd_w = np.array([(J(w + h * e, b) - J(w - h * e, b)) / (2 * h) for e in np.eye(4)])
    fd_b = (J(w, b + h) - J(w, b - h)) / (2 * h)
    np.testing.assert_allclose(dw, fd_w, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(db, fd_b, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("weighted", [False, True])
def test_loss_matches_sklearn_log_loss(weighted):
    case = make_case(200, 5, weighted=weighted, seed=2)
    p = ref.forward(case.X, case.w * 5, 0.3)
    want = log_loss(case.y, p, sample_weight=case.sample_weight)
    J, _, _ = ref.loss_and_gradient(case.X, case.y, case.w * 5, 0.3,
                                    sample_weight=case.sample_weight)
    assert J == pytest.approx(want, rel=1e-12)
    assert ref.loss(case.y, p, case.sample_weight) == pytest.approx(want, rel=1e-12)


def test_sigmoid_pieces_match_their_definitions():
    z = np.linspace(-30, 30, 601)
    np.testing.assert_allclose(ref.sigmoid(z), 1 / (1 + np.exp(-z)), rtol=1e-14)
    # s (1 - s) = 1 / (4 cosh^2(z/2)), a form free of the 1 - s cancellation
    np.testing.assert_allclose(ref.derivative_sigmoid(z), 0.25 / np.cosh(z / 2) ** 2,
                               rtol=1e-13)
    for y in (0.0, 1.0):
        naive = np.log1p(np.exp(z)) - y * z
        np.testing.assert_allclose(ref.log_loss_from_logits(np.full_like(z, y), z), naive,
                                   rtol=1e-12, atol=1e-13)


def test_extreme_logits_are_finite_and_silent():
    z = np.array([-1e300, -1e4, -745.0, -40.0, 0.0, 40.0, 745.0, 1e4, 1e300])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = ref.sigmoid(z)
        d = ref.derivative_sigmoid(z)
        for y in (0.0, 1.0):
            per = ref.log_loss_from_logits(np.full_like(z, y), z)
            assert np.isfinite(per).all() and (per >= 0).all()
        assert np.isfinite(ref.loss(np.array([0.0, 1.0]), np.array([1.0, 0.0])))
    assert np.isfinite(p).all() and np.isfinite(d).all()
    assert p[0] == 0.0 and p[-1] == 1.0 and p[4] == 0.5
    # the right answers at the extremes: loss ~ |z| when wrong, 0 when right
    assert ref.log_loss_from_logits(np.array([0.0]), np.array([1e300]))[0] == 1e300
    assert ref.log_loss_from_logits(np.array([1.0]), np.array([1e300]))[0] == 0.0


def _sklearn_optimum(X, y, alpha, sample_weight=None):
    S = len(y) if sample_weight is None else sample_weight.sum()
    clf = LogisticRegression(C=1.0 / (alpha * S), tol=1e-12, max_iter=10_000)
    clf.fit(X, y, sample_weight=sample_weight)
    return clf.coef_.ravel(), clf.intercept_[0]


@pytest.mark.parametrize("weighted", [False, True])
def test_train_reaches_sklearn_optimum(weighted):
    X, y = make_classification(n_samples=300, n_features=5, n_informative=3,
                               random_state=0)
    sw = np.random.default_rng(0).uniform(0.5, 2.0, 300) if weighted else None
    alpha = 0.05  # alpha = 1 / (C * S): DESIGN.md's identity
    w_skl, b_skl = _sklearn_optimum(X, y, alpha, sw)
    # a step of 1/L with L bounding the Hessian converges linearly here
    L = 0.25 * (np.sum(X * X) / len(y) + 1) + alpha
    trace = ref.train(X, y, learning_rate=1.0 / L, epochs=4000, record_every=1000,
                      alpha=alpha, sample_weight=sw)
    np.testing.assert_allclose(trace.w, w_skl, rtol=1e-6, atol=1e-8)
    assert trace.b == pytest.approx(b_skl, rel=1e-6, abs=1e-8)
    assert np.all(np.diff(trace.history[:, 1]) <= 0)  # never increases record to record


def test_train_records_like_the_notebook():
    case = make_case(100, 3, seed=3)
    trace = ref.train(case.X, case.y, learning_rate=0.5, epochs=25, record_every=10)
    np.testing.assert_array_equal(trace.history[:, 0], [0, 10, 20])
    # the record of epoch 20 is the model after 21 updates
    again = ref.train(case.X, case.y, learning_rate=0.5, epochs=21, record_every=100)
    J, acc = ref.evaluate(case.X, case.y, again.w, again.b)
    assert trace.history[2, 1] == J and trace.history[2, 2] == acc


def test_backward_is_the_derivation_not_the_notebook_code():
    """dz = a - y and a mean over samples (the notebook's code differs twice)."""
    case = make_case(40, 3, seed=4)
    a = ref.forward(case.X, case.w, case.b)
    dw, db = ref.backward(case.X, case.y, a)
    np.testing.assert_allclose(dw, np.mean(case.X * (a - case.y)[:, None], axis=0),
                               rtol=1e-13)
    assert db == pytest.approx(np.mean(a - case.y), rel=1e-13)

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


# --- the multinomial oracle, against truth that does not come from it -------------


def _softmax_case(n=120, d=4, K=3, seed=5, weighted=True):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = rng.integers(0, K, n)
    sw = rng.uniform(0.2, 3.0, n) if weighted else None
    W, b = rng.standard_normal((K, d)), rng.standard_normal(K)
    return X, y, sw, W, b


@pytest.mark.parametrize("alpha", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
def test_multinomial_gradient_matches_central_differences(alpha, weighted):
    X, y, sw, W, b = _softmax_case(weighted=weighted)

    def J(W, b):
        return ref.multinomial_loss_and_gradient(X, y, W, b, alpha=alpha,
                                                 sample_weight=sw)[0]

    _, dW, db = ref.multinomial_loss_and_gradient(X, y, W, b, alpha=alpha, sample_weight=sw)
    h = 1e-6
    fd_W = np.zeros_like(W)
    for k in range(W.shape[0]):
        for j in range(W.shape[1]):
            E = np.zeros_like(W)
            E[k, j] = h
            fd_W[k, j] = (J(W + E, b) - J(W - E, b)) / (2 * h)
    fd_b = np.array([(J(W, b + h * e) - J(W, b - h * e)) / (2 * h) for e in np.eye(3)])
    np.testing.assert_allclose(dW, fd_W, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(db, fd_b, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("weighted", [False, True])
def test_multinomial_loss_matches_sklearn_log_loss(weighted):
    X, y, sw, W, b = _softmax_case(weighted=weighted)
    Z = X @ W.T + b
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    want = log_loss(y, P, sample_weight=sw, labels=[0, 1, 2])
    J, _, _ = ref.multinomial_loss_and_gradient(X, y, W, b, sample_weight=sw)
    assert J == pytest.approx(want, rel=1e-12)
    # the penalty adds (alpha/2) ||W||_F^2 and nothing on b
    J2, _, _ = ref.multinomial_loss_and_gradient(X, y, W, b, alpha=0.3, sample_weight=sw)
    assert J2 - J == pytest.approx(0.15 * float(np.sum(W * W)), rel=1e-12)


@pytest.mark.parametrize("weighted", [False, True])
def test_multinomial_optimum_is_sklearns(weighted):
    """The minimiser of the oracle's objective (found by SciPy from the oracle's
    loss and gradient) is scikit-learn's multinomial fit with C = 1/(alpha S)."""
    from scipy.optimize import minimize

    from fastlogreg.estimator import alpha_from_C

    X, y = make_classification(n_samples=300, n_features=5, n_informative=4,
                               n_redundant=0, n_classes=3, random_state=2)
    sw = np.random.default_rng(1).uniform(0.5, 2.0, 300) if weighted else None
    S = 300.0 if sw is None else float(sw.sum())
    C = 0.7
    alpha = alpha_from_C(C, S)
    K, d = 3, 5

    def fun(theta):
        J, dW, db = ref.multinomial_loss_and_gradient(
            X, y, theta[:K * d].reshape(K, d), theta[K * d:], alpha=alpha, sample_weight=sw)
        return J, np.concatenate([dW.ravel(), db])

    res = minimize(fun, np.zeros(K * (d + 1)), jac=True, method="L-BFGS-B",
                   options={"gtol": 1e-12, "ftol": 1e-15, "maxiter": 10_000})
    clf = LogisticRegression(C=C, tol=1e-12, max_iter=10_000).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(res.x[:K * d].reshape(K, d), clf.coef_, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(res.x[K * d:], clf.intercept_, rtol=1e-5, atol=1e-7)


# --- the mini-batch epoch, batch by batch in plain Python ---------------------------


def _plain_epoch(X, y, w, b, order, batch_size, lr, alpha, sw, K):
    """The documented update written with Python floats and math only: batch B
    steps by lr * ((n / (S |B|)) sum_{i in B} s_i (p_i - y_i) x_i + alpha w)."""
    import math

    n, d = X.shape
    S = float(sum(sw))
    W = [list(row) for row in np.atleast_2d(w)]
    b = list(np.atleast_1d(b))
    for start in range(0, len(order), batch_size):
        rows = [int(i) for i in order[start:start + batch_size]]
        scale = n / (S * len(rows))
        gW = [[0.0] * d for _ in W]
        gb = [0.0] * len(W)
        for i in rows:
            z = [sum(W[k][j] * X[i, j] for j in range(d)) + b[k] for k in range(len(W))]
            if K == 2:
                p = [1.0 / (1.0 + math.exp(-z[0]))]
                t = [float(y[i])]
            else:
                top = max(z)
                e = [math.exp(v - top) for v in z]
                p = [v / sum(e) for v in e]
                t = [1.0 if k == y[i] else 0.0 for k in range(K)]
            for k in range(len(W)):
                r = sw[i] * (p[k] - t[k])
                gb[k] += r
                for j in range(d):
                    gW[k][j] += r * X[i, j]
        W = [[W[k][j] - lr * (scale * gW[k][j] + alpha * W[k][j]) for j in range(d)]
             for k in range(len(W))]
        b = [b[k] - lr * scale * gb[k] for k in range(len(W))]
    return np.array(W), np.array(b)


@pytest.mark.parametrize("K", [2, 3])
@pytest.mark.parametrize("batch_size", [1, 7, 64])
def test_minibatch_epoch_is_the_batch_by_batch_update(K, batch_size):
    rng = np.random.default_rng(K + batch_size)
    X = rng.standard_normal((50, 3))
    y = rng.integers(0, K, 50)
    sw = rng.uniform(0.1, 2.0, 50)
    order = rng.permutation(50)[:45]  # an epoch may visit a subset of rows
    if K == 2:
        w, b = rng.standard_normal(3), 0.2
    else:
        w, b = rng.standard_normal((K, 3)), rng.standard_normal(K)
    got_w, got_b, _, _ = ref.minibatch_epoch(X, y.astype(float), w, b, order, batch_size,
                                             0.3, alpha=0.05, sample_weight=sw)
    want_w, want_b = _plain_epoch(X, y, w, b, order, batch_size, 0.3, 0.05, sw, K)
    np.testing.assert_allclose(np.atleast_2d(got_w), want_w, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(np.atleast_1d(got_b), want_b, rtol=1e-12, atol=1e-14)


# --- the asv guard ---------------------------------------------------------------------


def test_asv_track_max_error_fails_outside_the_tolerance():
    """A benchmark's track_max_error raises once its kernel leaves the oracle's
    tolerance (a broken kernel is a failed benchmark, not a recorded number)."""
    import dataclasses
    import sys
    from pathlib import Path

    from fastlogreg.comparisons import COMPARISONS, RTOL, checked_max_rel_error

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "asv_bench"))
    try:
        from benchmarks import bench_epochs
    finally:
        sys.path.pop(0)
    case = make_case(300, 5, seed=6)
    good = COMPARISONS["loss_grad"]

    def off(c):  # the kernel, off by 1e3 tolerances in one output
        out = dict(good.fast(c))
        key = next(iter(out))
        out[key] = np.asarray(out[key]) * (1 + 1e3 * RTOL[c.X.dtype])
        return out

    broken = dataclasses.replace(good, fast=off)
    bench = bench_epochs.OnePass()
    bench.case, bench.comparison = case, good
    assert bench.track_max_error("float64", "C", "loss_grad") <= RTOL[case.X.dtype]
    bench.comparison = broken
    with pytest.raises(AssertionError, match="exceeds the oracle tolerance"):
        bench.track_max_error("float64", "C", "loss_grad")
    with pytest.raises(AssertionError):
        checked_max_rel_error(broken, case)

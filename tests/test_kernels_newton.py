"""The second-order kernels (kernels/newton.py) against the NumPy oracle, and the
oracle against finite differences and scikit-learn's LinearModelLoss."""

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastlogreg import reference as ref
from fastlogreg.comparisons import COMPARISONS, MAKERS, RTOL, Case, max_rel_error

KINDS = ("newton", "newton_multinomial", "newton_sparse", "newton_sparse_multinomial")
NAMES = {kind: [n for n, c in COMPARISONS.items() if c.kind == kind] for kind in KINDS}
DENSE = NAMES["newton"] + NAMES["newton_multinomial"]
SPARSE = NAMES["newton_sparse"] + NAMES["newton_sparse_multinomial"]
OPTIONS = {
    "plain": dict(fit_intercept=True, weighted=False, alpha=0.0),
    "weights+l2": dict(fit_intercept=True, weighted=True, alpha=0.1),
    "no-intercept+weights": dict(fit_intercept=False, weighted=True, alpha=0.0),
}


def _case(name: str, n: int, d: int, **options) -> Case:
    kind = COMPARISONS[name].kind
    return MAKERS[kind](n, d, **options)


def _check(name: str, case: Case) -> None:
    err = max_rel_error(COMPARISONS[name].fast(case), COMPARISONS[name].oracle(case))
    dtype = case.X.dtype
    assert err <= RTOL[dtype], f"{name}: relative error {err:.3g}"


def test_registry_has_the_newton_passes():
    assert set(DENSE) == {"hessp", "hessp_parallel", "multinomial_hessp",
                          "multinomial_hessp_parallel", "hessian", "hessian_parallel",
                          "multinomial_hessian", "multinomial_hessian_parallel"}
    assert len(SPARSE) == 8


@pytest.mark.parametrize("options", list(OPTIONS))
@pytest.mark.parametrize("layout", ["C", "F"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize(("n", "d"), [(1, 1), (7, 10), (1000, 3), (1500, 58)])
@pytest.mark.parametrize("name", DENSE)
def test_dense_passes_match_oracle(name, n, d, dtype, layout, options):
    _check(name, _case(name, n, d, dtype=dtype, layout=layout, **OPTIONS[options]))


@pytest.mark.parametrize("options", list(OPTIONS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize(("n", "d"), [(1, 1), (9, 6), (800, 40)])
@pytest.mark.parametrize("name", SPARSE)
def test_sparse_passes_match_oracle(name, n, d, dtype, options):
    _check(name, _case(name, n, d, dtype=dtype, **OPTIONS[options]))


@pytest.mark.parametrize("name", DENSE + SPARSE)
def test_extreme_logits_stay_finite(name):
    case = _case(name, 300, 4, weighted=True, seed=5)
    X = case.X * 1e4  # logits of order 1e4: sigmoid and softmax saturated
    extreme = Case(**{**case.__dict__, "X": X})
    out = COMPARISONS[name].fast(extreme)
    assert all(np.isfinite(v).all() for v in out.values())
    _check(name, extreme)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 300), d=st.integers(1, 13), seed=st.integers(0, 2**16),
       layout=st.sampled_from("CF"), scale=st.sampled_from([1e-3, 1.0, 30.0]))
def test_binary_passes_match_oracle_hypothesis(n, d, seed, layout, scale):
    case = MAKERS["newton"](n, d, layout=layout, weighted=True, alpha=0.05, seed=seed,
                            scale=scale)
    for name in ("hessp", "hessian"):
        _check(name, case)


@pytest.mark.parametrize("layout", ["C", "F"])
@pytest.mark.parametrize("name", ["hessp", "hessian", "multinomial_hessp",
                                  "multinomial_hessian", "sparse_hessp",
                                  "sparse_multinomial_hessp", "sparse_hessian",
                                  "sparse_multinomial_hessian"])
def test_bitwise_across_threads(name, layout):
    kw = {} if "sparse" in name else {"layout": layout}
    case = _case(name, 40003, 9, weighted=True, alpha=0.1, **kw)
    serial = COMPARISONS[name].fast(case)
    runs = []
    before = numba.get_num_threads()
    try:
        for threads in (1, 2):
            numba.set_num_threads(threads)
            runs.append(COMPARISONS[name + "_parallel"].fast(case))
    finally:
        numba.set_num_threads(before)
    for key in serial:
        np.testing.assert_array_equal(runs[0][key], runs[1][key])
        np.testing.assert_array_equal(runs[0][key], serial[key])


def test_inputs_are_not_modified():
    case = MAKERS["newton"](500, 6, weighted=True, layout="F")
    before = [a.copy() for a in (case.X, case.y, case.sample_weight, case.w)]
    for name in ("hessp_parallel", "hessian_parallel"):
        COMPARISONS[name].fast(case)
    for a, b in zip(before, (case.X, case.y, case.sample_weight, case.w), strict=True):
        np.testing.assert_array_equal(a, b)


# --- the oracle itself ------------------------------------------------------------


def _fd(f, x, eps=1e-6):
    """Central differences of the vector function f at x, one column per entry."""
    cols = []
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = eps
        cols.append((f(x + e) - f(x - e)) / (2 * eps))
    return np.array(cols).T


def test_oracle_binary_hessian_is_the_gradients_derivative():
    case = MAKERS["newton"](60, 4, weighted=True, alpha=0.3, seed=2)
    d = 4

    def grad(theta):
        _, dw, db = ref.loss_and_gradient(case.X, case.y, theta[:d], theta[d],
                                          alpha=case.alpha, sample_weight=case.sample_weight)
        return np.r_[dw, db]

    theta = np.r_[case.w, case.b]
    H = ref.hessian(case.X, case.y, case.w, case.b, alpha=case.alpha,
                    sample_weight=case.sample_weight)
    np.testing.assert_allclose(H, _fd(grad, theta), rtol=1e-6, atol=1e-8)
    v = np.arange(d + 1.0) - 2
    hw, hb = ref.hessp(case.X, case.y, case.w, case.b, v[:d], v[d], alpha=case.alpha,
                       sample_weight=case.sample_weight)
    np.testing.assert_allclose(np.r_[hw, hb], H @ v, rtol=1e-12, atol=1e-14)


def test_oracle_multinomial_hessian_is_the_gradients_derivative():
    case = MAKERS["newton_multinomial"](50, 3, n_classes=3, weighted=True, alpha=0.2,
                                        seed=2)
    K, d = case.w.shape

    def grad(theta):
        _, dW, db = ref.multinomial_loss_and_gradient(
            case.X, case.y, theta[:K * d].reshape(K, d), theta[K * d:], alpha=case.alpha,
            sample_weight=case.sample_weight)
        return np.r_[dW.ravel(), db]

    theta = np.r_[case.w.ravel(), case.b]
    H = ref.multinomial_hessian(case.X, case.y, case.w, case.b, alpha=case.alpha,
                                sample_weight=case.sample_weight)
    np.testing.assert_allclose(H, _fd(grad, theta), rtol=1e-6, atol=1e-8)
    V, c = np.ones((K, d)) * np.arange(d), np.array([0.5, -1.0, 2.0])
    hw, hb = ref.multinomial_hessp(case.X, case.y, case.w, case.b, V, c, alpha=case.alpha,
                                   sample_weight=case.sample_weight)
    np.testing.assert_allclose(np.r_[hw.ravel(), hb], H @ np.r_[V.ravel(), c],
                               rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("classes", [2, 3])
def test_oracle_matches_scikit_learn(classes):
    from sklearn._loss.loss import HalfBinomialLoss, HalfMultinomialLoss
    from sklearn.linear_model._linear_loss import LinearModelLoss

    alpha = 0.1
    if classes == 2:
        case = MAKERS["newton"](80, 5, weighted=True, seed=3)
        lml = LinearModelLoss(HalfBinomialLoss(), fit_intercept=True)
        coef = np.r_[case.w, case.b]
        H = ref.hessian(case.X, case.y, case.w, case.b, alpha=alpha,
                        sample_weight=case.sample_weight)
        order = np.arange(coef.size)
    else:
        case = MAKERS["newton_multinomial"](80, 5, n_classes=3, weighted=True, seed=3)
        lml = LinearModelLoss(HalfMultinomialLoss(n_classes=3), fit_intercept=True)
        K, d = case.w.shape
        coef = np.c_[case.w, case.b].ravel(order="F")  # scikit-learn's: classes inner
        H = ref.multinomial_hessian(case.X, case.y, case.w, case.b, alpha=alpha,
                                    sample_weight=case.sample_weight)
        # theta position of scikit-learn's entry (feature j, class k) = j*K + k
        order = np.array([k * d + j if j < d else K * d + k
                          for j in range(d + 1) for k in range(K)])
    _, H_sk, _ = lml.gradient_hessian(coef, case.X, case.y, case.sample_weight, alpha)
    np.testing.assert_allclose(H[np.ix_(order, order)], H_sk, rtol=1e-10, atol=1e-13)
    _, hessp = lml.gradient_hessian_product(coef, case.X, case.y, case.sample_weight,
                                            alpha)
    v = np.sin(np.arange(coef.size))
    np.testing.assert_allclose(H[np.ix_(order, order)] @ v, hessp(v).ravel(order="F")
                               if classes > 2 else hessp(v), rtol=1e-10, atol=1e-13)

"""The multinomial (softmax) kernels against the NumPy oracle."""

import numba
import numpy as np
import pytest

from fastlogreg.comparisons import (
    COMPARISONS,
    RTOL,
    Case,
    make_multinomial_case,
    max_rel_error,
)

NAMES = [name for name, c in COMPARISONS.items() if c.kind == "multinomial"]
OPTIONS = {
    "plain": dict(fit_intercept=True, weighted=False, alpha=0.0),
    "weights+l2": dict(fit_intercept=True, weighted=True, alpha=0.1),
    "no-intercept+weights": dict(fit_intercept=False, weighted=True, alpha=0.0),
}


def _check(name, case):
    err = max_rel_error(COMPARISONS[name].fast(case), COMPARISONS[name].oracle(case))
    assert err <= RTOL[case.X.dtype], f"{name}: relative error {err:.3g}"


def test_registry_has_the_multinomial_kernels():
    assert set(NAMES) == {"multinomial_loss_grad", "multinomial_loss_grad_parallel",
                          "multinomial_minibatch_epoch", "multinomial_decision_function"}


@pytest.mark.parametrize("options", list(OPTIONS))
@pytest.mark.parametrize("layout", ["C", "F"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize(("n_samples", "n_features", "n_classes"),
                         [(1, 1, 3), (2, 3, 3), (7, 10, 4), (1000, 3, 3), (1000, 257, 5),
                          pytest.param(100003, 10, 3, marks=pytest.mark.slow)])
@pytest.mark.parametrize("name", NAMES)
def test_multinomial_kernels_match_oracle(name, n_samples, n_features, n_classes, dtype,
                                          layout, options):
    case = make_multinomial_case(n_samples, n_features, n_classes, dtype=dtype,
                                 layout=layout, **OPTIONS[options])
    _check(name, case)


@pytest.mark.parametrize("name", NAMES)
def test_extreme_logits_stay_finite(name):
    case = make_multinomial_case(500, 4, 3, seed=3)
    X = case.X * 1e4  # logits of order 1e4: softmax fully saturated
    extreme = Case(**{**case.__dict__, "X": X, "learning_rate": 1e-8})
    out = COMPARISONS[name].fast(extreme)
    assert all(np.isfinite(v).all() for v in out.values())
    _check(name, extreme)


@pytest.mark.parametrize("layout", ["C", "F"])
def test_bitwise_across_threads(layout):
    case = make_multinomial_case(100003, 10, 4, weighted=True, alpha=0.1, layout=layout)
    runs = []
    before = numba.get_num_threads()
    try:
        for threads in (1, 2):
            numba.set_num_threads(threads)
            runs.append(COMPARISONS["multinomial_loss_grad_parallel"].fast(case))
    finally:
        numba.set_num_threads(before)
    serial = COMPARISONS["multinomial_loss_grad"].fast(case)
    for key in serial:
        np.testing.assert_array_equal(runs[0][key], runs[1][key])
        np.testing.assert_array_equal(runs[0][key], serial[key])


def test_two_classes_softmax_equals_binary_logistic():
    """Softmax over (0, z) is the sigmoid of z: the two models agree."""
    from fastlogreg import reference as ref

    case = make_multinomial_case(200, 5, 2, seed=4)
    W = np.vstack([np.zeros(5), case.w[1] - case.w[0]])
    b = np.array([0.0, case.b[1] - case.b[0]])
    Jm, dW, dbm = ref.multinomial_loss_and_gradient(case.X, case.y, W, b)
    Jb, dw, db = ref.loss_and_gradient(case.X, case.y, W[1], b[1])
    assert Jm == pytest.approx(Jb, rel=1e-12)
    np.testing.assert_allclose(dW[1], dw, rtol=1e-10, atol=1e-14)
    assert dbm[1] == pytest.approx(db, rel=1e-10)

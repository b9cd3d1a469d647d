"""Hypothesis for the softmax and CSR kernels, as the dense binary ones have it:
shapes, dtypes, layouts, index types, weights and values drawn beyond the grid,
each kernel beside its oracle with an element-wise bound.

The bound of a gradient entry is a few ulps of the size of its terms
(``1e-10 (sum_i s_i |x_ij| / S + 1)``, residuals being at most 1 in size), so a
cancelling sum is judged by its terms, not by the largest entry of the output.
"""

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np
from hypothesis import given

from fastlogreg.comparisons import COMPARISONS, Case

DTYPES = [np.dtype(np.float64), np.dtype(np.float32)]


def _tolerance(X, sw):
    return 1e-10 * (sw @ np.abs(X.astype(np.float64)) / sw.sum() + 1.0)


@st.composite
def softmax_cases(draw, sparse=False):
    n = draw(st.integers(1, 80))
    d = draw(st.integers(1, 9))
    K = draw(st.integers(2, 5)) if sparse else draw(st.integers(3, 5))
    dtype = draw(st.sampled_from(DTYPES))
    values = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False, width=32)
    X = draw(hnp.arrays(dtype, (n, d), elements=values))
    if sparse:  # about half the entries stored, explicit zeros kept possible
        import scipy.sparse as sp

        keep = draw(hnp.arrays(np.bool_, (n, d)))
        X = np.where(keep, X, 0).astype(dtype)
        A = sp.csr_matrix(X)
        index = draw(st.sampled_from([np.int32, np.int64]))
        A.indices, A.indptr = A.indices.astype(index), A.indptr.astype(index)
    else:
        X = np.asarray(X, order=draw(st.sampled_from(["C", "F"])))
        A = X
    y = draw(hnp.arrays(np.float64, n, elements=st.integers(0, K - 1).map(float)))
    sw = draw(hnp.arrays(np.float64, n, elements=st.floats(0, 10, width=32)))
    if sw.sum() == 0:
        sw[0] = 1.0
    if sparse and K == 2 and draw(st.booleans()):
        w = draw(hnp.arrays(np.float64, d, elements=st.floats(-3, 3, width=32)))
        b = draw(st.floats(-10, 10))
    else:
        w = draw(hnp.arrays(np.float64, (K, d), elements=st.floats(-3, 3, width=32)))
        b = draw(hnp.arrays(np.float64, K, elements=st.floats(-10, 10, width=32)))
    order = np.random.default_rng(draw(st.integers(0, 2**16))).permutation(n)
    case = Case(A, y, sw, w, b, alpha=draw(st.sampled_from([0.0, 0.01, 1.0])),
                fit_intercept=draw(st.booleans()), learning_rate=1e-3, order=order,
                batch_size=draw(st.integers(1, n)))
    return case, X


def _check_pass(names, case, X):
    tol = _tolerance(X, case.sample_weight)
    for name in names:
        got, want = COMPARISONS[name].fast(case), COMPARISONS[name].oracle(case)
        np.testing.assert_allclose(got["loss"], want["loss"], rtol=1e-10, err_msg=name)
        grad = "dW" if "dW" in want else "dw"
        err = np.abs(np.asarray(got[grad]) - want[grad])
        assert np.all(err <= tol), (name, err, tol)
        bias = "db"
        np.testing.assert_allclose(got[bias], want[bias], rtol=0, atol=1e-10, err_msg=name)


@given(softmax_cases())
def test_multinomial_pass_matches_oracle_on_drawn_data(drawn):
    case, X = drawn
    _check_pass(["multinomial_loss_grad", "multinomial_loss_grad_parallel"], case, X)
    got = COMPARISONS["multinomial_decision_function"].fast(case)["z"]
    want = COMPARISONS["multinomial_decision_function"].oracle(case)["z"]
    scale = np.abs(X.astype(np.float64)) @ np.abs(case.w).T + np.abs(case.b)
    assert np.all(np.abs(got - want) <= 1e-12 * scale + 1e-300)


@given(softmax_cases())
def test_multinomial_minibatch_epoch_matches_oracle_on_drawn_data(drawn):
    case, X = drawn
    got = COMPARISONS["multinomial_minibatch_epoch"].fast(case)
    want = COMPARISONS["multinomial_minibatch_epoch"].oracle(case)
    step = case.learning_rate * len(case.order)
    key = "W" if "W" in want else "w"
    np.testing.assert_allclose(got[key], want[key], rtol=1e-9,
                               atol=step * _tolerance(X, case.sample_weight).max())
    np.testing.assert_allclose(got["loss"], want["loss"], rtol=1e-9)


@given(softmax_cases(sparse=True))
def test_sparse_passes_match_oracle_on_drawn_data(drawn):
    case, X = drawn
    if case.w.ndim == 1:
        names = ["sparse_loss_grad", "sparse_loss_grad_parallel"]
        decision, epoch = "sparse_decision_function", "sparse_minibatch_epoch"
    else:
        names = ["sparse_multinomial_loss_grad", "sparse_multinomial_loss_grad_parallel"]
        decision = "sparse_multinomial_decision_function"
        epoch = "sparse_multinomial_minibatch_epoch"
    _check_pass(names, case, X)
    got, want = COMPARISONS[decision].fast(case)["z"], COMPARISONS[decision].oracle(case)["z"]
    scale = np.abs(X.astype(np.float64)) @ np.abs(case.w).T + np.abs(case.b)
    assert np.all(np.abs(got - want) <= 1e-12 * scale + 1e-300)
    got, want = COMPARISONS[epoch].fast(case), COMPARISONS[epoch].oracle(case)
    key = next(k for k in ("W", "w") if k in want)
    step = case.learning_rate * len(case.order)
    np.testing.assert_allclose(got[key], want[key], rtol=1e-9,
                               atol=step * _tolerance(X, case.sample_weight).max())

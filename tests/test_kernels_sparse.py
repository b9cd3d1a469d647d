"""The CSR kernels (``fastlogreg.kernels.sparse``) against the NumPy oracle on
``X.toarray()``: the registry's ``sparse`` entries (``fastlogreg.comparisons``),
the same data, the repository's tolerance (``RTOL``)."""

from dataclasses import replace

import numba
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from fastlogreg import reference as ref
from fastlogreg.comparisons import COMPARISONS, RTOL, Case, make_sparse_case, max_rel_error
from fastlogreg.kernels import sparse

# Every kernel compiles once per (data dtype, index dtype) it meets, the
# binary pass in about 5 s cold (serial, parallel and reduction). Two pairs
# cover both data and both index dtypes; cold compilation is still most of
# this file's run time.
TYPES = [(np.float64, np.int32), (np.float32, np.int64)]
# (n_samples, n_features, density): n = 1, d = 1, a dense-ish and a sparse case
SHAPES = [(1, 1, 1.0), (1, 6, 0.5), (2, 1, 0.5), (7, 3, 0.4), (300, 1, 0.3),
          (1000, 257, 0.05), (3001, 40, 0.2)]
OPTIONS = {
    "plain": dict(weighted=False, alpha=0.0),
    "weights+l2": dict(weighted=True, alpha=0.1),
}
BINARY = [n for n, c in COMPARISONS.items() if c.kind == "sparse"]
SOFTMAX = [n for n, c in COMPARISONS.items() if c.kind == "sparse_multinomial"]


def _type_id(types):
    return f"{np.dtype(types[0]).name}-{np.dtype(types[1]).name}"


def _case(n, d, density, types, *, multinomial=False, **options) -> Case:
    return make_sparse_case(n, d, density, dtype=types[0], index_dtype=types[1],
                            n_classes=3 if multinomial else None, **options)


def _arrays(case: Case):
    return case.X.data, case.X.indices, case.X.indptr


def _check(name: str, case: Case) -> dict:
    """Run the entry, require the oracle's tolerance, return the fast outputs."""
    got = COMPARISONS[name].fast(case)
    err = max_rel_error(got, COMPARISONS[name].oracle(case))
    assert err <= RTOL[case.X.dtype], f"{name}: relative error {err:.3g}"
    return got


def test_registry_has_the_sparse_kernels():
    suffixes = {"loss_grad", "loss_grad_parallel", "minibatch_epoch", "decision_function"}
    assert set(BINARY) == {f"sparse_{s}" for s in suffixes}
    assert set(SOFTMAX) == {f"sparse_multinomial_{s}" for s in suffixes}


# --- the passes against the oracle ------------------------------------------------

@pytest.mark.parametrize("options", list(OPTIONS))
@pytest.mark.parametrize(("n", "d", "density"), SHAPES)
@pytest.mark.parametrize("types", TYPES, ids=_type_id)
def test_binary_passes_match_oracle(types, n, d, density, options):
    c = _case(n, d, density, types, **OPTIONS[options])
    for name in ("sparse_loss_grad", "sparse_loss_grad_parallel",
                 "sparse_decision_function"):
        _check(name, c)


@pytest.mark.parametrize(("n", "d", "density"), SHAPES)
@pytest.mark.parametrize("types", TYPES, ids=_type_id)
def test_multinomial_passes_match_oracle(types, n, d, density):
    c = _case(n, d, density, types, multinomial=True, weighted=True, alpha=0.1)
    for name in ("sparse_multinomial_loss_grad", "sparse_multinomial_loss_grad_parallel",
                 "sparse_multinomial_decision_function"):
        _check(name, c)


def test_binary_partials_add_into_total_and_skip_the_loss():
    """The pass adds to what ``total`` holds; without need_loss the loss column
    gets nothing and the other columns are the same sums; the probe is 0."""
    c = make_sparse_case(500, 20, 0.3, weighted=True, seed=1)
    d = c.w.shape[0]
    assert len(sparse.block_bounds(c.X.indptr, d + 5)) == 2  # one block: exact sums below
    full = np.zeros(d + 5)
    sparse.binary_partials(*_arrays(c), c.y, c.sample_weight, c.w, c.b, False, full, True)
    assert full[d + 1] > 0 and full[d + 4] == 0.0
    for parallel in (False, True):
        start = np.arange(d + 5, dtype=np.float64)
        added = start.copy()
        sparse.binary_partials(*_arrays(c), c.y, c.sample_weight, c.w, c.b, parallel,
                               added, True)
        np.testing.assert_array_equal(added, start + full)
        skipped = np.zeros(d + 5)
        sparse.binary_partials(*_arrays(c), c.y, c.sample_weight, c.w, c.b, parallel,
                               skipped, False)
        assert skipped[d + 1] == 0.0
        keep = np.r_[0:d + 1, d + 2:d + 5]
        np.testing.assert_allclose(skipped[keep], full[keep], rtol=1e-12,
                                   atol=1e-14 * np.abs(full).max())


@pytest.mark.parametrize("multinomial", [False, True], ids=["binary", "multinomial"])
@pytest.mark.parametrize(("batch_size", "fit_intercept"), [(1, True), (32, False),
                                                           (64, True), (100, True),
                                                           (1000, True)])
@pytest.mark.parametrize("types", TYPES, ids=_type_id)
def test_minibatch_epoch_matches_oracle(types, batch_size, fit_intercept, multinomial):
    c = _case(640, 30, 0.2, types, multinomial=multinomial, weighted=True, alpha=0.05,
              seed=2, fit_intercept=fit_intercept, batch_size=batch_size)
    if batch_size == 64:  # rows in order, the first batch all of zero weight
        sw = c.sample_weight.copy()
        sw[:64] = 0.0
        c = replace(c, order=np.arange(640), sample_weight=sw)
    if batch_size == 100:  # an epoch over some rows only: len(order) < n
        c = replace(c, order=c.order[:250])
    _check("sparse_multinomial_minibatch_epoch" if multinomial else
           "sparse_minibatch_epoch", c)


def test_decision_functions_over_several_row_chunks():
    n = 2 * sparse.PREDICT_ROWS + 17
    for multinomial in (False, True):
        c = _case(n, 30, 0.1, TYPES[0], multinomial=multinomial)
        _check("sparse_multinomial_decision_function" if multinomial else
               "sparse_decision_function", c)


@pytest.mark.parametrize(("n", "d", "density"), SHAPES)
@pytest.mark.parametrize("types", TYPES, ids=_type_id)
def test_sq_norm_sum(types, n, d, density):
    c = _case(n, d, density, types, weighted=True)
    got = sparse.weighted_sq_norm_sum(c.X.data, c.X.indptr, c.sample_weight)
    Xd = c.X.toarray().astype(np.float64)
    want = c.sample_weight @ np.sum(Xd * Xd, axis=1)
    assert got == pytest.approx(want, rel=1e-12, abs=1e-300)


# --- extreme and degenerate inputs --------------------------------------------------

@pytest.mark.parametrize("multinomial", [False, True], ids=["binary", "multinomial"])
def test_extreme_logits_stay_finite_and_match(multinomial):
    """Logits of order +-1e4: the sigmoid and softmax saturate, losses ~ |z|."""
    c = make_sparse_case(400, 8, 0.5, n_classes=3 if multinomial else None,
                         weighted=True, scale=1e4, seed=3)
    c = replace(c, w=np.sign(c.w), learning_rate=1e-8, batch_size=50)
    z = c.X.toarray() @ c.w.T + c.b
    assert np.abs(z).max() > 1e4
    for name in SOFTMAX if multinomial else BINARY:
        got = _check(name, c)
        assert all(np.isfinite(v).all() for v in got.values()), name


def test_non_finite_logit_shows_in_the_probe():
    """Without the loss, the probe column is how an epoch notices divergence."""
    c = make_sparse_case(50, 4, 0.8, seed=4)
    data = np.full_like(c.X.data, 1e300)
    total = np.zeros(9)
    sparse.binary_partials(data, c.X.indices, c.X.indptr, c.y, c.sample_weight,
                           np.full(4, 1e300), 0.0, True, total, False)
    assert np.isnan(total[8])


def test_repeated_columns_sum_like_scipy():
    """A non-canonical row (a column twice) counts as the sum of its entries,
    as ``toarray`` has it, in every kernel but the squared norm."""
    indptr = np.array([0, 3, 3, 5], dtype=np.int32)
    indices = np.array([2, 0, 2, 1, 1], dtype=np.int32)
    data = np.array([1.5, -2.0, 0.5, 1.0, 3.0])
    X = sp.csr_matrix((data, indices, indptr), shape=(3, 4)).toarray()
    y, sw, w = np.array([1.0, 0.0, 1.0]), np.ones(3), np.array([0.3, -0.2, 0.7, 0.1])
    total = np.zeros(9)
    sparse.binary_partials(data, indices, indptr, y, sw, w, 0.2, False, total, True)
    J, dw, _ = ref.loss_and_gradient(X, y, w, 0.2)
    np.testing.assert_allclose(total[:4] / 3, dw, rtol=1e-12)
    assert total[5] / 3 == pytest.approx(J, rel=1e-12)


def test_sq_norm_sum_never_writes_its_inputs():
    # (the registry's entries: tests/test_kernels_dense.py, for every kind)
    c = make_sparse_case(300, 7, 0.4, dtype=np.float32, index_dtype=np.int64,
                         weighted=True)
    before = [a.copy() for a in (c.X.data, c.X.indptr, c.sample_weight)]
    sparse.weighted_sq_norm_sum(c.X.data, c.X.indptr, c.sample_weight)
    for a, b in zip((c.X.data, c.X.indptr, c.sample_weight), before, strict=True):
        np.testing.assert_array_equal(a, b)


# --- blocks and determinism ----------------------------------------------------------

def _check_bounds(indptr, width):
    """Blocks tile the rows in order; boundary k is the first row at which the
    work before it (nonzeros plus ROW_WORK a row) reaches k block sizes; the
    block size follows the partials' width; int32 and int64 agree."""
    bounds = sparse.block_bounds(indptr, width)
    n = indptr.shape[0] - 1
    assert bounds[0] == 0 and bounds[-1] == n
    assert np.all(np.diff(bounds) >= 0)
    work = indptr - indptr[0] + sparse.ROW_WORK * np.arange(n + 1)
    least = max(1, min(sparse.MIN_BLOCKS, (indptr[-1] - indptr[0]) // width))
    size = max(sparse.BLOCK_WORK, min(sparse.WIDTH_WORK * width, -(-work[-1] // least)))
    assert len(bounds) - 1 == max(1, -(-work[-1] // size))
    for k in range(1, len(bounds) - 1):
        i = bounds[k]
        assert work[i] >= k * size and (i == 0 or work[i - 1] < k * size)
    np.testing.assert_array_equal(sparse.block_bounds(indptr.astype(np.int32), width),
                                  bounds)
    return bounds


@given(st.lists(st.integers(0, 2_000_000), min_size=1, max_size=60),
       st.integers(1, 40_000), st.integers(0, 2_000_000))
def test_block_bounds_on_drawn_rows(row_nnz, width, start):
    _check_bounds(start + np.concatenate([[0], np.cumsum(row_nnz)]).astype(np.int64),
                  width)


def test_block_bounds_of_a_long_matrix():
    """About 25 blocks; empty rows, one row longer than a block (the next
    block is empty), and a width large enough to set the block size."""
    rng = np.random.default_rng(6)
    row_nnz = rng.integers(0, 2000, 20_000)
    row_nnz[::7] = 0
    row_nnz[5000] = 3 * sparse.BLOCK_WORK
    indptr = np.concatenate([[0], np.cumsum(row_nnz)]).astype(np.int64)
    bounds = _check_bounds(indptr, 100)
    assert len(bounds) - 1 >= 20
    assert np.any(np.diff(bounds) == 0)
    wide = _check_bounds(indptr, 2 * sparse.BLOCK_WORK // sparse.WIDTH_WORK)
    assert len(wide) - 1 == -(-(len(bounds) - 1) // 2)


def test_a_wide_pass_is_shared_out_within_the_nonzeros_budget():
    """A partial row as long as many rows' nonzeros (500,000 columns, 10
    million nonzeros) still gives MIN_BLOCKS blocks, whose partials hold no
    more numbers than X has nonzeros; a wider one, as many blocks as fit."""
    indptr = np.arange(0, 10_000_001, 50, dtype=np.int64)
    assert len(sparse.block_bounds(indptr, 500_005)) - 1 == sparse.MIN_BLOCKS
    for width in (4_000_000, 9_000_000, 20_000_000):
        blocks = len(_check_bounds(indptr, width)) - 1
        assert blocks * width <= max(width, 10_000_000)
        assert blocks == max(1, min(sparse.MIN_BLOCKS, 10_000_000 // width))


def _many_blocks_case(d):
    """Enough work for several blocks (about 3.2 million nonzeros plus rows),
    built directly: 12 random columns a row."""
    rng = np.random.default_rng(5)
    n, k = 200_000, 12
    indptr = (np.arange(n + 1) * k).astype(np.int32)
    indices = rng.integers(0, d, n * k).astype(np.int32)
    data = rng.standard_normal(n * k)
    return (data, indices, indptr, (rng.random(n) < 0.5) * 1.0, rng.uniform(0, 2, n),
            rng.standard_normal(d) * 0.3, rng.integers(0, 3, n) * 1.0,
            rng.standard_normal((3, d)) * 0.3)


@pytest.fixture
def restore_threads():
    before = numba.get_num_threads()
    yield
    numba.set_num_threads(before)


def test_bitwise_across_threads(restore_threads):
    """Fixed blocks reduced in a fixed order: the same bits for 1 and 2 threads
    and for the serial pass; several blocks and (d > REDUCE_COLUMNS) several
    column slices of the parallel reduction, or the test shows nothing."""
    assert numba.config.NUMBA_NUM_THREADS >= 2, "this test needs two threads to mean much"
    d = 3000
    data, indices, indptr, y, sw, w, yk, W = _many_blocks_case(d)
    assert len(sparse.block_bounds(indptr, d + 5)) - 1 >= 3
    assert d + 5 > sparse.REDUCE_COLUMNS
    runs = []
    for threads in (1, 2):
        numba.set_num_threads(threads)
        tb, tm = np.zeros(d + 5), np.zeros(3 * d + 6)
        sparse.binary_partials(data, indices, indptr, y, sw, w, 0.1, True, tb, True)
        sparse.multinomial_partials(data, indices, indptr, yk, sw, W, np.zeros(3), True, tm)
        runs.append((tb, tm))
    serial_b, serial_m = np.zeros(d + 5), np.zeros(3 * d + 6)
    sparse.binary_partials(data, indices, indptr, y, sw, w, 0.1, False, serial_b, True)
    sparse.multinomial_partials(data, indices, indptr, yk, sw, W, np.zeros(3), False,
                                serial_m)
    for got in (runs[0][0], runs[1][0]):
        np.testing.assert_array_equal(got, serial_b)
    for got in (runs[0][1], runs[1][1]):
        np.testing.assert_array_equal(got, serial_m)


# --- hypothesis: shapes and values beyond the grid -------------------------------

@st.composite
def csr_cases(draw):
    n = draw(st.integers(1, 60))
    d = draw(st.integers(1, 12))
    values = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False, width=32)
    X = draw(hnp.arrays(np.float64, (n, d), elements=values))
    X[~draw(hnp.arrays(np.bool_, (n, d)))] = 0.0  # sparsity pattern drawn too
    A = sp.csr_matrix(X)
    y = draw(hnp.arrays(np.float64, n, elements=st.sampled_from([0.0, 1.0])))
    sw = draw(hnp.arrays(np.float64, n, elements=st.floats(0, 10, width=32)))
    if sw.sum() == 0:
        sw[0] = 1.0
    w = draw(hnp.arrays(np.float64, d, elements=st.floats(-3, 3, width=32)))
    b = draw(st.floats(-10, 10))
    return A, X, y, sw, w, b


@given(csr_cases())
def test_binary_partials_match_oracle_on_drawn_data(case):
    A, X, y, sw, w, b = case
    d = X.shape[1]
    total = np.zeros(d + 5)
    sparse.binary_partials(A.data, A.indices, A.indptr, y, sw, w, b, True, total, True)
    S = sw.sum()
    J, dw, db = ref.loss_and_gradient(X, y, w, b, sample_weight=sw)
    np.testing.assert_allclose(total[d + 1] / S, J, rtol=1e-10)
    # a few ulps of the terms' size per column (|residual| <= 1), as in the dense test
    tol = 1e-10 * (sw @ np.abs(X) / S + 1.0)
    assert np.all(np.abs(total[:d] / S - dw) <= tol)
    assert abs(total[d] / S - db) <= 1e-10
    z = np.empty(X.shape[0])
    sparse.decision_function(A.data, A.indices, A.indptr, w, b, z)
    np.testing.assert_allclose(z, X @ w + b, rtol=1e-10,
                               atol=1e-10 * (np.abs(X) @ np.abs(w) + abs(b)).max())

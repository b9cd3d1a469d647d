"""The batched pass (kernels/batched.py): M models from one read of X, each
model checked against the NumPy oracle, and the sources' batched sums."""

from dataclasses import replace

import numba
import numpy as np
import pytest

from fastlogreg.comparisons import COMPARISONS, MAKERS, RTOL, max_rel_error
from fastlogreg.kernels import batched
from fastlogreg.sources import CSR, InMemory, Mapped

NAMES = [name for name, c in COMPARISONS.items() if c.kind.startswith("batched")]


@pytest.mark.parametrize("layout", ["C", "F"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("shape", [(2, 3), (203, 5), (2100, 17)])
@pytest.mark.parametrize("name", NAMES)
def test_each_model_matches_oracle(name, shape, dtype, layout):
    kind = COMPARISONS[name].kind
    case = MAKERS[kind](*shape, dtype=dtype, layout=layout, n_models=5, n_folds=2)
    err = max_rel_error(COMPARISONS[name].fast(case), COMPARISONS[name].oracle(case))
    assert err <= RTOL[np.dtype(dtype)], f"{name}: relative error {err:.3g}"


@pytest.mark.parametrize("kind", ["batched", "batched_multinomial"])
def test_zero_weight_rows_and_extremes(kind):
    """Held-out rows (weight 0) count for nothing even at huge logits, and a
    model whose fold weights are all 0 but one row is still finite."""
    case = MAKERS[kind](300, 4, n_models=4, n_folds=4, seed=3)
    X = case.X.copy()
    X[::4] *= 1e150  # rows of fold 0's held-out set: logits ~1e150
    sw = case.sample_weight.copy()
    sw[3, :] = 0.0
    sw[3, 1] = 1.0
    extreme = replace(case, X=X, sample_weight=sw)
    name = "batched_loss_grad" if kind == "batched" else "batched_multinomial_loss_grad"
    got = COMPARISONS[name].fast(extreme)
    for value in got.values():
        assert np.all(np.isfinite(value))
    # model 0 (fold 0) never sees the scaled rows: same as with the plain X
    plain = COMPARISONS[name].fast(case)
    np.testing.assert_allclose(got["dW"][0], plain["dW"][0], rtol=1e-12)
    np.testing.assert_allclose(got["loss"][0], plain["loss"][0], rtol=1e-12)


@pytest.mark.parametrize("layout", ["C", "F"])
@pytest.mark.parametrize("kind", ["batched", "batched_multinomial"])
def test_bitwise_serial_parallel(kind, layout):
    """Fixed tasks reduced in task order: the same bits for any thread count."""
    case = MAKERS[kind](20_000, 9, dtype=np.float32, layout=layout, n_models=7)
    fold_of = np.arange(7) % 3
    serial = batched.model_sums(case.X, case.y, case.sample_weight, fold_of, case.w,
                                case.b, False, True)
    before = numba.get_num_threads()
    try:
        for threads in range(1, numba.config.NUMBA_NUM_THREADS + 1):
            numba.set_num_threads(threads)
            par = batched.model_sums(case.X, case.y, case.sample_weight, fold_of,
                                     case.w, case.b, True, True)
            np.testing.assert_array_equal(par, serial)
    finally:
        numba.set_num_threads(before)


def test_need_grad_false_keeps_loss_hits_weight():
    case = MAKERS["batched"](500, 6, n_models=3)
    fold_of = np.arange(3) % 3
    full = batched.model_sums(case.X, case.y, case.sample_weight, fold_of, case.w, case.b,
                              False, True)
    part = batched.model_sums(case.X, case.y, case.sample_weight, fold_of, case.w, case.b,
                              False, False)
    np.testing.assert_array_equal(part[:, 6:], full[:, 6:])
    assert not part[:, :6].any()


def test_one_model_is_the_single_pass():
    """M = 1 with the sample weights as its fold gives the single-model sums."""
    case = MAKERS["binary"](700, 8, weighted=True)
    src = InMemory(case.X, case.y, case.sample_weight)
    single = src.binary_sums(case.w, case.b, True)
    many = src.batched_sums(case.w[None], np.array([case.b]), case.sample_weight[None],
                            np.zeros(1, dtype=np.int64))
    np.testing.assert_allclose(many[0], single, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", ["batched", "batched_multinomial"])
def test_sources_agree(kind, tmp_path, monkeypatch):
    """InMemory, Mapped (in several chunks) and CSR (the per-model default)
    give the same sums."""
    import scipy.sparse as sp

    from fastlogreg import _mapping

    case = MAKERS[kind](3000, 6, n_models=4, n_folds=2)
    fold_of = np.arange(4) % 2
    want = InMemory(case.X, case.y, np.ones(3000)).batched_sums(
        case.w, case.b, case.sample_weight, fold_of)
    path = tmp_path / "X.npy"
    np.save(path, case.X)
    Xm = np.load(path, mmap_mode="r")
    monkeypatch.setattr(_mapping, "CHUNK_BYTES", 16 * 1024)
    mapped = Mapped(Xm, case.y, np.ones(3000))
    assert len(list(mapped._chunks())) > 1
    got = mapped.batched_sums(case.w, case.b, case.sample_weight, fold_of)
    np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-11)
    csr = CSR(sp.csr_matrix(case.X), case.y, np.ones(3000))
    got = csr.batched_sums(case.w, case.b, case.sample_weight, fold_of)
    np.testing.assert_allclose(got[:, :-1] if kind == "batched" else got,
                               want[:, :-1] if kind == "batched" else want,
                               rtol=1e-11, atol=1e-11)


def test_csr_bitwise_serial_parallel():
    """CSR X in several blocks of rows (1.35 million nonzeros), each block's
    class-minor partials reduced in block order: the same bits serial and
    parallel, on any thread count."""
    from fastlogreg.kernels import sparse

    case = MAKERS["batched_sparse"](6000, 1000, density=0.3, n_models=5, n_folds=5)
    X = case.X
    assert len(sparse.block_bounds(X.indptr, 5 * (1000 + 5))) - 1 >= 2
    fold_of = np.arange(5)

    def sums(parallel):
        total = np.zeros((5, 1005))
        sparse.batched_partials(X.data, X.indices, X.indptr, case.y, case.sample_weight,
                                fold_of, case.w, case.b, parallel, True, np.inf, total)
        return total

    serial = sums(False)
    before = numba.get_num_threads()
    try:
        for threads in range(1, numba.config.NUMBA_NUM_THREADS + 1):
            numba.set_num_threads(threads)
            np.testing.assert_array_equal(sums(True), serial)
    finally:
        numba.set_num_threads(before)
    # and the scoring pass: no gradient, each row's loss capped
    total = np.zeros((5, 1005))
    sparse.batched_partials(X.data, X.indices, X.indptr, case.y, case.sample_weight, fold_of,
                            case.w * 1e3, case.b, True, False, batched.LOSS_CAP, total)
    assert not total[:, :1000].any() and np.all(total[:, 1001] > 0)
    assert np.all(total[:, 1001] <= batched.LOSS_CAP * case.sample_weight.sum(axis=1))


@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_csr_zero_weight_rows_extremes_and_index_types(index_dtype):
    """The batched CSR pass with 64-bit indices too: held-out rows (weight 0)
    count for nothing even at logits near 1e150, a model whose fold keeps one
    row is finite, and each model still matches the oracle."""
    case = MAKERS["batched_sparse"](400, 30, density=0.2, n_models=4, n_folds=4,
                                    dtype=np.float32, index_dtype=index_dtype, seed=2)
    assert case.X.indices.dtype == index_dtype
    name = "batched_sparse_loss_grad_parallel"
    err = max_rel_error(COMPARISONS[name].fast(case), COMPARISONS[name].oracle(case))
    assert err <= RTOL[np.dtype(np.float32)]
    X = case.X.astype(np.float64)
    rows = np.repeat(np.arange(400), np.diff(X.indptr))
    X.data[rows % 4 == 0] *= 1e150  # fold 0's held-out rows
    sw = case.sample_weight.copy()
    sw[3, :] = 0.0
    sw[3, 1] = 1.0
    extreme = replace(case, X=X, sample_weight=sw)
    got = COMPARISONS[name].fast(extreme)
    for value in got.values():
        assert np.all(np.isfinite(value))
    plain = COMPARISONS[name].fast(replace(case, X=case.X.astype(np.float64)))
    np.testing.assert_allclose(got["dW"][0], plain["dW"][0], rtol=1e-12)
    np.testing.assert_allclose(got["loss"][0], plain["loss"][0], rtol=1e-12)

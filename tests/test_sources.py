"""Sources: every kind of data gives the passes of the in-memory arrays.

The memory-mapped source is compared bit for bit with the in-memory one (its
chunks are whole blocks, so the sums are added in the same order); the peak
RSS of a fit on a file shows the file never becomes resident.
"""

import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from conftest import PEAK_RSS
from fastlogreg import LogisticRegression, _mapping
from fastlogreg.comparisons import make_case, make_multinomial_case
from fastlogreg.solvers import BinaryProblem, MultinomialProblem
from fastlogreg.sources import InMemory, Mapped, as_source


def _to_file(tmp_path, X, mode="r"):
    """``X`` written to a file and mapped back in ``mode`` (same layout)."""
    order = "F" if X.flags.f_contiguous and not X.flags.c_contiguous else "C"
    path = tmp_path / "X.bin"
    out = np.memmap(path, dtype=X.dtype, mode="w+", shape=X.shape, order=order)
    out[:] = X
    out.flush()
    del out
    return np.memmap(path, dtype=X.dtype, mode=mode, shape=X.shape, order=order)


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 64 KiB, so that a few-MB file is read in many chunks."""
    monkeypatch.setattr(_mapping, "CHUNK_BYTES", 64 * 1024)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["C", "F"])
@pytest.mark.parametrize("n_features", [3, 40])
def test_mapped_binary_pass_is_bitwise_in_memory(tmp_path, small_chunks, dtype, layout,
                                                n_features):
    case = make_case(20_011, n_features, dtype=np.dtype(dtype), layout=layout,
                     weighted=True, alpha=0.3)
    Xm = _to_file(tmp_path, case.X)
    mapped = as_source(Xm, case.y, case.sample_weight)
    memory = as_source(case.X, case.y, case.sample_weight)
    assert isinstance(mapped, Mapped) and isinstance(memory, InMemory)
    for need_loss in (True, False):
        np.testing.assert_array_equal(mapped.binary_sums(case.w, case.b, need_loss),
                                      memory.binary_sums(case.w, case.b, need_loss))
    out_m, out_i = np.empty(n_features + 3), np.empty(n_features + 3)
    mapped.binary_pass(case.w, case.b, case.alpha, out_m)
    memory.binary_pass(case.w, case.b, case.alpha, out_i)
    np.testing.assert_array_equal(out_m, out_i)
    assert mapped.sq_norm_sum() == pytest.approx(memory.sq_norm_sum(), rel=1e-12)


@pytest.mark.parametrize("layout", ["C", "F"])
def test_mapped_multinomial_pass_is_bitwise_in_memory(tmp_path, small_chunks, layout):
    case = make_multinomial_case(9_001, 12, 4, dtype=np.dtype(np.float32), layout=layout,
                                 weighted=True)
    Xm = _to_file(tmp_path, case.X)
    mapped = as_source(Xm, case.y, case.sample_weight)
    assert isinstance(mapped, Mapped)
    np.testing.assert_array_equal(
        mapped.multinomial_sums(case.w, case.b),
        as_source(case.X, case.y, case.sample_weight).multinomial_sums(case.w, case.b))


@pytest.mark.parametrize("solver", ["lbfgs", "gd", "nesterov"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_fit_on_a_mapped_file_is_the_in_memory_fit(tmp_path, small_chunks, solver,
                                                   n_classes):
    from sklearn.datasets import make_classification

    X, y = make_classification(6_000, 15, n_informative=6, n_classes=n_classes,
                               random_state=1)
    Xm = _to_file(tmp_path, X)
    before = np.array(Xm)
    kw = dict(solver=solver, max_iter=20, tol=1e-12)  # 20 iterations of each
    with pytest.warns(ConvergenceWarning):
        a = LogisticRegression(**kw).fit(Xm, y)
    with pytest.warns(ConvergenceWarning):
        b = LogisticRegression(**kw).fit(X, y)
    if solver == "gd" and n_classes == 2:
        # binary gd in memory runs its epochs in compiled code (dense.gd_epochs),
        # whose update rounds differently from the per-epoch loop that reads a
        # file: tens of ulps after 20 epochs (docs/user_guide/promises.rst); the file's
        # fit is, bit for bit, that loop's (test_mapped_gd_is_the_per_epoch_loop)
        np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(a.intercept_, b.intercept_, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(a.predict_proba(Xm), b.predict_proba(X), rtol=1e-13)
    else:  # bit for bit
        np.testing.assert_array_equal(a.coef_, b.coef_)
        np.testing.assert_array_equal(a.intercept_, b.intercept_)
        np.testing.assert_array_equal(a.predict_proba(Xm), b.predict_proba(X))
    np.testing.assert_array_equal(np.asarray(Xm), before)  # the file is untouched


def test_mapped_gd_is_the_per_epoch_loop(tmp_path, small_chunks):
    """Binary gd on a file is, bit for bit, gd's per-epoch Python loop over the
    same rows in memory (a Mapped source over an in-memory array takes it)."""
    from sklearn.datasets import make_classification

    from fastlogreg import solvers
    from fastlogreg.estimator import alpha_from_C

    X, y = make_classification(6_000, 15, n_informative=6, random_state=1)
    Xm = _to_file(tmp_path, X)
    with pytest.warns(ConvergenceWarning):
        model = LogisticRegression(solver="gd", learning_rate=0.5, max_iter=20,
                                   tol=1e-12).fit(Xm, y)
    yf, sw = y.astype(np.float64), np.ones(6_000)
    problem = BinaryProblem(Mapped(X, yf, sw), yf, sw, alpha=alpha_from_C(1.0, 6_000.0))
    assert not problem.has_compiled_gd
    loop = solvers.gd(problem, np.zeros(16), learning_rate=0.5, max_iter=20, tol=1e-12)
    np.testing.assert_array_equal(model.coef_.ravel(), loop.theta[:15])
    np.testing.assert_array_equal(model.intercept_, loop.theta[15:])


@pytest.mark.parametrize("n_classes", [2, 3])
def test_sgd_on_a_mapped_file_shuffles_within_chunks(tmp_path, small_chunks, n_classes):
    """An epoch over a file visits chunk after chunk, each chunk's rows in the
    order the shuffle gives them, each chunk an epoch over its own rows and
    weights: checked against the NumPy oracle run chunk by chunk, and shown to
    differ from one epoch in the global order."""
    from fastlogreg import reference

    case = make_multinomial_case(5_000, 15, n_classes, weighted=True) if n_classes > 2 \
        else make_case(5_000, 15, weighted=True)
    Xm = _to_file(tmp_path, case.X)
    problem = (MultinomialProblem(Xm, case.y, case.sample_weight, n_classes=n_classes,
                                  alpha=0.01) if n_classes > 2 else
               BinaryProblem(Xm, case.y, case.sample_weight, alpha=0.01))
    assert isinstance(problem.data, Mapped)
    order = np.random.default_rng(3).permutation(5_000)
    theta = np.zeros(problem.n_params)
    problem.minibatch_epoch(theta, order, 64, 0.1, np.empty(2))
    W, b = problem.split(np.zeros(problem.n_params))
    W, b = W.copy(), (b.copy() if n_classes > 2 else 0.0)
    bounds = list(_mapping.row_chunks(5_000, 15 * case.X.itemsize))
    assert len(bounds) > 3
    for lo, hi in bounds:
        mine = order[(order >= lo) & (order < hi)] - lo
        W, b, _, _ = reference.minibatch_epoch(
            case.X[lo:hi], case.y[lo:hi], W, b, mine, 64, 0.1, alpha=0.01,
            sample_weight=case.sample_weight[lo:hi])
    chunked = np.concatenate([np.ravel(W), np.atleast_1d(b)])
    np.testing.assert_allclose(theta, chunked, rtol=1e-9, atol=1e-12)
    W0, b0 = problem.split(np.zeros(problem.n_params))
    W0, b0 = W0.copy(), (b0.copy() if n_classes > 2 else 0.0)
    W1, b1, _, _ = reference.minibatch_epoch(case.X, case.y, W0, b0, order, 64, 0.1,
                                             alpha=0.01, sample_weight=case.sample_weight)
    whole = np.concatenate([np.ravel(W1), np.atleast_1d(b1)])
    assert np.abs(whole - theta).max() > 1e-6  # not the global order's epoch


def test_copy_on_write_maps_are_read_whole(tmp_path, small_chunks):
    """A mode "c" map may hold the caller's unsaved changes in private pages,
    which releasing would discard: it is read as an in-memory array."""
    X = np.random.default_rng(0).standard_normal((5_000, 10))
    Xc = _to_file(tmp_path, X, mode="c")
    Xc[0, 0] = 42.0  # the caller's change, in memory only
    y = (np.arange(5_000) % 2).astype(float)
    assert isinstance(as_source(Xc, y, np.ones(5_000)), InMemory)
    LogisticRegression(max_iter=5, tol=1e-2).fit(Xc, y)
    assert Xc[0, 0] == 42.0


def test_nan_in_the_last_chunk_of_a_file_is_reported(tmp_path, small_chunks):
    X = np.random.default_rng(0).standard_normal((5_000, 10))
    X[-1, -1] = np.nan
    y = np.arange(5_000) % 2
    with pytest.raises(ValueError, match="X contains NaN"):
        LogisticRegression().fit(_to_file(tmp_path, X), y)


@pytest.mark.slow
def test_a_file_larger_than_a_chunk_never_becomes_resident(tmp_path):
    """Peak RSS of a fit and a prediction on a 320 MB float32 file, read in
    16 MiB chunks, grows by well under the file's size; the model equals the
    in-memory fit."""
    n, d = 800_000, 100
    path = tmp_path / "X.npy"
    X = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, d))
    rng = np.random.default_rng(0)
    for lo in range(0, n, 100_000):
        X[lo:lo + 100_000] = rng.standard_normal((100_000, d), dtype=np.float32)
    X.flush()
    del X
    code = PEAK_RSS + textwrap.dedent(f"""
        import warnings
        import numpy as np
        from fastlogreg import LogisticRegression, _mapping
        X = np.load({str(path)!r}, mmap_mode="r")
        y = (np.arange(X.shape[0]) % 3 == 0).astype(int)
        # compile (or load) outside the measurement what the file will run:
        # the chunked passes and predictions, on chunks large enough for threads
        _mapping.CHUNK_BYTES = 1024 * 1024
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            LogisticRegression(max_iter=2).fit(X[:20000], y[:20000]).predict_proba(
                X[:20000])
        _mapping.CHUNK_BYTES = 16 * 1024 * 1024
        base = reset_peak()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = LogisticRegression(max_iter=5).fit(X, y)
        p = model.predict_proba(X)
        grown = peak() - base - p.nbytes
        np.save({str(tmp_path / "coef.npy")!r}, model.coef_)
        print(grown / X.nbytes)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    # one 16 MiB chunk resident at a time: 0.06 of the file here; without
    # releasing the pages (_mapping.release a no-op), 1.04
    assert float(out.stdout) < 0.15, out.stdout
    X = np.load(path)
    y = (np.arange(n) % 3 == 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference = LogisticRegression(max_iter=5).fit(X, y)
    np.testing.assert_array_equal(np.load(tmp_path / "coef.npy"), reference.coef_)


def test_problems_take_a_source():
    case = make_case(500, 4, weighted=True)
    source = InMemory(case.X, case.y, case.sample_weight)
    a = BinaryProblem(source, case.y, case.sample_weight, alpha=0.1)
    b = BinaryProblem(case.X, case.y, case.sample_weight, alpha=0.1)
    theta = np.r_[case.w, case.b]
    np.testing.assert_array_equal(a.evaluate(theta), b.evaluate(theta))
    assert a.data is source
    m = make_multinomial_case(300, 4, 3)
    p = MultinomialProblem(m.X, m.y, m.sample_weight, n_classes=3)
    assert p.n_samples == 300 and p.n_params == 15


@pytest.mark.parametrize(("n", "d", "layout", "copied"), [
    (1000, 10, "C", True),       # the notebook's shape: gd reads a column-major copy
    (1000, 16, "C", True),       # the widest rows copied (dense.SHORT_ROW)
    (1000, 17, "C", False),      # longer rows: the row sweep is the right one
    (1000, 10, "F", False),      # already column-major
    (300_000, 10, "C", False),   # 24 MB: bandwidth-bound, a copy would only cost memory
])
def test_gd_reads_small_short_rowed_c_data_from_a_column_major_copy(n, d, layout,
                                                                     copied):
    case = make_case(n, d, layout=layout, weighted=True)
    before = case.X.copy()
    source = InMemory(case.X, case.y, case.sample_weight)
    Xe = source.epoch_X
    assert (Xe is not case.X) == copied
    if copied:
        assert Xe.flags.f_contiguous and not np.shares_memory(Xe, case.X)
        np.testing.assert_array_equal(Xe, case.X)
    # the copy is only a layout: gd on C data is gd on the same data in F order,
    # bit for bit (every pass reads the F copy), and the caller's X is untouched
    if copied:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # 30 steps, tol=0
            fits = [LogisticRegression(solver="gd", max_iter=30, tol=0.0, C=10.0)
                    .fit(X, case.y, sample_weight=case.sample_weight)
                    for X in (case.X, np.asfortranarray(case.X))]
        np.testing.assert_array_equal(fits[0].coef_, fits[1].coef_)
        np.testing.assert_array_equal(fits[0].intercept_, fits[1].intercept_)
    np.testing.assert_array_equal(case.X, before)


# --- sparse ------------------------------------------------------------------------

def _sparse_data(n_classes, dtype, index_dtype, seed=0):
    import scipy.sparse as sp
    from sklearn.datasets import make_classification

    X, y = make_classification(3_000, 40, n_informative=10, n_classes=n_classes,
                               random_state=seed)
    X[np.abs(X) < 1.0] = 0.0  # about 40% nonzero; some rows and a column empty
    X[5] = 0.0
    X[:, 7] = 0.0
    X = X.astype(dtype)
    Xs = sp.csr_matrix(X)
    Xs.indices = Xs.indices.astype(index_dtype)
    Xs.indptr = Xs.indptr.astype(index_dtype)
    return X, Xs, y


@pytest.mark.parametrize("solver", ["lbfgs", "gd", "nesterov", "sgd"])
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize(("dtype", "index_dtype"), [(np.float64, np.int32),
                                                    (np.float32, np.int64)])
def test_sparse_fit_is_the_dense_fit(solver, n_classes, dtype, index_dtype):
    X, Xs, y = _sparse_data(n_classes, dtype, index_dtype)
    weight = np.random.default_rng(0).uniform(0, 2, X.shape[0])
    kw = dict(solver=solver, max_iter=30, tol=1e-12, random_state=0, C=0.3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 30 iterations of each
        a = LogisticRegression(**kw).fit(Xs, y, sample_weight=weight)
        b = LogisticRegression(**kw).fit(X, y, sample_weight=weight)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(a.intercept_, b.intercept_, rtol=1e-9, atol=1e-12)
    for method in ("decision_function", "predict_proba"):  # logits of order 1
        np.testing.assert_allclose(getattr(a, method)(Xs), getattr(b, method)(X),
                                   rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize(("dtype", "index_dtype"), [(np.float32, np.int64),
                                                    (np.float64, np.int32)])
def test_canonical_csr_is_read_in_place(dtype, index_dtype):
    """A fit and a prediction allocate far less than X's data or indices: any
    conversion (float32 to float64, int64 indices to int32, a copy) would
    allocate at least one of them whole."""
    import tracemalloc

    sp = pytest.importorskip("scipy.sparse")
    Xs = sp.random(4_000, 500, density=0.25, format="csr", random_state=0, dtype=dtype)
    Xs.indices = Xs.indices.astype(index_dtype)
    Xs.indptr = Xs.indptr.astype(index_dtype)
    assert Xs.has_canonical_format
    y = np.arange(4_000) % 3
    with warnings.catch_warnings():  # compile (or load) the passes outside the trace
        warnings.simplefilter("ignore", ConvergenceWarning)
        LogisticRegression(max_iter=1).fit(Xs, y).decision_function(Xs)
    smallest = min(Xs.data.nbytes, Xs.indices.nbytes)
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = LogisticRegression(max_iter=5).fit(Xs, y)
        model.decision_function(Xs)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # the logits (4000 x 3 float64, 96 kB), per-row vectors and the passes'
    # block partials (a few hundred kB) are allowed
    assert peak < smallest / 2, (peak, smallest)


def test_other_sparse_formats_are_converted_to_csr():
    _, Xs, y = _sparse_data(2, np.float64, np.int32)
    a = LogisticRegression().fit(Xs.tocsc(), y)
    b = LogisticRegression().fit(Xs.tocoo(), y)
    c = LogisticRegression().fit(Xs, y)
    np.testing.assert_array_equal(a.coef_, c.coef_)
    np.testing.assert_array_equal(b.coef_, c.coef_)
    np.testing.assert_array_equal(a.predict(Xs.tocsc()), c.predict(Xs))


def test_sparse_input_is_not_modified():
    _, Xs, y = _sparse_data(3, np.float32, np.int32)
    before = [a.copy() for a in (Xs.data, Xs.indices, Xs.indptr)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 3 epochs
        LogisticRegression(solver="sgd", max_iter=3, random_state=0).fit(Xs, y)
    for a, b in zip((Xs.data, Xs.indices, Xs.indptr), before, strict=True):
        np.testing.assert_array_equal(a, b)


def test_repeated_sparse_entries_are_summed_in_a_copy():
    import scipy.sparse as sp

    _, Xs, y = _sparse_data(2, np.float64, np.int32)
    # every entry stored twice, as two exact halves: a valid, non-canonical CSR
    twice = sp.csr_matrix((np.repeat(Xs.data / 2, 2), np.repeat(Xs.indices, 2),
                           2 * Xs.indptr), shape=Xs.shape)
    assert not twice.has_canonical_format
    before = twice.data.copy()
    a = LogisticRegression().fit(twice, y)
    b = LogisticRegression().fit(Xs, y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    np.testing.assert_array_equal(twice.data, before)  # the caller's X is untouched
    assert twice.nnz == 2 * Xs.nnz


@pytest.mark.parametrize("bad", [-1, 7, 2**31 - 1])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_csr_index_out_of_range(bad, n_classes):
    """The fuzz's segfault: one column index outside [0, n_features) in a CSR X.
    The CSR source refuses it before any pass, for fit and for predict."""
    sp = pytest.importorskip("scipy.sparse")
    X = sp.random(60, 7, density=0.5, format="csr", random_state=0)
    y = np.arange(60) % n_classes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 3 iterations
        model = LogisticRegression(max_iter=3).fit(X, y)
    X.indices[5] = bad
    for solver in ("lbfgs", "sgd"):
        with pytest.raises(ValueError, match=f"column index {bad} is out of range"):
            LogisticRegression(solver=solver, max_iter=3).fit(X, y)
    with pytest.raises(ValueError, match=f"column index {bad} is out of range"):
        model.predict(X)


def test_c_inf_is_the_unpenalised_optimum_and_float32_is_read_in_place():
    """C=np.inf fits the unpenalised objective: its gradient vanishes at the fit,
    which it does not for any finite C, and the fit is scikit-learn's. A float32
    F-ordered X is read in place: the fit allocates far less than X (a float64
    or C-ordered copy would allocate at least X's size). Replaces
    test_estimator.py's check at theta = 0, where no penalty shows."""
    import tracemalloc

    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression as SkLogisticRegression

    X, y = make_classification(20_000, 30, n_informative=10, flip_y=0.2, random_state=4)
    X32 = np.asfortranarray(X, dtype=np.float32)
    with warnings.catch_warnings():  # compile (or load) the passes outside the trace
        warnings.simplefilter("ignore", ConvergenceWarning)
        LogisticRegression(C=np.inf, max_iter=1).fit(X32, y)
    tracemalloc.start()
    try:
        model = LogisticRegression(C=np.inf, tol=1e-10, max_iter=1000).fit(X32, y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < X32.nbytes / 4, (peak, X32.nbytes)
    yf, sw = y.astype(np.float64), np.ones(len(y))
    theta = np.r_[model.coef_.ravel(), model.intercept_].astype(np.float64)
    unpenalised = BinaryProblem(X32, yf, sw, alpha=0.0)
    # coef_ is float32 for float32 X: its rounding leaves a gradient of ~1e-7
    assert np.abs(unpenalised.evaluate(theta)[:31]).max() < 1e-6
    penalised = LogisticRegression(C=1e-3, tol=1e-10, max_iter=1000).fit(X32, y)
    theta_c = np.r_[penalised.coef_.ravel(), penalised.intercept_].astype(np.float64)
    assert np.abs(unpenalised.evaluate(theta_c)[:31]).max() > 1e-4
    sk = SkLogisticRegression(C=np.inf, tol=1e-10, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(model.coef_, sk.coef_, rtol=1e-4, atol=1e-6)


def test_f_ordered_file_chunks_are_chunk_sized_copies(tmp_path, small_chunks):
    """Stated in docs/user_guide/promises.rst: a C-ordered file's row chunks are read in
    place (views of the mapping); an F-ordered file's are copied, one chunk at a
    time, into F-ordered buffers of at most a chunk (never X whole)."""
    X = np.random.default_rng(0).standard_normal((5_000, 10))
    for order in "CF":
        Xm = _to_file(tmp_path, np.asarray(X, order=order))
        assert _mapping.read_in_chunks(Xm)
        rows = 0
        for lo, hi, chunk in _mapping.chunks(Xm):
            rows += hi - lo
            np.testing.assert_array_equal(chunk, X[lo:hi])
            if order == "C":
                assert np.shares_memory(chunk, Xm)
            else:
                assert not np.shares_memory(chunk, Xm)
                assert chunk.flags.f_contiguous
                assert chunk.nbytes <= _mapping.CHUNK_BYTES
        assert rows == 5_000

"""Every dense kernel against the NumPy oracle (the registry in
``fastlogreg.comparisons``), on a fixed grid and on hypothesis-drawn data."""

import os
import subprocess
import sys

import numba
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conftest import cached_case
from fastlogreg import reference as ref
from fastlogreg.comparisons import (
    COMPARISONS,
    MAKERS,
    RTOL,
    Case,
    make_case,
    max_rel_error,
)
from fastlogreg.kernels import _math, dense
from fastlogreg.kernels import layout as kernel_layout

N_SAMPLES = [1, 2, 7, 1000, 100003]
N_FEATURES = [1, 3, 10, 257]
DTYPES = [np.float64, np.float32]
LAYOUTS = ["C", "F"]
# Each option on and off at least once, in four runs instead of eight.
OPTIONS = {
    "plain": dict(fit_intercept=True, weighted=False, alpha=0.0),
    "weights+l2": dict(fit_intercept=True, weighted=True, alpha=0.1),
    "no-intercept+weights": dict(fit_intercept=False, weighted=True, alpha=0.0),
    "no-intercept+l2": dict(fit_intercept=False, weighted=False, alpha=0.5),
}
ONE_STEP = ["loss_grad", "loss_grad_parallel", "gd_epoch", "minibatch_epoch",
            "decision_function"]


def _check(name: str, case: Case) -> None:
    comparison = COMPARISONS[name]
    err = max_rel_error(comparison.fast(case), comparison.oracle(case))
    assert err <= RTOL[case.X.dtype], f"{name}: relative error {err:.3g}"


def _big(n, d):
    return n * d > 1_000_000


@pytest.mark.parametrize("options", list(OPTIONS))
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("n_features", N_FEATURES)
@pytest.mark.parametrize("n_samples", N_SAMPLES)
@pytest.mark.parametrize("name", ONE_STEP)
def test_one_step_matches_oracle(name, n_samples, n_features, dtype, layout, options):
    case = cached_case(n_samples, n_features, dtype=dtype, layout=layout,
                       **OPTIONS[options])
    _check(name, case)


def _hundred_steps_params():
    for n in N_SAMPLES:
        for d in N_FEATURES:
            for options in OPTIONS:
                marks = [pytest.mark.slow] if _big(n, d) else []
                # the largest problem runs two option sets; the rest all four
                if _big(n, d) and options not in ("plain", "weights+l2"):
                    continue
                yield pytest.param(n, d, options, marks=marks, id=f"{n}x{d}-{options}")


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize(("n_samples", "n_features", "options"), list(_hundred_steps_params()))
def test_hundred_steps_match_oracle(n_samples, n_features, options, dtype, layout):
    case = cached_case(n_samples, n_features, dtype=dtype, layout=layout,
                       **OPTIONS[options])
    _check("gd_run", case)
    if n_samples >= 1000 and not _big(n_samples, n_features):
        _check("gd_run_parallel", case)


# --- extreme inputs ---------------------------------------------------------------

def _extreme_cases():
    # logits up to ~1e4: saturated sigmoid, loss ~ |z|
    big = make_case(1000, 10, scale=1.0, seed=5)
    X = np.asarray(big.X * (1e4 / 3), order="C")
    yield "logits-1e4", Case(X, big.y, big.sample_weight, np.ones(10), 5.0,
                             learning_rate=1e-6, order=big.order)
    # constant columns (zero variance) beside informative ones
    c = make_case(500, 6, weighted=True, alpha=0.1, seed=6)
    Xc = c.X.copy()
    Xc[:, 0] = 3.0
    Xc[:, 3] = 0.0
    yield "constant-columns", Case(Xc, c.y, c.sample_weight, c.w, c.b, alpha=0.1,
                                   order=c.order)
    # sorted labels walked in order: every mini-batch holds a single class
    s = make_case(640, 5, seed=7)
    yield "single-class-batches", Case(s.X, np.repeat([0.0, 1.0], 320), s.sample_weight,
                                       s.w, s.b, order=np.arange(640), batch_size=64)
    # zero-weight rows and a whole zero-weight batch
    z = make_case(256, 4, weighted=True, seed=8)
    sw = z.sample_weight.copy()
    sw[:64] = 0.0
    yield "zero-weight-batch", Case(z.X, z.y, sw, z.w, z.b, alpha=0.2,
                                    order=np.arange(256), batch_size=64)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize(("label", "case"), list(_extreme_cases()),
                         ids=[label for label, _ in _extreme_cases()])
@pytest.mark.parametrize("name", [*ONE_STEP, "gd_run"])
def test_extreme_inputs_match_oracle(name, label, case, layout):
    X = np.asarray(case.X, order=layout)
    case = Case(**{**case.__dict__, "X": X})
    result = COMPARISONS[name].fast(case)
    assert all(np.isfinite(v).all() for v in result.values())
    _check(name, case)


def test_single_class_batches_really_are_single_class():
    _, case = next(c for c in _extreme_cases() if c[0] == "single-class-batches")
    batches = case.y[case.order].reshape(-1, case.batch_size)
    assert all(len(np.unique(b)) == 1 for b in batches)


# --- hypothesis: shapes and values beyond the grid -------------------------------

@st.composite
def cases(draw):
    n = draw(st.integers(1, 120))
    d = draw(st.integers(1, 12))
    dtype = draw(st.sampled_from(DTYPES))
    values = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False, width=32)
    X = draw(hnp.arrays(dtype, (n, d), elements=values))
    X = np.asarray(X, order=draw(st.sampled_from(LAYOUTS)))
    y = draw(hnp.arrays(np.float64, n, elements=st.sampled_from([0.0, 1.0])))
    sw = draw(hnp.arrays(np.float64, n, elements=st.floats(0, 10, width=32)))
    if sw.sum() == 0:
        sw[0] = 1.0
    w = draw(hnp.arrays(np.float64, d, elements=st.floats(-3, 3, width=32)))
    b = draw(st.floats(-10, 10))
    alpha = draw(st.sampled_from([0.0, 0.01, 1.0]))
    batch_size = draw(st.integers(1, n))
    order = np.random.default_rng(draw(st.integers(0, 2**16))).permutation(n)
    return Case(X, y, sw, w, b, alpha=alpha, fit_intercept=draw(st.booleans()),
                learning_rate=1e-3, order=order, batch_size=batch_size)


def _tolerance(case: Case) -> np.ndarray:
    """Error bound of the gradient: a few ulps of sum_i s_i |x_ij| / S per column
    (|residual| <= 1), so cancelling sums are judged by their terms' size."""
    X = np.abs(case.X.astype(np.float64))
    return 1e-10 * (case.sample_weight @ X / case.sample_weight.sum() + 1.0)


@given(cases())
def test_loss_grad_matches_oracle_on_drawn_data(case):
    for name in ("loss_grad", "loss_grad_parallel"):
        got = COMPARISONS[name].fast(case)
        want = COMPARISONS[name].oracle(case)
        np.testing.assert_allclose(got["loss"], want["loss"], rtol=1e-10)
        err = np.abs(got["dw"] - want["dw"])
        assert np.all(err <= _tolerance(case)), (err, _tolerance(case))
        np.testing.assert_allclose(got["db"], want["db"], rtol=0, atol=1e-10)
        # accuracy can only differ where a logit sits within rounding of 0
        z = ref.forward(case.X, case.w, case.b)
        if np.min(np.abs(z - 0.5)) > 1e-9:
            np.testing.assert_allclose(got["accuracy"], want["accuracy"], rtol=1e-12)


@given(cases())
def test_minibatch_epoch_matches_oracle_on_drawn_data(case):
    got = COMPARISONS["minibatch_epoch"].fast(case)
    want = COMPARISONS["minibatch_epoch"].oracle(case)
    step = case.learning_rate * len(case.order)  # at most this many steps of size lr*grad
    np.testing.assert_allclose(got["w"], want["w"], rtol=1e-9,
                               atol=step * _tolerance(case).max())
    np.testing.assert_allclose(got["loss"], want["loss"], rtol=1e-9)


# --- determinism and memory ------------------------------------------------------

@pytest.fixture
def restore_threads():
    before = numba.get_num_threads()
    yield
    numba.set_num_threads(before)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
def test_bitwise_across_threads(dtype, layout, restore_threads):
    """Fixed blocks reduced in a fixed order: same bits for 1 and 2 threads,
    and the same bits as the serial pass."""
    case = cached_case(100003, 10, dtype=dtype, layout=layout, weighted=True, alpha=0.1)
    serial = COMPARISONS["loss_grad"].fast(case)
    runs = []
    for threads in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
        numba.set_num_threads(threads)
        runs.append((COMPARISONS["loss_grad_parallel"].fast(case),
                     COMPARISONS["gd_run_parallel"].fast(case)))
    assert numba.config.NUMBA_NUM_THREADS >= 2, "this test needs two threads to mean much"
    for key in serial:
        np.testing.assert_array_equal(runs[0][0][key], runs[1][0][key])
        np.testing.assert_array_equal(runs[0][0][key], serial[key])
    for key in runs[0][1]:
        np.testing.assert_array_equal(runs[0][1][key], runs[1][1][key])
    # several blocks, or the test shows nothing
    assert kernel_layout.block_count(case.X.shape[0], dense.pass_block_rows(case.X)) > 2


@pytest.mark.parametrize("order", LAYOUTS)
@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
def test_one_function_sizes_every_dense_block(dtype, order):
    """layout.block_rows sizes the binary pass's blocks (larger for F order)
    and the C-sized ones that multinomial.py and newton.py cut X by
    (dense.n_blocks counts those, whatever the layout); the sizes depend on
    the bytes of a row only and stay within their bounds."""
    for n, d in [(1, 1), (1000, 10), (100003, 10), (5000, 257), (10, 100000)]:
        X = np.zeros((n, d), dtype=dtype, order=order)
        c_rows = kernel_layout.block_rows(d, X.itemsize)
        f_rows = kernel_layout.block_rows(d, X.itemsize, True)
        assert kernel_layout.MIN_BLOCK_ROWS <= c_rows <= f_rows <= kernel_layout.MAX_BLOCK_ROWS
        is_f = order == "F" and d > 1  # a single column is C- and F-contiguous
        assert dense.pass_block_rows(X) == (f_rows if is_f else c_rows)
        assert dense.n_blocks(X) == kernel_layout.block_count(n, c_rows) == -(-n // c_rows)


def test_partial_row_layout_names_the_columns_of_a_pass():
    """The widths and named offsets of kernels/layout.py are those of a pass:
    the loss of loss_grad's out sits at n_params + LOSS, its accuracy at
    n_params + HITS, and add_partials' weight column sums the weights."""
    case = cached_case(1000, 10, weighted=True, alpha=0.1)
    d = 10
    assert kernel_layout.binary_width(d) == d + 5
    assert kernel_layout.multinomial_width(3, d) == 3 * d + 3 + 3
    out = COMPARISONS["loss_grad"].fast(case)
    J, acc = ref.evaluate(case.X, case.y, case.w, case.b, alpha=case.alpha,
                          sample_weight=case.sample_weight)
    total = np.zeros(kernel_layout.binary_width(d))
    dense.add_partials(case.X, case.y, case.sample_weight, case.w, case.b, False, total,
                       True)
    raw = np.empty(d + 3)
    dense.loss_grad(case.X, case.y, case.sample_weight, case.w, case.b, case.alpha, False,
                    raw)
    np.testing.assert_allclose(raw[d + 1 + kernel_layout.LOSS], J, rtol=1e-12)
    np.testing.assert_allclose(raw[d + 1 + kernel_layout.HITS], acc, rtol=1e-12)
    np.testing.assert_allclose(total[d + 1 + kernel_layout.WEIGHT], case.sample_weight.sum(),
                               rtol=1e-12)
    assert total[d + 1 + kernel_layout.PROBE] == 0.0
    np.testing.assert_array_equal(out["loss"], raw[d + 1 + kernel_layout.LOSS])


@pytest.mark.parametrize("name", list(COMPARISONS))
def test_kernels_never_write_their_inputs(name):
    kind = COMPARISONS[name].kind
    layout = {} if "sparse" in kind else {"layout": "F"}  # CSR cases have no layout
    case = MAKERS[kind](300, 7, dtype=np.float32, weighted=True, alpha=0.1, **layout)

    def arrays(c):
        out = {k: v for k, v in c.__dict__.items() if isinstance(v, np.ndarray)}
        if not isinstance(c.X, np.ndarray):  # CSR: its three arrays
            out.update(data=c.X.data, indices=c.X.indices, indptr=c.X.indptr)
        return out

    before = {k: np.copy(v) for k, v in arrays(case).items()}
    COMPARISONS[name].fast(case)
    after = arrays(case)
    for key, value in before.items():
        np.testing.assert_array_equal(after[key], value, err_msg=key)


# --- the vectorisable exp and log1p of kernels/_math.py ---------------------------

@numba.njit
def _map_exp(x, out):
    for i in range(x.shape[0]):
        out[i] = _math.exp_nonpos(x[i])


@numba.njit
def _map_log1p(x, out):
    for i in range(x.shape[0]):
        out[i] = _math.log1p_unit(x[i])


def test_vector_exp_log1p_match_libm():
    """The polynomial exp is within 1 ulp of libm on x <= 0 (subnormals within
    one subnormal step, -inf -> 0, nan -> nan); log1p within 2 ulp on [0, 1]."""
    import math

    rng = np.random.default_rng(0)
    x = -np.concatenate([rng.uniform(0, 746, 200_000), rng.uniform(0, 1, 100_000),
                         np.logspace(-320, np.log10(746), 20_000),
                         [0.0, 5e-324, 708.0, 709.0, 744.4, 745.1, 745.2, 1e300, np.inf]])
    got = np.empty_like(x)
    _map_exp(x, got)
    want = np.array([math.exp(v) for v in x])
    normal = want >= np.finfo(np.float64).tiny
    ulp = np.abs(got[normal] - want[normal]) / want[normal] / np.finfo(np.float64).eps
    assert ulp.max() <= 1.0
    assert np.abs(got[~normal] - want[~normal]).max() <= 5e-324
    special = np.empty(2)
    _map_exp(np.array([np.nan, -np.inf]), special)
    assert np.isnan(special[0]) and special[1] == 0.0

    e = np.concatenate([rng.random(200_000), np.logspace(-300, 0, 20_000), [0.0, 1.0]])
    got = np.empty_like(e)
    _map_log1p(e, got)
    want = np.array([math.log1p(v) for v in e])
    pos = want > 0
    ulp = np.abs(got[pos] - want[pos]) / want[pos] / np.finfo(np.float64).eps
    assert ulp.max() <= 2.0
    assert got[e == 0.0][0] == 0.0


@pytest.mark.parametrize("parallel", [False, True], ids=["serial", "parallel"])
@pytest.mark.parametrize("fit_intercept", [True, False], ids=["intercept", "none"])
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
def test_gd_first_pass_is_loss_grad_bit_for_bit(dtype, layout, fit_intercept, parallel):
    """solvers.gd takes its first pass from gd_epochs' code (a zero step): it
    must be loss_grad's pass, bit for bit, and leave w and b as they were."""
    case = cached_case(20011, 13, dtype=dtype, layout=layout, weighted=True, alpha=0.1)
    w = case.w.copy()
    w[0] = -0.0  # a signed zero must survive the zero step too
    b = np.array([case.b])
    want = np.empty(16)
    dense.loss_grad(case.X, case.y, case.sample_weight, w, b[0], case.alpha, parallel,
                    want)
    got = np.full(16, np.nan)
    w_before, b_before = w.copy(), b.copy()
    assert dense.gd_first_pass(case.X, case.y, case.sample_weight, w, b, case.alpha,
                               fit_intercept, parallel, got)
    np.testing.assert_array_equal(got, want)
    assert w.tobytes() == w_before.tobytes() and b.tobytes() == b_before.tobytes()


def test_gd_first_pass_reports_a_pass_that_is_not_finite():
    case = make_case(500, 5, seed=3)
    X = np.asarray(case.X * 1e300)
    w = case.w * 1e300
    b = np.array([0.0])
    want = np.empty(8)
    dense.loss_grad(X, case.y, case.sample_weight, w, 0.0, 0.0, False, want)
    assert not np.isfinite(want).all()
    got = np.empty(8)
    assert not dense.gd_first_pass(X, case.y, case.sample_weight, w, b, 0.0, True,
                                   False, got)
    np.testing.assert_array_equal(got, want)  # nan where loss_grad has nan


def test_gd_skipping_the_loss_still_stops_on_divergence():
    """Epochs between records skip the loss; a step that sends the logits to
    inf there must still stop the run and restore the last finite weights."""
    case = make_case(500, 5, seed=3)
    X = np.asarray(case.X * 1e150)
    w = case.w.copy()
    b = np.array([0.0])
    grad = np.empty(8)
    dense.loss_grad(X, case.y, case.sample_weight, w, 0.0, 0.0, False, grad)
    history = np.empty((10, 3))
    ran, _ = dense.gd_epochs(X, case.y, case.sample_weight, w, b, 1e160, 0.0, True,
                             False, 1, 5, 10, grad, history)
    assert ran < 5
    assert np.isfinite(w).all()


# --- Numba's cache and the threading layer ----------------------------------------------

_CACHE_CHILD = """
import numpy as np
from fastlogreg.kernels import dense
X = np.asarray(np.random.default_rng(0).standard_normal((3000, 10)), dtype=np.{dt},
               order="{order}")
y = (X[:, 0] > 0) * 1.0; s = np.ones(3000); w = np.zeros(10)
if "{fn}" == "loss_grad":
    dense.loss_grad(X, y, s, w, 0.0, 0.1, {par}, np.empty(13))
elif "{fn}" == "add_partials":
    dense.add_partials(X, y, s, w, 0.0, {par}, np.zeros(15), True)
else:
    g = np.empty(13); dense.loss_grad(X, y, s, w, 0.0, 0.1, {par}, g)
    dense.gd_epochs(X, y, s, w, np.zeros(1), 0.1, 0.0, True, {par}, 0, 5, 2, g,
                    np.zeros((10, 3)))
"""


def test_prefetch_off_needs_a_cache_of_its_own():
    """FASTLOGREG_PREFETCH=0 compiles kernels Numba's cache cannot tell from
    the hinted ones: without its own NUMBA_CACHE_DIR the import refuses."""
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["FASTLOGREG_PREFETCH"] = "0"
    done = subprocess.run([sys.executable, "-c", "import fastlogreg.kernels"], env=env,
                          capture_output=True, text=True)
    assert done.returncode != 0 and "NUMBA_CACHE_DIR" in done.stderr
    env["FASTLOGREG_PREFETCH"] = "1"
    code = "from fastlogreg.kernels import _prefetch; print(_prefetch.PREFETCH)"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == "True"


def test_importing_the_kernels_starts_the_threading_layer():
    code = ("import numba.np.ufunc.parallel as p, fastlogreg.kernels\n"
            "print(p._is_initialized)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "True"


@pytest.mark.slow
def test_kernels_loaded_from_a_shared_cache_do_not_crash(tmp_path):
    """21 processes share one fresh NUMBA_CACHE_DIR, each compiling or loading
    one kernel for one dtype, layout and thread setting. The last one loads a
    cached serial kernel that calls the parallel pass; before the kernels
    started Numba's threading layer at import, it crashed here (exit -11)."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    f32, f64 = "float32", "float64"
    steps = [("loss_grad", f64, True, "C"), ("gd", f32, False, "C"),
             ("loss_grad", f32, False, "C"), ("add_partials", f32, True, "C"),
             ("loss_grad", f32, False, "F"), ("add_partials", f64, False, "F"),
             ("add_partials", f64, False, "C"), ("add_partials", f64, False, "F"),
             ("gd", f64, True, "C"), ("add_partials", f64, True, "C"),
             ("loss_grad", f64, False, "C"), ("loss_grad", f32, False, "F"),
             ("add_partials", f64, False, "F"), ("loss_grad", f32, True, "C"),
             ("add_partials", f64, True, "C"), ("add_partials", f64, True, "F"),
             ("gd", f32, False, "F"), ("loss_grad", f32, True, "C"),
             ("gd", f64, False, "C"), ("add_partials", f64, False, "C"),
             ("add_partials", f32, True, "C")]
    for fn, dt, par, order in steps:
        code = _CACHE_CHILD.format(fn=fn, dt=dt, par=par, order=order)
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                              text=True)
        assert done.returncode == 0, (fn, dt, par, order, done.returncode, done.stderr)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["C", "F"])
def test_weighted_sq_norm_sum_squares_in_float64(dtype, layout):
    case = cached_case(1000, 10, dtype=np.dtype(dtype), layout=layout, weighted=True)
    X64 = case.X.astype(np.float64)
    expected = float(np.sum(case.sample_weight * np.einsum("ij,ij->i", X64, X64)))
    got = dense.weighted_sq_norm_sum(case.X, case.sample_weight)
    assert got == pytest.approx(expected, rel=1e-13)

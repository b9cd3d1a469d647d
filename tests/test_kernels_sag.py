"""SAG/SAGA epochs (``fastlogreg.kernels.sag``) against the eager NumPy oracle
(``reference.sag_epoch``) on the same sampled rows: the registry's ``sag*``
entries (``fastlogreg.comparisons``), dense (C/F, float32/float64) and CSR."""

from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp

from fastlogreg import reference as ref
from fastlogreg.comparisons import COMPARISONS, MAKERS, RTOL, max_rel_error
from fastlogreg.kernels import sag

PREFIX = {"sag": "", "sag_multinomial": "multinomial_", "sag_sparse": "sparse_",
          "sag_sparse_multinomial": "sparse_multinomial_"}
KINDS = tuple(PREFIX)
NAMES = {kind: [n for n, c in COMPARISONS.items() if c.kind == kind] for kind in KINDS}
DENSE_SHAPES = [(1, 1), (2, 3), (7, 3), (300, 5), (120, 40)]
SPARSE_SHAPES = [(1, 1, 1.0), (7, 3, 0.4), (300, 20, 0.2), (200, 60, 0.05)]
OPTIONS = {
    "plain": dict(weighted=False, alpha=0.0),
    "weights+l2": dict(weighted=True, alpha=0.01),
    "no-intercept": dict(weighted=True, alpha=0.01, fit_intercept=False),
    # step * alpha near 1/2: the CSR weight scale falls below 1e-9 within an
    # epoch and is folded into the weights mid-epoch (scikit-learn's rescale)
    "strong-l2": dict(weighted=True, alpha=10.0),
}


def _check(name, case):
    got = COMPARISONS[name].fast(case)
    for key, value in got.items():
        assert np.isfinite(value).all(), f"{name}: {key} not finite"
    err = max_rel_error(got, COMPARISONS[name].oracle(case))
    assert err <= RTOL[np.dtype(case.X.dtype)], f"{name}: relative error {err:.3g}"


def _zero_some_weights(case):
    sw = case.sample_weight.copy()
    sw[::3] = 0.0
    return replace(case, sample_weight=sw)


def test_registry_has_the_sag_kernels():
    for kind, prefix in PREFIX.items():
        assert set(NAMES[kind]) == {f"{prefix}sag_epochs", f"{prefix}saga_epochs",
                                    f"{prefix}saga_l1_epochs"}


@pytest.mark.parametrize("options", list(OPTIONS))
@pytest.mark.parametrize(("n", "d"), DENSE_SHAPES)
@pytest.mark.parametrize(("dtype", "layout"), [(np.float64, "C"), (np.float32, "F"),
                                               (np.float32, "C"), (np.float64, "F")])
@pytest.mark.parametrize("kind", ["sag", "sag_multinomial"])
def test_dense_epochs_match_oracle(kind, dtype, layout, n, d, options):
    case = MAKERS[kind](n, d, dtype=dtype, layout=layout, **OPTIONS[options])
    if OPTIONS[options]["weighted"]:
        case = _zero_some_weights(case)
    for name in NAMES[kind]:
        _check(name, case)


@pytest.mark.parametrize("options", list(OPTIONS))
@pytest.mark.parametrize(("n", "d", "density"), SPARSE_SHAPES)
@pytest.mark.parametrize("types", [(np.float64, np.int32), (np.float32, np.int64)],
                         ids=["float64-int32", "float32-int64"])
@pytest.mark.parametrize("kind", ["sag_sparse", "sag_sparse_multinomial"])
def test_csr_lazy_epochs_match_oracle(kind, types, n, d, density, options):
    # zero rows, an all-zero column, unsorted indices and zero weights: make_sparse_case
    case = MAKERS[kind](n, d, density, dtype=types[0], index_dtype=types[1],
                        **OPTIONS[options])
    for name in NAMES[kind]:
        _check(name, case)


@pytest.mark.parametrize("kind", ["sag", "sag_multinomial"])
def test_dense_and_csr_agree_on_the_same_rows(kind):
    """The lazy CSR epochs reach the dense epochs' weights. (CSR damps the
    intercept's steps by SPARSE_INTERCEPT_DECAY: compared without one.)"""
    case = MAKERS[kind](200, 6, weighted=True, alpha=0.01, fit_intercept=False)
    case = replace(_zero_some_weights(case), X=np.where(np.arange(6) % 2, case.X, 0.0))
    sparse_kind = "sag_sparse" if kind == "sag" else "sag_sparse_multinomial"
    for suffix in ("sag_epochs", "saga_l1_epochs"):
        dense_out = COMPARISONS[PREFIX[kind] + suffix].fast(case)
        sparse_out = COMPARISONS[PREFIX[sparse_kind] + suffix].fast(
            replace(case, X=sp.csr_matrix(case.X)))
        assert max_rel_error(sparse_out, dense_out) <= 1e-10, suffix


@pytest.mark.parametrize("scale", [1e3, 1e150])
@pytest.mark.parametrize("kind", ["sag", "sag_sparse"])
def test_extreme_logits_stay_finite(kind, scale):
    case = MAKERS[kind](50, 4, scale=scale)
    for name in NAMES[kind]:
        out = COMPARISONS[name].fast(case)
        for key, value in out.items():
            assert np.isfinite(value).all(), (name, key)


def _state(n, K, d, seed=7):
    return (np.zeros((K, d)), np.zeros(K), np.zeros((n, K)), np.zeros((K, d)), np.zeros(K),
            np.zeros(n, np.uint8), np.zeros(1, np.int64), np.array([seed], np.uint64))


def _run(X, y, state, n_epochs, tol=-1.0, saga=True, l1=0.01):
    if sp.issparse(X):
        return sag.csr_epochs(X.data, X.indices, X.indptr, y, np.ones(X.shape[0]), *state,
                              0.05, 0.01, l1, saga, True, sag.SPARSE_INTERCEPT_DECAY,
                              n_epochs, tol)
    return sag.dense_epochs(X, y, np.ones(X.shape[0]), *state, 0.05, 0.01, l1, saga, True,
                            n_epochs, tol)


@pytest.mark.parametrize("sparse", [False, True])
def test_epochs_split_across_calls_give_the_same_bits(sparse):
    """The state carries the run: 4 epochs in one call == 1 + 3 calls."""
    case = MAKERS["sag"](80, 5, seed=3)
    X = sp.csr_matrix(case.X) if sparse else case.X
    one = _state(80, 1, 5)
    two = _state(80, 1, 5)
    assert _run(X, case.y, one, 4) == (4, 0)
    _run(X, case.y, two, 1)
    _run(X, case.y, two, 3)
    for a, b in zip(one, two, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("sparse", [False, True])
def test_stopping_rule_and_its_epoch_count(sparse):
    case = MAKERS["sag"](80, 5, seed=4)
    X = sp.csr_matrix(case.X) if sparse else case.X
    ran, status = _run(X, case.y, _state(80, 1, 5), 50, tol=np.inf)
    assert (ran, status) == (1, 1)  # any finite change meets an infinite tol
    ran, status = _run(X, case.y, _state(80, 1, 5), 5000, tol=1e-6)
    assert status == 1 and 1 < ran < 5000
    ran, status = _run(X, case.y, _state(80, 1, 5), 3, tol=0.0)
    assert (ran, status) == (3, 0)


def test_draw_rows_is_seeded_uniform_and_resumable():
    state = np.array([123], np.uint64)
    rows = np.empty(100_000, np.int64)
    sag.draw_rows(state, 10, rows)
    counts = np.bincount(rows, minlength=10)
    assert rows.min() == 0 and rows.max() == 9
    assert np.all(np.abs(counts - 10_000) < 5 * np.sqrt(10_000))
    again = np.array([123], np.uint64)
    first, second = np.empty(40_000, np.int64), np.empty(60_000, np.int64)
    sag.draw_rows(again, 10, first)
    sag.draw_rows(again, 10, second)
    np.testing.assert_array_equal(np.concatenate([first, second]), rows)
    assert again[0] == state[0]


def test_oracle_fixed_point_is_the_lbfgs_optimum():
    """Independent check of the oracle: started at scikit-learn's lbfgs optimum,
    with each row's memory at its gradient there, a SAG epoch moves nothing."""
    from sklearn.linear_model import LogisticRegression

    case = MAKERS["sag"](60, 4, weighted=True, seed=5)
    n, C = 60, 0.5
    clf = LogisticRegression(C=C, tol=1e-14, max_iter=10_000).fit(
        case.X, case.y, sample_weight=case.sample_weight)
    w, b = clf.coef_[0].copy(), clf.intercept_.copy()
    alpha = 1.0 / (C * n)  # scikit-learn's objective divided by n
    g = case.sample_weight * (ref.sigmoid(case.X @ w + b) - case.y)
    memory, G, Gb = g[:, None].copy(), case.X.T @ g, np.array([g.sum()])
    w0, b0 = w.copy(), b.copy()
    ref.sag_epoch(case.X, case.y, case.sample_weight, w, b, memory, G, Gb,
                  np.ones(n, bool), np.arange(n), step=0.1, alpha=alpha)
    np.testing.assert_allclose(w, w0, atol=1e-8)
    np.testing.assert_allclose(b, b0, atol=1e-8)


@pytest.mark.parametrize("seed", range(6))
def test_lazy_l1_catch_up_equals_the_steps_one_by_one(seed):
    """sag._replay's closed form (one binary search) against the pending
    gradient and soft-threshold steps applied one at a time."""
    rng = np.random.default_rng(seed)
    n, h = 40, int(rng.integers(0, 10))
    m = np.sort(rng.integers(5, 30, n))  # rows seen at each step: never decreasing
    inv_scale = np.exp(np.cumsum(rng.uniform(0.0, 0.3, n)))  # 1 / wscale, growing
    step, l1 = 0.1, 0.05
    cum = np.cumsum(step * inv_scale / m)
    cum_prox = np.cumsum(step * l1 * inv_scale)
    last = cum[h - 1] if h else 0.0
    last_p = cum_prox[h - 1] if h else 0.0
    for v0 in (-2.0, -0.01, 0.0, 0.01, 0.5, 3.0):
        for g in (-8.0, -2.0, -0.3, 0.3, 2.0, 8.0):  # strong, mixed and weak moves
            want = v0
            for s in range(h, n):
                a = cum[s] - (cum[s - 1] if s else 0.0)
                p = cum_prox[s] - (cum_prox[s - 1] if s else 0.0)
                u = want - a * g
                want = np.sign(u) * max(abs(u) - p, 0.0)
            got = sag._replay(v0, g, cum, cum_prox, h, n, last, last_p, l1 * m[n - 1])
            assert got == pytest.approx(want, rel=1e-12, abs=1e-12), (v0, g)

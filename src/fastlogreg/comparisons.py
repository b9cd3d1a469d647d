"""One registry of fast kernels beside their NumPy oracle.

Each entry of :data:`COMPARISONS` runs a kernel and the matching
:mod:`fastlogreg.reference` computation on the same :class:`Case` and returns
named outputs to compare. The test suite checks every entry against the
oracle and the asv benchmarks time the same entries, so every timed path is a
tested path (the pattern of numbagg's ``COMPARISONS``).

An entry's ``kind`` names the case maker that feeds it (:data:`MAKERS`):
dense binary and softmax problems, and their CSR forms, whose ``X`` is a
``scipy.sparse.csr_matrix`` that the oracle reads as ``X.toarray()``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from . import reference
from .kernels import batched, dense, multinomial, sparse
from .kernels import sag as sag_kernels

__all__ = [
    "COMPARISONS",
    "MAKERS",
    "RTOL",
    "Case",
    "Comparison",
    "checked_max_rel_error",
    "make_case",
    "make_multinomial_case",
    "make_sparse_case",
    "max_rel_error",
]

# Agreement required between kernel and oracle. The kernels read float32 data
# exactly and accumulate in float64, and the oracle promotes float32 to
# float64, so both compute the same float64 sums in different orders; the
# differences are a few ulps of the largest term, for both dtypes. The check
# is norm-wise, not element-wise (see max_rel_error): an output's error is
# max|fast - oracle| over max|oracle| of that output (of each column of a 2-D
# one), so an entry much smaller than its output's largest may differ from the
# oracle by far more than RTOL relative to itself.
RTOL = {np.dtype(np.float64): 1e-10, np.dtype(np.float32): 1e-10}


@dataclass(frozen=True)
class Case:
    """Inputs shared by a kernel and its oracle (all validated forms)."""

    X: np.ndarray  # or a scipy.sparse.csr_matrix (the "sparse" kinds)
    y: np.ndarray
    sample_weight: np.ndarray
    w: np.ndarray  # (d,) binary, (K, d) multinomial
    b: float | np.ndarray  # float binary, (K,) multinomial
    alpha: float = 0.0
    fit_intercept: bool = True
    learning_rate: float = 0.1
    order: np.ndarray | None = None
    batch_size: int = 32
    epochs: int = 100
    record_every: int = 10


def make_case(n_samples: int, n_features: int, *, dtype=np.float64, layout: str = "C",
              fit_intercept: bool = True, weighted: bool = False, alpha: float = 0.0,
              scale: float = 1.0, seed: int = 0, batch_size: int = 32,
              epochs: int = 100) -> Case:
    """A reproducible random problem. ``scale`` multiplies X (and so the logits)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features)) * scale
    X = np.asarray(X, dtype=dtype, order=layout)
    w_true = rng.standard_normal(n_features)
    p = 1.0 / (1.0 + np.exp(-np.clip(X @ w_true / np.sqrt(n_features) / scale, -50, 50)))
    y = (rng.random(n_samples) < p).astype(np.float64)
    sw = rng.uniform(0.0, 2.0, n_samples) if weighted else np.ones(n_samples)
    return Case(
        X=X, y=y, sample_weight=sw, w=rng.standard_normal(n_features) * 0.1,
        b=0.1 if fit_intercept else 0.0, alpha=alpha, fit_intercept=fit_intercept,
        order=rng.permutation(n_samples), batch_size=min(batch_size, n_samples),
        epochs=epochs,
    )


def make_multinomial_case(n_samples: int, n_features: int, n_classes: int = 3, *,
                          dtype=np.float64, layout: str = "C",
                          fit_intercept: bool = True, weighted: bool = False,
                          alpha: float = 0.0, seed: int = 0,
                          batch_size: int = 32) -> Case:
    """A reproducible softmax problem: ``w`` is (K, d), ``b`` (K,), ``y`` class indices."""
    rng = np.random.default_rng(seed)
    X = np.asarray(rng.standard_normal((n_samples, n_features)), dtype=dtype, order=layout)
    W_true = rng.standard_normal((n_classes, n_features))
    Z = X @ W_true.T / np.sqrt(n_features)
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    y = (P.cumsum(axis=1) < rng.random((n_samples, 1))).sum(axis=1).astype(np.float64)
    sw = rng.uniform(0.0, 2.0, n_samples) if weighted else np.ones(n_samples)
    b = rng.standard_normal(n_classes) * 0.1 if fit_intercept else np.zeros(n_classes)
    return Case(
        X=X, y=np.minimum(y, n_classes - 1), sample_weight=sw,
        w=rng.standard_normal((n_classes, n_features)) * 0.1, b=b, alpha=alpha,
        fit_intercept=fit_intercept, order=rng.permutation(n_samples),
        batch_size=min(batch_size, n_samples),
    )


def make_sparse_case(n_samples: int, n_features: int, density: float = 0.3, *,
                     n_classes: int | None = None, dtype=np.float64,
                     index_dtype=np.int32, fit_intercept: bool = True,
                     weighted: bool = False, alpha: float = 0.0, scale: float = 1.0,
                     seed: int = 0, batch_size: int = 32, shuffle: bool = True) -> Case:
    """A reproducible CSR problem: binary, or softmax with ``n_classes``.

    ``X`` is a ``scipy.sparse.csr_matrix`` of ``dtype`` with ``index_dtype``
    indices and ``indptr``, about ``density`` nonzero, with every fourth row
    empty, the middle column all zero and (``shuffle``) each row's indices in
    random order, as the kernels must accept them. Weights, when
    ``weighted``, include zeros. ``w`` and ``b`` are scaled so that the
    logits are of order one (times ``scale``).
    """
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    mask = rng.random((n_samples, n_features)) < density
    if n_samples > 1:
        mask[1::4] = False
    if n_features > 1:
        mask[:, n_features // 2] = False
    values = np.where(mask, rng.standard_normal((n_samples, n_features)) * scale, 0.0)
    A = sp.csr_matrix(values.astype(dtype))
    data, indices = A.data.copy(), A.indices.astype(index_dtype)
    indptr = A.indptr.astype(index_dtype)
    if shuffle:
        for i in range(n_samples):
            lo, hi = indptr[i], indptr[i + 1]
            perm = lo + rng.permutation(hi - lo)
            data[lo:hi], indices[lo:hi] = data[perm], indices[perm]
    X = sp.csr_matrix((data, indices, indptr), shape=(n_samples, n_features))
    # scipy narrows indices that fit into int32: set the requested ones back
    X.indices, X.indptr = indices, indptr
    X.has_sorted_indices = not shuffle  # what scipy would work out by sorting
    if weighted:
        sw = rng.uniform(0.0, 2.0, n_samples)
        sw[::5] = 0.0
        if sw.sum() == 0:
            sw[-1] = 1.0
    else:
        sw = np.ones(n_samples)
    if n_classes is None:
        y = (rng.random(n_samples) < 0.5).astype(np.float64)
        w = rng.standard_normal(n_features) * 0.5
        b = 0.1 if fit_intercept else 0.0
    else:
        y = rng.integers(0, n_classes, n_samples).astype(np.float64)
        w = rng.standard_normal((n_classes, n_features)) * 0.5
        b = (rng.standard_normal(n_classes) * 0.1 if fit_intercept
             else np.zeros(n_classes))
    return Case(X=X, y=y, sample_weight=sw, w=w, b=b, alpha=alpha,
                fit_intercept=fit_intercept, order=rng.permutation(n_samples),
                batch_size=min(batch_size, n_samples))


def _split(out: np.ndarray, d: int) -> dict[str, np.ndarray]:
    return {"loss": out[d + 1:d + 2], "dw": out[:d], "db": out[d:d + 1],
            "accuracy": out[d + 2:d + 3]}


def _split_multi(out: np.ndarray, K: int, d: int) -> dict[str, np.ndarray]:
    return {"dW": out[:K * d].reshape(K, d), "db": out[K * d:K * d + K],
            "loss": out[-2:-1], "accuracy": out[-1:]}


def _loss_grad_fast(case: Case, parallel: bool) -> dict[str, np.ndarray]:
    d = case.X.shape[1]
    out = np.empty(d + 3)
    dense.loss_grad(case.X, case.y, case.sample_weight, case.w, case.b, case.alpha,
                    parallel, out)
    return _split(out, d)


def _loss_grad_oracle(case: Case) -> dict[str, np.ndarray]:
    J, dw, db = reference.loss_and_gradient(case.X, case.y, case.w, case.b,
                                            alpha=case.alpha,
                                            sample_weight=case.sample_weight)
    _, acc = reference.evaluate(case.X, case.y, case.w, case.b,
                                sample_weight=case.sample_weight)
    return {"loss": np.array([J]), "dw": dw, "db": np.array([db]),
            "accuracy": np.array([acc])}


def _gd_fast(case: Case, epochs: int, parallel: bool = False) -> dict[str, np.ndarray]:
    d = case.X.shape[1]
    w = case.w.copy()
    b = np.array([case.b])
    grad = np.empty(d + 3)
    # the first pass as solvers.gd takes it: through gd_epochs' compiled code
    dense.gd_first_pass(case.X, case.y, case.sample_weight, w, b, case.alpha,
                        case.fit_intercept, parallel, grad)
    history = np.empty((epochs, 3))
    _, n_rec = dense.gd_epochs(case.X, case.y, case.sample_weight, w, b,
                               case.learning_rate, case.alpha, case.fit_intercept,
                               parallel, 0, epochs, case.record_every, grad, history)
    return {"w": w, "b": b, "history": history[:n_rec]}


def _gd_oracle(case: Case, epochs: int) -> dict[str, np.ndarray]:
    trace = reference.train(case.X, case.y, learning_rate=case.learning_rate,
                            epochs=epochs, record_every=case.record_every, w0=case.w,
                            b0=case.b, alpha=case.alpha,
                            sample_weight=case.sample_weight,
                            fit_intercept=case.fit_intercept)
    return {"w": trace.w, "b": np.array([trace.b]), "history": trace.history}


def _minibatch_fast(case: Case) -> dict[str, np.ndarray]:
    w = case.w.copy()
    b = np.array([case.b])
    out = np.empty(2)
    dense.minibatch_epoch(case.X, case.y, case.sample_weight, w, b, case.order,
                          case.batch_size, case.learning_rate, case.alpha,
                          case.fit_intercept, out)
    return {"w": w, "b": b, "loss": out[:1], "accuracy": out[1:]}


def _minibatch_oracle(case: Case) -> dict[str, np.ndarray]:
    w, b, J, acc = reference.minibatch_epoch(
        case.X, case.y, case.w, case.b, case.order, case.batch_size,
        case.learning_rate, alpha=case.alpha, sample_weight=case.sample_weight,
        fit_intercept=case.fit_intercept)
    return {"w": w, "b": np.atleast_1d(b), "loss": np.array([J]),
            "accuracy": np.array([acc])}


def _decision_fast(case: Case) -> dict[str, np.ndarray]:
    out = np.empty(case.X.shape[0])
    dense.decision_function(case.X, case.w, case.b, out)
    return {"z": out}


def _decision_oracle(case: Case) -> dict[str, np.ndarray]:
    return {"z": case.X @ case.w + case.b}


def _multi_fast(case: Case, parallel: bool) -> dict[str, np.ndarray]:
    K, d = case.w.shape
    out = np.empty(K * d + K + 2)
    multinomial.loss_grad(case.X, case.y, case.sample_weight, case.w, case.b,
                          case.alpha, parallel, out)
    return _split_multi(out, K, d)


def _multi_oracle(case: Case) -> dict[str, np.ndarray]:
    J, dW, db = reference.multinomial_loss_and_gradient(
        case.X, case.y, case.w, case.b, alpha=case.alpha,
        sample_weight=case.sample_weight)
    _, acc = reference.multinomial_evaluate(case.X, case.y, case.w, case.b,
                                            sample_weight=case.sample_weight)
    return {"dW": dW, "db": db, "loss": np.array([J]), "accuracy": np.array([acc])}


def _multi_minibatch_fast(case: Case) -> dict[str, np.ndarray]:
    W, b = case.w.copy(), np.array(case.b, dtype=np.float64)
    out = np.empty(2)
    multinomial.minibatch_epoch(case.X, case.y, case.sample_weight, W, b, case.order,
                                case.batch_size, case.learning_rate, case.alpha,
                                case.fit_intercept, out)
    return {"w": W, "b": b, "loss": out[:1], "accuracy": out[1:]}


def _multi_decision_fast(case: Case) -> dict[str, np.ndarray]:
    out = np.empty((case.X.shape[0], case.w.shape[0]))
    multinomial.decision_function(case.X, case.w, case.b, out)
    return {"z": out}


def _multi_decision_oracle(case: Case) -> dict[str, np.ndarray]:
    return {"z": case.X @ case.w.T + case.b}


# --- CSR X: the sparse kernels, finished as the sources finish them ---------------

def _csr(case: Case) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return case.X.data, case.X.indices, case.X.indptr


def _densified(oracle):
    """The dense oracle of an entry, reading a sparse case's ``X.toarray()``."""
    return lambda case: oracle(replace(case, X=case.X.toarray()))


def _sparse_loss_grad_fast(case: Case, parallel: bool) -> dict[str, np.ndarray]:
    d = case.w.shape[0]
    total = np.zeros(d + 5)
    sparse.binary_partials(*_csr(case), case.y, case.sample_weight, case.w, case.b,
                           parallel, total, True)
    out = np.empty(d + 3)
    dense.finish(total, case.w, case.alpha, True, out)
    return _split(out, d)


def _sparse_minibatch_fast(case: Case) -> dict[str, np.ndarray]:
    w = case.w.copy()
    b = np.array([case.b])
    out = np.empty(2)
    sparse.binary_minibatch_epoch(*_csr(case), case.y, case.sample_weight, w, b,
                                  case.order, case.batch_size, case.learning_rate,
                                  case.alpha, case.fit_intercept, out)
    return {"w": w, "b": b, "loss": out[:1], "accuracy": out[1:]}


def _sparse_decision_fast(case: Case) -> dict[str, np.ndarray]:
    out = np.empty(case.X.shape[0])
    sparse.decision_function(*_csr(case), case.w, case.b, out)
    return {"z": out}


def _sparse_multi_fast(case: Case, parallel: bool) -> dict[str, np.ndarray]:
    K, d = case.w.shape
    total = np.zeros(K * d + K + 3)
    sparse.multinomial_partials(*_csr(case), case.y, case.sample_weight, case.w, case.b,
                                parallel, total)
    out = np.empty(K * d + K + 2)
    multinomial.finish(total, case.w, case.alpha, out)
    return _split_multi(out, K, d)


def _sparse_multi_minibatch_fast(case: Case) -> dict[str, np.ndarray]:
    W, b = case.w.copy(), np.array(case.b, dtype=np.float64)
    out = np.empty(2)
    sparse.multinomial_minibatch_epoch(*_csr(case), case.y, case.sample_weight, W, b,
                                       case.order, case.batch_size, case.learning_rate,
                                       case.alpha, case.fit_intercept, out)
    return {"w": W, "b": b, "loss": out[:1], "accuracy": out[1:]}


def _sparse_multi_decision_fast(case: Case) -> dict[str, np.ndarray]:
    out = np.empty((case.X.shape[0], case.w.shape[0]))
    sparse.multinomial_decision_function(*_csr(case), case.w, case.b, out)
    return {"z": out}


@dataclass(frozen=True)
class Comparison:
    """A kernel (``fast``) and the oracle computation it must reproduce."""

    name: str
    fast: Callable[[Case], dict[str, np.ndarray]]
    oracle: Callable[[Case], dict[str, np.ndarray]]
    description: str
    kind: str = "binary"  # which case maker feeds it: a key of MAKERS


COMPARISONS: dict[str, Comparison] = {c.name: c for c in [
    Comparison("loss_grad", lambda c: _loss_grad_fast(c, False), _loss_grad_oracle,
               "one fused pass: loss, gradient, accuracy (serial)"),
    Comparison("loss_grad_parallel", lambda c: _loss_grad_fast(c, True),
               _loss_grad_oracle, "one fused pass, prange over fixed row blocks"),
    Comparison("gd_epoch", lambda c: _gd_fast(c, 1), lambda c: _gd_oracle(c, 1),
               "one gradient-descent epoch (pass + update)"),
    Comparison("gd_run", lambda c: _gd_fast(c, c.epochs),
               lambda c: _gd_oracle(c, c.epochs),
               "case.epochs gradient-descent epochs in compiled code, with history"),
    Comparison("gd_run_parallel", lambda c: _gd_fast(c, c.epochs, True),
               lambda c: _gd_oracle(c, c.epochs),
               "the same with the parallel pass"),
    Comparison("minibatch_epoch", _minibatch_fast, _minibatch_oracle,
               "one fused mini-batch epoch over case.order"),
    Comparison("decision_function", _decision_fast, _decision_oracle,
               "logits X @ w + b read in place"),
    Comparison("multinomial_loss_grad", lambda c: _multi_fast(c, False), _multi_oracle,
               "one fused softmax pass for all classes (serial)", "multinomial"),
    Comparison("multinomial_loss_grad_parallel", lambda c: _multi_fast(c, True),
               _multi_oracle, "one fused softmax pass, prange over fixed row blocks",
               "multinomial"),
    Comparison("multinomial_minibatch_epoch", _multi_minibatch_fast, _minibatch_oracle,
               "one fused softmax mini-batch epoch over case.order", "multinomial"),
    Comparison("multinomial_decision_function", _multi_decision_fast,
               _multi_decision_oracle, "logits X @ W.T + b read in place", "multinomial"),
    Comparison("sparse_loss_grad", lambda c: _sparse_loss_grad_fast(c, False),
               _densified(_loss_grad_oracle),
               "one fused pass over CSR X (serial), finished as the CSR source does",
               "sparse"),
    Comparison("sparse_loss_grad_parallel", lambda c: _sparse_loss_grad_fast(c, True),
               _densified(_loss_grad_oracle),
               "one fused pass over CSR X, prange over fixed blocks of nonzeros", "sparse"),
    Comparison("sparse_minibatch_epoch", _sparse_minibatch_fast,
               _densified(_minibatch_oracle),
               "one fused mini-batch epoch over CSR rows case.order", "sparse"),
    Comparison("sparse_decision_function", _sparse_decision_fast,
               _densified(_decision_oracle), "logits of CSR X read in place", "sparse"),
    Comparison("sparse_multinomial_loss_grad", lambda c: _sparse_multi_fast(c, False),
               _densified(_multi_oracle), "one fused softmax pass over CSR X (serial)",
               "sparse_multinomial"),
    Comparison("sparse_multinomial_loss_grad_parallel",
               lambda c: _sparse_multi_fast(c, True), _densified(_multi_oracle),
               "one fused softmax pass over CSR X, prange over fixed blocks",
               "sparse_multinomial"),
    Comparison("sparse_multinomial_minibatch_epoch", _sparse_multi_minibatch_fast,
               _densified(_minibatch_oracle),
               "one fused softmax mini-batch epoch over CSR rows case.order",
               "sparse_multinomial"),
    Comparison("sparse_multinomial_decision_function", _sparse_multi_decision_fast,
               _densified(_multi_decision_oracle), "softmax logits of CSR X read in place",
               "sparse_multinomial"),
]}

#: The case maker of each ``Comparison.kind``; a sparse maker takes the shape
#: and the options of :func:`make_sparse_case` (no ``layout``).
MAKERS: dict[str, Callable[..., Case]] = {
    "binary": make_case,
    "multinomial": make_multinomial_case,
    "sparse": make_sparse_case,
    "sparse_multinomial": lambda n, d, density=0.3, **kw: make_sparse_case(
        n, d, density, n_classes=kw.pop("n_classes", 3), **kw),
}


def checked_max_rel_error(comparison: Comparison, case: Case) -> float:
    """:func:`max_rel_error` of ``comparison`` on ``case``, raising an
    ``AssertionError`` when it exceeds ``RTOL`` for the case's dtype: asv's
    ``track_max_error`` benchmarks return it, so a kernel that leaves the
    oracle's tolerance fails its benchmark instead of recording a number."""
    err = max_rel_error(comparison.fast(case), comparison.oracle(case))
    limit = RTOL[np.dtype(case.X.dtype)]
    if not err <= limit:
        raise AssertionError(f"{comparison.name}: relative error {err:.3g} exceeds the "
                             f"oracle tolerance {limit:g} ({case.X.dtype}, shape "
                             f"{case.X.shape})")
    return err


def max_rel_error(fast: dict[str, np.ndarray], oracle: dict[str, np.ndarray]) -> float:
    """Largest ``max|fast - oracle| / max|oracle|`` over the outputs (norm-wise,
    per column for 2-D outputs such as the history); ``inf`` for a shape
    mismatch or a NaN where the oracle has a number."""
    worst = 0.0
    for key, want in oracle.items():
        want = np.asarray(want, dtype=np.float64)
        got = np.asarray(fast[key], dtype=np.float64)
        if got.shape != want.shape:
            return np.inf
        if want.size == 0:
            continue
        want2, got2 = want.reshape(want.shape[0], -1), got.reshape(got.shape[0], -1)
        for col in range(want2.shape[1]):
            scale = max(float(np.max(np.abs(want2[:, col]))), np.finfo(np.float64).tiny)
            err = float(np.max(np.abs(got2[:, col] - want2[:, col]))) / scale
            if np.isnan(err):
                return np.inf
            worst = max(worst, err)
    return worst


# --- M models in one read of X (kernels/batched.py) ------------------------------
# A batched case holds M models' coefficients in ``w`` ((M, d) or (M, K, d)) and
# ``b``, and the row weights of ``n_folds`` folds in ``sample_weight``
# (n_folds, n); model m trains on fold ``m % n_folds``, whose held-out rows
# (every n_folds-th row) have weight 0.

def make_batched_case(n_samples: int, n_features: int, *, n_models: int = 6,
                      n_folds: int = 3, n_classes: int | None = None,
                      dtype=np.float64, layout: str = "C", seed: int = 0,
                      csr: bool = False, density: float = 0.3, index_dtype=np.int32,
                      **_ignored) -> Case:
    """A reproducible batch of M binary (or softmax, ``n_classes``) models;
    ``csr`` makes ``X`` a CSR matrix of ``density`` with ``index_dtype``
    indices (:func:`make_sparse_case`'s, binary only)."""
    rng = np.random.default_rng(seed + 1)
    if csr:
        base = make_sparse_case(n_samples, n_features, density, dtype=dtype,
                                index_dtype=index_dtype, seed=seed)
        shape = (n_models, n_features)
        b = rng.standard_normal(n_models) * 0.1
    elif n_classes is None:
        base = make_case(n_samples, n_features, dtype=dtype, layout=layout, seed=seed)
        shape = (n_models, n_features)
        b = rng.standard_normal(n_models) * 0.1
    else:
        base = make_multinomial_case(n_samples, n_features, n_classes, dtype=dtype,
                                     layout=layout, seed=seed)
        shape = (n_models, n_classes, n_features)
        b = rng.standard_normal((n_models, n_classes)) * 0.1
    W = rng.standard_normal(shape) * 0.3
    SW = np.tile(rng.uniform(0.0, 2.0, n_samples), (n_folds, 1))
    for f in range(n_folds):
        SW[f, f::n_folds] = 0.0
    return replace(base, w=W, b=b, sample_weight=SW, alpha=0.05)


def _fold_of(case: Case) -> np.ndarray:
    return np.arange(case.w.shape[0]) % case.sample_weight.shape[0]


def _batched_fast(case: Case, parallel: bool) -> dict[str, np.ndarray]:
    W = case.w
    M = W.shape[0]
    b = np.asarray(case.b, dtype=np.float64)
    if isinstance(case.X, np.ndarray):
        total = batched.model_sums(case.X, case.y, case.sample_weight, _fold_of(case), W,
                                   case.b, parallel, True)
    else:
        total = np.zeros((M, W.shape[1] + 5))
        sparse.batched_partials(*_csr(case), case.y, case.sample_weight, _fold_of(case), W,
                                b, parallel, True, np.inf, total)
    n_int = 1 if W.ndim == 2 else W.shape[1]
    out = np.empty((M, W[0].size + n_int + 2))
    batched.finish(total, W.reshape(M, -1), np.full(M, case.alpha), n_int, out)
    nw = W[0].size
    dW, db = out[:, :nw].reshape(W.shape), out[:, nw:nw + n_int].reshape(b.shape)
    J, acc = out[:, -2], out[:, -1]
    return {"loss": J, "dW": dW, "db": db, "accuracy": acc}


def _batched_oracle(case: Case) -> dict[str, np.ndarray]:
    sw = case.sample_weight[_fold_of(case)]
    J, dW, db = reference.batched_loss_and_gradient(case.X, case.y, case.w, case.b,
                                                    alpha=case.alpha, sample_weight=sw)
    evaluate = reference.evaluate if case.w.ndim == 2 else reference.multinomial_evaluate
    acc = np.array([evaluate(case.X, case.y, case.w[m], case.b[m], sample_weight=sw[m])[1]
                    for m in range(case.w.shape[0])])
    return {"loss": J, "dW": dW, "db": db, "accuracy": acc}


COMPARISONS.update({c.name: c for c in [
    Comparison("batched_loss_grad", lambda c: _batched_fast(c, False), _batched_oracle,
               "M binary models' losses and gradients from one read of X (serial)",
               "batched"),
    Comparison("batched_loss_grad_parallel", lambda c: _batched_fast(c, True),
               _batched_oracle, "the same, prange over fixed tasks of row blocks",
               "batched"),
    Comparison("batched_multinomial_loss_grad", lambda c: _batched_fast(c, False),
               _batched_oracle,
               "M softmax models' losses and gradients from one read of X (serial)",
               "batched_multinomial"),
    Comparison("batched_multinomial_loss_grad_parallel", lambda c: _batched_fast(c, True),
               _batched_oracle, "the same, prange over fixed tasks of row blocks",
               "batched_multinomial"),
    Comparison("batched_sparse_loss_grad", lambda c: _batched_fast(c, False),
               _densified(_batched_oracle),
               "M binary models' losses and gradients from one read of CSR X (serial)",
               "batched_sparse"),
    Comparison("batched_sparse_loss_grad_parallel", lambda c: _batched_fast(c, True),
               _densified(_batched_oracle), "the same, prange over blocks of rows",
               "batched_sparse"),
]})
MAKERS.update({
    "batched": make_batched_case,
    "batched_sparse": lambda n, d, **kw: make_batched_case(n, d, csr=True, **kw),
    "batched_multinomial": lambda n, d, **kw: make_batched_case(
        n, d, n_classes=kw.pop("n_classes", 3), **kw),
})


# --- second order (kernels/newton.py): Hessian-vector products and Hessians ----------
# The kernels add unnormalised sums; these entries normalise them by S and add
# the L2 terms as the problems do, so that the oracle's J derivatives compare.

def _direction(case: Case) -> tuple[np.ndarray, float | np.ndarray]:
    """A reproducible direction ``(v, c)`` shaped like ``(case.w, case.b)``."""
    rng = np.random.default_rng(case.X.shape[0] * 7919 + case.X.shape[1])
    return rng.standard_normal(np.shape(case.w)), rng.standard_normal(np.shape(case.b))


def _dense_or_csr(case: Case, dense_kernel, csr_kernel, *args) -> None:
    if hasattr(case.X, "indptr"):
        csr_kernel(*_csr(case), *args)
    else:
        dense_kernel(case.X, *args)


def _hessp_fast(case: Case, parallel: bool) -> dict[str, np.ndarray]:
    from .kernels import newton

    v, c = _direction(case)
    S = case.sample_weight.sum()
    if np.ndim(case.w) == 1:
        d = case.w.shape[0]
        total = np.zeros(d + 1)
        _dense_or_csr(case, newton.binary_hessp, newton.csr_binary_hessp,
                      case.sample_weight, case.w, case.b, v, float(c), parallel, total)
        return {"Hv_w": total[:d] / S + case.alpha * v, "Hv_b": total[d:] / S}
    K, d = case.w.shape
    total = np.zeros(K * d + K)
    _dense_or_csr(case, newton.multinomial_hessp, newton.csr_multinomial_hessp,
                  case.sample_weight, case.w, case.b, v, c, parallel, total)
    return {"Hv_w": total[:K * d].reshape(K, d) / S + case.alpha * v,
            "Hv_b": total[K * d:] / S}


def _hessp_oracle(case: Case) -> dict[str, np.ndarray]:
    v, c = _direction(case)
    X = case.X.toarray() if hasattr(case.X, "indptr") else case.X
    if np.ndim(case.w) == 1:
        hw, hb = reference.hessp(X, case.y, case.w, case.b, v, float(c), alpha=case.alpha,
                                 sample_weight=case.sample_weight)
        return {"Hv_w": hw, "Hv_b": np.array([hb])}
    hw, hb = reference.multinomial_hessp(X, case.y, case.w, case.b, v, c,
                                         alpha=case.alpha, sample_weight=case.sample_weight)
    return {"Hv_w": hw, "Hv_b": hb}


def _hessian_fast(case: Case, parallel: bool) -> dict[str, np.ndarray]:
    from .kernels import newton

    S = case.sample_weight.sum()
    if np.ndim(case.w) == 1:
        d = case.w.shape[0]
        total, H = np.zeros(d + 6), np.zeros((d + 1, d + 1))
        _dense_or_csr(case, newton.binary_hessian, newton.csr_binary_hessian,
                      case.y, case.sample_weight, case.w, case.b, parallel, total, H)
        out = np.empty(d + 3)
        dense.finish(total, case.w, case.alpha, True, out)
        H = H / S
        H[np.arange(d), np.arange(d)] += case.alpha
        return {"H": H, **_split(out, d)}
    K, d = case.w.shape
    n = K * (d + 1)
    total, H = np.zeros(K * d + K + 3), np.zeros((n, n))
    _dense_or_csr(case, newton.multinomial_hessian, newton.csr_multinomial_hessian,
                  case.y, case.sample_weight, case.w, case.b, parallel, total, H)
    out = np.empty(K * d + K + 2)
    multinomial.finish(total, case.w, case.alpha, out)
    H = H / S
    H[np.arange(K * d), np.arange(K * d)] += case.alpha
    return {"H": H, **_split_multi(out, K, d)}


def _hessian_oracle(case: Case) -> dict[str, np.ndarray]:
    X = case.X.toarray() if hasattr(case.X, "indptr") else case.X
    if np.ndim(case.w) == 1:
        H = reference.hessian(X, case.y, case.w, case.b, alpha=case.alpha,
                              sample_weight=case.sample_weight)
        return {"H": H, **_loss_grad_oracle(replace(case, X=X))}
    H = reference.multinomial_hessian(X, case.y, case.w, case.b, alpha=case.alpha,
                                      sample_weight=case.sample_weight)
    return {"H": H, **_multi_oracle(replace(case, X=X))}


COMPARISONS.update({c.name: c for c in [
    Comparison("hessp", lambda c: _hessp_fast(c, False), _hessp_oracle,
               "binary Hessian-vector product, one fused read of X (serial)", "newton"),
    Comparison("hessp_parallel", lambda c: _hessp_fast(c, True), _hessp_oracle,
               "binary Hessian-vector product, prange over fixed row blocks", "newton"),
    Comparison("multinomial_hessp", lambda c: _hessp_fast(c, False), _hessp_oracle,
               "softmax Hessian-vector product, one fused read of X (serial)",
               "newton_multinomial"),
    Comparison("multinomial_hessp_parallel", lambda c: _hessp_fast(c, True),
               _hessp_oracle, "softmax Hessian-vector product, prange over row blocks",
               "newton_multinomial"),
    Comparison("hessian", lambda c: _hessian_fast(c, False), _hessian_oracle,
               "binary gradient and Hessian X~'DX~, one fused blocked read (serial)",
               "newton"),
    Comparison("hessian_parallel", lambda c: _hessian_fast(c, True), _hessian_oracle,
               "binary gradient and Hessian, prange over fixed groups of row blocks",
               "newton"),
    Comparison("multinomial_hessian", lambda c: _hessian_fast(c, False), _hessian_oracle,
               "softmax gradient and full Hessian, one fused blocked read (serial)",
               "newton_multinomial"),
    Comparison("multinomial_hessian_parallel", lambda c: _hessian_fast(c, True),
               _hessian_oracle, "softmax gradient and Hessian, prange over groups",
               "newton_multinomial"),
    Comparison("sparse_hessp", lambda c: _hessp_fast(c, False), _hessp_oracle,
               "binary Hessian-vector product over CSR X (serial)", "newton_sparse"),
    Comparison("sparse_hessp_parallel", lambda c: _hessp_fast(c, True), _hessp_oracle,
               "binary Hessian-vector product over CSR X, prange over blocks",
               "newton_sparse"),
    Comparison("sparse_multinomial_hessp", lambda c: _hessp_fast(c, False),
               _hessp_oracle, "softmax Hessian-vector product over CSR X (serial)",
               "newton_sparse_multinomial"),
    Comparison("sparse_multinomial_hessp_parallel", lambda c: _hessp_fast(c, True),
               _hessp_oracle, "softmax Hessian-vector product over CSR X, prange",
               "newton_sparse_multinomial"),
    Comparison("sparse_hessian", lambda c: _hessian_fast(c, False), _hessian_oracle,
               "binary gradient and Hessian over CSR X (serial)", "newton_sparse"),
    Comparison("sparse_hessian_parallel", lambda c: _hessian_fast(c, True),
               _hessian_oracle, "binary gradient and Hessian over CSR X, prange",
               "newton_sparse"),
    Comparison("sparse_multinomial_hessian", lambda c: _hessian_fast(c, False),
               _hessian_oracle, "softmax gradient and Hessian over CSR X (serial)",
               "newton_sparse_multinomial"),
    Comparison("sparse_multinomial_hessian_parallel", lambda c: _hessian_fast(c, True),
               _hessian_oracle, "softmax gradient and Hessian over CSR X, prange",
               "newton_sparse_multinomial"),
]})
#: The second-order entries' own kinds (the first-order kernels' test files
#: select their entries by kind), fed by the same case makers.
MAKERS.update({f"newton{suffix}": MAKERS[kind] for suffix, kind in [
    ("", "binary"), ("_multinomial", "multinomial"), ("_sparse", "sparse"),
    ("_sparse_multinomial", "sparse_multinomial")]})


# --- SAG and SAGA epochs (kernels/sag.py) ------------------------------------------
# A run of SAG_EPOCHS epochs from (case.w, case.b) with zero gradient memory, the
# rows drawn by the kernels' own sampler from SAG_SEED and replayed through the
# eager oracle (reference.sag_epoch); step and penalties as scikit-learn's
# sag_solver sets them for case.alpha (and SAGA_L1 for the "saga_l1" entries).

SAG_EPOCHS = 3
SAG_SEED = 20261204
SAGA_L1 = 0.02


def _sag_setup(case: Case, saga: bool):
    """Dense X, n, d, K (binary: 1) and scikit-learn's step of a run on ``case``."""
    X = case.X.toarray() if hasattr(case.X, "toarray") else np.asarray(case.X)
    n, d = X.shape
    K = 1 if np.ndim(case.w) == 1 else case.w.shape[0]
    max_sq = float(np.max(np.einsum("ij,ij->i", X.astype(np.float64), X.astype(np.float64)),
                          initial=0.0))
    L = 0.25 * (max_sq + int(case.fit_intercept)) + case.alpha
    step = 1.0 / (2.0 * L + min(2.0 * n * case.alpha, L)) if saga else 1.0 / L
    return X, n, d, K, step


def _sag_fast(case: Case, saga: bool, l1: float) -> dict[str, np.ndarray]:
    _, n, d, K, step = _sag_setup(case, saga)
    W = np.array(case.w, dtype=np.float64).reshape(K, d)
    b = np.array(case.b, dtype=np.float64).reshape(K)
    memory, G, Gb = np.zeros((n, K)), np.zeros((K, d)), np.zeros(K)
    seen, counters = np.zeros(n, np.uint8), np.zeros(1, np.int64)
    rng_state = np.array([SAG_SEED], dtype=np.uint64)
    args = (case.y, case.sample_weight, W, b, memory, G, Gb, seen, counters, rng_state,
            step, case.alpha, l1, saga, case.fit_intercept)
    if hasattr(case.X, "toarray"):
        sag_kernels.csr_epochs(case.X.data, case.X.indices, case.X.indptr, *args,
                               sag_kernels.SPARSE_INTERCEPT_DECAY, SAG_EPOCHS, -1.0)
    else:
        sag_kernels.dense_epochs(case.X, *args, SAG_EPOCHS, -1.0)
    return {"w": W, "b": b, "memory": memory, "sum_grad": G}


def _sag_oracle(case: Case, saga: bool, l1: float) -> dict[str, np.ndarray]:
    X, n, d, K, step = _sag_setup(case, saga)
    W = np.array(case.w, dtype=np.float64).reshape(K, d)
    b = np.array(case.b, dtype=np.float64).reshape(K)
    memory, G, Gb = np.zeros((n, K)), np.zeros((K, d)), np.zeros(K)
    seen = np.zeros(n, dtype=bool)
    rng_state = np.array([SAG_SEED], dtype=np.uint64)
    rows = np.empty(n, dtype=np.int64)
    decay = sag_kernels.SPARSE_INTERCEPT_DECAY if hasattr(case.X, "toarray") else 1.0
    for _ in range(SAG_EPOCHS):
        sag_kernels.draw_rows(rng_state, n, rows)  # the same rows as the kernel
        reference.sag_epoch(X, case.y, case.sample_weight, W if K > 1 else W[0], b, memory,
                            G if K > 1 else G[0], Gb, seen, rows, step=step,
                            alpha=case.alpha, l1=l1, saga=saga,
                            fit_intercept=case.fit_intercept, intercept_decay=decay)
    return {"w": W, "b": b, "memory": memory, "sum_grad": G}


def _sag_entries(prefix: str, kind: str, what: str) -> list[Comparison]:
    return [
        Comparison(f"{prefix}sag_epochs", lambda c: _sag_fast(c, False, 0.0),
                   lambda c: _sag_oracle(c, False, 0.0),
                   f"SAG_EPOCHS SAG epochs over {what}", kind),
        Comparison(f"{prefix}saga_epochs", lambda c: _sag_fast(c, True, 0.0),
                   lambda c: _sag_oracle(c, True, 0.0),
                   f"SAG_EPOCHS SAGA epochs over {what}", kind),
        Comparison(f"{prefix}saga_l1_epochs", lambda c: _sag_fast(c, True, SAGA_L1),
                   lambda c: _sag_oracle(c, True, SAGA_L1),
                   f"SAG_EPOCHS SAGA epochs with L1 (proximal steps) over {what}", kind),
    ]


COMPARISONS.update({c.name: c for c in [
    *_sag_entries("", "sag", "dense rows (binary)"),
    *_sag_entries("multinomial_", "sag_multinomial", "dense rows (softmax)"),
    *_sag_entries("sparse_", "sag_sparse", "CSR rows with lazy updates (binary)"),
    *_sag_entries("sparse_multinomial_", "sag_sparse_multinomial",
                  "CSR rows with lazy updates (softmax)"),
]})

MAKERS.update({
    "sag": make_case,
    "sag_multinomial": make_multinomial_case,
    "sag_sparse": make_sparse_case,
    "sag_sparse_multinomial": lambda n, d, density=0.3, **kw: make_sparse_case(
        n, d, density, n_classes=kw.pop("n_classes", 3), **kw),
})

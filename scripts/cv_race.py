"""Cross-validation race: fastlogreg's LogisticRegressionCV beside scikit-learn's
and beside a Python loop of our own LogisticRegression fits, on the same folds
and Cs; then the batched pass's cost for M models against one model's pass.

Every contender is run once untimed (JIT compilation, caches), then
``--repeats`` times alternately; the table gives medians and ratios::

    python scripts/cv_race.py                                   # a short run
    python scripts/cv_race.py --shape 200000x50 --dtype float64  # the issue's race
    python scripts/cv_race.py --shape 1000000x100 --dtype float32 --skip-loop

The scaling table times one batched read of X (``Source.batched_sums``) for
M models (5 folds) against one model's pass on the same X (the faster of the
single-model fused pass and the batched pass with M=1). Beside it: the same
batched pass over X's first rows, which stay in the last-level cache, repeated
to cover as many rows (its arithmetic without memory traffic), and the time
its float64 multiply-adds alone take at the machine's peak rate (NumPy's BLAS
multiplying large square matrices): no pass of M models can be faster.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np


def _parse_shape(text: str) -> tuple[int, int]:
    n, d = text.lower().split("x")
    return int(n), int(d)


def _data(shape, dtype, seed=0):
    from sklearn.datasets import make_classification

    n, d = shape
    X, y = make_classification(n, d, n_informative=max(2, d // 2), random_state=seed)
    return np.asarray(X, dtype=dtype), y


def _median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def race(X, y, *, folds: int, n_cs: int, repeats: int, tol: float, max_iter: int,
         skip_loop: bool) -> dict[str, float]:
    """Medians (seconds) of the three ways of cross-validating C."""
    from sklearn.linear_model import LogisticRegressionCV as SkCV
    from sklearn.model_selection import StratifiedKFold

    from fastlogreg import LogisticRegression, LogisticRegressionCV

    cv = StratifiedKFold(folds)
    Cs = np.logspace(-4, 4, n_cs)
    common = dict(Cs=Cs, cv=cv, l1_ratios=(0,), scoring=None, tol=tol, max_iter=max_iter,
                  use_legacy_attributes=False)
    splits = list(cv.split(X, y))

    def ours():
        return LogisticRegressionCV(**common).fit(X, y)

    def sklearn_cv():
        return SkCV(**common).fit(X, y)

    def loop():
        # what a user writes without a CV estimator: a copy of X per fold, cold fits
        for train, test in splits:
            Xt, yt, Xv, yv = X[train], y[train], X[test], y[test]
            for C in Cs:
                LogisticRegression(C=C, tol=tol, max_iter=max_iter).fit(Xt, yt).score(Xv, yv)

    contenders = {"fastlogreg LogisticRegressionCV": ours,
                  "scikit-learn LogisticRegressionCV": sklearn_cv}
    if not skip_loop:
        contenders["loop of fastlogreg LogisticRegression"] = loop
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at large C, on both sides
        for fn in contenders.values():
            fn()  # warm: compile and fill caches
        times = {name: [] for name in contenders}
        for _ in range(repeats):  # alternately, so that load drifts hit all alike
            for name, fn in contenders.items():
                times[name].append(_median_time(fn, 1))
        check = ours(), sklearn_cv()
    print(f"  best C: ours {check[0].C_:.4g}, scikit-learn {check[1].C_:.4g}")
    return {name: statistics.median(t) for name, t in times.items()}


def fma_peak(seconds: float = 1.0) -> float:
    """The machine's float64 multiply-adds per second: NumPy's BLAS multiplying
    two 2048 x 2048 matrices (cache-blocked, its best case), the fastest of
    the products it completes in ``seconds``."""
    a = np.random.default_rng(2).random((2048, 2048))
    a @ a
    best = np.inf
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        a @ a
        best = min(best, time.perf_counter() - t0)
    return 2048.0 ** 3 / best


# X's first rows of at most this many bytes stay in the last-level cache
# from pass to pass: timed there, a pass is its arithmetic without memory traffic.
CACHE_BYTES = 8 * 1024 * 1024


def scaling(X, y, models: list[int], repeats: int,
            folds: int = 5) -> dict[int, tuple[float, float]]:
    """Median times ``(over X, in cache)`` of one batched read for M models
    (M=0: the single-model pass). "In cache" passes over X's first rows
    until about X's rows are covered, its time scaled to X's rows."""
    from fastlogreg.sources import InMemory

    n, d = X.shape
    k = max(1, min(n, CACHE_BYTES // (d * X.itemsize)))
    rng = np.random.default_rng(0)
    result: dict[int, list[float]] = {}
    for rows in (n, k):
        src = InMemory(np.ascontiguousarray(X[:rows]), y[:rows].astype(np.float64),
                       np.ones(rows))
        laps = n // rows
        weights = np.ones((folds, rows))
        for f in range(folds):
            weights[f, f::folds] = 0.0
        out = np.empty(d + 3)
        w = rng.standard_normal(d) * 0.1

        def single(src=src, w=w, out=out, laps=laps):
            for _ in range(laps):
                src.binary_pass(w, 0.1, 1e-3, out)
        single()
        scale = n / (laps * rows)  # to X's rows
        # one model's pass is short and its time settles only after some
        # passes in a new process: more samples than the batches get
        result.setdefault(0, []).append(_median_time(single, max(repeats, 15)) * scale)
        for M in models:
            W = rng.standard_normal((M, d)) * 0.1
            b = np.zeros(M)
            fold_of = np.arange(M) % folds

            def batch(src=src, W=W, b=b, f=fold_of, sw=weights, laps=laps):
                for _ in range(laps):
                    src.batched_sums(W, b, sw, f)
            batch()
            reps = max(repeats, 15) if M == 1 else repeats
            result.setdefault(M, []).append(_median_time(batch, reps) * scale)
    return {M: (t[0], t[1]) for M, t in result.items()}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", type=_parse_shape, default=(20_000, 20))
    parser.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--Cs", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--max-iter", type=int, default=100)
    parser.add_argument("--models", default="1,16,50",
                        help="M values of the scaling table (comma-separated)")
    parser.add_argument("--skip-loop", action="store_true",
                        help="leave out the loop of single fits (slow on large data)")
    parser.add_argument("--skip-race", action="store_true")
    args = parser.parse_args(argv)

    import numba

    X, y = _data(args.shape, np.dtype(args.dtype))
    print(f"X {args.shape[0]:,} x {args.shape[1]} {args.dtype}, {args.folds} folds x "
          f"{args.Cs} Cs, tol={args.tol}, {numba.get_num_threads()} Numba threads, "
          f"medians of {args.repeats}")
    if not args.skip_race:
        times = race(X, y, folds=args.folds, n_cs=args.Cs, repeats=args.repeats,
                     tol=args.tol, max_iter=args.max_iter, skip_loop=args.skip_loop)
        ours = times["fastlogreg LogisticRegressionCV"]
        print(f"  {'contender':40s} {'seconds':>9s} {'ours / it':>10s}")
        for name, t in times.items():
            print(f"  {name:40s} {t:9.3f} {ours / t:10.3f}")
    models = [int(m) for m in args.models.split(",") if m]
    result = scaling(X, y, sorted(set(models) | {1}), args.repeats, args.folds)
    single = result.pop(0)[0]
    # one model's pass: the faster of the single-model pass and the batched one
    # with one model (the same read of X), so that no ratio flatters the batch
    one = min(single, result[1][0])
    print(f"  batched pass: one model's pass {one * 1e3:.2f} ms (single-model fused pass "
          f"{single * 1e3:.2f} ms, batched with M=1 {result[1][0] * 1e3:.2f} ms); "
          f"'X in cache': the same rows' arithmetic with X in the last-level cache")
    peak = fma_peak()
    print(f"  'multiply-add floor': the pass's 2 n d M float64 multiply-adds (logits and "
          f"gradient) at BLAS's peak of {peak / 1e9:.1f} G/s on this machine")
    print(f"  {'M':>4s} {'ms':>9s} {'x one pass':>11s} {'X in cache ms':>14s} "
          f"{'x one pass':>11s} {'multiply-add floor ms':>22s} {'x one pass':>11s}")
    n, d = X.shape
    for M, (t, cached) in result.items():
        floor = 2.0 * n * d * M / peak
        print(f"  {M:4d} {t * 1e3:9.2f} {t / one:11.2f} {cached * 1e3:14.2f} "
              f"{cached / one:11.2f} {floor * 1e3:22.2f} {floor / one:11.2f}")

if __name__ == "__main__":
    main()

"""Time to the optimum: fastlogreg.LogisticRegression beside scikit-learn, one run.

For each problem this finds the optimum f* of scikit-learn's objective (the
best of tight fits), then times every contender at a ladder of ``tol``
values and reports, per contender, the median time of the cheapest setting
whose objective is within a relative gap of 1e-6 of f* (``gap`` column), plus
the ratios to scikit-learn's lbfgs and to scikit-learn-intelex (when
installed). A second table gives the peak memory of a fit above the input,
measured in fresh processes.

    python scripts/bench_estimator.py            # the full problems (about 10 minutes)
    python scripts/bench_estimator.py --quick    # small problems, for a smoke test

Contenders: scikit-learn's lbfgs; scikit-learn-intelex's LogisticRegression
(oneDAL) when importable; fastlogreg (default solver lbfgs) on float64 and
on float32 input; fastlogreg's nesterov.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression as SkLogisticRegression

from fastlogreg import LogisticRegression
from fastlogreg import reference as ref
from fastlogreg.estimator import alpha_from_C

TOLS = [1e-4, 1e-5, 1e-6, 1e-7, 1e-8]
GAP = 1e-6


def logistic_model(n, d, seed=0):
    """y drawn from a known logistic model: w ~ N(0, 1/d), b = 0.5."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    w = rng.standard_normal(d) / np.sqrt(d)
    y = (rng.random(n) < ref.sigmoid(X @ w + 0.5)).astype(np.int64)
    return X, y


def problems(quick: bool):
    if quick:
        yield "logistic 100k x 20", *logistic_model(100_000, 20)
        yield "notebook 1000 x 10", *make_classification(1000, 10, n_classes=2,
                                                         n_clusters_per_class=1,
                                                         random_state=0)
        return
    yield "logistic 1M x 100 (seed 0)", *logistic_model(1_000_000, 100)
    yield "make_classification 200k x 50", *make_classification(
        200_000, 50, n_informative=20, random_state=0)
    yield "notebook 1000 x 10", *make_classification(1000, 10, n_classes=2,
                                                     n_clusters_per_class=1,
                                                     random_state=0)


def objective(model, X, y, C=1.0):
    J, _, _ = ref.loss_and_gradient(X, y, np.ravel(model.coef_), model.intercept_[0],
                                    alpha=alpha_from_C(C, len(y)))
    return J


def contenders():
    out = {
        "scikit-learn lbfgs": lambda tol: SkLogisticRegression(tol=tol, max_iter=10_000),
    }
    try:
        from sklearnex.linear_model import LogisticRegression as ExLogisticRegression
        out["scikit-learn-intelex"] = lambda tol: ExLogisticRegression(tol=tol,
                                                                        max_iter=10_000)
    except ImportError:
        pass
    out["fastlogreg lbfgs"] = lambda tol: LogisticRegression(tol=tol, max_iter=10_000)
    out["fastlogreg lbfgs, float32 X"] = out["fastlogreg lbfgs"]
    out["fastlogreg nesterov"] = lambda tol: LogisticRegression(
        solver="nesterov", tol=tol, max_iter=100_000)
    return out


def timed_fit(make, X, y, repeats):
    times = []
    for _ in range(repeats):
        model = make()
        start = time.perf_counter()
        model.fit(X, y)
        times.append(time.perf_counter() - start)
    return statistics.median(times), model


def run(quick: bool, repeats: int) -> None:
    warnings.simplefilter("ignore", ConvergenceWarning)
    rows = []
    for name, X, y in problems(quick):
        X32 = X.astype(np.float32)
        # f*: the lowest objective any tight fit finds
        tight = [SkLogisticRegression(tol=1e-12, max_iter=100_000).fit(X, y),
                 LogisticRegression(tol=1e-12, max_iter=100_000).fit(X, y)]
        f_star = min(objective(m, X, y) for m in tight)
        f_star32 = objective(LogisticRegression(tol=1e-12, max_iter=100_000).fit(X32, y),
                             X32.astype(np.float64), y)
        LogisticRegression(max_iter=2).fit(X32[:100], y[:100])  # warm every kernel
        results = {}
        for label, make in contenders().items():
            data, fstar = (X32, f_star32) if "float32" in label else (X, f_star)
            for tol in TOLS:
                seconds, model = timed_fit(lambda make=make, tol=tol: make(tol), data, y,
                                           repeats)
                gap = (objective(model, data.astype(np.float64), y) - fstar) / abs(fstar)
                if gap <= GAP or tol == TOLS[-1]:
                    results[label] = (seconds, gap, tol, int(np.max(model.n_iter_)))
                    break
        base = results["scikit-learn lbfgs"][0]
        ex = results.get("scikit-learn-intelex", (None,))[0]
        for label, (seconds, gap, tol, n_iter) in results.items():
            rows.append((name, label, seconds, gap, tol, n_iter, seconds / base,
                         seconds / ex if ex else None))
    print(f"\nTime to a relative objective gap <= {GAP:g} (median of {repeats}; C=1):\n")
    print("| problem | contender | seconds | gap | tol used | iterations "
          "| vs sklearn lbfgs | vs sklearn-intelex |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for name, label, s, gap, tol, it, r1, r2 in rows:
        r2s = f"{r2:.2f}x" if r2 is not None else "-"
        print(f"| {name} | {label} | {s:.4f} | {gap:.1e} | {tol:g} | {it} | {r1:.2f}x "
              f"| {r2s} |")


_MEMORY_CODE = """
import json, resource, sys, warnings
import numpy as np
warnings.simplefilter("ignore")
which, n, d, dtype = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
if which == "fastlogreg":
    from fastlogreg import LogisticRegression as Model
else:
    from sklearn.linear_model import LogisticRegression as Model
rng = np.random.default_rng(0)
Model(max_iter=2).fit(rng.standard_normal((64, d)).astype(dtype), np.arange(64) % 2)
X = rng.standard_normal((n, d), dtype=np.dtype(dtype))
y = (rng.random(n) < 1 / (1 + np.exp(-X[:, 0]))).astype(int)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
Model().fit(X, y)
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - base
print(json.dumps({"ratio": grown / X.nbytes, "mb": grown / 1e6, "x_mb": X.nbytes / 1e6}))
"""


def memory(quick: bool) -> None:
    n, d = (100_000, 20) if quick else (1_000_000, 100)
    print(f"Peak memory of a default fit above the input, {n} x {d} "
          "(fresh process each):\n")
    print("| library | dtype | X (MB) | peak above X (MB) | / size of X |")
    print("|---|---|---:|---:|---:|")
    for which in ("fastlogreg", "scikit-learn"):
        for dtype in ("float64", "float32"):
            out = subprocess.run([sys.executable, "-c", _MEMORY_CODE, which, str(n),
                                  str(d), dtype], capture_output=True, text=True,
                                 check=True)
            r = json.loads(out.stdout)
            print(f"| {which} | {dtype} | {r['x_mb']:.0f} | {r['mb']:.1f} | "
                  f"{r['ratio']:.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small problems")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    # memory first: measured after the timing runs, the children's peaks came out 0
    # (the parent's freed gigabytes change what the kernel hands them)
    memory(args.quick)
    run(args.quick, 1 if args.quick else args.repeats)


if __name__ == "__main__":
    main()

"""What progress bars and callbacks cost: the same fit with and without them.

    python scripts/bench_monitor.py            # 1,000,000 x 100 float64 (about a minute)
    python scripts/bench_monitor.py --quick

Prints, for gd (100 epochs) and lbfgs (default tol), the median fit time
without a monitor, with ``verbose=1`` (a tqdm bar) plus a callback, and the
relative overhead, at the default record interval (10 iterations). The two
settings are timed alternately so that both see the same machine load.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from fastlogreg import LogisticRegression


def fit_seconds(params, X, y) -> float:
    model = LogisticRegression(**params)
    start = time.perf_counter()
    model.fit(X, y)
    return time.perf_counter() - start


def paired_medians(a, b, X, y, repeats):
    """Median times of two settings timed alternately (a, b, a, b, ...), so that
    both see the same load on a shared machine."""
    ta, tb = [], []
    for _ in range(repeats):
        ta.append(fit_seconds(a, X, y))
        tb.append(fit_seconds(b, X, y))
    return statistics.median(ta), statistics.median(tb)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    n, d = (100_000, 20) if args.quick else (1_000_000, 100)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d))
    y = (X[:, 0] + rng.standard_normal(n) > 0).astype(int)
    warnings.simplefilter("ignore", ConvergenceWarning)
    print(f"{n} x {d} float64, median of {args.repeats}, record every 10 iterations\n")
    print("| solver | plain (s) | verbose + callback (s) | overhead |")
    print("|---|---:|---:|---:|")
    for base in (dict(solver="gd", max_iter=100, tol=0.0), dict(solver="lbfgs")):
        LogisticRegression(**base).fit(X[:1000], y[:1000])  # warm the kernels
        plain, watched = paired_medians(
            base, {**base, "verbose": 1, "callback": lambda it, loss, w, b: False},
            X, y, args.repeats)
        print(f"| {base['solver']} | {plain:.3f} | {watched:.3f} | "
              f"{(watched - plain) / plain:+.1%} |")


if __name__ == "__main__":
    main()

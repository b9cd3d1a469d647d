"""Wide sparse data: our lbfgs against scikit-learn's on a text-like CSR matrix.

A CSR matrix of ``--rows`` x ``--cols`` with ``--nnz`` nonzeros a row (column
indices uniform, values lognormal as tf-idf-like weights), labels drawn from
a sparse true model. Both ``LogisticRegression(solver="lbfgs")`` fit it at
scikit-learn's default ``tol``; after one untimed fit each, ``--repeats``
fits alternate and the medians and their ratio are printed, with the
objective each reached.

Then three profiled fits of ours split their time (the median fit): the
fused passes over X (``Problem.evaluate``), the optimiser's own step
(:meth:`fastlogreg.solvers.lbfgs_core.LBFGSState.tell`) and the rest
(validation, set-up)::

    python scripts/wide_sparse.py                      # 20,000 x 50,000, seconds
    python scripts/wide_sparse.py --rows 200000 --cols 500000 --nnz 50
"""

from __future__ import annotations

import os

# Numba's and scikit-learn's OpenMP pools share this process: idle threads
# sleep instead of spinning while the other library runs (see solver_race.py).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse
import cProfile
import pstats
import statistics
import time
import warnings

import numpy as np
import scipy.sparse as sp


def make_data(rows: int, cols: int, nnz: int, seed: int = 0):
    """CSR (rows, cols) float64 with ``nnz`` nonzeros a row, and 0/1 labels."""
    rng = np.random.default_rng(seed)
    indices = rng.integers(0, cols, size=(rows, nnz))
    indices.sort(axis=1)
    data = rng.lognormal(0.0, 0.5, size=rows * nnz) / np.sqrt(nnz)
    indptr = np.arange(0, rows * nnz + 1, nnz, dtype=np.int64)
    X = sp.csr_matrix((data, indices.ravel(), indptr), shape=(rows, cols))
    X.sum_duplicates()  # a row may draw a column twice
    true = np.zeros(cols)
    support = rng.choice(cols, size=max(1, cols // 100), replace=False)
    true[support] = rng.standard_normal(support.size) * 4.0
    logits = X @ true
    y = (rng.random(rows) < 1.0 / (1.0 + np.exp(-(logits - np.median(logits))))).astype(int)
    return X, y


def objective(model, X, y) -> float:
    """scikit-learn's objective: mean log-loss + ||w||^2 / (2 C n)."""
    z = X @ model.coef_.ravel() + model.intercept_[0]
    loss = np.mean(np.logaddexp(0.0, z) - y * z)
    return float(loss + 0.5 * np.dot(model.coef_.ravel(), model.coef_.ravel())
                 / (model.C * X.shape[0]))


def _split(stats) -> tuple[float, float, float]:
    """``(fit, passes over X, optimiser step)`` seconds of one profiled fit: the
    passes are ``Problem.evaluate``, the step ``LBFGSState.tell`` (never nested
    in one another)."""
    def cum(module, func):
        return sum(v[3] for (path, _, name), v in stats.items()
                   if name == func and path.endswith(module))
    total = max(v[3] for v in stats.values())
    return (total, cum(os.path.join("solvers", "problem.py"), "evaluate"),
            cum("lbfgs_core.py", "tell"))


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Print the race and the split of our fit; return the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--cols", type=int, default=50_000)
    parser.add_argument("--nnz", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)

    from sklearn.linear_model import LogisticRegression as SkLR

    from fastlogreg import LogisticRegression

    X, y = make_data(args.rows, args.cols, args.nnz)
    contenders = {"fastlogreg": lambda: LogisticRegression().fit(X, y),
                  "scikit-learn": lambda: SkLR().fit(X, y)}
    times: dict[str, list[float]] = {name: [] for name in contenders}
    models = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning, alike on both sides
        for name, fit in contenders.items():
            models[name] = fit()  # warm: compile, fill caches
        for _ in range(args.repeats):  # alternately, so that load drifts hit both
            for name, fit in contenders.items():
                start = time.perf_counter()
                fit()
                times[name].append(time.perf_counter() - start)
        profiles = []
        for _ in range(3):
            profile = cProfile.Profile()
            profile.enable()
            LogisticRegression().fit(X, y)
            profile.disable()
            profiles.append(pstats.Stats(profile).stats)

    medians = {name: statistics.median(t) for name, t in times.items()}
    print(f"CSR {args.rows:,} x {args.cols:,}, {X.nnz / args.rows:.1f} nonzeros a row, "
          f"lbfgs at default tol, medians of {args.repeats} "
          f"(OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')})")
    for name, model in models.items():
        print(f"  {name:<13} {medians[name]:8.3f} s   n_iter {int(model.n_iter_[0]):4d}   "
              f"objective {objective(model, X, y):.10f}")
    ratio = medians["fastlogreg"] / medians["scikit-learn"]
    print(f"  ratio fastlogreg / scikit-learn: {ratio:.2f}")

    splits = sorted((_split(stats) for stats in profiles), key=lambda t: t[0])
    total, passes, step = splits[len(splits) // 2]  # the median fit
    print(f"  profiled fit of ours (median of {len(splits)}): {total:.3f} s; passes over X "
          f"{passes:.3f} s ({passes / total:.1%}), the optimiser's step {step:.3f} s "
          f"({step / total:.1%}), the rest (validation, set-up) "
          f"{(total - passes - step) / total:.1%}")
    share = step / total
    objectives = {f"objective {name}": objective(m, X, y) for name, m in models.items()}
    return {**medians, **objectives, "ratio": ratio, "optimiser_share": share}


if __name__ == "__main__":
    main()

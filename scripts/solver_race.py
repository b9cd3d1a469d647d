"""Time to a relative objective gap of 1e-6, scikit-learn's solvers against ours.

For each solver name (default: those of lbfgs, newton-cg, newton-cholesky, sag,
saga and liblinear that both packages have), on ``make_classification`` data of
the given shape and dtype, both ``LogisticRegression(solver=name)`` classes
are fitted side by side:

1. A reference optimum ``J*``: the lowest objective of tight fits (tol 1e-12)
   of scikit-learn's newton-cholesky and lbfgs and of ours.
2. For each implementation, the loosest ``tol`` of the ladder 1e-2, 1e-3, ...,
   1e-12 whose fit reaches ``(J - J*) / J* <= 1e-6`` (one untimed warm fit
   first, then one untimed fit per rung until one reaches the gap). Each
   side thus gets its own best setting of the one knob users turn.
3. ``--repeats`` fits of each at that ``tol``, alternating scikit-learn and
   ours, timed; medians are printed with the ratio ours / scikit-learn.

The objective is scikit-learn's (mean log-loss + ||w||^2 / (2 C n)),
evaluated in float64 for both from their ``coef_`` and ``intercept_``; for
liblinear, liblinear's (the intercept penalised as a weight too), with its own
reference optimum from both sides' tight fits.
``OMP_WAIT_POLICY`` is PASSIVE unless set (see the comment at the top): both
libraries' idle OpenMP threads then sleep instead of spinning while the
other one runs.

Ours runs through ``fastlogreg.LogisticRegression`` when it takes the solver
name, else (or with ``--via problem``) as the solver of
:mod:`fastlogreg.solvers` on a :class:`~fastlogreg.solvers.BinaryProblem`
(the column ``via`` says which).

Usage::

    python scripts/solver_race.py                         # 20,000 x 20, seconds
    python scripts/solver_race.py --shape 200000x50 --dtype float64
    python scripts/solver_race.py newton-cholesky --shape 1000000x100 --dtype float32
"""

from __future__ import annotations

import os

# Two OpenMP runtimes share this process (Numba's "omp" threading layer and
# scikit-learn's, beside OpenBLAS's threads). With their default wait policy,
# the idle pool of one keeps spinning while the other works: on 2 cores,
# scikit-learn's newton-cholesky at 200,000 x 50 took 1.1-1.4 s alone and
# 34-38 s right after one fit of ours in the same process (3 runs each,
# busy machine); with PASSIVE, 1.1-1.4 s both ways. Set before
# any runtime starts; an explicit OMP_WAIT_POLICY in the environment wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse
import statistics
import time
import warnings

import numpy as np

NAMES = ("lbfgs", "newton-cg", "newton-cholesky", "sag", "saga", "liblinear")
LADDER = [10.0**-k for k in range(2, 13)]
GAP = 1e-6


def make_data(n: int, d: int, dtype: str, seed: int = 0):
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=n, n_features=d, random_state=seed)
    return np.ascontiguousarray(X, dtype=dtype), y


class Ours:
    """Our solver ``name``: the estimator if it takes the name, else the solver
    on the problem directly."""

    def __init__(self, name, X, y, C, max_iter, via="estimator"):
        import fastlogreg
        from fastlogreg import solvers

        self.name, self.X, self.y, self.C, self.max_iter = name, X, y, C, max_iter
        self.via = via
        if via == "estimator":
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    fastlogreg.LogisticRegression(solver=name, max_iter=1).fit(X[:50],
                                                                               y[:50])
            except (ValueError, TypeError, NotImplementedError, KeyError):
                self.via = "problem"
        if self.via == "problem":
            self.problem = solvers.BinaryProblem(X, y.astype(np.float64),
                                                 np.ones(len(y)),
                                                 alpha=1.0 / (C * len(y)))
            self.solver = solvers.SOLVERS[name]

    def fit(self, tol):
        """``theta = [w, b]`` of a fit at ``tol``."""
        if self.via == "problem":
            p = self.problem
            return self.solver(p, np.zeros(p.n_params), max_iter=self.max_iter,
                               tol=tol).theta
        import fastlogreg

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = fastlogreg.LogisticRegression(solver=self.name, C=self.C, tol=tol,
                                              max_iter=self.max_iter).fit(self.X, self.y)
        return np.r_[m.coef_.ravel(), m.intercept_]


class Theirs:
    def __init__(self, name, X, y, C, max_iter):
        self.name, self.X, self.y, self.C, self.max_iter = name, X, y, C, max_iter

    def fit(self, tol):
        from sklearn.linear_model import LogisticRegression

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = LogisticRegression(solver=self.name, C=self.C, tol=tol,
                                   max_iter=self.max_iter).fit(self.X, self.y)
        return np.r_[m.coef_.ravel(), m.intercept_]


def objective(problem, theta) -> float:
    return float(problem.evaluate(np.asarray(theta, dtype=np.float64))[problem.n_params])


def loosest_tol(impl, problem, J_star):
    """First tol of the ladder whose fit reaches the gap, and that gap (the
    tightest rung's, if none does)."""
    impl.fit(LADDER[0])  # warm: compilation, caches
    gap = np.inf
    for tol in LADDER:
        gap = (objective(problem, impl.fit(tol)) - J_star) / abs(J_star)
        if gap <= GAP:
            return tol, gap
    return LADDER[-1], gap


def timed(fit, tol) -> float:
    t = time.perf_counter()
    fit(tol)
    return time.perf_counter() - t


def race(names, n, d, dtype, repeats, C=1.0, max_iter=10_000, via="estimator",
         out=print):
    """Print one row per solver name; returns the rows as dicts."""
    from fastlogreg import solvers

    X, y = make_data(n, d, dtype)
    problem = solvers.BinaryProblem(X, y.astype(np.float64), np.ones(n),
                                    alpha=1.0 / (C * n))
    tight = [Theirs("newton-cholesky", X, y, C, 1000).fit(1e-12),
             Theirs("lbfgs", X, y, C, max_iter).fit(1e-12),
             solvers.newton_cholesky(problem, np.zeros(d + 1), max_iter=1000,
                                     tol=1e-12).theta]
    J_star = min(objective(problem, t) for t in tight)
    out(f"{n} x {d} {dtype}, C={C}, J* = {J_star:.12g}; time to a relative gap of "
        f"{GAP:g}, medians of {repeats} (OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')})")
    out(f"{'solver':16} {'via':9} {'tol sk':>7} {'tol ours':>8} {'sklearn s':>10} "
        f"{'ours s':>8} {'ours/sk':>8}")
    rows = []
    for name in names:
        theirs, ours = Theirs(name, X, y, C, max_iter), Ours(name, X, y, C, max_iter, via)
        target, J_target = problem, J_star
        if name == "liblinear":  # its own objective: the intercept penalised too
            target = solvers.BinaryProblem(X, y.astype(np.float64), np.ones(n),
                                           alpha=1.0 / (C * n), intercept_alpha=1.0 / (C * n))
            J_target = min(objective(target, impl.fit(1e-12)) for impl in (theirs, ours))
        tol_sk, gap_sk = loosest_tol(theirs, target, J_target)
        tol_us, gap_us = loosest_tol(ours, target, J_target)
        t_sk, t_us = [], []
        for _ in range(repeats):  # alternating
            t_sk.append(timed(theirs.fit, tol_sk))
            t_us.append(timed(ours.fit, tol_us))
        row = {"solver": name, "via": ours.via, "tol_sklearn": tol_sk, "tol_ours": tol_us,
               "gap_sklearn": gap_sk, "gap_ours": gap_us,
               "sklearn": statistics.median(t_sk), "ours": statistics.median(t_us)}
        row["ratio"] = row["ours"] / row["sklearn"]
        flag = ("" if max(gap_sk, gap_us) <= GAP
                else f"  (gap not reached: {gap_sk:.1g} / {gap_us:.1g})")
        out(f"{name:16} {ours.via:9} {tol_sk:7.0e} {tol_us:8.0e} {row['sklearn']:10.3f} "
            f"{row['ours']:8.3f} {row['ratio']:8.2f}{flag}")
        rows.append(row)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("solvers", nargs="*", help=f"default: all of {NAMES}")
    parser.add_argument("--shape", default="20000x20", help="n_samples x n_features")
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--C", type=float, default=1.0)
    parser.add_argument("--blas-threads", type=int, default=None,
                        help="limit BLAS (OpenBLAS) threads for the whole run "
                             "(threadpoolctl); on a busy 2-core machine scikit-learn's "
                             "newton-cholesky varied 0.4-20 s with 2 BLAS threads")
    parser.add_argument("--via", default="estimator", choices=["estimator", "problem"],
                        help="drive ours through the estimator (if it takes the "
                             "name) or the solver on a BinaryProblem")
    args = parser.parse_args(argv)
    n, d = (int(v) for v in args.shape.lower().split("x"))
    names = args.solvers or list(NAMES)
    if args.blas_threads is None:
        race(names, n, d, args.dtype, args.repeats, C=args.C, via=args.via)
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(args.blas_threads, user_api="blas"):
        race(names, n, d, args.dtype, args.repeats, C=args.C, via=args.via)


if __name__ == "__main__":
    main()

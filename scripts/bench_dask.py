"""fastlogreg against dask-ml on the same Dask LocalCluster and data.

    pip install ".[dask]" dask-ml
    python scripts/bench_dask.py                   # 2,000,000 x 100 float64, 8 chunks
    python scripts/bench_dask.py --n 200000        # a quick trial

Starts ``LocalCluster(n_workers=2, threads_per_worker=1)`` (processes, on
loopback), generates X and y of a logistic model on the workers (fixed seed),
persists them, and times ``fastlogreg.LogisticRegression(solver="lbfgs")``
and ``dask_ml.linear_model.LogisticRegression(solver="lbfgs")`` to a relative
objective gap <= ``--target`` (1e-6), timed alternately, medians of
``--repeats``. Both minimise scikit-learn's objective ``C sum_i l_i +
||w||^2 / 2`` with the intercept unpenalised: dask-ml with
``solver_kwargs={"normalize": False}`` and an L2 penalty that skips the
intercept (its default standardises the columns and penalises the
intercept, a different optimum). ``f*`` comes from fastlogreg in memory at
``tol=1e-10`` on the gathered data; each tool's ``tol`` is the loosest of a
ladder that reaches the target gap. Bytes sent over TCP by every process are
counted during each timed fit.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings

import numpy as np

warnings.simplefilter("ignore")


def install_byte_counter():
    """Count bytes written by distributed's TCP comms in this process."""
    import distributed.comm.tcp as tcp

    if getattr(tcp, "_bench_counter", None) is None:
        tcp._bench_counter = [0]
        write = tcp.TCP.write

        async def counted(self, msg, serializers=None, on_error="message"):
            n = await write(self, msg, serializers=serializers, on_error=on_error)
            tcp._bench_counter[0] += n
            return n

        tcp.TCP.write = counted
    return True


def bytes_sent():
    import distributed.comm.tcp as tcp

    return tcp._bench_counter[0]


def gen_X(block_id=None, *, seed, rows, d):
    return np.random.default_rng([seed, block_id[0]]).standard_normal((rows, d))


def gen_y(X, block_id=None, *, seed, w):
    rng = np.random.default_rng([seed, 1_000_000 + block_id[0]])
    return (rng.random(X.shape[0]) < 1 / (1 + np.exp(-(X @ w + 0.3)))).astype(np.float64)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2_000_000)
    parser.add_argument("--d", type=int, default=100)
    parser.add_argument("--chunks", type=int, default=8)
    parser.add_argument("--C", type=float, default=1.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--target", type=float, default=1e-6)
    args = parser.parse_args()

    import dask
    import dask.array as da
    import dask_ml
    import distributed
    from dask_glm.regularizers import L2
    from dask_ml.linear_model import LogisticRegression as DaskMLLogisticRegression

    import fastlogreg
    from fastlogreg import LogisticRegression
    from fastlogreg.solvers import BinaryProblem

    class L2NoIntercept(L2):
        """dask-glm's L2 without the intercept (the last coefficient)."""

        name = "l2_no_intercept"

        def f(self, beta):
            return (beta[:-1] ** 2).sum() / 2

        def gradient(self, beta):
            g = beta.copy()
            g[-1] = 0.0
            return g

    n, d, C = args.n, args.d, args.C
    rows = -(-n // args.chunks)
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=None)
    client = distributed.Client(cluster)
    install_byte_counter()
    client.run(install_byte_counter)

    def traffic():
        return bytes_sent() + sum(client.run(bytes_sent).values())

    w_true = np.random.default_rng(1).standard_normal(d) * 2 / np.sqrt(d)
    chunks = ((rows,) * (n // rows) + ((n % rows,) if n % rows else ()), (d,))
    X = da.map_blocks(gen_X, seed=0, rows=rows, d=d, chunks=chunks, dtype=np.float64,
                      meta=np.empty((0, 0)))
    X = X[:n] if X.shape[0] != n else X
    y = X.map_blocks(gen_y, seed=0, w=w_true, drop_axis=1, dtype=np.float64,
                     meta=np.empty((0,)))
    X, y = client.persist([X, y])
    distributed.wait([X, y])

    Xl, yl = dask.compute(X, y)
    problem = BinaryProblem(Xl, yl, np.ones(n), alpha=1 / (C * n))

    def objective(w, b):
        return problem.evaluate(np.r_[w, b])[d + 1]

    best = LogisticRegression(C=C, tol=1e-10, max_iter=1000).fit(Xl, yl)
    f_star = objective(best.coef_[0], best.intercept_[0])

    def fit_fast(tol):
        m = LogisticRegression(C=C, tol=tol, max_iter=1000).fit(X, y)
        return m.coef_[0], m.intercept_[0], int(m.n_iter_[0])

    def fit_daskml(tol):
        m = DaskMLLogisticRegression(solver="lbfgs", C=C, tol=tol, max_iter=1000,
                                     penalty=L2NoIntercept(),
                                     solver_kwargs={"normalize": False}).fit(X, y)
        return np.asarray(m.coef_), float(m.intercept_), int(getattr(m, "n_iter_", -1))

    # loosest tol of each ladder that reaches the target gap (scales differ:
    # fastlogreg's is on the mean objective, dask-ml's on the sum)
    ladders = {"fastlogreg": (fit_fast, [1e-4, 3e-5, 1e-5, 3e-6, 1e-6, 3e-7, 1e-7]),
               "dask-ml": (fit_daskml, [100, 30, 10, 3, 1, 0.3, 0.1, 1e-2, 1e-4])}
    chosen = {}
    for name, (fit, ladder) in ladders.items():
        for tol in ladder:
            w, b, _ = fit(tol)
            gap = (objective(w, b) - f_star) / abs(f_star)
            if gap <= args.target:
                chosen[name] = tol
                break
        else:
            chosen[name] = ladder[-1]

    times = {name: [] for name in ladders}
    result = {}
    for _ in range(args.repeats):
        for name, (fit, _) in ladders.items():
            before = traffic()
            start = time.perf_counter()
            w, b, n_iter = fit(chosen[name])
            times[name].append(time.perf_counter() - start)
            result[name] = (n_iter, (objective(w, b) - f_star) / abs(f_star),
                            traffic() - before)
    # one fused pass on its own: its time and what it sends
    from fastlogreg.sources import DaskArrays

    source = DaskArrays(X, y, X[:, 0].map_blocks(lambda c: np.ones(c.shape[0]),
                                                 dtype=np.float64))
    w0 = np.zeros(d)
    source.binary_sums(w0, 0.0, True)  # warm: workers compile or load the kernel
    before, start, passes = traffic(), time.perf_counter(), 10
    for _ in range(passes):
        source.binary_sums(w0, 0.0, True)
    pass_ms = (time.perf_counter() - start) / passes * 1e3
    pass_kb = (traffic() - before) / passes / 1e3
    client.close()
    cluster.close()

    fast = statistics.median(times["fastlogreg"])
    print(f"{n:,} x {d} float64 in {len(X.chunks[0])} row chunks, LocalCluster 2 workers "
          f"x 1 thread; C={C}; target gap {args.target:g}; fastlogreg "
          f"{fastlogreg.__version__}, dask-ml {dask_ml.__version__}, dask "
          f"{dask.__version__}; load average {os.getloadavg()[0]:.1f}")
    print()
    print("| estimator (lbfgs) | tol | time to gap (median) | runs | iterations | gap "
          "| MB sent per fit | vs dask-ml |")
    print("|---|---:|---:|---|---:|---:|---:|---:|")
    ref = statistics.median(times["dask-ml"])
    for name in ladders:
        t = statistics.median(times[name])
        n_iter, gap, sent = result[name]
        print(f"| {name} | {chosen[name]:g} | {t:.2f} s | "
              f"{', '.join(f'{v:.2f}' for v in times[name])} | {n_iter} | {gap:.1e} "
              f"| {sent / 1e6:.2f} | {t / ref:.2f}x |")
    print()
    print(f"fastlogreg / dask-ml: {fast / ref:.2f}x")
    print(f"one fastlogreg pass over the cluster: {pass_ms:.0f} ms, {pass_kb:.1f} kB sent "
          f"(all processes; X is {X.nbytes / 1e9:.2f} GB)")


if __name__ == "__main__":
    main()

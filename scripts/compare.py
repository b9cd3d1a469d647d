"""One run, one table: the oracle, the kernels and scikit-learn side by side.

For each problem and dtype this prints, from a single process, the median
time of one gradient-descent epoch of the NumPy oracle and of the kernels,
their ratio, scikit-learn's time per L-BFGS iteration on the same data (and
scikit-learn-intelex's, when installed), and the share of this machine's read
bandwidth (measured in the same run by ``scripts/diagnostics/bandwidth.py``) that the
kernels' epoch reaches. A second table times whole fits on the notebook's
problem, and a third the import + first-fit and cold-compile times measured in
fresh processes. A small table between them times the F-ordered epoch against
the C-ordered one.

The kernels' epochs alternate with bandwidth probes, the C with the F epochs,
and the notebook's contenders with each other in rounds of ten calls
(``_timing.interleaved_seconds``), so that the two sides of those ratios see
the same machine load: on a shared machine, times measured a minute apart
can differ by more than the contenders do. The oracle's and scikit-learn's
epochs are timed in blocks of their own, because their BLAS and OpenMP
threads keep spinning after a call and slow a Numba pass that follows.

    python scripts/compare.py              # the README's table
    python scripts/compare.py --quick      # small sizes, one repeat (CI smoke test)

Definitions (all medians of ``--repeats`` runs):

- oracle epoch: ``reference.loss_and_gradient`` and the update, one
  epoch of ``reference.train`` between records;
- kernels epoch: ``dense.gd_epochs`` run for 10 epochs with a record every
  epoch, divided by 10: the loss and the gradient every epoch, the oracle
  epoch's work (a fit records every 10 epochs by default, so its epochs skip
  the loss 9 times in 10 and are a little cheaper);
  parallel over fixed row blocks for more than ``PARALLEL_ELEMENTS`` elements;
- scikit-learn: ``LogisticRegression(solver="lbfgs", max_iter=10, tol=0)``
  fit time divided by its ``n_iter_`` (an L-BFGS iteration costs about one
  loss-and-gradient pass, so it is the nearest peer of an epoch);
- bandwidth: the best of the row's probes (``bandwidth._parallel_sum`` over
  the 1 GiB array, one per round); GB/s: ``X.nbytes`` per kernels epoch;
  % BW: that over the row's bandwidth; paired: the median over the rounds of
  each round's epoch GB/s over the GB/s of the probe timed right after it
  (on a machine whose probe varies 2x within a minute, the best probe is a
  quiet moment and the median epoch a typical one; the paired share compares
  the two under one load).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numba
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent / "diagnostics"))
import bandwidth

from fastlogreg import reference
from fastlogreg._timing import interleaved_seconds, median_seconds
from fastlogreg.comparisons import make_case
from fastlogreg.kernels import dense
from fastlogreg.sources import InMemory

# The solvers' threshold for the parallel pass (solvers' PARALLEL_MIN_ELEMENTS).
PARALLEL_ELEMENTS = 1 << 17
EPOCHS_PER_CALL = 10

FULL_PROBLEMS = [(100_000, 50, "C"), (1_000_000, 100, "C"), (1_000_000, 100, "F")]
QUICK_PROBLEMS = [(20_000, 50, "C"), (20_000, 50, "F")]


def sklearn_peers():
    """``(name, LogisticRegression class)`` for scikit-learn and, if importable,
    scikit-learn-intelex."""
    from sklearn.linear_model import LogisticRegression

    peers = [("scikit-learn", LogisticRegression)]
    try:
        from sklearnex.linear_model import LogisticRegression as ExLogisticRegression
    except ImportError:
        pass
    else:
        peers.append(("sklearnex", ExLogisticRegression))
    return peers


def sklearn_iteration(cls, X, y, repeats: int) -> float:
    """Seconds per L-BFGS iteration of ``cls`` (10 iterations, no stopping)."""
    from sklearn.exceptions import ConvergenceWarning

    n_iter = []

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = cls(solver="lbfgs", max_iter=10, tol=0.0).fit(X, y)
        n_iter.append(int(np.max(model.n_iter_)))

    t = median_seconds(run, max(1, repeats // 2 + 1), warmup=1)
    return t / max(1, n_iter[-1])


def oracle_epoch(case) -> None:
    _, dw, db = reference.loss_and_gradient(case.X, case.y, case.w, case.b,
                                            sample_weight=case.sample_weight)
    case.w - case.learning_rate * dw, case.b - case.learning_rate * db


def kernels_epoch_runner(case):
    X, y, sw = case.X, case.y, case.sample_weight
    d = X.shape[1]
    parallel = X.size >= PARALLEL_ELEMENTS and numba.get_num_threads() > 1
    w = case.w.copy()
    b = np.array([case.b])
    grad = np.empty(d + 3)
    history = np.empty((EPOCHS_PER_CALL, 3))
    dense.gd_first_pass(X, y, sw, w, b, 0.0, True, parallel, grad)

    def run():
        # a tiny step: the weights stay put, every call does the same work
        dense.gd_epochs(X, y, sw, w, b, 1e-12, 0.0, True, parallel, 0,
                        EPOCHS_PER_CALL, 1, grad, history)

    return run


def epoch_table(problems, repeats: int, probe_array: np.ndarray) -> list[str]:
    peers = sklearn_peers()
    head = ["problem", "dtype", "order", "oracle epoch", "kernels epoch", "oracle / kernels"]
    for name, _ in peers:
        head += [f"{name} iter", f"{name} / kernels"]
    head += ["bandwidth GB/s", "kernels GB/s", "% of BW", "% of BW, paired"]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * 3 + "---:|" * (len(head) - 3)]
    for n, d, order in problems:
        for dtype in (np.float64, np.float32):
            case = make_case(n, d, dtype=dtype, layout=order)
            # The kernels' epochs and the bandwidth probe alternate, so that the
            # share of bandwidth compares two reads under one load. The oracle
            # and scikit-learn are timed in blocks of their own: their BLAS and
            # OpenMP threads keep spinning after each call, and a Numba pass
            # right after scikit-learn's ran 3-5x slower on the two cores.
            kernels, probe = interleaved_seconds(
                [kernels_epoch_runner(case), lambda: bandwidth._parallel_sum(probe_array)],
                repeats, warmup=1)
            t_fast = statistics.median(kernels) / EPOCHS_PER_CALL
            bw = probe_array.nbytes / min(probe) / 1e9
            t_oracle = median_seconds(lambda case=case: oracle_epoch(case), repeats, warmup=1)
            cells = [f"{n:,} x {d}", np.dtype(dtype).name, order, _ms(t_oracle),
                     _ms(t_fast), f"{t_oracle / t_fast:.1f}x"]
            for _, cls in peers:
                t_peer = sklearn_iteration(cls, case.X, case.y, repeats)
                cells += [_ms(t_peer), f"{t_peer / t_fast:.1f}x"]
            gbs = case.X.nbytes / t_fast / 1e9
            # the same share round by round, each epoch against the probe
            # timed right after it: under the load of that moment
            paired = statistics.median(
                (case.X.nbytes * EPOCHS_PER_CALL / tk) / (probe_array.nbytes / tp)
                for tk, tp in zip(kernels, probe, strict=True))
            cells += [f"{bw:.1f}", f"{gbs:.1f}", f"{gbs / bw:.0%}", f"{paired:.0%}"]
            rows.append("| " + " | ".join(cells) + " |")
            print(rows[-1], file=sys.stderr, flush=True)
            del case
    return rows


def layout_table(problems, repeats: int) -> list[str]:
    """F- against C-ordered kernel epochs of the same data, timed alternately
    (C, F, C, F, ...) so that both see the same machine load: on a shared
    machine two epoch times measured a minute apart can differ by more than
    the layouts do."""
    rows = ["| problem | dtype | C epoch | F epoch | F / C |", "|---|---|---:|---:|---:|"]
    for n, d in sorted({(n, d) for n, d, order in problems if order == "F"}):
        for dtype in (np.float64, np.float32):
            runners = [kernels_epoch_runner(make_case(n, d, dtype=dtype, layout=order))
                       for order in "CF"]
            t_c, t_f = (statistics.median(ts) / EPOCHS_PER_CALL
                        for ts in interleaved_seconds(runners, repeats, warmup=1))
            rows.append(f"| {n:,} x {d} | {np.dtype(dtype).name} | {_ms(t_c)} | "
                        f"{_ms(t_f)} | {t_f / t_c:.2f}x |")
            print(rows[-1], file=sys.stderr, flush=True)
            del runners
    return rows


def notebook_table(repeats: int) -> list[str]:
    import fastlogreg
    from fastlogreg.demo import NOTEBOOK_SETTINGS, notebook_init, notebook_problem

    X, y = notebook_problem()
    w0, b0 = notebook_init()
    d = X.shape[1]
    sw = np.ones(X.shape[0])
    epochs = NOTEBOOK_SETTINGS["epochs"]
    every = NOTEBOOK_SETTINGS["record_every"]
    lr = NOTEBOOK_SETTINGS["learning_rate"]

    Xe = InMemory(X, y, sw).epoch_X  # what gd's epochs read: a column-major copy

    def kernels_only():
        w = w0.copy()
        b = np.array([b0])
        grad = np.empty(d + 3)
        history = np.empty((epochs, 3))
        dense.gd_first_pass(Xe, y, sw, w, b, 0.0, True, False, grad)  # as gd
        dense.gd_epochs(Xe, y, sw, w, b, lr, 0.0, True, False, 0, epochs, every, grad,
                        history)

    runs = [
        ("NumPy oracle `reference.train`",
         lambda: reference.train(X, y, w0=w0, b0=b0, **NOTEBOOK_SETTINGS)),
        ("`fastlogreg.fit(solver='gd')`",
         lambda: fastlogreg.fit(X, y, coef_init=w0, intercept_init=b0,
                                **NOTEBOOK_SETTINGS)),
        ("kernels alone (`gd_first_pass` + one `gd_epochs` call over gd's copy)",
         kernels_only),
    ]
    from sklearn.linear_model import LogisticRegression

    runs.append(("scikit-learn `LogisticRegression()` (lbfgs, to convergence)",
                 lambda: LogisticRegression().fit(X, y)))
    if hasattr(fastlogreg, "LogisticRegression"):
        runs.append(("`fastlogreg.LogisticRegression(solver='gd', max_iter=100)`",
                     lambda: _estimator_fit(fastlogreg.LogisticRegression, X, y)))
    # rounds of ten calls each: a millisecond fit right after the oracle runs
    # with cold caches (see _timing.interleaved_seconds); the median is warm
    samples = interleaved_seconds([f for _, f in runs], repeats, warmup=3, calls=10)
    times = [(label, statistics.median(ts)) for (label, _), ts in zip(runs, samples,
                                                                      strict=True)]
    t_oracle = times[0][1]
    rows = ["| notebook problem, 1000 x 10, 100 epochs | time | oracle / this |",
            "|---|---:|---:|"]
    for label, t in times:
        rows.append(f"| {label} | {_ms(t)} | {t_oracle / t:.1f}x |")
    return rows


def _estimator_fit(cls, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls(solver="gd", max_iter=100).fit(X, y)


# A default fit on float64 C data of the notebook's size, numpy-made data only.
_FIRST_FIT = (
    "import time; t0 = time.perf_counter(); import numpy as np; import fastlogreg; "
    "t1 = time.perf_counter(); rng = np.random.default_rng(0); "
    "X = rng.standard_normal((1000, 10)); y = (X[:, 0] > 0).astype(float); "
    "fastlogreg.fit(X, y); t2 = time.perf_counter(); print(t2 - t0, t1 - t0)"
)


def compile_table() -> list[str]:
    """Import + first fit in a fresh process: with the Numba cache as it is
    (warm after this script's own runs) and with an empty cache directory."""
    def fresh(env_extra):
        env = {**os.environ, **env_extra}
        out = subprocess.run([sys.executable, "-c", _FIRST_FIT], env=env, check=True,
                             capture_output=True, text=True)
        total, imported = out.stdout.strip().splitlines()[-1].split()
        return float(total), float(imported)

    fresh({})  # make sure the cache is warm for these exact calls
    warm = sorted(fresh({}) for _ in range(3))[1]
    with tempfile.TemporaryDirectory() as tmp:
        cold = fresh({"NUMBA_CACHE_DIR": tmp})
    return ["| fresh process, default `fit` of float64 C data | import + fit | "
            "of which `import fastlogreg` |",
            "|---|---:|---:|",
            f"| warm Numba cache | {warm[0]:.2f} s | {warm[1]:.2f} s |",
            f"| cold (empty NUMBA_CACHE_DIR): compile all a default fit needs "
            f"| {cold[0]:.2f} s | {cold[1]:.2f} s |"]


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3g} ms" if seconds >= 1e-3 else f"{seconds * 1e6:.3g} µs"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f
                       if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (f"{cpu}, {os.cpu_count()} cores, {numba.get_num_threads()} Numba threads, "
            f"Python {platform.python_version()}, NumPy {np.__version__}, "
            f"Numba {numba.__version__}, {_peer_versions()}")


def _peer_versions() -> str:
    """The installed versions of the peers timed (the distributions' own
    numbers: ``sklearnex.__version__`` of a PyPI wheel can read 2199.9.9)."""
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for dist in ("scikit-learn", "scikit-learn-intelex"):
        try:
            out.append(f"{dist} {version(dist)}")
        except PackageNotFoundError:
            pass
    return ", ".join(out)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="small problems, few repeats, no compile timings")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--no-compile", action="store_true",
                        help="skip the fresh-process compile timings")
    args = parser.parse_args(argv)
    repeats = args.repeats or (1 if args.quick else 7)
    mib = 128 if args.quick else 1024
    probe = bandwidth.make_array(mib)
    bw = bandwidth.measure_bandwidth(probe, 3 if args.quick else 10)
    lines = [f"Machine: {machine()}.", "",
             "Read bandwidth measured at the start of this run "
             f"(`scripts/diagnostics/bandwidth.py`): **{bw:.1f} GB/s**; each row's own "
             "figure is the best of the probes timed between its epochs.", ""]
    lines += epoch_table(QUICK_PROBLEMS if args.quick else FULL_PROBLEMS, repeats, probe)
    lines += ["", *layout_table(QUICK_PROBLEMS if args.quick else FULL_PROBLEMS, repeats)]
    lines += ["", *notebook_table(1 if args.quick else repeats)]
    if not (args.quick or args.no_compile):
        lines += ["", *compile_table()]
    lines += ["", f"`python scripts/compare.py{' --quick' if args.quick else ''}`, "
              f"medians of {repeats} repeats (of 10 calls for the notebook)."]
    print("\n".join(lines))


if __name__ == "__main__":
    main()

"""The ``fastlogreg`` command line (also ``python -m fastlogreg``).

Commands: ``demo`` (the default), ``train``, ``predict`` and ``bench``; see
``fastlogreg COMMAND --help``. Exit codes: 0 on success, 2 on a user error
(bad option, missing or unusable file, a value the library refuses), shown as
one line ``fastlogreg: error: ...`` on stderr without a traceback; 130 when
interrupted. Warnings from training (``ConvergenceWarning``,
``DivergenceWarning``) are shown as one line each and do not fail the command.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import TextIO

import numpy as np

from .training import SOLVER_NAMES

__all__ = ["main"]

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
DEMO_PLOT = "fastlogreg-demo.png"


class UsageError(Exception):
    """A mistake on the command line; reported in one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors raised (and then shown in one line) instead of
    printed with the usage block."""

    def error(self, message: str):
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1; got {value}")
    return value


def _learning_rate(text: str):
    if text == "auto":
        return text
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be 'auto' or a number; got {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="fastlogreg",
        description="Logistic regression for large data with fused Numba kernels. "
                    "Without a command, runs the demo.",
        epilog="Exit codes: 0 success, 2 user error (one line on stderr), 130 interrupted.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = commands.add_parser(
        "demo", help="train the notebook's problem with the NumPy oracle and the "
        "kernels, side by side, and plot the history (the default command)",
        description="Train the notebook's problem (1000 x 10) with the NumPy oracle and "
        "the Numba kernels from the same start; print both histories, their largest "
        "difference and timings, and write the notebook's two-panel history plot.")
    demo.add_argument("--repeats", type=_positive_int, default=15,
                      help="timing repeats; the median is shown (default: 15)")
    demo.add_argument("--plot", metavar="PATH", default=DEMO_PLOT,
                      help=f"PNG file for the history plot (default: ./{DEMO_PLOT}); "
                      "needs matplotlib (pip install \"fastlogreg[plot]\")")
    demo.add_argument("--no-plot", action="store_true", help="write no plot")

    train = commands.add_parser(
        "train", help="fit a LogisticRegression to a data file and save the model",
        description="Fit fastlogreg.LogisticRegression to DATA and write the model file "
        "MODEL (see fastlogreg.save_model). DATA is a .csv or .parquet table with a "
        "header (Parquet needs pandas and pyarrow), a 2-D .npy array, or an .npz "
        "archive with arrays X and y. Options left out take the estimator's defaults.")
    train.add_argument("data", metavar="DATA", help="the training data file")
    train.add_argument("--target", metavar="COLUMN",
                       help="the label column: a name or 0-based index (CSV, Parquet), an "
                       "index such as -1 (.npy), or the labels' array (.npz, default y)")
    train.add_argument("--out", metavar="MODEL", required=True,
                       help="the model file to write (e.g. model.npz)")
    train.add_argument("--solver", choices=SOLVER_NAMES)
    train.add_argument("--C", type=float, metavar="C",
                       help="inverse regularisation strength, > 0 (inf: no penalty)")
    train.add_argument("--max-iter", type=int, help="iterations (lbfgs) or epochs")
    train.add_argument("--tol", type=float, help="stopping tolerance")
    train.add_argument("--l1-ratio", type=float,
                       help="elastic-net mixing in [0, 1] (needs --solver saga, gd or "
                       "nesterov; 1 also liblinear)")
    train.add_argument("--class-weight", choices=("balanced",))
    train.add_argument("--no-intercept", action="store_true", help="fit no intercept")
    train.add_argument("--learning-rate", type=_learning_rate,
                       help="step of gd/sgd: a number or 'auto'")
    train.add_argument("--batch-size", type=int, help="rows per mini-batch (sgd)")
    train.add_argument("--random-state", type=int, help="seed of the sgd shuffles")

    predict = commands.add_parser(
        "predict", help="predict labels or probabilities with a saved model",
        description="Load MODEL (written by 'fastlogreg train' or fastlogreg.save_model) "
        "and write one CSV row per row of DATA: the predicted label, or with --proba "
        "the probability of each class. A table's columns are matched by name when "
        "the model knows them (a label column is then ignored).")
    predict.add_argument("model", metavar="MODEL", help="the model file")
    predict.add_argument("data", metavar="DATA", help="a .csv, .parquet, .npy or .npz file")
    predict.add_argument("--proba", action="store_true", help="write class probabilities")
    predict.add_argument("--target", metavar="COLUMN",
                         help="a label column in DATA to leave out (name or index)")
    predict.add_argument("--out", metavar="FILE", help="write here instead of stdout")

    bench = commands.add_parser(
        "bench", help="time fastlogreg beside scikit-learn on a generated problem",
        description="Fit scikit-learn's LogisticRegression (lbfgs) and fastlogreg's on a "
        "problem drawn from a logistic model, each --repeats times, and print a "
        "markdown table of median fit times, their ratio and the objective reached.")
    bench.add_argument("--n-samples", type=_positive_int, default=200_000,
                       help="rows (default: 200000)")
    bench.add_argument("--n-features", type=_positive_int, default=50,
                       help="columns (default: 50)")
    bench.add_argument("--repeats", type=_positive_int, default=5,
                       help="fits per contender; the median is shown (default: 5)")
    return parser


def _version() -> str:
    from . import __version__
    return __version__


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 on success, 2 on a user error)."""
    try:
        args = _parser().parse_args(argv)
        command = args.command or "demo"
        if args.command is None:  # the demo's defaults
            args = _parser().parse_args(["demo"])
        return _COMMANDS[command](args)
    except UsageError as exc:
        return _fail(str(exc))
    except (ValueError, TypeError) as exc:
        return _fail(str(exc))
    except BrokenPipeError:
        # stdout closed early (``fastlogreg predict ... | head``): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as exc:
        text = (f"{exc.strerror}: {exc.filename}" if exc.strerror and exc.filename
                else str(exc))
        return _fail(text)
    except KeyboardInterrupt:
        print("fastlogreg: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _fail(message: str) -> int:
    print(f"fastlogreg: error: {' '.join(message.split())}", file=sys.stderr)
    return EXIT_USAGE


def _warn(message: str) -> None:
    print(f"fastlogreg: warning: {' '.join(message.split())}", file=sys.stderr)


def _check_folder(path: Path, what: str) -> None:
    """Refuse before any work to write into a folder that does not exist."""
    folder = path.parent
    if not folder.is_dir():
        raise UsageError(f"cannot write {what} {path}: the folder {folder} does not exist.")


# --- demo --------------------------------------------------------------------------------


def _demo(args) -> int:
    from .demo import run_demo

    plot = None if args.no_plot else Path(args.plot)
    if plot is not None:
        _check_folder(plot, "the plot")
    result = run_demo(repeats=args.repeats)
    if plot is None:
        return 0
    from .plotting import plot_history
    try:
        fig = plot_history(result["history"])
    except ImportError as exc:
        print(f"\nno plot written: {exc}")
        return 0
    fig.suptitle("fastlogreg demo: the notebook's problem, Numba kernels")
    fig.savefig(plot, dpi=100)
    print(f"\nhistory plot (accuracy and loss by epoch): {plot.resolve()}")
    return 0


# --- train -------------------------------------------------------------------------------

# command-line option -> LogisticRegression parameter
_TRAIN_PARAMS = {"solver": "solver", "C": "C", "max_iter": "max_iter", "tol": "tol",
                 "l1_ratio": "l1_ratio", "class_weight": "class_weight",
                 "learning_rate": "learning_rate", "batch_size": "batch_size",
                 "random_state": "random_state"}


def _train(args) -> int:
    from ._datafiles import read_training_data
    from .estimator import LogisticRegression
    from .persistence import save_model

    out = Path(args.out)
    _check_folder(out, "the model")
    params = {param: getattr(args, option) for option, param in _TRAIN_PARAMS.items()
              if getattr(args, option) is not None}
    if args.no_intercept:
        params["fit_intercept"] = False
    model = LogisticRegression(**params)
    X, y = read_training_data(args.data, args.target)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        model.fit(X, y)
    for w in caught:
        _warn(f"{w.category.__name__}: {w.message}")
    save_model(model, out)
    shown = ", ".join(str(c) for c in model.classes_[:10])
    if model.classes_.size > 10:
        shown += ", ..."
    print(f"trained on {args.data}: {X.shape[0]} samples x {X.shape[1]} features, "
          f"{model.classes_.size} classes ({shown})")
    print(f"solver {model.solver}: {int(model.n_iter_[0])} iterations, training accuracy "
          f"{model.score(X, y):.4f}")
    print(f"model written to {out}")
    return 0


# --- predict -----------------------------------------------------------------------------


def _predict(args) -> int:
    from ._datafiles import read_features
    from .persistence import load_model

    model = load_model(args.model)
    names = getattr(model, "feature_names_in_", None)
    X = read_features(args.data, target=args.target, feature_names=names)
    classes = getattr(model, "classes_", np.array([0, 1]))
    if args.proba:
        header = [f"proba_{c}" for c in classes.tolist()]
        rows = model.predict_proba(X).tolist()
    else:
        header = ["prediction"]
        rows = [[label] for label in np.asarray(model.predict(X)).tolist()]
    if args.out is None:
        _write_csv(sys.stdout, header, rows)
        return 0
    out = Path(args.out)
    _check_folder(out, "the predictions")
    with open(out, "w", newline="") as f:
        _write_csv(f, header, rows)
    print(f"{len(rows)} predictions written to {out}", file=sys.stderr)
    return 0


def _write_csv(f: TextIO, header: list[str], rows: list[list]) -> None:
    writer = csv.writer(f, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)  # floats as repr: the shortest text that reads back exactly


# --- bench -------------------------------------------------------------------------------


def _bench(args) -> int:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression as SkLogisticRegression

    from . import reference
    from .estimator import LogisticRegression, alpha_from_C

    n, d = args.n_samples, args.n_features
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d))
    w = rng.standard_normal(d) / np.sqrt(d)
    y = (rng.random(n) < reference.sigmoid(X @ w + 0.5)).astype(np.int64)
    X32 = X.astype(np.float32)
    contenders = [
        ("scikit-learn lbfgs", lambda: SkLogisticRegression(), X),
        ("fastlogreg lbfgs", lambda: LogisticRegression(), X),
        ("fastlogreg lbfgs, float32 X", lambda: LogisticRegression(), X32),
        ("fastlogreg nesterov", lambda: LogisticRegression(solver="nesterov"), X),
    ]
    print(f"fastlogreg bench: {n:,} x {d} float64 (float32 where noted), labels drawn "
          "from a logistic model (seed 0),")
    print(f"C=1, tol=1e-4 (the defaults); fit time is the median of {args.repeats} fits "
          "in this process.\n")
    start = time.perf_counter()
    LogisticRegression().fit(X[:100], y[:100])
    LogisticRegression().fit(X32[:100], y[:100])
    LogisticRegression(solver="nesterov").fit(X[:100], y[:100])
    compile_seconds = time.perf_counter() - start

    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # reported in the table
        for name, make, data in contenders:
            times = []
            for _ in range(args.repeats):
                model = make()
                t0 = time.perf_counter()
                model.fit(data, y)
                times.append(time.perf_counter() - t0)
            J, _, _ = reference.loss_and_gradient(
                X, y, np.ravel(model.coef_), model.intercept_[0],
                alpha=alpha_from_C(1.0, n))
            rows.append((name, statistics.median(times), int(model.n_iter_[0]), J))
    base_time, base_J = rows[0][1], rows[0][3]
    print("| contender | fit time (median) | speed-up over scikit-learn | iterations | "
          "objective vs scikit-learn's (relative difference) |")
    print("|---|---:|---:|---:|---:|")
    for name, seconds, iterations, J in rows:
        print(f"| {name} | {seconds * 1e3:.1f} ms | {base_time / seconds:.2f}x | "
              f"{iterations} | {(J - base_J) / abs(base_J):+.1e} |")
    print(f"\nfirst fits (Numba cache load or compilation): {compile_seconds:.2f} s, "
          "not in the table. On a shared machine compare the ratios, not the times.")
    return 0


_COMMANDS = {"demo": _demo, "train": _train, "predict": _predict, "bench": _bench}

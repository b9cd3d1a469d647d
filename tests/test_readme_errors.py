"""Every error the README documents is produced by a test, word for word.

The table under "## Errors you may meet" in README.md is parsed at test time.
Every backticked message excerpt in its first column must have a trigger
below: a small function that provokes exactly that error or warning through
the public API (``fastlogreg.fit``, ``LogisticRegression``, ``save_model`` /
``load_model``, ``plot_history``, the command line) and returns what the user
sees. The excerpt must then be found in that text, where the parts of the
excerpt that are examples (numbers, file names, quoted names, ``...``) match
any value. An excerpt without a trigger fails, so a README row cannot be added
without a test, and a trigger whose excerpt left the README fails too, so
the two cannot drift apart.

Names in a row's "(also ...)" note are variations: the same message about
another parameter. Each has a trigger as well; its message must read like the
excerpt with the parameter's name, up to the bound (which differs: ``alpha``
may be 0 where ``learning_rate`` may not).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import fastlogreg
from fastlogreg import LogisticRegression, load_model, plot_history, save_model
from fastlogreg.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = "## Errors you may meet"
SRC = str(Path(fastlogreg.__file__).resolve().parents[1])


# --- the README's table ------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    excerpts: tuple[str, ...]    # backticked messages outside any parentheses
    variations: tuple[str, ...]  # backticked names in an "(also ...)" note
    raises: tuple[str, ...]      # exception types named in a note, e.g. "(TypeError)"
    text: str                    # the first cell, for messages

    @property
    def subject(self) -> str:
        """The parameter the first excerpt is about (``X``, ``learning_rate``, ...)."""
        match = re.match(r"[A-Za-z_]\w*", self.excerpts[0])
        return match.group(0) if match else ""


def _cells(line: str) -> list[str]:
    """The cells of a table line; a ``|`` inside backticks does not split."""
    cells, current, in_code = [], "", False
    for char in line.strip().strip("|"):
        if char == "`":
            in_code = not in_code
        if char == "|" and not in_code:
            cells.append(current.strip())
            current = ""
        else:
            current += char
    cells.append(current.strip())
    return cells


def _parse_first_cell(cell: str) -> Row:
    excerpts: list[str] = []
    variations: list[str] = []
    raises: list[str] = []
    depth, group_text, group_code = 0, "", []
    for piece in re.finditer(r"`([^`]*)`|[^`]+", cell):
        code = piece.group(1)
        if code is not None:
            if depth == 0:
                excerpts.append(code)
            else:
                group_code.append(code)
            continue
        for char in piece.group(0):
            if char == "(":
                depth += 1
                if depth == 1:
                    group_text, group_code = "", []
            elif char == ")":
                depth -= 1
                if depth == 0:
                    if group_text.strip().startswith("also"):
                        variations.extend(group_code)
                    else:
                        raises.extend(re.findall(r"\b\w+(?:Error|Warning)\b",
                                                 " ".join([group_text, *group_code])))
            elif depth > 0:
                group_text += char
    assert depth == 0, f"unbalanced parentheses in README row: {cell}"
    assert excerpts, f"README row without a backticked message: {cell}"
    return Row(tuple(excerpts), tuple(variations), tuple(raises), cell)


def readme_rows() -> list[Row]:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert SECTION in lines, f"README.md has no section {SECTION!r}"
    rows, in_table = [], False
    for line in lines[lines.index(SECTION) + 1:]:
        if line.startswith("## "):
            break
        if line.startswith("| message"):
            in_table = True
        elif in_table and line.startswith("|") and not re.fullmatch(r"[|\-: ]+", line):
            rows.append(_parse_first_cell(_cells(line)[0]))
    assert len(rows) >= 40, f"only {len(rows)} rows parsed from the README's error table"
    return rows


ROWS = readme_rows()
EXCERPTS = [(excerpt, row) for row in ROWS for excerpt in row.excerpts]
VARIATIONS = [(excerpt, name, row) for row in ROWS for name in row.variations
              for excerpt in row.excerpts]

# Parts of an excerpt that are examples, and what they match.
_EXAMPLES = re.compile(r"""
    (?P<ellipsis>\.\.\.)                                   # elided text
  | (?P<file>[\w./-]*\w\.(?:csv|txt|npy|npz|parquet)\b)    # data.csv, out/m.npz
  | (?P<quoted>'[^']*')                                    # 'label', solver='lbfgs'
  | (?P<number>(?<![\w.])[-+]?\d+(?:\.\d+)*(?:e[-+]?\d+)?) # 12, 0.38, -1, 0.1.0
""", re.VERBOSE)
_MATCH = {"ellipsis": ".*?", "file": ".+?", "quoted": "'[^']*'",
          "number": "[-+0-9.e]+"}


def excerpt_pattern(excerpt: str) -> re.Pattern:
    """The excerpt as a regex: literal text escaped, examples generalised."""
    parts, end = [], 0
    for m in _EXAMPLES.finditer(excerpt):
        parts += [re.escape(excerpt[end:m.start()]), _MATCH[m.lastgroup]]
        end = m.end()
    parts.append(re.escape(excerpt[end:]))
    return re.compile("".join(parts), re.DOTALL)


def variation_stem(excerpt: str, subject: str, name: str) -> str:
    """The excerpt about ``name`` instead of ``subject``, up to its bound.

    A fragment such as ``must be >= 1`` continues the row's first message, so
    it is read as ``<subject> must be >= 1``.
    """
    if not excerpt.startswith(subject):
        excerpt = f"{subject} {excerpt}"
    rest = excerpt[len(subject):]
    bound = re.search(r"[<>]|\d", rest)
    return (name + (rest[:bound.start()] if bound else rest)).rstrip()


# --- what a trigger returns ----------------------------------------------------------------


@dataclass(frozen=True)
class Produced:
    """What the user sees, and the classes of the exception or warning (if any)."""

    text: str
    kinds: tuple[str, ...] = ()


def raised(func: Callable[[], Any]) -> Produced:
    """The exception ``func`` raises, shown as Python shows it: ``Type: message``."""
    try:
        func()
    except Exception as exc:
        return Produced(f"{type(exc).__name__}: {exc}",
                        tuple(c.__name__ for c in type(exc).__mro__))
    pytest.fail("the trigger raised nothing")


def warned(category: type[Warning], func: Callable[[], Any]) -> Produced:
    """The ``category`` warning ``func`` emits, as ``Category: message``."""
    with pytest.warns(category) as record:
        func()
    first = next(w for w in record if issubclass(w.category, category))
    return Produced(f"{first.category.__name__}: {first.message}",
                    tuple(c.__name__ for c in first.category.__mro__))


def cli_error(ctx: Ctx, *args: Any) -> Produced:
    """``fastlogreg ARGS`` in this process: exit code 2, one line on stderr."""
    code = main([str(a) for a in args])
    out, err = ctx.capsys.readouterr()
    assert code == 2, (code, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fastlogreg: error: "), err
    assert out == "", out
    return Produced(lines[0])


def _importable(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


# --- data and context ----------------------------------------------------------------------

_rng = np.random.default_rng(0)
X = _rng.standard_normal((100, 4))
Y = (X[:, 0] + 0.5 * X[:, 1] + 0.5 * _rng.standard_normal(100) > 0).astype(np.int64)


@dataclass
class Ctx:
    tmp_path: Path      # also the current directory, so messages name files as given
    capsys: Any
    monkeypatch: Any
    saved: Path         # a model file of a LogisticRegression fitted to X (no names)

    def entries(self) -> dict[str, np.ndarray]:
        with np.load(self.saved, allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}

    def write_model(self, arrays: dict[str, np.ndarray], **savez) -> Path:
        path = Path("model.npz")
        with open(path, "wb") as f:
            np.savez(f, **savez, **arrays)
        return path

    def csv(self, name: str, header: list[str], rows: int = 6) -> Path:
        lines = [",".join(header)] + [
            ",".join(str(k + j) for j in range(len(header))) for k in range(rows)]
        Path(name).write_text("\n".join(lines) + "\n")
        return Path(name)


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("saved") / "model.npz"
    save_model(LogisticRegression().fit(X, Y), path)
    return path


@pytest.fixture
def ctx(tmp_path, capsys, monkeypatch, saved_model) -> Ctx:
    monkeypatch.chdir(tmp_path)
    return Ctx(tmp_path, capsys, monkeypatch, saved_model)


# --- triggers: one per README excerpt --------------------------------------------------------

TRIGGERS: dict[str, Callable[[Ctx], Produced]] = {}


def triggers(excerpt: str):
    def register(func):
        assert excerpt not in TRIGGERS, f"two triggers for {excerpt!r}"
        TRIGGERS[excerpt] = func
        return func
    return register


# fastlogreg.fit's own checks of the data


@triggers("X is a sparse matrix; fastlogreg.fit trains on dense arrays only")
def _(ctx):
    from scipy import sparse
    return raised(lambda: fastlogreg.fit(sparse.csr_matrix(X), Y))


@triggers("X must hold real numbers (bool, int or float); got dtype")
def _(ctx):
    return raised(lambda: fastlogreg.fit(X.astype(str), Y))


@triggers("must be an array of numbers")
def _(ctx):
    return raised(lambda: fastlogreg.fit([[1.0, 2.0], [3.0]], [0, 1]))


@triggers("X must be 2-D (n_samples, n_features)")
def _(ctx):
    return raised(lambda: fastlogreg.fit(X[:, 0], Y))


@triggers("X is empty")
def _(ctx):
    return raised(lambda: fastlogreg.fit(X[:0], Y[:0]))


@triggers("X contains NaN")
def _(ctx):
    return raised(lambda: fastlogreg.fit(np.where(X > 1.5, np.nan, X), Y))


@triggers("X contains infinity")
def _(ctx):
    return raised(lambda: fastlogreg.fit(np.where(X > 1.5, np.inf, X), Y))


@triggers("X has 5 features, but the model was fitted with 4")
def _(ctx):
    model = fastlogreg.fit(X, Y, epochs=1)
    return raised(lambda: model.predict(np.column_stack([X, X[:, 0]])))


@triggers("y has 99 entries but X has 100 samples")
def _(ctx):
    return raised(lambda: fastlogreg.fit(X, Y[:99]))


@triggers("y must be 1-D")
def _(ctx):
    return raised(lambda: fastlogreg.fit(X, Y[:, None]))


@triggers("y must hold binary labels 0 and 1")
def _(ctx):
    return raised(lambda: fastlogreg.fit(X, 2 * Y - 1))


@triggers("y holds one class only")
def _(ctx):
    return raised(lambda: fastlogreg.fit(X, np.zeros(100)))


@triggers("y has only one class")
def _(ctx):
    return raised(lambda: LogisticRegression().fit(X, np.zeros(100, dtype=int)))


@triggers("sample_weight must be >= 0")
def _(ctx):
    return raised(lambda: fastlogreg.fit(X, Y, sample_weight=-np.ones(100)))


@triggers("sample_weight sums to 0")
def _(ctx):
    return raised(lambda: fastlogreg.fit(X, Y, sample_weight=np.zeros(100)))


@triggers("the sample (and class) weights sum to 0")
def _(ctx):
    return raised(lambda: LogisticRegression(class_weight={0: 0, 1: 0}).fit(X, Y))


# parameters


@triggers("learning_rate must be finite and > 0.0")
def _(ctx):
    return raised(lambda: fastlogreg.fit(X, Y, learning_rate=0.0))


@triggers("epochs must be an integer")
def _(ctx):
    return raised(lambda: fastlogreg.fit(X, Y, epochs=1.5))


@triggers("must be >= 1")
def _(ctx):
    return raised(lambda: fastlogreg.fit(X, Y, epochs=0))


@triggers("batch_size applies to solver='sgd' only")
def _(ctx):
    return raised(lambda: fastlogreg.fit(X, Y, solver="gd", batch_size=10))


@triggers("solver must be one of")
def _(ctx):
    return raised(lambda: LogisticRegression(solver="newton").fit(X, Y))


@triggers("C must be a positive number or np.inf")
def _(ctx):
    return raised(lambda: LogisticRegression(C=0).fit(X, Y))


@triggers("l1_ratio=0.5 needs an L1 proximal step, which solver='lbfgs' cannot take")
def _(ctx):
    return raised(lambda: LogisticRegression(l1_ratio=0.5, solver="lbfgs").fit(X, Y))


@triggers("n_jobs must be a positive number of threads, -1 or None")
def _(ctx):
    return raised(lambda: LogisticRegression(n_jobs=0).fit(X, Y))


@triggers("fit_intercept must be True or False")
def _(ctx):
    return raised(lambda: fastlogreg.fit(X, Y, fit_intercept="False"))


@triggers("schedule must be one of")
def _(ctx):
    return raised(lambda: LogisticRegression(solver="sgd", schedule="optimal").fit(X, Y))


@triggers("callback must be callable")
def _(ctx):
    return raised(lambda: LogisticRegression(callback="print").fit(X, Y))


@triggers("validation_fraction must be finite and > 0.0 and <= 1.0")
def _(ctx):
    return raised(lambda: LogisticRegression(early_stopping=True,
                                             validation_fraction=0.0).fit(X, Y))


@triggers("validation_fraction must be < 1")
def _(ctx):
    return raised(lambda: LogisticRegression(early_stopping=True,
                                             validation_fraction=1.0).fit(X, Y))


@triggers("early_stopping cannot hold out validation_fraction=0.001 of the samples")
def _(ctx):
    return raised(lambda: LogisticRegression(early_stopping=True,
                                             validation_fraction=0.001).fit(X, Y))


# scikit-learn's checks in LogisticRegression


@triggers("Unknown label type: continuous")
def _(ctx):
    return raised(lambda: LogisticRegression().fit(X, X[:, 0]))


@triggers("Input X contains NaN")
def _(ctx):
    return raised(lambda: LogisticRegression().fit(np.where(X > 1.5, np.nan, X), Y))


@triggers("Expected 2D array")
def _(ctx):
    return raised(lambda: LogisticRegression().fit(X[:, 0], Y))


@triggers("X has 3 features, but LogisticRegression is expecting 4")
def _(ctx):
    model = load_model(ctx.saved)
    return raised(lambda: model.predict(X[:, :3]))


@triggers("This LogisticRegression instance is not fitted yet")
def _(ctx):
    by_predict = raised(lambda: LogisticRegression().predict(X))
    by_save = raised(lambda: save_model(LogisticRegression(), "model.npz"))
    assert by_save == by_predict and not Path("model.npz").exists()
    return by_predict


# streams (partial_fit) and Dask


@triggers("classes must be passed on the first call to partial_fit")
def _(ctx):
    return raised(lambda: LogisticRegression(solver="sgd").partial_fit(X, Y))


@triggers("y holds labels not in classes: ['d']")
def _(ctx):
    labels = np.array(["a", "d"])[Y.astype(int)]
    return raised(lambda: LogisticRegression(solver="sgd").partial_fit(
        X, labels, classes=["a", "b"]))


@triggers("classes=[0, 1, 2] differs from the classes of the model")
def _(ctx):
    model = LogisticRegression(solver="sgd").partial_fit(X, Y, classes=[0, 1])
    return raised(lambda: model.partial_fit(X, Y, classes=[0, 1, 2]))


@triggers("class_weight='balanced' needs the whole data set and is not supported by "
          "partial_fit")
def _(ctx):
    return raised(lambda: LogisticRegression(solver="sgd", class_weight="balanced")
                  .partial_fit(X, Y, classes=[0, 1]))


def _dask(n_chunks=2):
    import dask.array as da
    return da.from_array(X, chunks=(len(X) // n_chunks, X.shape[1])), da.from_array(Y)


@triggers("solver='sgd' shuffles rows in memory and does not take Dask arrays")
def _(ctx):
    pytest.importorskip("dask.array")
    return raised(lambda: LogisticRegression(solver="sgd").fit(*_dask()))


@triggers("early_stopping does not take Dask arrays")
def _(ctx):
    pytest.importorskip("dask.array")
    return raised(lambda: LogisticRegression(early_stopping=True).fit(*_dask()))


@triggers("X has unknown chunk sizes; call X.compute_chunk_sizes() first")
def _(ctx):
    pytest.importorskip("dask.array")
    Xd, yd = _dask()
    return raised(lambda: LogisticRegression().fit(Xd[Xd[:, 0] > 0], yd))


@triggers("y is a Dask array but X is not")
def _(ctx):
    pytest.importorskip("dask.array")
    return raised(lambda: LogisticRegression().fit(X, _dask()[1]))


@triggers("Dask arrays need the optional Dask dependencies: pip install "
          "'fastlogreg[dask]'")
def _(ctx):
    pytest.importorskip("dask.array")
    Xd, yd = _dask()
    ctx.monkeypatch.setitem(sys.modules, "dask", None)  # as if it were not installed
    from fastlogreg.sources import dask_arrays
    return raised(lambda: dask_arrays.DaskArrays(Xd, yd, np.ones(len(Y))))


# warnings


@triggers("ConvergenceWarning: solver='gd' did not converge in max_iter=100 iterations "
          "(optimality 0.0166 > tol=0.0001)")
def _(ctx):
    from sklearn.exceptions import ConvergenceWarning
    return warned(ConvergenceWarning,
                  lambda: LogisticRegression(solver="gd", max_iter=100).fit(30 * X, Y))


@triggers("DivergenceWarning: the loss stopped being finite at epoch 12 with "
          "learning_rate=50; ... A learning_rate <= 0.38 cannot diverge")
def _(ctx):
    return warned(fastlogreg.DivergenceWarning,
                  lambda: fastlogreg.fit(X * 1e150, Y, learning_rate=1e150, epochs=10))


# the command line


@triggers("fastlogreg: error: data.csv: no such file.")
def _(ctx):
    """In a real process: the exit code is the one a shell sees."""
    env = {**os.environ,
           "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run(
        [sys.executable, "-m", "fastlogreg", "train", "data.csv", "--target", "y",
         "--out", "m.npz"], cwd=ctx.tmp_path, env=env, capture_output=True, text=True,
        timeout=120)
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fastlogreg: error: "), result.stderr
    assert result.stdout == "" and not Path("m.npz").exists()
    return Produced(lines[0])


@triggers("No such file or directory")
def _(ctx):
    ctx.csv("data.csv", ["a", "b", "y"])
    return cli_error(ctx, "predict", "missing.npz", "data.csv")


@triggers("fastlogreg: error: cannot tell the format of data.txt from its extension")
def _(ctx):
    Path("data.txt").write_text("a,y\n1,0\n")
    return cli_error(ctx, "train", "data.txt", "--target", "y", "--out", "m.npz")


@triggers("fastlogreg: error: data.csv has no column 'label'; its columns are ...")
def _(ctx):
    # predict with a model that knows no column names: the same path with or
    # without pandas (train reads CSVs without pandas by column index instead)
    ctx.csv("data.csv", ["a", "b", "c", "d", "y"])
    return cli_error(ctx, "predict", ctx.saved, "data.csv", "--target", "label")


@triggers("fastlogreg: error: --target is required")
def _(ctx):
    ctx.csv("data.csv", ["a", "b", "y"])
    return cli_error(ctx, "train", "data.csv", "--out", "m.npz")


@triggers("--target ... is out of range")
def _(ctx):
    np.save("data.npy", np.column_stack([X, Y]))
    return cli_error(ctx, "train", "data.npy", "--target", "9", "--out", "m.npz")


@triggers("--target must be a column index")
def _(ctx):
    np.save("data.npy", np.column_stack([X, Y]))
    return cli_error(ctx, "train", "data.npy", "--target", "label", "--out", "m.npz")


@triggers("fastlogreg: error: column 'city' of data.csv is not numeric")
def _(ctx):
    pytest.importorskip("pandas", reason="only the pandas reader checks column types")
    Path("data.csv").write_text("a,city,y\n1.0,Paris,0\n2.0,Oslo,1\n3.0,Rome,0\n")
    return cli_error(ctx, "train", "data.csv", "--target", "y", "--out", "m.npz")


@triggers("fastlogreg: error: data.npz has no array 'X'")
def _(ctx):
    np.savez("data.npz", features=X, y=Y)
    return cli_error(ctx, "train", "data.npz", "--out", "m.npz")


@triggers("fastlogreg: error: reading Parquet needs pyarrow: pip install pyarrow.")
def _(ctx):
    if _importable("pyarrow") or _importable("fastparquet"):
        pytest.skip("a Parquet engine is installed: the 'needs pyarrow' path is not taken")
    pytest.importorskip("pandas", reason="without pandas the message asks for pandas too")
    Path("data.parquet").write_bytes(b"PAR1")
    return cli_error(ctx, "train", "data.parquet", "--target", "y", "--out", "m.npz")


@triggers("fastlogreg: error: new.csv lacks the column(s) ... the model was trained on")
def _(ctx):
    pd = pytest.importorskip("pandas", reason="column names come from a DataFrame")
    model = LogisticRegression().fit(pd.DataFrame(X, columns=list("abcd")), Y)
    save_model(model, "named.npz")
    ctx.csv("new.csv", ["a", "b", "c", "e"])
    return cli_error(ctx, "predict", "named.npz", "new.csv")


@triggers("fastlogreg: error: cannot write the model out/m.npz: the folder out does not "
          "exist")
def _(ctx):
    ctx.csv("data.csv", ["a", "b", "y"])
    return cli_error(ctx, "train", "data.csv", "--target", "y", "--out", "out/m.npz")


@triggers("fastlogreg: error: argument --C: invalid float value")
def _(ctx):
    return cli_error(ctx, "train", "data.csv", "--target", "y", "--out", "m.npz",
                     "--C", "big")


@triggers("invalid choice")
def _(ctx):
    return cli_error(ctx, "train", "data.csv", "--target", "y", "--out", "m.npz",
                     "--solver", "newton")


@triggers("the following arguments are required")
def _(ctx):
    return cli_error(ctx, "train", "data.csv", "--target", "y")


# plots


def _without_matplotlib(ctx):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        ctx.monkeypatch.setitem(sys.modules, name, None)
    ctx.monkeypatch.setitem(sys.modules, "matplotlib", None)


@triggers("no plot written: plot_history needs matplotlib")
def _(ctx):
    _without_matplotlib(ctx)
    code = main(["demo", "--repeats", "1", "--plot", "h.png"])
    out, err = ctx.capsys.readouterr()
    assert code == 0 and not Path("h.png").exists(), (out, err)
    return Produced(next(line for line in out.splitlines() if "no plot" in line))


@triggers('ImportError: ... pip install "fastlogreg[plot]"')
def _(ctx):
    _without_matplotlib(ctx)
    return raised(lambda: plot_history(np.zeros((2, 3))))


# model files


@triggers("model.npz is not a fastlogreg model file (not an .npz archive)")
def _(ctx):
    Path("model.npz").write_bytes(np.random.default_rng(0).bytes(256))
    return raised(lambda: load_model("model.npz"))


@triggers("is empty")
def _(ctx):
    Path("model.npz").write_bytes(b"")
    return raised(lambda: load_model("model.npz"))


@triggers("an archive without the __fastlogreg__ header")
def _(ctx):
    with zipfile.ZipFile("model.npz", "w") as z:
        z.writestr("readme.txt", "not a model")
    return raised(lambda: load_model("model.npz"))


@triggers("model.npz is truncated or corrupted")
def _(ctx):
    raw = ctx.saved.read_bytes()
    Path("model.npz").write_bytes(raw[:len(raw) // 2])
    return raised(lambda: load_model("model.npz"))


@triggers("fails its checksum")
def _(ctx):
    raw = bytearray(ctx.saved.read_bytes())
    with zipfile.ZipFile(ctx.saved) as z:
        info = z.getinfo("coef_.npy")
    # the entry's data start after its local header (30 bytes, then the name and
    # extra field, whose lengths are at bytes 26 and 28) and the .npy header
    start = info.header_offset
    n_name, n_extra = (int.from_bytes(raw[start + k:start + k + 2], "little")
                       for k in (26, 28))
    data = start + 30 + n_name + n_extra
    raw[data + info.file_size - 1] ^= 0xFF  # the last byte of coef_'s values
    Path("model.npz").write_bytes(bytes(raw))
    return raised(lambda: load_model("model.npz"))


@triggers("model.npz was written by a newer fastlogreg (model file format version 2); "
          "this fastlogreg (0.1.0) reads format version 1 and older")
def _(ctx):
    arrays = ctx.entries()
    header = json.loads(str(arrays["__fastlogreg__"][()]))
    header["version"] += 1
    ctx.write_model({**arrays, "__fastlogreg__": np.array(json.dumps(header))})
    return raised(lambda: load_model("model.npz"))


@triggers("model.npz holds an object array, which would need unpickling; fastlogreg never "
          "unpickles model files")
def _(ctx):
    labels = np.array([0, 1], dtype=object)
    ctx.write_model({**ctx.entries(), "classes_": labels}, allow_pickle=True)
    return raised(lambda: load_model("model.npz"))


@triggers("model.npz is not a valid fastlogreg model file: the entry 'coef_' is missing")
def _(ctx):
    ctx.write_model({k: v for k, v in ctx.entries().items() if k != "coef_"})
    return raised(lambda: load_model("model.npz"))


@triggers("has shape")
def _(ctx):
    arrays = ctx.entries()
    ctx.write_model({**arrays, "coef_": arrays["coef_"][:, :-1]})
    return raised(lambda: load_model("model.npz"))


@triggers("has dtype")
def _(ctx):
    arrays = ctx.entries()
    ctx.write_model({**arrays, "coef_": arrays["coef_"].astype(np.float32)})
    return raised(lambda: load_model("model.npz"))


@triggers("save_model takes a fitted fastlogreg.LogisticRegression or a "
          "fastlogreg.FitResult")
def _(ctx):
    from sklearn.linear_model import LogisticRegression as SkLogisticRegression
    return raised(lambda: save_model(SkLogisticRegression(), "model.npz"))


@triggers("parameter random_state=RandomState(MT19937) at 0x... cannot be stored in a "
          "model file")
def _(ctx):
    model = LogisticRegression(random_state=np.random.RandomState(0)).fit(X, Y)
    return raised(lambda: save_model(model, "model.npz"))


@triggers("classes_ holds values a model file cannot store exactly")
def _(ctx):
    labels = np.array(["no", "yes\x00"], dtype=object)  # unicode arrays drop the NUL
    model = LogisticRegression().fit(X, labels[Y])
    return raised(lambda: save_model(model, "model.npz"))


# --- variations: the names in a row's "(also ...)" note --------------------------------------


def _fit(**kwargs):
    return lambda ctx: raised(lambda: fastlogreg.fit(X, Y, **kwargs))


def _estimator(**params):
    return lambda ctx: raised(lambda: LogisticRegression(**params).fit(X, Y))


def _fit_data(**data):
    return lambda ctx: raised(lambda: fastlogreg.fit(**{"X": X, "y": Y, **data}))


_NAN, _INF = np.where(np.arange(100) == 3, np.nan, 1.0), np.where(np.arange(100) == 3,
                                                                    np.inf, 1.0)
VARIATION_TRIGGERS: dict[tuple[str, str], Callable[[Ctx], Produced]] = {
    ("X contains NaN", "y"): _fit_data(y=np.where(np.arange(100) == 3, np.nan, Y)),
    ("X contains infinity", "y"): _fit_data(y=np.where(np.arange(100) == 3, np.inf, Y)),
    ("X contains NaN", "sample_weight"): _fit_data(sample_weight=_NAN),
    ("X contains infinity", "sample_weight"): _fit_data(sample_weight=_INF),
    ("learning_rate must be finite and > 0.0", "alpha"): _fit(alpha=-1.0),
    ("learning_rate must be finite and > 0.0", "tol"): _fit(tol=-1.0),
    ("learning_rate must be finite and > 0.0", "l1_ratio"):
        _estimator(l1_ratio=2.0, solver="gd"),
    ("epochs must be an integer", "max_iter"): _estimator(max_iter=1.5),
    ("must be >= 1", "max_iter"): _estimator(max_iter=0),
    ("epochs must be an integer", "record_every"): _fit(record_every=1.5),
    ("must be >= 1", "record_every"): _estimator(record_every=0),
    ("epochs must be an integer", "batch_size"): _estimator(batch_size=1.5),
    ("must be >= 1", "batch_size"): _fit(solver="sgd", batch_size=0),
    ("epochs must be an integer", "verbose"): _estimator(verbose=0.5),
    ("must be >= 1", "verbose"): _estimator(verbose=-1),
    ("fit_intercept must be True or False", "warm_start"): _estimator(warm_start="False"),
    ("fit_intercept must be True or False", "early_stopping"):
        _estimator(early_stopping=1),
}

# Backticked excerpts that are not messages (none today): excerpt -> why.
NOT_MESSAGES: dict[str, str] = {}


# --- the tests ---------------------------------------------------------------------------


def _id(excerpt: str) -> str:
    return excerpt if len(excerpt) <= 60 else excerpt[:57] + "..."


@pytest.mark.parametrize(("excerpt", "row"), EXCERPTS, ids=[_id(e) for e, _ in EXCERPTS])
def test_documented_error_is_produced(excerpt, row, ctx):
    if excerpt in NOT_MESSAGES:
        pytest.skip(f"not a message: {NOT_MESSAGES[excerpt]}")
    trigger = TRIGGERS.get(excerpt)
    if trigger is None:
        pytest.fail(f"README documents an error that no test triggers: {excerpt!r} "
                    f"(add a trigger to {Path(__file__).name})", pytrace=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a trigger must produce exactly its message
        produced = trigger(ctx)
    assert excerpt_pattern(excerpt).search(produced.text), (
        f"the README says {excerpt!r}, the code says:\n{produced.text}")
    for kind in row.raises:
        assert kind in produced.kinds, (
            f"the README says {excerpt!r} is a {kind}; it is a {produced.kinds[:1]}")


@pytest.mark.parametrize(("excerpt", "name", "row"), VARIATIONS,
                         ids=[f"{n}: {_id(e)}" for e, n, _ in VARIATIONS])
def test_documented_variation_is_produced(excerpt, name, row, ctx):
    trigger = VARIATION_TRIGGERS.get((excerpt, name))
    if trigger is None:
        pytest.fail(f"README documents an error that no test triggers: {excerpt!r} "
                    f"for {name!r} (add it to VARIATION_TRIGGERS)", pytrace=False)
    produced = trigger(ctx)
    stem = variation_stem(excerpt, row.subject, name)
    assert excerpt_pattern(stem).search(produced.text), (
        f"the README implies {stem!r}, the code says:\n{produced.text}")


def test_every_trigger_still_has_its_readme_row():
    """A trigger whose excerpt left the README means the README changed unseen."""
    documented = {excerpt for excerpt, _ in EXCERPTS} | set(NOT_MESSAGES)
    assert sorted(set(TRIGGERS) - documented) == []
    assert sorted(set(VARIATION_TRIGGERS) - {(e, n) for e, n, _ in VARIATIONS}) == []
    assert len(documented) == len(EXCERPTS), "an excerpt appears twice in the README"


def test_the_parser_reads_the_table():
    """The parser's view of rows of each shape, so a parsing slip cannot hide rows."""
    by_first = {row.excerpts[0]: row for row in ROWS}
    nan = by_first["X contains NaN"]
    assert nan.excerpts == ("X contains NaN", "X contains infinity")
    assert nan.variations == ("y", "sample_weight") and nan.subject == "X"
    assert by_first["X is a sparse matrix; fastlogreg.fit trains on dense arrays only"] \
        .raises == ("TypeError",)
    assert by_first["This LogisticRegression instance is not fitted yet"].raises == \
        ("NotFittedError",)
    assert by_first["X must be 2-D (n_samples, n_features)"].excerpts == \
        ("X must be 2-D (n_samples, n_features)",)
    assert by_first["Unknown label type: continuous"].raises == ()
    assert excerpt_pattern("data.csv has no column 'label'; its columns are ...").search(
        "out/data.csv has no column 'x'; its columns are a, b.")
    assert excerpt_pattern("X has 5 features").search("X has 12 features")
    assert not excerpt_pattern("X has 5 features").search("y has 12 features")
    assert variation_stem("learning_rate must be finite and > 0.0", "learning_rate",
                          "alpha") == "alpha must be finite and"
    assert variation_stem("must be >= 1", "epochs", "max_iter") == "max_iter must be"

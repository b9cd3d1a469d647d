"""The command line, run as a user runs it: real files, real subprocesses.

Each call is a fresh ``python -m fastlogreg`` process in ``tmp_path`` whose
``PYTHONPATH`` points at the package under test (not at another installed
copy).
"""

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import make_classification

import fastlogreg
from fastlogreg import load_model
from fastlogreg.cli import main

SRC = str(Path(fastlogreg.__file__).resolve().parents[1])


def run(*args, cwd, script=None):
    env = {**os.environ,
           "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")])}
    command = [script] if script else [sys.executable, "-m", "fastlogreg"]
    return subprocess.run([*command, *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def assert_user_error(result, *fragments):
    """Exit code 2, one line ``fastlogreg: error: ...`` on stderr, no traceback."""
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fastlogreg: error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The same 3-class problem as CSV (string labels), .npy and .npz."""
    folder = tmp_path_factory.mktemp("data")
    X, y = make_classification(240, 4, n_informative=3, n_redundant=0, n_classes=3,
                               random_state=0)
    names = np.array(["cat", "dog", "emu"])
    with open(folder / "train.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["a", "b", "species", "c", "d"])
        for row, label in zip(X.tolist(), names[y], strict=True):
            writer.writerow([*row[:2], label, *row[2:]])
    np.save(folder / "train.npy", np.column_stack([X, y]))
    np.savez(folder / "train.npz", X=X, y=y)
    np.save(folder / "X.npy", X)
    return folder, X, y, names


def read_csv(text):
    rows = list(csv.reader(text.splitlines()))
    return rows[0], rows[1:]


def call(*args, capsys):
    """``main`` in this process (the same code as the command, without the start-up
    cost of a subprocess); returns (exit code, stdout, stderr)."""
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:  # --help
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def assert_user_error_in_process(code, out, err, fragment):
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fastlogreg: error: "), err
    assert fragment in lines[0], lines[0]


def test_no_command_runs_the_demo_writes_the_png_and_prints_its_path(tmp_path, capsys):
    result = run(cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "| 90 |" in result.stdout and "faster" in result.stdout
    png = tmp_path / "fastlogreg-demo.png"
    if _importable("matplotlib"):
        assert str(png) in result.stdout
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    else:  # a plain `pip install .`: a one-line note, no failure
        assert 'no plot written: plot_history needs matplotlib' in result.stdout
        assert not png.exists()
    assert_user_error_in_process(
        *call("demo", "--plot", tmp_path / "out" / "h.png", capsys=capsys),
        "out does not exist")


def test_help_everywhere(tmp_path, capsys):
    for command in ([], ["demo"], ["train"], ["predict"], ["bench"]):
        code, out, _ = call(*command, "--help", capsys=capsys)
        assert code == 0 and out.startswith("usage: fastlogreg")
    script = shutil.which("fastlogreg", path=str(Path(sys.executable).parent))
    helped = run("--help", cwd=tmp_path, script=script) if script else \
        run("--help", cwd=tmp_path)  # the console script of an installed fastlogreg
    assert helped.returncode == 0 and "train" in helped.stdout


def test_train_csv_then_predict_labels_and_probabilities(files, tmp_path):
    folder, X, y, names = files
    result = run("train", folder / "train.csv", "--target", "species", "--out", "m.npz",
                 "--C", "10", "--max-iter", "300", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "3 classes (cat, dog, emu)" in result.stdout and "m.npz" in result.stdout
    model = load_model(tmp_path / "m.npz")
    assert model.C == 10.0 and model.max_iter == 300
    assert list(model.classes_) == ["cat", "dog", "emu"]

    # --target: without pandas the model knows no column names, so the label
    # column must be named to be left out (with pandas it is ignored by name)
    labels = run("predict", "m.npz", folder / "train.csv", "--target", "species",
                 cwd=tmp_path)
    assert labels.returncode == 0, labels.stderr
    header, rows = read_csv(labels.stdout)
    assert header == ["prediction"] and len(rows) == len(y)
    expected = names[np.argmax(X @ model.coef_.T + model.intercept_, axis=1)]
    assert [r[0] for r in rows] == expected.tolist()

    proba = run("predict", "m.npz", folder / "train.csv", "--proba", "--out", "p.csv",
                "--target", "species", cwd=tmp_path)
    assert proba.returncode == 0, proba.stderr
    header, rows = read_csv((tmp_path / "p.csv").read_text())
    assert header == ["proba_cat", "proba_dog", "proba_emu"]
    P = np.array(rows, dtype=float)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-12)
    assert (np.argmax(P, axis=1) == np.searchsorted(names, expected)).all()


def test_train_npy_and_npz_then_predict(files, tmp_path, capsys):
    folder, X, _, _ = files
    result = run("train", folder / "train.npy", "--target", "-1", "--out", "a.npz",
                 "--solver", "nesterov", "--max-iter", "500", "--no-intercept",
                 cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    model = load_model(tmp_path / "a.npz")
    assert model.solver == "nesterov" and model.fit_intercept is False
    assert model.classes_.tolist() == [0.0, 1.0, 2.0]
    code, out, _ = call("predict", tmp_path / "a.npz", folder / "train.npy", "--target", "-1",
                        capsys=capsys)
    _, rows = read_csv(out)
    np.testing.assert_array_equal(np.array(rows, dtype=float).ravel(), model.predict(X))

    code, _, err = call("train", folder / "train.npz", "--out", tmp_path / "b.npz",
                        "--solver", "sgd", "--learning-rate", "0.05", "--batch-size", "32",
                        "--random-state", "1", "--class-weight", "balanced", "--max-iter",
                        "20", capsys=capsys)
    assert code == 0, err
    model = load_model(tmp_path / "b.npz")
    assert (model.learning_rate, model.batch_size, model.random_state) == (0.05, 32, 1)
    assert model.class_weight == "balanced"
    for data in (folder / "train.npz", folder / "X.npy"):
        out = run("predict", "b.npz", data, "--proba", cwd=tmp_path)
        header, rows = read_csv(out.stdout)
        assert header == ["proba_0", "proba_1", "proba_2"]
        np.testing.assert_array_equal(np.array(rows, dtype=float), model.predict_proba(X))


def test_training_warnings_are_one_line_and_do_not_fail(files, tmp_path, capsys):
    folder = files[0]
    code, _, err = call("train", folder / "train.npz", "--out", tmp_path / "m.npz",
                        "--solver", "gd", "--max-iter", "2", capsys=capsys)
    assert code == 0
    assert err.startswith("fastlogreg: warning: ConvergenceWarning: ")
    assert len(err.strip().splitlines()) == 1


def test_user_errors_exit_2_in_one_line_without_traceback(files, tmp_path):
    csv_file = files[0] / "train.csv"
    cases = [
        (("train", "missing.csv", "--target", "y", "--out", "m.npz"), "no such file"),
        (("train", csv_file, "--target", "species", "--out", "m.npz", "--C", "big"),
         "argument --C: invalid float value"),
        (("train", csv_file, "--target", "species", "--out", "m.npz", "--C", "-1"),
         "'C' parameter of LogisticRegression must be"),
        (("predict", csv_file, csv_file), "not a fastlogreg model file"),
    ]
    for args, fragment in cases:
        result = run(*args, cwd=tmp_path)
        assert_user_error(result, fragment)
        assert "Traceback" not in result.stderr and result.stdout == ""


def test_user_errors_exit_2_in_one_line(files, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = files[0]
    csv_file = folder / "train.csv"
    cases = [
        (("train", "missing.csv", "--target", "y", "--out", "m.npz"), "no such file"),
        (("train", csv_file, "--target", "nope", "--out", "m.npz"), "no column 'nope'"),
        (("train", csv_file, "--target", "a", "--out", "m.npz"), "'species'",),
        (("train", csv_file, "--out", "m.npz"), "--target is required"),
        (("train", csv_file, "--target", "species"), "--out"),
        (("train", csv_file, "--target", "species", "--out", "m.npz", "--C", "-1"),
         "'C' parameter of LogisticRegression must be"),
        (("train", csv_file, "--target", "species", "--out", "m.npz", "--C", "big"),
         "argument --C: invalid float value"),
        (("train", csv_file, "--target", "species", "--out", "m.npz", "--solver", "x"),
         "invalid choice"),
        (("train", csv_file, "--target", "species", "--out", "m.npz", "--solver", "sgd",
          "--l1-ratio", "0.5"), "Solver sgd supports only 'l2' or None penalties"),
        (("train", folder / "train.npy", "--target", "9", "--out", "m.npz"),
         "out of range"),
        (("train", "data.txt", "--target", "y", "--out", "m.npz"), "from its extension"),
        (("predict", csv_file, csv_file), "not a fastlogreg model file"),
        (("predict", "missing.npz", csv_file), "No such file or directory"),
        (("demo", "--repeats", "0"), "must be >= 1"),
        (("nonsense",), "invalid choice"),
    ]
    for args, fragment in cases:
        assert_user_error_in_process(*call(*args, capsys=capsys), fragment)
    assert not (tmp_path / "m.npz").exists()


def test_parquet_without_pyarrow_names_it(files, tmp_path):
    """Run whether or not a Parquet engine is installed: the child process sees
    pyarrow and fastparquet as packages whose import fails, as it fails where
    they are missing (this test used to skip whenever pyarrow was installed)."""
    pytest.importorskip("pandas")
    blocked = tmp_path / "blocked"
    for name in ("pyarrow", "fastparquet"):
        (blocked / name).mkdir(parents=True)
        (blocked / name / "__init__.py").write_text(
            f"raise ImportError('No module named {name} (blocked by the test)')\n")
    (tmp_path / "t.parquet").write_bytes(b"PAR1")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(blocked), SRC, os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run(
        [sys.executable, "-m", "fastlogreg", "train", "t.parquet", "--target", "y",
         "--out", "m.npz"], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=300)
    assert_user_error(result, "reading Parquet needs pyarrow: pip install pyarrow.")


def test_parquet_round_trip(files, tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    _, X, y, names = files
    frame = pd.DataFrame(X, columns=list("abcd"))
    frame["species"] = names[y]
    frame.to_parquet(tmp_path / "t.parquet")
    assert run("train", "t.parquet", "--target", "species", "--out", "m.npz",
               cwd=tmp_path).returncode == 0
    out = run("predict", "m.npz", "t.parquet", cwd=tmp_path)
    assert out.returncode == 0 and len(out.stdout.splitlines()) == len(y) + 1


def _importable(name):
    import importlib.util
    return importlib.util.find_spec(name) is not None


def test_csv_without_pandas_reads_with_numpy(files, monkeypatch):
    """The fallback when pandas is not installed (as after a plain ``pip install .``)."""
    from fastlogreg._datafiles import read_features, read_training_data

    folder, X, y, names = files
    monkeypatch.setitem(sys.modules, "pandas", None)
    features, labels = read_training_data(folder / "train.csv", "species")
    np.testing.assert_array_equal(features, X)  # the CSV holds repr(float): exact
    assert labels.tolist() == names[y].tolist()
    picked = read_features(folder / "train.csv", feature_names=["d", "a"])
    np.testing.assert_array_equal(picked, X[:, [3, 0]])
    np.testing.assert_array_equal(read_features(folder / "train.csv", target="species"), X)


@pytest.mark.slow
def test_bench_prints_the_table(tmp_path):
    result = run("bench", "--n-samples", "5000", "--n-features", "5", "--repeats", "2",
                 cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "| scikit-learn lbfgs |" in result.stdout
    assert result.stdout.count("| fastlogreg") == 3


def test_refused_model_files_are_one_line_errors(files, tmp_path, capsys):
    """Every hostile model file the fuzz found gave a traceback and exit 1;
    each is now a one-line error and exit 2."""
    import json
    import zipfile

    folder = files[0]
    model = tmp_path / "m.npz"
    assert call("train", folder / "train.csv", "--target", "species", "--out", model,
                capsys=capsys)[0] == 0
    raw = model.read_bytes()
    central = raw.index(b"PK\x01\x02")
    with np.load(model) as npz:
        arrays = {k: npz[k] for k in npz.files}
    header = json.loads(str(arrays["__fastlogreg__"][()]))
    header["params"]["max_iter"] = {"t": "int", "v": -5}

    def method(path):  # one central-directory byte: an unknown compression method
        damaged = bytearray(raw)
        damaged[central + 10] = 99
        path.write_bytes(bytes(damaged))

    def raw_header(path):  # the header entry as raw bytes, not an .npy
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("__fastlogreg__.npy", json.dumps(header))

    def nested(path):
        np.savez(path, **{**arrays, "__fastlogreg__": np.array("[" * 50_000)})

    def params(path):
        np.savez(path, **{**arrays, "__fastlogreg__": np.array(json.dumps(header))})

    def nan_coef(path):
        np.savez(path, **{**arrays, "coef_": np.full_like(arrays["coef_"], np.nan)})

    for make in (method, raw_header, nested, params, nan_coef):
        bad = tmp_path / f"{make.__name__}.npz"
        make(bad)
        code, out, err = call("predict", bad, folder / "X.npy", capsys=capsys)
        assert_user_error_in_process(code, out, err, str(bad))

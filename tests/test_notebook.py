"""The notebook's experiment through the oracle and the kernels, and the demo."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fastlogreg
from fastlogreg import reference as ref
from fastlogreg.demo import NOTEBOOK_SETTINGS, notebook_init, notebook_problem, run_demo

ROOT = Path(__file__).resolve().parents[1]


def test_notebook_experiment_oracle_and_kernels_agree():
    X, y = notebook_problem()
    assert X.shape == (1000, 10) and set(np.unique(y)) == {0.0, 1.0}
    w0, b0 = notebook_init()
    oracle = ref.train(X, y, w0=w0, b0=b0, **NOTEBOOK_SETTINGS)
    fast = fastlogreg.fit(X, y, coef_init=w0, intercept_init=b0, **NOTEBOOK_SETTINGS)
    np.testing.assert_array_equal(fast.history["epoch"], np.arange(0, 100, 10))
    np.testing.assert_allclose(fast.history["loss"], oracle.history[:, 1], rtol=1e-10)
    np.testing.assert_allclose(fast.history["accuracy"], oracle.history[:, 2], rtol=1e-12)
    np.testing.assert_allclose(fast.coef, oracle.w, rtol=1e-10)
    # training makes progress on the notebook's settings
    assert np.all(np.diff(fast.history["loss"]) < 0)


def test_demo_reports_agreement_and_timings(capsys):
    result = run_demo(repeats=2)
    text = capsys.readouterr().out
    assert result["max_loss_diff"] < 1e-12 and result["max_coef_diff"] < 1e-12
    assert result["oracle_seconds"] > 0 and result["kernel_seconds"] > 0
    assert text.count("\n| ") == 11  # header + 10 recorded epochs
    assert "faster" in text


def test_cli_demo_and_usage_errors():
    ok = subprocess.run([sys.executable, "-m", "fastlogreg", "demo", "--repeats", "1",
                         "--no-plot"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert "| 90 |" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "fastlogreg", "demo", "--repeats", "x"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "invalid int value" in bad.stderr
    assert "Traceback" not in bad.stderr


@pytest.mark.slow
def test_notebook_script_shows_the_defects():
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "notebook_vs_package.py")],
                         capture_output=True, text=True, check=True).stdout
    rows = [line.split("|")[1:-1] for line in out.splitlines()
            if line.startswith("| ") and line[2].isdigit()]
    assert len(rows) == 10
    notebook_loss = np.array([float(r[1]) for r in rows])
    oracle_loss = np.array([float(r[2]) for r in rows])
    kernel_loss = np.array([float(r[3]) for r in rows])
    np.testing.assert_allclose(kernel_loss, oracle_loss, atol=1e-6)
    assert np.all(np.abs(notebook_loss - oracle_loss) > 0.1)  # the defects show

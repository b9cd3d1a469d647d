"""The measuring scripts run and print what the README shows (not how fast:
speed is judged by the scripts and asv, never by tests)."""

import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
sys.path.insert(0, str(SCRIPTS))

import bandwidth  # noqa: E402
import compare  # noqa: E402


def test_bandwidth_is_a_positive_rate():
    gbs = bandwidth.measure_bandwidth(bandwidth.make_array(16), repeats=2)
    assert 0.0 < gbs < 1e4


@pytest.mark.slow
def test_compare_quick_prints_the_tables(capsys):
    compare.main(["--quick", "--no-compile"])
    out = capsys.readouterr().out
    assert "GB/s" in out
    assert "| problem | dtype | order | oracle epoch | kernels epoch |" in out
    assert "NumPy oracle `reference.train`" in out
    rows = [line.split("|")[1:-1] for line in out.splitlines()
            if line.startswith("| 20,000 x 50 |")]
    epochs = [r for r in rows if r[2].strip() in ("C", "F")]
    assert len(epochs) == 4  # the epoch table: two dtypes x two orders
    assert "| problem | dtype | C epoch | F epoch | F / C |" in out
    assert len(rows) - len(epochs) == 2  # the alternating F-vs-C table: two dtypes

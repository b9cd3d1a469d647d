"""The measuring scripts run and print what the README shows (not how fast:
speed is judged by the scripts and asv, never by tests)."""

import sys
from pathlib import Path

import numba
import numpy as np
import pytest

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
sys.path.insert(0, str(SCRIPTS))
sys.path.insert(0, str(SCRIPTS / "diagnostics"))  # the hardware diagnostics

import bandwidth  # noqa: E402
import compare  # noqa: E402
import cv_race  # noqa: E402
import epoch_anatomy  # noqa: E402
import first_fit  # noqa: E402
import out_of_core  # noqa: E402
import prefetch_overlap  # noqa: E402
import sparse_bandwidth  # noqa: E402
import wide_sparse  # noqa: E402


def test_bandwidth_is_a_positive_rate():
    gbs = bandwidth.measure_bandwidth(bandwidth.make_array(16), repeats=2)
    assert 0.0 < gbs < 1e4


def test_sparse_bandwidth_prints_its_row(capsys):
    result = sparse_bandwidth.main(["--n", "3000", "--d", "500", "--density", "0.02",
                                    "--repeats", "1", "--mib", "16"])
    out = capsys.readouterr().out
    assert "| 3,000 x 500, density 0.02, float64 / int32 | 2 | 30,000 |" in out
    assert result["bytes"] == 30_000 * 12 + 3001 * 4
    assert result["ratio"] > 0
    sparse_bandwidth.main(["--n", "3000", "--d", "500", "--density", "0.02",
                           "--classes", "5", "--repeats", "1", "--mib", "16"])
    assert "| 3,000 x 500, density 0.02, float64 / int32 | 5 | 30,000 |" in \
        capsys.readouterr().out


def test_sparse_bandwidth_builds_canonical_rows():
    data, indices, indptr = sparse_bandwidth.make_csr(50, 1003, 0.03)
    rows = indices.reshape(50, 30)
    assert np.all(np.diff(rows, axis=1) > 0) and rows.min() >= 0 and rows.max() < 1003
    assert indptr[-1] == data.shape[0] == 1500 and indices.dtype == np.int32


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
    assert all(r[-1].strip().endswith("%") and r[-2].strip().endswith("%")
               for r in epochs)  # the share of the best probe, and the paired share
    assert "| problem | dtype | C epoch | F epoch | F / C |" in out
    assert len(rows) - len(epochs) == 2  # the alternating F-vs-C table: two dtypes


def test_out_of_core_fits_a_file_to_the_in_memory_model(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "argv", ["out_of_core.py", "--rows", "20000",
                                      "--dir", str(tmp_path)])
    out_of_core.main()  # exits 1 if over budget or not the same model
    out = capsys.readouterr().out
    assert "| 20,000 x 100 float32, 0.01 GB |" in out and "| bit for bit |" in out


def test_epoch_anatomy_places_the_epoch_between_its_bounds(capsys):
    lines = epoch_anatomy.main(["--n", "20000", "--d", "30", "--repeats", "1",
                                "--mib", "16"])
    rows = [line.split("|")[1:-1] for line in lines if line.startswith("| 20,000 x 30 |")]
    every = "threads" if numba.get_num_threads() > 1 else "thread"
    assert [(r[1].strip(), r[2].strip().split()[1]) for r in rows] == [
        ("float64", "thread"), ("float64", every),
        ("float32", "thread"), ("float32", every)]
    for r in rows:
        work, memory, perfect, none, epoch = (float(c) for c in r[4:9])
        assert work > 0 and memory > 0 and epoch > 0
        assert perfect == max(work, memory)
        assert abs(none - (work + memory)) <= 0.11  # both printed to one decimal
        overlap = float(r[10])
        # the cells are rounded to 0.1 ns (and 0.01): allow for that, not more
        rounding = 0.2 / min(work, memory) * (1 + abs(overlap)) + 0.01
        assert overlap == pytest.approx((work + memory - epoch) / min(work, memory),
                                        abs=rounding)
    assert "epoch_anatomy.py" in capsys.readouterr().out


def test_prefetch_overlap_prints_each_pass_against_the_probe(capsys):
    lines = prefetch_overlap.main(["--mib", "16", "--repeats", "1"])
    rows = [line.split("|")[1:-1] for line in lines[2:] if line.startswith("| ")]
    names = [r[0].strip() for r in rows]
    assert names == ["probe (`bandwidth.py`)", "hints only"] + [
        f"sum + {k} in cache{h}" for k in prefetch_overlap.EXTRA_SWEEPS
        for h in ("", ", hints")]
    probe_ms = float(rows[0][1])
    for name, r in zip(names, rows, strict=True):
        ms, gbs, share = float(r[1]), float(r[2]), float(r[3].strip().rstrip("%"))
        # GB/s has one decimal: at a busy machine's 0.2 GB/s, only about
        assert ms > 0 and gbs == pytest.approx(16 * 2**20 / (ms * 1e-3) / 1e9, rel=0.1,
                                               abs=0.05)
        # the share from the times (three digits), not from the rounded GB/s
        assert share == pytest.approx(100 * probe_ms / ms, rel=0.05, abs=1)
        # an overlap share exactly where a pass sweeps its chunks in cache
        has_sweeps = name.startswith("sum") and not name.startswith("sum + 0")
        assert (r[4].strip() != "") == has_sweeps
        if has_sweeps:
            float(r[4])
    assert "prefetch_overlap.py" in capsys.readouterr().out


@pytest.mark.slow
def test_epoch_anatomy_times_hints_on_and_off_with_the_same_bits(capsys):
    """--hints: fresh processes with the prefetch hints compiled in and out
    (kernels/_prefetch.py's switch); both give the same sums."""
    lines = epoch_anatomy.main(["--hints", "--n", "3000", "--d", "20", "--repeats", "1"])
    rows = [line.split("|")[1:-1] for line in lines if line.startswith("| 3,000 x 20 |")]
    assert [r[1].strip() for r in rows] == ["float64", "float32"]
    for r in rows:
        assert float(r[2]) > 0 and float(r[3]) > 0
        assert r[5].strip() == "yes"
    assert "epoch_anatomy.py --hints" in capsys.readouterr().out


def test_wide_sparse_races_both_to_the_same_objective(capsys):
    figures = wide_sparse.main(["--rows", "3000", "--cols", "8000", "--nnz", "12",
                                "--repeats", "1"])
    out = capsys.readouterr().out
    assert "ratio fastlogreg / scikit-learn" in out and "passes over X" in out
    ours, theirs = figures["objective fastlogreg"], figures["objective scikit-learn"]
    assert abs(ours - theirs) <= 1e-6 * theirs  # both stop at scikit-learn's default tol
    assert 0.0 < figures["optimiser_share"] < 1.0 and "the optimiser's step" in out


def test_first_fit_times_the_three_processes(capsys):
    medians = first_fit.main(["--rounds", "1", "--n-samples", "200"])
    assert set(medians) == {"fastlogreg", "scikit-learn", "scikit-learn + Numba's start-up"}
    assert all(t > 0 for t in medians.values())
    assert "Numba's start-up" in capsys.readouterr().out


def test_cv_race_prints_the_race_and_the_scaling_with_its_floor(capsys):
    cv_race.main(["--shape", "3000x8", "--Cs", "2", "--folds", "2", "--repeats", "1",
                  "--models", "1,4", "--skip-loop"])
    out = capsys.readouterr().out
    assert "scikit-learn LogisticRegressionCV" in out and "multiply-add floor ms" in out
    assert "X in cache ms" in out
    rows = [line.split() for line in out.splitlines() if line.strip()[:2] in ("1 ", "4 ")]
    assert [r[0] for r in rows] == ["1", "4"] and all(len(r) == 7 for r in rows)

"""Achieved read bandwidth of a gradient-descent epoch, beside the machine's.

``track_epoch_share`` is the fraction of the read bandwidth that
``scripts/diagnostics/bandwidth.py`` measures in the same process, the figure the
performance issue sets targets for (>= 0.8 float64 C, >= 0.7 float32)."""

import sys
import time
from pathlib import Path

import numba
import numpy as np

from fastlogreg.comparisons import make_case
from fastlogreg.kernels import dense

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts" / "diagnostics"))
import bandwidth

EPOCHS = 10


def _epoch_seconds(case, repeats=5):
    X, y, sw = case.X, case.y, case.sample_weight
    d = X.shape[1]
    w, b = case.w.copy(), np.array([case.b])
    grad, history = np.empty(d + 3), np.empty((EPOCHS, 3))
    dense.gd_first_pass(X, y, sw, w, b, 0.0, True, True, grad)
    times = []
    for _ in range(repeats + 1):
        start = time.perf_counter()
        dense.gd_epochs(X, y, sw, w, b, 1e-12, 0.0, True, True, 0, EPOCHS, EPOCHS,
                        grad, history)
        times.append(time.perf_counter() - start)
    return float(np.median(times[1:])) / EPOCHS


class EpochBandwidth:
    params = (["float64", "float32"], ["C", "F"])
    param_names = ["dtype", "layout"]
    timeout = 300

    def setup(self, dtype, layout):
        self.case = make_case(1_000_000, 100, dtype=np.dtype(dtype), layout=layout)
        self.array = bandwidth.make_array(1024)

    def track_epoch_gbs(self, dtype, layout):
        return self.case.X.nbytes / _epoch_seconds(self.case) / 1e9

    track_epoch_gbs.unit = "GB/s"

    def track_epoch_share(self, dtype, layout):
        epoch = self.case.X.nbytes / _epoch_seconds(self.case) / 1e9
        return epoch / bandwidth.measure_bandwidth(self.array)

    track_epoch_share.unit = "fraction of read bandwidth"


def track_machine_bandwidth():
    return bandwidth.measure_bandwidth(bandwidth.make_array(1024))


track_machine_bandwidth.unit = "GB/s"


def track_threads():
    return numba.get_num_threads()


track_threads.unit = "threads"

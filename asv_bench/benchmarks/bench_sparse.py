"""The fused CSR pass (``kernels.sparse.binary_partials``) beside the machine's
read bandwidth, and its agreement with the oracle.

``track_epoch_share`` is the bytes-over-bandwidth limit divided by the epoch
time (1.0 = reading ``data``, ``indices`` and ``indptr`` as fast as
``scripts/bandwidth.py`` reads memory); ``scripts/sparse_bandwidth.py``
reports the same at the issue's 1,000,000 x 10,000 size. The default size
here is a tenth of that (120 MB of CSR arrays, still far above the L3), so
that ``asv check`` and a quick run stay fast. Data are built in ``setup``
from a fixed seed by the script's own builder and the JIT is warmed there.
"""

import sys
from pathlib import Path

import numba
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import bandwidth
import sparse_bandwidth

from fastlogreg import reference
from fastlogreg.kernels import sparse

SHAPE = (100_000, 10_000)
DENSITY = 0.01
THREADS = [1, 2]


class SparseEpoch:
    """One fused binary pass over CSR X, without the loss (a GD epoch's read)."""

    params = (THREADS,)
    param_names = ["threads"]
    timeout = 300

    def setup(self, threads):
        if threads > numba.config.NUMBA_NUM_THREADS:
            raise NotImplementedError("not enough cores")  # asv skips the combination
        self._threads = numba.get_num_threads()
        numba.set_num_threads(threads)
        self.problem = sparse_bandwidth.make_problem(*SHAPE, DENSITY)
        self.total = np.zeros(SHAPE[1] + 5)
        sparse_bandwidth.epoch(self.problem, self.total)  # JIT warm-up outside the timing

    def teardown(self, threads):
        numba.set_num_threads(self._threads)

    def time_epoch(self, threads):
        sparse_bandwidth.epoch(self.problem, self.total)

    def time_epoch_serial(self, threads):
        if threads == THREADS[0]:  # the serial pass ignores the thread count
            sparse_bandwidth.epoch(self.problem, self.total, parallel=False)
        else:
            raise NotImplementedError

    def track_epoch_share(self, threads):
        result = sparse_bandwidth.measure(self.problem, 5, bandwidth.make_array(512))
        return 1.0 / result["ratio"]

    track_epoch_share.unit = "fraction of read bandwidth"


def track_max_error():
    """Largest relative error of the CSR pass against the oracle on ``toarray()``."""
    data, indices, indptr = sparse_bandwidth.make_csr(2000, 500, 0.02, seed=3)
    n, d = indptr.shape[0] - 1, 500
    rng = np.random.default_rng(4)
    y, sw = (rng.random(n) < 0.5) * 1.0, rng.uniform(0, 2, n)
    w = rng.standard_normal(d) * 0.3
    X = np.zeros((n, d))
    X[np.repeat(np.arange(n), np.diff(indptr)), indices] = data
    total = np.zeros(d + 5)
    sparse.binary_partials(data, indices, indptr, y, sw, w, 0.1, True, total, True)
    J, dw, db = reference.loss_and_gradient(X, y, w, 0.1, sample_weight=sw)
    S = sw.sum()
    errs = [abs(total[d + 1] / S - J) / abs(J),
            np.abs(total[:d] / S - dw).max() / np.abs(dw).max(),
            abs(total[d] / S - db) / abs(db)]
    return float(max(errs))


track_max_error.unit = "relative error"

"""The fused CSR pass (``kernels.sparse.binary_partials``) beside the machine's
read bandwidth, and every CSR entry of the registry beside its oracle.

``track_epoch_share`` is the bytes-over-bandwidth limit divided by the epoch
time (1.0 = reading ``data``, ``indices`` and ``indptr`` as fast as
``scripts/diagnostics/bandwidth.py`` reads memory); ``scripts/diagnostics/sparse_bandwidth.py``
reports the same at the issue's 1,000,000 x 10,000 size. The default size
here is a tenth of that (120 MB of CSR arrays, still far above the L3), so
that ``asv check`` and a quick run stay fast. Data are built in ``setup``
from a fixed seed by the script's own builder and the JIT is warmed there.
"""

import sys
from pathlib import Path

import numba
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts" / "diagnostics"))
import bandwidth
import sparse_bandwidth

from fastlogreg.comparisons import COMPARISONS, MAKERS, checked_max_rel_error

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


class SparseOnePass:
    """The registry's CSR entries (``fastlogreg.comparisons``, kinds ``sparse`` and
    ``sparse_multinomial``), one call each, beside the oracle on ``toarray()``:
    the timed calls are the tested ones."""

    params = ([name for name, c in COMPARISONS.items() if c.kind.startswith("sparse")],)
    param_names = ["kernel"]
    timeout = 300

    def setup(self, kernel):
        self.comparison = COMPARISONS[kernel]
        self.case = MAKERS[self.comparison.kind](10_000, 1_000, 0.02, batch_size=256)
        self.comparison.fast(self.case)  # JIT warm-up outside the timing

    def time_kernel(self, kernel):
        self.comparison.fast(self.case)

    def time_oracle(self, kernel):
        self.comparison.oracle(self.case)

    def track_max_error(self, kernel):
        return checked_max_rel_error(self.comparison, self.case)  # raises past RTOL

    track_max_error.unit = "relative error"

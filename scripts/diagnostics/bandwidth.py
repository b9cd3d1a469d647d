"""Measure this machine's memory read bandwidth, the ceiling of a GD epoch.

An epoch over large dense ``X`` must read ``X`` once, so no epoch can beat
``X.nbytes / bandwidth``. This script times the simplest read there is, a
parallel sum over an array far larger than the caches, and reports the best
of several repeats in GB/s (1e9 bytes per second).

The reduction is compiled with ``fastmath`` (reassociation) so that LLVM keeps
several independent vector accumulators; without it the serial chain of
floating-point additions, not memory, is the limit (about 14 GB/s against
27 GB/s on the 2-core machine this was written on). The blocks are large and
fixed, and each thread streams contiguous memory. Each chunk is summed over
a slice view indexed from 0: indexing ``a[i]`` for ``i`` in ``range(lo, hi)``
keeps Numba's negative-index wrap-around check in the loop, which stops LLVM
from vectorising it (5 GB/s instead of 28 GB/s on one core here).

    python scripts/diagnostics/bandwidth.py [--mib 1024] [--repeats 10]
"""

from __future__ import annotations

import argparse
import time

import numba
import numpy as np
from numba import njit, prange

# Each thread sums contiguous 4 MiB chunks: long enough streams for the
# hardware prefetchers, many enough chunks to balance two or more threads.
CHUNK = 1 << 19  # float64 elements


@njit(parallel=True, fastmath=True, cache=True, nogil=True)
def _parallel_sum(a):
    n = a.shape[0]
    n_chunks = (n + CHUNK - 1) // CHUNK
    partial = np.zeros(n_chunks)
    for k in prange(n_chunks):
        chunk = a[k * CHUNK:min(n, (k + 1) * CHUNK)]
        t = 0.0
        for i in range(chunk.shape[0]):
            t += chunk[i]
        partial[k] = t
    return partial.sum()


def make_array(mib: int = 1024, seed: int = 0) -> np.ndarray:
    """A float64 array of ``mib`` MiB, written once so its pages are resident."""
    n = mib * (1 << 20) // 8
    return np.random.default_rng(seed).random(n)


def measure_bandwidth(a: np.ndarray | None = None, repeats: int = 10) -> float:
    """Best read bandwidth (GB/s) of ``repeats`` parallel reductions over ``a``."""
    if a is None:
        a = make_array()
    _parallel_sum(a[:CHUNK])  # compile (or load from cache) outside the timing
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        _parallel_sum(a)
        best = min(best, time.perf_counter() - start)
    return a.nbytes / best / 1e9


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=1024,
                        help="array size in MiB, far above the last-level cache")
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args(argv)
    gbs = measure_bandwidth(make_array(args.mib), args.repeats)
    print(f"read bandwidth: {gbs:.1f} GB/s (best of {args.repeats} parallel sums over "
          f"{args.mib} MiB, {numba.get_num_threads()} threads)")


if __name__ == "__main__":
    main()

"""One fused epoch over CSR ``X`` against this machine's read bandwidth.

An epoch over CSR ``X`` must read ``data``, ``indices`` and ``indptr`` once,
so no epoch can beat their bytes over the read bandwidth. This script builds
a random CSR matrix (by default 1,000,000 x 10,000 at 1% density: 100
nonzeros a row, float64 data, int32 indices, 1.2 GB), times the pass a
gradient-descent epoch makes (``kernels.sparse.binary_partials``, parallel,
without the loss, as ``dense.gd_epochs`` skips it between records; with
``--classes K`` for K > 2 the softmax pass ``multinomial_partials`` over all
K classes), measures the read bandwidth with ``scripts/diagnostics/bandwidth.py`` in the
same process, and prints one markdown table row: bytes, median epoch time
(and per nonzero), the bytes-over-bandwidth limit, and their ratio.

Bandwidth and epochs are sampled alternately (one parallel sum over the
bandwidth array, one epoch, and so on), so that both see the same load on a shared
machine; the bandwidth is the best sample (as ``bandwidth.py`` reports it),
the epoch the median.

    python scripts/diagnostics/sparse_bandwidth.py [--n 1000000] [--d 10000] [--density 0.01]
                                       [--classes 2] [--repeats 7] [--mib 1024]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numba
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bandwidth

from fastlogreg._timing import interleaved_seconds
from fastlogreg.kernels import sparse


def make_csr(n: int, d: int, density: float, seed: int = 0):
    """Random CSR arrays ``(data, indices, indptr)`` with ``k = round(d * density)``
    nonzeros a row, built directly (``scipy.sparse.random`` takes minutes here).

    Row ``i`` holds one column drawn from each of ``k`` equal ranges of the
    columns: distinct and sorted within the row, as in scipy's canonical CSR,
    and uniform over the columns. Data are standard normal float64; indices
    and ``indptr`` int32 when ``n * k`` allows, else int64.
    """
    k = max(1, min(d, round(d * density)))
    index_dtype = np.int32 if n * k < 2**31 else np.int64
    rng = np.random.default_rng(seed)
    edges = (np.arange(k + 1) * d // k).astype(index_dtype)
    indices = rng.integers(0, np.diff(edges), size=(n, k), dtype=index_dtype)
    indices += edges[:-1]
    indptr = np.arange(n + 1, dtype=np.int64) * k
    data = rng.standard_normal(n * k)
    return data, indices.reshape(-1), indptr.astype(index_dtype)


def make_problem(n: int, d: int, density: float, seed: int = 0, classes: int = 2) -> dict:
    """CSR arrays plus labels, unit weights and small weights (logits near 0):
    ``w`` (d,) and ``b`` for two classes, ``w`` (K, d) and ``b`` (K,) for more."""
    data, indices, indptr = make_csr(n, d, density, seed)
    rng = np.random.default_rng(seed + 1)
    if classes == 2:
        y, w, b = (rng.random(n) < 0.5).astype(np.float64), rng.standard_normal(d) * 0.01, 0.0
    else:
        y = rng.integers(0, classes, n).astype(np.float64)
        w, b = rng.standard_normal((classes, d)) * 0.01, np.zeros(classes)
    return {"data": data, "indices": indices, "indptr": indptr, "y": y, "sw": np.ones(n),
            "w": w, "b": b}


def csr_bytes(problem: dict) -> int:
    return sum(problem[key].nbytes for key in ("data", "indices", "indptr"))


def new_total(problem: dict) -> np.ndarray:
    """The sums array of one pass over ``problem``."""
    w = problem["w"]
    return np.zeros(w.shape[0] + 5 if w.ndim == 1 else w.size + w.shape[0] + 3)


def epoch(problem: dict, total: np.ndarray, parallel: bool = True) -> None:
    """The read of X a gradient-descent epoch makes: one fused pass (binary:
    without the loss, as gd's epochs between records; softmax: all K classes)."""
    total[:] = 0.0
    arrays = (problem["data"], problem["indices"], problem["indptr"], problem["y"],
              problem["sw"], problem["w"], problem["b"], parallel, total)
    if problem["w"].ndim == 1:
        sparse.binary_partials(*arrays, False)
    else:
        sparse.multinomial_partials(*arrays)


def measure(problem: dict, repeats: int, array: np.ndarray) -> dict:
    """Median epoch and best bandwidth, sampled alternately after a warm-up."""
    total = new_total(problem)
    probe, epochs = interleaved_seconds(
        [lambda: bandwidth._parallel_sum(array), lambda: epoch(problem, total)],
        repeats, warmup=1)  # the warm-up compiles (or loads) and touches X once
    nbytes = csr_bytes(problem)
    best = array.nbytes / min(probe) / 1e9
    seconds = statistics.median(epochs)
    limit = nbytes / (best * 1e9)
    return {"bytes": nbytes, "bandwidth": best, "epoch": seconds, "best_epoch": min(epochs),
            "limit": limit, "ratio": seconds / limit}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="rows")
    parser.add_argument("--d", type=int, default=10_000, help="columns")
    parser.add_argument("--density", type=float, default=0.01)
    parser.add_argument("--classes", type=int, default=2,
                        help="more than 2: time the softmax pass over all classes")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--mib", type=int, default=1024,
                        help="bandwidth array size in MiB, far above the last-level cache")
    args = parser.parse_args(argv)
    problem = make_problem(args.n, args.d, args.density, classes=args.classes)
    result = measure(problem, args.repeats, bandwidth.make_array(args.mib))
    nnz = problem["data"].shape[0]
    print("| CSR problem | classes | nnz | data + indices + indptr | read bandwidth "
          "| epoch (median) | ns a nonzero | limit (bytes / bandwidth) | epoch / limit "
          "| threads |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {args.n:,} x {args.d:,}, density {args.density:g}, "
          f"{problem['data'].dtype} / {problem['indices'].dtype} | {args.classes} | {nnz:,} "
          f"| {result['bytes'] / 1e9:.3f} GB | {result['bandwidth']:.1f} GB/s "
          f"| {result['epoch'] * 1e3:.1f} ms | {result['epoch'] / nnz * 1e9:.2f} "
          f"| {result['limit'] * 1e3:.1f} ms | {result['ratio']:.2f} "
          f"| {numba.get_num_threads()} |")
    print(f"\nmedian of {args.repeats} epochs (best {result['best_epoch'] * 1e3:.1f} ms); "
          f"bandwidth: best of {args.repeats} parallel sums over {args.mib} MiB, "
          "sampled between the epochs")
    return result


if __name__ == "__main__":
    main()

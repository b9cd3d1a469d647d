"""Where a dense C epoch's time goes: the sweeps' own work against memory.

An epoch over large X can be no faster than the slower of two things: the
work the sweeps do per row with the row in cache, and the time memory takes
to deliver the row. If memory kept streaming while a block is worked on, the
epoch would take the larger of the two ("perfect overlap"); if memory sat
idle meanwhile, their sum ("no overlap"). This script measures both parts and
the epoch itself, per row and per thread, alternately in one process, and
prints where the epoch falls between the two bounds:

- work in cache: the pass (``dense.add_partials``, serial, without the loss,
  as gd's epochs run it) over an X of three blocks, which stays in one core's
  L2, minus the cost of a call over one row;
- memory: the row's bytes over the read bandwidth (``scripts/bandwidth.py``'s
  probe) with one thread and with all of them;
- the epoch from memory, serial on one thread and ``prange`` on all.

overlap = (work + memory - epoch) / min(work, memory): 0 when memory sat idle
while the rows were worked on, 1 when it never did.

    python scripts/epoch_anatomy.py [--n 1000000] [--d 100] [--repeats 7]
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

from fastlogreg.comparisons import make_case
from fastlogreg.demo import interleaved_seconds
from fastlogreg.kernels import dense

IN_CACHE_BLOCKS = 3  # 768 KiB: inside the 1 MiB L2 of a core
IN_CACHE_CALLS = 200


def _pass(X, y, sw, w, b, parallel, total):
    return lambda: dense.add_partials(X, y, sw, w, b, parallel, total, False)


def _threads(n, f):
    def run():
        numba.set_num_threads(n)
        f()
    return run


def _repeated(f, calls):
    def run():
        for _ in range(calls):
            f()
    return run


def anatomy(n: int, d: int, dtype, repeats: int, probe: np.ndarray) -> list[str]:
    threads = numba.get_num_threads()
    case = make_case(n, d, dtype=dtype, layout="C")
    X, y, sw, w, b = case.X, case.y, case.sample_weight, case.w, case.b
    rows = dense.block_rows(d, X.itemsize)
    m = min(n, IN_CACHE_BLOCKS * rows)
    small = np.ascontiguousarray(X[:m])
    total = np.zeros(d + 5)
    funcs = [
        _threads(1, _repeated(_pass(small, y[:m], sw[:m], w, b, False, total),
                              IN_CACHE_CALLS)),
        _threads(1, _repeated(_pass(small[:1], y[:1], sw[:1], w, b, False, total),
                              IN_CACHE_CALLS)),
        _threads(1, lambda: bandwidth._parallel_sum(probe)),
        _threads(threads, lambda: bandwidth._parallel_sum(probe)),
        _threads(1, _pass(X, y, sw, w, b, False, total)),
        _threads(threads, _pass(X, y, sw, w, b, True, total)),
    ]
    t_small, t_call, p1, pn, e1, en = interleaved_seconds(funcs, repeats, warmup=1)
    numba.set_num_threads(threads)
    row_bytes = d * X.itemsize
    work = (statistics.median(t_small) - statistics.median(t_call)) / IN_CACHE_CALLS / m
    out = []
    all_label = f"{threads} threads" if threads > 1 else "1 thread"
    for label, k, probes, epoch in (("1 thread", 1, p1, e1), (all_label, threads, pn, en)):
        gbs = probe.nbytes / min(probes) / 1e9
        mem = row_bytes * k / (gbs * 1e9)          # seconds per row per thread
        t = statistics.median(epoch) * k / n       # seconds per row per thread
        overlap = (work + mem - t) / min(work, mem)
        out.append(f"| {n:,} x {d} | {np.dtype(dtype).name} | {label} | {gbs:.1f} | "
                   f"{work * 1e9:.1f} | {mem * 1e9:.1f} | {max(work, mem) * 1e9:.1f} | "
                   f"{(work + mem) * 1e9:.1f} | {t * 1e9:.1f} | "
                   f"{X.nbytes / statistics.median(epoch) / gbs / 1e9:.0%} | "
                   f"{overlap:.2f} |")
        print(out[-1], file=sys.stderr, flush=True)
    return out


def main(argv=None) -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--d", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--mib", type=int, default=1024, help="probe array size")
    args = parser.parse_args(argv)
    probe = bandwidth.make_array(args.mib)
    lines = ["| problem | dtype | threads | probe GB/s | work in cache | memory | "
             "perfect overlap | no overlap | epoch | % of BW | overlap |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for dtype in (np.float64, np.float32):
        lines += anatomy(args.n, args.d, dtype, args.repeats, probe)
    lines += ["", "ns per row per thread; `python scripts/epoch_anatomy.py`, medians of "
              f"{args.repeats} alternating rounds (probe: the best of its rounds)."]
    print("\n".join(lines))
    return lines


if __name__ == "__main__":
    main()

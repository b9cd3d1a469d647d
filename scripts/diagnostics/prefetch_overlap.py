"""Does memory keep streaming while a core works from cache? A diagnostic.

A dense C epoch reads each block of rows from memory once and then works on
it from L2 (``kernels/dense.py``); it reaches the probe's bandwidth only if
memory keeps delivering the next block meanwhile. This script asks the same
question of the simplest pass there is, a sum, over an array far larger than
the caches, cut into 256 KiB chunks (a dense block), timed alternately:

- ``hints only``: every cache line of the array hinted into L2
  (``kernels/_prefetch.hint_l2``) and nothing read. A figure far above the
  probe means the hints were dropped, not queued: a hint cannot wait for a
  free miss buffer;
- ``sum + k in cache``: each chunk summed from memory, then ``k`` more times
  while it sits in L2, with and without hints of the next chunk spread over
  those sweeps. ``overlap`` is the share of the ``k`` in-cache sweeps' own
  time (measured on a chunk that stays in L2) that the pass hid behind
  memory, against the plain read (``sum + 0 in cache``, no hints): 0 when
  memory sat idle meanwhile, 1 when it never did.

    python scripts/diagnostics/prefetch_overlap.py [--mib 1024] [--repeats 9]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numba
import numpy as np
from numba import njit, prange

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bandwidth

from fastlogreg._timing import interleaved_seconds
from fastlogreg.kernels._prefetch import hint_l2

CHUNK = 1 << 15  # float64 elements: 256 KiB, the dense C block
EXTRA_SWEEPS = (0, 1, 2)
IN_CACHE_CALLS = 2000


@njit(parallel=True, cache=True, nogil=True)
def _hints_only(a):
    n = a.shape[0]
    for c in prange((n + CHUNK - 1) // CHUNK):
        hint_l2(a, c * CHUNK, min(n, (c + 1) * CHUNK))


@njit(fastmath=True, cache=True, nogil=True)
def _sum_chunks(a, c0, c1, extra, hints):
    # chunks c0:c1, each summed 1 + extra times; with hints, the next chunk's
    # lines are hinted into L2 in equal shares before each sweep
    n = a.shape[0]
    total = 0.0
    for c in range(c0, c1):
        chunk = a[c * CHUNK:min(n, (c + 1) * CHUNK)]
        nxt = min(n, (c + 1) * CHUNK)
        nxt_hi = min(n, (c + 2) * CHUNK) if hints else nxt
        share = (nxt_hi - nxt) // (extra + 1) + 8
        for _ in range(extra + 1):
            nxt = hint_l2(a, nxt, min(nxt_hi, nxt + share))
            t = 0.0
            for i in range(chunk.shape[0]):
                t += chunk[i]
            total += t
    return total


@njit(parallel=True, cache=True, nogil=True)
def _sum_pass(a, extra, hints, threads):
    # each thread takes a contiguous run of chunks, as the dense pass's
    # blocks fall to two threads
    n_chunks = (a.shape[0] + CHUNK - 1) // CHUNK
    parts = np.zeros(threads)
    for t in prange(threads):
        parts[t] = _sum_chunks(a, n_chunks * t // threads, n_chunks * (t + 1) // threads,
                               extra, hints)
    return parts.sum()


def overlap_table(mib: int, repeats: int) -> list[str]:
    a = bandwidth.make_array(mib)
    small = a[:CHUNK].copy()
    threads = numba.get_num_threads()

    def in_cache():
        for _ in range(IN_CACHE_CALLS):
            _sum_chunks(small, 0, 1, 0, False)

    # (name, in-cache sweeps after the read, the pass); the overlap needs
    # sweeps, so the hints-only pass has none
    variants = [("hints only", 0, lambda: _hints_only(a))]
    for extra in EXTRA_SWEEPS:
        for hints in (False, True):
            name = f"sum + {extra} in cache{', hints' if hints else ''}"
            variants.append((name, extra,
                             lambda e=extra, h=hints: _sum_pass(a, e, h, threads)))
    times = interleaved_seconds([lambda: bandwidth._parallel_sum(a), in_cache]
                                + [f for _, _, f in variants], repeats, warmup=1)
    probe, cache, *passes = (statistics.median(t) for t in times)
    # one in-cache sweep of the whole array, per thread: the time it adds
    # if memory sits idle meanwhile
    sweep = cache / IN_CACHE_CALLS * (a.shape[0] / CHUNK) / threads
    base = passes[[name for name, _, _ in variants].index("sum + 0 in cache")]
    rows = ["| pass | ms | GB/s | % of probe | overlap |", "|---|---:|---:|---:|---:|",
            f"| probe (`bandwidth.py`) | {probe * 1e3:.3g} | "
            f"{a.nbytes / probe / 1e9:.1f} | 100% | |"]
    for (name, extra, _), med in zip(variants, passes, strict=True):
        hidden = f"{1 - (med - base) / (extra * sweep):.2f}" if extra else ""
        rows.append(f"| {name} | {med * 1e3:.3g} | {a.nbytes / med / 1e9:.1f} | "
                    f"{probe / med:.0%} | {hidden} |")
    rows.append(f"\n{threads} threads, {mib} MiB, 256 KiB chunks; one in-cache sweep of "
                f"the array costs {sweep * 1e3:.1f} ms a thread; medians of {repeats} "
                "alternating rounds (`python scripts/diagnostics/prefetch_overlap.py`).")
    return rows


def main(argv=None) -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args(argv)
    rows = overlap_table(args.mib, args.repeats)
    print("\n".join(rows))
    return rows


if __name__ == "__main__":
    main()

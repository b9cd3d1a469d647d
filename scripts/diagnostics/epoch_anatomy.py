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
- memory: the row's bytes over the read bandwidth (``bandwidth.py``'s probe)
  with one thread and with all of them;
- the epoch from memory, serial on one thread and ``prange`` on all.

overlap = (work + memory - epoch) / min(work, memory): 0 when memory sat idle
while the rows were worked on, 1 when it never did.

    python scripts/diagnostics/epoch_anatomy.py [--n 1000000] [--d 100] [--repeats 7]

With ``--hints`` it times instead the epoch (the same pass, ``prange`` on all
threads) with the kernels' software prefetch on and off
(``fastlogreg.kernels._prefetch.PREFETCH``), each in fresh processes timed
alternately: hints off is a compile-time switch (``FASTLOGREG_PREFETCH=0``,
with a Numba cache directory of its own under the system's temporary folder,
so the first round compiles). It prints the medians, their ratio, and whether
both settings gave the same bits (they must: a hint changes no result).

    python scripts/diagnostics/epoch_anatomy.py --hints [--n 1000000] [--d 100]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numba
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bandwidth

from fastlogreg._timing import interleaved_seconds
from fastlogreg.comparisons import make_case
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


def _epoch_worker(n: int, d: int, dtype: str, calls: int) -> None:
    """In a fresh process: time ``calls`` epochs after a warm-up; print their
    median and a digest of the pass's sums as one JSON line."""
    case = make_case(n, d, dtype=np.dtype(dtype), layout="C")
    total = np.zeros(d + 5)
    epoch = _pass(case.X, case.y, case.sample_weight, case.w, case.b,
                  numba.get_num_threads() > 1, total)
    epoch()
    times = []
    for _ in range(calls):
        total[:] = 0.0
        start = time.perf_counter()
        epoch()
        times.append(time.perf_counter() - start)
    print(json.dumps({"seconds": statistics.median(times),
                      "digest": hashlib.sha256(total.tobytes()).hexdigest()}))


def _run_worker(hints: bool, n: int, d: int, dtype: str, calls: int) -> dict:
    env = dict(os.environ, FASTLOGREG_PREFETCH="1" if hints else "0")
    if not hints:  # kernels compiled without hints live in a cache of their own
        env["NUMBA_CACHE_DIR"] = str(Path(tempfile.gettempdir())
                                     / "fastlogreg-no-prefetch-cache")
    out = subprocess.run([sys.executable, __file__, "--worker", str(n), str(d), dtype,
                          str(calls)], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def hints_table(n: int, d: int, repeats: int, calls: int = 5) -> list[str]:
    """Epoch medians with and without the kernels' prefetch hints (fresh
    processes, alternately), their ratio and whether the bits agree."""
    lines = ["| problem | dtype | hints on ms | hints off ms | off / on | same bits |",
             "|---|---|---:|---:|---:|---|"]
    for dtype in ("float64", "float32"):
        runs = {True: [], False: []}
        for _ in range(repeats):
            for hints in (True, False):
                runs[hints].append(_run_worker(hints, n, d, dtype, calls))
        on, off = (statistics.median(r["seconds"] for r in runs[h]) for h in (True, False))
        same = len({r["digest"] for r in runs[True] + runs[False]}) == 1
        lines.append(f"| {n:,} x {d} | {dtype} | {on * 1e3:.2f} | {off * 1e3:.2f} | "
                     f"{off / on:.2f} | {'yes' if same else 'NO'} |")
        print(lines[-1], file=sys.stderr, flush=True)
    lines += ["", f"{numba.get_num_threads()} threads; medians of {repeats} alternating "
              f"rounds of fresh processes, each the median of {calls} epochs "
              "(`python scripts/diagnostics/epoch_anatomy.py --hints`)."]
    return lines


def main(argv=None) -> list[str]:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        n, d, dtype, calls = argv[1:5]
        _epoch_worker(int(n), int(d), dtype, int(calls))
        return []
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--d", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--mib", type=int, default=1024, help="probe array size")
    parser.add_argument("--hints", action="store_true",
                        help="time the epoch with the prefetch hints on and off instead")
    args = parser.parse_args(argv)
    if args.hints:
        lines = hints_table(args.n, args.d, args.repeats)
        print("\n".join(lines))
        return lines
    probe = bandwidth.make_array(args.mib)
    lines = ["| problem | dtype | threads | probe GB/s | work in cache | memory | "
             "perfect overlap | no overlap | epoch | % of BW | overlap |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for dtype in (np.float64, np.float32):
        lines += anatomy(args.n, args.d, dtype, args.repeats, probe)
    lines += ["", "ns per row per thread; `python scripts/diagnostics/epoch_anatomy.py`, "
              f"medians of {args.repeats} alternating rounds (probe: the best of its "
              "rounds)."]
    print("\n".join(lines))
    return lines


if __name__ == "__main__":
    main()

"""Train on a memory-mapped file larger than a memory budget, and compare with
the same fit in memory.

    python scripts/out_of_core.py                       # 4 GB float32 file, 1 GB budget
    python scripts/out_of_core.py --rows 1000000        # a 400 MB trial

Writes ``rows x 100`` float32 (a logistic model, fixed seed) to a ``.npy``
file, then in a fresh process opens it with ``np.load(mmap_mode="r")`` and
fits ``LogisticRegression()`` (lbfgs); that process's peak resident memory
above its start-up size must stay under ``--budget``. Then the file is loaded
whole and the in-memory fit is compared with the file's: the models agree
bit for bit (a pass over a file adds the same blocks in the same order).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

from fastlogreg import LogisticRegression

D = 100


def write_file(path: Path, rows: int, seed: int = 0) -> None:
    """``X`` and ``y`` of a logistic model, written in slices of 1M rows."""
    rng = np.random.default_rng(seed)
    w = rng.standard_normal(D) / np.sqrt(D)
    X = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(rows, D))
    y = np.empty(rows, dtype=np.int8)
    for lo in range(0, rows, 1_000_000):
        hi = min(rows, lo + 1_000_000)
        block = rng.standard_normal((hi - lo, D), dtype=np.float32)
        X[lo:hi] = block
        y[lo:hi] = rng.random(hi - lo) < 1 / (1 + np.exp(-(block @ w)))
    X.flush()
    del X
    np.save(path.with_suffix(".y.npy"), y)


# The child measures its peak RSS from after the warm-up: writing 5 to
# /proc/self/clear_refs resets the kernel's peak (VmHWM), which would otherwise
# keep the peak of Numba's compiler.
CHILD = textwrap.dedent("""
    import json, sys, time
    import numpy as np
    from fastlogreg import LogisticRegression
    path = sys.argv[1]
    y = np.load(path.replace(".npy", ".y.npy"))
    X = np.load(path, mmap_mode="r")
    # compile (or load) the chunked passes outside the measurement: 1 MiB chunks
    # of a 20 MB slice of the file
    from fastlogreg import _mapping
    chunk, _mapping.CHUNK_BYTES = _mapping.CHUNK_BYTES, 1 << 20
    LogisticRegression().fit(X[:50000], y[:50000])
    _mapping.CHUNK_BYTES = chunk
    def status(key):
        with open("/proc/self/status") as f:
            return next(int(l.split()[1]) * 1024 for l in f if l.startswith(key))
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    base = status("VmRSS:")
    start = time.perf_counter()
    model = LogisticRegression().fit(X, y)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "grown": status("VmHWM:") - base, "base": base,
                      "n_iter": int(model.n_iter_[0]), "coef": model.coef_.tolist(),
                      "intercept": model.intercept_.tolist()}))
""")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000,
                        help="rows of 100 float32 (default 10M: 4 GB)")
    parser.add_argument("--budget", type=float, default=1.0, help="GB of resident memory")
    parser.add_argument("--dir", default=None, help="where to write the file (a temp dir)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        path = Path(tmp) / "X.npy"
        start = time.perf_counter()
        write_file(path, args.rows)
        size = path.stat().st_size
        print(f"wrote {size / 1e9:.2f} GB in {time.perf_counter() - start:.1f} s")
        out = subprocess.run([sys.executable, "-c", CHILD, str(path)], check=True,
                             capture_output=True, text=True)
        mapped = json.loads(out.stdout)
        X, y = np.load(path), np.load(path.with_suffix(".y.npy"))
        start = time.perf_counter()
        memory = LogisticRegression().fit(X, y)
        t_memory = time.perf_counter() - start
    same = (np.array_equal(memory.coef_, mapped["coef"])
            and np.array_equal(memory.intercept_, mapped["intercept"]))
    grown = mapped["grown"] / 1e9
    print()
    print("| X | fit from the file | peak RSS growth | budget | fit in memory | same model |")
    print("|---|---:|---:|---:|---:|---|")
    print(f"| {args.rows:,} x {D} float32, {size / 1e9:.2f} GB | {mapped['seconds']:.2f} s "
          f"({mapped['n_iter']} iterations) | {grown:.3f} GB | {args.budget:g} GB "
          f"| {t_memory:.2f} s | {'bit for bit' if same else 'NO'} |")
    if grown > args.budget or not same:
        sys.exit(1)


if __name__ == "__main__":
    main()

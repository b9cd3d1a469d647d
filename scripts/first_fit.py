"""A first fit in a new process: fastlogreg beside scikit-learn, import included.

Each round starts two fresh Python processes, one per library, in
alternating order, and times (wall clock, from before the imports to after
``fit`` returns) ``import numpy; from <lib> import LogisticRegression;
LogisticRegression().fit(X, y)`` on a small problem. Numba's cache is warmed
by one untimed fastlogreg run first, so the figure is what a user meets on
every run after the first. Prints the medians and their ratio.

    python scripts/first_fit.py                 # 7 rounds
    python scripts/first_fit.py --rounds 15 --solver newton-cg
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = """
import time
t0 = time.perf_counter()
import numpy as np
from {module} import LogisticRegression
rng = np.random.default_rng(0)
X = rng.standard_normal(({n}, {d}))
y = (X[:, 0] + 0.5 * rng.standard_normal({n}) > 0).astype(int)
LogisticRegression(solver={solver!r}).fit(X, y)
{extra}
print(time.perf_counter() - t0)
"""

# Numba's start-up alone: a trivial kernel, cached on disk like ours.
STARTUP_KERNEL = """
from numba import njit


@njit(cache=True)
def total(x):
    s = 0.0
    for v in x:
        s += v
    return s
"""
STARTUP = """
import sys
sys.path.insert(0, {folder!r})
import startup_kernel
startup_kernel.total(np.ones(3))
"""

MODULES = {"fastlogreg": "fastlogreg", "scikit-learn": "sklearn.linear_model",
           "scikit-learn + Numba's start-up": "sklearn.linear_model"}


def _run(name: str, args) -> float:
    extra = STARTUP.format(folder=args.folder) if "Numba" in name else ""
    code = CHILD.format(module=MODULES[name], n=args.n_samples, d=args.n_features,
                        solver=args.solver, extra=extra)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    return float(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--n-samples", type=int, default=1000)
    parser.add_argument("--n-features", type=int, default=20)
    parser.add_argument("--solver", default="lbfgs")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        args.folder = folder
        Path(folder, "startup_kernel.py").write_text(STARTUP_KERNEL)
        for name in MODULES:
            if name != "scikit-learn":
                _run(name, args)  # warm Numba's caches (compiles at most once)
        times: dict[str, list[float]] = {name: [] for name in MODULES}
        for k in range(args.rounds):
            order = list(MODULES) if k % 2 == 0 else list(MODULES)[::-1]
            for name in order:
                times[name].append(_run(name, args))
    medians = {name: statistics.median(t) for name, t in times.items()}
    print(f"first fit in a new process ({args.n_samples} x {args.n_features}, "
          f"solver={args.solver!r}, medians of {args.rounds}, alternating)")
    for name, t in medians.items():
        print(f"  {name:<32} {t:6.3f} s   {t / medians['scikit-learn']:5.2f}x")
    return medians


if __name__ == "__main__":
    main()

"""Shared test configuration: deterministic hypothesis, cached problems."""

import functools
import os
import subprocess
import sys
import textwrap

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

from fastlogreg.comparisons import make_case

# Derandomised so every run (and CI) explores the same examples; no deadline
# because the first example of a new dtype/layout pays Numba compilation.
settings.register_profile(
    "fastlogreg",
    derandomize=True,
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# HYPOTHESIS_PROFILE=nightly (a slow, scheduled run) explores new examples on
# every run: random seeds, 20 times the examples, and a database so that a
# failure found once is replayed first next time.
settings.register_profile(
    "nightly",
    parent=settings.get_profile("fastlogreg"),
    derandomize=False,
    max_examples=1200,
    database=DirectoryBasedExampleDatabase(".hypothesis/examples"),
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fastlogreg"))


@functools.lru_cache(maxsize=4)
def cached_case(*args, **kwargs):
    """``make_case`` memoised: the large grids build each problem once."""
    return make_case(*args, **kwargs)


def assert_unchanged(before: dict, after: dict) -> None:
    """Every array in ``after`` equals (bit for bit) its copy in ``before``."""
    for key, value in before.items():
        np.testing.assert_array_equal(after[key], value, err_msg=f"{key} was modified")


# Peak resident memory of a region of code, for the child processes of the
# memory tests. ru_maxrss cannot serve: it keeps the peak of Numba's compiler,
# hundreds of MB, which would hide what the region allocates. Writing 5 to
# /proc/self/clear_refs resets the kernel's peak (VmHWM) to the current RSS.
PEAK_RSS = """
def _status(key):
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) * 1024 for l in f if l.startswith(key))
def reset_peak():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return _status("VmRSS:")
def peak():
    return _status("VmHWM:")
"""


def rss_growth(dtype: str, layout: str, warm: str, work: str) -> float:
    """Peak-RSS growth of ``work`` over the size of X, in a fresh process.

    The child builds ``small`` (2048 x 100, large enough for the parallel
    passes) and runs ``warm`` on it (so that
    compiling or loading kernels is not counted), then builds ``X``
    (200,000 x 100, ``dtype``, directly in ``layout``: no temporary copy) and
    ``y``, and measures how far its peak RSS rises while ``work`` runs.
    """
    code = PEAK_RSS + textwrap.dedent(f"""
        import warnings
        import numpy as np
        import fastlogreg
        from fastlogreg import LogisticRegression
        warnings.simplefilter("ignore")
        rng = np.random.default_rng(0)
        def make(n):
            if "{layout}" == "C":
                return rng.standard_normal((n, 100), dtype=np.{dtype})
            return rng.standard_normal((100, n), dtype=np.{dtype}).T
        # warm on enough rows to take the parallel passes that X will take
        small, ys = make(2048), np.arange(2048) % 2
        {warm}
        X = make(200_000)
        y = (X[:, 0] > 0).astype(int)
        base = reset_peak()
        {work}
        grown = peak() - base
        print(grown / X.nbytes)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return float(out.stdout)

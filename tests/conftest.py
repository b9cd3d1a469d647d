"""Shared test configuration: deterministic hypothesis, cached problems."""

import functools

import numpy as np
from hypothesis import HealthCheck, settings

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
settings.load_profile("fastlogreg")


@functools.lru_cache(maxsize=4)
def cached_case(*args, **kwargs):
    """``make_case`` memoised: the large grids build each problem once."""
    return make_case(*args, **kwargs)


def assert_unchanged(before: dict, after: dict) -> None:
    """Every array in ``after`` equals (bit for bit) its copy in ``before``."""
    for key, value in before.items():
        np.testing.assert_array_equal(after[key], value, err_msg=f"{key} was modified")

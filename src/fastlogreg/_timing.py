"""Wall-clock timing for the demo, the measuring scripts and asv: private helpers.

Not part of the public API (``fastlogreg demo`` prints timings measured this
way; ``scripts/`` and ``asv_bench/`` import them from here).
"""

from __future__ import annotations

import statistics
import time

__all__ = ["interleaved_seconds", "median_seconds"]


def interleaved_seconds(funcs, repeats: int, warmup: int = 0,
                        calls: int = 1) -> list[list[float]]:
    """Wall times of ``repeats`` rounds that call each of ``funcs`` in turn,
    ``calls`` times in a row (after ``warmup`` untimed rounds): one list of
    ``repeats * calls`` times per function.

    Contenders timed alternately (a, b, a, b, ...) see the same machine load:
    on a shared machine two medians taken a minute apart can differ by more
    than the contenders do, so every ratio this package reports comes from
    one interleaved run. Work of a few milliseconds also feels its neighbour
    (the caches the other contender left behind); ``calls > 1`` measures such
    work mostly warm (only the first call of each round follows the other
    contender), as each would run on its own.
    """
    for _ in range(warmup):
        for func in funcs:
            func()
    times = [[] for _ in funcs]
    for _ in range(repeats):
        for func, ts in zip(funcs, times, strict=True):
            for _ in range(calls):
                start = time.perf_counter()
                func()
                ts.append(time.perf_counter() - start)
    return times


def median_seconds(func, repeats: int, warmup: int = 0) -> float:
    """Median wall time of ``repeats`` calls of ``func`` after ``warmup`` calls."""
    return statistics.median(interleaved_seconds([func], repeats, warmup)[0])

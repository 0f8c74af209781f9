"""Small timing helpers the benches share: milliseconds per call, median and p99 rows."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable


def timed_each(fn: Callable[[object], object], args: Iterable[object]) -> list[float]:
    """Milliseconds of ``fn(arg)`` for each arg."""
    times = []
    for arg in args:
        start = time.perf_counter()
        fn(arg)
        times.append((time.perf_counter() - start) * 1000)
    return times


def row(name: str, times: list[float]) -> tuple[str, str, str, str]:
    """A table row: name, median ms, p99 ms, samples."""
    times = sorted(times)
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    return (name, f"{statistics.median(times):.2f}", f"{p99:.2f}", str(len(times)))

"""Helpers shared by the benchmarks: medians and the closing ratio line."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_time(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def ratio_line(ours: float, floor: float, unit: str = "s") -> str:
    scale = 1000 if unit == "ms" else 1
    return f"ratio={ours / floor:.2f} ours={ours * scale:.4f}{unit} floor={floor * scale:.4f}{unit}"

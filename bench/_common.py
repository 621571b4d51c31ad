"""Helpers shared by the benchmarks: interleaved runs, median/p99/max, the closing ratio line,
and the store of realistic age (bench/build_store.py) that any benchmark can take with --years."""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time
from collections.abc import Callable


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median_time(fn: Callable[[], object], runs: int) -> float:
    return statistics.median(timed(fn) for _ in range(runs))


def interleave(jobs: dict[str, Callable[[], object]], runs: int, warm: int = 1) -> dict[str, list[float]]:
    """Each job once per repetition, in turn, so noise from other work on the machine moves them all."""
    for _ in range(warm):
        for job in jobs.values():
            job()
    samples: dict[str, list[float]] = {name: [] for name in jobs}
    for _ in range(runs):
        for name, job in jobs.items():
            samples[name].append(timed(job))
    return samples


def p99(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, math.ceil(0.99 * len(ordered)) - 1)]


def spread(name: str, times: list[float], unit: str = "ms") -> str:
    """One line: median, p99 and max (with few runs, p99 is the max)."""
    scale = 1000 if unit == "ms" else 1
    return (f"{name}: median {statistics.median(times) * scale:.2f}{unit}  p99 {p99(times) * scale:.2f}{unit}  "
            f"max {max(times) * scale:.2f}{unit}  (n={len(times)})")


def ratio_line(ours: float, floor: float, unit: str = "s") -> str:
    scale = 1000 if unit == "ms" else 1
    return f"ratio={ours / floor:.2f} ours={ours * scale:.4f}{unit} floor={floor * scale:.4f}{unit}"


def load_note() -> str:
    """How busy the machine was: figures taken on a shared machine are read with this in mind."""
    one, five, _ = os.getloadavg()
    return f"machine: {os.cpu_count()} cores, load average {one:.1f} (1 min) {five:.1f} (5 min)"


def add_years(parser: argparse.ArgumentParser, default: int = 1) -> None:
    parser.add_argument("--years", type=int, default=default,
                        help=f"Age of the store measured, built by bench/build_store.py and cached (default {default}).")
    parser.add_argument("--edits-per-year", type=int, default=10_000)

"""How a set of scores spreads: the one quartile rule for the regulator's comparisons and its report."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def five_numbers(values: Sequence[float]) -> tuple[float, float, float, float, float]:
    """Lowest, lower quartile, median, upper quartile, highest (quartiles by the inclusive method,
    as a spreadsheet's QUARTILE does). One value is all five."""
    data = sorted(values)
    if not data:
        raise ValueError("no values to spread")
    if len(data) == 1:
        return data[0], data[0], data[0], data[0], data[0]
    q1, q2, q3 = statistics.quantiles(data, n=4, method="inclusive")
    return data[0], q1, q2, q3, data[-1]

"""The statistics of indicator data, as OHID's Fingertips does them.

- Proportions: Wilson score intervals (Wilson 1927; Newcombe 1998).
- Directly age-standardised rates on the 2013 European Standard Population, with Dobson intervals
  (Dobson et al. 1991) built on Byar's approximation to the Poisson limits of the total count; as
  Fingertips does, no rate is given when the total count is under 10.
- Crude rates: Byar's limits of the count, over the population.
- The gap between the most deprived quintile (1) and the least deprived (5): absolute and relative.
- Disclosure control: counts in a small range (1 to 7 by default) are suppressed, and further cells
  in the same breakdown are suppressed so that no suppressed cell can be worked out from the total.

Pure arithmetic: no store, no UI. Every figure an indicator shows is computed here once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

Z95 = 1.959963984540054  # the 97.5th percentile of the standard normal distribution

# The 2013 European Standard Population, in 5-year age bands from 0-4 to 90+ (sums to 100,000).
ESP2013: tuple[int, ...] = (5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000,
                            7000, 6500, 6000, 5500, 5000, 4000, 2500, 1500, 1000)
ESP_BANDS: tuple[str, ...] = tuple(f"{5 * i}-{5 * i + 4}" for i in range(18)) + ("90+",)
DSR_MIN_COUNT = 10  # Fingertips does not publish a DSR from fewer events


def esp_band(age: int) -> int:
    """The index of the 2013 ESP 5-year band an age in whole years falls in."""
    return min(max(age, 0) // 5, 18)


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float
    high: float


def wilson(numerator: float, denominator: float, z: float = Z95) -> Estimate:
    """A proportion (0 to 1) and its Wilson score interval."""
    if denominator <= 0:
        raise ValueError("a proportion needs a denominator above zero")
    p = numerator / denominator
    z2 = z * z
    centre = 2 * numerator + z2
    spread = z * math.sqrt(z2 + 4 * numerator * (1 - p))
    scale = 2 * (denominator + z2)
    return Estimate(p, max(0.0, (centre - spread) / scale), min(1.0, (centre + spread) / scale))


def byars_low(count: float, z: float = Z95) -> float:
    if count <= 0:
        return 0.0
    return count * (1 - 1 / (9 * count) - z / (3 * math.sqrt(count))) ** 3


def byars_high(count: float, z: float = Z95) -> float:
    c = count + 1
    return c * (1 - 1 / (9 * c) + z / (3 * math.sqrt(c))) ** 3


def crude_rate(count: float, population: float, per: float = 100_000, z: float = Z95) -> Estimate:
    """A crude rate per `per` and its interval (Byar's limits of the count)."""
    if population <= 0:
        raise ValueError("a rate needs a population above zero")
    return Estimate(count / population * per, byars_low(count, z) / population * per, byars_high(count, z) / population * per)


def dsr(counts: Sequence[float], populations: Sequence[float], per: float = 100_000,
        weights: Sequence[int] = ESP2013, z: float = Z95) -> Estimate | None:
    """A directly age-standardised rate with its Dobson interval, from counts and populations in
    the 19 ESP bands. None when the total count is under 10 or a band with events has no population."""
    if len(counts) != len(weights) or len(populations) != len(weights):
        raise ValueError(f"a DSR needs {len(weights)} age bands")
    total = sum(counts)
    if total < DSR_MIN_COUNT:
        return None
    wsum = float(sum(weights))
    rate = 0.0
    var = 0.0
    for o, n, w in zip(counts, populations, weights, strict=True):
        if n <= 0:
            if o > 0:
                return None
            continue
        rate += w * o / n
        var += w * w * o / (n * n)
    rate /= wsum
    var /= wsum * wsum
    root = math.sqrt(var / total)
    low = rate + root * (byars_low(total, z) - total)
    high = rate + root * (byars_high(total, z) - total)
    return Estimate(rate * per, low * per, high * per)


@dataclass(frozen=True)
class Gap:
    """Quintile 1 (most deprived) against quintile 5 (least deprived)."""

    absolute: float  # Q1 minus Q5, in the indicator's units
    relative: float | None  # Q1 over Q5 (None when Q5 is zero)


def gap(q1: float, q5: float) -> Gap:
    return Gap(q1 - q5, q1 / q5 if q5 else None)


def not_stated_percent(denominators: Mapping[str, float], unknown_groups: Sequence[str]) -> float | None:
    """The share (per cent) of a breakdown's denominator in its not-stated or not-known groups."""
    total = sum(denominators.values())
    if total <= 0:
        return None
    return 100 * sum(denominators.get(g, 0) for g in unknown_groups) / total


# --- disclosure control -----------------------------------------------------------------------


def is_small(count: float, low: int, high: int) -> bool:
    return high >= low and low <= count <= high


def suppress(cells: Sequence[tuple[float, float]], low: int = 1, high: int = 7) -> list[bool]:
    """Which cells of one breakdown to hide, given each cell's (numerator, denominator).

    Primary: a numerator or denominator in low..high. Secondary: the breakdown's total is shown, so a
    lone hidden cell could be worked out by subtraction; more cells are hidden (the smallest first)
    until at least two are, and until the hidden numerators (and denominators) add up to more than
    zero where the total does, so that none of them is pinned down by the total.
    """
    hidden = [is_small(n, low, high) or is_small(d, low, high) for n, d in cells]
    if not any(hidden):
        return hidden
    order = sorted(range(len(cells)), key=lambda i: (cells[i][1], cells[i][0], i))

    def add(want: int) -> bool:  # hide the smallest shown cell with a positive part `want` (-1: any)
        for i in order:
            if not hidden[i] and (want < 0 or cells[i][want] > 0):
                hidden[i] = True
                return True
        return False

    if sum(hidden) == 1 and not add(-1):
        return hidden
    for part in (0, 1):
        total = sum(c[part] for c in cells)
        while total > 0 and sum(c[part] for c, h in zip(cells, hidden, strict=True) if h) == 0:
            if not add(part):
                break
    return hidden

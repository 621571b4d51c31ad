"""Indicator figures: every value, interval, gap and data-quality note an indicator shows, computed
once from the stored aggregates and the indicator set, for the app, the CLI and every document.

A cell is suppressed (disclosure control) when its count is small, and further cells are hidden so
that none can be worked out from the total; a suppressed cell shows no figures anywhere.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from . import indicator_stats as st
from .indicator_data import UNKNOWN_GROUPS, groups_of
from .indicator_set import DEPRIVATION, NOT_KNOWN, Indicator, IndicatorSet

Q1, Q5 = "Q1 most deprived", "Q5 least deprived"


@dataclass(frozen=True)
class GroupFigure:
    group: str
    numerator: int | None  # None when suppressed
    denominator: int | None
    value: float | None  # percent for proportions, per `per` for rates, the count for counts
    ci_low: float | None
    ci_high: float | None
    suppressed: bool
    note: str = ""  # why there is no value: "suppressed", "fewer than 10 events"

    def as_json(self) -> dict[str, Any]:
        return {"group": self.group, "numerator": self.numerator, "denominator": self.denominator,
                "value": _round(self.value), "ci_low": _round(self.ci_low), "ci_high": _round(self.ci_high),
                "suppressed": self.suppressed}


@dataclass(frozen=True)
class Breakdown:
    dimension: str
    groups: tuple[GroupFigure, ...]
    not_stated: float | None  # per cent of the denominator not stated or not known
    flagged: bool  # above the set's threshold

    def group(self, name: str) -> GroupFigure | None:
        return next((g for g in self.groups if g.group == name), None)


@dataclass(frozen=True)
class IndicatorFigures:
    indicator: Indicator
    period: str | None
    reported: bool
    reason: str  # why not reported (empty when reported)
    total: GroupFigure | None
    breakdowns: tuple[Breakdown, ...]
    missing_breakdowns: tuple[str, ...]  # required by the set but not in the data
    gap_absolute: float | None
    gap_relative: float | None
    gap_wide: bool  # Q1 worse than Q5 by the set's ratio, intervals apart: suggest an action
    unknown_codes: tuple[tuple[str, str, int], ...]  # (dimension, code, rows) counted as not known
    file_name: str = ""
    file_sha256: str = ""
    file_rows: int = 0

    @property
    def id(self) -> str:
        return self.indicator.id

    def breakdown(self, dimension: str) -> Breakdown | None:
        return next((b for b in self.breakdowns if b.dimension == dimension), None)

    def quality_notes(self, threshold: float) -> list[str]:
        """Data-quality notes in words, for documents."""
        notes = [f"{_pct(b.not_stated)} of records have {b.dimension} not stated or not known"
                 + (f", above the {threshold:g}% threshold" if b.flagged else "")
                 for b in self.breakdowns if b.not_stated]
        for dim, code, rows in self.unknown_codes:
            notes.append(f"{rows:,} row(s) with the unknown {dim} code '{code}' are counted as not known")
        if self.missing_breakdowns:
            notes.append("not reported by " + ", ".join(self.missing_breakdowns) + ": the extract had no such breakdown")
        if any(g.suppressed for b in self.breakdowns for g in b.groups):
            notes.append("some groups are suppressed (small numbers)")
        if self.indicator.unsure:
            # The note is a sentence of its own; documents end the joined notes with their own full stop.
            notes.append("the definition is provisional: " + self.indicator.note.rstrip().rstrip("."))
        return notes

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.indicator.id, "title": self.indicator.title, "measure": self.indicator.measure,
            "per": self.indicator.per if self.indicator.measure in ("crude_rate", "dsr") else None,
            "period": self.period, "reported": self.reported, "reason": self.reason or None,
            "total": self.total.as_json() if self.total else None,
            "breakdowns": {b.dimension: [g.as_json() for g in b.groups] for b in self.breakdowns},
            "not_stated": {b.dimension: _round(b.not_stated) for b in self.breakdowns},
            "not_stated_flagged": sorted(b.dimension for b in self.breakdowns if b.flagged),
            "gap": {"absolute": _round(self.gap_absolute), "relative": _round(self.gap_relative), "wide": self.gap_wide}
            if self.gap_absolute is not None else None,
            "missing_breakdowns": list(self.missing_breakdowns),
            "unknown_codes": [{"dimension": d, "code": c, "rows": n} for d, c, n in self.unknown_codes],
            "source": {"file": self.file_name, "sha256": self.file_sha256, "rows": self.file_rows} if self.reported else None,
            "definition_unsure": self.indicator.unsure,
        }


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}%"


def value_text(indicator: Indicator, g: GroupFigure | None) -> str:
    """A group's value as every document writes it."""
    if g is None:
        return "–"
    if g.suppressed:
        return "suppressed"
    if g.value is None:
        return g.note or "–"
    if indicator.measure == "count":
        return f"{g.value:,.0f}"
    return f"{g.value:.1f}{'%' if indicator.measure == 'proportion' else ''}"


def interval_text(indicator: Indicator, g: GroupFigure | None) -> str:
    if g is None or g.suppressed or g.ci_low is None or g.ci_high is None:
        return ""
    return f"{g.ci_low:.1f} to {g.ci_high:.1f}"


def _estimate(indicator: Indicator, num: int, den: int, bands: Mapping[int, tuple[int, int]] | None) -> tuple[
        float | None, float | None, float | None, str]:
    m = indicator.measure
    if m == "count":
        return float(num), None, None, ""
    if den <= 0:
        return None, None, None, "no denominator"
    if m == "proportion":
        e = st.wilson(num, den)
        return 100 * e.value, 100 * e.low, 100 * e.high, ""
    if m == "crude_rate":
        e = st.crude_rate(num, den, indicator.per)
        return e.value, e.low, e.high, ""
    counts = [bands.get(i, (0, 0))[0] if bands else 0 for i in range(len(st.ESP2013))]
    pops = [bands.get(i, (0, 0))[1] if bands else 0 for i in range(len(st.ESP2013))]
    if sum(counts) < st.DSR_MIN_COUNT:
        return None, None, None, f"fewer than {st.DSR_MIN_COUNT} events"
    d = st.dsr(counts, pops, indicator.per)
    if d is None:
        return None, None, None, "events in an age band with no population"
    return d.value, d.low, d.high, ""


def compute(iset: IndicatorSet, indicator: Indicator, record: Mapping[str, Any] | None) -> IndicatorFigures:
    """The figures of one indicator from its stored record (None: not reported)."""
    if record is None:
        return IndicatorFigures(indicator, None, False, "no data imported", None, (), tuple(indicator.breakdowns),
                                None, None, False, ())
    cells = [tuple(c) for c in record["cells"]]
    lo, hi = iset.suppress_from, iset.suppress_to
    by_dim: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    bands: dict[tuple[str, str], dict[int, tuple[int, int]]] = defaultdict(dict)
    for dim, group, band, num, den in cells:
        agg = by_dim[dim][group]
        agg[0] += num
        agg[1] += den
        if band is not None:
            n0, d0 = bands[(dim, group)].get(band, (0, 0))
            bands[(dim, group)][band] = (n0 + num, d0 + den)
    unknown = tuple(sorted((d, c, n) for d, codes in record.get("unknown_codes", {}).items() for c, n in codes.items()))
    common = {"file_name": record.get("file_name", ""), "file_sha256": record.get("file_sha256", ""),
              "file_rows": int(record.get("file_rows", 0))}
    dims = [d for d in indicator.breakdowns if d in by_dim]
    missing = tuple(d for d in indicator.breakdowns if d not in by_dim)
    first = next(iter(by_dim.values()), {})
    total_num = sum(v[0] for v in first.values())
    total_den = sum(v[1] for v in first.values())
    total_bands: dict[int, tuple[int, int]] = {}
    if by_dim:
        anydim = next(iter(by_dim))
        for (dim, _g), b in bands.items():
            if dim == anydim:
                for k, (n, d) in b.items():
                    n0, d0 = total_bands.get(k, (0, 0))
                    total_bands[k] = (n0 + n, d0 + d)
    if st.is_small(total_num, lo, hi) or st.is_small(total_den, lo, hi):
        hidden = GroupFigure("All", None, None, None, None, None, True, "suppressed")
        return IndicatorFigures(indicator, record["period"], False,
                                f"suppressed: the total is a count of {lo} to {hi} (disclosure control)", hidden, (),
                                missing, None, None, False, unknown, **common)
    value, low, high, note = _estimate(indicator, total_num, total_den, total_bands)
    total = GroupFigure("All", total_num, total_den, value, low, high, False, note)
    breakdowns = []
    for dim in dims:
        order = groups_of(dim, iset.age_labels())
        names = [g for g in order if g in by_dim[dim]] + sorted(g for g in by_dim[dim] if g not in order)
        sums = [(by_dim[dim][g][0], by_dim[dim][g][1]) for g in names]
        hidden_flags = st.suppress(sums, lo, hi)
        figures = []
        for name, (num, den), hidden_flag in zip(names, sums, hidden_flags, strict=True):
            if hidden_flag:
                figures.append(GroupFigure(name, None, None, None, None, None, True, "suppressed"))
                continue
            v, lo_v, hi_v, why = _estimate(indicator, num, den, bands.get((dim, name)) if indicator.measure == "dsr" else None)
            figures.append(GroupFigure(name, num, den, v, lo_v, hi_v, False, why))
        ns = st.not_stated_percent({g: d for g, (_, d) in zip(names, sums, strict=True)}, UNKNOWN_GROUPS.get(dim, (NOT_KNOWN,)))
        breakdowns.append(Breakdown(dim, tuple(figures), ns, ns is not None and ns > iset.not_stated_flag_percent))
    gap_abs = gap_rel = None
    wide = False
    dep = next((b for b in breakdowns if b.dimension == DEPRIVATION), None)
    if dep is not None:
        q1, q5 = dep.group(Q1), dep.group(Q5)
        if q1 and q5 and q1.value is not None and q5.value is not None:
            g = st.gap(q1.value, q5.value)
            gap_abs, gap_rel = g.absolute, g.relative
            wide = _is_wide(indicator, q1, q5, g.relative, iset.gap_flag_ratio)
    return IndicatorFigures(indicator, record["period"], True, "", total, tuple(breakdowns), missing, gap_abs, gap_rel,
                            wide, unknown, **common)


def _is_wide(indicator: Indicator, q1: GroupFigure, q5: GroupFigure, relative: float | None, ratio: float) -> bool:
    """Q1 worse than Q5 by at least the set's ratio, with intervals that do not overlap."""
    if indicator.polarity == "no_judgement" or relative is None or q1.ci_low is None or q5.ci_low is None:
        return False
    assert q1.ci_high is not None and q5.ci_high is not None
    if indicator.polarity == "lower_is_better":
        return relative >= ratio and q1.ci_low > q5.ci_high
    return relative > 0 and 1 / relative >= ratio and q1.ci_high < q5.ci_low


def latest_records(records: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """The latest period's record of each indicator."""
    out: dict[str, Mapping[str, Any]] = {}
    for r in records:
        have = out.get(r["indicator_id"])
        if have is None or (r["period"], r.get("imported_at", "")) > (have["period"], have.get("imported_at", "")):
            out[r["indicator_id"]] = r
    return out


def compute_all(iset: IndicatorSet, records: Iterable[Mapping[str, Any]]) -> list[IndicatorFigures]:
    """Every indicator of the set, in its order: the latest period imported, or not reported."""
    latest = latest_records(records)
    return [compute(iset, ind, latest.get(ind.id)) for ind in iset.indicators]


def suggested_action(figures: IndicatorFigures) -> str:
    """The words of an action offered when the gap between Q1 and Q5 is wide."""
    ind = figures.indicator
    worse = "higher" if ind.polarity == "lower_is_better" else "lower"
    if figures.gap_relative:
        how = f"{figures.gap_relative:.1f} times that of the least deprived"
    else:
        how = "far from that of the least deprived"
    return (f"Close the deprivation gap in {ind.title[:1].lower() + ind.title[1:]}: in {figures.period} the most "
            f"deprived fifth's figure was {how} ({worse} is worse)")

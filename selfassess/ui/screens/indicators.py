"""Indicator data: each indicator's figures by breakdown, with a bar chart drawn in text.

The figures come from the core (core/indicators.py) exactly as the documents show them; this
screen only lays them out. Suppressed groups say so and show no bar.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Static

from ...core.indicators import IndicatorFigures, interval_text, value_text
from ..text import plain
from .base import AppScreen

BAR = 30  # characters for the longest bar


def chart_lines(f: IndicatorFigures, threshold: float) -> list[str]:
    """An indicator as lines of text: each breakdown's groups with a bar, value and interval."""
    ind = f.indicator
    lines = [f"{ind.title} [{ind.id}]", f"  {ind.measure_label}" + (f", {f.period}" if f.period else "")]
    if not f.reported:
        return [*lines, f"  not reported: {f.reason}"]
    lines.append(f"  All: {value_text(ind, f.total)}" + (f" ({interval_text(ind, f.total)})" if interval_text(ind, f.total) else ""))
    top = max([g.ci_high or g.value or 0 for b in f.breakdowns for g in b.groups] + [1e-9])
    for b in f.breakdowns:
        lines.append(f"  by {b.dimension}")
        for g in b.groups:
            if g.suppressed or g.value is None:
                bar = "(suppressed)" if g.suppressed else f"({g.note or 'no value'})"
            else:
                bar = "█" * max(1, round(BAR * g.value / top)) if g.value > 0 else "·"
            counts = f"{g.numerator:,}/{g.denominator:,}" if g.numerator is not None and g.denominator is not None else ""
            lines.append(f"    {g.group[:22]:<22} {bar:<{BAR}} {value_text(ind, g):>10}  {interval_text(ind, g):<16} {counts}")
    if f.gap_absolute is not None:
        rel = f", {f.gap_relative:.2f} times" if f.gap_relative is not None else ""
        lines.append(f"  gap Q1 minus Q5: {f.gap_absolute:+.1f}{rel}" + (" (wide: an action is suggested)" if f.gap_wide else ""))
    lines += [f"  note: {n}" for n in f.quality_notes(threshold)]
    return lines


class IndicatorsScreen(AppScreen):
    BINDINGS = [Binding("escape", "back", "Back", id="back")]

    def __init__(self, assessment_id: str):
        super().__init__()
        self.assessment_id = assessment_id

    def compose(self) -> ComposeResult:
        yield Header()
        yield from self.banner()
        with VerticalScroll(classes="page"):
            yield Static(id="indicators-body")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Information on health inequalities"
        self.refresh_data()
        self.query_one(VerticalScroll).focus()

    def refresh_data(self) -> None:
        ws = self.sa.ws
        a = ws.assessment(self.assessment_id)
        self.sub_title = f"{ws.organisation(a.organisation_id).name} {a.period}"
        iset, figures = ws.indicator_figures(a)
        if iset is None:
            text = ("No indicator data imported yet. Import an extract with:\n"
                    f"  selfassess indicators import {a.id[:8]} FILE")
        else:
            lines = [f"{iset.title} ({iset.key})", ""]
            for f in figures:
                lines += [*chart_lines(f, iset.not_stated_flag_percent), ""]
            text = "\n".join(lines)
        self.query_one("#indicators-body", Static).update(plain(text))

    def action_back(self) -> None:
        self.app.pop_screen()

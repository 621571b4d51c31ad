"""Indicator data: each indicator's figures by breakdown, with a bar chart drawn in text.

The figures come from the core (core/indicators.py) exactly as the documents show them; this
screen only lays them out. Suppressed groups say so and show no bar.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Header, Static

from ...core.indicators import IndicatorFigures, interval_text, value_text
from ..help import KeyFooter
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
    BINDINGS = [
        Binding("escape", "back", "Back", id="back"),
        Binding("a", "suggest", "Action for a wide gap", id="suggest"),
    ]

    def __init__(self, assessment_id: str):
        super().__init__()
        self.assessment_id = assessment_id

    def compose(self) -> ComposeResult:
        yield Header()
        yield from self.banner()
        with VerticalScroll(classes="page"):
            yield Static(id="indicators-body")
        yield KeyFooter()

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

    def action_suggest(self) -> None:
        """An action on the linked question for an indicator whose deprivation gap is wide."""
        from ...core.indicators import suggested_action
        from ...core.model import financial_year_end
        from ..dialogs import ActionDialog, ActionForm, ChoiceDialog

        ws = self.sa.ws
        _, figures = ws.indicator_figures(ws.assessment(self.assessment_id))
        wide = {f.id: f for f in figures if f.gap_wide}
        if not wide:
            self.notify("No indicator has a wide gap between the most and least deprived fifths.", title="No action")
            return

        def form_for(indicator_id: str | None) -> None:
            if indicator_id is None:
                return
            f = wide[indicator_id]

            def done(form: ActionForm | None) -> None:
                if form is None:
                    return
                made = self.sa.attempt(ws.indicator_action, self.assessment_id, f.id, form.owner, form.due,
                                       title=form.title, owner_role=form.owner_role)
                if made:
                    self.notify(f"{made.ref} added: {made.owner}, due {made.current_due}.", title="Action added")

            self.app.push_screen(ActionDialog(f"New action: {f.indicator.title}", title=suggested_action(f),
                                              default_due=financial_year_end(ws.today())), done)

        if len(wide) == 1:
            form_for(next(iter(wide)))
        else:
            self.app.push_screen(ChoiceDialog("Which gap?", [(i, f.indicator.title) for i, f in wide.items()]), form_for)

    def action_back(self) -> None:
        self.app.pop_screen()

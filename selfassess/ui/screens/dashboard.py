"""Dashboard: domain scores against last period, completeness, and overdue actions by owner."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Footer, Header, Static

from ..text import plain
from ..widgets import ScoreChart
from .base import AppScreen


class DashboardScreen(AppScreen):
    BINDINGS = [
        Binding("escape", "back", "Back", id="back"),
        Binding("l", "action_plan", "Action plan", id="action-plan"),
        Binding("o", "overdue", "Overdue", id="overdue"),
        Binding("enter", "open", "Open assessment", id="open"),
        Binding("x", "export", "Export", id="export"),
    ]

    def __init__(self, assessment_id: str):
        super().__init__()
        self.assessment_id = assessment_id

    def compose(self) -> ComposeResult:
        yield Header()
        yield from self.banner()
        with VerticalScroll(classes="page", id="dashboard"):
            yield Static(id="headline")
            yield Static(id="chart-slot")
            yield Static(id="completeness")
            yield Static(id="owners")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Dashboard"
        self.refresh_data()

    def on_screen_resume(self) -> None:
        self.refresh_data()

    def refresh_data(self) -> None:
        ws = self.sa.ws
        s = ws.summary(ws.assessment(self.assessment_id))
        a = s.assessment
        self.sub_title = s.organisation.name
        overall = "—" if s.scores.percent is None else f"{s.scores.percent:.0f}%"
        prev = ""
        if s.previous_scores and s.previous_scores.percent is not None and s.scores.percent is not None:
            change = s.scores.percent - s.previous_scores.percent
            prev = f" ({'+' if change >= 0 else ''}{change:.0f} points on {s.previous.period if s.previous else 'last period'})"
        self.query_one("#headline", Static).update(Content.assemble(
            (f"{a.period} · {s.framework.title}", "bold"), f"  ·  {a.status_label}  ·  overall {overall}{prev}"))
        slot = self.query_one("#chart-slot", Static)
        for old in self.query(ScoreChart):
            old.remove()
        chart = ScoreChart(s.scores, s.previous_scores, a.period, s.previous.period if s.previous else None)
        self.query_one("#dashboard", VerticalScroll).mount(chart, after=slot)
        sc = s.scores
        self.query_one("#completeness", Static).update(plain(
            f"Completeness: {100 * sc.completeness:.0f}% ({sc.complete} of {sc.questions} answered"
            + (f"; {sc.needs_review} carried forward and awaiting review" if sc.needs_review else "") + ")"))
        act = s.actions
        lines = [Content.assemble(("Actions: ", "bold"), f"{act.open} open · ",
                                  (f"{act.overdue} overdue", "bold $error" if act.overdue else ""),
                                  f" · {act.slipped} slipped · {act.done} done")]
        if act.overdue_by_owner:
            lines.append(Content.assemble(("Overdue by owner:", "bold")))
            lines += [plain(f"  {owner}: {n}") for owner, n in act.overdue_by_owner]
        self.query_one("#owners", Static).update(Content("\n").join(lines))

    def action_action_plan(self) -> None:
        from .actions import ActionsScreen

        self.app.push_screen(ActionsScreen(self.assessment_id))

    def action_overdue(self) -> None:
        from .actions import ActionsScreen

        self.app.push_screen(ActionsScreen(self.assessment_id, overdue_only=True))

    def action_open(self) -> None:
        from .assessment import AssessmentScreen

        self.app.push_screen(AssessmentScreen(self.assessment_id, self.sa.state.get("questions", {}).get(self.assessment_id)))

    def action_export(self) -> None:
        from ..exporting import export_flow

        export_flow(self, self.assessment_id)

    def action_back(self) -> None:
        self.app.pop_screen()

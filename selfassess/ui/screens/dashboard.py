"""Dashboard: domain scores against last period, each marked by the state it rests on; the answers by
state and completeness; and overdue actions by owner."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Header, Static

from ...core.figures import percent_text
from ..help import KeyFooter
from ..text import plain
from ..widgets import ScoreChart
from .base import AppScreen


class DashboardScreen(AppScreen):
    BINDINGS = [
        Binding("l", "action_plan", "Action plan", id="action-plan", tooltip="The assessment's action plan: owners, due dates, slippage"),
        Binding("enter", "open", "Open assessment", id="open", tooltip="Open the assessment and answer its questions"),
        Binding("o", "overdue", "Overdue", id="overdue", tooltip="The action plan, overdue actions only"),
        Binding("escape", "back", "Back", id="back", tooltip="Back to the previous screen"),
        Binding("x", "export", "Export", id="export", tooltip="Write the board report, action plan or annual-report section"),
        Binding("k", "checks", "Points for challenge", id="checks", show=False, tooltip="What a non-executive would question before sign-off"),
        Binding("t", "target", "Set a target", id="target", show=False,
                tooltip="The board's target level for a domain and the date to reach it by"),
        Binding("i", "indicators", "Indicators", id="indicators", show=False,
                tooltip="Indicator data by deprivation, ethnicity, age and sex, with intervals and data quality"),
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
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = "Dashboard"
        self.refresh_data()

    def on_screen_resume(self) -> None:
        self.refresh_data()

    def refresh_data(self) -> None:
        ws = self.sa.ws
        s = ws.summary(ws.assessment(self.assessment_id))
        a = s.assessment
        f = s.figures  # the same figures as every other screen and document
        self.sub_title = s.organisation.name
        overall = percent_text(f.percent, "—") + (" (provisional)" if f.provisional and f.percent is not None else "")
        prev = ""
        if f.change is not None:
            prev = f" ({f.change:+d} points on {f.previous_period or 'last period'})"
        self.query_one("#headline", Static).update(Content.assemble(
            (f"{a.period} · {s.framework.title}", "bold"), f"  ·  {a.status_label}  ·  overall {overall}{prev}"))
        slot = self.query_one("#chart-slot", Static)
        for old in self.query(ScoreChart):
            old.remove()
        chart = ScoreChart(f, a.period, f.previous_period)
        self.query_one("#dashboard", VerticalScroll).mount(chart, after=slot)
        # Every state apart, zeros included, in the words and numbers `selfassess show` prints.
        lines = [f"Completeness {f.completeness}%: {f.answered} of {f.questions} answered this year",
                 f"Answers by state: {f.states_text()}"]
        if f.total:  # the framework's own total and band (EDS 2022: out of 33)
            lines.insert(0, f.total.text())
        ranking = f.strongest_weakest_text()
        if ranking:
            lines.append(ranking)
        if f.targets_set:  # the board's targets and the gap to each
            lines.append(f.targets_text() + ":")
            lines += [f"  {d.ref} {d.title}: {d.target.text()}" for d in f.domains if d.target]
        points = len(ws.checks(a))
        if points:
            lines.append(f"{points} point(s) for challenge: k to see them")
        self.query_one("#completeness", Static).update(plain("\n".join(lines)))
        lines_a = [Content.assemble(("Actions: ", "bold"), f"{f.actions_open} open · ",
                                    (f"{f.actions_overdue} overdue", "bold $error" if f.actions_overdue else ""),
                                    f" · {f.actions_slipped} slipped · {f.actions_done} done")]
        if f.overdue_by_owner:
            lines_a.append(Content.assemble(("Overdue by owner:", "bold")))
            lines_a += [plain(f"  {owner}: {n}") for owner, n in f.overdue_by_owner]
        self.query_one("#owners", Static).update(Content("\n").join(lines_a))

    def action_target(self) -> None:
        from ...core.figures import domain_scale
        from ..dialogs import TargetDialog, TargetForm

        if not self.sa.can_change():
            return
        ws = self.sa.ws
        a = ws.assessment(self.assessment_id)
        framework = ws.framework(a)
        rated = [d for d in framework.domains if d.questions]
        if not rated:
            self.notify("No domain has questions to rate yet.", severity="warning")
            return
        levels = [lv.label for lv in domain_scale(framework, rated[0].id).levels]
        said: list[str] = []

        def submit(form: TargetForm) -> str | None:  # refused: the dialog stays open as typed, saying why
            changed, why = self.sa.try_change(ws.set_target, a.id, form.domain, form.level, form.by,
                                              past_ok=form.past_ok)
            if changed is not None:
                d = ws.figures(changed).domain(form.domain)
                said.append(f"{d.ref} {d.title}: {d.target.text() if d.target else 'no target'}")
            return why

        def done(form: TargetForm | None) -> None:
            if form is not None and said:
                self.notify(said[-1])
                self.refresh_data()

        self.app.push_screen(TargetDialog([(d.id, f"{d.ref} {d.title}") for d in rated], levels, ws.today(),
                                          submit=submit), done)

    def action_checks(self) -> None:
        from .checks import ChecksScreen

        self.app.push_screen(ChecksScreen(self.assessment_id))

    def action_indicators(self) -> None:
        from .indicators import IndicatorsScreen

        self.app.push_screen(IndicatorsScreen(self.assessment_id))

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

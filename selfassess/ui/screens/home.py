"""Home: the trust, its assessments by period, and where the action plan stands."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Header, Static

from ...core.figures import percent_text
from ...core.model import (
    IN_PROGRESS,
    ORGANISATION_TYPES,
    READY_FOR_BOARD,
    SIGNED_OFF,
    Assessment,
    financial_year,
    period_of,
)
from ...core.text import shown
from ...core.workspace import AssessmentSummary, CarryForward
from ..help import KeyFooter
from ..text import cell, plain
from ..widgets import selected_key
from .base import AppScreen

if TYPE_CHECKING:
    from ..app import SelfAssessApp


def score(percent: int | None, provisional: bool) -> str:
    """A score, starred while it still counts answers carried forward and not yet reviewed."""
    return percent_text(percent) + ("*" if provisional and percent is not None else "")


def new_assessment_flow(app: SelfAssessApp, after: Callable[[str], None], carry_from: Assessment | None = None) -> None:
    """Ask for the details of a new assessment, start it, then call after(assessment_id)."""
    from ..dialogs import NewAssessmentDialog, NewAssessmentForm

    ws = app.ws
    orgs = ws.organisations()
    org = ws.organisation(carry_from.organisation_id) if carry_from else (orgs[0] if orgs else None)
    frameworks = [(f"{f.title} ({f.version})", f.key) for f in app.catalogue.latest()]
    if not frameworks:
        app.notify("No frameworks are available: check the frameworks folder.", severity="error")
        return
    existing = ws.current_assessments()
    period = period_of(financial_year(ws.today()))
    framework = None
    if carry_from:
        period = period_of(int(carry_from.period[:4]) + 1)
        framework = next((key for _, key in frameworks if key.split("@")[0] == carry_from.framework_id), None)
    taken = {(a.framework_id, a.period) for a in existing}
    while framework and (framework.split("@")[0], period) in taken:
        period = period_of(int(period[:4]) + 1)
    previous = [(f"{a.period} {ws.framework(a).title} ({a.status_label})", a.id) for a in reversed(existing)]

    started: list[CarryForward] = []

    def submit(form: NewAssessmentForm) -> str | None:  # refused: the dialog stays open, as typed, and says why
        result, why = app.try_change(ws.new_assessment, form.organisation, None if form.carry_from else form.framework,
                                     form.period, from_handle=form.carry_from, ods_code=form.ods_code,
                                     org_type=form.org_type)
        if result is not None:
            started.append(result)
        return why

    def done(form: NewAssessmentForm | None) -> None:
        if form is None or not started:
            return
        result = started[-1]
        if form.carry_from:
            app.notify(f"Started {form.period}: {result.answers} answers carried forward for review, "
                       f"{result.actions} open actions brought across.", title="Assessment started")
        after(result.assessment.id)

    app.push_screen(NewAssessmentDialog(org.name if org else "", org.ods_code if org else "", frameworks, period,
                                        previous, framework, carry_from.id if carry_from else None,
                                        org_type=org.type if org else None, submit=submit), done)


class HomeScreen(AppScreen):
    BINDINGS = [
        # The footer shows quit and help, then these in order as far as the width allows: the main three first.
        Binding("enter", "open", "Open", id="open", tooltip="Open the assessment and answer its questions"),
        Binding("l", "actions", "Action plan", id="action-plan", tooltip="The assessment's action plan: owners, due dates, slippage"),
        Binding("s", "sign_off", "Sign off", id="sign-off", tooltip="Record the board's sign-off (names, meeting, date); freezes the answers"),
        Binding("S", "submit", "Submit", key_display="shift+s", id="submit",
                tooltip="Write the signed submission for the regulator (a signed-off assessment)"),
        Binding("F", "import_feedback", "Feedback", key_display="shift+f", id="import-feedback",
                tooltip="Import the regulator's signed feedback file on a submission"),
        Binding("d", "dashboard", "Dashboard", id="dashboard", tooltip="Domain scores against last period, and overdue actions by owner"),
        Binding("n", "new", "New", id="new", tooltip="Start a new assessment"),
        Binding("c", "carry_forward", "Next year", id="carry", tooltip="Start next year's assessment from this one (answers to review, open actions)"),
        Binding("o", "overdue", "Overdue", id="overdue", show=False, tooltip="The action plan, overdue actions only"),
        Binding("x", "export", "Export", id="export", show=False, tooltip="Write the board report, action plan or annual-report section"),
        Binding("m", "ready", "Ready for board", id="ready", show=False, tooltip="Mark the assessment ready for the board (or back to in progress)"),
        Binding("k", "checks", "Points for challenge", id="checks", show=False, tooltip="What a non-executive would question before sign-off"),
        Binding("ctrl+r", "reopen", "Reopen as a new version", id="reopen", show=False,
                tooltip="Reopen a signed-off assessment as a new version, with a reason (the signed one is kept)"),
        Binding("v", "review", "Review submissions (regulator)", id="review", show=False,
                tooltip="For regulators: every trust's submissions by domain"),
        Binding("R", "rating_round", "Rating round", id="rating-round", show=False,
                tooltip="A rating round: the spread of the board's own ratings, and rate in turn"),
        Binding("K", "app.keys", "Keys and fingerprints", key_display="shift+k", id="keys", show=False,
                tooltip="This installation's key fingerprint; register or revoke a trust's or the regulator's key"),
        Binding("q", "app.quit", "Quit", id="quit", tooltip="Quit selfassess (everything is saved as you go)"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield from self.banner()
        with Vertical(classes="page"):
            yield Static(id="trust", classes="title")
            yield DataTable(id="assessments", cursor_type="row", zebra_stripes=True)
            yield Static(id="summary")
            yield Static(id="hint", classes="dim")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = "Home"
        self.columns: tuple[str, ...] = ()
        self.fit_width(self.app.size.width)
        self.query_one(DataTable).focus()

    def on_resize(self, event: events.Resize) -> None:
        if hasattr(self, "columns") and self.query(DataTable):  # not while being taken down
            self.fit_width(event.size.width)

    def fit_width(self, width: int) -> None:
        """The table's columns for the terminal's width: the framework's title takes what is left
        (and folds away below 70 columns, where the summary below names it)."""
        keys = ["period"] + (["trust"] if len(self.sa.ws.organisations()) > 1 else []) + (
            ["framework"] if width >= 70 else []) + ["status", "done", "score", "open", "late"]
        title_width = max(12, min(60, width - 62 - (26 if "trust" in keys else 0)))
        columns = tuple(keys) + (str(title_width),)
        if columns == self.columns:
            return
        self.columns = columns
        labels = {"period": "Period", "trust": "Trust", "framework": "Framework", "status": "Status", "done": "Done",
                  "score": "Score", "open": "Open", "late": "Late"}
        table = self.query_one(DataTable)
        table.clear(columns=True)
        for key in keys:  # as Text: a str label is read as markup, which loads rich's emoji table before the first paint
            table.add_column(Text(labels[key]), key=key, width=title_width if key == "framework" else None)
        self.refresh_data()

    def on_screen_resume(self) -> None:
        self.sa.remember(screen="home")
        ws = self.sa.ws
        if self.shown_for == (ws.last_saved, ws.today()):  # nothing saved since (and the first resume, just mounted)
            self.show_summary()  # the resume hint may have moved on
        else:
            self.refresh_data()

    shown_for: tuple[tuple[int, str], object] | None = None  # what the table was drawn from: (last saved, today)

    def refresh_data(self) -> None:
        ws = self.sa.ws
        self.shown_for = (ws.last_saved, ws.today())
        table = self.query_one(DataTable)
        selected = self.selected_id()
        table.clear()
        keys = [str(k.value) for k in table.columns]
        ordered = sorted(ws.assessments(), key=lambda a: (a.period, a.version), reverse=True)
        self.summaries: dict[str, AssessmentSummary] = ws.summaries(ordered)
        for a in ordered:
            s = self.summaries[a.id]
            status = a.status_label + (f" v{a.version}" if a.version > 1 else "") + (" (old)" if a.superseded_by else "")
            cells = {"period": Text(a.period), "trust": cell(s.organisation.name[:24]), "framework": cell(s.framework.title),
                     "status": Text(status), "done": Text(percent_text(s.figures.completeness)),
                     "score": Text(score(s.figures.percent, s.figures.provisional)), "open": Text(str(s.figures.actions_open)),
                     "late": Text(str(s.figures.actions_overdue), style="bold red" if s.figures.actions_overdue else "")}
            table.add_row(*[cells[k] for k in keys], key=a.id)
        orgs = ws.organisations()
        if len(orgs) == 1:
            o = orgs[0]
            self.query_one("#trust", Static).update(plain(
                f"{o.name}" + (f" · {o.ods_code}" if o.ods_code else "") + f" · {ORGANISATION_TYPES.get(o.type, o.type)}"))
            self.sub_title = shown(o.name, multiline=False)
        else:
            self.query_one("#trust", Static).update(plain(f"{len(orgs)} organisations"))
        if selected and selected in self.summaries:
            table.move_cursor(row=table.get_row_index(selected))
        self.show_summary()

    def selected_id(self) -> str | None:
        return selected_key(self.query_one(DataTable))

    def selected(self) -> Assessment | None:
        aid = self.selected_id()
        return self.summaries[aid].assessment if aid else None

    @on(DataTable.RowHighlighted)
    def show_summary(self) -> None:
        aid = self.selected_id()
        if aid is None:
            return
        s = self.summaries[aid]
        f = s.figures
        late = ", ".join(f"{owner} {n}" for owner, n in f.overdue_by_owner[:3])
        text = (("" if "framework" in self.columns else f"{s.framework.title}\n")
                + f"Actions ({s.assessment.period}): {f.actions_open} open · {f.actions_overdue} overdue"
                + (f" ({late})" if late else "") + f" · {f.actions_slipped} slipped · {f.actions_done} done")
        if f.awaiting_review:
            text += (f"\n{f.awaiting_review} answers carried forward from last year still need review "
                     "(* provisional: the score still counts them).")
        queried = len(self.sa.ws.queried_actions(aid))
        if queried:
            text += f"\nThe regulator queried {queried} action(s): see the action plan (l)."
        if s.assessment.status == SIGNED_OFF:
            text += "\nSigned off: shift+s writes the signed submission for the regulator."
            a = s.assessment
            if not any(x.period > a.period and x.framework_id == a.framework_id and x.organisation_id == a.organisation_id
                       for x in (y.assessment for y in self.summaries.values())):  # the latest: say how the next begins
                text += f"\nc starts {period_of(int(a.period[:4]) + 1)} from it (answers to review, open actions)."
        self.query_one("#summary", Static).update(plain(text))
        resume = self.sa.state.get("questions", {}).get(aid)
        hint = "enter: open the assessment"
        if resume and s.framework.has_question(resume):
            hint += f" (resumes at {s.framework.question(resume).ref})"
        self.query_one("#hint", Static).update(plain(hint + " · ctrl+p: all commands · f1: keys"))

    @on(DataTable.RowSelected)
    def action_open(self) -> None:
        from .assessment import AssessmentScreen

        a = self.selected()
        if a:
            self.app.push_screen(AssessmentScreen(a.id, self.sa.state.get("questions", {}).get(a.id)))

    def action_dashboard(self) -> None:
        from .dashboard import DashboardScreen

        a = self.selected()
        if a:
            self.app.push_screen(DashboardScreen(a.id))

    def action_actions(self, overdue: bool = False) -> None:
        from .actions import ActionsScreen

        a = self.selected()
        if a:
            self.app.push_screen(ActionsScreen(a.id, overdue_only=overdue))

    def action_overdue(self) -> None:
        self.action_actions(overdue=True)

    def action_new(self) -> None:
        if self.sa.can_change():
            new_assessment_flow(self.sa, after=self._open_new)

    def action_carry_forward(self) -> None:
        a = self.selected()
        if a and self.sa.can_change():
            new_assessment_flow(self.sa, after=self._open_new, carry_from=a)

    def _open_new(self, assessment_id: str) -> None:
        from .assessment import AssessmentScreen

        self.refresh_data()
        self.app.push_screen(AssessmentScreen(assessment_id))

    def action_ready(self) -> None:
        a = self.selected()
        if not a or not self.sa.can_change():
            return
        if a.status == READY_FOR_BOARD:
            done = self.sa.attempt(self.sa.ws.set_status, a.id, IN_PROGRESS)
            if done:
                self.notify(f"{a.period} is now {done.status_label.lower()}.")
                self.refresh_data()
            return

        def go(agree: bool) -> None:
            done = self.sa.attempt(self.sa.ws.set_status, a.id, READY_FOR_BOARD, agree_drafts=agree)
            if done:
                self.notify(f"{a.period} is now {done.status_label.lower()}.")
                self.refresh_data()

        self._with_drafts_agreed(a, "ready for board", go)

    def _with_drafts_agreed(self, a: Assessment, step: str, then: Callable[[bool], None]) -> None:
        """Refuse, naming them, while anything is unanswered or unreviewed; where only drafts remain,
        ask once whether the board agrees them all, then carry on (then(True))."""
        found = self.sa.ws.blockers(a)
        if found.unanswered or found.needs_review:
            self.notify(found.message(step, agree_drafts=True), title="Not done", severity="error", timeout=12)
            return
        if not found.drafts:
            then(False)
            return
        from ..dialogs import ConfirmDialog

        n = len(found.drafts)
        shown = ", ".join(found.drafts[:10]) + (f" and {n - 10} more" if n > 10 else "")

        def confirmed(yes: bool | None) -> None:
            if yes:
                then(True)

        if n == 1:  # one draft is asked about as one, not as "all 1 drafts"
            self.app.push_screen(ConfirmDialog(
                "Agree the last draft?",
                f"{shown} is still draft. Agree it only if the board has agreed it (at the meeting itself): "
                "the audit trail records that it was agreed in this step.", "Agree it"), confirmed)
            return
        self.app.push_screen(ConfirmDialog(
            f"Agree all {n} drafts?",
            f"{n} answers are still draft: {shown}. Agree them all only if the board has agreed them (at the "
            f"meeting itself): the audit trail records that all {n} were agreed in one step, and lists them.",
            f"Agree all {n} drafts"), confirmed)

    def action_export(self) -> None:
        from ..exporting import export_flow

        a = self.selected()
        if a:
            export_flow(self, a.id)

    def action_checks(self) -> None:
        from .checks import ChecksScreen

        a = self.selected()
        if a:
            self.app.push_screen(ChecksScreen(a.id))

    def action_rating_round(self) -> None:
        from .rounds import RoundScreen

        a = self.selected()
        if a:
            self.app.push_screen(RoundScreen(a.id))

    def action_sign_off(self) -> None:
        from ..dialogs import SignOffDialog, SignOffForm

        a = self.selected()
        if not a or not self.sa.can_change():
            return
        if a.frozen:
            self.sa.attempt(self.sa.ws.sign_off, a.id, [("", "")])  # says why, in the core's words
            return

        def ask(agree: bool) -> None:
            points = [x.message for x in self.sa.ws.checks(a)]
            agreeing = len(self.sa.ws.blockers(a).drafts) if agree else 0

            def submit(form: SignOffForm) -> str | None:  # refused: the dialog keeps the names and says why
                return self.sa.try_change(self.sa.ws.sign_off, a.id, form.signatories, form.meeting, form.date,
                                          agree_drafts=agree)[1]

            def done(form: SignOffForm | None) -> None:
                if form is not None:
                    self.notify(f"{a.period} signed off: the answers are now frozen. Submit it with shift+s.",
                                title="Signed off")
                    self.refresh_data()

            self.app.push_screen(SignOffDialog(a.period, self.sa.ws.today().isoformat(), points, agreeing, submit=submit),
                                 done)

        self._with_drafts_agreed(a, "sign-off", ask)

    def action_submit(self) -> None:
        from ...submission.submit import prepare, record, seal_and_write
        from ..exporting import exports_folder

        a = self.selected()
        if not a or not self.sa.can_change():
            return
        prepared = self.sa.attempt(prepare, self.sa.ws, a.id)
        out = self.sa.attempt(exports_folder)
        if prepared is None or out is None:
            return
        self.notify("Writing the signed submission...", title="Submit", timeout=3)

        def work() -> None:  # worker thread: render the board report, seal, write; no store access
            try:
                path, opened, size = seal_and_write(prepared, self.sa.home, out)
            except Exception as exc:  # shown by attempt on the main thread, so nothing escapes
                def fail(exc: Exception = exc) -> None:
                    self.sa.attempt(_raise, exc)
                self.app.call_from_thread(fail)
                return

            def done() -> None:  # main thread: record it in the store
                result = self.sa.attempt(record, self.sa.ws, prepared, path, opened, size)
                if result:
                    self.notify(f"Saved {result.path}. Give the regulator this key fingerprint by phone or letter: "
                                f"{result.fingerprint}", title=f"Submission {result.sequence} written", timeout=30)
                    self.refresh_data()

            self.app.call_from_thread(done)

        self.run_worker(work, thread=True, exclusive=True, group="submit", exit_on_error=False)

    def action_reopen(self) -> None:
        from ..dialogs import ReasonDialog

        a = self.selected()
        if not a or not self.sa.can_change():
            return

        def done(reason: str | None) -> None:
            if reason and self.sa.attempt(self.sa.ws.reopen, a.id, reason):
                self.notify(f"{a.period} reopened as a new version; the signed-off version is kept.", title="Reopened")
                self.refresh_data()

        self.app.push_screen(ReasonDialog(f"Reopen {a.period}", "Why is the signed-off assessment being reopened? "
                                          "The reason is kept on the audit trail."), done)

    def action_import_feedback(self) -> None:
        from ..dialogs import InputDialog

        if not self.sa.can_change():
            return

        def done(path: str | None) -> None:
            from pathlib import Path

            from ...submission.submit import import_feedback

            if path:
                result = self.sa.attempt(import_feedback, self.sa.ws, Path(path).expanduser())
                if result:
                    self.notify(f"{result.queried} queried, {result.accepted} accepted, on {result.assessment.period}. "
                                "Queries show beside the actions (l).", title=f"Feedback from {result.reviewer}", timeout=15)
                    self.refresh_data()

        self.app.push_screen(InputDialog("Import regulator feedback", "The feedback file from your regulator:",
                                         placeholder="~/Downloads/feedback-RVH-2025-26.selfassess-feedback"), done)

    def action_review(self) -> None:
        from .review import ReviewScreen

        self.app.push_screen(ReviewScreen())


def _raise(exc: Exception) -> None:
    raise exc


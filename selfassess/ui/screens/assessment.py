"""The assessment: domains and questions on the left, the question being answered on the right.

Every change saves at once (ratings on the key press, text a moment after typing stops, and
always before moving on); the bar at the bottom says whether it is saved.
"""

from __future__ import annotations

from typing import Any

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.timer import Timer
from textual.widgets import Collapsible, Footer, Header, Label, Static

from ...core import actions as rules
from ...core.errors import RationaleNeeded
from ...core.framework import Question
from ...core.model import (
    AGREED,
    ASSURANCE_LEVELS,
    NEEDS_REVIEW,
    Answer,
    Assessment,
    EvidenceFile,
    financial_year_end,
)
from ...core.rounds import stakeholder_grades
from ...core.text import shown
from ..dialogs import ActionDialog, ActionForm, ChoiceDialog, ReasonDialog
from ..text import TextArea, plain
from ..widgets import QuestionOutline, RatingBar
from .base import AppScreen

SAVE_DELAY = 0.8  # seconds after the last key press before typed text is saved
OWN_ACTION = "__own__"


class AssessmentScreen(AppScreen):
    BINDINGS = [
        Binding("escape", "back", "Back", id="back"),
        Binding("1", "rate(1)", "Rate", key_display="1-4", id="rate"),
        *[Binding(str(i), f"rate({i})", f"Rate {i}", show=False) for i in range(2, 10)],
        Binding("0", "rate(0)", "Rate 0", show=False),  # a scale from 0 (EDS 2022) is rated by its scores
        Binding("x", "not_applicable", "N/A", id="na"),
        Binding("n", "next", "Next", id="next"),
        Binding("p", "previous", "Previous", id="previous", show=False),
        Binding("u", "next_unanswered", "To do", id="unanswered"),
        Binding("e", "edit('evidence')", "Evidence", id="evidence", show=False),
        Binding("t", "edit('notes')", "Notes", id="notes", show=False),
        Binding("s", "assurance", "Assurance", id="assurance", show=False),
        Binding("r", "agree", "Agree", id="agree"),
        Binding("a", "add_action", "Action", id="add-action"),
        Binding("g", "guidance", "Guidance", id="guidance", show=False),
        Binding("l", "action_plan", "Action plan", id="action-plan", show=False),
        Binding("d", "dashboard", "Dashboard", id="dashboard", show=False),
        Binding("k", "checks", "Points for challenge", id="checks", show=False),
        Binding("f", "open_evidence", "Open evidence file", id="open-evidence", show=False),
        Binding("ctrl+e", "export", "Export", id="export", show=False),
    ]

    def __init__(self, assessment_id: str, question_id: str | None = None):
        super().__init__()
        self.assessment_id = assessment_id
        self.start_question = question_id
        self.pending: dict[str, str] = {}
        self.save_timer: Timer | None = None
        self.asking = False  # a rationale is being asked for
        self.evidence_files: list[EvidenceFile] = []  # the question's, as shown

    # --- layout ---------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield from self.banner()
        yield Static(id="frozen")
        with Horizontal(id="body"):
            yield QuestionOutline(id="outline")
            with VerticalScroll(id="qpanel"):
                yield Static(id="qhead")
                yield Static(id="badge")
                yield Static(id="qtext")
                yield RatingBar(id="rating")
                yield Static(id="level-detail", classes="dim")
                yield Static(id="stakeholders", classes="dim")
                yield Static(id="na-reason", classes="dim")
                yield Label("Evidence (e)", classes="field-label")
                yield TextArea(id="evidence", soft_wrap=True, show_line_numbers=False)
                yield Label("Notes (t)", classes="field-label")
                yield TextArea(id="notes", soft_wrap=True, show_line_numbers=False)
                yield Static(id="assurance")
                yield Static(id="gap")
                yield Static(id="linked")
                yield Static(id="evidence-files")
                with Collapsible(title="Guidance (g)", id="guidance", collapsed=True):
                    yield Static(id="guidance-text")
                with Collapsible(title="Evidence a board would expect", id="expected", collapsed=True):
                    yield Static(id="expected-text")
                yield Static(id="source", classes="dim")
        yield Static(id="savebar")
        yield Footer()

    def on_mount(self) -> None:
        ws = self.sa.ws
        self.assessment: Assessment = ws.assessment(self.assessment_id)
        self.framework = ws.framework(self.assessment)
        self.questions: list[Question] = list(self.framework.questions())
        self.answers: dict[str, Answer] = ws.answers(self.assessment_id)
        self.title = f"{self.assessment.period} · {self.framework.title}"
        self.sub_title = shown(ws.organisation(self.assessment.organisation_id).name, multiline=False)
        self.figures = ws.figures(self.assessment)
        self.grades = stakeholder_grades(ws, self.assessment)  # shown beside the board's rating; ratings never change it
        self.query_one(QuestionOutline).build(self.framework, self.answers, self.figures)
        self.show_frozen()
        first = self.start_question if self.start_question and self.framework.has_question(self.start_question) else None
        if first is None:
            first = next((q.id for q in self.questions if not self._done(q.id)), self.questions[0].id)
        self.show_question(first)
        self.query_one(RatingBar).focus()
        self.set_savebar("")

    def show_frozen(self) -> None:
        a = self.assessment
        text = ""
        if a.superseded_by:
            text = "This version was reopened as a new version: it is kept as it was and cannot be changed."
        elif a.frozen:
            who = ", ".join(f"{s.name} ({s.role})" for s in a.signoff.signatories) if a.signoff else ""
            text = (f"Signed off {a.signoff.date if a.signoff else ''}" + (f" by {who}" if who else "")
                    + ": frozen. Action progress can still be recorded on the action plan (l).")
        frozen = self.query_one("#frozen", Static)
        frozen.update(plain(text))
        frozen.display = bool(text)
        for area in self.query(TextArea):
            area.read_only = bool(text) or bool(self.sa.read_only_reason)

    # --- showing a question ---------------------------------------------------------------------

    @property
    def question(self) -> Question:
        return self.framework.question(self.question_id)

    def _done(self, qid: str) -> bool:
        a = self.answers.get(qid)
        return bool(a and a.is_answered and a.state != NEEDS_REVIEW)

    def show_question(self, qid: str) -> None:
        self.question_id = qid
        q = self.question
        a = self.answers.get(qid)
        domain = self.framework.domain(q.domain_id)
        index = self.questions.index(q) + 1
        badge: Content | None = None
        if a and a.state == NEEDS_REVIEW:
            badge = Content.styled(" Carried forward, needs review: r to confirm ", "bold reverse $warning")
        elif a and a.state == AGREED:
            badge = Content.styled(" Agreed ", "reverse $success")
        elif a and a.is_answered:
            badge = Content.styled(" Draft: r to agree ", "reverse $text-muted")
        self.query_one("#qhead", Static).update(Content.assemble(
            (f"{q.ref}", "bold"), (f" · {index}/{len(self.questions)} · ", "dim"), domain.title))
        badge_widget = self.query_one("#badge", Static)
        badge_widget.update(badge or "")
        badge_widget.display = badge is not None
        self.query_one("#qtext", Static).update(Content.assemble((q.text, "bold")))
        scale = self.framework.scale_for(q)
        self.query_one(RatingBar).show(scale, dict(q.level_descriptions), a.rating if a else None,
                                       bool(a and a.is_na), self.framework.na_allowed)
        detail = self.query_one("#level-detail", Static)
        if a and a.rating and a.rating in scale.level_keys():
            level = scale.level(a.rating)
            detail.update(plain(f"{level.label}: {q.level_description(level.key) or level.description}"))
            detail.display = True
        else:
            detail.display = False
        graded = self.grades.of(qid) if self.grades else None
        stakeholders = self.query_one("#stakeholders", Static)
        stakeholders.update(plain(f"Stakeholders: {graded.text}" if graded else ""))
        stakeholders.display = graded is not None
        na = self.query_one("#na-reason", Static)
        na.update(plain(f"Not applicable because: {a.na_reason}" if a and a.is_na else ""))
        na.display = bool(a and a.is_na)
        for field in ("evidence", "notes"):
            area = self.query_one(f"#{field}", TextArea)
            text = getattr(a, field) if a else ""
            if area.text != text:
                area.load_text(text)
        self.show_assurance(a)
        self.show_gap_and_actions()
        self.show_evidence_files()
        self.query_one("#guidance-text", Static).update(plain(q.guidance or "No guidance for this question."))
        self.query_one("#expected-text", Static).update(
            plain("\n".join(f"• {e}" for e in q.evidence_expected) or "Not specified."))
        src = self.framework.source(q.source.document)
        self.query_one("#source", Static).update(plain(
            f"Source: {src.publisher + ', ' if src.publisher else ''}{src.title}"
            + (f" ({src.date})" if src.date else "") + (f": {q.source.section}" if q.source.section else "")))
        self.query_one("#qpanel", VerticalScroll).scroll_home(animate=False)
        self.query_one(QuestionOutline).go_to(qid)
        self.sa.remember(screen="assessment", assessment=self.assessment_id, question=qid)

    def show_assurance(self, a: Answer | None) -> None:
        level = ASSURANCE_LEVELS[a.assurance if a else "self_asserted"]
        self.query_one("#assurance", Static).update(Content.assemble("Assurance: ", (level, "bold"), ("   s to change", "dim")))

    def show_gap_and_actions(self) -> None:
        a = self.answers.get(self.question_id)
        q = self.question
        linked = [x for x in self.sa.ws.actions(self.assessment_id) if self.question_id in x.question_ids]
        gap = self.query_one("#gap", Static)
        if self.sa.ws.is_gap(self.assessment, a) and q.suggested_actions:
            label = self.framework.scale_for(q).level(a.rating).label if a and a.rating else ""
            lines: list[Content] = [Content.assemble((f"{label} is a gap. Suggested actions (a to adopt one):", "bold $warning"))]
            lines += [plain(f"  • {s}") for s in q.suggested_actions]
            gap.update(Content("\n").join(lines))
            gap.display = True
        else:
            gap.display = False
        box = self.query_one("#linked", Static)
        if linked:
            today = self.sa.ws.today()
            rows = [Content.assemble(("Actions on this question:", "bold"))]
            for x in linked:
                late = rules.is_overdue(x, today)
                rows.append(Content.assemble(
                    f"  {x.ref} ", (shown(x.title, multiline=False), ""), f" — {shown(x.owner, multiline=False)}, due {x.current_due} · {x.status_label}",
                    (" · overdue", "bold $error") if late else ""))
            box.update(Content("\n").join(rows))
            box.display = True
        else:
            box.display = False

    def show_evidence_files(self) -> None:
        """The question's evidence files (kept in the store by hash; added from the command line)."""
        from ...core.evidence import is_expired

        files = self.sa.ws.evidence(self.assessment_id, self.question_id)
        self.evidence_files = files
        box = self.query_one("#evidence-files", Static)
        box.display = bool(files)  # none: nothing shown (f says how to add one)
        if not files:
            return
        today = self.sa.ws.today()
        rows = [Content.assemble((f"Evidence files ({len(files)}):", "bold"), ("   f to open", "dim"))]
        for i, e in enumerate(files, start=1):
            dates = " · ".join(x for x in (f"effective {e.effective}" if e.effective else "",
                                           f"expires {e.expires}" if e.expires else "") if x)
            rows.append(Content.assemble(
                f"  {i}. ", (shown(e.title, multiline=False), "bold"), f" ({shown(e.file_name, multiline=False)}) · {e.kind}",
                (f" · sha256 {e.sha256[:12]}", "dim"), f" · {dates}" if dates else "",
                (" · expired", "bold $error") if is_expired(e, today) else ""))
        box.update(Content("\n").join(rows))

    def action_open_evidence(self) -> None:
        files = self.evidence_files
        if not files:
            self.notify(f"{self.question.ref} has no evidence files. Add one with: selfassess evidence add "
                        f"{self.assessment_id[:8]} {self.question.ref} FILE", title="No evidence files")
            return
        if len(files) == 1:
            self._open_evidence(files[0].id)
            return
        choices = [(e.id, f"{e.title} ({e.file_name})") for e in files]
        self.app.push_screen(ChoiceDialog(f"Open an evidence file of {self.question.ref}", choices,
                                          "It opens with this computer's viewer, as a read-only copy."),
                             lambda key: self._open_evidence(key) if key else None)

    def _open_evidence(self, evidence_id: str) -> None:
        ws = self.sa.ws
        ev = next((e for e in self.evidence_files if e.id == evidence_id), None)
        if ev is None:
            return
        data = self.sa.attempt(ws.evidence_bytes, ev)  # checked against its hash: a changed file is not opened
        if data is None:
            return
        title = shown(ev.title, multiline=False)

        def work() -> None:
            from .. import viewer

            problem = viewer.open_in_viewer(data, ev.file_name)
            if problem:
                self.app.call_from_thread(self.notify, f"Could not open '{title}': {problem}.", title="Not opened",
                                          severity="error", timeout=10)
            else:
                self.app.call_from_thread(self.notify, f"Opened '{title}' with the system viewer (a read-only copy).",
                                          title="Opened")

        self.run_worker(work, thread=True, exclusive=True, group="open-evidence")

    def set_savebar(self, state: str, detail: str = "") -> None:
        f = self.figures  # the same figures as the outline's counters, the dashboard and the documents
        progress = f"{f.answered} of {f.questions} answered" + (f" · {f.awaiting_review} need review" if f.awaiting_review else "")
        marks = {"saved": ("✓ Saved " + detail, "$success"), "pending": ("● Unsaved changes…", "$warning"),
                 "error": ("✗ Not saved: " + detail, "bold $error"), "": ("All changes are saved as you go", "dim")}
        text, style = marks[state]
        self.query_one("#savebar", Static).update(Content.assemble((text, style), ("  ·  " + progress, "dim")))

    # --- saving ---------------------------------------------------------------------------------

    def _writable(self) -> bool:
        if self.assessment.frozen:
            self.notify("This assessment is signed off and frozen. Reopen it as a new version to change answers.",
                        title="Frozen", severity="warning")
            return False
        return self.sa.can_change()

    def save(self, **fields: str | None) -> Answer | None:
        """Save fields of the current answer now; show the outcome in the save bar."""
        self.asking = False
        answer = self.sa.attempt(self._answer, **fields)
        if answer is None:
            self.set_savebar("error", "the board's rating needs a rationale: say why in the box" if self.asking
                             else "see the message above; your text is still on screen")
            return None
        self.answers[self.question_id] = answer
        # Every save: the figures once more, and everything that shows them at once.
        self.figures = self.sa.ws.figures(self.assessment)
        outline = self.query_one(QuestionOutline)
        outline.refresh_question(self.question.ref, self.question.text, self.question_id, answer)
        outline.refresh_domains(self.figures)
        self.set_savebar("saved", self.sa.clock.now()[11:19])
        return answer

    def _answer(self, **fields: Any) -> Answer | None:
        try:
            return self.sa.ws.answer(self.assessment_id, self.question_id, **fields)
        except RationaleNeeded as exc:  # the board's rating leaves its members' median: ask why, then save
            question_id = self.question_id
            self.asking = True

            def given(reason: str | None) -> None:
                if reason and question_id == self.question_id and self.save(**fields, rationale=reason):
                    self.show_question(self.question_id)

            self.app.push_screen(ReasonDialog(f"{self.question.ref}: rationale", str(exc).split("; nothing")[0]
                                              + ". Why does the board's rating differ? It is kept with the answer, "
                                              "on the audit trail and in the board report."), given)
            return None

    def flush(self) -> None:
        """Save typed text that is waiting for its pause (before moving on, or quitting)."""
        if self.save_timer:
            self.save_timer.stop()
            self.save_timer = None
        if not self.pending:
            return
        pending, self.pending = dict(self.pending), {}
        if self.save(**pending) is None:
            self.pending = {**pending, **self.pending}

    @on(TextArea.Changed)
    def text_changed(self, event: TextArea.Changed) -> None:
        field = event.text_area.id or ""
        a = self.answers.get(self.question_id)
        stored = getattr(a, field) if a else ""
        if event.text_area.text == stored:
            self.pending.pop(field, None)  # loaded, or typed back to what is saved
            return
        if self.assessment.frozen or self.sa.read_only_reason:
            return
        self.pending[field] = event.text_area.text
        self.set_savebar("pending")
        if self.save_timer:
            self.save_timer.stop()
        self.save_timer = self.set_timer(SAVE_DELAY, self.flush)

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        if isinstance(event.widget, TextArea):
            self.flush()

    def on_unmount(self) -> None:
        self.flush()

    # --- actions (key bindings) -----------------------------------------------------------------

    def go(self, qid: str) -> None:
        self.flush()
        self.show_question(qid)

    def action_next(self) -> None:
        i = self.questions.index(self.question)
        if i + 1 < len(self.questions):
            self.go(self.questions[i + 1].id)
        else:
            self.notify("That was the last question.", timeout=3)

    def action_previous(self) -> None:
        i = self.questions.index(self.question)
        if i > 0:
            self.go(self.questions[i - 1].id)

    def action_next_unanswered(self) -> None:
        i = self.questions.index(self.question)
        order = self.questions[i + 1:] + self.questions[:i + 1]
        target = next((q for q in order if not self._done(q.id)), None)
        if target is None:
            drafts = self.figures.drafts
            self.notify("Every question is answered and reviewed." + (
                f" {drafts} answer(s) are still draft: the board agrees them at sign-off (m or s on the home screen "
                "asks once)." if drafts else ""), title="All answered")
        else:
            self.go(target.id)

    @on(QuestionOutline.OptionSelected)
    def outline_chosen(self, event: QuestionOutline.OptionSelected) -> None:
        oid = event.option.id or ""
        if oid.startswith("domain:"):
            domain = self.framework.domain(oid.split(":", 1)[1])
            target = next((q for q in domain.questions if not self._done(q.id)), domain.questions[0])
            self.go(target.id)
        else:
            self.go(oid)
        self.query_one(RatingBar).focus()

    def action_rate(self, number: int) -> None:
        scale = self.framework.scale_for(self.question)
        level = scale.level_by_digit(number)
        if level is None:
            digits = [scale.digit_of(lv.key) for lv in scale.levels]
            what = "scores" if scale.by_score else "levels"
            self.notify(f"This scale's {what} are {min(digits)} to {max(digits)}: press {min(digits)} to {max(digits)}.",
                        timeout=3)
            return
        self._rate(level.key)

    @on(RatingBar.Chosen)
    def rating_clicked(self, event: RatingBar.Chosen) -> None:
        if event.key is None:
            self.action_not_applicable()
        else:
            self._rate(event.key)

    def _rate(self, key: str) -> None:
        if not self._writable():
            return
        self.flush()
        if self.save(rating=key):
            self.show_question(self.question_id)
            a = self.answers[self.question_id]
            if self.sa.ws.is_gap(self.assessment, a) and self.question.suggested_actions:
                self.notify("Press a to adopt one of the suggested actions.", title="A gap", timeout=4)

    def action_not_applicable(self) -> None:
        if not self._writable():
            return
        if not self.framework.na_allowed:
            self.notify("This framework does not allow 'not applicable'.", severity="warning")
            return
        self.flush()
        current = self.answers.get(self.question_id)

        def done(reason: str | None) -> None:
            if reason and self.save(na_reason=reason):
                self.show_question(self.question_id)

        self.app.push_screen(ReasonDialog(f"{self.question.ref} not applicable",
                                          "Why does this question not apply to the trust? The reason is kept with the answer "
                                          "and shown in the board report.", current.na_reason or "" if current else ""), done)

    def action_edit(self, field: str) -> None:
        area = self.query_one(f"#{field}", TextArea)
        area.focus()
        area.move_cursor(area.document.end)  # carry on writing where the text ends

    def action_assurance(self) -> None:
        if not self._writable():
            return
        self.flush()
        a = self.answers.get(self.question_id)
        keys = list(ASSURANCE_LEVELS)
        current = a.assurance if a else "self_asserted"
        if self.save(assurance=keys[(keys.index(current) + 1) % len(keys)]):
            self.show_question(self.question_id)

    def action_agree(self) -> None:
        if not self._writable():
            return
        a = self.answers.get(self.question_id)
        if not a or not a.is_answered:
            self.notify("Rate the question (or mark it N/A) before agreeing it.", timeout=4)
            return
        self.flush()
        if self.save(state=AGREED):
            self.show_question(self.question_id)

    def action_guidance(self) -> None:
        box = self.query_one("#guidance", Collapsible)
        box.collapsed = not box.collapsed
        if not box.collapsed:
            self.query_one("#qpanel", VerticalScroll).scroll_to_widget(box, animate=False)

    def action_add_action(self) -> None:
        if not self._writable():
            return
        self.flush()
        q = self.question
        taken = {x.title for x in self.sa.ws.actions(self.assessment_id)}
        choices = [(str(i), s) for i, s in enumerate(q.suggested_actions) if s not in taken]
        choices.append((OWN_ACTION, "Write a new action..."))

        def chosen(key: str | None) -> None:
            if key is None:
                return
            title = "" if key == OWN_ACTION else q.suggested_actions[int(key)]
            self._action_form(title, origin="custom" if key == OWN_ACTION else "suggested")

        if len(choices) == 1:
            self._action_form("", origin="custom")
        else:
            self.app.push_screen(ChoiceDialog(f"Add an action for {q.ref}", choices,
                                              "The framework suggests these for a low rating. Pick one to adopt, or write your own."),
                                 chosen)

    def _action_form(self, title: str, origin: str) -> None:
        year_end = financial_year_end(self.sa.ws.today())

        def done(form: ActionForm | None) -> None:
            if form is None:
                return
            made = self.sa.attempt(self.sa.ws.add_action, self.assessment_id, [self.question_id], form.title, form.owner,
                                   form.due, owner_role=form.owner_role, description=form.description, origin=origin,
                                   status=form.status)  # one dialog, one audit event
            if made:
                self.notify(f"{made.ref} added: {made.owner}, due {made.current_due}.", title="Action added")
                self.show_gap_and_actions()

        self.app.push_screen(ActionDialog(f"New action for {self.question.ref}", title=title, default_due=year_end), done)

    def action_action_plan(self) -> None:
        from .actions import ActionsScreen

        self.flush()
        self.app.push_screen(ActionsScreen(self.assessment_id))

    def action_dashboard(self) -> None:
        from .dashboard import DashboardScreen

        self.flush()
        self.app.push_screen(DashboardScreen(self.assessment_id))

    def action_export(self) -> None:
        from ..exporting import export_flow

        self.flush()
        export_flow(self, self.assessment_id)

    def action_checks(self) -> None:
        from .checks import ChecksScreen

        self.flush()
        self.app.push_screen(ChecksScreen(self.assessment_id))

    def action_back(self) -> None:
        if isinstance(self.focused, TextArea):
            self.flush()
            self.query_one(RatingBar).focus()
            return
        self.flush()
        self.sa.remember(screen="home")
        self.app.pop_screen()

    def store_changed(self, events: list[dict[str, Any]]) -> str | None:
        """Another copy saved: reload this assessment and the question on screen, and say so if it was
        this question or the assessment itself. Typed text not yet saved is saved first (it is the later change)."""
        if not hasattr(self, "question_id"):
            return None
        self.flush()
        ws = self.sa.ws
        self.assessment = ws.assessment(self.assessment_id)
        self.answers = ws.answers(self.assessment_id)
        self.figures = ws.figures(self.assessment)
        self.query_one(QuestionOutline).build(self.framework, self.answers, self.figures)
        self.show_frozen()
        self.show_question(self.question_id)
        self.set_savebar("")
        for event in reversed(events):
            for change in event["changes"]:
                record = change["after"] or change["before"] or {}
                who = event.get("actor", "?")
                if change["table"] == "assessments" and change["id"] == self.assessment_id:
                    return f"This assessment was changed from another window by {who} ({event.get('summary', '')}); showing it"
                if (change["table"] == "answers" and record.get("assessment_id") == self.assessment_id
                        and record.get("question_id") == self.question_id):
                    now = self.answers.get(self.question_id)
                    theirs = Answer.from_record(change["after"]) if change["after"] else None
                    if now != theirs:
                        return (f"{self.question.ref} was also changed from another window by {who}; "
                                "your later change is kept")
                    return f"{self.question.ref} was changed from another window by {who}; showing it"
        return None

    def on_screen_resume(self) -> None:
        # Back from the action plan or a dialog: actions (and so the figures) may have changed.
        if hasattr(self, "question_id"):
            self.figures = self.sa.ws.figures(self.assessment)
            self.query_one(QuestionOutline).refresh_domains(self.figures)
            self.set_savebar("")
            self.show_gap_and_actions()

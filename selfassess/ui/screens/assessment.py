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
from textual.widgets import Collapsible, Header, Label, Static

from ...core import actions as rules
from ...core.errors import RationaleNeeded
from ...core.framework import Question
from ...core.model import (
    AGREED,
    ASSURANCE_LEVELS,
    NEEDS_REVIEW,
    Action,
    Answer,
    Assessment,
    EvidenceFile,
    financial_year_end,
)
from ...core.rounds import stakeholder_grades
from ...core.text import shown
from ..dialogs import ActionDialog, ActionForm, ChoiceDialog, ReasonDialog
from ..help import KeyFooter
from ..text import plain
from ..text_area import TextArea
from ..widgets import QuestionOutline, RatingBar
from .base import AppScreen

SAVE_DELAY = 0.8  # seconds after the last key press before typed text is saved
OWN_ACTION = "__own__"


class AssessmentScreen(AppScreen):
    BINDINGS = [
        Binding("1", "rate(1)", "Rate", key_display="1-4", id="rate",
                tooltip="Rate this question: 1 is the first level of its scale (f1 lists them)"),
        *[Binding(str(i), f"rate({i})", f"Rate {i}", show=False) for i in range(2, 10)],
        Binding("n", "next", "Next", id="next", tooltip="The next question (typed text is saved first)"),
        Binding("r", "agree", "Agree", id="agree", tooltip="Record that the board agreed this answer"),
        Binding("escape", "back", "Back", id="back", tooltip="Back to the home screen (or out of a text box)"),
        Binding("x", "not_applicable", "N/A", id="na", tooltip="Mark this question not applicable, with a written reason"),
        Binding("u", "next_unanswered", "To do", id="unanswered", tooltip="The next question still to answer or review"),
        Binding("a", "add_action", "Add action", id="add-action", tooltip="Add an action for this question (adopt a suggested one or write your own)"),
        Binding("p", "previous", "Previous", id="previous", show=False, tooltip="The previous question"),
        Binding("e", "edit('evidence')", "Evidence", id="evidence", show=False, tooltip="Write the evidence for this answer"),
        Binding("t", "edit('notes')", "Notes", id="notes", show=False, tooltip="Write notes on this answer"),
        Binding("s", "assurance", "Assurance", id="assurance", show=False,
                tooltip="Change the level of assurance behind this answer (self-asserted, internal, independent)"),
        Binding("o", "outline", "Questions", id="outline", show=False, tooltip="Show or hide the list of domains and questions"),
        Binding("g", "guidance", "Guidance", id="guidance", show=False,
                tooltip="Show or hide the guidance and the evidence expected"),
        Binding("l", "action_plan", "Action plan", id="action-plan", show=False, tooltip="The assessment's action plan: owners, due dates, slippage"),
        Binding("d", "dashboard", "Dashboard", id="dashboard", show=False, tooltip="Domain scores against last period, and overdue actions by owner"),
        Binding("k", "checks", "Points for challenge", id="checks", show=False, tooltip="What a non-executive would question before sign-off"),
        Binding("f", "open_evidence", "Open evidence file", id="open-evidence", show=False, tooltip="Open one of this question's evidence files, read-only"),
        Binding("ctrl+e", "export", "Export", id="export", show=False, tooltip="Write the board report, action plan or annual-report section"),
        Binding("0", "rate(0)", "Rate 0", show=False),  # a scale from 0 (EDS 2022) is rated by its scores
    ]
    WIDE = 100  # columns from which the question list stays beside the question; narrower, o shows it

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
                with Collapsible(title="Evidence a board would expect (g)", id="expected", collapsed=True):
                    yield Static(id="expected-text")
                yield Static(id="source", classes="dim")
        yield Static(id="savebar")
        yield KeyFooter()

    def on_mount(self) -> None:
        ws = self.sa.ws
        self.assessment: Assessment = ws.assessment(self.assessment_id)
        self.framework = ws.framework(self.assessment)
        self.questions: list[Question] = list(self.framework.questions())
        self.answers: dict[str, Answer] = ws.answers(self.assessment_id)
        self.title = f"{self.assessment.period} · {self.framework.title}"
        self.sub_title = shown(ws.organisation(self.assessment.organisation_id).name, multiline=False)
        self.figures = ws.figures(self.assessment)
        self.fit_width(self.app.size.width)
        self.grades = stakeholder_grades(ws, self.assessment)  # shown beside the board's rating; ratings never change it
        self.query_one(QuestionOutline).build(self.framework, self.answers, self.figures)
        self.show_frozen()
        first = self.start_question if self.start_question and self.framework.has_question(self.start_question) else None
        if first is None:
            first = next((q.id for q in self.questions if not self._done(q.id)), self.questions[0].id)
        self.show_question(first)
        self.query_one(RatingBar).focus()
        self.set_savebar("")

    def help_keys(self) -> list[tuple[str, str]]:
        """f1: the rating keys are this question's scale's levels, then the rest of the screen's keys."""
        from ..help import binding_rows

        scale = self.framework.scale_for(self.question)
        rows = [(str(i), f"Rate {lv.label}") for i, lv in enumerate(scale.levels, start=1)]
        rows += [row for row in binding_rows(type(self).BINDINGS) if not row[0].isdigit() and row[0] != "1-4"]
        return rows

    def on_resize(self, event: events.Resize) -> None:
        if hasattr(self, "framework") and self.query(QuestionOutline):  # not while being taken down
            self.fit_width(event.size.width)

    def fit_width(self, width: int) -> None:
        """The question list beside the question from WIDE columns (30 cells, wider on a wide terminal);
        narrower it folds away, so the levels have room, and o brings it back over the question."""
        outline = self.query_one(QuestionOutline)
        wide = width >= self.WIDE
        outline.styles.width = min(max(30, width // 4), 40) if wide else min(34, width)
        self.set_class(not wide, "-narrow")
        outline.display = wide or self.outline_open
        prompt = int(outline.styles.width.value) - 4 if outline.styles.width else 25  # less its border, padding and scroll bar
        if prompt != outline.prompt_width:
            outline.prompt_width = prompt
            if hasattr(self, "answers"):
                outline.build(self.framework, self.answers, self.figures)
                if hasattr(self, "question_id"):
                    outline.go_to(self.question_id)

    outline_open = False  # narrow terminals: the question list shown over the question (o)

    def action_outline(self) -> None:
        outline = self.query_one(QuestionOutline)
        if self.app.size.width >= self.WIDE:
            outline.focus()
            return
        self.outline_open = not self.outline_open
        outline.display = self.outline_open
        if self.outline_open:
            outline.focus()
        else:
            self.query_one(RatingBar).focus()

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

    def show_question(self, qid: str, scroll_to: str | None = None) -> None:
        """Show a question: from its top when it is another one, else scrolled to what a key changed."""
        same = getattr(self, "question_id", None) == qid
        self.question_id = qid
        q = self.question
        a = self.answers.get(qid)
        domain = self.framework.domain(q.domain_id)
        index = self.questions.index(q) + 1
        badge: Content | None = None
        if a and a.state == NEEDS_REVIEW:
            badge = Content.styled(" Carried forward, needs review: rate to review ", "bold reverse $warning")
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
        kept = self.sa.unsaved(self.assessment_id, qid)  # text a save refused, brought back (even after a restart)
        for field in ("evidence", "notes"):
            area = self.query_one(f"#{field}", TextArea)
            text = kept.get(field, getattr(a, field) if a else "")
            if area.text != text:
                area.load_text(text)
        if kept and not same:
            self.set_savebar("error", f"your {' and '.join(kept)} as typed, not yet saved: fix what was refused, "
                                      "it saves again as you type")
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
        panel = self.query_one("#qpanel", VerticalScroll)
        if not same:
            panel.scroll_home(animate=False)
        elif scroll_to:  # after the layout settles: the line that changed is in view
            target = self.query_one(scroll_to)
            self.call_after_refresh(lambda: panel.scroll_to_widget(target, animate=False))
        self.query_one(QuestionOutline).go_to(qid)
        self.sa.remember(screen="assessment", assessment=self.assessment_id, question=qid)

    def show_assurance(self, a: Answer | None) -> None:
        level = ASSURANCE_LEVELS[a.assurance if a else "self_asserted"]
        self.query_one("#assurance", Static).update(Content.assemble("Assurance: ", (level, "bold"), ("   s to change", "dim")))

    def show_gap_and_actions(self) -> None:
        a = self.answers.get(self.question_id)
        q = self.question
        # Ref, title, owner, due and status: no history (which reaches back into finished years).
        linked = [x for x in self.sa.ws.actions(self.assessment_id, history=False) if self.question_id in x.question_ids]
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
        bars = self.query("#savebar")  # none while the screen is being taken down (a save refused on the way out)
        if bars:
            bars.first(Static).update(Content.assemble((text, style), ("  ·  " + progress, "dim")))

    # --- saving ---------------------------------------------------------------------------------

    def _writable(self) -> bool:
        if self.assessment.frozen:
            self.notify("This assessment is signed off and frozen. Reopen it as a new version to change answers.",
                        title="Frozen", severity="warning")
            return False
        return self.sa.can_change()

    def save(self, **fields: str | None) -> Answer | None:
        """Save fields of the current answer now; show the outcome in the save bar. Typed text a save
        refuses stays on screen and is kept beside the store (ui-state) until a save takes it."""
        self.asking = False
        before = self.answers.get(self.question_id)
        answer, why = self.sa.try_change(self._answer, **fields)
        typed = {k: v for k, v in fields.items() if k in ("evidence", "notes") and isinstance(v, str)}
        if answer is None and self.asking:  # a rationale is asked for: the save waits for it
            self.set_savebar("error", "the board's rating needs a rationale: say why in the box")
            return None
        if answer is None:
            self.refusal = why or ""
            self.notify(self.refusal, title="Not saved", severity="error", timeout=10)
            if typed:
                self.sa.keep_unsaved(self.assessment_id, self.question_id,
                                     {**self.sa.unsaved(self.assessment_id, self.question_id), **typed})
            self.set_savebar("error", f"{self.refusal}. Your text is still here, and kept")
            return None
        if typed:
            left = {k: v for k, v in self.sa.unsaved(self.assessment_id, self.question_id).items() if k not in typed}
            if left != self.sa.unsaved(self.assessment_id, self.question_id):
                self.sa.keep_unsaved(self.assessment_id, self.question_id, left)
        if before is not None and before.state == AGREED and answer.state != AGREED:
            self.notify(f"{self.question.ref} is a draft again: the board agreed it as it was. Press r once the "
                        "board agrees the change.", title="Back to draft", severity="warning", timeout=8)
        self.answers[self.question_id] = answer
        # Every save: the figures once more, and everything that shows them at once.
        self.figures = self.sa.ws.figures(self.assessment)
        for outline in self.query(QuestionOutline):  # none once the screen is being taken down (saved on the way out)
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
            kept = self.sa.unsaved(self.assessment_id, self.question_id)
            if field in kept:
                self.sa.keep_unsaved(self.assessment_id, self.question_id, {k: v for k, v in kept.items() if k != field})
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

    refusal = ""  # why the last save was refused

    def go(self, qid: str) -> None:
        """Move to another question; typed text a save refused is never left behind without asking."""
        self.flush()
        if not self.pending:
            self.show_question(qid)
            return
        from ..dialogs import ConfirmDialog

        q = self.question
        fields = " and ".join(self.pending)
        target = self.framework.question(qid).ref

        def answered(move: bool | None) -> None:
            if move:
                self.pending = {}  # kept beside the store: shown again when the user comes back
                self.show_question(qid)
                self.query_one(RatingBar).focus()

        self.app.push_screen(ConfirmDialog(
            f"{q.ref}: your {fields} is not saved",
            f"The save was refused: {self.refusal}.\n\nStay to fix it (esc), or move on to {target}: the text is kept on "
            f"this computer, outside the record, and comes back when you return to {q.ref}, even after a restart.",
            f"Move on to {target}"), answered)

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
        if self.outline_open:  # narrow: folded away again once a question is picked
            self.outline_open = False
            self.query_one(QuestionOutline).display = False
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
        before = self.answers.get(self.question_id)
        if self.save(rating=key):
            if before and before.state == NEEDS_REVIEW and before.rating == key:  # reviewed: say what it now is
                label = self.framework.scale_for(self.question).level(key).label
                self.notify(f"{self.question.ref} kept at {label}, as carried forward from last year: reviewed, now a "
                            "draft for the board to agree (r records the board's agreement).", title="Reviewed", timeout=6)
            self.show_question(self.question_id, scroll_to="#rating")
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
                self.show_question(self.question_id, scroll_to="#na-reason")

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
        new = keys[(keys.index(current) + 1) % len(keys)]

        def change(yes: bool | None = True) -> None:
            if yes and self.save(assurance=new):
                self.show_question(self.question_id, scroll_to="#assurance")

        if a is None or a.state != AGREED:
            change()
            return
        from ..dialogs import ConfirmDialog

        self.app.push_screen(ConfirmDialog(
            f"Change the assurance of {self.question.ref}?",
            f"{self.question.ref} is agreed by the board with assurance '{ASSURANCE_LEVELS[current]}'. Changing it to "
            f"'{ASSURANCE_LEVELS[new]}' makes the answer a draft again, to be agreed again (r).",
            "Change it: back to draft"), change)

    def action_agree(self) -> None:
        if not self._writable():
            return
        a = self.answers.get(self.question_id)
        if not a or not a.is_answered:
            self.notify("Rate the question (or mark it N/A) before agreeing it.", timeout=4)
            return
        self.flush()
        if self.save(state=AGREED):
            self.show_question(self.question_id, scroll_to="#badge")

    def action_guidance(self) -> None:
        """The guidance and the evidence a board would expect, read together (the second had no key)."""
        box = self.query_one("#guidance", Collapsible)
        box.collapsed = not box.collapsed
        self.query_one("#expected", Collapsible).collapsed = box.collapsed
        if not box.collapsed:
            self.query_one("#qpanel", VerticalScroll).scroll_to_widget(box, animate=False)

    def action_add_action(self) -> None:
        if not self._writable():
            return
        self.flush()
        q = self.question
        taken = {x.title for x in self.sa.ws.actions(self.assessment_id, history=False)}
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

        added: list[Action] = []

        def submit(form: ActionForm) -> str | None:  # refused: the dialog stays open as typed, saying why
            made, why = self.sa.try_change(self.sa.ws.add_action, self.assessment_id, [self.question_id], form.title,
                                           form.owner, form.due, owner_role=form.owner_role, description=form.description,
                                           origin=origin, status=form.status)  # one dialog, one audit event
            if made is not None:
                added.append(made)
            return why

        def done(form: ActionForm | None) -> None:
            if form is not None and added:
                made = added[-1]
                self.notify(f"{made.ref} added: {made.owner}, due {made.current_due}.", title="Action added")
                self.show_gap_and_actions()
                self.show_question(self.question_id, scroll_to="#linked")

        self.app.push_screen(ActionDialog(f"New action for {self.question.ref}", title=title, default_due=year_end,
                                          today=self.sa.ws.today(), submit=submit), done)

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

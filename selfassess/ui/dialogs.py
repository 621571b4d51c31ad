"""Modal dialogs: each returns its result through dismiss(), typed by its ModalScreen[...]."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from ..core import actions as rules
from ..core.errors import SelfAssessError
from ..core.model import (
    ACTION_STATUSES,
    COVER_FIELDS,
    COVER_PURPOSES,
    NOT_STARTED,
    ORGANISATION_TYPES,
    Action,
    CoverSheet,
    check_period,
    check_text,
)
from .text import plain
from .text_area import TextArea

F = TypeVar("F")
Submit = Callable[[F], "str | None"]  # does the change; None when done, else why it was refused


class Refusal(Exception):
    """A field's check refused what was typed (already shown beside the field)."""


class FormDialog(ModalScreen[F]):
    """A dialog that never closes on what saving would refuse, and never throws away what was typed:
    each field's check shows its reason just under that field; the change itself (submit), when
    refused, shows why beside the buttons, and the dialog stays open with every field as typed."""

    submit: Submit[Any] | None = None
    past_kept = ""  # the past date the user said to keep (ctrl+s a second time)

    def past_date_asked(self, field: str, typed: str, when: date, today: date, then: str = "") -> bool:
        """A date already past is asked about once, beside its field: True when it was just asked
        (the dialog stays open); ctrl+s again with the same date keeps it."""
        if when >= today or self.past_kept == typed:
            return False
        self.past_kept = typed
        self.refuse(field, f"{typed} is already past (today is {today.isoformat()}){then}. "
                           "Press ctrl+s again to keep it, or change it.")
        return True

    def clear_errors(self) -> None:
        for error in self.query(".error"):
            if isinstance(error, Static):
                error.update("")
                error.display = False

    def refuse(self, field: str | None, message: str) -> None:
        error = self.query_one(f"#{field}-error" if field else "#error", Static)
        error.update(plain(message))
        error.display = True
        if field:
            self.query_one(f"#{field}").focus()
        self.call_after_refresh(lambda: error.scroll_visible(animate=False))

    def check(self, field: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SelfAssessError as exc:
            self.refuse(field, exc.for_app())
            raise Refusal from exc

    def finish(self, form: F) -> None:
        """Close with the form, once the change (if the caller gave one) is done."""
        why = self.submit(form) if self.submit else None
        if why:
            self.refuse(None, why)
            return
        self.dismiss(form)


def save_row(label: str) -> list[Widget]:
    """A dialog's last lines: where a refusal is said, and its two buttons (label names the key, Cancel is esc)."""
    return [Static("", id="error", classes="error"),
            Horizontal(Button(label, variant="primary", id="save", compact=True),
                       Button("Cancel  esc", id="cancel", compact=True), classes="buttons")]


def field_error(field: str) -> Static:
    error = Static("", id=f"{field}-error", classes="error")
    error.display = False
    return error


class ReasonDialog(ModalScreen[str | None]):
    """Ask for a short written reason (N/A, reopening, dropping an action)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "save", "Save")]

    def __init__(self, title: str, prompt: str, initial: str = ""):
        super().__init__()
        self.title_text, self.prompt, self.initial = title, prompt, initial

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(plain(self.title_text), classes="dialog-title")
            yield Static(plain(self.prompt), classes="dialog-text")
            yield TextArea(self.initial, id="reason", soft_wrap=True)
            yield from save_row("Save  ctrl+s")

    def on_mount(self) -> None:
        self.query_one("#reason", TextArea).focus()

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        text = self.query_one("#reason", TextArea).text.strip()
        if not text:
            self.query_one("#error", Static).update("A reason is needed: say why, in a sentence.")
            return
        self.dismiss(text)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmDialog(ModalScreen[bool]):
    """Ask once before a deliberate step (agreeing every draft answer); True to go ahead."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "confirm", "Confirm")]

    def __init__(self, title: str, text: str, confirm: str):
        super().__init__()
        self.title_text, self.text, self.confirm = title, text, confirm

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog wide"):
            yield Label(plain(self.title_text), classes="dialog-title")
            yield Static(plain(self.text), classes="dialog-text")
            with Horizontal(classes="buttons"):
                yield Button(f"{self.confirm}  ctrl+s", variant="warning", id="confirm", compact=True)
                yield Button("Cancel  esc", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed, "#confirm")
    def action_confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)


class ChoiceDialog(ModalScreen[str | None]):
    """Pick one of a list (a suggested action, a format); returns the option id."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, choices: list[tuple[str, str]], hint: str = ""):
        super().__init__()
        self.title_text, self.choices, self.hint = title, choices, hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(plain(self.title_text), classes="dialog-title")
            if self.hint:
                yield Static(plain(self.hint), classes="dialog-text")
            yield OptionList(*[Option(plain(text), id=key) for key, text in self.choices], id="choices")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class ActionForm:
    title: str
    owner: str
    owner_role: str
    due: str
    status: str
    note: str
    description: str


class ActionDialog(FormDialog[ActionForm | None]):
    """Create or edit an action: owner, due date (checked; a past one asked about), status and a
    progress note (several lines)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "save", "Save")]

    def __init__(self, heading: str, action: Action | None = None, title: str = "", locked: bool = False,
                 default_due: date | None = None, today: date | None = None,
                 submit: Submit[ActionForm] | None = None):
        super().__init__()
        self.heading, self.action_, self.initial_title, self.locked = heading, action, title, locked
        self.default_due = default_due
        self.today = today
        self.submit = submit
        # Where typing goes first: an update's progress note (an owner field, focused, is replaced by what is typed),
        # an adopted suggestion's owner, a new action's title.
        setattr(self, "AUTO_FOCUS", "#note" if action else "#owner" if title else "#title")  # noqa: B010  (per dialog: a class variable in Textual)

    def compose(self) -> ComposeResult:
        a = self.action_
        with VerticalScroll(classes="dialog wide"):
            yield Label(plain(self.heading), classes="dialog-title")
            yield Label("What will be done")
            yield Input(a.title if a else self.initial_title, id="title", disabled=self.locked, compact=True)
            yield field_error("title")
            with Horizontal(classes="row"):
                with Vertical():
                    yield Label("Owner (a named person)")
                    yield Input(a.owner if a else "", id="owner", placeholder="e.g. James Okoro", compact=True)
                    yield field_error("owner")
                with Vertical():
                    yield Label("Owner's role")
                    yield Input(a.owner_role if a else "", id="role", placeholder="e.g. Director of Strategy", compact=True)
                    yield field_error("role")
            with Horizontal(classes="row"):
                with Vertical():
                    yield Label("Due date (YYYY-MM-DD)")
                    due = a.current_due if a else (self.default_due.isoformat() if self.default_due else "")
                    yield Input(due, id="due", placeholder="2026-03-31", compact=True)
                    yield field_error("due")
                with Vertical():
                    yield Label("Status")
                    yield Select([(label, key) for key, label in ACTION_STATUSES.items()],
                                 value=a.status if a else NOT_STARTED, allow_blank=False, id="status", compact=True)
            if a:
                yield Static(plain(f"Originally due {a.original_due}" + (f"; moved to {a.current_due}" if a.current_due != a.original_due else "")),
                             classes="dim")
            yield Label("Progress note (dated, kept on the action's history)" if a else "Description")
            yield TextArea("", id="note", soft_wrap=True, show_line_numbers=False,
                           placeholder="What has happened since the last update?" if a else "")
            yield field_error("note")
            yield from save_row("Save  ctrl+s")

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        values = {k: self.query_one(f"#{k}", Input).value.strip() for k in ("title", "owner", "role", "due")}
        values["note"] = self.query_one("#note", TextArea).text.strip()
        status = self.query_one("#status", Select).value
        self.clear_errors()
        try:  # the workspace's own rules, beside each field, so the dialog never closes on what saving would refuse
            self.check("title", check_text, values["title"], "action title", required=True, max_length=1000)
            self.check("owner", check_text, values["owner"], "owner", required=True, max_length=200)
            self.check("role", check_text, values["role"], "owner's role", max_length=200)
            due = self.check("due", rules.check_fields, values["title"], values["owner"], values["due"])[2]
            self.check("note", check_text, values["note"], "progress note" if self.action_ else "description")
            self.check("note", rules.check_status, str(status), values["note"],
                       self.action_.dropped_reason if self.action_ else "")
        except Refusal:
            return
        moved = self.action_ is None or values["due"] != self.action_.current_due
        if self.today and moved and self.past_date_asked("due", values["due"], due, self.today):
            return
        self.finish(ActionForm(values["title"], values["owner"], values["role"], values["due"], str(status),
                               values["note"] if self.action_ else "", "" if self.action_ else values["note"]))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class NewAssessmentForm:
    organisation: str
    ods_code: str
    framework: str
    period: str
    carry_from: str | None
    org_type: str = "acute"


class NewAssessmentDialog(FormDialog[NewAssessmentForm | None]):
    """Start an assessment: the trust (and, for a trust new to selfassess, its type), the framework,
    the period, and what to carry forward."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "save", "Start")]

    def __init__(self, organisation: str, ods_code: str, frameworks: list[tuple[str, str]], period: str,
                 previous: list[tuple[str, str]], framework: str | None = None, carry_from: str | None = None,
                 org_type: str | None = None, submit: Submit[NewAssessmentForm] | None = None):
        super().__init__()
        self.organisation, self.ods_code, self.frameworks = organisation, ods_code, frameworks
        self.period, self.previous = period, previous
        self.framework, self.carry_from = framework, carry_from
        self.org_type = org_type  # None: no trust yet, so its type is asked
        self.submit = submit
        # Focus is set once, as the dialog is shown, never moved after: keys typed fast land where they began.
        self.first_field = "#organisation" if not organisation else "#period"
        setattr(self, "AUTO_FOCUS", self.first_field)  # noqa: B010  (per dialog: a class variable in Textual)

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog wide"):
            yield Label("Start an assessment", classes="dialog-title")
            with Horizontal(classes="row"):
                with Vertical():
                    yield Label("Trust")
                    yield Input(self.organisation, id="organisation", placeholder="e.g. Northgate Hospitals NHS Foundation Trust", compact=True)
                    yield field_error("organisation")
                with Vertical(classes="narrow"):
                    yield Label("ODS code")
                    yield Input(self.ods_code, id="ods", placeholder="e.g. RXX", compact=True)
                    yield field_error("ods")
            if self.org_type is None:
                yield Label("Type of trust")
                yield Select([(label, key) for key, label in ORGANISATION_TYPES.items()], prompt="Choose the type of trust",
                             id="org-type", compact=True)
                yield field_error("org-type")
            yield Label("Framework")
            yield Select(self.frameworks, value=self.framework or self.frameworks[0][1], allow_blank=False, id="framework", compact=True)
            with Horizontal(classes="row"):
                with Vertical(classes="narrow"):
                    yield Label("Period")
                    yield Input(self.period, id="period", placeholder="2025/26", compact=True)
                    yield field_error("period")
                with Vertical():
                    yield Label("Carry forward from")
                    options = [("Nothing: start blank", "")] + self.previous
                    yield Select(options, value=self.carry_from or "", allow_blank=False, id="carry", compact=True)
            yield Static("Answers carried forward are marked 'carried forward, needs review'; open actions come too.",
                         classes="dim")
            yield from save_row("Start  ctrl+s")

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        org = self.query_one("#organisation", Input).value.strip()
        ods = self.query_one("#ods", Input).value.strip()
        period = self.query_one("#period", Input).value.strip()
        self.clear_errors()
        org_type = self.org_type or ""
        try:
            if not org:
                self.refuse("organisation", "Name the trust.")
                raise Refusal
            self.check("organisation", check_text, org, "trust name", required=True, max_length=200)
            self.check("ods", check_text, ods, "ODS code", max_length=20)
            if self.org_type is None:
                chosen = self.query_one("#org-type", Select).value
                if not isinstance(chosen, str):
                    self.refuse("org-type", "Choose the type of trust: it is shown on every document.")
                    raise Refusal
                org_type = chosen
            self.check("period", check_period, period)
        except Refusal:
            return
        carry = str(self.query_one("#carry", Select).value) or None
        self.finish(NewAssessmentForm(org, ods, str(self.query_one("#framework", Select).value), period, carry,
                                      org_type or "acute"))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class InputDialog(ModalScreen[str | None]):
    """Ask for one line of text (a folder, a file, a comment)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "save", "OK")]

    def __init__(self, title: str, prompt: str, initial: str = "", placeholder: str = ""):
        super().__init__()
        self.title_text, self.prompt, self.initial, self.placeholder = title, prompt, initial, placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(plain(self.title_text), classes="dialog-title")
            yield Static(plain(self.prompt), classes="dialog-text")
            yield Input(self.initial, id="value", placeholder=self.placeholder, compact=True)
            yield from save_row("OK  enter")

    def on_mount(self) -> None:
        self.query_one("#value", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        value = self.query_one("#value", Input).value.strip()
        if not value:
            self.query_one("#error", Static).update("Please fill this in.")
            return
        self.dismiss(value)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class SignOffForm:
    signatories: list[tuple[str, str]]
    meeting: str
    date: str


class SignOffDialog(FormDialog[SignOffForm | None]):
    """Record the board's sign-off: who signed, at which meeting, on what date."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "save", "Sign off")]
    AUTO_FOCUS = "#name1"

    def __init__(self, period: str, today: str, points: list[str] | None = None, agreeing: int = 0,
                 submit: Submit[SignOffForm] | None = None):
        super().__init__()
        self.submit = submit
        self.period, self.today = period, today
        self.points = points or []  # points for challenge: a warning the board may sign past
        self.agreeing = agreeing  # drafts the board is agreeing at this meeting

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog wide"):
            yield Label(plain(f"Record the board's sign-off of {self.period}"), classes="dialog-title")
            yield Static("Once signed off, the answers are frozen; action progress can still be recorded.",
                         classes="dim")
            if self.agreeing:
                yield Static(plain("The remaining draft answer is agreed with this sign-off." if self.agreeing == 1 else
                                   f"The {self.agreeing} remaining draft answers are agreed with this sign-off."),
                             classes="dim")
            if self.points:
                shown = "\n".join(f"• {x}" for x in self.points[:8])
                more = f"\n… and {len(self.points) - 8} more (k lists them all)" if len(self.points) > 8 else ""
                yield Static(plain(f"{len(self.points)} point(s) for challenge. The board may sign off past them; "
                                   f"they are recorded with the sign-off:\n{shown}{more}"), id="points", classes="warning")
            for i, role in enumerate(("Chair", "Chief Executive"), start=1):
                with Horizontal(classes="row"):
                    with Vertical():
                        yield Label(f"Signatory {i}")
                        yield Input("", id=f"name{i}", placeholder="Name", compact=True)
                        yield field_error(f"name{i}")
                    with Vertical():
                        yield Label("Role")
                        yield Input(role, id=f"role{i}", compact=True)
                        yield field_error(f"role{i}")
            with Horizontal(classes="row"):
                with Vertical():
                    yield Label("Board meeting reference")
                    yield Input("", id="meeting", placeholder="e.g. Public board, 22 May 2026, item 9", compact=True)
                    yield field_error("meeting")
                with Vertical(classes="narrow"):
                    yield Label("Date")
                    yield Input(self.today, id="date", compact=True)
                    yield field_error("date")
            yield from save_row("Sign off  ctrl+s")

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        people = []
        self.clear_errors()
        meeting = self.query_one("#meeting", Input).value.strip()
        when = self.query_one("#date", Input).value.strip()
        try:
            for i in (1, 2):
                name = self.check(f"name{i}", check_text, self.query_one(f"#name{i}", Input).value, "signatory name",
                                  max_length=200)
                role = self.check(f"role{i}", check_text, self.query_one(f"#role{i}", Input).value, "role", max_length=200)
                if name:
                    people.append((name, role or "Board member"))
            if not people:
                self.refuse("name1", "Name at least one signatory.")
                raise Refusal
            self.check("meeting", check_text, meeting, "meeting reference", max_length=300)
            try:
                date.fromisoformat(when)
            except ValueError:
                self.refuse("date", f"'{when}' is not a date: write it as YYYY-MM-DD.")
                raise Refusal from None
        except Refusal:
            return
        self.finish(SignOffForm(people, meeting, when))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class CoverSheetDialog(ModalScreen[dict[str, str] | None]):
    """The board cover sheet of the board report: entered once, changed when the meeting moves."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "save", "Save")]
    HINTS = {"meeting": "e.g. Public board, 22 May 2026", "item": "e.g. 9", "author": "Name, role",
             "sponsor": "Name, role", "committees": "e.g. Quality Committee, 20 November 2026",
             "recommendation": "The board is asked to...", "risks": "e.g. BAF risk 4; corporate risk 112",
             "equality": "The paper's effect on equality and health inequalities"}

    def __init__(self, current: CoverSheet | None):
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog wide"):
            yield Label("Board cover sheet", classes="dialog-title")
            yield Static("Page 1 of the board report, as the other papers on the agenda have.", classes="dim")
            for key, label in COVER_FIELDS.items():
                yield Label(label)
                value = getattr(self.current, key) if self.current else ""
                if key == "purpose":
                    yield Select([(v, k) for k, v in COVER_PURPOSES.items()], value=value or Select.NULL,
                                 id="purpose", prompt="Choose what the board is asked to do", compact=True)
                else:
                    yield Input(value, id=key, placeholder=self.HINTS.get(key, ""), compact=True)
            yield from save_row("Save  ctrl+s")

    def on_mount(self) -> None:
        self.query_one("#meeting", Input).focus()

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        values = {key: self.query_one(f"#{key}", Input).value for key in COVER_FIELDS if key != "purpose"}
        purpose = self.query_one("#purpose", Select).value
        values["purpose"] = purpose if isinstance(purpose, str) else ""
        self.dismiss(values)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class TargetForm:
    domain: str  # the domain's id
    level: str
    by: str
    past_ok: bool  # the user kept a date already past (asked once, as an action's due date is)


class TargetDialog(FormDialog[TargetForm | None]):
    """Set the board's target level for a domain and the date to reach it by. A date already past
    is asked about (ctrl+s again keeps it): such a target reads as missed unless already met."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "save", "Save")]

    def __init__(self, domains: list[tuple[str, str]], levels: list[str], today: date,
                 default_by: str = "", submit: Submit[TargetForm] | None = None):
        super().__init__()
        self.domains, self.levels, self.today, self.default_by = domains, levels, today, default_by
        self.submit = submit
        setattr(self, "AUTO_FOCUS", "#domain")  # noqa: B010  (per dialog: a class variable in Textual)

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog wide"):
            yield Label("The board's target for a domain", classes="dialog-title")
            yield Label("Domain")
            yield Select([(plain(title), key) for key, title in self.domains], value=self.domains[0][0],
                         allow_blank=False, id="domain", compact=True)
            yield Label("Target level (" + ", ".join(self.levels) + ")")
            yield Input("", id="level", placeholder=self.levels[-2] if len(self.levels) > 1 else "", compact=True)
            yield field_error("level")
            yield Label("To reach by (YYYY-MM-DD)")
            yield Input(self.default_by, id="by", placeholder="2027-03-31", compact=True)
            yield field_error("by")
            yield from save_row("Save  ctrl+s")

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        level = self.query_one("#level", Input).value.strip()
        by = self.query_one("#by", Input).value.strip()
        self.clear_errors()
        if not level:
            self.refuse("level", "Name the level to reach: " + ", ".join(self.levels) + ".")
            return
        try:
            when = date.fromisoformat(by)
        except ValueError:
            self.refuse("by", f"{by or 'The date'} is not a date: write it as YYYY-MM-DD, such as 2027-03-31.")
            return
        if self.past_date_asked("by", by, when, self.today, ": a target not reached by then reads as missed"):
            return
        self.finish(TargetForm(str(self.query_one("#domain", Select).value), level, by, when < self.today))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

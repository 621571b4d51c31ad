"""Modal dialogs: each returns its result through dismiss(), typed by its ModalScreen[...]."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from ..core import actions as rules
from ..core.errors import SelfAssessError
from ..core.model import (
    ACTION_STATUSES,
    COVER_FIELDS,
    COVER_PURPOSES,
    NOT_STARTED,
    Action,
    CoverSheet,
)
from .text import TextArea, plain


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
            yield Static("", id="error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Save  ctrl+s", variant="primary", id="save", compact=True)
                yield Button("Cancel  esc", id="cancel", compact=True)

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


class ActionDialog(ModalScreen[ActionForm | None]):
    """Create or edit an action: owner, due date (checked), status and a progress note."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "save", "Save")]

    def __init__(self, heading: str, action: Action | None = None, title: str = "", locked: bool = False,
                 default_due: date | None = None):
        super().__init__()
        self.heading, self.action_, self.initial_title, self.locked = heading, action, title, locked
        self.default_due = default_due

    def compose(self) -> ComposeResult:
        a = self.action_
        with VerticalScroll(classes="dialog wide"):
            yield Label(plain(self.heading), classes="dialog-title")
            yield Label("What will be done")
            yield Input(a.title if a else self.initial_title, id="title", disabled=self.locked, compact=True)
            with Horizontal(classes="row"):
                with Vertical():
                    yield Label("Owner (a named person)")
                    yield Input(a.owner if a else "", id="owner", placeholder="e.g. James Okoro", compact=True)
                with Vertical():
                    yield Label("Owner's role")
                    yield Input(a.owner_role if a else "", id="role", placeholder="e.g. Director of Strategy", compact=True)
            with Horizontal(classes="row"):
                with Vertical():
                    yield Label("Due date (YYYY-MM-DD)")
                    due = a.current_due if a else (self.default_due.isoformat() if self.default_due else "")
                    yield Input(due, id="due", placeholder="2026-03-31", compact=True)
                with Vertical():
                    yield Label("Status")
                    yield Select([(label, key) for key, label in ACTION_STATUSES.items()],
                                 value=a.status if a else NOT_STARTED, allow_blank=False, id="status", compact=True)
            if a:
                yield Static(plain(f"Originally due {a.original_due}" + (f"; moved to {a.current_due}" if a.current_due != a.original_due else "")),
                             classes="dim")
            yield Label("Progress note (dated, kept on the action's history)" if a else "Description")
            yield Input("", id="note", placeholder="What has happened since the last update?" if a else "", compact=True)
            yield Static("", id="error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Save  ctrl+s", variant="primary", id="save", compact=True)
                yield Button("Cancel  esc", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#owner" if self.action_ or self.initial_title else "#title", Input).focus()

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        values = {k: self.query_one(f"#{k}", Input).value.strip() for k in ("title", "owner", "role", "due", "note")}
        status = self.query_one("#status", Select).value
        try:  # the workspace's own rules, so the dialog never closes on what saving would refuse
            rules.check_fields(values["title"], values["owner"], values["due"])
            rules.check_status(str(status), values["note"], self.action_.dropped_reason if self.action_ else "")
        except SelfAssessError as exc:
            self.query_one("#error", Static).update(plain(exc.for_app()))
            return
        self.dismiss(ActionForm(values["title"], values["owner"], values["role"], values["due"], str(status),
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


class NewAssessmentDialog(ModalScreen[NewAssessmentForm | None]):
    """Start an assessment: the trust, the framework, the period, and what to carry forward."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "save", "Start")]

    def __init__(self, organisation: str, ods_code: str, frameworks: list[tuple[str, str]], period: str,
                 previous: list[tuple[str, str]], framework: str | None = None, carry_from: str | None = None):
        super().__init__()
        self.organisation, self.ods_code, self.frameworks = organisation, ods_code, frameworks
        self.period, self.previous = period, previous
        self.framework, self.carry_from = framework, carry_from

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog wide"):
            yield Label("Start an assessment", classes="dialog-title")
            with Horizontal(classes="row"):
                with Vertical():
                    yield Label("Trust")
                    yield Input(self.organisation, id="organisation", placeholder="e.g. Northgate Hospitals NHS Foundation Trust", compact=True)
                with Vertical(classes="narrow"):
                    yield Label("ODS code")
                    yield Input(self.ods_code, id="ods", placeholder="e.g. RXX", compact=True)
            yield Label("Framework")
            yield Select(self.frameworks, value=self.framework or self.frameworks[0][1], allow_blank=False, id="framework", compact=True)
            with Horizontal(classes="row"):
                with Vertical(classes="narrow"):
                    yield Label("Period")
                    yield Input(self.period, id="period", placeholder="2025/26", compact=True)
                with Vertical():
                    yield Label("Carry forward from")
                    options = [("Nothing: start blank", "")] + self.previous
                    yield Select(options, value=self.carry_from or "", allow_blank=False, id="carry", compact=True)
            yield Static("Answers carried forward are marked 'carried forward, needs review'; open actions come too.",
                         classes="dim")
            yield Static("", id="error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Start  ctrl+s", variant="primary", id="save", compact=True)
                yield Button("Cancel  esc", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#organisation" if not self.organisation else "#period", Input).focus()

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        org = self.query_one("#organisation", Input).value.strip()
        period = self.query_one("#period", Input).value.strip()
        if not org:
            self.query_one("#error", Static).update("Name the trust.")
            return
        carry = str(self.query_one("#carry", Select).value) or None
        self.dismiss(NewAssessmentForm(org, self.query_one("#ods", Input).value.strip(),
                                       str(self.query_one("#framework", Select).value), period, carry))

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
            yield Static("", id="error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("OK  enter", variant="primary", id="save", compact=True)
                yield Button("Cancel  esc", id="cancel", compact=True)

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


class SignOffDialog(ModalScreen[SignOffForm | None]):
    """Record the board's sign-off: who signed, at which meeting, on what date."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "save", "Sign off")]

    def __init__(self, period: str, today: str, points: list[str] | None = None, agreeing: int = 0):
        super().__init__()
        self.period, self.today = period, today
        self.points = points or []  # points for challenge: a warning the board may sign past
        self.agreeing = agreeing  # drafts the board is agreeing at this meeting

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog wide"):
            yield Label(plain(f"Record the board's sign-off of {self.period}"), classes="dialog-title")
            yield Static("Once signed off, the answers are frozen; action progress can still be recorded.",
                         classes="dim")
            if self.agreeing:
                yield Static(plain(f"The {self.agreeing} remaining draft answers are agreed with this sign-off."),
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
                    with Vertical():
                        yield Label("Role")
                        yield Input(role, id=f"role{i}", compact=True)
            with Horizontal(classes="row"):
                with Vertical():
                    yield Label("Board meeting reference")
                    yield Input("", id="meeting", placeholder="e.g. Public board, 22 May 2026, item 9", compact=True)
                with Vertical(classes="narrow"):
                    yield Label("Date")
                    yield Input(self.today, id="date", compact=True)
            yield Static("", id="error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Sign off  ctrl+s", variant="primary", id="save", compact=True)
                yield Button("Cancel  esc", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#name1", Input).focus()

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        people = []
        for i in (1, 2):
            name = self.query_one(f"#name{i}", Input).value.strip()
            role = self.query_one(f"#role{i}", Input).value.strip()
            if name:
                people.append((name, role or "Board member"))
        when = self.query_one("#date", Input).value.strip()
        try:
            date.fromisoformat(when)
        except ValueError:
            self.query_one("#error", Static).update(plain(f"'{when}' is not a date: write it as YYYY-MM-DD."))
            return
        if not people:
            self.query_one("#error", Static).update("Name at least one signatory.")
            return
        self.dismiss(SignOffForm(people, self.query_one("#meeting", Input).value.strip(), when))

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
            yield Static("", id="error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Save  ctrl+s", variant="primary", id="save", compact=True)
                yield Button("Cancel  esc", id="cancel", compact=True)

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

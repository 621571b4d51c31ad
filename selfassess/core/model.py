"""The things a board works with: organisations, assessments, answers and actions.

Records are stored as plain dicts keyed by UUID; these frozen dataclasses are how the
core reads them. Derived facts (scores, RAG, overdue, slippage) are never stored.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Self, cast

from .errors import InvalidInput

# Workflow of an assessment. Ratings say how mature; this says where the paperwork is.
IN_PROGRESS, READY_FOR_BOARD, SIGNED_OFF, SUBMITTED = "in_progress", "ready_for_board", "signed_off", "submitted"
ASSESSMENT_STATUSES = {
    IN_PROGRESS: "In progress",
    READY_FOR_BOARD: "Ready for board",
    SIGNED_OFF: "Signed off",
    SUBMITTED: "Submitted",
}
FROZEN_STATUSES = (SIGNED_OFF, SUBMITTED)

# The workflow state of one answer.
DRAFT, AGREED, NEEDS_REVIEW = "draft", "agreed", "needs_review"
ANSWER_STATES = {DRAFT: "Draft", AGREED: "Agreed", NEEDS_REVIEW: "Carried forward, needs review"}

ASSURANCE_LEVELS = {
    "self_asserted": "Self-asserted",
    "evidenced": "Evidenced",
    "independently_verified": "Independently verified",
}

NOT_STARTED, ON_TRACK, AT_RISK, OFF_TRACK, DONE, DROPPED = (
    "not_started", "on_track", "at_risk", "off_track", "done", "dropped")
ACTION_STATUSES = {
    NOT_STARTED: "Not started",
    ON_TRACK: "On track",
    AT_RISK: "At risk",
    OFF_TRACK: "Off track",
    DONE: "Done",
    DROPPED: "Dropped",
}
CLOSED_STATUSES = (DONE, DROPPED)

ORGANISATION_TYPES = {
    "acute": "Acute trust",
    "mental_health": "Mental health trust",
    "community": "Community trust",
    "ambulance": "Ambulance trust",
    "combined": "Combined acute and community trust",
    "specialist": "Specialist trust",
    "other": "Other",
}

PERIOD_RE = re.compile(r"^(\d{4})/(\d{2})$", re.ASCII)
ODS_RE = re.compile(r"^[A-Z0-9]{3,5}$")
_SURROGATE = re.compile("[\ud800-\udfff]")
MAX_TEXT = 100_000  # a long note is fine; a pasted book is a mistake


def new_id() -> str:
    return str(uuid.uuid4())


def short(record_id: str) -> str:
    """The first 8 characters of an id: enough to type, as with git."""
    return record_id[:8]


def check_period(period: str) -> str:
    period = period.strip()
    m = PERIOD_RE.match(period)
    if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        raise InvalidInput(f"'{period}' is not a reporting period, expected a financial year such as 2025/26")
    return period


def check_ods(code: str | None) -> str:
    """An organisation's ODS code, upper case: 3 to 5 letters or digits (RXX, RVH, R0A), or '' for none."""
    text = (code or "").strip().upper()
    if text and not ODS_RE.match(text):
        raise InvalidInput(f"'{code}' is not an ODS code, expected 3 to 5 letters or digits such as RXX, RVH or R0A")
    return text


def financial_year(today: date) -> int:
    """The year an NHS financial year starts (1 April)."""
    return today.year if today.month >= 4 else today.year - 1


def financial_year_end(today: date) -> date:
    """The last day (31 March) of the NHS financial year that today falls in: a new action's due date."""
    return date(financial_year(today) + 1, 3, 31)


def period_of(start: int) -> str:
    """The reporting period of a financial year starting in `start`: 2025 -> '2025/26'."""
    return f"{start}/{(start + 1) % 100:02d}"


def parse_date(text: str, what: str = "date") -> date:
    try:
        return date.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise InvalidInput(f"{what} '{text}' is not a date, expected YYYY-MM-DD such as 2026-03-31") from None


def check_text(text: str | None, what: str, *, required: bool = False, max_length: int = MAX_TEXT) -> str:
    """Check a field a person typed and return it as it is kept.

    One rule for every field: surrounding whitespace (spaces, tabs, blank lines) is removed, and
    everything inside is kept exactly as typed. A required field of only whitespace is refused.
    """
    text = "" if text is None else str(text)
    if required and not text.strip():
        raise InvalidInput(f"{what} is empty, expected some text")
    if len(text) > max_length:
        raise InvalidInput(f"{what} is {len(text):,} characters long, expected at most {max_length:,}")
    if "\x00" in text:
        raise InvalidInput(f"{what} contains a NUL character, expected text")
    if _SURROGATE.search(text):  # bytes that were not UTF-8 (a terminal in another encoding): cannot be saved
        raise InvalidInput(f"{what} holds bytes that are not UTF-8 text; check your terminal's encoding and type it again")
    return text.strip()


def check_choice(value: str, choices: dict[str, str], what: str) -> str:
    if value in choices:
        return value
    # Accept the label as typed by a person ("On track", "on-track").
    norm = value.strip().lower().replace("-", "_").replace(" ", "_")
    for key, label in choices.items():
        if norm in (key, label.lower().replace(" ", "_").replace("-", "_").replace(",", "")):
            return key
    raise InvalidInput(f"'{value}' is not a valid {what}, expected one of: {', '.join(choices)}")


class Record:
    """Conversion between a frozen dataclass and the plain dict that is stored.

    A record's __dict__ holds its fields in their order and nothing else (no cached properties):
    replace and to_record read it directly (__init__, from_record and replace all keep that order)."""

    def to_record(self) -> dict[str, Any]:
        return cast(dict[str, Any], _plain(self))

    def replace(self, **changes: Any) -> Self:
        # dataclasses.replace without its checks (every field is an init field): a key press saves
        # through one of these, and a frozen __init__ sets each field through object.__setattr__.
        shape = _shape(type(self))
        if not changes.keys() <= shape.names:
            return dataclasses.replace(self, **changes)  # type: ignore[type-var]  # its TypeError names the stranger
        made = object.__new__(type(self))
        fields = made.__dict__
        fields.update(self.__dict__)
        fields.update(changes)
        return made

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> Self:
        """The record as stored, fields it does not name left out and those it lacks at their defaults.
        Built without the dataclass's __init__ (the same fields, set at a fifth of the cost: every
        screen reads hundreds of these); a record lacking a required field goes through __init__,
        whose TypeError names it."""
        shape = _shape(cls)
        if not shape.required <= data.keys():
            return cls(**{k: v for k, v in data.items() if k in shape.names})
        made = object.__new__(cls)
        fields = made.__dict__
        fields.update(shape.template)  # every field, in order: what data holds overwrites in place
        if data.keys() <= shape.names:
            fields.update(data)
        else:
            fields.update({k: v for k, v in data.items() if k in shape.names})
        for name, factory in shape.factories:
            if name not in data:
                fields[name] = factory()
        return made


@dataclass(frozen=True)
class _Shape:
    """A record class's fields, looked up once per class."""
    names: frozenset[str]
    required: frozenset[str]
    template: dict[str, Any]  # every field in order, at its default (None where it has none)
    factories: tuple[tuple[str, Callable[[], Any]], ...]


_SHAPES: dict[type, _Shape] = {}


def _shape(cls: type) -> _Shape:
    found = _SHAPES.get(cls)
    if found is None:
        fields = dataclasses.fields(cls)
        found = _SHAPES[cls] = _Shape(
            names=frozenset(f.name for f in fields),
            required=frozenset(f.name for f in fields if f.default is dataclasses.MISSING
                               and f.default_factory is dataclasses.MISSING),
            template={f.name: None if f.default is dataclasses.MISSING else f.default for f in fields},
            factories=tuple((f.name, f.default_factory) for f in fields if f.default_factory is not dataclasses.MISSING))
    return found


# The plain values a record holds as they are: never walked, never changed in place (the store keeps
# the bytes of a record made only of these; see Store._keep_encoded).
ATOM_TYPES = frozenset((str, int, float, bool, type(None)))


def _plain(value: Any) -> Any:
    """Dataclasses, tuples and dicts as the plain dicts and lists that are stored. (Not
    dataclasses.asdict: it deep-copies every value first, which an import of thousands pays for.)"""
    if type(value) in ATOM_TYPES:
        return value
    if isinstance(value, Record):
        out = dict(value.__dict__)  # its fields in order (see Record)
        if not ATOM_TYPES.issuperset(map(type, out.values())):  # most records are plain already (asked in C)
            for n, v in out.items():
                if type(v) not in ATOM_TYPES:  # only the others are walked
                    out[n] = _plain(v)
        return out
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class Organisation(Record):
    id: str
    name: str
    ods_code: str = ""
    type: str = "acute"


@dataclass(frozen=True)
class Signatory(Record):
    name: str
    role: str


@dataclass(frozen=True)
class SignOff(Record):
    signatories: tuple[Signatory, ...]
    date: str
    meeting: str
    recorded_by: str
    recorded_at: str

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> SignOff:
        return cls(
            signatories=tuple(Signatory(**s) for s in data["signatories"]),
            date=data["date"], meeting=data.get("meeting", ""),
            recorded_by=data["recorded_by"], recorded_at=data["recorded_at"],
        )


@dataclass(frozen=True)
class Assessment(Record):
    id: str
    organisation_id: str
    framework_id: str
    framework_version: str
    framework_hash: str
    period: str
    status: str
    created_at: str
    created_by: str
    previous_id: str | None = None
    version: int = 1  # reopening a signed-off assessment makes version 2, 3...
    signoff: SignOff | None = None
    reopened_from: str | None = None  # the signed-off version this one reopens
    superseded_by: str | None = None  # set on a signed-off version when it is reopened
    submitted_at: str | None = None
    # The services (or sites) a domain rated per service is held for: {"service": ("Maternity", ...)}.
    parts: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False)
    # The board's target level for a domain and the date to reach it by, keyed by domain id:
    # {"leadership": {"level": "established", "by": "2027-03-31", "set_by": ..., "set_at": ...}}.
    targets: dict[str, dict[str, str]] = field(default_factory=dict, hash=False)

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> Assessment:
        obj = super().from_record(data)
        if data.get("signoff"):
            obj = dataclasses.replace(obj, signoff=SignOff.from_record(data["signoff"]))
        if data.get("parts"):
            obj = dataclasses.replace(obj, parts={k: tuple(v) for k, v in data["parts"].items()})
        return obj

    @property
    def frozen(self) -> bool:
        return self.status in FROZEN_STATUSES or self.superseded_by is not None

    @property
    def framework_key(self) -> str:
        return f"{self.framework_id}@{self.framework_version}"

    @property
    def status_label(self) -> str:
        return ASSESSMENT_STATUSES.get(self.status, self.status)


COVER_PURPOSES = {"approval": "Approval", "assurance": "Assurance", "discussion": "Discussion",
                  "information": "Information"}
# The cover sheet's fields, in the order the NHS board cover sheet has them, with their labels.
COVER_FIELDS = {
    "meeting": "Meeting and date", "item": "Agenda item", "purpose": "Purpose", "author": "Report author",
    "sponsor": "Executive sponsor", "committees": "Previously considered by", "recommendation": "Recommendation",
    "risks": "Link to the board assurance framework and risk register",
    "equality": "Equality and health inequalities impact",
}


@dataclass(frozen=True)
class CoverSheet(Record):
    """The board cover sheet of an assessment's board report: entered once, kept on the audit trail."""

    id: str  # the assessment's id: one cover sheet an assessment
    assessment_id: str
    meeting: str = ""
    item: str = ""
    purpose: str = ""
    author: str = ""
    sponsor: str = ""
    committees: str = ""
    recommendation: str = ""
    risks: str = ""
    equality: str = ""
    updated_by: str = ""
    updated_at: str = ""


@dataclass(frozen=True)
class Answer(Record):
    id: str
    assessment_id: str
    question_id: str
    rating: str | None = None
    na_reason: str | None = None
    evidence: str = ""
    notes: str = ""
    assurance: str = "self_asserted"
    state: str = DRAFT
    updated_by: str = ""
    updated_at: str = ""
    carried_from: str | None = None
    rationale: str = ""  # why the board agreed a rating away from its raters' median (core/rounds.py)

    @property
    def is_na(self) -> bool:
        return self.na_reason is not None

    @property
    def is_answered(self) -> bool:
        return self.rating is not None or self.is_na


@dataclass(frozen=True)
class ProgressUpdate(Record):
    date: str
    author: str
    text: str
    status: str | None = None  # the status set by this update, if it changed
    due: str | None = None  # the due date set by this update, if it changed
    owner: str | None = None  # the owner set by this update, if it changed


@dataclass(frozen=True)
class ProgressNote(Record):
    """One progress note as kept: its own record in the `progress` table, appended, never rewritten.

    An action's record holds no history, so a note costs the same to save in its first week as
    in its twentieth year; the history is read back by joining an action's notes (and, for an
    action carried forward, those of the action it was carried from)."""

    id: str
    action_id: str
    n: int  # its place among this action's own notes, from 1
    date: str
    author: str
    text: str
    status: str | None = None
    due: str | None = None
    owner: str | None = None

    @classmethod
    def of(cls, note_id: str, action_id: str, n: int, update: ProgressUpdate) -> ProgressNote:
        return cls(note_id, action_id, n, update.date, update.author, update.text, update.status, update.due, update.owner)

    @property
    def update(self) -> ProgressUpdate:
        return ProgressUpdate(self.date, self.author, self.text, self.status, self.due, self.owner)


@dataclass(frozen=True)
class Action(Record):
    id: str
    assessment_id: str
    ref: str
    title: str
    owner: str
    original_due: str
    current_due: str
    question_ids: tuple[str, ...] = ()
    description: str = ""
    owner_role: str = ""
    status: str = NOT_STARTED
    dropped_reason: str = ""
    created_at: str = ""
    created_by: str = ""
    # The whole history, oldest first, carried-forward years included. Not kept on the action's
    # record (see ProgressNote): the workspace joins it in when it reads an action; a record that
    # still holds it (a store from before notes were their own records, a submitted bundle) is read as it is.
    updates: tuple[ProgressUpdate, ...] = field(default_factory=tuple)
    carried_from: str | None = None
    origin: str = "custom"  # "suggested" when adopted from the framework's suggested actions
    # How many entries of the carried_from action's history this one inherits: that history as it
    # stood when carried (notes added to last year's copy later are not this one's). Kept in the store only.
    carried_notes: int = 0

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> Action:
        # Built in one call (not built and then replaced): every summary reads every year's actions.
        names = _shape(cls).names
        fields = {k: v for k, v in data.items() if k in names}
        fields["question_ids"] = tuple(data.get("question_ids", ()))
        fields["updates"] = tuple(ProgressUpdate.from_record(u) for u in data.get("updates", ()))
        return super().from_record(fields)

    def to_record(self) -> dict[str, Any]:
        """The action as a document (a submission's plan, `actions --json`): its history in full."""
        record = super().to_record()
        del record["carried_notes"]
        return record

    def stored(self) -> dict[str, Any]:
        """The record kept in the store: no history (each note is its own record), and where it joins last year's."""
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self) if f.name != "updates"}

    @property
    def closed(self) -> bool:
        return self.status in CLOSED_STATUSES

    @property
    def status_label(self) -> str:
        return ACTION_STATUSES.get(self.status, self.status)

    @property
    def last_update(self) -> ProgressUpdate | None:
        return self.updates[-1] if self.updates else None


@dataclass(frozen=True)
class Feedback(Record):
    """A regulator's verdict on one domain or action of a submitted assessment."""

    id: str
    assessment_id: str
    target: str  # "domain" or "action" or "assessment"
    target_id: str
    verdict: str  # "accepted" or "queried"
    comment: str
    reviewer: str
    reviewed_at: str
    received_at: str
    feedback_file: str = ""


FEEDBACK_VERDICTS = {"accepted": "Accepted", "queried": "Queried"}


@dataclass(frozen=True)
class EvidenceFile(Record):
    """A file kept as evidence for one question, named in the store by its SHA-256.

    Removing one keeps the file and the record, with who removed it, when and why: the record of
    what the board saw never shrinks."""

    id: str
    assessment_id: str
    question_id: str
    sha256: str
    size: int
    file_name: str  # as it was named when added
    kind: str  # in words: "PDF document"
    title: str
    effective: str | None = None  # the date the evidence speaks from, YYYY-MM-DD
    expires: str | None = None  # after this date it no longer stands as evidence
    added_by: str = ""
    added_at: str = ""
    removed_at: str | None = None
    removed_by: str = ""
    removed_reason: str = ""
    carried_from: str | None = None  # the record it was copied from when the assessment was reopened

    @property
    def removed(self) -> bool:
        return self.removed_at is not None

"""What an action plan shows: RAG, overdue and slippage, always derived from the action."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple, Protocol

from .errors import Hint, InvalidInput
from .model import (
    ACTION_STATUSES,
    AT_RISK,
    CLOSED_STATUSES,
    DONE,
    DROPPED,
    NOT_STARTED,
    OFF_TRACK,
    check_choice,
    check_text,
    parse_date,
)

RED, AMBER, GREEN, COMPLETE, CLOSED = "Red", "Amber", "Green", "Complete", "Dropped"
DUE_SOON_DAYS = 30


def check_fields(title: str, owner: str, due: str) -> tuple[str, str, date]:
    """What every action needs, at every door (the workspace, and the app's dialog before it
    closes): what will be done, a named owner, a real due date. Returns them cleaned."""
    title = check_text(title, "action title", required=True, max_length=1000).strip()
    owner = check_text(owner, "owner", required=True, max_length=200).strip()
    return title, owner, parse_date(due, "due date")


def check_status(status: str, reason: str | None, had_reason: str = "") -> str:
    """The status key for what was typed; dropping needs a reason saying why (one given now, or
    the one the action was dropped with before)."""
    key = check_choice(status, ACTION_STATUSES, "action status")
    if key == DROPPED and not (reason or "").strip() and not had_reason.strip():
        raise InvalidInput("dropping an action needs a reason saying why",
                           hint=Hint("give the reason", command="--reason TEXT (or --note TEXT)",
                                     key="the note in the action's dialog"))
    return key


class Planned(Protocol):
    """What the plan's rules read of an action: an Action, or a PlanEntry of its stored record."""

    @property
    def status(self) -> str: ...
    @property
    def owner(self) -> str: ...
    @property
    def original_due(self) -> str: ...
    @property
    def current_due(self) -> str: ...
    @property
    def closed(self) -> bool: ...


class PlanEntry(NamedTuple):
    """The four fields of an action the counts read, straight from its stored record: the home
    screen counts every year's plan, and an Action is built for a reader of all its fields."""

    status: str
    owner: str
    original_due: str
    current_due: str

    @classmethod
    def of(cls, record: dict[str, Any]) -> PlanEntry:
        return cls(record.get("status", NOT_STARTED), record["owner"], record["original_due"], record["current_due"])

    @property
    def closed(self) -> bool:
        return self.status in CLOSED_STATUSES


def is_overdue(action: Planned, today: date) -> bool:
    return not action.closed and date.fromisoformat(action.current_due) < today


def slippage_days(action: Planned) -> int:
    """How many days the due date has moved since the action was agreed (0 if none)."""
    return max(0, (date.fromisoformat(action.current_due) - date.fromisoformat(action.original_due)).days)


def rag(action: Planned, today: date) -> str:
    """Red: overdue or off track. Amber: at risk, or due soon and not started. Green otherwise."""
    if action.status == DONE:
        return COMPLETE
    if action.status == DROPPED:
        return CLOSED
    if is_overdue(action, today) or action.status == OFF_TRACK:
        return RED
    due_in = (date.fromisoformat(action.current_due) - today).days
    if action.status == AT_RISK or (action.status == NOT_STARTED and due_in <= DUE_SOON_DAYS):
        return AMBER
    return GREEN


@dataclass(frozen=True)
class ActionSummary:
    total: int
    open: int
    overdue: int
    slipped: int
    done: int
    by_rag: dict[str, int]
    overdue_by_owner: list[tuple[str, int]]


def summarise(actions: Sequence[Planned], today: date) -> ActionSummary:
    overdue = [a for a in actions if is_overdue(a, today)]
    by_owner = Counter(a.owner for a in overdue)
    return ActionSummary(
        total=len(actions),
        open=sum(not a.closed for a in actions),
        overdue=len(overdue),
        slipped=sum(slippage_days(a) > 0 and not a.closed for a in actions),
        done=sum(a.status == DONE for a in actions),
        by_rag=dict(Counter(rag(a, today) for a in actions)),
        overdue_by_owner=sorted(by_owner.items(), key=lambda kv: (-kv[1], kv[0])),
    )

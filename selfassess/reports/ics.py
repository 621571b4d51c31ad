"""Action due dates as an iCalendar file, for each owner's Outlook or other calendar.

One all-day item per action on its current due date. The UID comes from the action's id, so a
second export updates the items a calendar already holds rather than adding copies; SEQUENCE is
the number of changes to the due date, status or owner on the action's history, so it rises with
each change. Done and dropped actions are sent as cancelled, which removes them from a calendar.
"""

from __future__ import annotations

from datetime import date, timedelta

from icalendar import Calendar, Event

from ..core.errors import InvalidInput
from ..core.model import DONE, DROPPED
from .data import ActionRow, ReportData, long_date
from .safe_text import Cleaner


def owned_by(data: ReportData, owner: str | None) -> list[ActionRow]:
    """The actions of one owner (as named, any case), or all of them."""
    if not owner:
        return list(data.actions)
    wanted = " ".join(owner.split()).casefold()
    mine = [a for a in data.actions if " ".join(a.owner.split()).casefold() == wanted]
    if not mine:
        owners = sorted({a.owner for a in data.actions})
        raise InvalidInput(f"no action in the {data.period} plan is owned by '{owner}', expected one of: "
                           + (", ".join(owners[:20]) + (f" and {len(owners) - 20} more" if len(owners) > 20 else "")
                              if owners else "(the plan has no actions)"))
    return mine


def write_calendar(data: ReportData, owner: str | None = None) -> tuple[bytes, list[str]]:
    cleaner = Cleaner("iCalendar")
    org = cleaner.clean(data.organisation, "organisation").replace("\n", " ")
    subject = cleaner.clean(data.wording.subject, "framework subject").replace("\n", " ")
    plan_name = cleaner.clean(data.subject_title, "framework subject").replace("\n", " ") + " action plan"
    cal = Calendar()
    cal.add("prodid", f"-//selfassess//{plan_name.replace('//', '/')}//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"{org}: {subject} actions {data.period}")
    for a in owned_by(data, owner):
        where = f"action {a.ref}"
        title = cleaner.clean(a.title, f"{where} title").replace("\n", " ")
        who = cleaner.clean(a.owner, f"{where} owner") + (f", {cleaner.clean(a.owner_role, f'{where} role')}"
                                                           if a.owner_role else "")
        event = Event()
        event.add("uid", f"{a.id}@selfassess")
        event.add("sequence", a.revision)
        event.add("dtstamp", data.last_changed)  # the last change, not the clock: same input, same file
        event.add("dtstart", a.current_due)
        if a.current_due < date.max:  # a one-day event; on the last day a calendar can hold, DTSTART alone says so
            event.add("dtend", a.current_due + timedelta(days=1))
        event.add("summary", f"Due: {a.ref} {title}")
        lines = [f"Action {a.ref}, due {long_date(a.current_due)}"
                 + (f" (originally {long_date(a.original_due)})" if a.current_due != a.original_due else ""),
                 f"Question {a.question_refs}: {cleaner.clean(a.question, f'{where} question')}" if a.question_refs else "",
                 f"Owner: {who}", f"Status: {a.status_label}",
                 f"From the {data.period} {subject} self-assessment of {org}."]
        event.add("description", "\n".join(x for x in lines if x))
        event.add("categories", [plan_name])
        event.add("status", "CANCELLED" if a.status in (DONE, DROPPED) else "CONFIRMED")
        event.add("transp", "TRANSPARENT")  # a due date, not a meeting: the owner is not busy all day
        cal.add_component(event)
    return cal.to_ical(), cleaner.warnings

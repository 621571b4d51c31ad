"""Confirm and challenge: what a non-executive director would question before the board signs.

These are points to answer, not errors: the board may sign off past them, and the sign-off
records that it did.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from . import actions as action_rules
from .evidence import is_expired
from .framework import Framework
from .model import Action, Answer, EvidenceFile

TOP_TWO_NO_EVIDENCE = "top_rating_no_evidence"
VERIFIED_NO_EVIDENCE = "verified_no_evidence"
BIG_RISE_NO_NOTE = "big_rise_no_note"
NA_WAS_RATED = "na_was_rated"
OVERDUE_ON_TOP_RATING = "overdue_action_top_rating"
EXPIRED_EVIDENCE = "expired_evidence"

KINDS = {
    TOP_TWO_NO_EVIDENCE: "Rated in the top two levels with no evidence",
    VERIFIED_NO_EVIDENCE: "Independently verified with no evidence",
    BIG_RISE_NO_NOTE: "Up two or more levels on last year with no note",
    NA_WAS_RATED: "Not applicable this year, rated last year",
    OVERDUE_ON_TOP_RATING: "An overdue action on a question rated in the top level",
    EXPIRED_EVIDENCE: "An evidence file past its expiry date",
}


@dataclass(frozen=True)
class Challenge:
    kind: str
    question_id: str
    ref: str
    message: str

    @property
    def title(self) -> str:
        return KINDS[self.kind]

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "question_id": self.question_id, "ref": self.ref, "title": self.title,
                "message": self.message}


def _number(framework: Framework, question_id: str, rating: str | None) -> tuple[int, int] | None:
    """(position on the scale, number of levels), or None when there is no such rating."""
    if rating is None or not framework.has_question(question_id):
        return None
    scale = framework.scale_for(framework.question(question_id))
    try:
        return scale.number_of(rating), len(scale.levels)
    except ValueError:
        return None


def challenges(framework: Framework, answers: Mapping[str, Answer], actions: Iterable[Action], today: date, *,
               previous_framework: Framework | None = None, previous_answers: Mapping[str, Answer] | None = None,
               evidence: Iterable[EvidenceFile] = ()) -> list[Challenge]:
    """Every point for challenge, in framework order (then in the order of the kinds).

    A current evidence file counts as evidence recorded; one that expired before today does not,
    and is a point of its own: the board would be relying on evidence that no longer stands."""
    previous_answers = previous_answers or {}
    files: dict[str, list[EvidenceFile]] = {}
    for e in evidence:
        if not e.removed:
            files.setdefault(e.question_id, []).append(e)
    overdue: dict[str, list[Action]] = {}
    for x in actions:
        if action_rules.is_overdue(x, today):
            for qid in x.question_ids:
                overdue.setdefault(qid, []).append(x)
    found: list[Challenge] = []
    for q in framework.questions():
        expired = [e for e in files.get(q.id, []) if is_expired(e, today)]
        for e in expired:
            found.append(Challenge(EXPIRED_EVIDENCE, q.id, q.ref,
                                   f"{q.ref}: the evidence file '{e.title}' ({e.file_name}) expired on {e.expires}."))
        a = answers.get(q.id)
        if a is None or not a.is_answered:
            continue
        here = _number(framework, q.id, a.rating)
        current_files = len(files.get(q.id, [])) > len(expired)
        no_evidence = not a.evidence.strip() and not current_files
        if here and no_evidence and here[0] >= here[1] - 1:
            label = framework.scale_for(q).level(a.rating or "").label
            found.append(Challenge(TOP_TWO_NO_EVIDENCE, q.id, q.ref, f"{q.ref} is rated {label} with no evidence recorded."))
        if a.assurance == "independently_verified" and no_evidence:
            found.append(Challenge(VERIFIED_NO_EVIDENCE, q.id, q.ref,
                                   f"{q.ref} is marked independently verified but no evidence is recorded."))
        before = previous_answers.get(q.id)
        if before is not None and previous_framework is not None:
            then = _number(previous_framework, q.id, before.rating)
            if here and then and here[0] - then[0] >= 2 and not a.notes.strip():
                found.append(Challenge(BIG_RISE_NO_NOTE, q.id, q.ref,
                                       f"{q.ref} is up {here[0] - then[0]} levels on last year with no note saying why."))
            if a.is_na and before.rating is not None:
                found.append(Challenge(NA_WAS_RATED, q.id, q.ref,
                                       f"{q.ref} is not applicable this year but was rated last year "
                                       f"({previous_framework.scale_for(previous_framework.question(q.id)).level(before.rating).label})."
                                       if then else f"{q.ref} is not applicable this year but was rated last year."))
        if here and here[0] == here[1] and overdue.get(q.id):
            late = ", ".join(f"{x.ref} (due {x.current_due})" for x in overdue[q.id])
            found.append(Challenge(OVERDUE_ON_TOP_RATING, q.id, q.ref,
                                   f"{q.ref} is rated in the top level but has overdue action(s): {late}."))
    return found

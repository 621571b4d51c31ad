"""The life of one answer, written down once; the app and the CLI both go through it.

    not started ──rate / N/A (with a reason)──> draft ──agree (r)──> agreed
    carried forward from last year: needs review ──confirm (r)──> agreed, or edit ──> draft
    any edit of an agreed answer makes it a draft again

Not applicable is an answer like a rating (it needs a written reason) and is agreed like one.
The board can only be asked to agree, and can only sign off, a record with every question
answered, nothing carried forward unreviewed and nothing left in draft: what it signs is what
it agreed. Drafts still open at the meeting are agreed there in one deliberate step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .framework import Framework
from .model import AGREED, DRAFT, NEEDS_REVIEW, Answer

NOT_STARTED = "not_started"
STAGES = {NOT_STARTED: "Not started", DRAFT: "Draft", AGREED: "Agreed", NEEDS_REVIEW: "Carried forward, needs review"}
SHOWN = 10  # refs named in a refusal; the count covers the rest


def answer_stage(answer: Answer | None) -> str:
    """not_started, draft, agreed or needs_review (N/A is an answer in one of the last three)."""
    if answer is None or not answer.is_answered:
        return NOT_STARTED
    if answer.state in (DRAFT, AGREED, NEEDS_REVIEW):
        return answer.state
    return DRAFT


def _named(refs: list[str]) -> str:
    more = f" and {len(refs) - SHOWN} more" if len(refs) > SHOWN else ""
    return ", ".join(refs[:SHOWN]) + more


@dataclass(frozen=True)
class Blockers:
    """What stands between an assessment and the board: question refs, in framework order."""

    unanswered: tuple[str, ...]
    needs_review: tuple[str, ...]
    drafts: tuple[str, ...]
    draft_ids: tuple[str, ...]  # question ids of the drafts, for agreeing them
    missing_parts: tuple[str, ...] = ()  # domains rated per service with too few services named

    def blocking(self, *, agree_drafts: bool = False) -> bool:
        return bool(self.unanswered or self.needs_review or (self.drafts and not agree_drafts) or self.missing_parts)

    def message(self, step: str, *, agree_drafts: bool = False) -> str:
        """Why `step` is refused, naming the first ten of each and the count, and what to do."""
        parts = [f"{m}: name more with selfassess services" for m in self.missing_parts]
        if self.unanswered:
            parts.append(f"{len(self.unanswered)} question(s) are unanswered ({_named(list(self.unanswered))}): "
                         "answer them or mark them N/A with a reason")
        if self.needs_review:
            parts.append(f"{len(self.needs_review)} answer(s) carried forward from last year still need review "
                         f"({_named(list(self.needs_review))}): confirm or change each one")
        if self.drafts and not agree_drafts:
            parts.append(f"{len(self.drafts)} answer(s) are still draft ({_named(list(self.drafts))}): agree each one, "
                         "or, if the board agrees them at the meeting, say so in one step")
        return f"{step} refused: " + "; ".join(parts) + ". Nothing was changed."


def blockers(framework: Framework, answers: Mapping[str, Answer], missing_parts: Sequence[str] = ()) -> Blockers:
    unanswered, review, drafts, draft_ids = [], [], [], []
    for q in framework.questions():
        stage = answer_stage(answers.get(q.id))
        if stage == NOT_STARTED:
            unanswered.append(q.ref)
        elif stage == NEEDS_REVIEW:
            review.append(q.ref)
        elif stage == DRAFT:
            drafts.append(q.ref)
            draft_ids.append(q.id)
    return Blockers(tuple(unanswered), tuple(review), tuple(drafts), tuple(draft_ids), tuple(missing_parts))

"""Year on year: two assessments of the same framework, question by question and domain by domain."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .framework import Framework
from .model import Answer
from .scoring import score


@dataclass(frozen=True)
class QuestionChange:
    question_id: str
    ref: str
    text: str
    domain_id: str
    before: str | None  # level label, "N/A" or None (unanswered)
    after: str | None
    change: float | None  # in the scale's own score units; None if either is unscored

    @property
    def direction(self) -> str:
        if self.change is None:
            return "new" if self.before is None and self.after is not None else ("same" if self.before == self.after else "changed")
        return "up" if self.change > 0 else "down" if self.change < 0 else "same"


@dataclass(frozen=True)
class DomainChange:
    domain_id: str
    ref: str
    title: str
    before: float | None  # percent
    after: float | None
    before_label: str | None
    after_label: str | None

    @property
    def change(self) -> float | None:
        return None if self.before is None or self.after is None else self.after - self.before


@dataclass(frozen=True)
class Comparison:
    domains: tuple[DomainChange, ...]
    questions: tuple[QuestionChange, ...]
    only_before: tuple[str, ...]  # question ids answered before that the later framework no longer asks


def _label(framework: Framework, question_id: str, answer: Answer | None) -> tuple[str | None, float | None]:
    if answer is None or not answer.is_answered or not framework.has_question(question_id):
        return None, None
    if answer.is_na:
        return "N/A", None
    scale = framework.scale_for(framework.question(question_id))
    try:
        level = scale.level(answer.rating or "")
    except Exception:
        return answer.rating, None
    return level.label, level.score


def compare(before_fw: Framework, before: Mapping[str, Answer], after_fw: Framework, after: Mapping[str, Answer]) -> Comparison:
    """Compare an earlier assessment with a later one (the later framework sets the order)."""
    s_before, s_after = score(before_fw, before), score(after_fw, after)
    b_domains = {d.domain_id: d for d in s_before.domains}
    domains = []
    for d in s_after.domains:
        b = b_domains.get(d.domain_id)
        domains.append(DomainChange(d.domain_id, d.ref, d.title, b.percent if b else None, d.percent,
                                    b.level_label if b else None, d.level_label))
    questions = []
    for q in after_fw.questions():
        # An answer given to a retired question counts for the question that replaced it.
        old_id = q.id if before_fw.has_question(q.id) else next(
            (r.id for r in after_fw.retired if q.id in r.replaced_by and r.id in before), q.id)
        b_label, b_score = _label(before_fw, old_id, before.get(old_id))
        a_label, a_score = _label(after_fw, q.id, after.get(q.id))
        change = a_score - b_score if a_score is not None and b_score is not None else None
        questions.append(QuestionChange(q.id, q.ref, q.text, q.domain_id, b_label, a_label, change))
    only_before = tuple(qid for qid, a in before.items() if a.is_answered and not after_fw.has_question(qid)
                        and not after_fw.successors(qid))
    return Comparison(tuple(domains), tuple(questions), only_before)


@dataclass(frozen=True)
class VersionDiff:
    """What moving answers from one framework version to the next would do (a dry run)."""

    added: tuple[str, ...]  # refs of new questions (no answer to carry)
    carried: tuple[tuple[str, str], ...]  # (old ref, new ref) for retired questions with a successor
    orphaned: tuple[str, ...]  # refs of old questions with no successor: their answers stay behind
    renumbered: tuple[tuple[str, str], ...]  # (old ref, new ref) for the same id under a new ref
    rescaled: tuple[str, ...]  # new refs whose scale changed: ratings not on the new scale are dropped


def version_diff(old: Framework, new: Framework) -> VersionDiff:
    old_q = {q.id: q for q in old.questions()}
    new_q = {q.id: q for q in new.questions()}
    carried, orphaned = [], []
    for qid, q in old_q.items():
        if qid in new_q:
            continue
        targets = [new_q[t].ref for t in new.successors(qid) if t in new_q]
        if targets:
            carried += [(q.ref, t) for t in targets]
        else:
            orphaned.append(q.ref)
    successors = {t for r in new.retired for t in r.replaced_by}
    added = [q.ref for qid, q in new_q.items() if qid not in old_q and qid not in successors]
    renumbered = [(old_q[qid].ref, q.ref) for qid, q in new_q.items() if qid in old_q and old_q[qid].ref != q.ref]
    rescaled = [q.ref for qid, q in new_q.items() if qid in old_q
                and old.scale_for(old_q[qid]).level_keys() != new.scale_for(q).level_keys()]
    return VersionDiff(tuple(added), tuple(carried), tuple(orphaned), tuple(renumbered), tuple(rescaled))

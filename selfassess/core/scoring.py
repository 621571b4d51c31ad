"""Scores by domain and overall, completeness, and the trend against another period.

A question's score is its rating's score on its scale, normalised to 0..1 so that
domains on different scales can be compared; N/A follows the framework's policy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .framework import Domain, Framework
from .model import NEEDS_REVIEW, Answer


class _Completeness:
    """Answered this time: carried-forward answers count once they are reviewed."""

    answered: int
    needs_review: int
    questions: int

    @property
    def complete(self) -> int:
        return self.answered - self.needs_review

    @property
    def completeness(self) -> float:
        return self.complete / self.questions if self.questions else 1.0


@dataclass(frozen=True)
class DomainScore(_Completeness):
    domain_id: str
    ref: str
    title: str
    questions: int
    answered: int  # rated or N/A, including answers carried forward and not yet reviewed
    not_applicable: int
    scored: int  # counted in the score
    mean_score: float | None  # on the scale's own numbers (e.g. 2.4 on a 1-4 scale)
    percent: float | None  # 0-100
    level_label: str | None  # the level nearest the mean
    needs_review: int


@dataclass(frozen=True)
class Scores(_Completeness):
    domains: tuple[DomainScore, ...]
    questions: int
    answered: int
    percent: float | None
    mean_score: float | None
    level_label: str | None
    needs_review: int

    def domain(self, domain_id: str) -> DomainScore:
        return next(d for d in self.domains if d.domain_id == domain_id)


def _domain_score(framework: Framework, domain: Domain, answers: Mapping[str, Answer]) -> tuple[DomainScore, float, float, float]:
    answered = na = scored = review = 0
    weight_sum = weighted_norm = weighted_raw = 0.0
    labels: dict[float, str] = {}
    for q in domain.questions:
        a = answers.get(q.id)
        if a is None or not a.is_answered:
            continue
        answered += 1
        review += a.state == NEEDS_REVIEW
        scale = framework.scale_for(q)
        if a.is_na:
            na += 1
            if framework.na_scoring == "exclude":
                continue
            raw = scale.min_score
        else:
            try:
                raw = scale.level(a.rating or "").score
            except Exception:
                continue  # a rating no longer on the scale is shown, not scored
        span = scale.max_score - scale.min_score
        norm = (raw - scale.min_score) / span if span else 1.0
        scored += 1
        weight_sum += q.weight
        weighted_norm += q.weight * norm
        weighted_raw += q.weight * raw
        for level in scale.levels:
            labels[level.score] = level.label
    mean = weighted_raw / weight_sum if weight_sum else None
    percent = 100 * weighted_norm / weight_sum if weight_sum else None
    label = labels[min(labels, key=lambda s: abs(s - mean))] if mean is not None and labels else None
    return (
        DomainScore(domain.id, domain.ref, domain.title, len(domain.questions), answered, na, scored,
                    mean, percent, label, review),
        weight_sum, weighted_norm, weighted_raw,
    )


def score(framework: Framework, answers: Mapping[str, Answer]) -> Scores:
    """Scores for one assessment; answers are keyed by question id."""
    domains = []
    total_w = total_norm = total_raw = 0.0
    for d in framework.domains:
        ds, w, n, r = _domain_score(framework, d, answers)
        domains.append(ds)
        total_w, total_norm, total_raw = total_w + w, total_norm + n, total_raw + r
    mean = total_raw / total_w if total_w else None
    labels = {lv.score: lv.label for s in framework.scales for lv in s.levels}
    label = labels[min(labels, key=lambda s: abs(s - mean))] if mean is not None and len(framework.scales) == 1 else None
    return Scores(
        domains=tuple(domains),
        questions=framework.question_count,
        answered=sum(d.answered for d in domains),
        percent=100 * total_norm / total_w if total_w else None,
        mean_score=mean,
        level_label=label,
        needs_review=sum(d.needs_review for d in domains),
    )


def trend(current: Scores, previous: Scores | None) -> dict[str, float | None]:
    """Change in percent score per domain id (None where either side has no score)."""
    out: dict[str, float | None] = {}
    prev = {d.domain_id: d for d in previous.domains} if previous else {}
    for d in current.domains:
        p = prev.get(d.domain_id)
        out[d.domain_id] = (d.percent - p.percent) if (p and d.percent is not None and p.percent is not None) else None
    return out

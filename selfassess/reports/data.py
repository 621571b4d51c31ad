"""Everything a report says, gathered once from the workspace: plain data, no document library.

Writers turn a ReportData into bytes; they never reach back into the store. Gathering is quick
and happens on the app's main thread, so the slow part (rendering) can run in a worker safely.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..core import actions as rules
from ..core.model import ANSWER_STATES, ASSURANCE_LEVELS, ORGANISATION_TYPES, Assessment
from ..core.workspace import Workspace


@dataclass(frozen=True)
class AnswerRow:
    ref: str
    question_id: str
    domain_id: str
    domain_title: str
    question: str
    rating: str  # label, "Not applicable" or "Not answered"
    rating_number: int | None  # position on the scale, 1 = lowest
    levels: int
    na_reason: str
    evidence: str
    notes: str
    assurance: str
    state: str
    updated_by: str
    updated_at: str
    is_gap: bool
    is_strength: bool
    answered: bool


@dataclass(frozen=True)
class UpdateRow:
    date: str
    author: str
    text: str


@dataclass(frozen=True)
class ActionRow:
    ref: str
    id: str
    domain_title: str
    question_refs: str
    question: str
    title: str
    description: str
    owner: str
    owner_role: str
    original_due: date
    current_due: date
    status: str
    status_label: str
    rag: str
    overdue: bool
    slippage_days: int
    last_update: str
    last_update_date: str
    updates: tuple[UpdateRow, ...]
    dropped_reason: str
    carried: bool


@dataclass(frozen=True)
class DomainRow:
    ref: str
    id: str
    title: str
    questions: int
    answered: int
    complete: int
    not_applicable: int
    percent: float | None
    level: str | None
    previous_percent: float | None
    change: float | None
    strengths: tuple[AnswerRow, ...]
    gaps: tuple[AnswerRow, ...]


@dataclass(frozen=True)
class Signatory:
    name: str
    role: str


@dataclass(frozen=True)
class ReportData:
    organisation: str
    ods_code: str
    organisation_type: str
    period: str
    previous_period: str | None
    framework_title: str
    framework_id: str
    framework_version: str
    framework_hash: str
    publisher: str
    status: str
    version: int
    signatories: tuple[Signatory, ...]
    signoff_date: str
    signoff_meeting: str
    generated_on: date
    questions: int
    answered: int
    complete: int
    needs_review: int
    percent: float | None
    previous_percent: float | None
    level: str | None
    domains: tuple[DomainRow, ...]
    answers: tuple[AnswerRow, ...]
    actions: tuple[ActionRow, ...]
    open_actions: int
    overdue_actions: int
    slipped_actions: int
    done_actions: int
    overdue_by_owner: tuple[tuple[str, int], ...]
    assurance_counts: tuple[tuple[str, int], ...]
    sources: tuple[str, ...]

    @property
    def completeness(self) -> float:
        return self.complete / self.questions if self.questions else 1.0

    @property
    def file_stem(self) -> str:
        """A file name a person would choose: 'RVH-2026-27'."""
        from ..files import safe_name

        base = self.ods_code or "".join(w[0] for w in self.organisation.split() if w[:1].isalnum())[:8] or "trust"
        return safe_name(f"{safe_name(base, 'trust')}-{self.period.replace('/', '-')}"
                         + (f"-v{self.version}" if self.version > 1 else ""), "trust")


def gather(ws: Workspace, assessment: Assessment) -> ReportData:
    """Collect what every report needs about one assessment."""
    summary = ws.summary(assessment)
    framework = summary.framework
    answers = ws.answers(assessment.id)
    today = ws.today()
    rows: list[AnswerRow] = []
    by_domain: dict[str, list[AnswerRow]] = {}
    for q in framework.questions():
        a = answers.get(q.id)
        scale = framework.scale_for(q)
        number = None
        rating = "Not answered"
        if a and a.is_na:
            rating = "Not applicable"
        elif a and a.rating:
            try:
                rating = scale.level(a.rating).label
                number = scale.number_of(a.rating)
            except Exception:
                rating = a.rating
        gap = ws.is_gap(assessment, a)
        strength = number is not None and not gap and number >= max(2, len(scale.levels) - 1)
        row = AnswerRow(
            ref=q.ref, question_id=q.id, domain_id=q.domain_id, domain_title=framework.domain(q.domain_id).title,
            question=q.text, rating=rating, rating_number=number, levels=len(scale.levels),
            na_reason=a.na_reason or "" if a else "", evidence=a.evidence if a else "", notes=a.notes if a else "",
            assurance=ASSURANCE_LEVELS.get(a.assurance, a.assurance) if a else "", state=ANSWER_STATES.get(a.state, a.state) if a else "",
            updated_by=a.updated_by if a else "", updated_at=a.updated_at if a else "",
            is_gap=gap or not (a and a.is_answered), is_strength=strength, answered=bool(a and a.is_answered),
        )
        rows.append(row)
        by_domain.setdefault(q.domain_id, []).append(row)
    previous = {d.domain_id: d for d in summary.previous_scores.domains} if summary.previous_scores else {}
    domains = []
    for d in summary.scores.domains:
        p = previous.get(d.domain_id)
        domain_rows = by_domain.get(d.domain_id, [])
        domains.append(DomainRow(
            ref=d.ref, id=d.domain_id, title=d.title, questions=d.questions, answered=d.answered, complete=d.complete,
            not_applicable=d.not_applicable, percent=d.percent, level=d.level_label,
            previous_percent=p.percent if p else None, change=summary.trend.get(d.domain_id),
            strengths=tuple(r for r in domain_rows if r.is_strength),
            gaps=tuple(r for r in domain_rows if r.is_gap and r.answered),
        ))
    action_rows = []
    for x in ws.live_actions(assessment.id):  # an action carried into a later year is reported there
        qs = [framework.question(q) for q in x.question_ids if framework.has_question(q)]
        last = x.last_update
        action_rows.append(ActionRow(
            ref=x.ref, id=x.id, domain_title=framework.domain(qs[0].domain_id).title if qs else "",
            question_refs=", ".join(q.ref for q in qs), question=qs[0].text if qs else "",
            title=x.title, description=x.description, owner=x.owner, owner_role=x.owner_role,
            original_due=date.fromisoformat(x.original_due), current_due=date.fromisoformat(x.current_due),
            status=x.status, status_label=x.status_label, rag=rules.rag(x, today), overdue=rules.is_overdue(x, today),
            slippage_days=rules.slippage_days(x), last_update=last.text if last else "",
            last_update_date=last.date if last else "",
            updates=tuple(UpdateRow(u.date, u.author, u.text) for u in x.updates),
            dropped_reason=x.dropped_reason, carried=x.carried_from is not None,
        ))
    assurance: dict[str, int] = {}
    for a in answers.values():
        if a.is_answered:
            label = ASSURANCE_LEVELS.get(a.assurance, a.assurance)
            assurance[label] = assurance.get(label, 0) + 1
    signoff = assessment.signoff
    org = summary.organisation
    act = summary.actions
    return ReportData(
        organisation=org.name, ods_code=org.ods_code, organisation_type=ORGANISATION_TYPES.get(org.type, org.type),
        period=assessment.period, previous_period=summary.previous.period if summary.previous else None,
        framework_title=framework.title, framework_id=framework.id, framework_version=framework.version,
        framework_hash=framework.content_hash, publisher=framework.publisher,
        status=assessment.status_label, version=assessment.version,
        signatories=tuple(Signatory(s.name, s.role) for s in signoff.signatories) if signoff else (),
        signoff_date=signoff.date if signoff else "", signoff_meeting=signoff.meeting if signoff else "",
        generated_on=today, questions=summary.scores.questions, answered=summary.scores.answered,
        complete=summary.scores.complete, needs_review=summary.scores.needs_review,
        percent=summary.scores.percent,
        previous_percent=summary.previous_scores.percent if summary.previous_scores else None,
        level=summary.scores.level_label, domains=tuple(domains), answers=tuple(rows),
        actions=tuple(sorted(action_rows, key=lambda r: (r.current_due, r.ref))),
        open_actions=act.open, overdue_actions=act.overdue, slipped_actions=act.slipped, done_actions=act.done,
        overdue_by_owner=tuple(act.overdue_by_owner),
        assurance_counts=tuple(sorted(assurance.items(), key=lambda kv: -kv[1])),
        sources=tuple(f"{s.publisher + ': ' if s.publisher else ''}{s.title}" + (f" ({s.date})" if s.date else "")
                      for s in framework.sources),
    )


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}%"


def change_words(change: float | None, previous_period: str | None) -> str:
    if change is None:
        return "no earlier score to compare" if previous_period else "first assessment"
    if abs(change) < 0.5:
        return f"no change since {previous_period}"
    return f"{'up' if change > 0 else 'down'} {abs(change):.0f} points since {previous_period}"


def long_date(d: date | str) -> str:
    if isinstance(d, str):
        if not d:
            return ""
        d = date.fromisoformat(d)
    return f"{d.day} {d:%B %Y}"

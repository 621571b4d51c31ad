"""Everything a report says, gathered once from the workspace: plain data, no document library.

Writers turn a ReportData into bytes; they never reach back into the store. Gathering is quick
and happens on the app's main thread, so the slow part (rendering) can run in a worker safely.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from ..core import actions as rules
from ..core.checks import Challenge
from ..core.figures import Figures, percent_text
from ..core.framework import Framework, Wording
from ..core.indicators import IndicatorFigures
from ..core.lifecycle import answer_stage
from ..core.model import (
    ANSWER_STATES,
    ASSURANCE_LEVELS,
    NEEDS_REVIEW,
    ORGANISATION_TYPES,
    Action,
    Answer,
    Assessment,
    CoverSheet,
)
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
    awaiting_review: bool  # carried forward from last year and not yet reviewed: not this year's answer
    rationale: str = ""  # why the board's rating differs from its raters' median (any question, divided or not)


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
    revision: int = 0  # changes of due date, status or owner on its history: a calendar item's SEQUENCE


@dataclass(frozen=True)
class DomainRow:
    ref: str
    id: str
    title: str
    questions: int
    answered: int  # this year's answers (draft or agreed)
    complete: int  # the same: kept for the writers that say "complete"
    not_applicable: int
    awaiting_review: int
    percent: int | None  # whole percent, half up
    provisional: bool
    level: str | None
    previous_percent: int | None
    change: int | None
    strengths: tuple[AnswerRow, ...]
    gaps: tuple[AnswerRow, ...]


@dataclass(frozen=True)
class EvidenceRow:
    """One evidence file, as the board report's appendix lists it."""

    ref: str  # the question's
    question_id: str
    title: str
    file_name: str
    kind: str
    size: int
    sha256: str
    effective: str  # "" when not given
    expires: str
    expired: bool

    @property
    def sha256_short(self) -> str:
        return self.sha256[:12]


@dataclass(frozen=True)
class Signatory:
    name: str
    role: str


@dataclass(frozen=True)
class SpreadRow:
    """One question's spread in a board round, as the documents show it: counts, never names."""

    ref: str
    question_id: str
    domain_id: str
    question: str
    n: int
    levels: int  # how many levels the question's scale has
    counts: tuple[tuple[int, int], ...]  # (level number from 1, raters choosing it), in scale order
    median_number: int | None
    median_label: str
    range: int
    divergent: bool
    agreed: str  # the board's agreed rating, or the state it is in
    rationale: str  # why the agreed rating differs from the median, as recorded with the answer


@dataclass(frozen=True)
class BoardRatings:
    """The board round the documents show (core/rounds.board_spread): the spread, most divided first."""

    raters: int
    returned: int
    anonymous: bool
    rows: tuple[SpreadRow, ...]

    def of_domain(self, domain_id: str) -> list[SpreadRow]:
        return sorted((r for r in self.rows if r.domain_id == domain_id and r.n), key=lambda r: _ref_key(r.ref))

    def divergent(self) -> list[SpreadRow]:
        return [r for r in self.rows if r.divergent]


@dataclass(frozen=True)
class StakeholderRow:
    """One question's stakeholder grades beside the organisation's rating (core/rounds.stakeholder_grades)."""

    ref: str
    question_id: str
    domain_id: str
    question: str
    organisation: str  # the organisation's rating, draft or agreed as recorded
    grades: str  # "Developing (median of 3; 1·2·0·0)": median, how many, the count per level in scale order


@dataclass(frozen=True)
class StakeholderRatings:
    """The latest stakeholder round the documents show: counts per level only, never a name."""

    raters: int
    returned: int
    rows: tuple[StakeholderRow, ...]  # in the framework's order


def _ref_key(ref: str) -> tuple[int | str, ...]:
    return tuple(int(p) if p.isascii() and p.isdigit() else p for p in ref.split("."))


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
    figures: Figures  # the one set of figures: every number a document shows comes from here
    challenges: tuple[Challenge, ...]
    # When the assessment last changed: the documents' creation and modification dates, so that
    # identical input still gives identical bytes.
    last_changed: datetime = datetime(2000, 1, 1, tzinfo=UTC)
    # The scoring key: each level of the framework's main scale and the score it counts for.
    scale_key: tuple[tuple[str, int], ...] = ()
    coversheet: CoverSheet | None = None  # the board cover sheet, page 1 of the board report
    ratings: BoardRatings | None = None  # the board's own ratings in a round, when it held one
    # Actions this plan held that a later assessment carries on (reported there, not here): how many, and where.
    carried_on: int = 0
    carried_into: str = ""
    stakeholders: StakeholderRatings | None = None  # stakeholders' grades, when a stakeholder round has any
    evidence: tuple[EvidenceRow, ...] = ()  # the evidence files, in framework order
    # Information on health inequalities: each indicator of the set, reported or not (with why).
    indicators: tuple[IndicatorFigures, ...] = ()
    indicator_set_title: str = ""
    not_stated_threshold: float = 5.0
    # The framework's words for what the documents are (their titles, subject and openings).
    wording: Wording = Wording("Self-assessment", "self-assessment", "Self-assessment")

    @property
    def subject_title(self) -> str:
        """The subject at the start of a phrase: 'Health inequalities action plan'."""
        subject = self.wording.subject
        return subject[:1].upper() + subject[1:]

    @property
    def carried_on_text(self) -> str:
        """The actions the plan no longer lists because a later year tracks them, in a sentence (or "")."""
        n = self.carried_on
        if not n:
            return ""
        return (f"{n} more action{'s' if n != 1 else ''} {'were' if n != 1 else 'was'} carried forward into "
                f"{self.carried_into or 'a later assessment'} and {'are' if n != 1 else 'is'} tracked there.")

    @property
    def completeness(self) -> float:
        return self.complete / self.questions if self.questions else 1.0

    @property
    def is_draft(self) -> bool:
        """Not signed off: every document says it is a draft for the board."""
        return self.figures.is_draft

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
    figures = summary.figures
    framework = summary.framework
    answers = ws.answers(assessment.id)
    today = ws.today()
    rows: list[AnswerRow] = []
    by_id: dict[str, AnswerRow] = {}
    for q in framework.questions():
        a = answers.get(q.id)
        scale = framework.scale_for(q)
        number = None
        rating = "Not answered"
        if a and a.is_na:
            rating = "Not applicable"
        elif a and a.rating:
            try:
                rating = scale.label_of(a.rating)  # with its score where the framework shows scores
                number = scale.number_of(a.rating)
            except Exception:
                rating = a.rating
        domain = figures.domain(q.domain_id)
        row = AnswerRow(
            ref=q.ref, question_id=q.id, domain_id=q.domain_id, domain_title=framework.domain(q.domain_id).title,
            question=q.text, rating=rating, rating_number=number, levels=len(scale.levels),
            na_reason=a.na_reason or "" if a else "", evidence=a.evidence if a else "", notes=a.notes if a else "",
            assurance=ASSURANCE_LEVELS.get(a.assurance, a.assurance) if a else "", state=ANSWER_STATES.get(a.state, a.state) if a else "",
            updated_by=a.updated_by if a else "", updated_at=a.updated_at if a else "",
            is_gap=q.id in domain.gaps, is_strength=q.id in domain.strengths, answered=bool(a and a.is_answered),
            awaiting_review=answer_stage(a) == NEEDS_REVIEW, rationale=a.rationale if a else "",
        )
        rows.append(row)
        by_id[q.id] = row
    domains = []
    for d in figures.domains:
        domains.append(DomainRow(
            ref=d.ref, id=d.id, title=d.title, questions=d.questions, answered=d.answered, complete=d.answered,
            not_applicable=d.not_applicable, awaiting_review=d.awaiting_review, percent=d.percent,
            provisional=d.provisional, level=d.level, previous_percent=d.previous_percent, change=d.change,
            strengths=tuple(by_id[qid] for qid in d.strengths), gaps=tuple(by_id[qid] for qid in d.gaps),
        ))
    carried_on, carried_into = ws.carried_on(assessment)
    action_rows = []
    for x in ws.live_actions(assessment.id):  # an action carried into a later year is reported there
        qs = [framework.question(q) for q in x.question_ids if framework.has_question(q)]
        last = x.last_update
        action_rows.append(ActionRow(
            ref=x.ref, id=x.id, domain_title=home.title if (home := framework.action_domain(x.question_ids)) else "",
            question_refs=", ".join(q.ref for q in qs), question=qs[0].text if qs else "",
            title=x.title, description=x.description, owner=x.owner, owner_role=x.owner_role,
            original_due=date.fromisoformat(x.original_due), current_due=date.fromisoformat(x.current_due),
            status=x.status, status_label=x.status_label, rag=rules.rag(x, today), overdue=rules.is_overdue(x, today),
            slippage_days=rules.slippage_days(x), last_update=last.text if last else "",
            last_update_date=last.date if last else "",
            updates=tuple(UpdateRow(u.date, u.author, u.text) for u in x.updates),
            dropped_reason=x.dropped_reason, carried=x.carried_from is not None,
            revision=sum(1 for u in x.updates if u.due or u.status or u.owner),
        ))
    from ..core.evidence import is_expired

    files = ws.evidence(assessment.id)
    evidence = tuple(EvidenceRow(framework.question(e.question_id).ref, e.question_id, e.title, e.file_name, e.kind,
                                 e.size, e.sha256, e.effective or "", e.expires or "", is_expired(e, today))
                     for e in files if framework.has_question(e.question_id))
    signoff = assessment.signoff
    org = summary.organisation
    iset, indicator_figures = ws.indicator_figures(assessment)
    return ReportData(
        organisation=org.name, ods_code=org.ods_code, organisation_type=ORGANISATION_TYPES.get(org.type, org.type),
        period=assessment.period, previous_period=summary.previous.period if summary.previous else None,
        framework_title=framework.title, framework_id=framework.id, framework_version=framework.version,
        framework_hash=framework.content_hash, publisher=framework.publisher,
        status=assessment.status_label, version=assessment.version,
        signatories=tuple(Signatory(s.name, s.role) for s in signoff.signatories) if signoff else (),
        signoff_date=signoff.date if signoff else "", signoff_meeting=signoff.meeting if signoff else "",
        generated_on=today, questions=figures.questions, answered=figures.answered,
        complete=figures.answered, needs_review=figures.awaiting_review,
        percent=figures.percent, previous_percent=figures.previous_percent,
        level=figures.level, domains=tuple(domains), answers=tuple(rows),
        actions=tuple(sorted(action_rows, key=lambda r: (r.current_due, r.ref))),
        open_actions=figures.actions_open, overdue_actions=figures.actions_overdue,
        slipped_actions=figures.actions_slipped, done_actions=figures.actions_done,
        overdue_by_owner=figures.overdue_by_owner,
        assurance_counts=figures.assurance,
        sources=tuple(f"{s.publisher + ': ' if s.publisher else ''}{s.title}" + (f" ({s.date})" if s.date else "")
                      for s in framework.sources),
        figures=figures, challenges=tuple(ws.checks(assessment)),
        last_changed=_last_changed(assessment, answers.values(), ws.live_actions(assessment.id),
                                   [e.added_at for e in files]),
        scale_key=_scale_key(framework), coversheet=ws.coversheet(assessment.id), evidence=evidence,
        indicators=tuple(indicator_figures), indicator_set_title=iset.title if iset else "",
        not_stated_threshold=iset.not_stated_flag_percent if iset else 5.0,
        wording=framework.wording,
        ratings=board_ratings(ws, assessment, framework, by_id),
        carried_on=carried_on, carried_into=carried_into,
        stakeholders=stakeholder_ratings(ws, assessment, by_id),
    )


def stakeholder_ratings(ws: Workspace, assessment: Assessment, answers: dict[str, AnswerRow]) -> StakeholderRatings | None:
    from ..core.rounds import stakeholder_grades

    found = stakeholder_grades(ws, assessment)
    if found is None:
        return None
    return StakeholderRatings(found.raters, found.returned, tuple(
        StakeholderRow(g.row.ref, g.row.question_id, g.row.domain_id,
                       answers[g.row.question_id].question if g.row.question_id in answers else "", g.rating_words, g.text)
        for g in found.questions))


def board_ratings(ws: Workspace, assessment: Assessment, framework: Framework,
                  answers: dict[str, AnswerRow]) -> BoardRatings | None:
    from ..core.rounds import board_spread

    found = board_spread(ws, assessment)
    if found is None:
        return None
    kept = ws.answers(assessment.id)
    rows = []
    for q in found.questions:
        scale = framework.scale_for(framework.question(q.question_id))
        row = answers[q.question_id]
        rows.append(SpreadRow(
            ref=q.ref, question_id=q.question_id, domain_id=q.domain_id, question=row.question, n=q.n,
            levels=len(scale.levels), counts=tuple((scale.number_of(k), c) for k, c in q.counts.items()),
            median_number=scale.number_of(q.median) if q.median else None,
            median_label=scale.level(q.median).label if q.median else "", range=q.range, divergent=q.divergent,
            agreed=row.rating + ("" if row.state in ("", "Agreed") else f" ({row.state.lower()})"),
            rationale=kept[q.question_id].rationale if q.question_id in kept else "",
        ))
    return BoardRatings(len(found.round.active_raters), len(found.returned), found.round.anonymous, tuple(rows))


def _scale_key(framework: Framework) -> tuple[tuple[str, int], ...]:
    """The scale most questions use, each level with its score as a whole percent of the top."""
    from collections import Counter

    from ..core.figures import whole_percent

    used = Counter(framework.scale_for(q).id for q in framework.questions())
    if not used:
        return ()
    scale = next(s for s in framework.scales if s.id == used.most_common(1)[0][0])
    low, high = min(lv.score for lv in scale.levels), max(lv.score for lv in scale.levels)
    return tuple((lv.label, (whole_percent(100 * (lv.score - low) / (high - low)) or 0) if high > low else 100)
                 for lv in scale.levels)


def _when(stamp: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00")) if "T" in stamp else \
            datetime.fromisoformat(stamp + "T00:00:00+00:00")
    except (ValueError, TypeError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _last_changed(assessment: Assessment, answers: Iterable[Answer], actions: Iterable[Action],
                  evidence_added: Iterable[str] = ()) -> datetime:
    """The latest recorded change to the assessment, its answers, its actions or its evidence files
    (progress notes carry a date only, taken as the start of that day)."""
    stamps = [assessment.created_at, assessment.submitted_at or "", *evidence_added]
    if assessment.signoff:
        stamps.append(assessment.signoff.recorded_at)
    stamps += [a.updated_at for a in answers]
    for x in actions:
        stamps += [x.created_at] + [u.date for u in x.updates]
    found = [w for w in map(_when, stamps) if w is not None]
    return max(found, default=datetime(2000, 1, 1, tzinfo=UTC))


pct = percent_text  # the one way a percentage is written (half up, an en dash for none)


def score_words(percent: int | None, provisional: bool) -> str:
    """'67%', or '67% (provisional)' while the score counts answers not yet reviewed."""
    from ..core.figures import score_text

    return score_text(percent, provisional)


def score_and_level(percent: int | None, level: str | None, provisional: bool, *, lower: bool = False) -> str:
    """'56% (established)', '56% (established; provisional)' or '56% (provisional)'."""
    notes = [(level.lower() if lower else level)] if level else []
    if provisional and percent is not None:
        notes.append("provisional")
    return pct(percent) + (f" ({'; '.join(notes)})" if notes else "")


def change_words(change: int | None, previous_period: str | None) -> str:
    """Change in points between the whole percents shown (so the words add up to the figures)."""
    if change is None:
        return "no earlier score to compare" if previous_period else "first assessment"
    if change == 0:
        return f"no change since {previous_period}"
    return f"{'up' if change > 0 else 'down'} {abs(change)} point{'s' if abs(change) != 1 else ''} since {previous_period}"


def draft_words(data: ReportData) -> str:
    """What a document of an assessment not yet signed off says it is."""
    return "Draft for the board: not yet signed off" if data.is_draft else ""


def long_date(d: date | str) -> str:
    if isinstance(d, str):
        if not d:
            return ""
        d = date.fromisoformat(d)
    return f"{d.day} {d:%B %Y}"

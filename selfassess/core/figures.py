"""The figures of one assessment, computed once and read by every screen, document and door.

Every count and score a user sees (the app, `show`, `assessments`, the four documents, the
submission) comes from one Figures object, so they can never disagree. Percentages are shown
as whole numbers by one rule (half up: 62.5 is 63%), in one function, `whole_percent`.

Answers carried forward from last year and not yet reviewed are counted apart: they are still
in the scores (last year's rating is the best estimate there is), which are then marked
provisional, but they are never this year's answers, strengths, gaps, strongest or weakest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from . import actions as action_rules
from .framework import Domain, Framework, Question, Scale, number_text
from .lifecycle import NOT_STARTED, STAGES, answer_stage
from .model import (
    AGREED,
    ASSURANCE_LEVELS,
    DRAFT,
    FROZEN_STATUSES,
    NEEDS_REVIEW,
    Answer,
    Assessment,
)
from .scoring import Scores, score


def whole_percent(value: float | None) -> int | None:
    """A percentage as a whole number, half up (62.5 -> 63), the one rounding rule everywhere.
    Rounded to 6 places first, so 62.4999999 from float arithmetic counts as the 62.5 it is."""
    if value is None:
        return None
    exact = Decimal(repr(float(value))).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
    return int(exact.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def percent_text(value: int | float | None, dash: str = "–") -> str:
    """'63%' (half up), or a dash where there is no score."""
    whole = whole_percent(value)
    return dash if whole is None else f"{whole}%"


def score_text(percent: int | None, provisional: bool, dash: str = "–") -> str:
    """A score as every document writes it: '67%', or '67% (provisional)' when it still counts
    answers carried forward and not yet reviewed."""
    text = percent_text(percent, dash)
    return text + (" (provisional)" if provisional and percent is not None else "")


# The states of an answer, in the order every screen, chart, table and key shows them: draft,
# carried forward and agreed are different things everywhere, and said in the same words.
STATES: tuple[tuple[str, str], ...] = (  # (the Figures field, the app's own name for the state)
    ("agreed", STAGES[AGREED]),
    ("drafts", STAGES[DRAFT]),
    ("awaiting_review", STAGES[NEEDS_REVIEW]),  # "Carried forward, needs review", as the app marks them
    ("not_started", STAGES[NOT_STARTED]),
)


def state_meanings(signed_off: bool) -> tuple[tuple[str, str], ...]:
    """(label, what it means) for each state, for a chart's or table's key. Until sign-off an agreed
    answer is agreed for the board, not by it: the key never says more than was decided."""
    return (
        ("Agreed", "reviewed and agreed, and signed off by the board" if signed_off
         else "reviewed and agreed for the board, which has not yet signed it off"),
        ("Draft", "answered this year, not yet agreed"),
        (STAGES[NEEDS_REVIEW], "last year's answer, not yet reviewed this year (scores that count it are "
                               "provisional)"),
        ("Not started", "not yet answered"),
    )


class _States:
    """The answer-state counts a domain and the whole assessment share."""

    agreed: int
    drafts: int
    awaiting_review: int
    not_started: int

    def state_counts(self) -> tuple[tuple[str, int], ...]:
        """(label, count) for each state, in STATES order, zeros included."""
        return tuple((label, int(getattr(self, key))) for key, label in STATES)

    def states_text(self) -> str:
        """'0 agreed, 25 draft, 18 carried forward (needs review), 0 not started': every state, in order."""
        return ", ".join(f"{n} {_state_word(label)}" for label, n in self.state_counts())


def _state_word(label: str) -> str:
    return "carried forward (needs review)" if label == STAGES[NEEDS_REVIEW] else label.lower()


def is_gap(framework: Framework, q: Question, answer: Answer | None) -> bool:
    if answer is None or answer.rating is None:
        return False
    try:
        return framework.scale_for(q).is_gap(answer.rating)
    except Exception:  # a rating no longer on the scale is neither
        return False


def is_strength(framework: Framework, q: Question, answer: Answer | None) -> bool:
    """Rated in the top two levels (and at least the second) and not a gap."""
    if answer is None or answer.rating is None:
        return False
    scale = framework.scale_for(q)
    try:
        number = scale.number_of(answer.rating)
    except ValueError:
        return False
    return not is_gap(framework, q, answer) and number >= max(2, len(scale.levels) - 1)


@dataclass(frozen=True)
class TargetFigures:
    """Where a domain stands against the board's target level for it. Met only when the domain's
    score reaches the level; a date passed without reaching it is missed, never met."""

    level: str  # the target level's label
    level_key: str
    by: str  # YYYY-MM-DD
    met: bool | None  # None while the domain has no score
    gap: float | None  # the target level's score less the domain's mean, on the scale (0 when met)
    overdue: bool  # missed: the date has passed and the score has not reached it (scored or not)
    provisional: bool = False  # met on a score that still counts answers carried forward, not yet reviewed

    @property
    def missed(self) -> bool:
        return self.overdue

    def status_text(self) -> str:
        """'met', 'met (provisional)', '0.6 below', 'not scored yet' or 'date passed, not reached (0.6 below)'."""
        if self.met:
            return "met" + (" (provisional: counts answers not yet reviewed)" if self.provisional else "")
        short = "not scored" if self.met is None else f"{number_text(round(self.gap or 0, 1))} below"
        if self.overdue:
            return f"date passed, not reached ({short})"
        return "not scored yet" if self.met is None else short

    def text(self) -> str:
        """'target Established by 31 March 2027: met', or how far short it is, or that it was missed."""
        from datetime import date as _date

        d = _date.fromisoformat(self.by)
        return f"target {self.level} by {d.day} {d:%B %Y}: {self.status_text()}"

    def to_json(self) -> dict[str, Any]:
        return {"level": self.level_key, "label": self.level, "by": self.by, "met": self.met,
                "gap": None if self.gap is None else round(self.gap, 4), "missed": self.overdue}


def domain_scale(framework: Framework, domain_id: str) -> Scale:
    """The scale most of a domain's questions use: the one its target level is on."""
    from collections import Counter

    d = framework.domain(domain_id)
    used = Counter(q.scale_id for q in d.questions) or Counter([framework.default_scale])
    return framework.scale(used.most_common(1)[0][0])


def target_record(targets: Mapping[str, Mapping[str, str]], domain: Domain) -> Mapping[str, str] | None:
    """A domain's target: its own, or (a copy for one service) the one set for the whole domain."""
    return targets.get(domain.id) or targets.get(domain.framework_id)


def targets_of(framework: Framework, scores: Scores, targets: Mapping[str, Mapping[str, str]],
               today: date | None) -> dict[str, TargetFigures]:
    """Each domain with a target, against it: met when the domain's mean reaches the level's score.
    The regulator's import works these out from the same function, so both sides agree."""
    out: dict[str, TargetFigures] = {}
    for d, ds in zip(framework.domains, scores.domains, strict=True):
        rec = target_record(targets, d)
        if not rec:
            continue
        scale = domain_scale(framework, d.id)
        try:
            level = scale.level(rec["level"])
        except Exception:
            continue  # a level no longer on the scale: the target is shown nowhere rather than wrongly
        mean = ds.mean_score
        met = None if mean is None else mean >= level.score - 1e-9
        gap = None if mean is None else max(0.0, level.score - mean)
        # Missed once the date has passed without the score reaching it: an unscored domain too.
        overdue = bool(not met and today is not None and rec["by"] < today.isoformat())
        provisional = bool(met and ds.needs_review)
        out[d.id] = TargetFigures(level.label, level.key, rec["by"], met, gap, overdue, provisional)
    return out


@dataclass(frozen=True)
class DomainFigures(_States):
    id: str
    ref: str
    title: str
    questions: int
    answered: int  # rated or N/A this year (draft or agreed): carried-forward answers not yet reviewed are not
    agreed: int
    drafts: int
    awaiting_review: int  # carried forward from last year, not yet reviewed
    not_applicable: int  # among the answered
    not_started: int
    percent: int | None  # whole percent, half up
    exact_percent: float | None
    level: str | None
    provisional: bool  # the score counts answers awaiting review
    previous_percent: int | None
    change: int | None  # points, between the whole percents shown (so 48% against 43% is +5)
    strengths: tuple[str, ...]  # question ids, reviewed answers only
    gaps: tuple[str, ...]  # question ids, reviewed answers only
    target: TargetFigures | None = None  # the board's target level for the domain, and the gap to it

    @property
    def score_rests_on(self) -> str:
        """The state the domain's score rests on, as the board report's chart and the dashboard mark it:
        'provisional' (it counts answers carried forward, not yet reviewed), 'draft' (some answers
        still draft) or 'agreed' (every answer it counts agreed)."""
        return "provisional" if self.provisional else "draft" if self.drafts else "agreed"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "ref": self.ref, "title": self.title, "questions": self.questions,
            "answered": self.answered, "agreed": self.agreed, "drafts": self.drafts,
            "awaiting_review": self.awaiting_review, "not_applicable": self.not_applicable,
            "not_started": self.not_started, "score_percent": self.percent, "level": self.level,
            "provisional": self.provisional, "previous_score_percent": self.previous_percent,
            "change_points": self.change, "target": self.target.to_json() if self.target else None,
        }


@dataclass(frozen=True)
class TotalFigures:
    """The framework's own total (EDS 2022: the sum of eleven outcome scores, out of 33) and its band.

    Question scores are the levels' own scores, unweighted. A band is named only once every
    question the total counts is answered: a part-total in a band would say more than the record."""

    label: str
    method: str  # "sum" or "mean"
    value: float | None  # None until a question it counts is scored
    out_of: float  # the highest it can be, over the questions counted
    questions: int  # the questions it counts
    answered: int  # of those, rated or N/A
    scored: int  # of those, counted in the value
    band: str | None
    provisional: bool  # counts answers carried forward and not yet reviewed
    meaning: str = ""  # the framework's words for what the total means

    @property
    def complete(self) -> bool:
        return self.answered == self.questions

    def value_text(self) -> str:
        if self.value is None:
            return "–"
        return number_text(round(self.value, 1) if self.method == "mean" else self.value)

    def text(self) -> str:
        """'EDS 2022 score: 22 of 33 (Achieving)', or how far it has got while questions are open."""
        head = f"{self.label}: {self.value_text()} of {number_text(self.out_of)}"
        if self.value is None:
            return f"{self.label}: not scored yet (0 of {self.questions} scored)"
        if not self.complete:
            return f"{head} so far ({self.answered} of {self.questions} answered; a band once all are answered)"
        return head + (f" ({self.band}" + ("; provisional" if self.provisional else "") + ")" if self.band else
                       (" (provisional)" if self.provisional else ""))

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "method": self.method,
                "value": None if self.value is None else round(float(self.value), 4),
                "out_of": float(self.out_of), "questions": self.questions, "answered": self.answered,
                "scored": self.scored, "band": self.band, "provisional": self.provisional}


def total_of(framework: Framework, answers: Mapping[str, Answer]) -> TotalFigures | None:
    """The framework's total over the domains it names, or None when it declares none.

    A question rated per service counts once: its services' scores rolled up as the framework
    says (their mean, or the lowest), and it is answered when every named service is, and at
    least as many services are named as the framework asks."""
    total = framework.total
    if total is None:
        return None
    # Each question of the framework's own, with the scores of its copies (one a service).
    groups: dict[str, list[float | None]] = {}
    highs: dict[str, float] = {}
    roll: dict[str, str] = {}
    short: set[str] = set()  # questions of a domain with fewer services than it needs
    provisional = False
    named: dict[str, int] = {}
    for d in framework.domains:
        if d.framework_id in total.domain_ids and d.rated_per:
            named[d.framework_id] = named.get(d.framework_id, 0) + (1 if d.questions else 0)
    for d in framework.domains:
        if d.framework_id not in total.domain_ids:
            continue
        for q in d.questions:
            key = q.framework_id
            scale = framework.scale_for(q)
            highs[key] = scale.max_score
            roll[key] = d.roll_up
            if d.rated_per and named.get(d.framework_id, 0) < d.at_least:
                short.add(key)
            values = groups.setdefault(key, [])
            a = answers.get(q.id)
            raw: float | None = None
            if a is not None and a.is_answered:
                if a.is_na:
                    raw = scale.min_score if framework.na_scoring != "exclude" else float("nan")
                else:
                    try:
                        raw = scale.level(a.rating or "").score
                    except Exception:
                        raw = None  # a rating no longer on the scale is shown, not scored
                provisional = provisional or (a.state == NEEDS_REVIEW and raw is not None)
            values.append(raw)
    # A domain rated per service with no service named has no copies: its questions still count.
    for d in framework.domains:
        if d.framework_id in total.domain_ids and d.rated_per and not d.questions:
            base = next((x for x in framework.data()["domains"] if x["id"] == d.framework_id), None)
            for q in (base or {}).get("questions", ()):
                groups.setdefault(q["id"], [None])
                highs.setdefault(q["id"], framework.scale(q.get("scale", framework.default_scale)).max_score)
                short.add(q["id"])
    scored: list[float] = []
    out_of: list[float] = []
    answered = 0
    for key, values in groups.items():
        if values and all(v is not None for v in values) and key not in short:
            answered += 1
        present = [v for v in values if v is not None and v == v]  # NaN: N/A left out
        if not present:
            if values and all(v is not None for v in values):
                continue  # every copy N/A and N/A is left out: neither scored nor counted in out_of
            out_of.append(highs[key])
            continue
        scored.append(min(present) if roll.get(key) == "lowest" else sum(present) / len(present))
        out_of.append(highs[key])
    questions = len(groups)
    if total.method == "sum":
        value = sum(scored) if scored else None
        top = sum(out_of)
    else:
        value = sum(scored) / len(scored) if scored else None
        top = max(out_of, default=0.0)
    complete = answered == questions
    band = total.band(value) if value is not None and complete else None
    return TotalFigures(label=total.label, method=total.method, value=value, out_of=top, questions=questions,
                        answered=answered, scored=len(scored), band=band.label if band else None,
                        provisional=provisional and value is not None, meaning=framework.wording.total_meaning)


@dataclass(frozen=True)
class Figures(_States):
    questions: int
    answered: int
    agreed: int
    drafts: int
    awaiting_review: int
    not_applicable: int
    not_started: int
    percent: int | None
    exact_percent: float | None
    level: str | None
    provisional: bool
    previous_period: str | None
    previous_percent: int | None
    change: int | None
    domains: tuple[DomainFigures, ...]
    assurance: tuple[tuple[str, int], ...]  # (label, count) over the rated answers, most first; sums to `rated`
    actions_total: int
    actions_open: int
    actions_overdue: int
    actions_slipped: int
    actions_done: int
    overdue_by_owner: tuple[tuple[str, int], ...]
    signed_off: bool
    total: TotalFigures | None = None  # the framework's own total and band, where it declares one

    @property
    def targets_set(self) -> int:
        return sum(1 for d in self.domains if d.target)

    @property
    def targets_met(self) -> int:
        return sum(1 for d in self.domains if d.target and d.target.met)

    @property
    def targets_missed(self) -> int:
        """Targets whose date has passed without the score reaching them."""
        return sum(1 for d in self.domains if d.target and d.target.missed)

    def targets_text(self) -> str:
        """'Targets: 1 of 3 met, 1 missed (date passed, not reached)' (empty when the board has set none)."""
        if not self.targets_set:
            return ""
        late = self.targets_missed
        return (f"Targets: {self.targets_met} of {self.targets_set} met"
                + (f", {late} missed (date passed, not reached)" if late else ""))

    @property
    def rated(self) -> int:
        """Answered with a rating (not N/A): the answers the assurance counts count."""
        return self.answered - self.not_applicable

    @property
    def completeness(self) -> int | None:
        """Answered (and reviewed) as a whole percent of the questions."""
        return whole_percent(100 * self.answered / self.questions) if self.questions else 100

    @property
    def is_draft(self) -> bool:
        """Not signed off: every document is a draft for the board."""
        return not self.signed_off

    def domain(self, domain_id: str) -> DomainFigures:
        return next(d for d in self.domains if d.id == domain_id)

    def strongest_and_weakest(self) -> tuple[tuple[DomainFigures, ...], tuple[DomainFigures, ...]]:
        """The strongest and weakest domains, among those scored and fully reviewed; several when
        tied; both empty when fewer than two differ (then there is no strongest or weakest)."""
        ranked = [d for d in self.domains if d.percent is not None and not d.provisional]
        if len(ranked) < 2:
            return (), ()
        top = max(d.percent or 0 for d in ranked)
        bottom = min(d.percent or 0 for d in ranked)
        if top == bottom:
            return (), ()
        return tuple(d for d in ranked if d.percent == top), tuple(d for d in ranked if d.percent == bottom)

    def strongest_weakest_text(self) -> str:
        """One sentence the documents share: named only when they differ, ties said as ties."""
        strongest, weakest = self.strongest_and_weakest()
        if strongest:
            return f"Strongest: {_tied(strongest)}. Weakest: {_tied(weakest)}."
        ranked = [d for d in self.domains if d.percent is not None and not d.provisional]
        if len(ranked) >= 2:
            return f"All {len(ranked)} fully reviewed domains score {ranked[0].percent}%: there is no strongest or weakest."
        left = sum(1 for d in self.domains if d.provisional)
        if left:
            return (f"Strongest and weakest are not named while {left} domain{'s' if left != 1 else ''} "
                    "still count answers carried forward and not yet reviewed.")
        return ""

    def to_json(self) -> dict[str, Any]:
        """The figures as data: the same numbers `show --json`, `assessments --json` and the
        submission carry."""
        return {
            "questions": self.questions, "answered": self.answered, "agreed": self.agreed, "drafts": self.drafts,
            "awaiting_review": self.awaiting_review, "not_applicable": self.not_applicable,
            "not_started": self.not_started, "completeness_percent": self.completeness,
            "score_percent": self.percent, "level": self.level, "provisional": self.provisional,
            "previous_period": self.previous_period, "previous_score_percent": self.previous_percent,
            "change_points": self.change,
            # Keyed by assurance level, every level present, so the shape never changes.
            "assurance": {key: dict(self.assurance).get(label, 0) for key, label in ASSURANCE_LEVELS.items()},
            "actions": {"total": self.actions_total, "open": self.actions_open, "overdue": self.actions_overdue,
                        "slipped": self.actions_slipped, "done": self.actions_done},
            "signed_off": self.signed_off,
            "total": self.total.to_json() if self.total else None,
            "targets": {"set": self.targets_set, "met": self.targets_met, "missed": self.targets_missed},
            "domains": [d.to_json() for d in self.domains],
        }


def _tied(domains: tuple[DomainFigures, ...]) -> str:
    if len(domains) == 1:
        return f"{domains[0].title} ({domains[0].percent}%)"
    names = [d.title for d in domains]
    return ", ".join(names[:-1]) + " and " + names[-1] + f" (tied at {domains[0].percent}%)"


def _change(now: int | None, before: int | None) -> int | None:
    return None if now is None or before is None else now - before


def compute(framework: Framework, answers: Mapping[str, Answer], assessment: Assessment, *,
            previous: Scores | None = None, previous_period: str | None = None,
            actions: action_rules.ActionSummary | None = None, today: date | None = None,
            scores: Scores | None = None) -> Figures:
    """The figures of one assessment from its answers (keyed by question id) and live actions.
    scores: score(framework, answers), when the caller has worked them out already."""
    scores = score(framework, answers) if scores is None else scores
    targets = targets_of(framework, scores, assessment.targets, today)
    prev = {d.domain_id: d for d in previous.domains} if previous else {}
    domains: list[DomainFigures] = []
    assurance: dict[str, int] = {}
    for d, ds in zip(framework.domains, scores.domains, strict=True):
        counts = {"not_started": 0, DRAFT: 0, AGREED: 0, NEEDS_REVIEW: 0}
        na = 0
        strengths: list[str] = []
        gaps: list[str] = []
        for q in d.questions:
            a = answers.get(q.id)
            stage = answer_stage(a)
            counts[stage] += 1
            if a is None or stage in ("not_started", NEEDS_REVIEW):
                continue
            if a.is_na:
                na += 1
                continue
            label = ASSURANCE_LEVELS.get(a.assurance, a.assurance)
            assurance[label] = assurance.get(label, 0) + 1
            if is_strength(framework, q, a):
                strengths.append(q.id)
            elif is_gap(framework, q, a):
                gaps.append(q.id)
        p = prev.get(d.id)
        now = whole_percent(ds.percent)
        before = whole_percent(p.percent) if p else None
        domains.append(DomainFigures(
            id=d.id, ref=d.ref, title=d.title, questions=len(d.questions),
            answered=counts[DRAFT] + counts[AGREED], agreed=counts[AGREED], drafts=counts[DRAFT],
            awaiting_review=counts[NEEDS_REVIEW], not_applicable=na, not_started=counts["not_started"],
            percent=now, exact_percent=ds.percent, level=ds.level_label,
            provisional=counts[NEEDS_REVIEW] > 0 and now is not None,
            previous_percent=before, change=_change(now, before), strengths=tuple(strengths), gaps=tuple(gaps),
            target=targets.get(d.id),
        ))
    now = whole_percent(scores.percent)
    before = whole_percent(previous.percent) if previous else None
    act = actions or action_rules.ActionSummary(0, 0, 0, 0, 0, {}, [])
    return Figures(
        questions=scores.questions,
        answered=sum(d.answered for d in domains), agreed=sum(d.agreed for d in domains),
        drafts=sum(d.drafts for d in domains), awaiting_review=sum(d.awaiting_review for d in domains),
        not_applicable=sum(d.not_applicable for d in domains), not_started=sum(d.not_started for d in domains),
        percent=now, exact_percent=scores.percent, level=scores.level_label,
        provisional=any(d.provisional for d in domains),
        previous_period=previous_period, previous_percent=before, change=_change(now, before),
        domains=tuple(domains),
        assurance=tuple(sorted(assurance.items(), key=lambda kv: (-kv[1], kv[0]))),
        actions_total=act.total, actions_open=act.open, actions_overdue=act.overdue, actions_slipped=act.slipped,
        actions_done=act.done, overdue_by_owner=tuple(act.overdue_by_owner),
        signed_off=assessment.status in FROZEN_STATUSES and assessment.signoff is not None,
        total=total_of(framework, answers),
    )


"""Rating rounds: each board member rates on their own, and the board sees where it disagrees.

A round belongs to an assessment. It names its raters (name, role), the domains asked, whether
it is anonymous, and a closing date. Each rater's ratings are kept per question (level, optional
comment) in their own table: they never touch the board's agreed answer, which stays the one
answer and is set by the board (Workspace.answer, with a rationale where it leaves the median).

The spread of a question is computed here, once, for the app, the CLI, the documents and the
submission alike. Levels are compared by their place on the question's scale (1 = lowest).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import framework as fw
from .audit import Change
from .errors import Hint, InvalidInput, NotFound, Refused
from .model import (
    AGREED,
    ANSWER_STATES,
    Assessment,
    Record,
    check_choice,
    check_text,
    new_id,
    parse_date,
    short,
)

if TYPE_CHECKING:
    from .workspace import Workspace

ROUNDS, RATINGS, RESPONSES = "rounds", "ratings", "round_responses"
BOARD, STAKEHOLDER = "board", "stakeholder"
ROUND_KINDS = {BOARD: "Board", STAKEHOLDER: "Stakeholder"}
IN_TURN, PACK = "in_turn", "pack"  # how a rating reached the store
MAX_RATERS = 200
MAX_COMMENT = 5000


@dataclass(frozen=True)
class Rater(Record):
    id: str
    name: str
    role: str
    token_sha256: str = ""  # the hash of the one-time token in this rater's pack ("" when rating in turn)
    pack_sha256: str = ""  # the payload hash of the pack sent to them
    removed_at: str | None = None
    removed_reason: str = ""
    key_fingerprint: str = ""  # the key that signed the response imported for this rater
    response_sha256: str = ""  # that response's payload hash

    @property
    def active(self) -> bool:
        return self.removed_at is None


@dataclass(frozen=True)
class Round(Record):
    id: str
    assessment_id: str
    kind: str  # board | stakeholder
    raters: tuple[Rater, ...]
    domain_ids: tuple[str, ...]  # the domains asked, in the framework's order
    anonymous: bool
    closes: str | None
    opened_at: str
    opened_by: str

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> Round:
        return cls(id=data["id"], assessment_id=data["assessment_id"], kind=data["kind"],
                   raters=tuple(Rater.from_record(r) for r in data["raters"]), domain_ids=tuple(data["domain_ids"]),
                   anonymous=bool(data["anonymous"]), closes=data.get("closes"), opened_at=data["opened_at"],
                   opened_by=data["opened_by"])

    @property
    def active_raters(self) -> tuple[Rater, ...]:
        return tuple(r for r in self.raters if r.active)

    def rater(self, handle: str) -> Rater:
        """A rater by id, or by name as typed (case and surrounding spaces ignored)."""
        text = (handle or "").strip()
        for r in self.raters:
            if r.id == text or r.name.lower() == text.lower():
                return r
        raise NotFound(f"this round has no rater '{text}'")

    def label(self, rater: Rater, number: int | None = None) -> str:
        """How a rater is shown: by name, or in an anonymous round by number only."""
        if not self.anonymous:
            return f"{rater.name} ({rater.role})" if rater.role else rater.name
        n = number if number is not None else [r.id for r in self.raters].index(rater.id) + 1
        return f"Rater {n}"

    def is_closed(self, today: str) -> bool:
        return self.closes is not None and today > self.closes


@dataclass(frozen=True)
class Rating(Record):
    id: str
    round_id: str
    rater_id: str
    question_id: str
    level: str
    comment: str = ""
    recorded_at: str = ""
    recorded_by: str = ""
    source: str = IN_TURN


@dataclass(frozen=True)
class QuestionSpread:
    """How one question's ratings spread. Counts are in the scale's order, levels by key."""

    question_id: str
    ref: str
    domain_id: str
    n: int
    counts: dict[str, int]
    median: str | None  # a level key; the lower middle when n is even, so the middle view never rounds up
    range: int  # in levels: highest place minus lowest place on the scale
    divergent: bool
    modal_share: float  # the share of raters holding the most-chosen level

    def to_json(self) -> dict[str, Any]:
        return {"ref": self.ref, "question_id": self.question_id, "n": self.n, "counts": dict(self.counts),
                "median": self.median, "range": self.range, "divergent": self.divergent}


@dataclass(frozen=True)
class Spread:
    round: Round
    questions: tuple[QuestionSpread, ...]  # most divergent first
    returned: tuple[Rater, ...]  # active raters with at least one rating
    waiting: tuple[Rater, ...]  # active raters who have not yet returned

    def of(self, question_id: str) -> QuestionSpread | None:
        return next((q for q in self.questions if q.question_id == question_id), None)

    def divergent(self) -> list[QuestionSpread]:
        return [q for q in self.questions if q.divergent]


def question_spread(scale: fw.Scale, question: fw.Question, levels: Iterable[str]) -> QuestionSpread:
    """The spread of one question's levels: counts, the median level, the range, divergent or not.

    Divergent: the ratings span two levels or more, or no level is held by half the raters."""
    keys = scale.level_keys()
    chosen = sorted(keys.index(k) for k in levels)
    n = len(chosen)
    counts = {k: c for k in keys if (c := chosen.count(keys.index(k)))}
    if not n:
        return QuestionSpread(question.id, question.ref, question.domain_id, 0, {}, None, 0, False, 0.0)
    median = keys[chosen[(n - 1) // 2]]
    spread = chosen[-1] - chosen[0]
    top = max(counts.values())
    return QuestionSpread(question.id, question.ref, question.domain_id, n, counts, median, spread,
                          spread >= 2 or top * 2 < n, top / n)


def spread_of(framework: fw.Framework, round_: Round, ratings: Iterable[Rating]) -> Spread:
    """The spread of every question asked, from the active raters' ratings, most divergent first."""
    active = {r.id for r in round_.active_raters}
    by_question: dict[str, list[str]] = {}
    returned: set[str] = set()
    for r in ratings:
        if r.rater_id in active and framework.has_question(r.question_id):
            by_question.setdefault(r.question_id, []).append(r.level)
            returned.add(r.rater_id)
    rows = []
    order = {q.id: i for i, q in enumerate(asked(framework, round_))}
    for q in asked(framework, round_):
        scale = framework.scale_for(q)
        rows.append(question_spread(scale, q, [lv for lv in by_question.get(q.id, []) if lv in scale.level_keys()]))
    rows.sort(key=lambda s: (not s.divergent, -s.range, s.modal_share if s.n else 2.0, order[s.question_id]))
    return Spread(round_, tuple(rows), tuple(r for r in round_.active_raters if r.id in returned),
                  tuple(r for r in round_.active_raters if r.id not in returned))


def asked(framework: fw.Framework, round_: Round) -> list[fw.Question]:
    """The questions a round asks, in the framework's order."""
    wanted = set(round_.domain_ids)
    return [q for d in framework.domains if d.id in wanted for q in d.questions]


def token_hash(token: str) -> str:
    """The store keeps only the hash of a rater's one-time token: a copy of the store cannot rate."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# --- reading and changing rounds through the workspace ----------------------------------------


def rounds_of(ws: Workspace, assessment_id: str) -> list[Round]:
    return sorted((Round.from_record(r) for r in ws.repo.find(ROUNDS, assessment_id=assessment_id)),
                  key=lambda r: (r.opened_at, r.id))


def get_round(ws: Workspace, handle: str) -> Round:
    return Round.from_record(ws.by_handle(ROUNDS, handle, "rating round",
                                          Hint("see the rounds", command="selfassess round show ASSESSMENT")))


def current_round(ws: Workspace, assessment: Assessment, handle: str | None = None, kind: str | None = None) -> Round:
    """The round named, else the assessment's latest (of that kind, when given)."""
    if handle:
        found = get_round(ws, handle)
        if found.assessment_id != assessment.id:
            raise InvalidInput(f"round {short(found.id)} belongs to another assessment, not {short(assessment.id)}")
        return found
    rounds = [r for r in rounds_of(ws, assessment.id) if kind is None or r.kind == kind]
    if not rounds:
        raise NotFound(f"the {assessment.period} assessment has no rating round",
                       hint=Hint("open one", command=f"selfassess round open {short(assessment.id)} --rater \"Name|Role\" --out DIR",
                                 key="R (Rating round) on the home screen"))
    return rounds[-1]


def ratings_of(ws: Workspace, round_id: str, rater_id: str | None = None) -> list[Rating]:
    found = ws.repo.find(RATINGS, round_id=round_id, rater_id=rater_id) if rater_id else ws.repo.find(RATINGS, round_id=round_id)
    return sorted((Rating.from_record(r) for r in found), key=lambda r: (r.rater_id, r.question_id))


def spread(ws: Workspace, round_: Round) -> Spread:
    assessment = ws.assessment(round_.assessment_id)
    return spread_of(ws.framework(assessment), round_, ratings_of(ws, round_.id))


def latest_spread(ws: Workspace, assessment: Assessment, kind: str) -> Spread | None:
    """The spread of the assessment's latest round of this kind with any ratings: what its documents show.
    Kept while the store stands (every answer save compares with the board's median): a change to a
    round or a rating forgets it, as any table the workspace's kept reads do not map does."""
    def read() -> Spread | None:
        for r in reversed(rounds_of(ws, assessment.id)):
            if r.kind == kind and ws.repo.find(RATINGS, round_id=r.id):
                return spread(ws, r)
        return None
    return ws._read(f"spread.{kind}", assessment.id, read)


def board_spread(ws: Workspace, assessment: Assessment) -> Spread | None:
    """The board round the documents show; its median is the one the consensus rule compares with."""
    return latest_spread(ws, assessment, BOARD)


def counts_in_order(scale: fw.Scale, row: QuestionSpread) -> tuple[int, ...]:
    """How many chose each level, every level of the scale in order, none left out (so 1·3·2·0 reads by place)."""
    return tuple(row.counts.get(k, 0) for k in scale.level_keys())


def grades_text(scale: fw.Scale, row: QuestionSpread) -> str:
    """'Developing (median of 6; 1·3·2·0)': the median level, how many graded, the count per level in scale order."""
    if not row.median:
        return "not graded"
    return f"{scale.level(row.median).label} (median of {row.n}; {'·'.join(map(str, counts_in_order(scale, row)))})"


def counts_words(scale: fw.Scale, row: QuestionSpread) -> str:
    """'Emerging 0 · Developing 1 · Established 2 · Leading 1': every level by its label, in the scale's order."""
    return " · ".join(f"{level.label} {row.counts.get(level.key, 0)}" for level in scale.levels)


def spread_words(scale: fw.Scale, row: QuestionSpread) -> str:
    """The median and the range in words: 'median Established; from Developing to Leading, 2 levels apart'."""
    if not row.median:
        return "not rated yet"
    rated = [k for k in scale.level_keys() if row.counts.get(k)]
    median = f"median {scale.level(row.median).label}"
    if row.range == 0:
        return f"{median}; {'all' if row.n > 1 else 'the one rater'} chose {scale.level(rated[0]).label}"
    apart = "1 level apart" if row.range == 1 else f"{row.range} levels apart"
    return f"{median}; from {scale.level(rated[0]).label} to {scale.level(rated[-1]).label}, {apart}"


def divided_words(row: QuestionSpread) -> str:
    """Why a question counts as one the board was divided on ('' when it was not)."""
    if not row.divergent:
        return ""
    if row.range >= 2:
        return f"the ratings are {row.range} levels apart"
    return "no level was chosen by half the raters"


@dataclass(frozen=True)
class Graded:
    """One question's stakeholder grades beside the organisation's own rating. Counts only, never who."""

    row: QuestionSpread
    text: str  # grades_text
    median_label: str
    rating: str | None  # the organisation's level key, as its answer holds it (draft or agreed: see state)
    rating_label: str
    state: str

    @property
    def rating_words(self) -> str:
        """The organisation's rating as every view shows it: never more than the board decided."""
        if not self.rating:
            return "not rated"
        return self.rating_label + ("" if self.state == AGREED else f" ({ANSWER_STATES.get(self.state, self.state).lower()})")

    def to_json(self) -> dict[str, Any]:
        return {"ref": self.row.ref, "question_id": self.row.question_id, "rating": self.rating,
                "rating_label": self.rating_label or None, "state": self.state or None,
                "stakeholder": {"n": self.row.n, "counts": dict(self.row.counts), "median": self.row.median,
                                "median_label": self.median_label}}


@dataclass(frozen=True)
class StakeholderGrades:
    """The latest stakeholder round's grades, question by question in the framework's order (graded ones only)."""

    round: Round
    raters: int
    returned: int
    questions: tuple[Graded, ...]

    def of(self, question_id: str) -> Graded | None:
        return next((g for g in self.questions if g.row.question_id == question_id), None)

    def to_json(self) -> dict[str, Any]:
        return {"round": self.round.id, "raters": self.raters, "returned": self.returned,
                "questions": [g.to_json() for g in self.questions]}


def stakeholder_grades(ws: Workspace, assessment: Assessment) -> StakeholderGrades | None:
    """What the EDS guidance asks for: stakeholders' grades beside the organisation's rating. The same
    spread as a board round's; it never asks the board for a rationale (board_spread alone does)."""
    found = latest_spread(ws, assessment, STAKEHOLDER)
    if found is None:
        return None
    framework = ws.framework(assessment)
    answers = ws.answers(assessment.id)
    order = {q.id: i for i, q in enumerate(framework.questions())}
    rows: list[Graded] = []
    for row in sorted((r for r in found.questions if r.n), key=lambda r: order.get(r.question_id, len(order))):
        scale = framework.scale_for(framework.question(row.question_id))
        answer = answers.get(row.question_id)
        rating = answer.rating if answer and answer.rating in scale.level_keys() else None
        rows.append(Graded(row, grades_text(scale, row), scale.level(row.median).label if row.median else "",
                           rating, scale.level(rating).label if rating else "", answer.state if answer else ""))
    return StakeholderGrades(found.round, len(found.round.active_raters), len(found.returned), tuple(rows))


def median_for(ws: Workspace, assessment: Assessment, question_id: str) -> tuple[str | None, QuestionSpread | None]:
    """The raters' median level on a question in the board round the documents show, if any rated it."""
    found = board_spread(ws, assessment)
    row = found.of(question_id) if found else None
    return (row.median if row and row.n else None), row


def parse_rater(text: str) -> tuple[str, str]:
    """'Name|Role' as typed on the command line."""
    name, _, role = text.partition("|")
    name = check_text(name, "rater name", required=True, max_length=200)
    return name, check_text(role, f"the role of {name}", max_length=200)


# What binds each rater to their pack: rater id -> (one-time token, pack payload SHA-256).
Binder = Callable[["Round"], dict[str, tuple[str, str]]]


def open_round(ws: Workspace, assessment_handle: str, raters: list[tuple[str, str]], *, domains: Iterable[str] = (),
               anonymous: bool | None = None, closes: str | None = None, kind: str = BOARD, bind: Binder | None = None) -> Round:
    """Open a rating round: its raters, the domains asked (all when none are named), its closing date.
    A stakeholder round is anonymous unless asked otherwise (anonymous=False); a board round is named.

    bind, when given, writes each rater's pack before anything is recorded (submission/rating_packs.py);
    if it fails, no round is recorded, and a pack without its round is refused when it comes back."""
    assessment = ws.assessment(assessment_handle)
    ws._editable(assessment)
    framework = ws.framework(assessment)
    kind = check_choice(kind, ROUND_KINDS, "round kind")
    anonymous = kind == STAKEHOLDER if anonymous is None else anonymous
    if not raters:
        raise InvalidInput("a rating round needs at least one rater",
                           hint=Hint("name each one with their role", command="--rater \"Name|Role\""))
    if len(raters) > MAX_RATERS:
        raise InvalidInput(f"{len(raters)} raters is more than a round can hold ({MAX_RATERS})")
    people: list[Rater] = []
    for name, role in raters:
        name = check_text(name, "rater name", required=True, max_length=200)
        if any(p.name.lower() == name.lower() for p in people):
            raise InvalidInput(f"{name} is named twice, expected each rater once")
        people.append(Rater(new_id(), name, check_text(role, f"the role of {name}", max_length=200)))
    wanted: list[str] = []
    for d in domains:
        found = next((x for x in framework.domains if d.strip() in (x.id, x.ref)), None)
        if found is None:
            raise NotFound(f"{framework.title} has no domain '{d.strip()}', expected one of: "
                           + ", ".join(x.ref for x in framework.domains))
        wanted.append(found.id)
    domain_ids = tuple(x.id for x in framework.domains if not wanted or x.id in wanted)
    closing = parse_date(closes, "closing date").isoformat() if closes else None
    if closing is not None and closing < ws.today().isoformat():
        raise InvalidInput(f"the closing date {closing} has already passed, expected today or later")
    round_ = Round(new_id(), assessment.id, kind, tuple(people), domain_ids, anonymous, closing, ws.clock.now(), ws.actor)
    if bind is not None:
        bound = bind(round_)
        round_ = round_.replace(raters=tuple(r.replace(token_sha256=token_hash(bound[r.id][0]), pack_sha256=bound[r.id][1])
                                             for r in round_.raters))
    who = f"{len(people)} raters" if anonymous else ", ".join(round_.label(p) for p in people)
    ws.commit("round.open", f"{ROUND_KINDS[kind].lower()} rating round {short(round_.id)} on {assessment.period}: {who}"
              + (", anonymous" if anonymous else "") + (f", closes {closing}" if closing else ""),
              [Change(ROUNDS, round_.id, None, round_.to_record())])
    return round_


def remove_rater(ws: Workspace, round_handle: str, rater_handle: str, reason: str) -> Round:
    """Take a rater out of a round: their ratings stay on record but leave the spread; no response of theirs is taken."""
    round_ = get_round(ws, round_handle)
    rater = round_.rater(rater_handle)
    if not rater.active:
        raise Refused(f"{round_.label(rater)} was already removed from this round")
    reason = check_text(reason, "the reason for removing a rater", required=True, max_length=2000)
    updated = round_.replace(raters=tuple(r.replace(removed_at=ws.clock.now(), removed_reason=reason) if r.id == rater.id else r
                                          for r in round_.raters))
    ws.commit("round.remove_rater", f"{round_.label(rater)} removed from round {short(round_.id)}: {reason}",
              [Change(ROUNDS, round_.id, round_.to_record(), updated.to_record())])
    return updated


def _check_open(ws: Workspace, round_: Round, rater: Rater, *, today: bool = True) -> Assessment:
    """A rating may be recorded: the assessment is open, the rater still in the round, the round
    not closed (a response is judged by the day it was made, so one returned in time is taken after)."""
    assessment = ws.assessment(round_.assessment_id)
    ws._editable(assessment)
    if not rater.active:
        raise Refused(f"{round_.label(rater)} was removed from this round ({rater.removed_reason}); nothing was recorded")
    if today and round_.is_closed(ws.today().isoformat()):
        raise Refused(f"round {short(round_.id)} closed on {round_.closes}; nothing was recorded")
    return assessment


def level_key(scale: fw.Scale, question: fw.Question, text: str) -> str:
    """A level as typed (key, label or digit), refused when it is not on the question's scale.

    A digit is read as the app's keys read it: a score on a scale from 0 (EDS 2022: 1 is Developing),
    else a place from 1 (the board's scale: 1 is the lowest level)."""
    value = str(text).strip()
    if value in scale.level_keys():
        return value
    if value.isascii() and value.isdigit() and len(value) <= 3 and (by_digit := scale.level_by_digit(int(value))):
        return by_digit.key
    by_label = scale.key_of_label(value)
    if by_label is not None:
        return by_label
    choices = ", ".join(f"{scale.digit_of(lv.key)} {lv.key}" for lv in scale.levels)
    raise InvalidInput(f"'{value[:60]}' is not a level on the {scale.title} scale of {question.ref}, expected one of: {choices}")


def rate(ws: Workspace, round_handle: str, rater_handle: str, question: str, level: str | None, comment: str = "") -> Rating | None:
    """One rater's rating of one question, on this machine (rate in turn). level None clears it."""
    round_ = get_round(ws, round_handle)
    rater = round_.rater(rater_handle)
    assessment = _check_open(ws, round_, rater)
    framework = ws.framework(assessment)
    q = framework.question(question)
    if q.domain_id not in round_.domain_ids:
        raise Refused(f"round {short(round_.id)} does not ask {q.ref}")
    existing = ws.repo.find(RATINGS, round_id=round_.id, rater_id=rater.id, question_id=q.id)
    before = existing[0] if existing else None
    if level is None:
        if before is None:
            return None
        ws.commit("round.rate", f"{round_.label(rater)} cleared their rating of {q.ref}", [Change(RATINGS, before["id"], before, None)])
        return None
    key = level_key(framework.scale_for(q), q, level)
    text = check_text(comment, f"the comment on {q.ref}", max_length=MAX_COMMENT)
    rating = Rating(before["id"] if before else new_id(), round_.id, rater.id, q.id, key, text, ws.clock.now(), ws.actor, IN_TURN)
    if before is not None and Rating.from_record(before).replace(recorded_at="", recorded_by="") == rating.replace(recorded_at="", recorded_by=""):
        return Rating.from_record(before)
    ws.commit("round.rate", f"{round_.label(rater)} rated {q.ref}", [Change(RATINGS, rating.id, before, rating.to_record())])
    return rating


@dataclass(frozen=True)
class Returned:
    """A rater's response, checked and ready to record (built by submission/rating_packs.py)."""

    round_id: str
    rater_id: str
    token: str
    pack_sha256: str  # the pack it answers
    payload_sha256: str
    fingerprint: str
    responded_at: str
    ratings: tuple[tuple[str, str, str], ...]  # question id, level key, comment


def record_response(ws: Workspace, response: Returned, *, replace: bool = False) -> tuple[Round, int]:
    """Record a rater's response in one event, or nothing: every rating is checked first."""
    round_ = get_round(ws, response.round_id)
    rater = next((r for r in round_.raters if r.id == response.rater_id), None)
    if rater is None:
        raise Refused(f"the response is from someone who is not a rater of round {short(round_.id)}; nothing was recorded")
    assessment = _check_open(ws, round_, rater, today=False)
    if ws.repo.get(RESPONSES, response.payload_sha256) is not None:
        raise Refused(f"this response from {round_.label(rater)} was imported before (a replay); nothing was recorded")
    if (not rater.token_sha256 or token_hash(response.token) != rater.token_sha256
            or response.pack_sha256 != rater.pack_sha256):
        raise Refused(f"the response's token is not the one in the pack sent to {round_.label(rater)} "
                      "(an older pack, or another round's); nothing was recorded")
    if round_.closes is not None and response.responded_at[:10] > round_.closes:
        raise Refused(f"the response is dated {response.responded_at[:10]}, after the round closed on {round_.closes}; "
                      "nothing was recorded")
    if rater.response_sha256 and not replace:
        raise Refused(f"a response from {round_.label(rater)} was already imported; nothing was recorded",
                      hint=Hint("to take this one instead of it", command="selfassess round import ASSESSMENT RESPONSE --replace"))
    framework = ws.framework(assessment)
    asked_ids = {q.id for q in asked(framework, round_)}
    new: list[Rating] = []
    for qid, level, comment in response.ratings:
        if qid not in asked_ids:
            raise Refused(f"the response rates '{qid[:40]}', which round {short(round_.id)} does not ask; nothing was recorded")
        q = framework.question(qid)
        scale = framework.scale_for(q)
        if level not in scale.level_keys():
            raise Refused(f"the response rates {q.ref} '{level[:40]}', which is not a level on the {scale.title} scale; "
                          "nothing was recorded")
        new.append(Rating(new_id(), round_.id, rater.id, qid, level,
                          check_text(comment, f"the comment on {q.ref}", max_length=MAX_COMMENT),
                          ws.clock.now(), ws.actor, PACK))
    changes = [Change(RATINGS, r["id"], r, None) for r in ws.repo.find(RATINGS, round_id=round_.id, rater_id=rater.id)]
    changes += [Change(RATINGS, r.id, None, r.to_record()) for r in new]
    updated_rater = rater.replace(key_fingerprint=response.fingerprint, response_sha256=response.payload_sha256)
    updated = round_.replace(raters=tuple(updated_rater if r.id == rater.id else r for r in round_.raters))
    changes.append(Change(ROUNDS, round_.id, round_.to_record(), updated.to_record()))
    changes.append(Change(RESPONSES, response.payload_sha256,
                          None, {"id": response.payload_sha256, "round_id": round_.id, "rater_id": rater.id,
                                 "key_fingerprint": response.fingerprint, "responded_at": response.responded_at,
                                 "imported_at": ws.clock.now(), "replaced": rater.response_sha256 or None}))
    ws.commit("round.import", f"response from {round_.label(rater)} to round {short(round_.id)}: {len(new)} rating(s), "
              f"signed by key {response.fingerprint}" + (" (replacing the earlier one)" if rater.response_sha256 else ""),
              changes)
    return updated, len(new)

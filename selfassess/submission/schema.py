"""What a signed file may hold: every JSON document read back from outside, checked before use.

A signature proves who sent a file, never that its content is well-formed: a trust's own buggy
export, or a hostile one from a trust whose key is registered, is signed just as well. So every
document inside a bundle or a feedback file, and the bundle's header, is read here against a
strict schema (pydantic models: exact types, no extra keys, bounded lengths, sizes and numbers),
then against the framework it claims to be answered on (ratings on the question's own scale,
questions that exist, ids that agree). Only then is anything shown, stored or compared.

pydantic was chosen over jsonschema because the same declarations give typed objects to the
code that uses them, strict mode refuses the coercions that would let `true` pass as a number,
and its core is fast enough to check thousands of bundles (see bench/review.py).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from ..core import framework as fw
from ..core.errors import FrameworkError
from ..core.evidence import MAX_EVIDENCE, MAX_FILES
from ..core.model import (
    ACTION_STATUSES,
    ANSWER_STATES,
    ASSESSMENT_STATUSES,
    ASSURANCE_LEVELS,
    FROZEN_STATUSES,
    ORGANISATION_TYPES,
    PERIOD_RE,
)

MAX_TEXT = 100_000  # the same limit the workspace puts on typed text
MAX_NAME = 500
MAX_ANSWERS = 5_000
MAX_ACTIONS = 5_000
MAX_UPDATES = 5_000
MAX_SEQUENCE = 1_000_000  # a submission a year for a million years; 10**30 is an attack on the replay check
MAX_ITEMS = 10_000
MAX_RATERS = 200  # raters in one round
MAX_DEPTH = 64  # the deepest honest document is about 8 levels
MAX_EVIDENCE_FILES = MAX_FILES  # evidence files one submission lists
EVIDENCE_PREFIX = "evidence/"  # an included evidence file's name in the bundle: evidence/<sha256>


class Malformed(ValueError):
    """A document that is not what selfassess writes; the message says where and why."""


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("contains a NUL character")
    return value


def _iso_date(value: str) -> str:
    date.fromisoformat(value)
    return value


def _iso_time(value: str) -> str:
    datetime.fromisoformat(value)
    return value


def _period(value: str) -> str:
    m = PERIOD_RE.match(value)
    if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        raise ValueError("is not a financial year such as 2025/26")
    return value


def _choice(choices: dict[str, str] | tuple[str, ...]) -> Any:
    allowed = tuple(choices)

    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"is not one of: {', '.join(allowed)}")
        return value

    return AfterValidator(check)


Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$")]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT), AfterValidator(_no_nul)]
Name = Annotated[str, StringConstraints(max_length=MAX_NAME), AfterValidator(_no_nul)]
Required = Annotated[str, StringConstraints(min_length=1, max_length=MAX_NAME), AfterValidator(_no_nul)]
Day = Annotated[str, StringConstraints(max_length=10), AfterValidator(_iso_date)]
Moment = Annotated[str, StringConstraints(max_length=40), AfterValidator(_iso_time)]
MaybeMoment = Annotated[str, StringConstraints(max_length=40)]  # "" when never set
Period = Annotated[str, StringConstraints(max_length=7), AfterValidator(_period)]
Ods = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{0,10}$")]
Fingerprint = Annotated[str, StringConstraints(pattern=r"^SHA256:( ?[0-9A-F]{4}){8}$")]


class Strict(BaseModel):
    """Exact types (no `true` for 1, no "3" for 3), no keys selfassess does not write."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


# --- the bundle's header and manifest --------------------------------------------------------


class Header(Strict):
    format: Literal[1]
    payload_sha256: Sha256
    payload_size: int = Field(ge=0, le=64 * 1024 * 1024)
    public_key: Annotated[str, StringConstraints(min_length=44, max_length=44)]
    key_fingerprint: Fingerprint
    signature: Annotated[str, StringConstraints(min_length=88, max_length=88)]


class Manifest(Strict):
    files: dict[Annotated[str, StringConstraints(max_length=100)], Sha256] = Field(max_length=20 + MAX_EVIDENCE_FILES)


# --- submission.json -------------------------------------------------------------------------


class OrganisationDoc(Strict):
    id: Id
    name: Required
    ods_code: Ods = ""
    type: Annotated[str, _choice(ORGANISATION_TYPES)] = "acute"


class SignatoryDoc(Strict):
    name: Required
    role: Required


class SignOffDoc(Strict):
    signatories: list[SignatoryDoc] = Field(min_length=1, max_length=100)
    date: Day
    meeting: Name = ""
    recorded_by: Name
    recorded_at: Moment


class TargetDoc(Strict):
    level: Id
    by: Day
    set_by: Name = ""
    set_at: MaybeMoment = ""


class AssessmentDoc(Strict):
    id: Id
    organisation_id: Id
    framework_id: Id
    framework_version: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,39}$")]
    framework_hash: Sha256
    period: Period
    status: Annotated[str, _choice(ASSESSMENT_STATUSES)]
    created_at: Moment
    created_by: Name
    previous_id: Id | None = None
    version: int = Field(default=1, ge=1, le=10_000)
    signoff: SignOffDoc | None = None
    reopened_from: Id | None = None
    superseded_by: Id | None = None
    submitted_at: Moment | None = None
    # The services (or sites) a domain rated per service was held for.
    parts: dict[Literal["service", "site"], list[Required]] = Field(default_factory=dict, max_length=2)
    targets: dict[Id, TargetDoc] = Field(default_factory=dict, max_length=500)  # the board's targets by domain


class AnswerDoc(Strict):
    id: Id
    assessment_id: Id
    question_id: Id
    rating: Id | None = None
    na_reason: Text | None = None
    evidence: Text = ""
    notes: Text = ""
    assurance: Annotated[str, _choice(ASSURANCE_LEVELS)] = "self_asserted"
    state: Annotated[str, _choice(ANSWER_STATES)] = "draft"
    updated_by: Name = ""
    updated_at: MaybeMoment = ""
    carried_from: Id | None = None
    rationale: Text = ""  # why the agreed rating differs from the raters' median


class UpdateDoc(Strict):
    date: Day
    author: Name
    text: Text
    status: Annotated[str, _choice(ACTION_STATUSES)] | None = None
    due: Day | None = None
    owner: Name | None = None


class ActionDoc(Strict):
    id: Id
    assessment_id: Id
    ref: Annotated[str, StringConstraints(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9._-]+$")]
    title: Required
    owner: Name
    original_due: Day
    current_due: Day
    question_ids: list[Id] = Field(default_factory=list, max_length=200)
    description: Text = ""
    owner_role: Name = ""
    status: Annotated[str, _choice(ACTION_STATUSES)] = "not_started"
    dropped_reason: Text = ""
    created_at: MaybeMoment = ""
    created_by: Name = ""
    updates: list[UpdateDoc] = Field(default_factory=list, max_length=MAX_UPDATES)
    carried_from: Id | None = None
    origin: Annotated[str, _choice(("custom", "suggested"))] = "custom"


class AuditHead(Strict):
    seq: int = Field(ge=0, le=10**15)
    hash: Sha256


Count = Annotated[int, Field(ge=0, le=MAX_ANSWERS)]
Score = Annotated[float, Field(ge=-1e9, le=1e9, allow_inf_nan=False)]
Percent = Annotated[int, Field(ge=0, le=100)]
Points = Annotated[int, Field(ge=-100, le=100)]


class _Scored(Strict):
    """What a domain and the whole assessment both count and score."""

    questions: Count
    answered: Count
    agreed: Count
    drafts: Count
    awaiting_review: Count
    not_applicable: Count
    not_started: Count
    score_percent: Percent | None
    level: Name | None
    provisional: bool
    previous_score_percent: Percent | None
    change_points: Points | None


class DomainTargetDoc(Strict):
    level: Id
    label: Required
    by: Day
    met: bool | None
    gap: Score | None
    missed: bool | None = None  # the date had passed, not reached, on the day it was sent; absent before


class DomainFiguresDoc(_Scored):
    id: Id
    ref: Annotated[str, StringConstraints(max_length=20)]
    title: Required
    target: DomainTargetDoc | None = None  # the board's target for the domain; absent before targets


class TargetCountsDoc(Strict):
    set: Count
    met: Count
    missed: Count | None = None  # absent before missed targets were counted


class AssuranceDoc(Strict):
    self_asserted: Count
    evidenced: Count
    independently_verified: Count


class ActionCountsDoc(Strict):
    total: Annotated[int, Field(ge=0, le=MAX_ACTIONS)]
    open: Annotated[int, Field(ge=0, le=MAX_ACTIONS)]
    overdue: Annotated[int, Field(ge=0, le=MAX_ACTIONS)]
    slipped: Annotated[int, Field(ge=0, le=MAX_ACTIONS)]
    done: Annotated[int, Field(ge=0, le=MAX_ACTIONS)]


class TotalDoc(Strict):
    """The framework's own total and band (EDS 2022: out of 33), as the documents show it."""

    label: Required
    method: Literal["sum", "mean"]
    value: Score | None
    out_of: Score
    questions: Count
    answered: Count
    scored: Count
    band: Name | None
    provisional: bool


class FiguresDoc(_Scored):
    """The headline figures the trust's documents show (core/figures.py), as sent."""

    total: TotalDoc | None = None  # only where the framework declares a total; absent before it could
    targets: TargetCountsDoc | None = None  # absent before targets could be set

    completeness_percent: Percent
    previous_period: Period | None
    assurance: AssuranceDoc
    actions: ActionCountsDoc
    signed_off: bool
    domains: list[DomainFiguresDoc] = Field(max_length=500)


class BoardRatingsDoc(Strict):
    """One question's round (board or stakeholder): how many rated it and how many chose each level. No names."""

    question_id: Id
    n: int = Field(ge=1, le=MAX_RATERS)
    counts: dict[Id, Annotated[int, Field(ge=1, le=MAX_RATERS)]] = Field(min_length=1, max_length=50)


class EvidenceDoc(Strict):
    """One evidence file as the submission lists it: always its hash; the file itself only when included."""

    id: Id
    question_id: Id
    sha256: Sha256
    size: int = Field(ge=1, le=MAX_EVIDENCE)
    file_name: Required
    kind: Name
    title: Required
    effective: Day | None = None
    expires: Day | None = None
    added_by: Name = ""
    added_at: MaybeMoment = ""
    included: bool  # the file is in the bundle as evidence/<sha256>


# The indicator figures the documents show (core/indicators.py), as sent: suppressed groups carry no counts.
Dimension = Annotated[str, _choice(("deprivation", "ethnicity", "age", "sex"))]
Figure = Annotated[float, Field(allow_inf_nan=False)]
BigCount = Annotated[int, Field(ge=0, le=10**12)]


class IndicatorGroupDoc(Strict):
    group: Name
    numerator: BigCount | None
    denominator: BigCount | None
    value: Figure | None
    ci_low: Figure | None
    ci_high: Figure | None
    suppressed: bool

    @model_validator(mode="after")
    def _hidden_means_hidden(self) -> IndicatorGroupDoc:
        # Disclosure control: a suppressed group carries no figure a reader could use.
        if self.suppressed and any(v is not None for v in (self.numerator, self.denominator, self.value,
                                                             self.ci_low, self.ci_high)):
            raise ValueError("a suppressed group carries figures, expected none")
        return self


class IndicatorGapDoc(Strict):
    absolute: Figure | None
    relative: Figure | None
    wide: bool


class UnknownCodeDoc(Strict):
    dimension: Dimension
    code: Name
    rows: BigCount


class IndicatorSourceDoc(Strict):
    file: Name
    sha256: Sha256
    rows: BigCount


class IndicatorDoc(Strict):
    id: Id
    title: Name
    measure: Annotated[str, _choice(("count", "proportion", "crude_rate", "dsr"))]
    per: Figure | None
    period: Name | None
    reported: bool
    reason: Name | None
    total: IndicatorGroupDoc | None
    breakdowns: dict[Dimension, list[IndicatorGroupDoc]] = Field(max_length=4)
    not_stated: dict[Dimension, Figure | None] = Field(max_length=4)
    not_stated_flagged: list[Dimension] = Field(max_length=4)
    gap: IndicatorGapDoc | None
    missing_breakdowns: list[Dimension] = Field(max_length=4)
    unknown_codes: list[UnknownCodeDoc] = Field(max_length=MAX_ITEMS)
    source: IndicatorSourceDoc | None
    definition_unsure: bool


class IndicatorsDoc(Strict):
    set: Name
    indicators: list[IndicatorDoc] = Field(max_length=500)


class SubmissionDoc(Strict):
    format: Literal[1]
    created_at: Moment
    created_by: Name
    sequence: int = Field(ge=1, le=MAX_SEQUENCE)
    previous_submission: Sha256 | None
    organisation: OrganisationDoc
    assessment: AssessmentDoc
    answers: list[AnswerDoc] = Field(max_length=MAX_ANSWERS)
    actions: list[ActionDoc] = Field(max_length=MAX_ACTIONS)
    audit_head: AuditHead
    figures: FiguresDoc  # the figures its documents show: checked against its answers and actions
    carried_forward: list[Id] = Field(default_factory=list, max_length=MAX_ACTIONS)  # actions counted in a later year
    indicators: IndicatorsDoc | None = None  # information on health inequalities, when imported
    board_ratings: list[BoardRatingsDoc] = Field(default_factory=list, max_length=MAX_ANSWERS)  # a board round's spread
    # A stakeholder round's grades (EDS 2022 asks for them beside the organisation's): counts only, written when any
    stakeholder_grades: list[BoardRatingsDoc] = Field(default_factory=list, max_length=MAX_ANSWERS)
    evidence: list[EvidenceDoc] = Field(default_factory=list, max_length=MAX_EVIDENCE_FILES)  # written only when there is some


class FrameworkCopy(Strict):
    hash: Sha256
    data: dict[str, Any]


# --- feedback.json ---------------------------------------------------------------------------


class FeedbackItem(Strict):
    target: Literal["domain", "action"]
    target_id: Id
    label: Text
    verdict: Literal["accepted", "queried"]
    comment: Text = ""


class FeedbackDoc(Strict):
    format: Literal[1]
    submission: Sha256
    organisation: OrganisationDoc
    period: Period
    assessment_id: Id
    reviewer: Required
    reviewed_at: Moment
    items: list[FeedbackItem] = Field(min_length=1, max_length=MAX_ITEMS)


# --- rating packs and responses (core/rounds.py, submission/rating_packs.py) ------------------

Token = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{43}$")]  # secrets.token_urlsafe(32)


class PackRaterDoc(Strict):
    id: Id
    name: Required
    role: Name = ""


class PackQuestionDoc(Strict):
    """A question the rater is asked, with what the record holds on it so far."""

    question_id: Id
    evidence: Text = ""  # the evidence recorded so far, to rate against


class PackDoc(Strict):
    format: Literal[1]
    round_id: Id
    kind: Literal["board", "stakeholder"]
    assessment_id: Id
    organisation: Required
    period: Period
    framework_hash: Sha256
    rater: PackRaterDoc
    token: Token
    anonymous: bool
    closes: Day | None
    issued_at: Moment
    issued_by: Name
    questions: list[PackQuestionDoc] = Field(min_length=1, max_length=MAX_ANSWERS)
    # The services (or sites) of a domain rated per service: its questions are asked once per
    # service ('eds.services.access:maternity'), which the framework alone does not name.
    parts: dict[Literal["service", "site"], list[Required]] = Field(default_factory=dict, max_length=2)


class ResponseRatingDoc(Strict):
    question_id: Id
    level: Id
    comment: Text = ""


class ResponseDoc(Strict):
    format: Literal[1]
    round_id: Id
    assessment_id: Id
    rater_id: Id
    token: Token
    pack_sha256: Sha256
    responded_at: Moment
    ratings: list[ResponseRatingDoc] = Field(min_length=1, max_length=MAX_ANSWERS)


def check_pack(pack: PackDoc, framework: fw.Framework) -> None:
    """A pack's questions exist in the framework it carries, each once."""
    if pack.framework_hash != framework.content_hash:
        raise Malformed("pack.json names another framework than the one in the pack")
    framework = fw.with_parts(framework, {k: tuple(v) for k, v in pack.parts.items()})
    seen: set[str] = set()
    for i, q in enumerate(pack.questions):
        if q.question_id in seen or not framework.has_question(q.question_id):
            raise Malformed(f"pack.json: questions.{i}: '{q.question_id[:40]}' is not a question of "
                            f"{framework.key}, or is asked twice")
        seen.add(q.question_id)


def check_response(response: ResponseDoc) -> None:
    seen: set[str] = set()
    for i, r in enumerate(response.ratings):
        if r.question_id in seen:
            raise Malformed(f"response.json: ratings.{i}: question '{r.question_id[:40]}' is rated twice")
        seen.add(r.question_id)


# --- reading ---------------------------------------------------------------------------------

M = TypeVar("M", bound=Strict)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            # Two readers could take different values from one signed file: refuse it.
            raise Malformed(f"the key '{key[:40]}' appears twice in one object")
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise Malformed(f"{name} is not a JSON number")


def _depth(value: Any, limit: int) -> int:
    """How deeply a parsed document nests, without recursion (a hostile one nests 100,000 deep).
    Only containers are walked: the scalars, most of a document, cost nothing here."""
    if not isinstance(value, (dict, list)):
        return 0
    deepest, stack = 1, [(value, 1)]
    while stack:
        node, d = stack.pop()
        deepest = max(deepest, d)
        if d > limit:
            return d
        for v in node.values() if isinstance(node, dict) else node:
            if isinstance(v, (dict, list)):
                stack.append((v, d + 1))
    return deepest


def load_json(raw: bytes, name: str) -> Any:
    """Parse one document from outside: UTF-8 JSON, no duplicate keys, no NaN, bounded depth."""
    try:
        text = raw.decode("utf-8")
        data = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except Malformed as exc:
        raise Malformed(f"{name}: {exc}") from None
    except UnicodeDecodeError:
        raise Malformed(f"{name} is not UTF-8 text") from None
    except RecursionError:
        raise Malformed(f"{name} nests deeper than any document selfassess writes") from None
    except ValueError as exc:  # JSONDecodeError, and integers too long to read
        raise Malformed(f"{name} is not JSON ({str(exc)[:120]})") from None
    if _depth(data, MAX_DEPTH) > MAX_DEPTH:
        raise Malformed(f"{name} nests deeper than any document selfassess writes")
    return data


def describe(exc: ValidationError, name: str, limit: int = 3) -> str:
    """A pydantic error in words: where in the document, and what was expected (never the value)."""
    parts = []
    for err in exc.errors(include_input=False, include_url=False)[:limit]:
        where = ".".join(str(p) for p in err["loc"]) or "the document"
        msg = err["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {msg}")
    more = exc.error_count() - limit
    return f"{name} is not in the form selfassess writes: " + "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def read(model: type[M], data: Any, name: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise Malformed(describe(exc, name)) from None
    except RecursionError:
        raise Malformed(f"{name} nests deeper than any document selfassess writes") from None


def parse(model: type[M], raw: bytes, name: str) -> M:
    return read(model, load_json(raw, name), name)


# --- content that must agree with itself and with its framework ------------------------------

_checked_frameworks: dict[str, fw.Framework] = {}  # content hash -> a framework that passed every check
_checked_files: dict[bytes, fw.Framework] = {}  # SHA-256 of framework.json as received -> the same


def framework_copy(raw: bytes) -> fw.Framework:
    """The framework a bundle says it was answered against, fully checked (the sender chose the
    hash, so a matching hash proves nothing). Copies already checked in this run are reused: the
    same bytes are not even parsed again."""
    import hashlib

    raw_digest = hashlib.sha256(raw).digest()
    seen = _checked_files.get(raw_digest)
    if seen is not None:
        return seen
    copy_ = parse(FrameworkCopy, raw, "framework.json")
    try:
        actual = fw.content_hash(copy_.data)
    except (TypeError, ValueError, RecursionError, ArithmeticError):
        raise Malformed("framework.json is not a valid framework") from None
    if actual != copy_.hash:
        raise Malformed("framework.json does not match its own hash")
    known = _checked_frameworks.get(actual)
    if known is not None:
        _checked_files[raw_digest] = known
        return known
    try:
        framework = fw.from_outside(copy_.data)
    except FrameworkError as exc:
        first = exc.problems[0].message if exc.problems else "it is not a valid framework"
        raise Malformed(f"framework.json is not a valid framework ({len(exc.problems)} problem(s); first: {first[:200]})") from None
    except (TypeError, ValueError, KeyError, AttributeError, RecursionError, ArithmeticError):
        raise Malformed("framework.json is not a valid framework") from None
    if len(_checked_frameworks) > 256:
        _checked_frameworks.clear()
        _checked_files.clear()
    _checked_frameworks[actual] = framework
    _checked_files[raw_digest] = framework
    return framework


def check_submission(sub: SubmissionDoc, framework: fw.Framework) -> None:
    """Everything a well-formed submission says must agree: ids, the framework, each rating."""
    a, org = sub.assessment, sub.organisation
    framework = fw.with_parts(framework, {k: tuple(v) for k, v in a.parts.items()})
    problems: list[str] = []
    if a.organisation_id != org.id:
        problems.append("the assessment belongs to another organisation than the one named")
    if (a.framework_id, a.framework_version, a.framework_hash) != (framework.id, framework.version, framework.content_hash):
        problems.append("the framework in the bundle is not the one the assessment was answered against")
    if a.status not in FROZEN_STATUSES or a.signoff is None:
        problems.append("the assessment was not signed off (only a signed-off assessment is submitted)")
    seen: set[str] = set()
    for i, ans in enumerate(sub.answers):
        where = f"answers.{i}"
        if ans.assessment_id != a.id:
            problems.append(f"{where}: belongs to another assessment")
        if ans.question_id in seen:
            problems.append(f"{where}: question '{ans.question_id}' is answered twice")
        seen.add(ans.question_id)
        if not framework.has_question(ans.question_id):
            problems.append(f"{where}: '{ans.question_id}' is not a question of {framework.key}")
            continue
        if ans.rating is not None and ans.na_reason is not None:
            problems.append(f"{where}: has both a rating and N/A")
        if ans.rating is not None:
            scale = framework.scale_for(framework.question(ans.question_id))
            if ans.rating not in scale.level_keys():
                problems.append(f"{where}: rating '{ans.rating}' is not on the scale '{scale.id}' "
                                f"(expected one of: {', '.join(scale.level_keys())})")
        if ans.na_reason is not None and not framework.na_allowed:
            problems.append(f"{where}: marked N/A, which {framework.key} does not allow")
    ids, refs = set(), set()
    for i, act in enumerate(sub.actions):
        where = f"actions.{i}"
        if act.assessment_id != a.id:
            problems.append(f"{where}: belongs to another assessment")
        if act.id in ids or act.ref in refs:
            problems.append(f"{where}: the action {act.ref} appears twice")
        ids.add(act.id)
        refs.add(act.ref)
        unknown = [q for q in act.question_ids if not framework.has_question(q)]
        if unknown:
            problems.append(f"{where}: names '{unknown[0][:40]}', which is not a question of {framework.key}")
    if not problems:
        problems += _figures_disagree(sub, sub.figures, framework)
    for field, counted in (("board_ratings", sub.board_ratings), ("stakeholder_grades", sub.stakeholder_grades)):
        rated: set[str] = set()
        for i, br in enumerate(counted):
            where = f"{field}.{i}"
            if br.question_id in rated or not framework.has_question(br.question_id):
                problems.append(f"{where}: '{br.question_id[:40]}' is not a question of {framework.key}, or appears twice")
                continue
            rated.add(br.question_id)
            keys_ = framework.scale_for(framework.question(br.question_id)).level_keys()
            if any(k not in keys_ for k in br.counts) or sum(br.counts.values()) != br.n:
                problems.append(f"{where}: the counts are not levels of the question's scale, or do not add up to n")
    seen_evidence: set[str] = set()
    for i, ev in enumerate(sub.evidence):
        if ev.id in seen_evidence:
            problems.append(f"evidence.{i}: the evidence file {ev.id[:40]} appears twice")
        seen_evidence.add(ev.id)
        if not framework.has_question(ev.question_id):
            problems.append(f"evidence.{i}: '{ev.question_id[:40]}' is not a question of {framework.key}")
        if ev.effective and ev.expires and ev.expires < ev.effective:
            problems.append(f"evidence.{i}: expires before it takes effect")
    stray = [c for c in sub.carried_forward if c not in ids]
    if stray:
        problems.append(f"carried_forward names '{stray[0][:40]}', which is not one of its actions")
    if problems:
        raise Malformed("submission.json does not agree with itself: " + "; ".join(problems[:3])
                        + (f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""))


class EvidenceChanged(Malformed):
    """An included evidence file whose bytes are not the ones the submission records by hash."""


def check_evidence(sub: SubmissionDoc, files: dict[str, bytes]) -> None:
    """The evidence files in a bundle are exactly those the submission lists as included, each with
    the SHA-256 and size it records. A file listed but not included is fine: its hash is the record."""
    import hashlib

    included = {e.sha256: e for e in sub.evidence if e.included}
    for sha, ev in included.items():
        name = EVIDENCE_PREFIX + sha
        if name not in files:
            raise Malformed(f"submission.json lists the evidence file '{ev.title[:80]}' ({ev.file_name[:80]}) as "
                            f"included, but {name} is not in the bundle")
        data = files[name]
        if hashlib.sha256(data).hexdigest() != sha or len(data) != ev.size:
            raise EvidenceChanged(f"the evidence file '{ev.title[:80]}' ({ev.file_name[:80]}) in the bundle is not the "
                                  f"file the submission records (sha256 {sha[:16]}...): it was changed")
    stray = sorted(n for n in files if n.startswith(EVIDENCE_PREFIX) and n[len(EVIDENCE_PREFIX):] not in included)
    if stray:
        raise Malformed(f"the bundle holds {stray[0]}, which submission.json does not list as an included evidence file")


# --- what the regulator's store keeps of an imported submission -------------------------------

STORED_FORMAT = 1  # records written since content was checked carry "checked": STORED_FORMAT


class FrameworkRefDoc(Strict):
    id: Id
    version: Annotated[str, StringConstraints(max_length=40)]
    title: Required
    hash: Sha256


class DomainScoreDoc(Strict):
    id: Id
    ref: Annotated[str, StringConstraints(max_length=20)]
    title: Required
    percent: float | None = Field(ge=0, le=100)
    level: Name | None
    answered: int = Field(ge=0, le=MAX_ANSWERS)
    questions: int = Field(ge=0, le=MAX_ANSWERS)


class StoredSubmission(Strict):
    """A record imported before content was checked is read through this before it is used:
    one that fails is set aside (and can be removed), never allowed to break the review."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    id: Sha256
    key_fingerprint: Fingerprint
    organisation: OrganisationDoc
    period: Period
    assessment: AssessmentDoc
    framework: FrameworkRefDoc
    sequence: int = Field(ge=1, le=MAX_SEQUENCE)
    previous: Sha256 | None
    file: Name
    overall: float | None = Field(ge=0, le=100)
    completeness: float = Field(ge=0, le=1)
    domains: list[DomainScoreDoc] = Field(max_length=500)
    actions: list[ActionDoc] = Field(max_length=MAX_ACTIONS)


# Figures that follow from the answers alone (the previous year's and the overdue counts do not).
_ANSWER_FIGURES = ("questions", "answered", "agreed", "drafts", "awaiting_review", "not_applicable", "not_started",
                   "completeness_percent", "score_percent", "level", "provisional", "signed_off", "total")
_DOMAIN_FIGURES = ("id", "questions", "answered", "agreed", "drafts", "awaiting_review", "not_applicable",
                   "not_started", "score_percent", "level", "provisional")


def expected_figures(sub: SubmissionDoc, framework: fw.Framework) -> dict[str, Any]:
    """The figures a submission's answers and actions give (as core/figures.py computes them for
    the trust's documents), with overdue counted on the day the submission was made."""
    from ..core import actions as rules
    from ..core.figures import compute
    from ..core.model import Action, Answer, Assessment

    framework = fw.with_parts(framework, {k: tuple(v) for k, v in sub.assessment.parts.items()})
    answers = {a.question_id: Answer.from_record(a.model_dump()) for a in sub.answers}
    carried = set(sub.carried_forward)
    plan = rules.summarise([Action.from_record(a.model_dump()) for a in sub.actions if a.id not in carried],
                           datetime.fromisoformat(sub.created_at).date())
    return compute(framework, answers, Assessment.from_record(sub.assessment.model_dump()), actions=plan).to_json()


def _by_answers(target: dict[str, Any]) -> dict[str, Any]:
    """A target's figures that follow from the answers: whether it was missed depends on the day."""
    return {k: v for k, v in target.items() if k != "missed"}


def _figures_disagree(sub: SubmissionDoc, figures: FiguresDoc, framework: fw.Framework) -> list[str]:
    """The figures the trust's board report shows must be the ones its answers give: the
    regulator compares like with like, and a document never says more than the record."""
    ours = expected_figures(sub, framework)
    sent = figures.model_dump()
    wrong = [k for k in _ANSWER_FIGURES if ours[k] != sent[k]]
    if sent.get("targets") is not None and _by_answers(ours["targets"]) != _by_answers(sent["targets"]):  # absent in older submissions
        wrong.append("targets")
    for group in ("assurance", "actions"):
        if ours[group] != sent[group]:
            wrong.append(group)
    if len(ours["domains"]) != len(sent["domains"]):
        wrong.append("domains")
    else:
        for i, (o, t) in enumerate(zip(ours["domains"], sent["domains"], strict=True)):
            wrong += [f"domains.{i}.{k}" for k in _DOMAIN_FIGURES if o[k] != t[k]]
            if t.get("target") is not None and _by_answers(o["target"]) != _by_answers(t["target"]):
                wrong.append(f"domains.{i}.target")
    for where, f in [("", sent), *((f"domains.{i}.", d) for i, d in enumerate(sent["domains"]))]:
        now, before, change = f["score_percent"], f["previous_score_percent"], f["change_points"]
        if (change is not None) != (now is not None and before is not None) or (
                change is not None and change != now - before):
            wrong.append(f"{where}change_points")
    if not wrong:
        return []
    first = wrong[0]
    said = sent.get(first) if "." not in first else None
    return [f"figures.{first} says {said!r} but the answers give {ours.get(first)!r}" if said is not None
            else f"figures: {', '.join(wrong[:3])} do not match the answers"]

"""Everything a user can do to an assessment, in one place, for the app and the CLI alike.

A Workspace reads through a Repository (the store) and turns each request into a
checked set of record changes, committed as one audit event. Bad input raises a
SelfAssessError before anything is written; nothing is half-saved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from . import actions as action_rules
from . import framework as fw
from .audit import Change, VerifyReport
from .catalogue import Catalogue
from .clock import Clock
from .errors import Hint, InvalidInput, NotFound, Refused
from .model import (
    ACTION_STATUSES,
    AGREED,
    ANSWER_STATES,
    ASSURANCE_LEVELS,
    COVER_FIELDS,
    COVER_PURPOSES,
    DRAFT,
    DROPPED,
    IN_PROGRESS,
    NEEDS_REVIEW,
    NOT_STARTED,
    ORGANISATION_TYPES,
    READY_FOR_BOARD,
    SIGNED_OFF,
    SUBMITTED,
    Action,
    Answer,
    Assessment,
    CoverSheet,
    Feedback,
    Organisation,
    ProgressUpdate,
    Signatory,
    SignOff,
    check_choice,
    check_ods,
    check_period,
    check_text,
    new_id,
    parse_date,
    short,
)
from .scoring import Scores, score, trend

T = TypeVar("T")

if TYPE_CHECKING:
    from .checks import Challenge
    from .compare import Comparison
    from .figures import Figures
    from .lifecycle import Blockers


class Repository(Protocol):
    """What the workspace needs from storage (the Store provides it)."""

    @property
    def readonly(self) -> bool: ...

    def get(self, table: str, record_id: str) -> dict[str, Any] | None: ...
    def all(self, table: str) -> list[dict[str, Any]]: ...
    def find(self, table: str, **equal: Any) -> list[dict[str, Any]]: ...
    def commit(self, action: str, actor: str, summary: str, changes: list[Change], when: str) -> dict[str, Any]: ...

    @property
    def head(self) -> tuple[int, str]:
        """The audit chain's last event: (sequence, hash). Changes whenever anything is saved."""
        ...

    def keep_received(self, kind: str, name: str, data: bytes) -> None:
        """Keep a file as received from outside (a submission), beside the store."""
        ...

    def read_received(self, kind: str, name: str) -> bytes | None:
        """A file kept by keep_received, or None if it is not there."""
        ...

    def verify(self) -> VerifyReport:
        """Check the whole chain, and that the stored state is exactly what it recorded."""
        ...


@dataclass(frozen=True)
class AssessmentSummary:
    """Where an assessment stands: what the home screen, the dashboard and `assessments` show."""

    assessment: Assessment
    organisation: Organisation
    framework: fw.Framework
    scores: Scores
    previous: Assessment | None
    previous_scores: Scores | None
    trend: dict[str, float | None]
    actions: action_rules.ActionSummary
    figures: Figures  # every count and score shown anywhere, computed once


@dataclass(frozen=True)
class CarryForward:
    assessment: Assessment
    answers: int
    actions: int
    orphaned: tuple[str, ...]  # question ids answered last time that the new framework no longer asks


class Workspace:
    def __init__(self, repo: Repository, catalogue: Catalogue, actor: str, clock: Clock | None = None):
        self.repo = repo
        self.catalogue = catalogue
        self.actor = actor
        self.clock = clock or Clock()
        self._frameworks: dict[str, fw.Framework] = {}
        # What was read, per assessment, while the store stays at one head (see _read).
        self._reads: dict[tuple[str, str], Any] = {}
        self._reads_head: tuple[int, str] | None = None

    @property
    def readonly(self) -> bool:
        return self.repo.readonly

    @property
    def last_saved(self) -> tuple[int, str]:
        """The store's last saved event (sequence, hash): moves whenever anything is saved, here or in
        another copy, so a screen can tell whether what it shows is still current."""
        return self.repo.head

    def today(self) -> date:
        return self.clock.today()

    def commit(self, action: str, summary: str, changes: list[Change]) -> None:
        """Make a set of record changes durable as one audit event (nothing if there are none)."""
        if changes:
            before = self.repo.head
            self.repo.commit(action, self.actor, summary, changes, self.clock.now())
            self._after_own_commit(before, changes)

    # --- reads kept while nothing changes -----------------------------------------------------

    def _read(self, kind: str, assessment_id: str, make: Callable[[], T]) -> T:
        """What was read for an assessment, kept until the store moves on: the home screen's
        summaries and each key press on a question read the same records again and again."""
        head = self.repo.head  # moves with every save, ours or another copy's
        if head != self._reads_head:
            self._reads, self._reads_head = {}, head
        key = (kind, assessment_id)
        if key not in self._reads:
            self._reads[key] = make()
        return cast(T, self._reads[key])

    def _after_own_commit(self, before: tuple[int, str], changes: list[Change]) -> None:
        """Our own save: forget only what it touched, where nothing else was saved in between
        (one event more than we knew of); otherwise the next read starts afresh."""
        after = self.repo.head
        if self._reads_head != before or after[0] != before[0] + 1:
            return
        if any(c.table not in _KNOWN_TABLES for c in changes):  # a table these reads may depend on, unmapped
            self._reads, self._reads_head = {}, after
            return
        touched: set[tuple[str, str]] = set()
        carried = False
        for c in changes:
            for rec in (c.before, c.after):
                if rec is None:
                    continue
                aid = rec.get("assessment_id") if c.table != "assessments" else c.id
                if not isinstance(aid, str):
                    if c.table in ("answers", "actions"):  # not tied to one assessment: forget everything
                        self._reads, self._reads_head = {}, after
                        return
                    continue
                touched.add((c.table, aid))
                carried = carried or (c.table == "actions" and rec.get("carried_from") is not None)
        # What a later year carries on changes which of this year's actions are live.
        self._reads = {(kind, aid): value for (kind, aid), value in self._reads.items()
                       if (_READ_TABLES[kind], aid) not in touched and not (carried and kind in ("live", "plan"))}
        self._reads_head = after

    # --- organisations ------------------------------------------------------------------------

    def organisations(self) -> list[Organisation]:
        return sorted((Organisation.from_record(r) for r in self.repo.all("organisations")), key=lambda o: o.name.lower())

    def organisation(self, organisation_id: str) -> Organisation:
        rec = self.repo.get("organisations", organisation_id)
        if rec is None:
            raise NotFound(f"no organisation with id {organisation_id}")
        return Organisation.from_record(rec)

    def _find_or_make_organisation(self, name_or_code: str, ods_code: str, org_type: str) -> tuple[Organisation, list[Change]]:
        name_or_code = check_text(name_or_code, "organisation name", required=True, max_length=300).strip()
        ods_code = check_ods(ods_code)
        for o in self.organisations():
            if name_or_code.lower() in (o.name.lower(), o.ods_code.lower()) or (ods_code and ods_code.upper() == o.ods_code):
                return o, []
        org = Organisation(new_id(), name_or_code, ods_code, check_choice(org_type, ORGANISATION_TYPES, "organisation type"))
        return org, [Change("organisations", org.id, None, org.to_record())]

    # --- frameworks ---------------------------------------------------------------------------

    def framework(self, assessment: Assessment) -> fw.Framework:
        """The exact framework version an assessment was answered against (pinned in the store)."""
        cached = self._frameworks.get(assessment.framework_hash)
        if cached:
            return cached
        rec = self.repo.get("frameworks", assessment.framework_hash)
        if rec is None:
            found = self.catalogue.frameworks.get(assessment.framework_key)
            if found is None or found.content_hash != assessment.framework_hash:
                raise NotFound(f"the framework {assessment.framework_key} (hash {assessment.framework_hash[:12]}) that this "
                               "assessment was answered against is not in the store or the catalogue")
            framework = found
        else:
            framework = fw.from_store(rec["data"], assessment.framework_hash)
            if framework.content_hash != assessment.framework_hash:
                raise Refused(f"the stored copy of framework {assessment.framework_key} does not match its hash",
                              hint=Hint("check the store", command="selfassess audit verify"))
        self._frameworks[assessment.framework_hash] = framework
        return framework

    def _pin(self, framework: fw.Framework) -> list[Change]:
        if self.repo.get("frameworks", framework.content_hash) is not None:
            return []
        rec = {"id": framework.id, "version": framework.version, "title": framework.title,
               "hash": framework.content_hash, "data": framework.data()}
        return [Change("frameworks", framework.content_hash, None, rec)]

    # --- reading assessments ------------------------------------------------------------------

    def assessments(self, organisation_id: str | None = None) -> list[Assessment]:
        recs = self.repo.find("assessments", organisation_id=organisation_id) if organisation_id else self.repo.all("assessments")
        return sorted((Assessment.from_record(r) for r in recs), key=lambda a: (a.organisation_id, a.framework_id, a.period, a.version))

    def current_assessments(self) -> list[Assessment]:
        """Assessments that have not been superseded by a reopened version."""
        return [a for a in self.assessments() if a.superseded_by is None]

    def assessment(self, handle: str) -> Assessment:
        """An assessment by id or by a unique prefix of its id (8 characters are shown)."""
        return Assessment.from_record(self.by_handle("assessments", handle, "assessment",
                                                      Hint("see the ids", command="selfassess assessments")))

    def by_handle(self, table: str, handle: str, what: str, hint: Hint) -> dict[str, Any]:
        """A record by its id or a unique prefix of it (8 characters are shown): the one lookup for
        every id a user types (assessments, actions, submissions)."""
        handle = (handle or "").strip().lower()
        if len(handle) < 4:
            article = "an" if what[:1] in "aeiou" else "a"
            raise InvalidInput(f"'{handle}' is too short to name {article} {what}, expected at least 4 characters of its id",
                               hint=hint)
        exact = self.repo.get(table, handle)
        if exact:
            return exact
        matches = [r for r in self.repo.all(table) if r["id"].startswith(handle)]
        if not matches:
            raise NotFound(f"no {what} with id '{handle}'", hint=hint)
        if len(matches) > 1:
            raise InvalidInput(f"'{handle}' matches {len(matches)} {what}s, expected more characters of the id")
        return matches[0]

    def answers(self, assessment_id: str) -> dict[str, Answer]:
        return dict(self._read("answers", assessment_id, lambda: {
            r["question_id"]: Answer.from_record(r) for r in self.repo.find("answers", assessment_id=assessment_id)}))

    def answer_for(self, assessment_id: str, question_id: str) -> Answer | None:
        found = self.repo.find("answers", assessment_id=assessment_id, question_id=question_id)
        return Answer.from_record(found[0]) if found else None

    def actions(self, assessment_id: str | None = None) -> list[Action]:
        if assessment_id is None:
            return _in_plan_order(Action.from_record(r) for r in self.repo.all("actions"))
        return list(self._read("actions", assessment_id, lambda: tuple(_in_plan_order(
            Action.from_record(r) for r in self.repo.find("actions", assessment_id=assessment_id)))))

    def action(self, handle: str) -> Action:
        return Action.from_record(self.by_handle("actions", handle, "action",
                                                  Hint("see the ids", command="selfassess actions ASSESSMENT")))

    def previous(self, assessment: Assessment) -> Assessment | None:
        """The assessment this one follows: the one it was started from, else the last earlier period."""
        if assessment.previous_id:
            rec = self.repo.get("assessments", assessment.previous_id)
            if rec:
                return Assessment.from_record(rec)
        earlier = [a for a in self.assessments(assessment.organisation_id)
                   if a.framework_id == assessment.framework_id and a.period < assessment.period and a.superseded_by is None]
        return earlier[-1] if earlier else None

    def scores(self, assessment: Assessment) -> Scores:
        return score(self.framework(assessment), self.answers(assessment.id))

    def summary(self, assessment: Assessment) -> AssessmentSummary:
        from .figures import compute

        framework = self.framework(assessment)
        answers = self.answers(assessment.id)
        scores = score(framework, answers)
        previous = self.previous(assessment)
        previous_scores = self.scores(previous) if previous else None
        actions = self._plan_counts(assessment.id)
        figures = compute(framework, answers, assessment, previous=previous_scores,
                          previous_period=previous.period if previous else None, actions=actions)
        return AssessmentSummary(
            assessment, self.organisation(assessment.organisation_id), framework, scores,
            previous, previous_scores, trend(scores, previous_scores), actions, figures,
        )

    def figures(self, assessment: Assessment) -> Figures:
        """The one set of figures for an assessment (see core/figures.py)."""
        return self.summary(assessment).figures

    def checks(self, assessment: Assessment) -> list[Challenge]:
        """Points for challenge: what a non-executive would question before signing (core/checks.py)."""
        from .checks import challenges

        previous = self.previous(assessment)
        return challenges(self.framework(assessment), self.answers(assessment.id), self.live_actions(assessment.id),
                          self.today(), previous_framework=self.framework(previous) if previous else None,
                          previous_answers=self.answers(previous.id) if previous else None)

    def blockers(self, assessment: Assessment) -> Blockers:
        """What must be done before the board is asked to agree, or signs (core/lifecycle.py)."""
        from .lifecycle import blockers

        return blockers(self.framework(assessment), self.answers(assessment.id))

    def live_actions(self, assessment_id: str) -> list[Action]:
        """An assessment's actions, less those carried forward into a later assessment (tracked there)."""
        carried = self._carried_on(assessment_id)
        return [a for a in self.actions(assessment_id) if a.id not in carried]

    def _carried_on(self, assessment_id: str) -> frozenset[str]:
        """Ids of this assessment's actions that a later assessment carries on (found by the store's
        index of carried_from, one look-up per action: not a read of every year's actions)."""
        def make() -> frozenset[str]:
            ids = [r["id"] for r in self.repo.find("actions", assessment_id=assessment_id)]
            return frozenset(i for i in ids if self.repo.find("actions", carried_from=i))
        return self._read("live", assessment_id, make)

    def _plan_counts(self, assessment_id: str) -> action_rules.ActionSummary:
        """The live plan's counts (status, due dates, owners): what every summary shows. Built from
        the records without their progress history, which no count reads (it is most of the cost
        of an action that has run for years)."""
        def make() -> list[Action]:
            carried = self._carried_on(assessment_id)
            return [Action.from_record({**r, "updates": ()}) for r in self.repo.find("actions", assessment_id=assessment_id)
                    if r["id"] not in carried]
        return action_rules.summarise(self._read("plan", assessment_id, make), self.today())

    def compare(self, before: Assessment, after: Assessment) -> Comparison:
        from .compare import compare

        if before.framework_id != after.framework_id:
            raise InvalidInput(f"these assessments use different frameworks ({before.framework_id} and "
                               f"{after.framework_id}), expected two assessments of the same framework")
        return compare(self.framework(before), self.answers(before.id), self.framework(after), self.answers(after.id))

    def feedback(self, assessment_id: str) -> list[Feedback]:
        return sorted((Feedback.from_record(r) for r in self.repo.find("feedback", assessment_id=assessment_id)),
                      key=lambda f: (f.reviewed_at, f.target, f.target_id))

    def feedback_for_action(self, action: Action) -> list[Feedback]:
        """A regulator's verdicts on this action, or on the earlier years' copies it was carried from."""
        on_actions = [r for r in self.repo.all("feedback") if r["target"] == "action"]
        if not on_actions:  # most trusts, most years: no lineage to walk
            return []
        lineage = self._lineage(action)
        found = [Feedback.from_record(r) for r in on_actions if r["target_id"] in lineage]
        return sorted(found, key=lambda f: f.reviewed_at)

    def _lineage(self, action: Action) -> set[str]:
        """This action's id and those of the earlier years' copies it was carried from (ids only:
        an action carried for years is not rebuilt with its history at each step)."""
        lineage: set[str] = set()
        current: str | None = action.id
        parent = action.carried_from
        while current is not None and current not in lineage:
            lineage.add(current)
            rec = self.repo.get("actions", parent) if parent else None
            current, parent = (rec["id"], rec.get("carried_from")) if rec else (None, None)
        return lineage

    def _queried(self) -> set[str]:
        return {r["target_id"] for r in self.repo.all("feedback") if r["target"] == "action" and r.get("verdict") == "queried"}

    def is_queried(self, action: Action) -> bool:
        """The regulator queried this action, or an earlier year's copy it was carried from."""
        queried = self._queried()
        return bool(queried) and not queried.isdisjoint(self._lineage(action))

    def queried_actions(self, assessment_id: str) -> list[Action]:
        """The live actions the regulator queried (see is_queried); the plan is read only if anything was."""
        queried = self._queried()
        if not queried:
            return []
        return [a for a in self.live_actions(assessment_id) if not queried.isdisjoint(self._lineage(a))]

    def title_of(self, assessment: Assessment) -> str:
        org = self.organisation(assessment.organisation_id)
        version = f" (version {assessment.version})" if assessment.version > 1 else ""
        return f"{org.name} {assessment.period}: {self.framework(assessment).title}{version}"

    # --- starting an assessment ---------------------------------------------------------------

    def new_assessment(self, organisation: str, framework_name: str | None, period: str, *,
                       from_handle: str | None = None, ods_code: str = "", org_type: str = "acute") -> CarryForward:
        """Start an assessment; with from_handle, carry answers (marked for review) and open actions forward."""
        period = check_period(period)
        previous = self.assessment(from_handle) if from_handle else None
        if previous is not None:
            org = self.organisation(previous.organisation_id)
            org_changes: list[Change] = []
            if organisation and organisation.strip().lower() not in (org.name.lower(), org.ods_code.lower()):
                raise InvalidInput(f"assessment {short(previous.id)} belongs to {org.name}, not '{organisation}'")
            framework = self.catalogue.get(framework_name) if framework_name else self._latest_of(previous)
            if framework.id != previous.framework_id:
                raise InvalidInput(f"cannot carry {previous.framework_id} answers into {framework.id}, expected the same framework")
            if period <= previous.period:
                raise InvalidInput(f"the new period {period} must come after {previous.period}")
        else:
            if not framework_name:
                raise InvalidInput("a new assessment needs a framework, for example board-health-inequalities",
                                   hint=Hint("name one", command="--framework ID (see: selfassess frameworks)"))
            framework = self.catalogue.get(framework_name)
            org, org_changes = self._find_or_make_organisation(organisation, ods_code, org_type)
        for other in self.assessments(org.id):
            if other.framework_id == framework.id and other.period == period and other.superseded_by is None:
                raise Refused(f"{org.name} already has a {period} assessment of {framework.title} ({short(other.id)}); "
                              "open that one instead")
        assessment = Assessment(
            id=new_id(), organisation_id=org.id, framework_id=framework.id, framework_version=framework.version,
            framework_hash=framework.content_hash, period=period, status=IN_PROGRESS,
            created_at=self.clock.now(), created_by=self.actor, previous_id=previous.id if previous else None,
        )
        changes = org_changes + self._pin(framework) + [Change("assessments", assessment.id, None, assessment.to_record())]
        answers = actions = 0
        orphaned: tuple[str, ...] = ()
        if previous is not None:
            answer_changes, orphaned = self._carry_answers(previous, assessment, framework, NEEDS_REVIEW)
            action_changes = self._copy_actions(previous, assessment, framework, only_open=True,
                                                note=f"Carried forward from {previous.period}")
            answers, actions = len(answer_changes), len(action_changes)
            changes += answer_changes + action_changes
        summary = f"started {org.name} {period} {framework.key}"
        if previous is not None:
            summary += f" from {previous.period} ({answers} answers, {actions} open actions carried forward)"
        self.commit("assessment.new", summary, changes)
        return CarryForward(assessment, answers, actions, orphaned)

    def _latest_of(self, previous: Assessment) -> fw.Framework:
        try:
            return self.catalogue.get(previous.framework_id)
        except NotFound:
            return self.framework(previous)

    def _carry_answers(self, src: Assessment, dst: Assessment, framework: fw.Framework, state: str) -> tuple[list[Change], tuple[str, ...]]:
        changes: list[Change] = []
        orphaned: list[str] = []
        taken: set[str] = set()
        old = self.answers(src.id)
        # Direct matches first, so a retired question's successor never overrides a real answer.
        plan: list[tuple[Answer, str]] = []
        for qid, a in old.items():
            if framework.has_question(qid):
                plan.append((a, qid))
                taken.add(qid)
        for qid, a in old.items():
            if framework.has_question(qid):
                continue
            targets = [t for t in framework.successors(qid) if t not in taken]
            if not targets and (a.is_answered or a.evidence or a.notes):
                orphaned.append(qid)
            for t in targets:
                plan.append((a, t))
                taken.add(t)
        for a, qid in plan:
            rating = a.rating
            if rating is not None and rating not in framework.scale_for(framework.question(qid)).level_keys():
                rating = None  # the scale changed: keep the evidence, ask for a new rating
            new = Answer(id=new_id(), assessment_id=dst.id, question_id=qid, rating=rating, na_reason=a.na_reason,
                         evidence=a.evidence, notes=a.notes, assurance=a.assurance, state=state,
                         updated_by=self.actor, updated_at=self.clock.now(), carried_from=a.id)
            changes.append(Change("answers", new.id, None, new.to_record()))
        return changes, tuple(sorted(orphaned))

    def _copy_actions(self, src: Assessment, dst: Assessment, framework: fw.Framework, *, only_open: bool, note: str) -> list[Change]:
        changes = []
        for a in self.actions(src.id):
            if only_open and a.closed:
                continue
            qids: list[str] = []
            for q in a.question_ids:
                qids.extend([q] if framework.has_question(q) else framework.successors(q))
            update = ProgressUpdate(self.today().isoformat(), self.actor, note)
            copy = a.replace(id=new_id(), assessment_id=dst.id, question_ids=tuple(qids), carried_from=a.id,
                             updates=a.updates + (update,))
            changes.append(Change("actions", copy.id, None, copy.to_record()))
        return changes

    # --- answering ----------------------------------------------------------------------------

    def _editable(self, assessment: Assessment) -> None:
        if assessment.superseded_by:
            raise Refused(f"this is version {assessment.version} of the assessment, replaced by a reopened version "
                          f"({short(assessment.superseded_by)}); change that one instead")
        if assessment.frozen:
            signed = f" by the board on {assessment.signoff.date}" if assessment.signoff else ""
            raise Refused(f"the {assessment.period} assessment was signed off{signed} and is frozen; nothing was changed",
                          hint=Hint("to change it, reopen it as a new version, saying why",
                                    command=f"selfassess reopen {short(assessment.id)} --reason TEXT",
                                    key="Ctrl+R (Reopen as a new version) on the home screen"))

    def answer(self, assessment_handle: str, question: str, *, rating: str | None = None, na_reason: str | None = None,
               evidence: str | None = None, notes: str | None = None, assurance: str | None = None,
               state: str | None = None, clear_rating: bool = False) -> Answer:
        """Record or change an answer. Only the fields given change; the rest stay as they were."""
        assessment = self.assessment(assessment_handle)
        self._editable(assessment)
        framework = self.framework(assessment)
        q = framework.question(question)
        if rating is not None and na_reason is not None:
            raise InvalidInput("give a rating or N/A with a reason, not both")
        existing = self.answer_for(assessment.id, q.id)
        before = existing.to_record() if existing else None
        current = existing or Answer(id=new_id(), assessment_id=assessment.id, question_id=q.id)
        fields: dict[str, Any] = {}
        if rating is not None:
            fields["rating"] = self._rating_key(framework, q, rating)
            fields["na_reason"] = None
        if clear_rating:
            fields["rating"] = None
            fields["na_reason"] = None
        if na_reason is not None:
            if not framework.na_allowed:
                raise Refused(f"{framework.title} does not allow 'not applicable' answers")
            reason = check_text(na_reason, "the reason for N/A", max_length=5000).strip()
            if not reason:
                raise InvalidInput("N/A needs a written reason, expected some text saying why the question does not apply")
            fields["na_reason"] = reason
            fields["rating"] = None
        if evidence is not None:
            fields["evidence"] = check_text(evidence, "evidence")
        if notes is not None:
            fields["notes"] = check_text(notes, "notes")
        if assurance is not None:
            fields["assurance"] = check_choice(assurance, ASSURANCE_LEVELS, "assurance level")
        substance = current.replace(**fields)
        if state is not None:
            fields["state"] = check_choice(state, ANSWER_STATES, "answer state")
        elif substance != current:
            # Editing a carried-forward answer is reviewing it; editing an agreed one reopens it as a draft.
            fields["state"] = DRAFT
        updated = current.replace(**fields)
        if existing is not None and updated == existing:
            return existing  # nothing changed: nothing to record
        updated = updated.replace(updated_by=self.actor, updated_at=self.clock.now())
        what = _describe_answer(framework, q, updated)
        self.commit("answer.set", f"{q.ref} {what}", [Change("answers", updated.id, before, updated.to_record())])
        return updated

    @staticmethod
    def _rating_key(framework: fw.Framework, q: fw.Question, rating: str) -> str:
        scale = framework.scale_for(q)
        text = str(rating).strip()
        if text in scale.level_keys():
            return text
        if len(text) > 200:
            raise InvalidInput(f"the rating is {len(text):,} characters long, expected a level key, label or number "
                               f"on the {scale.title} scale")
        if text.isascii() and text.isdigit() and len(text) <= 3 and 1 <= int(text) <= len(scale.levels):
            return scale.levels[int(text) - 1].key
        for level in scale.levels:
            if text.lower() == level.label.lower():
                return level.key
        choices = ", ".join(f"{i} {lv.key}" for i, lv in enumerate(scale.levels, start=1))
        raise InvalidInput(f"'{rating}' is not a rating on the {scale.title} scale, expected one of: {choices}")

    # --- the board cover sheet ------------------------------------------------------------------

    def coversheet(self, assessment_id: str) -> CoverSheet | None:
        rec = self.repo.get("coversheets", assessment_id)
        return CoverSheet.from_record(rec) if rec else None

    def set_coversheet(self, assessment_handle: str, **fields: str | None) -> CoverSheet:
        """Enter or change the board report's cover sheet; only the fields given change. It is
        the paper's framing, not the assessment, so it can be written after sign-off too."""
        assessment = self.assessment(assessment_handle)
        if assessment.superseded_by:
            self._editable(assessment)
        unknown = set(fields) - set(COVER_FIELDS)
        if unknown:
            raise InvalidInput(f"the cover sheet has no field {', '.join(sorted(unknown))}, expected: {', '.join(COVER_FIELDS)}")
        existing = self.coversheet(assessment.id)
        current = existing or CoverSheet(id=assessment.id, assessment_id=assessment.id)
        changes: dict[str, str] = {}
        for key, value in fields.items():
            if value is None:
                continue
            if key == "purpose":
                value = check_choice(value, COVER_PURPOSES, "purpose") if value.strip() else ""
            else:
                value = check_text(value, COVER_FIELDS[key].lower(), max_length=2000)
            changes[key] = value
        updated = current.replace(**changes)
        if existing is not None and updated == existing:
            return existing
        updated = updated.replace(updated_by=self.actor, updated_at=self.clock.now())
        named = ", ".join(COVER_FIELDS[k].lower() for k in changes) or "no field"
        self.commit("coversheet.set", f"cover sheet for the {assessment.period} board report: {named}",
                    [Change("coversheets", assessment.id, existing.to_record() if existing else None, updated.to_record())])
        return updated

    # --- actions ------------------------------------------------------------------------------

    def add_action(self, assessment_handle: str, question_ids: Iterable[str], title: str, owner: str, due: str, *,
                   owner_role: str = "", description: str = "", origin: str = "custom",
                   status: str | None = None) -> Action:
        """A new action on the plan, in one audit event; status, when given, is where it already stands
        (say, started before the board met). Dropping needs a reason, so an action is not made dropped."""
        assessment = self.assessment(assessment_handle)
        self._editable(assessment)
        framework = self.framework(assessment)
        qids = tuple(dict.fromkeys(framework.question(q).id for q in question_ids))
        title, owner, due_date = action_rules.check_fields(title, owner, due)
        state = check_choice(status, ACTION_STATUSES, "action status") if status else NOT_STARTED
        if state == DROPPED:
            raise InvalidInput("a new action cannot start as dropped, expected another status")
        refs = [_ref_number(a.ref) for a in self.actions(assessment.id)]
        action = Action(
            id=new_id(), assessment_id=assessment.id, ref=f"A{max(refs, default=0) + 1:02d}", title=title, owner=owner,
            owner_role=check_text(owner_role, "owner role", max_length=200).strip(),
            description=check_text(description, "description"),
            original_due=due_date.isoformat(), current_due=due_date.isoformat(), question_ids=qids,
            created_at=self.clock.now(), created_by=self.actor, origin=origin, status=state,
        )
        stands = f", {ACTION_STATUSES[state].lower()}" if state != NOT_STARTED else ""
        self.commit("action.add", f"{action.ref} {title} (owner {owner}, due {action.current_due}{stands})",
                     [Change("actions", action.id, None, action.to_record())])
        return action

    def update_action(self, handle: str, *, status: str | None = None, due: str | None = None, note: str | None = None,
                      owner: str | None = None, owner_role: str | None = None, dropped_reason: str | None = None,
                      title: str | None = None, description: str | None = None) -> Action:
        """Progress on an action: status, due date, owner and a dated note, each on its history.

        After sign-off the assessment is frozen, but its action plan is still delivered:
        progress (status, due date, owner, notes) can be recorded; what was agreed cannot change.
        """
        action = self.action(handle)
        assessment = self.assessment(action.assessment_id)
        if assessment.superseded_by:
            self._editable(assessment)
        if (title is not None or description is not None) and assessment.frozen:
            self._editable(assessment)
        fields: dict[str, Any] = {}
        changed: dict[str, str] = {}
        if status is not None:
            key = action_rules.check_status(status, dropped_reason or note, action.dropped_reason)
            if key != action.status:
                fields["status"] = changed["status"] = key
                if key == DROPPED:
                    fields["dropped_reason"] = check_text(dropped_reason or note, "reason", max_length=5000).strip()
        if due is not None:
            new_due = parse_date(due, "due date").isoformat()
            if new_due != action.current_due:
                fields["current_due"] = changed["due"] = new_due
        if owner is not None:
            owner = check_text(owner, "owner", required=True, max_length=200).strip()
            if owner != action.owner:
                fields["owner"] = changed["owner"] = owner
        if owner_role is not None:
            fields["owner_role"] = check_text(owner_role, "owner role", max_length=200).strip()
        if title is not None:
            fields["title"] = check_text(title, "action title", required=True, max_length=1000).strip()
        if description is not None:
            fields["description"] = check_text(description, "description")
        text = check_text(note, "progress note") if note is not None else ""
        if note is not None and not text:
            raise InvalidInput("the progress note is empty or only spaces, expected some text saying what happened")
        if not fields and not text:
            return action
        if changed or text:
            update = ProgressUpdate(self.today().isoformat(), self.actor, text or _describe_update(changed),
                                    status=changed.get("status"), due=changed.get("due"), owner=changed.get("owner"))
            fields["updates"] = action.updates + (update,)
        updated = action.replace(**fields)
        summary = f"{action.ref} " + (", ".join(f"{k} {v}" for k, v in changed.items()) or "progress note")
        self.commit("action.update", summary, [Change("actions", action.id, action.to_record(), updated.to_record())])
        return updated

    def suggested_actions(self, assessment: Assessment, question_id: str) -> tuple[str, ...]:
        """The framework's suggested actions, offered when the rating is a gap (or always, if asked)."""
        q = self.framework(assessment).question(question_id)
        return q.suggested_actions

    def is_gap(self, assessment: Assessment, answer: Answer | None) -> bool:
        if answer is None or answer.rating is None:
            return False
        framework = self.framework(assessment)
        try:
            return framework.scale_for(framework.question(answer.question_id)).is_gap(answer.rating)
        except NotFound:
            return False

    # --- workflow -----------------------------------------------------------------------------

    def set_status(self, handle: str, status: str, *, agree_drafts: bool = False) -> Assessment:
        """Move between 'in progress' and 'ready for board'. Sign-off and submission have their own steps.

        Ready for board is refused while anything is unanswered, unreviewed or draft; with
        agree_drafts the remaining drafts are agreed in the same event, which lists them."""
        assessment = self.assessment(handle)
        self._editable(assessment)
        key = check_choice(status, {IN_PROGRESS: "In progress", READY_FOR_BOARD: "Ready for board"}, "status")
        if key == assessment.status:
            return assessment
        changes: list[Change] = []
        agreed = ""
        if key == READY_FOR_BOARD:
            found = self.blockers(assessment)
            if found.blocking(agree_drafts=agree_drafts):
                raise Refused(found.message("ready for board", agree_drafts=agree_drafts),
                              hint=self._agree_hint(found, agree_drafts, f"selfassess status {short(assessment.id)} ready"))
            changes, agreed = self._agree_changes(assessment, found.draft_ids)
        updated = assessment.replace(status=key)
        self.commit("assessment.status", f"{assessment.period} {assessment.status_label} -> {updated.status_label}{agreed}",
                     changes + [Change("assessments", assessment.id, assessment.to_record(), updated.to_record())])
        return updated

    @staticmethod
    def _agree_hint(found: Blockers, agree_drafts: bool, command: str) -> Hint | None:
        """Drafts among what is left: the board may agree them in the same step."""
        if agree_drafts or not found.drafts:
            return None
        return Hint("to agree the drafts at the meeting in the same step", command=f"{command} --agree-drafts",
                    key="answer yes when asked to agree the drafts")

    def _agree_changes(self, assessment: Assessment, question_ids: Iterable[str]) -> tuple[list[Change], str]:
        """The record changes that agree these draft answers, and the words for the audit event."""
        framework = self.framework(assessment)
        answers = self.answers(assessment.id)
        changes: list[Change] = []
        refs: list[str] = []
        for qid in question_ids:
            a = answers[qid]
            if a.state != DRAFT:
                continue
            done = a.replace(state=AGREED, updated_by=self.actor, updated_at=self.clock.now())
            changes.append(Change("answers", a.id, a.to_record(), done.to_record()))
            refs.append(framework.question(qid).ref)
        words = f"; the board agreed {len(refs)} draft answer(s) at the meeting: {', '.join(refs)}" if refs else ""
        return changes, words

    def agree_drafts(self, handle: str) -> list[str]:
        """Agree every draft answer in one deliberate step (the board agreeing them at its meeting).
        Returns the refs agreed; the audit event lists them all."""
        assessment = self.assessment(handle)
        self._editable(assessment)
        found = self.blockers(assessment)
        changes, _ = self._agree_changes(assessment, found.draft_ids)
        refs = list(found.drafts)
        self.commit("answers.agree_drafts", f"{assessment.period}: agreed all {len(refs)} draft answer(s): {', '.join(refs)}",
                     changes)
        return refs

    def unfinished(self, assessment: Assessment) -> tuple[list[str], list[str]]:
        """Refs of unanswered questions, and of answers still 'carried forward, needs review'."""
        found = self.blockers(assessment)
        return list(found.unanswered), list(found.needs_review)

    def sign_off(self, handle: str, signatories: list[tuple[str, str]], meeting: str = "", on: str | None = None, *,
                 agree_drafts: bool = False) -> Assessment:
        """Record the board's sign-off; the assessment is frozen from then on.

        Refused while any question is unanswered, unreviewed or draft (agree_drafts: the board
        agrees the remaining drafts at the meeting, and the event lists them). Points for
        challenge do not stop it: the event records the ones the board signed past."""
        assessment = self.assessment(handle)
        self._editable(assessment)
        if not signatories:
            raise InvalidInput("sign-off needs at least one signatory",
                               hint=Hint("name each one and their role", command="--by NAME --role ROLE"))
        people = tuple(Signatory(check_text(n, "signatory name", required=True, max_length=200).strip(),
                                 check_text(r, "signatory role", required=True, max_length=200).strip()) for n, r in signatories)
        found = self.blockers(assessment)
        if found.blocking(agree_drafts=agree_drafts):
            raise Refused(found.message("sign-off", agree_drafts=agree_drafts),
                          hint=self._agree_hint(found, agree_drafts,
                                                f"selfassess signoff {short(assessment.id)} --by NAME --role ROLE"))
        when = parse_date(on, "sign-off date").isoformat() if on else self.today().isoformat()
        signoff = SignOff(people, when, check_text(meeting, "meeting reference", max_length=300).strip(), self.actor, self.clock.now())
        challenged = self.checks(assessment)
        answer_changes, agreed = self._agree_changes(assessment, found.draft_ids)
        updated = assessment.replace(status=SIGNED_OFF, signoff=signoff)
        names = ", ".join(f"{p.name} ({p.role})" for p in people)
        noted = (f"; signed past {len(challenged)} point(s) for challenge: " + "; ".join(c.message for c in challenged)
                 if challenged else "")
        self.commit("assessment.signoff", f"{assessment.period} signed off by {names}"
                    + (f" at {signoff.meeting}" if signoff.meeting else "") + agreed + noted,
                     answer_changes + [Change("assessments", assessment.id, assessment.to_record(), updated.to_record())])
        return updated

    def check_submittable(self, assessment: Assessment) -> None:
        if assessment.superseded_by:
            raise Refused(f"this version was reopened as {short(assessment.superseded_by)}; submit that one once it is signed off")
        if assessment.status not in (SIGNED_OFF, SUBMITTED):
            raise Refused("only a signed-off assessment can be submitted",
                          hint=Hint("record the board's sign-off first",
                                    command=f"selfassess signoff {short(assessment.id)} --by NAME --role ROLE",
                                    key="s (Sign off) on the home screen"))

    def sent_submissions(self) -> list[dict[str, Any]]:
        """Submissions this installation has sent, oldest first (each links to the one before)."""
        return sorted(self.repo.all("submissions_sent"), key=lambda r: r["sequence"])

    def record_submission(self, assessment: Assessment, payload_sha256: str, sequence: int, previous: str | None,
                          file_name: str) -> Assessment:
        """After the bundle is written: the assessment is submitted, and the chain moves on."""
        self.check_submittable(assessment)
        updated = assessment.replace(status=SUBMITTED, submitted_at=self.clock.now())
        sent = {"id": payload_sha256, "assessment_id": assessment.id, "sequence": sequence, "previous": previous,
                "file": file_name, "sent_at": self.clock.now(), "sent_by": self.actor}
        self.commit("assessment.submit", f"{assessment.period} submitted as {file_name} (submission {sequence}, "
                    f"sha256 {payload_sha256[:12]})",
                    [Change("assessments", assessment.id, assessment.to_record(), updated.to_record()),
                     Change("submissions_sent", payload_sha256, None, sent)])
        return updated

    def reopen(self, handle: str, reason: str) -> Assessment:
        """Reopen a signed-off assessment as a new version; the signed-off version stays as it was."""
        old = self.assessment(handle)
        if not old.frozen:
            raise Refused(f"the {old.period} assessment is not signed off, so it is already open for changes")
        if old.superseded_by:
            raise Refused(f"this version was already reopened as {short(old.superseded_by)}")
        reason = check_text(reason, "the reason for reopening", required=True, max_length=2000).strip()
        new = old.replace(id=new_id(), status=IN_PROGRESS, version=old.version + 1, signoff=None, submitted_at=None,
                          reopened_from=old.id, created_at=self.clock.now(), created_by=self.actor)
        framework = self.framework(old)
        answer_changes, _ = self._carry_answers(old, new, framework, AGREED)
        action_changes = self._copy_actions(old, new, framework, only_open=False,
                                            note=f"Reopened as version {new.version}: {reason}")
        closed = old.replace(superseded_by=new.id)
        self.commit("assessment.reopen", f"{old.period} reopened as version {new.version}: {reason}",
                     [Change("assessments", old.id, old.to_record(), closed.to_record()),
                      Change("assessments", new.id, None, new.to_record())] + answer_changes + action_changes)
        return new

    def record_feedback(self, assessment: Assessment, items: list[dict[str, Any]], reviewer: str, reviewed_at: str,
                        feedback_file: str) -> list[Feedback]:
        """Store a regulator's verdicts beside the domains and actions they concern."""
        existing = {(f.target, f.target_id, f.reviewed_at) for f in self.feedback(assessment.id)}
        records: list[Feedback] = []
        for item in items:
            key = (item["target"], item["target_id"], reviewed_at)
            if key in existing:
                continue
            records.append(Feedback(new_id(), assessment.id, item["target"], item["target_id"], item["verdict"],
                                    check_text(item.get("comment", ""), "feedback comment"), reviewer, reviewed_at,
                                    self.clock.now(), feedback_file))
        queried = sum(r.verdict == "queried" for r in records)
        self.commit("feedback.import", f"feedback from {reviewer} on {assessment.period}: {len(records)} item(s), {queried} queried",
                     [Change("feedback", r.id, None, r.to_record()) for r in records])
        return records

    # --- action plan views --------------------------------------------------------------------

    def overdue(self, actions: Iterable[Action]) -> list[Action]:
        today = self.today()
        return [a for a in actions if action_rules.is_overdue(a, today)]


_READ_TABLES = {"answers": "answers", "actions": "actions", "live": "actions", "plan": "actions"}
# Tables whose changes cannot touch what _read keeps except through the two above; any other
# table changed by our own save forgets everything read (safe for a table added later).
_KNOWN_TABLES = {"answers", "actions", "assessments", "organisations", "frameworks", "feedback", "submissions_sent"}


def _in_plan_order(actions: Iterable[Action]) -> list[Action]:
    return sorted(actions, key=lambda a: (a.assessment_id, _ref_number(a.ref), a.ref))


def _ref_number(ref: str) -> int:
    digits = "".join(ch for ch in ref if "0" <= ch <= "9")[:9]  # ASCII only: int() refuses other digits
    return int(digits) if digits else 0


def _describe_answer(framework: fw.Framework, q: fw.Question, a: Answer) -> str:
    if a.is_na:
        return "N/A"
    if a.rating:
        return framework.scale_for(q).level(a.rating).label
    return "edited"


def _describe_update(changed: dict[str, str]) -> str:
    parts = []
    if "status" in changed:
        parts.append(f"Status set to {ACTION_STATUSES[changed['status']]}")
    if "due" in changed:
        parts.append(f"due date moved to {changed['due']}")
    if "owner" in changed:
        parts.append(f"owner changed to {changed['owner']}")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:]

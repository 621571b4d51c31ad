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
from .errors import Hint, InvalidInput, NotFound, RationaleNeeded, Refused
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
    EvidenceFile,
    Feedback,
    Organisation,
    ProgressNote,
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
from .rounds import board_spread, median_for
from .scoring import Scores, score, trend

T = TypeVar("T")

if TYPE_CHECKING:
    from pathlib import Path

    from .checks import Challenge
    from .compare import Comparison
    from .crosswalk import Suggestion
    from .figures import Figures
    from .indicator_data import Extract
    from .indicator_set import IndicatorSet
    from .indicators import IndicatorFigures
    from .lifecycle import Blockers
    from .migration import Plan


EVIDENCE = "evidence"  # the table of evidence records (the store keeps their files by sha256)


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

    def version(self, table: str) -> tuple[int, int]:
        """Where one table stands: moves on with every change to it, and with nothing else."""
        ...

    def keep_received(self, kind: str, name: str, data: bytes) -> None:
        """Keep a file as received from outside (a submission), beside the store."""
        ...

    def read_received(self, kind: str, name: str) -> bytes | None:
        """A file kept by keep_received, or None if it is not there."""
        ...

    def keep_evidence(self, sha256: str, data: bytes) -> None:
        """Keep an evidence file under the SHA-256 of its bytes: whole or not at all, owner-only."""
        ...

    def read_evidence(self, sha256: str) -> bytes | None:
        """An evidence file kept by keep_evidence, or None if it is not there."""
        ...

    def verify(self) -> VerifyReport:
        """Check the whole chain, that the stored state is exactly what it recorded, and every evidence file."""
        ...

    def close_records(self, table: str, key: str, groups: list[tuple[str, list[str]]]) -> int:
        """Keep the records of `table` whose `key` is one of a group's values out of the everyday
        state, in a file of their own per group, read only when a read asks for them; how many."""
        ...

    def closed_values(self, table: str, key: str) -> frozenset[str]:
        """The values of `key` whose records of `table` close_records keeps apart."""
        ...

    def closed_labels(self, table: str) -> frozenset[str]:
        """The labels of the groups of `table` close_records keeps apart."""
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
        # Actions' histories as joined, while the chain stands where they were read (repo.head):
        # a note after a note costs the note, not the history again.
        self._histories: dict[str, tuple[ProgressUpdate, ...]] = {}
        self._histories_at: tuple[int, str] | None = None
        self._held: dict[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], fw.Framework] = {}  # per-service views
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

    def commit(self, action: str, summary: str, changes: list[Change],
               history: tuple[str, tuple[ProgressUpdate, ...]] | None = None) -> None:
        """Make a set of record changes durable as one audit event (nothing if there are none).
        history: the one action whose history these changes extend, and that history now."""
        if not changes:
            return
        event = self.repo.commit(action, self.actor, summary, changes, self.clock.now())
        self._after_own_commit(event, changes)
        at = self._histories_at
        follows = at is not None and event.get("prev") == at[1] and event.get("seq") == at[0] + 1
        touched = [c for c in changes if c.table == "progress"
                   or (c.table == "actions" and c.before is not None and c.after is not None
                       and (c.before.get("carried_from"), c.before.get("carried_notes"))
                       != (c.after.get("carried_from"), c.after.get("carried_notes")))]
        if follows and (not touched or (history is not None and not any(
                (c.after or c.before or {}).get("action_id", history[0]) != history[0] for c in touched))):
            self._histories_at = (event["seq"], event["hash"])
            if history is not None:
                self._histories[history[0]] = history[1]
        else:
            self._histories, self._histories_at = {}, None

    def _known_histories(self) -> dict[str, tuple[ProgressUpdate, ...]]:
        """The histories joined so far, as long as nothing was saved since (by this copy or another)."""
        head = self.repo.head
        if head != self._histories_at:
            self._histories, self._histories_at = {}, head
        return self._histories

    # --- the shape of the records -----------------------------------------------------------------

    def upgrade(self) -> int:
        """Move histories kept on action records (stores written before notes were their own records)
        into progress notes, in one audit event; how many actions were upgraded (0: nothing to do).

        Each action's history is what it was: a carried copy keeps the entries it inherited as a
        link (carried_notes: how far its history agreed with the action it came from), and only
        its own entries become its notes. Idempotent: an upgraded action has carried_notes, which
        is how the ones still to do are found (through an index, not a scan of every record)."""
        legacy = self.repo.find("actions", carried_notes=None)
        if not legacy:
            return 0
        originals = {r["id"]: r for r in legacy}
        changes: list[Change] = []
        for rec in legacy:
            history = [ProgressUpdate.from_record(u) for u in rec.get("updates", ())]
            source_id = rec.get("carried_from")
            source = None
            if isinstance(source_id, str):
                source = originals.get(source_id) or self.repo.get("actions", source_id)
            inherited = 0
            if source is not None:
                before = self._history(source, {}) if "updates" not in source else tuple(
                    ProgressUpdate.from_record(u) for u in source["updates"])
                while inherited < min(len(before), len(history)) and before[inherited] == history[inherited]:
                    inherited += 1
            after = {k: v for k, v in rec.items() if k != "updates"}
            after["carried_notes"] = inherited
            changes.append(Change("actions", rec["id"], rec, after))
            own = history[inherited:]
            for n, update in enumerate(own, start=1):
                changes.append(self._note_change(rec["id"], n, update))
            for note in self.repo.find("progress", action_id=rec["id"]):  # written since, without the upgrade
                changes.append(Change("progress", note["id"], note, {**note, "n": note["n"] + len(own)}))
        self.commit("store.upgrade", f"records upgraded: the histories of {len(legacy)} action(s) kept as progress notes "
                    "of their own, each carried-forward action linked to the one it came from", changes)
        return len(legacy)

    def close_finished_years(self) -> int:
        """Keep the progress notes of finished years in files of their own (see the store's close_records):
        what the app shows at start, this year's answers and plan, is then read without them, and a
        history that reaches back into those years reads them when it is asked for. A year is finished
        when the board signed it off and a later assessment carries it on (or a new version replaced
        it). How many notes were moved (0: nothing to do, the usual case)."""
        done = self.repo.closed_labels("progress")  # at every open: a year closed before costs nothing more
        closed: frozenset[str] | None = None
        groups: list[tuple[str, list[str]]] = []
        for a in self.assessments():
            # Named without reading the framework (opening must not wait for the YAML files).
            label = f"{self.organisation(a.organisation_id).name} {a.period} ({a.framework_id}, version {a.version})"
            if label in done or not (a.frozen and (a.superseded_by or self.repo.find("assessments", previous_id=a.id))):
                continue
            closed = self.repo.closed_values("progress", "action_id") if closed is None else closed
            ids = [r["id"] for r in self.repo.find("actions", assessment_id=a.id) if r["id"] not in closed]
            if ids:
                groups.append((label, ids))
        return self.repo.close_records("progress", "action_id", groups) if groups else 0

    # --- reads kept while nothing changes -----------------------------------------------------

    def _read(self, kind: str, assessment_id: str, make: Callable[[], T]) -> T:
        """What was read for an assessment, kept until the store moves on: the home screen's
        summaries and each key press on a question read the same records again and again."""
        kept = self._kept()
        key = (kind, assessment_id)
        if key not in kept:
            if kind not in _READ_TABLES:  # else our own saves would never forget it (_after_own_commit)
                raise ValueError(f"kept read '{kind}' names no table in _READ_TABLES")
            kept[key] = make()
        return cast(T, kept[key])

    def _kept(self) -> dict[tuple[str, str], Any]:
        """What _read keeps, for the store as it stands now (forgotten when it has moved on)."""
        head = self.repo.head  # moves with every save, ours or another copy's
        if head != self._reads_head:
            self._reads, self._reads_head = {}, head
        return self._reads

    def _after_own_commit(self, event: dict[str, Any], changes: list[Change]) -> None:
        """Our own save: forget only what it touched, where nothing else was saved in between (the
        event follows what the kept reads were read at); otherwise the next read starts afresh."""
        if not event.keys() >= _EVENT_LINKS:  # a store that stages its saves (the demo) names no event
            self._reads, self._reads_head = {}, None
            return
        after = (event["seq"], event["hash"])
        if self._reads_head != (event["seq"] - 1, event["prev"]):
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
        # Only the touched reads are forgotten: a save costs what it changed, not how many years'
        # summaries the home screen has kept.
        reads = self._reads
        for table, aid in touched:
            for kind in _READS_OF.get(table, ()):
                reads.pop((kind, aid), None)
        if carried:  # what a later year carries on changes which of any year's actions are live
            for key in [k for k in reads if k[0] in ("live", "plan")]:
                del reads[key]
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
        """The exact framework version an assessment was answered against (pinned in the store), as
        this assessment holds it: a domain rated per service once for each service it names."""
        base = self.pinned_framework(assessment)
        if not base.has_parts:
            return base
        key = (assessment.framework_hash, tuple(sorted(assessment.parts.items())))
        held = self._held.get(key)
        if held is None:
            held = self._held[key] = fw.with_parts(base, assessment.parts)
        return held

    def pinned_framework(self, assessment: Assessment) -> fw.Framework:
        """The framework exactly as pinned, before any domain is held per service."""
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
        def read() -> Assessment:
            return Assessment.from_record(self.by_handle("assessments", handle, "assessment",
                                                         Hint("see the ids", command="selfassess assessments")))
        whole = (handle or "").strip().lower()
        if len(whole) == 36:  # a whole id (each key press names one): kept while the store stands, as _read keeps
            return self._read("assessment", whole, read)
        return read()

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

    def actions(self, assessment_id: str | None = None, *, history: bool = True) -> list[Action]:
        """An assessment's actions (or every action), in ref order, each with its whole history.

        history=False leaves the history out (updates empty): for counts and statuses only, which
        then never read a note, and are kept while nothing is saved (see _read)."""
        if history:
            seen = self._known_histories()
            if assessment_id is None:
                return _in_plan_order(self._action_of(r, seen) for r in self.repo.all("actions"))
            found = []  # the year's actions as kept, each with its history joined once per saved state
            for a in self.actions(assessment_id, history=False):
                if a.id not in seen:
                    self._history(self.repo.get("actions", a.id) or a.stored(), seen)
                found.append(a.replace(updates=seen[a.id]))
            return found
        if assessment_id is None:
            return _in_plan_order(Action.from_record(r) for r in self.repo.all("actions"))
        return list(self._read("actions", assessment_id, lambda: tuple(_in_plan_order(
            Action.from_record(r) for r in self.repo.find("actions", assessment_id=assessment_id)))))

    def action(self, handle: str) -> Action:
        return self._action_of(self.by_handle("actions", handle, "action",
                                              Hint("see the ids", command="selfassess actions ASSESSMENT")),
                               self._known_histories())

    def _action_of(self, rec: dict[str, Any], seen: dict[str, tuple[ProgressUpdate, ...]]) -> Action:
        return Action.from_record(rec).replace(updates=self._history(rec, seen))

    def _history(self, rec: dict[str, Any], seen: dict[str, tuple[ProgressUpdate, ...]]) -> tuple[ProgressUpdate, ...]:
        """An action's whole history, oldest first: what it inherited when carried forward (that
        action's history as it stood then: its first carried_notes entries), then its own notes.
        `seen` keeps the histories already joined, so a year's actions share the walk back."""
        chain: list[dict[str, Any]] = []  # this action, then the ones it was carried from, newest first
        ids: set[str] = set()
        current: dict[str, Any] | None = rec
        while current is not None and current["id"] not in seen and current["id"] not in ids:
            chain.append(current)
            ids.add(current["id"])
            source = current.get("carried_from")
            # A record from before notes were their own records holds its whole history itself.
            inherits = "updates" not in current and current.get("carried_notes")
            current = self.repo.get("actions", source) if inherits and isinstance(source, str) else None
        history = seen[current["id"]] if current is not None and current["id"] in seen else ()
        for r in reversed(chain):
            if "updates" in r:
                history = tuple(ProgressUpdate.from_record(u) for u in r["updates"])
            else:
                history = history[:r.get("carried_notes", 0)]
            history += self._own_notes(r["id"])
            seen[r["id"]] = history
        return seen[rec["id"]]

    def _own_notes(self, action_id: str) -> tuple[ProgressUpdate, ...]:
        notes = sorted((ProgressNote.from_record(r) for r in self.repo.find("progress", action_id=action_id)),
                       key=lambda p: p.n)
        return tuple(p.update for p in notes)

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
        """The assessment's scores, worked out once while its answers stay as they are: a summary
        needs this year's and last year's, and the home screen asks for every year's."""
        framework = self.framework(assessment)
        held, scores = self._read("scores", assessment.id, lambda: (framework, score(framework, self.answers(assessment.id))))
        return scores if held is framework else score(framework, self.answers(assessment.id))

    def summary(self, assessment: Assessment) -> AssessmentSummary:
        from .figures import compute

        framework = self.framework(assessment)
        answers = self.answers(assessment.id)
        scores = self.scores(assessment)
        previous = self.previous(assessment)
        previous_scores = self.scores(previous) if previous else None
        actions = self._plan_counts(assessment.id)
        figures = compute(framework, answers, assessment, previous=previous_scores,
                          previous_period=previous.period if previous else None, actions=actions,
                          today=self.today(), scores=scores)
        return AssessmentSummary(
            assessment, self.organisation(assessment.organisation_id), framework, scores,
            previous, previous_scores, trend(scores, previous_scores), actions, figures,
        )

    def summaries(self, assessments: Iterable[Assessment]) -> dict[str, AssessmentSummary]:
        """Summaries of many assessments at once, by id (the home screen's every year). The same as
        summary() of each; which of their actions later years carry on is found in one read of the
        actions, not one look-up per action (3,000 of them in a store of 20 years)."""
        wanted = list(assessments)
        self._read_plans([a.id for a in wanted])
        return {a.id: self.summary(a) for a in wanted}

    def _read_plans(self, assessment_ids: list[str]) -> None:
        """_carried_on and the plan of several assessments from one read of every action, kept as
        _carried_on and _plan_counts keep them."""
        kept = self._kept()
        todo = [aid for aid in assessment_ids if ("live", aid) not in kept or ("plan", aid) not in kept]
        if len(todo) < 2:  # one year: its own look-ups cost less than reading every year's actions
            return
        records = self.repo.all("actions")
        carried = {r["carried_from"] for r in records if r.get("carried_from") is not None}
        by_assessment: dict[Any, list[dict[str, Any]]] = {}
        for r in records:
            by_assessment.setdefault(r.get("assessment_id"), []).append(r)
        for aid in todo:
            own = by_assessment.get(aid, [])
            live = kept.setdefault(("live", aid), frozenset(r["id"] for r in own if r["id"] in carried))
            kept.setdefault(("plan", aid), _plan_entries(own, live))

    def figures(self, assessment: Assessment) -> Figures:
        """The one set of figures for an assessment (see core/figures.py)."""
        return self.summary(assessment).figures

    def checks(self, assessment: Assessment) -> list[Challenge]:
        """Points for challenge: what a non-executive would question before signing (core/checks.py)."""
        from .checks import challenges

        previous = self.previous(assessment)
        return challenges(self.framework(assessment), self.answers(assessment.id),
                          self.live_actions(assessment.id, history=False),
                          self.today(), previous_framework=self.framework(previous) if previous else None,
                          previous_answers=self.answers(previous.id) if previous else None,
                          evidence=self.evidence(assessment.id))

    def blockers(self, assessment: Assessment) -> Blockers:
        """What must be done before the board is asked to agree, or signs (core/lifecycle.py)."""
        from .lifecycle import blockers

        return blockers(self.framework(assessment), self.answers(assessment.id), self.missing_parts(assessment))

    def live_actions(self, assessment_id: str, *, history: bool = True) -> list[Action]:
        """An assessment's actions, less those carried forward into a later assessment (tracked there).
        history=False: without their histories, as for actions()."""
        carried = self._carried_on(assessment_id)
        return [a for a in self.actions(assessment_id, history=history) if a.id not in carried]

    def carried_on(self, assessment: Assessment) -> tuple[int, str]:
        """How many of an assessment's actions a later assessment carries on, and that one's period
        ((0, "") when none): its documents say so, as its figures count only the actions that stayed."""
        carried = sorted(self._carried_on(assessment.id))
        if not carried:
            return 0, ""
        later = self.repo.find("actions", carried_from=carried[0])
        return len(carried), self.assessment(later[0]["assessment_id"]).period if later else ""

    def _carried_on(self, assessment_id: str) -> frozenset[str]:
        """Ids of this assessment's actions that a later assessment carries on (found by the store's
        index of carried_from, one look-up per action: not a read of every year's actions)."""
        def make() -> frozenset[str]:
            ids = [r["id"] for r in self.repo.find("actions", assessment_id=assessment_id)]
            return frozenset(i for i in ids if self.repo.find("actions", carried_from=i))
        return self._read("live", assessment_id, make)

    def _plan_counts(self, assessment_id: str) -> action_rules.ActionSummary:
        """The live plan's counts (status, due dates, owners): what every summary shows. Built from
        the records' few fields the counts read (no Action, no progress history: most of the cost
        of an action that has run for years)."""
        def make() -> tuple[action_rules.PlanEntry, ...]:
            return _plan_entries(self.repo.find("actions", assessment_id=assessment_id), self._carried_on(assessment_id))
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

    def project(self, assessment_handle: str, to_framework: str) -> tuple[fw.Framework, list[Suggestion]]:
        """What an assessment's answers suggest for each question of another framework, through the
        crosswalks that join them, with the answer and link behind each suggestion."""
        from .crosswalk import project

        source = self.assessment(assessment_handle)
        target = self.catalogue.get(to_framework)
        return target, project(self.framework(source), self.answers(source.id), target, self.catalogue.crosswalks)

    def new_assessment(self, organisation: str, framework_name: str | None, period: str, *,
                       from_handle: str | None = None, ods_code: str = "", org_type: str = "acute",
                       suggest_from: str | None = None) -> CarryForward:
        """Start an assessment; with from_handle, carry answers (marked for review) and open actions forward.
        With suggest_from (an assessment of another framework), take what its answers suggest
        through the crosswalks as draft answers to review: never agreed ones."""
        if suggest_from is not None:
            if from_handle is not None:
                raise InvalidInput("take answers from last year (--from) or suggestions from another framework "
                                   "(--suggest-from), not both")
            if not framework_name:
                raise InvalidInput("suggestions need the framework to start on, expected --framework ID")
            target, suggestions = self.project(suggest_from, framework_name)
            source = self.assessment(suggest_from)
            org = self.organisation(source.organisation_id)
            if organisation and organisation.strip().lower() not in (org.name.lower(), org.ods_code.lower()):
                raise InvalidInput(f"assessment {short(source.id)} belongs to {org.name}, not '{organisation}'")
            made = self.new_assessment(org.name, framework_name, period)
            changes = []
            framework = self.framework(made.assessment)
            for sug in suggestions:
                if sug.level is None or not framework.has_question(sug.question_id):
                    continue
                note = ("Suggested from the " + f"{source.period} {self.framework(source).title} answers: "
                        + sug.provenance() + ". A draft to review, not the board's answer.")
                a = Answer(id=new_id(), assessment_id=made.assessment.id, question_id=sug.question_id,
                           rating=sug.level, notes=note, state=DRAFT, updated_by=self.actor,
                           updated_at=self.clock.now())
                changes.append(Change("answers", a.id, None, a.to_record()))
            if changes:
                self.commit("answer.suggest", f"{len(changes)} draft answer(s) suggested from {short(source.id)} "
                            f"through the crosswalks", changes)
            return CarryForward(made.assessment, len(changes), 0, ())
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
        # Services named last year are held again (they can be added to); their answers carry with them.
        parts = {k: v for k, v in previous.parts.items()} if previous is not None else {}
        assessment = Assessment(
            id=new_id(), organisation_id=org.id, framework_id=framework.id, framework_version=framework.version,
            framework_hash=framework.content_hash, period=period, status=IN_PROGRESS,
            created_at=self.clock.now(), created_by=self.actor, previous_id=previous.id if previous else None,
            parts=parts,
        )
        framework = fw.with_parts(framework, parts)
        changes = org_changes + self._pin(framework) + [Change("assessments", assessment.id, None, assessment.to_record())]
        answers = actions = 0
        orphaned: tuple[str, ...] = ()
        if previous is not None:
            answer_changes, orphaned = self._carry_answers(previous, assessment, framework, NEEDS_REVIEW)
            action_changes, actions = self._copy_actions(previous, assessment, framework, only_open=True,
                                                         note=f"Carried forward from {previous.period}")
            answers = len(answer_changes)
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

    def _copy_actions(self, src: Assessment, dst: Assessment, framework: fw.Framework, *, only_open: bool,
                      note: str) -> tuple[list[Change], int]:
        """The changes that carry src's actions into dst, and how many actions: each copy links to the
        one it came from and inherits its history as it stands (not copied), plus one note saying so."""
        changes = []
        count = 0
        for a in self.actions(src.id):
            if only_open and a.closed:
                continue
            qids: list[str] = []
            for q in a.question_ids:
                qids.extend([q] if framework.has_question(q) else framework.successors(q))
            update = ProgressUpdate(self.today().isoformat(), self.actor, note)
            copy = a.replace(id=new_id(), assessment_id=dst.id, question_ids=tuple(qids), carried_from=a.id,
                             carried_notes=len(a.updates), updates=a.updates + (update,))
            changes.append(Change("actions", copy.id, None, copy.stored()))
            changes.append(self._note_change(copy.id, 1, update))
            count += 1
        return changes, count

    @staticmethod
    def _note_change(action_id: str, n: int, update: ProgressUpdate) -> Change:
        note = ProgressNote.of(new_id(), action_id, n, update)
        return Change("progress", note.id, None, note.to_record())

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
               state: str | None = None, clear_rating: bool = False, score: str | float | None = None,
               part: str | None = None, rationale: str | None = None) -> Answer:
        """Record or change an answer. Only the fields given change; the rest stay as they were.
        The rating is a level's key or label, or (score) a score on the question's scale; part names
        the service (or site) of a question rated per service.

        Where board members rated the question in a round, a rating away from their median needs a
        rationale, kept with the answer and on the audit trail (at the median none is kept)."""
        assessment = self.assessment(assessment_handle)
        self._editable(assessment)
        framework = self.framework(assessment)
        q = self._question_for(framework, question, part)
        if rating is not None and score is not None:
            raise InvalidInput("give a rating or a score, not both")
        if score is not None:
            rating = self._score_key(framework, q, score)
        if rating is not None and na_reason is not None:
            raise InvalidInput("give a rating or N/A with a reason, not both")
        found = self.repo.find("answers", assessment_id=assessment.id, question_id=q.id)
        before = found[0] if found else None  # as stored: the audit event's before is the record it replaces
        existing = Answer.from_record(before) if before else None
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
        if rationale is not None:
            fields["rationale"] = check_text(rationale, "the rationale", max_length=5000)
        fields.update(self._consensus(assessment, q, current, fields, state))
        # Compared field by field (current.replace(**fields) != current, without building it): one
        # answer is built per save, not three.
        if state is not None:
            fields["state"] = check_choice(state, ANSWER_STATES, "answer state")
        elif any(getattr(current, k) != v for k, v in fields.items()) or (
                current.state == NEEDS_REVIEW and (rating is not None or na_reason is not None)):
            # Editing a carried-forward answer is reviewing it, and so is choosing last year's level again
            # (a draft of this year's: reviewed, not agreed); editing an agreed one reopens it as a draft.
            fields["state"] = DRAFT
        if existing is not None and all(getattr(existing, k) == v for k, v in fields.items()):
            return existing  # nothing changed: nothing to record
        updated = current.replace(**fields, updated_by=self.actor, updated_at=self.clock.now())
        what = _describe_answer(framework, q, updated)
        why = f" (rationale: {updated.rationale})" if updated.rationale and updated.rationale != current.rationale else ""
        self.commit("answer.set", f"{q.ref} {what}{why}", [Change("answers", updated.id, before, updated.to_record())])
        return updated

    def _consensus(self, assessment: Assessment, q: fw.Question, current: Answer, fields: dict[str, Any],
                   state: str | None) -> dict[str, Any]:
        """The board's rating against its raters' median: away from it needs a rationale; at it none is kept."""
        rating = fields.get("rating", current.rating)
        changing = "rating" in fields and fields["rating"] != current.rating
        agreeing = state is not None and check_choice(state, ANSWER_STATES, "answer state") == AGREED
        if not (changing or agreeing or "rationale" in fields):
            return {}
        median, row = median_for(self, assessment, q.id)
        if median is None or rating is None or row is None:
            return {}
        if rating == median:
            return {"rationale": ""} if current.rationale or fields.get("rationale") else {}
        given = fields.get("rationale", "" if changing else current.rationale)
        if not given:
            scale = self.framework(assessment).scale_for(q)
            raise RationaleNeeded(f"{q.ref}: the raters' median is {scale.level(median).label} ({row.counts.get(median, 0)} of "
                          f"{row.n} chose it); agreeing {scale.level(rating).label} needs a rationale saying why the "
                          "board's rating differs from its members' middle view; nothing was changed",
                          hint=Hint("give the reason", command="--rationale TEXT",
                                    key="write it when the app asks for the rationale"))
        return {"rationale": given}

    @staticmethod
    def _question_for(framework: fw.Framework, question: str, part: str | None) -> fw.Question:
        """A question by id or ref; with part, the copy of a question rated per service for that service."""
        if part is None:
            try:
                return framework.question(question)
            except NotFound:
                copies = [q for q in framework.questions() if q.base_id and question in (q.base_id, q.ref.rsplit(".", 1)[0])]
                empty = [d for d in framework.domains if d.rated_per and not d.questions]
                if not copies and empty:
                    raise InvalidInput(f"no question '{question}' to answer yet: {empty[0].ref} {empty[0].title} is rated "
                                       f"per {empty[0].rated_per} and none is named",
                                       hint=Hint("name one", command="selfassess services ASSESSMENT --add NAME")) from None
                if copies:
                    raise InvalidInput(f"{question} is rated for each service, expected --service NAME (one of: "
                                       + ", ".join(q.part for q in copies) + f") or its ref for one service, such as {copies[0].ref}") from None
                raise
        wanted = part.strip().lower()
        for q in framework.questions():
            if q.base_id and q.part.lower() == wanted and question in (q.base_id, q.ref.rsplit(".", 1)[0], q.id, q.ref):
                return q
        named = sorted({q.part for q in framework.questions() if q.base_id})
        raise NotFound(f"no question '{question}' for the service '{part}' in this assessment, expected a question "
                       f"rated per service and one of its services: {', '.join(named) or '(none named yet)'}",
                       hint=Hint("name a service", command="selfassess services ASSESSMENT --add NAME"))

    # --- services (or sites) of a domain rated per service ---------------------------------------

    def add_part(self, assessment_handle: str, name: str, kind: str | None = None) -> Assessment:
        """Name a service (or site) the assessment holds its per-service domains for."""
        assessment = self.assessment(assessment_handle)
        self._editable(assessment)
        base = self.pinned_framework(assessment)
        kinds = sorted({d.rated_per for d in base.domains if d.rated_per})
        if not kinds:
            raise Refused(f"{base.title} rates no domain per service or site: there is nothing to name")
        if kind is None:
            if len(kinds) > 1:
                raise InvalidInput(f"{base.title} rates domains per {' and per '.join(kinds)}: say which with --kind")
            kind = kinds[0]
        if kind not in kinds:
            raise InvalidInput(f"{base.title} rates no domain per {kind}, expected: {', '.join(kinds)}")
        text = check_text(name, f"the {kind}'s name", required=True, max_length=80)
        names = assessment.parts.get(kind, ())
        if fw.part_slug(text) in {fw.part_slug(n) for n in names}:
            raise Refused(f"the {kind} '{text}' is already named for this assessment; nothing was changed")
        updated = assessment.replace(parts={**assessment.parts, kind: (*names, text)})
        self.commit("assessment.part", f"named the {kind} {text}",
                    [Change("assessments", assessment.id, assessment.to_record(), updated.to_record())])
        return updated

    # --- migrating to a new framework version -----------------------------------------------------

    def archived(self, assessment_id: str) -> list[dict[str, Any]]:
        """Answers kept aside by a migration, each pinned to the framework version it was given under."""
        return sorted(self.repo.find("archived_answers", assessment_id=assessment_id),
                      key=lambda r: (r.get("archived_at", ""), r.get("question_id", "")))

    def archived_question(self, assessment: Assessment, record: dict[str, Any]) -> fw.Question | None:
        """The question an archived answer was given to, as the version it is pinned to asks it (its ref,
        its words): None when that version's copy cannot be found."""
        version = str(record.get("archived_from", "")).partition("@")[2]
        try:
            pinned = self.pinned_framework(assessment.replace(framework_version=version or assessment.framework_version,
                                                              framework_hash=str(record["framework_hash"])))
        except (KeyError, NotFound, Refused):
            return None
        held = fw.with_parts(pinned, assessment.parts)
        qid = str(record.get("question_id", ""))
        return held.question(qid) if held.has_question(qid) else None

    def migrate(self, handle: str, to: str, *, dry_run: bool = False) -> Plan:
        """Move an assessment to another version of its framework (id@version, or id for the latest),
        applying the new version's retired, replaced_by, split and merged maps. Unchanged answers carry
        over; split and merged ones are flagged for re-rating; what is replaced or no longer asked is
        archived, pinned to the old version, never deleted. A second run changes nothing."""
        from .migration import CARRY, MERGE, REMOVED, RESCALED, SPLIT, plan

        assessment = self.assessment(handle)
        target = self.catalogue.get(to)
        if target.id != assessment.framework_id:
            raise InvalidInput(f"{target.key} is another framework than this assessment's ({assessment.framework_id}); "
                               "an assessment moves only between versions of its own framework",
                               hint=Hint("to start on another framework from these answers",
                                         command=f"selfassess new ORG --framework {target.id} --suggest-from {short(assessment.id)}"))
        old = self.framework(assessment)
        if target.content_hash == assessment.framework_hash:
            return plan(old, old, {})  # already there: nothing to do, nothing recorded
        if not dry_run:
            self._editable(assessment)
        new = fw.with_parts(target, assessment.parts)
        answers = self.answers(assessment.id)
        found = plan(old, new, {qid: a.rating for qid, a in answers.items()})
        if dry_run:
            return found
        now = self.clock.now()
        changes: list[Change] = self._pin(target)
        taken = {m.question_id for m in found.moves if m.kind in (CARRY, RESCALED) and m.targets == (m.question_id,)}
        merged: dict[str, list[Answer]] = {}

        def archive(a: Answer, *, keep_live: bool = False) -> None:
            rec = {**a.to_record(), "archived_from": old.key, "framework_hash": assessment.framework_hash,
                   "archived_at": now, "archived_by": self.actor}
            changes.append(Change("archived_answers", a.id if keep_live is False else f"{a.id}@{old.key}", None, rec))
            if not keep_live:
                changes.append(Change("answers", a.id, a.to_record(), None))

        def place(qid: str, src: Answer, rating: str | None, state: str) -> None:
            if qid in taken:
                return  # answered directly under the new version: that answer stands
            taken.add(qid)
            if rating is not None and rating not in new.scale_for(new.question(qid)).level_keys():
                rating, state = None, NEEDS_REVIEW
            a = Answer(id=new_id(), assessment_id=assessment.id, question_id=qid, rating=rating, na_reason=src.na_reason,
                       evidence=src.evidence, notes=src.notes, assurance=src.assurance, state=state,
                       updated_by=self.actor, updated_at=now, carried_from=src.id)
            changes.append(Change("answers", a.id, None, a.to_record()))

        for m in found.moves:
            a = answers[m.question_id]
            if m.kind == CARRY and m.targets == (m.question_id,):
                continue  # unchanged: the same record, untouched
            if m.kind == RESCALED:
                archive(a, keep_live=True)
                changes.append(Change("answers", a.id, a.to_record(),
                                      a.replace(rating=None, state=NEEDS_REVIEW, updated_by=self.actor, updated_at=now).to_record()))
                continue
            archive(a)
            if m.kind == CARRY:
                place(m.targets[0], a, a.rating, a.state)
            elif m.kind == SPLIT:
                for t in m.targets:
                    place(t, a, a.rating, NEEDS_REVIEW)
            elif m.kind == MERGE:
                merged.setdefault(m.targets[0], []).append(a)
            elif m.kind != REMOVED:
                raise AssertionError(m.kind)
        for qid, sources in merged.items():
            joined = Answer(id="", assessment_id=assessment.id, question_id=qid,
                            evidence="\n\n".join(x.evidence for x in sources if x.evidence),
                            notes="\n\n".join(x.notes for x in sources if x.notes), carried_from=sources[0].id)
            place(qid, joined.replace(id=sources[0].id), None, NEEDS_REVIEW)
        # Actions follow their questions to the new ids; a question no longer asked stays named.
        where = {m.question_id: m.targets for m in found.moves if m.targets and m.targets != (m.question_id,)}
        for x in self.actions(assessment.id):
            qids = tuple(dict.fromkeys(t for q in x.question_ids for t in where.get(q, (q,))))
            if qids != x.question_ids:
                changes.append(Change("actions", x.id, x.to_record(), x.replace(question_ids=qids).to_record()))
        moved = assessment.replace(framework_version=target.version, framework_hash=target.content_hash)
        changes.append(Change("assessments", assessment.id, assessment.to_record(), moved.to_record()))
        counts = ", ".join(f"{len(found.of(k))} {k}" for k in (CARRY, SPLIT, MERGE, RESCALED, REMOVED) if found.of(k))
        self.commit("assessment.migrate", f"moved {assessment.period} from {old.key} to {target.key}"
                    + (f": {counts}" if counts else ""), changes)
        return found

    # --- targets ---------------------------------------------------------------------------------

    def set_target(self, assessment_handle: str, domain: str, level: str, by: str, *, past_ok: bool = False) -> Assessment:
        """The board's target level for a domain (id or ref) and the date to reach it by. A date
        already past is asked about first (past_ok: the user said to keep it), as an action's is:
        such a target reads as missed at once unless the score already reaches it."""
        from .figures import domain_scale

        assessment = self.assessment(assessment_handle)
        self._editable(assessment)
        framework = self.framework(assessment)
        d = framework.domain(domain)
        if not d.questions:
            raise InvalidInput(f"{d.ref} {d.title} has nothing to rate yet: name its {d.rated_per or 'part'}s first")
        scale = domain_scale(framework, d.id)
        key = self._rating_key(framework, d.questions[0], level) if scale.id == d.questions[0].scale_id else level
        target_level = scale.level(key)
        when = parse_date(by, "the target date")
        if not past_ok:
            self._refuse_past(when, "the target date", "a target not reached by then reads as missed", "the target dialog")
        rec = {"level": target_level.key, "by": when.isoformat(), "set_by": self.actor, "set_at": self.clock.now()}
        old = assessment.targets.get(d.id)
        if old and (old["level"], old["by"]) == (rec["level"], rec["by"]):
            return assessment  # the same target: nothing to record
        updated = assessment.replace(targets={**assessment.targets, d.id: rec})
        self.commit("assessment.target", f"target for {d.ref} {d.title}: {target_level.label} by {rec['by']}",
                    [Change("assessments", assessment.id, assessment.to_record(), updated.to_record())])
        return updated

    def missing_parts(self, assessment: Assessment) -> list[str]:
        """Domains rated per service with fewer services named than the framework asks."""
        out = []
        for d in self.pinned_framework(assessment).domains:
            if d.rated_per:
                have = len(assessment.parts.get(d.rated_per, ()))
                if have < d.at_least:
                    out.append(f"{d.ref} {d.title} is rated per {d.rated_per}: {d.at_least} needed, {have} named")
        return out

    @staticmethod
    def _rating_key(framework: fw.Framework, q: fw.Question, rating: str) -> str:
        scale = framework.scale_for(q)
        text = str(rating).strip()
        if text in scale.level_keys():
            return text
        if len(text) > 200:
            raise InvalidInput(f"the rating is {len(text):,} characters long, expected a level key, label or number "
                               f"on the {scale.title} scale")
        key = scale.key_of_label(text)
        if key is not None:
            return key
        if text.isascii() and text.isdigit() and len(text) <= 3:
            if scale.positions_are_scores and 1 <= int(text) <= len(scale.levels):
                return scale.levels[int(text) - 1].key  # scores 1, 2, 3...: the number is both
            if not scale.positions_are_scores:
                # On a scale such as 0 to 3, '3' could be the third level or the score 3: never guess.
                raise InvalidInput(
                    f"'{text}' is not a level of the {scale.title} scale, whose scores are "
                    + ", ".join(f"{fw.number_text(lv.score)} {lv.label}" for lv in scale.levels)
                    + f"; give the level's key or label, or the score with --score {text}")
        if scale.positions_are_scores:
            choices = ", ".join(f"{i} {lv.key}" for i, lv in enumerate(scale.levels, start=1))
        else:
            choices = ", ".join(f"{lv.key} ({lv.label}, score {fw.number_text(lv.score)})" for lv in scale.levels)
        raise InvalidInput(f"'{rating}' is not a rating on the {scale.title} scale, expected one of: {choices}")

    @staticmethod
    def _score_key(framework: fw.Framework, q: fw.Question, score: str | float) -> str:
        """The level a score on the question's scale names: --score 0 on EDS 2022 is Undeveloped."""
        scale = framework.scale_for(q)
        text = str(score).strip()
        try:
            value = float(text) if len(text) <= 20 else None
        except ValueError:
            value = None
        if value is None or value != value:  # not a number, or NaN
            raise InvalidInput(f"score '{text[:40]}' is not a number, expected one of the {scale.title} scale's scores: "
                               + ", ".join(f"{fw.number_text(lv.score)} {lv.label}" for lv in scale.levels))
        try:
            return scale.level_for_score(value).key
        except NotFound as exc:
            raise InvalidInput(str(exc)) from None

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
                   status: str | None = None, past_ok: bool = True) -> Action:
        """A new action on the plan, in one audit event; status, when given, is where it already stands
        (say, started before the board met). Dropping needs a reason, so an action is not made dropped.
        past_ok=False: a due date already past is refused until the user says to keep it (the command
        line's --past-date, the app's second ctrl+s)."""
        assessment = self.assessment(assessment_handle)
        self._editable(assessment)
        framework = self.framework(assessment)
        qids = tuple(dict.fromkeys(framework.question(q).id for q in question_ids))
        title, owner, due_date = action_rules.check_fields(title, owner, due)
        if not past_ok:
            self._refuse_past(due_date, "the due date", "the action would be overdue from the start; nothing was changed",
                              "the action dialog")
        state = check_choice(status, ACTION_STATUSES, "action status") if status else NOT_STARTED
        if state == DROPPED:
            raise InvalidInput("a new action cannot start as dropped, expected another status")
        refs = [_ref_number(a.ref) for a in self.actions(assessment.id, history=False)]
        action = Action(
            id=new_id(), assessment_id=assessment.id, ref=f"A{max(refs, default=0) + 1:02d}", title=title, owner=owner,
            owner_role=check_text(owner_role, "owner role", max_length=200).strip(),
            description=check_text(description, "description"),
            original_due=due_date.isoformat(), current_due=due_date.isoformat(), question_ids=qids,
            created_at=self.clock.now(), created_by=self.actor, origin=origin, status=state,
        )
        stands = f", {ACTION_STATUSES[state].lower()}" if state != NOT_STARTED else ""
        self.commit("action.add", f"{action.ref} {title} (owner {owner}, due {action.current_due}{stands})",
                     [Change("actions", action.id, None, action.stored())])
        return action

    def _refuse_past(self, when: date, what: str, then: str, dialog: str) -> None:
        """A date already past (a due date, a target's) is kept only when the user says so: --past-date,
        or ctrl+s a second time in the app's dialog."""
        if when < self.today():
            raise Refused(f"{what} {when.isoformat()} is already past (today is {self.today().isoformat()}): {then}",
                          hint=Hint("to keep that date, say so", command="--past-date", key=f"ctrl+s again in {dialog}"))

    def update_action(self, handle: str, *, status: str | None = None, due: str | None = None, note: str | None = None,
                      owner: str | None = None, owner_role: str | None = None, dropped_reason: str | None = None,
                      title: str | None = None, description: str | None = None, past_ok: bool = True) -> Action:
        """Progress on an action: status, due date, owner and a dated note, each on its history.
        past_ok=False: a due date moved to one already past is refused until the user says to keep it.

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
            when = parse_date(due, "due date")
            new_due = when.isoformat()
            if new_due != action.current_due:
                if not past_ok:
                    self._refuse_past(when, "the due date", "the action would be overdue from the start; nothing was "
                                      "changed", "the action dialog")
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
        changes: list[Change] = []
        updated = action.replace(**fields)
        if changed or text:
            # The note is a record of its own, appended: the action's record changes only if a field does,
            # so what a note writes to the log does not grow with the action's history.
            update = ProgressUpdate(self.today().isoformat(), self.actor, text or _describe_update(changed),
                                    status=changed.get("status"), due=changed.get("due"), owner=changed.get("owner"))
            record = self.repo.get("actions", action.id) or {}
            inherited = len(record["updates"]) if "updates" in record else record.get("carried_notes", 0)
            own = len(action.updates) - min(inherited, len(action.updates))
            changes.append(self._note_change(action.id, own + 1, update))
            updated = updated.replace(updates=action.updates + (update,))
        before = self.repo.get("actions", action.id)
        if before is None:
            raise NotFound(f"no action with id {action.id}")
        after = {**before, **{k: v for k, v in updated.stored().items() if k in fields}}
        if after != before:
            changes.insert(0, Change("actions", action.id, before, after))
        summary = f"{action.ref} " + (", ".join(f"{k} {v}" for k, v in changed.items()) or "progress note")
        self.commit("action.update", summary, changes, history=(action.id, updated.updates))
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
        found = board_spread(self, assessment)
        unexplained = [framework.question(qid).ref for qid in question_ids
                       if found and (row := found.of(qid)) and row.median and answers[qid].state == DRAFT
                       and answers[qid].rating not in (None, row.median) and not answers[qid].rationale]
        if unexplained:
            raise Refused(f"{', '.join(unexplained)}: the draft rating differs from the raters' median and has no "
                          "rationale; nothing was agreed",
                          hint=Hint("give each a rationale", command="selfassess answer ASSESSMENT REF --rationale TEXT"))
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
        action_changes, _ = self._copy_actions(old, new, framework, only_open=False,
                                               note=f"Reopened as version {new.version}: {reason}")
        # The same files stand as evidence for the new version (the blobs are shared, named by hash).
        evidence_changes = [Change(EVIDENCE, c.id, None, c.to_record()) for c in
                            (e.replace(id=new_id(), assessment_id=new.id, carried_from=e.id) for e in self.evidence(old.id))]
        # The indicator figures the board saw go with the new version (the same aggregates, new records).
        indicator_changes = [Change("indicator_data", rid, None, {**r, "id": rid, "assessment_id": new.id})
                             for r in self.repo.find("indicator_data", assessment_id=old.id) for rid in [new_id()]]
        closed = old.replace(superseded_by=new.id)
        self.commit("assessment.reopen", f"{old.period} reopened as version {new.version}: {reason}",
                     [Change("assessments", old.id, old.to_record(), closed.to_record()),
                      Change("assessments", new.id, None, new.to_record())] + answer_changes + action_changes
                     + evidence_changes + indicator_changes)
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

    # --- evidence files -----------------------------------------------------------------------

    def evidence(self, assessment_id: str, question_id: str | None = None, *, removed: bool = False) -> list[EvidenceFile]:
        """An assessment's evidence files (of one question), in framework order then as added; removed
        ones only when asked (they stay on record)."""
        found = [EvidenceFile.from_record(r) for r in self.repo.find(EVIDENCE, assessment_id=assessment_id)]
        found = [e for e in found if (question_id is None or e.question_id == question_id) and (removed or not e.removed)]
        order: dict[str, int] = {}
        rec = self.repo.get("assessments", assessment_id)
        if rec is not None:
            order = {q.id: i for i, q in enumerate(self.framework(Assessment.from_record(rec)).questions())}
        # Times are to the second: files added in the same second go by title, never at random.
        return sorted(found, key=lambda e: (order.get(e.question_id, len(order)), e.added_at, e.title.lower(), e.id))

    def add_evidence(self, handle: str, question: str, path: Path, *, title: str | None = None,
                     effective: str | None = None, expires: str | None = None) -> EvidenceFile:
        """Keep a file as evidence for one question: checked (a regular file, not a link, within the size
        limit, of a kind kept), copied into the store under its SHA-256, then recorded on the audit chain.

        Everything is checked before anything is written. The file is kept before the record is made: a
        failure between the two leaves only an unrecorded copy, which nothing points to."""
        from .evidence import MAX_FILES, TITLE_LENGTH, read_candidate

        assessment = self.assessment(handle)
        self._editable(assessment)
        q = self.framework(assessment).question(question)
        when_from = parse_date(effective, "effective date").isoformat() if effective else None
        when_to = parse_date(expires, "expiry date").isoformat() if expires else None
        if when_from and when_to and when_to < when_from:
            raise InvalidInput(f"the expiry date {when_to} is before the effective date {when_from}, "
                               "expected it on or after that date")
        if len(self.evidence(assessment.id)) >= MAX_FILES:
            raise Refused(f"this assessment already has {MAX_FILES} evidence files, as many as a submission can list; "
                          "remove one that no longer stands before adding another. Nothing was recorded.")
        candidate = read_candidate(path)
        shown_title = check_text(title if title is not None else candidate.file_name, "evidence title",
                                 required=True, max_length=TITLE_LENGTH).strip()
        for e in self.evidence(assessment.id, q.id):
            if e.sha256 == candidate.sha256:
                raise Refused(f"this file is already evidence for {q.ref}, as '{e.title}' ({short(e.id)}); nothing was recorded")
        ev = EvidenceFile(new_id(), assessment.id, q.id, candidate.sha256, len(candidate.data), candidate.file_name,
                          candidate.kind, shown_title, when_from, when_to, self.actor, self.clock.now())
        self.repo.keep_evidence(candidate.sha256, candidate.data)
        self.commit("evidence.add", f"{q.ref}: evidence '{shown_title}' ({candidate.file_name}, {ev.size:,} bytes, "
                    f"sha256 {candidate.sha256[:12]})", [Change(EVIDENCE, ev.id, None, ev.to_record())])
        return ev

    def evidence_file(self, handle: str) -> EvidenceFile:
        return EvidenceFile.from_record(self.by_handle(EVIDENCE, handle, "evidence file",
                                                       Hint("see the ids", command="selfassess evidence list ASSESSMENT")))

    def remove_evidence(self, assessment_handle: str, handle: str, reason: str) -> EvidenceFile:
        """Take a file out of an assessment's evidence. The file and its record are kept, with the reason."""
        assessment = self.assessment(assessment_handle)
        ev = self.evidence_file(handle)
        if ev.assessment_id != assessment.id:
            raise NotFound(f"the evidence file {short(ev.id)} belongs to another assessment than {short(assessment.id)}",
                           hint=Hint("see its evidence", command=f"selfassess evidence list {short(assessment.id)}"))
        if ev.removed:
            raise Refused(f"the evidence file '{ev.title}' was already removed on {(ev.removed_at or '')[:10]}: {ev.removed_reason}")
        self._editable(assessment)
        reason = check_text(reason, "the reason for removing it", required=True, max_length=2000).strip()
        done = ev.replace(removed_at=self.clock.now(), removed_by=self.actor, removed_reason=reason)
        ref = self.framework(assessment).question(ev.question_id).ref
        self.commit("evidence.remove", f"{ref}: evidence '{ev.title}' (sha256 {ev.sha256[:12]}) removed: {reason}; "
                    "the file is kept", [Change(EVIDENCE, ev.id, ev.to_record(), done.to_record())])
        return done

    def evidence_bytes(self, ev: EvidenceFile) -> bytes:
        """The file's bytes, checked against the hash it was recorded with."""
        from .evidence import sha256_of

        data = self.repo.read_evidence(ev.sha256)
        if data is None:
            raise NotFound(f"the evidence file '{ev.title}' ({ev.file_name}) is missing from the store",
                           hint=Hint("check the store", command="selfassess audit verify"))
        if sha256_of(data) != ev.sha256:
            raise Refused(f"the evidence file '{ev.title}' ({ev.file_name}) has changed since it was added "
                          f"(sha256 {ev.sha256[:12]} recorded)", hint=Hint("check the store", command="selfassess audit verify"))
        return data

    # --- action plan views --------------------------------------------------------------------

    def overdue(self, actions: Iterable[Action]) -> list[Action]:
        today = self.today()
        return [a for a in actions if action_rules.is_overdue(a, today)]

    # --- indicator data -------------------------------------------------------------------------

    def import_indicators(self, assessment_handle: str, iset: IndicatorSet, extract: Extract) -> list[str]:
        """Keep an extract's aggregates (never its rows) beside an assessment, in one audit event: for
        each indicator and period, the new figures replace any imported before. Returns the indicator ids."""
        assessment = self.assessment(assessment_handle)
        self._editable(assessment)
        if not extract.cells:
            raise InvalidInput(f"{extract.file_name} holds no figures for any indicator of {iset.key}, nothing was stored")
        changes: list[Change] = []
        if self.repo.get("indicator_sets", iset.content_hash) is None:
            changes.append(Change("indicator_sets", iset.content_hash, None,
                                  {"id": iset.id, "version": iset.version, "title": iset.title, "hash": iset.content_hash,
                                   "data": iset.data}))
        ids = sorted(extract.cells)
        for iid in ids:
            before = [r for r in self.repo.find("indicator_data", assessment_id=assessment.id, indicator_id=iid)
                      if r["period"] == extract.period]
            record_id: str = before[0]["id"] if before else new_id()
            record: dict[str, Any] = {
                "id": record_id, "assessment_id": assessment.id, "set_id": iset.id,
                "set_version": iset.version, "set_hash": iset.content_hash, "indicator_id": iid,
                "period": extract.period, "file_name": extract.file_name, "file_sha256": extract.file_sha256,
                "file_rows": extract.rows, "kind": extract.kind, "imported_at": self.clock.now(), "imported_by": self.actor,
                "cells": [[c.dimension, c.group, c.band, c.numerator, c.denominator]
                          for c in sorted(extract.cells[iid], key=lambda c: (c.dimension, c.group, c.band or 0))],
                "unknown_codes": {d: dict(sorted(codes.items())) for d, codes in sorted(extract.unknown_codes.items())},
            }
            changes.append(Change("indicator_data", record_id, before[0] if before else None, record))
        self.commit("indicators.import", f"indicator data for {extract.period} from {extract.file_name} "
                    f"({extract.rows:,} rows, sha256 {extract.file_sha256[:12]}): {len(ids)} indicator(s) of {iset.key}",
                    changes)
        return ids

    def indicator_set_of(self, assessment: Assessment) -> IndicatorSet | None:
        """The indicator set an assessment's data was imported against (the latest, if several)."""
        from . import indicator_set

        recs = self.repo.find("indicator_data", assessment_id=assessment.id)
        if not recs:
            return None
        latest = max(recs, key=lambda r: r.get("imported_at", ""))
        pinned = self.repo.get("indicator_sets", latest["set_hash"])
        if pinned is None:
            raise NotFound(f"the indicator set {latest['set_id']}@{latest['set_version']} of this assessment's data is not in the store")
        return indicator_set.from_store(pinned["data"], latest["set_hash"])

    def indicator_figures(self, assessment: Assessment) -> tuple[IndicatorSet | None, list[IndicatorFigures]]:
        """Every indicator of the assessment's set, computed once (core/indicators.py); none without data."""
        from .indicators import compute_all

        iset = self.indicator_set_of(assessment)
        if iset is None:
            return None, []
        recs = [r for r in self.repo.find("indicator_data", assessment_id=assessment.id) if r["set_id"] == iset.id]
        return iset, compute_all(iset, recs)

    def indicator_action(self, assessment_handle: str, indicator_id: str, owner: str, due: str, *, title: str = "",
                         owner_role: str = "") -> Action:
        """Turn a wide deprivation gap into an action on the indicator's linked question (in the words
        suggested, unless a title is given)."""
        from .indicators import suggested_action

        assessment = self.assessment(assessment_handle)
        iset, figures = self.indicator_figures(assessment)
        found = next((f for f in figures if f.id == indicator_id), None)
        if iset is None or found is None:
            raise NotFound(f"no indicator data for '{indicator_id}' in this assessment")
        if not found.gap_wide:
            raise Refused(f"the deprivation gap in {found.indicator.title} is not wide enough to suggest an action "
                          f"(Q1 against Q5 at a ratio of {iset.gap_flag_ratio:g}, intervals apart)")
        framework = self.framework(assessment)
        questions = [q for q in found.indicator.questions if framework.has_question(q)]
        if not questions:
            raise InvalidInput(f"{indicator_id} links to no question of {framework.key}, expected a 'questions' entry in the set")
        return self.add_action(assessment_handle, questions[:1], title or suggested_action(found)[:300], owner, due,
                               owner_role=owner_role, origin="suggested",
                               description=f"Suggested by the indicator {indicator_id} ({found.period}): "
                                           + suggested_action(found))


_READ_TABLES = {"answers": "answers", "actions": "actions", "live": "actions", "plan": "actions", "scores": "answers",
                "assessment": "assessments", "spread.board": "assessments", "spread.stakeholder": "assessments"}
# The kinds of kept read each table's changes make stale: what a save forgets (_after_own_commit).
_READS_OF = {t: tuple(k for k, kt in _READ_TABLES.items() if kt == t) for t in set(_READ_TABLES.values())}
# Tables whose changes cannot touch what _read keeps except through the two above; any other
# table changed by our own save forgets everything read (safe for a table added later).
_KNOWN_TABLES = {"answers", "actions", "progress", "assessments", "organisations", "frameworks", "feedback", "submissions_sent"}
_EVENT_LINKS = frozenset(("seq", "hash", "prev"))  # what an event names of its place in the chain


def _plan_entries(records: Iterable[dict[str, Any]], carried_on: frozenset[str]) -> tuple[action_rules.PlanEntry, ...]:
    """What the plan's counts read of an assessment's action records, less those carried on."""
    return tuple(action_rules.PlanEntry.of(r) for r in records if r["id"] not in carried_on)


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

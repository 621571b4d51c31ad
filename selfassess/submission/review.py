"""The regulator's side: import and verify submissions, compare trusts, and send feedback.

Imported submissions are read-only: the bundle is kept as received (store/submissions/) and
the store holds what was read from it, with scores recomputed from the answers and the
framework the trust answered against. Nothing from a bundle is used before it has passed the
schema in schema.py: a signature says who sent a file, not that it is well-formed.

`Review` is the one way in for the CLI and the app alike; it hands out typed records
(Submission, Mark, TrustedKey), never the raw tables.
"""

from __future__ import annotations

import hashlib
import json
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ..core import actions as rules
from ..core import framework as fw
from ..core.audit import Change
from ..core.errors import Hint, InvalidInput, NotFound, SelfAssessError
from ..core.figures import targets_of, whole_percent
from ..core.model import Action, Answer, Assessment, Organisation, check_choice, check_text, new_id
from ..core.scoring import score
from ..core.workspace import Workspace
from ..files import inside, safe_name
from ..paths import make_private_dir
from ..reports.review_xlsx import comparison_workbook
from . import bundle, keys, schema
from .keys import TrustedKey
from .submit import ALLOWED, OPTIONAL, read_file
from .tables import MARKS, REMOVED_TABLE, SENT, SUBMISSIONS

SUFFIX = ".selfassess"
to_xlsx = comparison_workbook  # the workbook is written with the other documents; the CLI and app call it here
VERDICTS = {"accepted": "Accepted", "queried": "Queried"}
REMOVED = "removed"


# --- the regulator's records ----------------------------------------------------------------------


@dataclass(frozen=True)
class DomainScore:
    id: str
    ref: str
    title: str
    percent: float | None
    level: str | None
    answered: int
    questions: int

    @property
    def label(self) -> str:
        return f"{self.ref} {self.title}"


@dataclass(frozen=True)
class FrameworkRef:
    id: str
    version: str
    title: str
    hash: str


@dataclass(frozen=True)
class Submission:
    """One imported submission as the regulator's store keeps it."""

    id: str  # the SHA-256 of the signed payload
    key_fingerprint: str
    organisation: Organisation
    period: str
    assessment: Assessment
    framework: FrameworkRef
    sequence: int
    previous: str | None
    file: str
    overall: float | None
    completeness: float
    domains: tuple[DomainScore, ...]
    actions: tuple[Action, ...]
    audit_head: dict[str, Any] | None = None
    created_at: str | None = None
    imported_at: str = ""
    imported_by: str = ""
    file_sha256: str = ""  # the whole file as received: a folder imported again skips it unread
    carried_forward: tuple[str, ...] = ()  # actions since carried into a later year, and counted there
    targets_set: int = 0  # domains with a target the board set
    targets_met: int = 0  # of those, the ones the domain's score reaches
    targets_unmet_by: tuple[str, ...] = ()  # the dates of those not reached: missed once the date has passed

    def targets_missed(self, today: date) -> int:
        """Targets whose date has passed without the submitted score reaching them."""
        return sum(1 for by in self.targets_unmet_by if by < today.isoformat())

    @property
    def live_actions(self) -> tuple[Action, ...]:
        """The actions this submission counts: those carried into a later year are counted there."""
        return tuple(a for a in self.actions if a.id not in self.carried_forward)

    @property
    def who(self) -> str:
        return f"{self.organisation.name} {self.period}"

    def domain(self, ref: str) -> DomainScore | None:
        return next((d for d in self.domains if ref in (d.id, d.ref)), None)

    def percent_of(self, domain_id: str) -> float | None:
        """A domain's score, or None where this submission has no such domain (a trend across versions)."""
        d = self.domain(domain_id)
        return d.percent if d else None

    def action(self, ref: str) -> Action | None:
        ref = ref.strip().lower()
        return next((a for a in self.actions if ref in (a.ref.lower(), a.id) or (len(ref) >= 4 and a.id.startswith(ref))), None)

    def to_record(self) -> dict[str, Any]:
        return {
            "id": self.id, "checked": schema.STORED_FORMAT, "key_fingerprint": self.key_fingerprint,
            "organisation": self.organisation.to_record(), "period": self.period,
            "assessment": self.assessment.to_record(),
            "framework": {"id": self.framework.id, "version": self.framework.version, "title": self.framework.title,
                          "hash": self.framework.hash},
            "sequence": self.sequence, "previous": self.previous, "audit_head": self.audit_head,
            "created_at": self.created_at, "file": self.file, "imported_at": self.imported_at,
            "imported_by": self.imported_by, "file_sha256": self.file_sha256,
            "carried_forward": list(self.carried_forward),
            "overall": self.overall, "completeness": self.completeness,
            "targets_set": self.targets_set, "targets_met": self.targets_met,
            "targets_unmet_by": list(self.targets_unmet_by),
            "domains": [{"id": d.id, "ref": d.ref, "title": d.title, "percent": d.percent, "level": d.level,
                         "answered": d.answered, "questions": d.questions} for d in self.domains],
            "actions": [a.to_record() for a in self.actions],
        }

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> Submission:
        """Raises schema.Malformed for a record that was imported before content was checked and
        is not what a submission holds."""
        if rec.get("checked") != schema.STORED_FORMAT:
            schema.read(schema.StoredSubmission, rec, f"the imported submission {str(rec.get('id'))[:8]}")
        f = rec["framework"]
        return cls(
            id=rec["id"], key_fingerprint=rec["key_fingerprint"], organisation=Organisation.from_record(rec["organisation"]),
            period=rec["period"], assessment=Assessment.from_record(rec["assessment"]),
            framework=FrameworkRef(f["id"], f["version"], f["title"], f["hash"]),
            sequence=rec["sequence"], previous=rec.get("previous"), file=rec.get("file", ""),
            overall=rec.get("overall"), completeness=rec.get("completeness", 0.0),
            domains=tuple(DomainScore(d["id"], d["ref"], d["title"], d["percent"], d["level"], d["answered"], d["questions"])
                          for d in rec["domains"]),
            actions=tuple(Action.from_record(a) for a in rec["actions"]),
            audit_head=rec.get("audit_head"), created_at=rec.get("created_at"),
            imported_at=rec.get("imported_at", ""), imported_by=rec.get("imported_by", ""),
            file_sha256=str(rec.get("file_sha256", "")),
            carried_forward=tuple(rec.get("carried_forward", ())),
            targets_set=int(rec.get("targets_set", 0)), targets_met=int(rec.get("targets_met", 0)),
            targets_unmet_by=tuple(str(x) for x in rec.get("targets_unmet_by", ()) if isinstance(x, str)),
        )


@dataclass(frozen=True)
class Unreadable:
    """An imported record that no longer passes the checks (imported by an older selfassess)."""

    id: str
    file: str
    why: str


@dataclass(frozen=True)
class Mark:
    """The regulator's verdict on one domain or action of a submission."""

    id: str
    submission_id: str
    target: str  # "domain" or "action"
    target_id: str
    label: str
    verdict: str  # "accepted" or "queried"
    comment: str
    reviewer: str
    at: str

    def to_record(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> Mark:
        return cls(**{k: rec[k] for k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Removed:
    submission_id: str
    who: str
    file: str
    reason: str


@dataclass(frozen=True)
class Checked:
    """The verdict on one file, and what it holds when it could be read."""

    file: Path
    verdict: str
    message: str
    submission: Submission | None = None
    bundle_bytes: bytes | None = None
    key: TrustedKey | None = None  # the registered key that signed it, where that is part of the verdict (revoked)


@dataclass(frozen=True)
class Verified:
    """A file whose signature, hashes and content have been checked; not yet judged against a store."""

    file: Path
    data: bytes
    opened: bundle.Opened
    submission: schema.SubmissionDoc
    framework: fw.Framework
    organisation: Organisation
    assessment: Assessment
    answers: list[Answer]
    actions: list[Action]


@dataclass(frozen=True)
class TrustRow:
    submission_id: str
    organisation: str
    ods_code: str
    period: str
    framework_title: str
    overall: float | None
    completeness: float
    domains: dict[str, float | None]
    open_actions: int
    overdue: int
    slipped: int
    queried: int
    history: tuple[tuple[str, float | None], ...] = field(default=())
    targets_set: int = 0
    targets_met: int = 0
    targets_missed: int = 0  # date passed, not reached (on the day compared)

    @property
    def meets_targets(self) -> bool | None:
        """Every target the board set is met; None where it set none."""
        return None if not self.targets_set else self.targets_met == self.targets_set


@dataclass(frozen=True)
class Comparison:
    domain_ids: list[str]
    domain_titles: list[str]
    rows: list[TrustRow]


SORT_KEYS = ("trust", "overall", "completeness", "open", "overdue", "slipped", "queried")


# --- checking a file: needs no store ------------------------------------------------------------


def bundle_files(targets: list[Path]) -> list[Path]:
    """The files named, and the *.selfassess entries of folders named. Entries that are not regular
    files (a FIFO, a device, a folder) are kept, so reading them reports why rather than skipping them."""
    files: list[Path] = []
    for t in targets:
        if t.is_dir():
            files += sorted(p for p in t.iterdir() if p.suffix == SUFFIX)
        else:
            files.append(t)
    return files


def _read(opened: bundle.Opened) -> tuple[schema.SubmissionDoc, fw.Framework]:
    """Parse a verified bundle's content against the schema and its own framework."""
    sub = opened.read(schema.SubmissionDoc, "submission.json")
    if "framework.json" not in opened.files:
        raise bundle.BundleError(bundle.MALFORMED, "framework.json is missing")
    try:
        framework = schema.framework_copy(opened.files["framework.json"])
        schema.check_submission(sub, framework)
        schema.check_evidence(sub, opened.files)
    except schema.EvidenceChanged as exc:
        raise bundle.BundleError(bundle.ALTERED, str(exc)) from None
    except schema.Malformed as exc:
        raise bundle.BundleError(bundle.MALFORMED, str(exc)) from None
    return sub, framework


def verify_file(path: Path, data: bytes | None = None) -> Verified | Checked:
    """Everything that needs no store: read, check the seal and the hashes, check the content.
    Pure and slow-ish, so the app runs it in a worker thread."""
    try:
        if data is None:
            data = read_file(path, bundle.MAX_FILE, "submission")
        opened = bundle.open_sealed(data, bundle.SUBMISSION, ALLOWED, OPTIONAL)
        sub, framework = _read(opened)
    except bundle.BundleError as exc:
        return Checked(path, exc.verdict, str(exc))
    except SelfAssessError as exc:
        return Checked(path, bundle.MALFORMED, str(exc))
    dump = sub.model_dump
    org = Organisation.from_record(dump()["organisation"])
    assessment = Assessment.from_record(dump()["assessment"])
    answers = [Answer.from_record(a.model_dump()) for a in sub.answers]
    actions = [Action.from_record(a.model_dump()) for a in sub.actions]
    return Verified(path, data, opened, sub, framework, org, assessment, answers, actions)


@dataclass(frozen=True)
class _Read:
    """The submissions a store holds, read at one version of its submissions table."""

    version: tuple[int, int]
    submissions: dict[str, Submission]
    unreadable: tuple[Unreadable, ...]


# Per open store (gone with it): a regulator's tenth year holds thousands of submissions, and every
# screen and command used to build them all again.
_READS: weakref.WeakKeyDictionary[Any, _Read] = weakref.WeakKeyDictionary()


# --- the service ---------------------------------------------------------------------------------


class Review:
    """The regulator's store: what was imported, marks, registered keys and feedback sent."""

    def __init__(self, ws: Workspace, home: Path):
        self.ws, self.home = ws, home
        self._read: _Read | None = None  # the submissions as read, shared with every Review of the store
        self._key_index: dict[str, list[Submission]] | None = None
        self._ods_index: dict[str, set[str]] | None = None
        self._own: tuple[str | None] | None = None

    # --- reading

    def _load(self) -> dict[str, Submission]:
        read = self._current()
        if read is not self._read:  # read again: the indexes built from the last read go with it
            self._read, self._key_index, self._ods_index = read, None, None
        return read.submissions

    def _current(self) -> _Read:
        """The submissions read from the store, as its submissions table stands now. Each screen makes
        its own Review: the records are read once for all of them, and again only when that table
        changes (a mark or a feedback file sent changes other tables, and nothing here)."""
        repo = self.ws.repo
        read = self._read_if_current()
        if read is not None:
            return read
        version = repo.version(SUBMISSIONS)
        submissions: dict[str, Submission] = {}
        unreadable: list[Unreadable] = []
        for rec in repo.all(SUBMISSIONS):
            try:
                submissions[rec["id"]] = Submission.from_record(rec)
            except (schema.Malformed, KeyError, TypeError, ValueError, AttributeError) as exc:
                why = str(exc) if isinstance(exc, schema.Malformed) else "it is not in the form selfassess writes"
                unreadable.append(Unreadable(str(rec.get("id", "?")), str(rec.get("file", "?")), why))
        read = _READS[repo] = _Read(version, submissions, tuple(unreadable))
        return read

    def _read_if_current(self) -> _Read | None:
        """The submissions already read from this store, if its submissions table has not moved since."""
        read = _READS.get(self.ws.repo)
        return read if read is not None and read.version == self.ws.repo.version(SUBMISSIONS) else None

    def _added(self, sub: Submission, before: tuple[int, int]) -> None:
        """Our own import, its change the only one to the table since `before`: the submissions read
        are kept in step instead of all read again (a new dict: one being looked through stays whole)."""
        read, repo = self._read, self.ws.repo
        if read is None or read.version != before or _READS.get(repo) is not read:
            return
        now = repo.version(SUBMISSIONS)
        if now != (before[0], before[1] + 1):
            return  # another copy changed the table too: the next look reads it again
        self._read = _READS[repo] = _Read(now, {**read.submissions, sub.id: sub}, read.unreadable)
        if self._key_index is not None:
            self._key_index.setdefault(sub.key_fingerprint, []).append(sub)
        if self._ods_index is not None:
            self._ods_index.setdefault(sub.organisation.ods_code.upper(), set()).add(sub.key_fingerprint)

    def submissions(self) -> list[Submission]:
        return sorted(self._load().values(), key=lambda s: (s.organisation.name.lower(), s.period, s.sequence))

    def unreadable(self) -> list[Unreadable]:
        """Records that would break the review if used: listed so they can be removed."""
        return list(self._current().unreadable)

    def count(self) -> int:
        return len(self._load())

    def find(self, handle: str) -> Submission:
        return self._load()[self._match(handle)]

    def _match(self, handle: str, readable_only: bool = True) -> str:
        ids = [str(self.ws.by_handle(SUBMISSIONS, handle, "imported submission",
                                     Hint("see the ids", command="selfassess review list"))["id"])]
        if readable_only and ids[0] not in self._load():
            bad = next(u for u in self._current().unreadable if u.id == ids[0])
            raise SelfAssessError(f"the submission {ids[0][:8]} ({bad.file}) cannot be read: {bad.why}",
                                  hint=Hint("remove it, saying why",
                                            command=f"selfassess review remove {ids[0][:8]} --reason TEXT"))
        return ids[0]

    def latest_by_trust(self, framework_id: str | None = None) -> tuple[str | None, list[Submission]]:
        subs = self.submissions()
        if not subs:
            return None, []
        if framework_id is None:  # the framework most trusts submitted
            counts: dict[str, int] = {}
            for s in subs:
                counts[s.framework.id] = counts.get(s.framework.id, 0) + 1
            framework_id = max(sorted(counts), key=lambda k: counts[k])
        latest: dict[str, Submission] = {}
        for s in subs:
            if s.framework.id != framework_id:
                continue
            held = latest.get(s.key_fingerprint)
            if held is None or (s.period, s.sequence) > (held.period, held.sequence):
                latest[s.key_fingerprint] = s
        return framework_id, list(latest.values())

    def compare(self, framework_id: str | None = None, sort: str = "trust") -> Comparison:
        """The latest submission of each trust, by domain."""
        today = self.ws.today()
        framework_id, latest = self.latest_by_trust(framework_id)
        if not latest:
            return Comparison([], [], [])
        domains = [(d.id, d.label) for d in latest[0].domains]
        marks = self.marks()
        rows = []
        for s in latest:
            live = s.live_actions
            rows.append(TrustRow(
                submission_id=s.id, organisation=s.organisation.name, ods_code=s.organisation.ods_code,
                period=s.period, framework_title=s.framework.title, overall=s.overall,
                completeness=s.completeness, domains={d.id: d.percent for d in s.domains},
                open_actions=sum(not a.closed for a in live),
                overdue=sum(rules.is_overdue(a, today) for a in live),
                slipped=sum(rules.slippage_days(a) > 0 and not a.closed for a in live),
                queried=sum(1 for m in marks.get(s.id, {}).values() if m.verdict == "queried"),
                targets_set=s.targets_set, targets_met=s.targets_met, targets_missed=s.targets_missed(today),
            ))
        sort_rows(rows, sort, domains)
        return Comparison([d for d, _ in domains], [t for _, t in domains], rows)

    def history(self, trust: str) -> list[Submission]:
        """Every submission of one trust (by name, ODS code or a submission id), oldest first."""
        t = trust.strip().lower()
        subs = self.submissions()
        chosen = [s for s in subs if t in (s.organisation.name.lower(), s.organisation.ods_code.lower())]
        if not chosen:
            try:
                fp = self.find(trust).key_fingerprint
                chosen = [s for s in subs if s.key_fingerprint == fp]
            except SelfAssessError:
                pass
        if not chosen:
            raise NotFound(f"no submissions from '{trust}'", hint=Hint("see who has submitted", command="selfassess review list"))
        return sorted(chosen, key=lambda s: (s.period, s.sequence))

    def marks(self) -> dict[str, dict[tuple[str, str], Mark]]:
        """The latest mark per (submission, target)."""
        out: dict[str, dict[tuple[str, str], Mark]] = {}
        for m in sorted((Mark.from_record(r) for r in self.ws.repo.all(MARKS)), key=lambda m: m.at):
            out.setdefault(m.submission_id, {})[(m.target, m.target_id)] = m
        return out

    def trusted_keys(self) -> list[TrustedKey]:
        return keys.trusted_keys(self.ws)

    def trusted(self, fingerprint: str) -> TrustedKey | None:
        return keys.trusted_key(self.ws, fingerprint)

    # --- checking and importing

    def judge(self, v: Verified | Checked) -> Checked:
        """What this store makes of a verified file: a registered key, and the trust's chain."""
        if isinstance(v, Checked):
            return v
        path, opened, sub, org, assessment = v.file, v.opened, v.submission, v.organisation, v.assessment
        who = f"{org.name} {assessment.period}"
        revoked = keys.revoked_entry(self.ws, opened.fingerprint)
        if revoked is not None:  # before anything else, this installation's own key too: revoked is revoked
            return Checked(path, bundle.REVOKED_KEY, f"{who}: {keys.revoked_because(revoked)}; nothing signed by it "
                           "is accepted here any more (what was imported before it was revoked stays)", key=revoked)
        key = self.trusted(opened.fingerprint)
        own = self._own_fingerprint() == opened.fingerprint
        if key is None and not own:
            return Checked(path, bundle.UNKNOWN_KEY,
                           f"{who}: {keys.not_trusted_because(self.ws, opened.fingerprint)}. If the trust confirms "
                           f"this fingerprint by another channel: selfassess keys trust \"{opened.fingerprint}\" --name \"{org.name}\""
                           + (f" --ods {org.ods_code}" if org.ods_code else "")
                           + " (or in the app: Keys and fingerprints, r, with this file)")
        if key is not None and key.ods_code and key.ods_code != org.ods_code.upper():
            # Registered with an ODS code, a key speaks for that trust only: a submission naming none is not its.
            claim = f"it says it comes from {org.ods_code}" if org.ods_code else "it names no ODS code"
            return Checked(path, bundle.MALFORMED, f"{who}: signed with the key registered to {key.name} ({key.ods_code}) "
                           f"but {claim}")
        rival = self._rival_key(org.ods_code.upper(), opened.fingerprint) if org.ods_code else None
        if rival is not None:  # one live key speaks for a trust: a key registered without an ODS code cannot take another's
            return Checked(path, bundle.MALFORMED, f"{who}: it says it comes from {org.ods_code}, but {org.ods_code} is "
                           f"the trust of another key here, {rival.name}'s ({rival.fingerprint}), and this copy is "
                           f"signed by {opened.fingerprint}. If the trust has a new key, revoke the old one first "
                           f"(selfassess keys revoke \"{rival.fingerprint}\" --reason TEXT), then import this again")
        held = self.ws.repo.get(SUBMISSIONS, opened.payload_sha256)
        if held:
            signer = held.get("key_fingerprint")
            if signer != opened.fingerprint:  # the same content under two keys: one of them is not the trust's
                return Checked(path, bundle.DUPLICATE, f"{who}: this content was imported before, signed by another "
                               f"key ({signer}); this copy is signed by {opened.fingerprint}. Ask the trust which "
                               "key is its own")
            return Checked(path, bundle.DUPLICATE, f"{who}: this submission was imported before")
        removed = self.ws.repo.get(REMOVED_TABLE, opened.payload_sha256)
        if removed:
            return Checked(path, REMOVED, f"{who}: this submission was imported and then removed on "
                           f"{str(removed.get('removed_at', ''))[:10]} ({removed.get('reason', '')}); it is not imported again")
        previous = self._load().get(sub.previous_submission) if sub.previous_submission else None
        if previous is not None and previous.key_fingerprint != opened.fingerprint and (
                (previous.organisation.id, previous.organisation.ods_code.upper()) != (org.id, org.ods_code.upper())):
            # A trust's chain is its own: one that continues another trust's cannot be judged, nor trusted.
            # (The same trust after a new key continues its own chain: same organisation, another key.)
            return Checked(path, bundle.BROKEN_CHAIN, f"{who}: broken chain: it names as its previous submission "
                           f"one from another trust ({previous.who}, signed by another key)")
        earlier = sorted(self._by_key().get(opened.fingerprint, []), key=lambda s: s.sequence)
        if earlier:
            latest = earlier[-1]
            if sub.sequence <= latest.sequence:
                return Checked(path, bundle.REPLAYED, f"{who}: an older submission (number {sub.sequence}) than the latest "
                               f"already imported from this trust (number {latest.sequence}, {latest.period}): a replay")
            if sub.previous_submission != latest.id:
                gap = sub.sequence - latest.sequence - 1
                why = (f"{gap} submission(s) in between have not been imported" if gap > 0 and sub.previous_submission else
                       "it does not follow the last submission imported from this trust")
                return Checked(path, bundle.BROKEN_CHAIN, f"{who}: broken chain: {why} (submission {sub.sequence} "
                               f"after {latest.sequence})")
        framework = v.framework
        published = self.ws.catalogue.frameworks.get(framework.key)
        if published is not None and published.content_hash != framework.content_hash:
            return Checked(path, bundle.MALFORMED, f"{who}: its framework says it is {framework.key}, but it differs from "
                           f"the published {framework.key} (hash {framework.short_hash} in the bundle, "
                           f"{published.short_hash} here): a framework changed under a published name is not compared")
        said = sub.figures
        if said.previous_period and said.previous_score_percent is not None:
            before = [s for s in earlier if s.period == said.previous_period]
            if before and whole_percent(before[-1].overall) != said.previous_score_percent:
                return Checked(path, bundle.MALFORMED, f"{who}: its figures give {said.previous_period} as "
                               f"{said.previous_score_percent}%, but the submission imported for {said.previous_period} "
                               f"scores {whole_percent(before[-1].overall)}%")
        framework = fw.with_parts(framework, assessment.parts)  # Domain 1 once per service, as the trust held it
        scores = score(framework, {a.question_id: a for a in v.answers})
        targets = targets_of(framework, scores, assessment.targets, None)
        record = Submission(
            id=opened.payload_sha256, key_fingerprint=opened.fingerprint, organisation=org, period=assessment.period,
            assessment=assessment, framework=FrameworkRef(framework.id, framework.version, framework.title, framework.content_hash),
            sequence=sub.sequence, previous=sub.previous_submission, file=path.name,
            overall=scores.percent, completeness=scores.completeness,
            domains=tuple(DomainScore(d.domain_id, d.ref, d.title, d.percent, d.level_label, d.answered, d.questions)
                          for d in scores.domains),
            actions=tuple(v.actions), audit_head=sub.audit_head.model_dump(), created_at=sub.created_at,
            imported_at=self.ws.clock.now(), imported_by=self.ws.actor,
            file_sha256=hashlib.sha256(v.data).hexdigest(), carried_forward=tuple(sub.carried_forward),
            targets_set=len(targets), targets_met=sum(1 for x in targets.values() if x.met),
            targets_unmet_by=tuple(sorted(x.by for x in targets.values() if not x.met)),
        )
        listed = len(sub.evidence)
        carried = sum(e.included for e in sub.evidence)
        evidence = (f"; {listed} evidence file(s), {carried} included and checked against their SHA-256"
                    + (f", {listed - carried} listed by SHA-256 only" if listed > carried else "")) if listed else ""
        return Checked(path, bundle.GENUINE, f"{who}: genuine, signed by {key.name if key else 'this installation'} "
                       f"({opened.fingerprint}){evidence}", record, v.data)

    def _own_fingerprint(self) -> str | None:
        """This installation's key, read once per Review (an import judges thousands of bundles)."""
        if self._own is None:
            self._own = (keys.own_fingerprint(self.home),)
        return self._own[0]

    def check(self, path: Path) -> Checked:
        """Verify one file against this store: signature, content, registered key, and the trust's chain.
        A file already imported byte for byte is known by its hash and not checked again."""
        try:
            data = read_file(path, bundle.MAX_FILE, "submission")
        except bundle.BundleError as exc:
            return Checked(path, exc.verdict, str(exc))
        except SelfAssessError as exc:
            return Checked(path, bundle.MALFORMED, str(exc))
        return self.check_bytes(path, data)

    def check_bytes(self, path: Path, data: bytes) -> Checked:
        """check(), for a file already read."""
        known = self._imported_from(hashlib.sha256(data).hexdigest())
        if known is not None:
            return Checked(path, bundle.DUPLICATE, f"{known.who}: this submission was imported before (as {known.file})")
        return self.judge(verify_file(path, data))

    def _rival_key(self, ods_code: str, fingerprint: str) -> TrustedKey | None:
        """Another live key (registered, not revoked) that speaks for this ODS code here: registered
        with it, or signing submissions already imported from it."""
        for k in keys.keys_for_ods(self.ws, ods_code):
            if not k.revoked and k.fingerprint != fingerprint:
                return k
        for fp in sorted(self._by_ods().get(ods_code, set()) - {fingerprint}):
            live = keys.trusted_key(self.ws, fp)
            if live is not None:
                return live
        return None

    def _by_ods(self) -> dict[str, set[str]]:
        """The keys whose submissions were imported, by the ODS code they name (found once, kept in step)."""
        subs = self._load()  # first: a store moved on forgets the index
        if self._ods_index is None:
            self._ods_index = {}
            for sub in subs.values():
                self._ods_index.setdefault(sub.organisation.ods_code.upper(), set()).add(sub.key_fingerprint)
        return self._ods_index

    def _by_key(self) -> dict[str, list[Submission]]:
        """Each trust's submissions by its key: judging a bundle reads only its own trust's chain."""
        subs = self._load()
        if self._key_index is None:
            self._key_index = {}
            for sub in subs.values():
                self._key_index.setdefault(sub.key_fingerprint, []).append(sub)
        return self._key_index

    def _imported_from(self, file_sha256: str) -> Submission | None:
        """The submission imported from a file with this SHA-256, through the store's index: a folder
        imported again reads only the submissions it names, not every one the store holds."""
        for rec in self.ws.repo.find(SUBMISSIONS, file_sha256=file_sha256):
            read = self._read_if_current()
            kept = read.submissions.get(rec["id"]) if read is not None else None
            if kept is not None:
                return kept
            try:
                return Submission.from_record(rec)
            except (schema.Malformed, KeyError, TypeError, ValueError, AttributeError):
                continue  # no longer readable (listed as such by the review): judged afresh, as before
        return None

    def keep(self, result: Checked) -> Checked:
        """Import one genuine result: keep the bundle as received, and record what was read from it."""
        sub = result.submission
        if result.verdict != bundle.GENUINE or sub is None or not result.bundle_bytes:
            return result
        try:
            self.ws.repo.keep_received("submissions", f"{sub.id}{SUFFIX}", result.bundle_bytes)
        except SelfAssessError as exc:
            return Checked(result.file, "not imported", f"could not keep a copy: {exc}")
        before = self.ws.repo.version(SUBMISSIONS)
        self.ws.commit("review.import", f"imported {sub.who} ({sub.file})", [Change(SUBMISSIONS, sub.id, None, sub.to_record())])
        self._added(sub, before)
        return Checked(result.file, result.verdict, result.message.replace(": genuine", ": genuine, imported", 1), sub)

    def import_bundles(self, targets: list[Path], progress: Callable[[Checked], None] | None = None) -> list[Checked]:
        """Verify each file, and keep the genuine ones (in order, so a trust's chain builds up)."""
        results = []
        for path in bundle_files(targets):
            results.append(self.keep(self.check(path)))
            if progress:
                progress(results[-1])
        if not results:
            raise SelfAssessError(f"no submissions (*{SUFFIX}) found in: {', '.join(map(str, targets))}")
        return results

    # --- changing

    def remove(self, handle: str, reason: str) -> Removed:
        """Take a submission out of the review (a trust's buggy export, say). The bundle file is
        kept as received, and the audit trail records who removed it and why."""
        reason = check_text(reason, "the reason", required=True, max_length=2000).strip()
        sub_id = self._match(handle, readable_only=False)
        rec = self.ws.repo.get(SUBMISSIONS, sub_id)
        if rec is None:  # _match read the same table; only a store changed in between gets here
            raise NotFound(f"the submission {sub_id[:8]} is no longer in this review; it was removed while this ran")
        org = rec.get("organisation")
        name = org.get("name") if isinstance(org, dict) else None
        who = f"{name if isinstance(name, str) else 'an unreadable submission'} {rec.get('period') if isinstance(rec.get('period'), str) else ''}".strip()
        file = str(rec.get("file", ""))
        removed = {"id": rec["id"], "reason": reason, "removed_at": self.ws.clock.now(), "removed_by": self.ws.actor,
                   "file": file, "record": rec}
        self.ws.commit("review.remove", f"removed {who} ({file[:80]}): {reason[:200]}",
                       [Change(SUBMISSIONS, rec["id"], rec, None), Change(REMOVED_TABLE, rec["id"], None, removed)])
        return Removed(rec["id"], who, file, reason)

    def mark(self, handle: str, target: str, ref: str, verdict: str, comment: str = "") -> Mark:
        """Accept or query one domain or action of a submission, with a comment."""
        sub = self.find(handle)
        verdict = check_choice(verdict, VERDICTS, "verdict")
        comment = check_text(comment, "the comment", max_length=schema.MAX_TEXT).strip()
        if verdict == "queried" and not comment:
            raise InvalidInput("a query needs a comment saying what the trust should answer")
        if target == "domain":
            d = sub.domain(ref)
            if d is None:
                raise NotFound(f"no domain '{ref}' in this submission, expected one of: {', '.join(x.ref for x in sub.domains)}")
            target_id, label = d.id, d.label
        elif target == "action":
            a = sub.action(ref)
            if a is None:
                raise NotFound(f"no action '{ref}' in this submission")
            target_id, label = a.id, f"{a.ref} {a.title}"
        else:
            raise InvalidInput(f"'{target}' is not something to mark, expected domain or action")
        m = Mark(new_id(), sub.id, target, target_id, label, verdict, comment, self.ws.actor, self.ws.clock.now())
        self.ws.commit("review.mark", f"{sub.who}: {label} {verdict}", [Change(MARKS, m.id, None, m.to_record())])
        return m

    def feedback_file(self, handle: str, out: Path) -> tuple[Path, int, int]:
        """Write the signed feedback file for one submission; returns (path, accepted, queried)."""
        sub = self.find(handle)
        marks = list(self.marks().get(sub.id, {}).values())
        if not marks:
            raise SelfAssessError("nothing to send: no domain or action of this submission is marked yet",
                                  hint=Hint("accept or query some first", command="selfassess review mark ...",
                                            key="a (Accept) or q (Query) on the trust's screen"))
        body = {
            "format": 1, "submission": sub.id, "organisation": sub.organisation.to_record(), "period": sub.period,
            "assessment_id": sub.assessment.id, "reviewer": self.ws.actor, "reviewed_at": self.ws.clock.now(),
            "items": [{"target": m.target, "target_id": m.target_id, "label": m.label, "verdict": m.verdict,
                       "comment": m.comment} for m in sorted(marks, key=lambda m: (m.target, m.label))],
        }
        schema.read(schema.FeedbackDoc, body, "feedback.json")  # never send what the trust could not read
        data = bundle.seal(bundle.FEEDBACK, {"feedback.json": json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")},
                           keys.load_or_create(self.home))
        if out.is_dir():
            stem = safe_name(f"feedback-{safe_name(sub.organisation.ods_code, 'trust')}-{sub.period}")
            out = inside(out, f"{stem}.selfassess-feedback")
        write_out(out, data, "No feedback was recorded as sent.")
        sent_id = f"{sub.id}:{body['reviewed_at']}"
        self.ws.commit("review.feedback", f"feedback on {sub.who} written to {out.name}",
                       [Change(SENT, sent_id, None, {"id": sent_id, "submission_id": sub.id, "file": out.name,
                                                     "items": len(marks), "at": body["reviewed_at"]})])
        return out, sum(m.verdict == "accepted" for m in marks), sum(m.verdict == "queried" for m in marks)

    def register_key(self, fingerprint: str, name: str, ods_code: str = "") -> TrustedKey:
        return keys.register_key(self.ws, fingerprint, name, ods_code)


def write_out(out: Path, data: bytes, consequence: str = "Nothing was written.") -> None:
    """Write a file the user asked for (feedback, a workbook); a failure is a failure to save (exit 5)."""
    from ..files import WriteFailed, atomic_write, why

    try:
        make_private_dir(out.parent)
        atomic_write(out, data, 0o600)
    except OSError as exc:
        raise WriteFailed(f"could not write {out}: {why(exc)}. {consequence}") from None


def sort_rows(rows: list[TrustRow], sort: str, domains: list[tuple[str, str]]) -> None:
    """Order the comparison in place: highest first for a score or a count, then by trust name."""
    key = sort.lower()
    if key in dict(domains) or any(key == title.lower() or key == title.split(" ", 1)[0] for _, title in domains):
        did = next(d for d, title in domains if key in (d, title.lower(), title.split(" ", 1)[0]))
        rows.sort(key=lambda r: (r.domains.get(did) is None, -(r.domains.get(did) or 0), r.organisation.lower()))
    elif key in ("overall", "completeness"):
        rows.sort(key=lambda r: (getattr(r, key) is None, -(getattr(r, key) or 0), r.organisation.lower()))
    elif key in ("open", "overdue", "slipped", "queried"):
        attr = "open_actions" if key == "open" else key
        rows.sort(key=lambda r: (-getattr(r, attr), r.organisation.lower()))
    elif key == "trust":
        rows.sort(key=lambda r: r.organisation.lower())
    else:
        raise InvalidInput(f"cannot sort by '{sort}', expected one of: {', '.join(SORT_KEYS)} or a domain id "
                           f"({', '.join(d for d, _ in domains)})")

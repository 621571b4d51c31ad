"""The trust's side: submit a signed-off assessment as a signed bundle; take feedback back in."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import Refused, SelfAssessError
from ..core.evidence import MAX_EVIDENCE
from ..core.model import Answer, Assessment, EvidenceFile
from ..core.workspace import Workspace
from ..files import inside, safe_name
from ..paths import make_private_dir
from ..reports.data import ReportData
from . import bundle, keys, schema

MAX_FEEDBACK = 4 * 1024 * 1024


@dataclass(frozen=True)
class Submitted:
    path: Path
    assessment: Assessment
    payload_sha256: str
    sequence: int
    fingerprint: str
    size: int


@dataclass(frozen=True)
class Prepared:
    """What a submission will hold, gathered from the store (quickly, on the app's main thread)."""

    assessment: Assessment
    sequence: int
    previous: str | None
    json_files: dict[str, bytes]
    report: ReportData
    file_stem: str


def prepare(ws: Workspace, handle: str, *, with_evidence: bool = False) -> Prepared:
    """Check the assessment can be submitted and gather everything the bundle holds but the PDF.

    Its evidence files are always listed with their SHA-256; with_evidence puts the files in too
    (each checked against its hash as it is read), up to EVIDENCE_IN_BUNDLE bytes in all."""
    from ..reports.data import gather

    assessment = ws.assessment(handle)
    ws.check_submittable(assessment)
    sent = ws.sent_submissions()
    previous = sent[-1]["id"] if sent else None
    sequence = (sent[-1]["sequence"] + 1) if sent else 1
    framework = ws.framework(assessment)
    seq, head = ws.repo.head
    report = gather(ws, assessment)
    submission = {
        "format": 1,
        "created_at": ws.clock.now(),
        "created_by": ws.actor,
        "sequence": sequence,
        "previous_submission": previous,
        "organisation": ws.organisation(assessment.organisation_id).to_record(),
        "assessment": assessment.to_record(),
        "answers": [_answer_doc(a) for a in sorted(ws.answers(assessment.id).values(), key=lambda a: a.question_id)],
        "actions": [a.to_record() for a in ws.actions(assessment.id)],  # the whole plan as signed off
        # Actions since carried into a later year: counted there, never twice (the figures leave them out).
        "carried_forward": sorted({a.id for a in ws.actions(assessment.id, history=False)}
                                  - {a.id for a in ws.live_actions(assessment.id, history=False)}),
        "audit_head": {"seq": seq, "hash": head},
        # The figures the board report in this bundle shows, computed once in core (whole percents, half up).
        "figures": report.figures.to_json(),
    }
    from ..core.rounds import board_spread, stakeholder_grades

    spread = board_spread(ws, assessment)
    if spread is not None:  # how many board members chose each level, question by question: never who
        submission["board_ratings"] = [{"question_id": q.question_id, "n": q.n, "counts": dict(q.counts)}
                                       for q in sorted(spread.questions, key=lambda q: q.question_id) if q.n]
    grades = stakeholder_grades(ws, assessment)
    if grades is not None and grades.questions:  # only then: an older regulator's selfassess reads it as before
        submission["stakeholder_grades"] = [{"question_id": g.row.question_id, "n": g.row.n, "counts": dict(g.row.counts)}
                                            for g in sorted(grades.questions, key=lambda g: g.row.question_id)]
    evidence = ws.evidence(assessment.id)
    included = _evidence_files(ws, evidence) if with_evidence else {}
    if evidence:  # only then: a regulator's older selfassess reads a submission without evidence as before
        submission["evidence"] = [
            {"id": e.id, "question_id": e.question_id, "sha256": e.sha256, "size": e.size, "file_name": e.file_name,
             "kind": e.kind, "title": e.title, "effective": e.effective, "expires": e.expires, "added_by": e.added_by,
             "added_at": e.added_at, "included": with_evidence} for e in evidence]
    iset, indicator_figures = ws.indicator_figures(assessment)
    if iset is not None:  # the same figures the bundle's board report shows
        submission["indicators"] = {"set": iset.key, "indicators": [f.as_json() for f in indicator_figures]}
    org = ws.organisation(assessment.organisation_id)
    return Prepared(
        assessment, sequence, previous,
        {"submission.json": json.dumps(submission, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8"),
         "framework.json": json.dumps({"hash": framework.content_hash, "data": framework.data()},
                                      ensure_ascii=False, sort_keys=True).encode("utf-8"),
         **included},
        report,
        safe_name(f"{safe_name(org.ods_code, 'trust')}-{assessment.period.replace('/', '-')}-submission-{sequence}"),
    )


def _evidence_files(ws: Workspace, evidence: list[EvidenceFile]) -> dict[str, bytes]:
    """The evidence files to put in the bundle, by name, each as recorded (checked against its hash)."""
    total = sum({e.sha256: e.size for e in evidence}.values())
    if total > EVIDENCE_IN_BUNDLE:
        raise Refused(f"the evidence files come to {total:,} bytes, more than a submission can carry "
                      f"({EVIDENCE_IN_BUNDLE:,}); nothing was submitted. Submit without --with-evidence: the submission "
                      "then lists each file with its SHA-256, and you can send the files to the regulator another way")
    return {schema.EVIDENCE_PREFIX + e.sha256: ws.evidence_bytes(e) for e in evidence}


def _answer_doc(answer: Answer) -> dict[str, object]:
    """An answer as sent. The rationale only when there is one: a regulator's older selfassess,
    whose schema knows no such key, reads a submission from a board that held no round as before."""
    doc = answer.to_record()
    if not doc.get("rationale"):
        doc.pop("rationale", None)
    return doc


def submission_files(prepared: Prepared) -> dict[str, bytes]:
    """The bundle's files: the assessment, its answers and actions, the framework it was answered
    against, the head of the audit chain, and the board report (rendering it is the slow part)."""
    from ..reports.export import render

    report, _ = render(prepared.report, "pdf")
    return {**prepared.json_files, "board-report.pdf": report}


def seal_and_write(prepared: Prepared, home: Path, out: Path) -> tuple[Path, bundle.Opened, int]:
    """Render, seal with this installation's key, check, and write atomically. Touches no store,
    so the app runs it in a worker thread."""
    from ..files import WriteFailed, atomic_write, why

    data = bundle.seal(bundle.SUBMISSION, submission_files(prepared), keys.load_or_create(home))
    if len(data) > bundle.MAX_FILE:
        raise Refused(f"this submission would be {len(data):,} bytes, more than a regulator accepts ({bundle.MAX_FILE:,}); "
                      "nothing was written. Submit without --with-evidence (the evidence is then listed by its SHA-256)")
    try:
        opened = bundle.open_sealed(data, bundle.SUBMISSION, ALLOWED, OPTIONAL)  # never send what we could not verify
    except bundle.BundleError as exc:
        raise SelfAssessError(f"this submission would be refused by the regulator, so it was not written: {exc}") from None
    try:  # nor what a regulator's checks would refuse
        doc = schema.parse(schema.SubmissionDoc, opened.files["submission.json"], "submission.json")
        schema.check_submission(doc, schema.framework_copy(opened.files["framework.json"]))
        schema.check_evidence(doc, opened.files)
    except schema.Malformed as exc:
        raise SelfAssessError(f"this submission would be refused by the regulator, so it was not written: {exc}") from None
    if out.is_dir():
        out = inside(out, f"{safe_name(prepared.file_stem, 'trust')}.selfassess")
    if out.exists() or out.is_symlink():  # an earlier submission is part of the chain: never replace it
        raise Refused(f"{out} already exists; nothing was submitted. Give another file name, or a folder "
                      "(ending in /) where each submission gets its own name")
    try:
        make_private_dir(out.parent)
        atomic_write(out, data, mode=0o600)
    except OSError as exc:
        raise WriteFailed(f"could not write the submission to {out}: {why(exc)}. Nothing was submitted.") from None
    return out, opened, len(data)


def record(ws: Workspace, prepared: Prepared, path: Path, opened: bundle.Opened, size: int) -> Submitted:
    """Once the file is complete: the assessment is submitted and the chain moves on."""
    updated = ws.record_submission(ws.assessment(prepared.assessment.id), opened.payload_sha256, prepared.sequence,
                                   prepared.previous, path.name)
    return Submitted(path, updated, opened.payload_sha256, prepared.sequence, opened.fingerprint, size)


def submit(ws: Workspace, home: Path, handle: str, out: Path, *, with_evidence: bool = False) -> Submitted:
    """Seal a signed-off assessment into a bundle at out, then record it (and the chain) in the store."""
    prepared = prepare(ws, handle, with_evidence=with_evidence)
    path, opened, size = seal_and_write(prepared, home, out)
    return record(ws, prepared, path, opened, size)


ALLOWED = {"submission.json": 32 * 1024 * 1024, "framework.json": 8 * 1024 * 1024, "board-report.pdf": 48 * 1024 * 1024}
# Evidence files a submission may carry, each no larger than the store keeps one; all of them
# together at most EVIDENCE_IN_BUNDLE, which leaves room in a bundle's MAX_FILE for the rest.
OPTIONAL = {re.compile(re.escape(schema.EVIDENCE_PREFIX) + "[0-9a-f]{64}"): MAX_EVIDENCE}
EVIDENCE_IN_BUNDLE = 32 * 1024 * 1024


@dataclass(frozen=True)
class FeedbackImported:
    reviewer: str
    assessment: Assessment
    accepted: int
    queried: int
    skipped: tuple[str, ...]


def read_file(path: Path, limit: int, what: str) -> bytes:
    """A bundle or feedback file from outside: a regular file of at most limit bytes (see files.py)."""
    from ..files import read_limited

    return read_limited(path, limit, what)


def import_feedback(ws: Workspace, path: Path) -> FeedbackImported:
    """Take in a regulator's signed feedback: verified, about a submission we sent, then stored
    beside the domains and actions it concerns."""
    data = read_file(path, MAX_FEEDBACK, "feedback file")
    opened = bundle.open_sealed(data, bundle.FEEDBACK, {"feedback.json": MAX_FEEDBACK})
    revoked = keys.revoked_entry(ws, opened.fingerprint)
    if revoked is not None:
        raise bundle.BundleError(bundle.REVOKED_KEY, f"{path.name}: {keys.revoked_because(revoked)}; feedback signed "
                                 "by it is not taken in any more (what was imported before it was revoked stays)")
    key = keys.trusted_key(ws, opened.fingerprint)
    if key is None:
        raise bundle.BundleError(bundle.UNKNOWN_KEY,
                                 f"{path.name}: {keys.not_trusted_because(ws, opened.fingerprint)}. "
                                 "Check the fingerprint with your regulator by phone or letter, then: "
                                 f"selfassess keys trust \"{opened.fingerprint}\" --name \"Regulator name\" "
                                 "(or in the app: Keys and fingerprints, r, with this file)")
    body = opened.read(schema.FeedbackDoc, "feedback.json")
    sent = ws.repo.get("submissions_sent", body.submission)
    if sent is None:
        raise Refused(f"{path.name} is feedback on a submission this installation did not send (sha256 {body.submission[:12]})")
    assessment = ws.assessment(sent["assessment_id"])
    if body.assessment_id != assessment.id:
        raise bundle.BundleError(bundle.MALFORMED, f"{path.name} names another assessment than the one that submission was of")
    framework = ws.framework(assessment)
    action_ids = {a.id for a in ws.actions(assessment.id, history=False)}
    good, skipped = [], []
    for item in body.items:
        known = ((item.target == "action" and item.target_id in action_ids)
                 or (item.target == "domain" and any(d.id == item.target_id for d in framework.domains)))
        if not known:
            skipped.append(f"{item.target} {item.target_id}")
            continue
        good.append({"target": item.target, "target_id": item.target_id, "verdict": item.verdict, "comment": item.comment})
    reviewer, reviewed_at = body.reviewer, body.reviewed_at
    name = f"{reviewer} ({key.name})" if key.name else reviewer
    records = ws.record_feedback(assessment, good, name, reviewed_at, path.name)
    return FeedbackImported(name, assessment, sum(r.verdict == "accepted" for r in records),
                            sum(r.verdict == "queried" for r in records), tuple(skipped))

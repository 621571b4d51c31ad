"""Rating apart: a signed pack for each rater, and the signed response they send back.

A pack is the trust's signed container (bundle.py, kind RATING_PACK) holding pack.json (the round,
the rater, a one-time token, the questions asked with the evidence recorded so far) and
framework.json (the framework, so guidance and levels show with no trust store). The rater answers
it with their own key, made where they run it (keys.RATER_KEY_FILE), never the trust's: the response
(kind RATING_RESPONSE) names the round, the rater, the token and the pack it answers. The store
keeps only the token's hash; importing checks signature, schema, token, pack and round before
anything is recorded, and records the rater's key fingerprint.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from ..core import framework as fw
from ..core import rounds
from ..core.errors import InvalidInput, NotFound, Refused
from ..core.model import check_text, short
from ..files import inside, safe_name
from . import bundle, keys, schema

if TYPE_CHECKING:
    from ..core.workspace import Workspace

PACK_SUFFIX, RESPONSE_SUFFIX = ".selfassess-pack", ".selfassess-response"
PACK_ALLOWED = {"pack.json": 16 * 1024 * 1024, "framework.json": 8 * 1024 * 1024}
RESPONSE_ALLOWED = {"response.json": 4 * 1024 * 1024}
MAX_PACK = 32 * 1024 * 1024
MAX_RESPONSE = 8 * 1024 * 1024


def _json(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")


def _write_all(files: list[tuple[Path, bytes]]) -> None:
    """Write every file or none: one that cannot be written takes the ones before it away again."""
    from ..files import WriteFailed, atomic_write, why

    done: list[Path] = []
    for path, data in files:
        if path.exists() or path.is_symlink():
            for p in done:
                p.unlink(missing_ok=True)
            raise Refused(f"{path} already exists; no pack was written and no round was opened")
        try:
            atomic_write(path, data, mode=0o600)
        except OSError as exc:
            for p in done:
                p.unlink(missing_ok=True)
            raise WriteFailed(f"could not write {path}: {why(exc)}. No pack was written and no round was opened.") from None
        done.append(path)


@dataclass(frozen=True)
class Opened:
    """A round, opened, and the packs written for it (one per rater, in the round's order)."""

    round: rounds.Round
    packs: tuple[Path, ...]
    fingerprint: str


def open_round(ws: Workspace, home: Path, assessment_handle: str, raters: list[tuple[str, str]], out: Path, *,
               domains: tuple[str, ...] = (), anonymous: bool | None = None, closes: str | None = None,
               kind: str = rounds.BOARD) -> Opened:
    """Open a round and write each rater's pack into out, signed with this installation's key."""
    from ..paths import make_private_dir

    assessment = ws.assessment(assessment_handle)
    framework = ws.framework(assessment)
    answers = ws.answers(assessment.id)
    organisation = ws.organisation(assessment.organisation_id).name
    written: list[Path] = []
    key = keys.load_or_create(home)
    framework_file = _json({"hash": framework.content_hash, "data": framework.data()})

    def bind(round_: rounds.Round) -> dict[str, tuple[str, str]]:
        files: list[tuple[Path, bytes]] = []
        bound: dict[str, tuple[str, str]] = {}
        questions = [{"question_id": q.id, "evidence": answers[q.id].evidence if q.id in answers else ""}
                     for q in rounds.asked(framework, round_)]
        for number, rater in enumerate(round_.raters, start=1):
            token = secrets.token_urlsafe(32)
            pack = {"format": 1, "round_id": round_.id, "kind": round_.kind, "assessment_id": assessment.id,
                    "organisation": organisation, "period": assessment.period, "framework_hash": framework.content_hash,
                    "rater": {"id": rater.id, "name": rater.name, "role": rater.role}, "token": token,
                    "anonymous": round_.anonymous, "closes": round_.closes, "issued_at": ws.clock.now(),
                    "issued_by": ws.actor, "questions": questions}
            if assessment.parts:  # a domain rated per service: which services its questions are asked for
                pack["parts"] = {k: list(v) for k, v in assessment.parts.items()}
            data = bundle.seal(bundle.RATING_PACK, {"pack.json": _json(pack), "framework.json": framework_file}, key)
            checked = _open_pack_bytes(data, "the new pack")  # never send what a rater could not open
            name = f"{number:02d}-{safe_name(rater.name, 'rater', 60)}-{short(round_.id)}{PACK_SUFFIX}"
            files.append((inside(out, name), data))
            bound[rater.id] = (token, checked.sha256)
        try:
            make_private_dir(out)
        except OSError as exc:
            from ..files import WriteFailed, why

            raise WriteFailed(f"cannot create the folder {out}: {why(exc)}. No round was opened.") from None
        _write_all(files)
        written.extend(p for p, _ in files)
        return bound

    try:
        round_ = rounds.open_round(ws, assessment.id, raters, domains=domains, anonymous=anonymous, closes=closes,
                                   kind=kind, bind=bind)
    except BaseException:
        for p in written:  # the packs were written but the round could not be recorded: they would be refused
            p.unlink(missing_ok=True)
        raise
    return Opened(round_, tuple(written), keys.key_fingerprint(key))


# --- the rater's side: no store, only the pack -----------------------------------------------


@dataclass(frozen=True)
class Pack:
    doc: schema.PackDoc
    framework: fw.Framework
    sha256: str
    fingerprint: str  # the trust key that signed it

    def questions(self) -> list[fw.Question]:
        return [self.framework.question(q.question_id) for q in self.doc.questions]

    def evidence(self, question_id: str) -> str:
        return next((q.evidence for q in self.doc.questions if q.question_id == question_id), "")


def _open_pack_bytes(data: bytes, name: str) -> Pack:
    opened = bundle.open_sealed(data, bundle.RATING_PACK, PACK_ALLOWED)
    doc = opened.read(schema.PackDoc, "pack.json")
    try:
        framework = schema.framework_copy(opened.files["framework.json"])
        schema.check_pack(doc, framework)
        framework = fw.with_parts(framework, {k: tuple(v) for k, v in doc.parts.items()})
    except schema.Malformed as exc:
        raise bundle.BundleError(bundle.MALFORMED, f"{name}: {exc}") from None
    return Pack(doc, framework, opened.payload_sha256, opened.fingerprint)


def open_pack(path: Path, today: date) -> Pack:
    """A rating pack, checked to the last byte, and refused once its round has closed."""
    from ..files import read_limited

    pack = _open_pack_bytes(read_limited(path, MAX_PACK, "rating pack"), path.name)
    if pack.doc.closes is not None and today.isoformat() > pack.doc.closes:
        raise Refused(f"this rating pack's round closed on {pack.doc.closes}; ask {pack.doc.organisation}'s board "
                      "secretary whether a later response can still be taken")
    return pack


def response_ratings(pack: Pack, answers: dict[str, str], comments: dict[str, str]) -> list[tuple[str, str, str]]:
    """REF=LEVEL and REF=TEXT as typed, checked against the pack: (question id, level key, comment)."""
    asked = {q.id: q for q in pack.questions()}
    by_ref = {q.ref: q for q in asked.values()}

    def question(ref: str) -> fw.Question:
        q = asked.get(ref.strip()) or by_ref.get(ref.strip())
        if q is None:
            raise NotFound(f"this pack does not ask '{ref.strip()[:40]}', expected one of: {', '.join(by_ref)}")
        return q

    levels: dict[str, str] = {}
    for ref, level in answers.items():
        q = question(ref)
        levels[q.id] = rounds.level_key(pack.framework.scale_for(q), q, level)
    notes: dict[str, str] = {}
    for ref, text in comments.items():
        q = question(ref)
        if q.id not in levels:
            raise InvalidInput(f"a comment on {q.ref} needs a rating of {q.ref} too")
        notes[q.id] = check_text(text, f"the comment on {q.ref}", max_length=rounds.MAX_COMMENT)
    if not levels:
        raise InvalidInput("a response needs at least one rating: --answer REF=LEVEL")
    return [(q.id, levels[q.id], notes.get(q.id, "")) for q in pack.questions() if q.id in levels]


def write_response(pack: Pack, ratings: list[tuple[str, str, str]], home: Path, out: Path, now: str) -> Path:
    """Seal the rater's ratings with their own key and write the response into the folder out."""
    from ..files import WriteFailed, atomic_write, why
    from ..paths import make_private_dir

    if not ratings:
        raise InvalidInput("a response needs at least one rating")
    doc = {"format": 1, "round_id": pack.doc.round_id, "assessment_id": pack.doc.assessment_id,
           "rater_id": pack.doc.rater.id, "token": pack.doc.token, "pack_sha256": pack.sha256, "responded_at": now,
           "ratings": [{"question_id": q, "level": lv, "comment": c} for q, lv, c in ratings]}
    data = bundle.seal(bundle.RATING_RESPONSE, {"response.json": _json(doc)}, keys.load_or_create(home, keys.RATER_KEY_FILE))
    read_response_bytes(data, "the new response")  # never send what the trust could not import
    name = f"{safe_name(pack.doc.rater.name, 'rater', 60)}-{short(pack.doc.round_id)}{RESPONSE_SUFFIX}"
    path = inside(out, name) if out.is_dir() or not out.suffix else out
    try:
        make_private_dir(path.parent)
        atomic_write(path, data, mode=0o600)
    except OSError as exc:
        raise WriteFailed(f"could not write the response to {path}: {why(exc)}") from None
    return path


# --- the trust's side: take responses in -----------------------------------------------------


def read_response_bytes(data: bytes, name: str) -> rounds.Returned:
    opened = bundle.open_sealed(data, bundle.RATING_RESPONSE, RESPONSE_ALLOWED)
    doc = opened.read(schema.ResponseDoc, "response.json")
    try:
        schema.check_response(doc)
    except schema.Malformed as exc:
        raise bundle.BundleError(bundle.MALFORMED, f"{name}: {exc}") from None
    return rounds.Returned(doc.round_id, doc.rater_id, doc.token, doc.pack_sha256, opened.payload_sha256,
                           opened.fingerprint, doc.responded_at,
                           tuple((r.question_id, r.level, r.comment) for r in doc.ratings))


@dataclass(frozen=True)
class Imported:
    path: Path
    round: rounds.Round
    rater: str  # as the round shows them: a name, or "Rater 3" when anonymous
    ratings: int
    fingerprint: str


def import_response(ws: Workspace, assessment_handle: str, path: Path, *, replace: bool = False) -> Imported:
    """Verify one response (signature, schema, token, pack, round) and record it, or nothing."""
    from ..files import read_limited

    assessment = ws.assessment(assessment_handle)
    returned = read_response_bytes(read_limited(path, MAX_RESPONSE, "rating response"), path.name)
    # A rater's key is their own, never registered to verify a response; but one registered here and since
    # revoked (a board member's lost laptop) signs nothing that is taken in.
    revoked = keys.revoked_entry(ws, returned.fingerprint)
    if revoked is not None:
        raise bundle.BundleError(bundle.REVOKED_KEY, f"{path.name}: {keys.revoked_because(revoked)}; "
                                 "a response signed by it is not taken in; nothing was recorded")
    rec = ws.repo.get(rounds.ROUNDS, returned.round_id)
    if rec is None or rec["assessment_id"] != assessment.id:
        raise Refused(f"{path.name} answers a rating round ({returned.round_id[:8]}) that the {assessment.period} "
                      f"assessment {short(assessment.id)} does not have; nothing was recorded")
    updated, count = rounds.record_response(ws, returned, replace=replace)
    rater = next(r for r in updated.raters if r.id == returned.rater_id)
    return Imported(path, updated, updated.label(rater), count, returned.fingerprint)

"""The regulator's side: import and verify submissions, compare trusts, and send feedback.

Imported submissions are read-only: the bundle is kept as received (store/submissions/) and
the store holds what was read from it, with scores recomputed from the answers and the
framework the trust answered against.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ..core import actions as rules
from ..core import framework as fw
from ..core.audit import Change
from ..core.errors import FrameworkError, InvalidInput, NotFound, SelfAssessError
from ..core.model import Action, Answer, Assessment, Organisation, check_choice, check_ods
from ..core.scoring import score
from ..core.workspace import Workspace
from . import bundle, keys
from .submit import ALLOWED, read_file, trusted

SUFFIX = ".selfassess"
VERDICTS = {"accepted": "Accepted", "queried": "Queried"}


@dataclass(frozen=True)
class Checked:
    """The verdict on one file, and what it holds when it could be read."""

    file: Path
    verdict: str
    message: str
    record: dict[str, Any] | None = None
    bundle_bytes: bytes | None = None


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


def _read(opened: bundle.Opened) -> tuple[dict, fw.Framework, Organisation, Assessment, list[Answer], list[Action]]:
    """Parse a verified bundle's content; anything unexpected is 'malformed', never a traceback."""
    sub = opened.json("submission.json")
    frame = opened.json("framework.json")
    try:
        org = Organisation.from_record(sub["organisation"])
        assessment = Assessment.from_record(sub["assessment"])
        answers = [Answer.from_record(a) for a in sub["answers"]]
        actions = [Action.from_record(a) for a in sub["actions"]]
        assert isinstance(sub["sequence"], int) and sub["sequence"] >= 1
        assert sub["previous_submission"] is None or isinstance(sub["previous_submission"], str)
        assert all(a.assessment_id == assessment.id for a in answers + actions)  # type: ignore[operator]
        for a in actions:
            date.fromisoformat(a.original_due)
            date.fromisoformat(a.current_due)
    except (KeyError, TypeError, ValueError, AssertionError, AttributeError):
        raise bundle.BundleError(bundle.MALFORMED, "submission.json is not in the form selfassess writes") from None
    try:
        framework = fw.from_store(frame["data"], assessment.framework_hash)
    except (FrameworkError, KeyError, TypeError, ValueError, AttributeError):
        raise bundle.BundleError(bundle.MALFORMED, "framework.json is not a valid framework") from None
    if framework.content_hash != assessment.framework_hash:
        raise bundle.BundleError(bundle.MALFORMED, "the framework in the bundle is not the one the assessment was answered against")
    return sub, framework, org, assessment, answers, actions


@dataclass(frozen=True)
class Verified:
    """A file whose signature, hashes and content have been checked; not yet judged against a store."""

    file: Path
    data: bytes
    opened: bundle.Opened
    submission: dict[str, Any]
    framework: fw.Framework
    organisation: Organisation
    assessment: Assessment
    answers: list[Answer]
    actions: list[Action]


def verify_file(path: Path) -> Verified | Checked:
    """Everything that needs no store: read, check the seal and the hashes, parse the content.
    Pure and slow-ish, so the app runs it in a worker thread."""
    try:
        data = read_file(path, bundle.MAX_FILE, "submission")
        opened = bundle.open_sealed(data, bundle.SUBMISSION, ALLOWED)
        sub, framework, org, assessment, answers, actions = _read(opened)
    except bundle.BundleError as exc:
        return Checked(path, exc.verdict, str(exc))
    except SelfAssessError as exc:
        return Checked(path, bundle.MALFORMED, str(exc))
    return Verified(path, data, opened, sub, framework, org, assessment, answers, actions)


def judge(ws: Workspace, v: Verified | Checked, home: Path) -> Checked:
    """What this store makes of a verified file: a registered key, and the trust's chain."""
    if isinstance(v, Checked):
        return v
    path, opened, sub, org, assessment = v.file, v.opened, v.submission, v.organisation, v.assessment
    who = f"{org.name} {assessment.period}"
    key = trusted(ws, opened.fingerprint)
    own = keys.own_fingerprint(home) == opened.fingerprint
    if key is None and not own:
        return Checked(path, bundle.UNKNOWN_KEY,
                       f"{who}: signed by a key that is not registered here ({opened.fingerprint}). If the trust confirms "
                       f"this fingerprint by another channel: selfassess keys trust \"{opened.fingerprint}\" --name \"{org.name}\""
                       + (f" --ods {org.ods_code}" if org.ods_code else ""))
    if key is not None and key.get("ods_code") and org.ods_code and key["ods_code"] != org.ods_code:
        return Checked(path, bundle.MALFORMED, f"{who}: signed with the key registered to {key['name']} ({key['ods_code']}) "
                       f"but it says it comes from {org.ods_code}")
    if ws.repo.get("submissions", opened.payload_sha256):
        return Checked(path, bundle.DUPLICATE, f"{who}: this submission was imported before")
    earlier = sorted((r for r in ws.repo.find("submissions", key_fingerprint=opened.fingerprint)), key=lambda r: r["sequence"])
    if earlier:
        latest = earlier[-1]
        if sub["sequence"] <= latest["sequence"]:
            return Checked(path, bundle.REPLAYED, f"{who}: an older submission (number {sub['sequence']}) than the latest already "
                           f"imported from this trust (number {latest['sequence']}, {latest['period']}): a replay")
        if sub["previous_submission"] != latest["id"]:
            gap = sub["sequence"] - latest["sequence"] - 1
            why = (f"{gap} submission(s) in between have not been imported" if gap > 0 and sub["previous_submission"] else
                   "it does not follow the last submission imported from this trust")
            return Checked(path, bundle.BROKEN_CHAIN, f"{who}: broken chain: {why} (submission {sub['sequence']} "
                           f"after {latest['sequence']})")
    framework = v.framework
    scores = score(framework, {a.question_id: a for a in v.answers})
    record = {
        "id": opened.payload_sha256,
        "key_fingerprint": opened.fingerprint,
        "organisation": org.to_record(),
        "period": assessment.period,
        "assessment": assessment.to_record(),
        "framework": {"id": framework.id, "version": framework.version, "title": framework.title, "hash": framework.content_hash},
        "sequence": sub["sequence"],
        "previous": sub["previous_submission"],
        "audit_head": sub.get("audit_head"),
        "created_at": sub.get("created_at"),
        "file": path.name,
        "imported_at": ws.clock.now(),
        "imported_by": ws.actor,
        "overall": scores.percent,
        "completeness": scores.completeness,
        "domains": [{"id": d.domain_id, "ref": d.ref, "title": d.title, "percent": d.percent, "level": d.level_label,
                     "answered": d.answered, "questions": d.questions} for d in scores.domains],
        "actions": [a.to_record() for a in v.actions],
    }
    return Checked(path, bundle.GENUINE, f"{who}: genuine, signed by {key['name'] if key else 'this installation'} "
                   f"({opened.fingerprint})", record, v.data)


def check(ws: Workspace, path: Path, home: Path) -> Checked:
    """Verify one file against this store: signature, registered key, and the trust's chain."""
    return judge(ws, verify_file(path), home)


def keep(ws: Workspace, result: Checked) -> Checked:
    """Import one genuine result: keep the bundle as received, and record what was read from it."""
    from ..storage.store import _why, atomic_write

    if result.verdict != bundle.GENUINE or not result.record or not result.bundle_bytes:
        return result
    folder = Path(ws.repo.folder) / "submissions"  # type: ignore[attr-defined]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write(folder / f"{result.record['id']}{SUFFIX}", result.bundle_bytes, 0o644)
    except OSError as exc:
        return Checked(result.file, "not imported", f"could not keep a copy: {_why(exc)}")
    ws.commit("review.import", f"imported {result.record['organisation']['name']} {result.record['period']} "
              f"({result.record['file']})", [Change("submissions", result.record["id"], None, result.record)])
    return Checked(result.file, result.verdict, result.message.replace(": genuine", ": genuine, imported", 1), result.record)


def import_bundles(ws: Workspace, targets: list[Path], home: Path) -> list[Checked]:
    """Verify each file, and keep the genuine ones (in order, so a trust's chain builds up)."""
    results = [keep(ws, check(ws, path, home)) for path in bundle_files(targets)]
    if not results:
        raise SelfAssessError(f"no submissions (*{SUFFIX}) found in: {', '.join(map(str, targets))}")
    return results


# --- comparing trusts -----------------------------------------------------------------------------


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


def submissions(ws: Workspace) -> list[dict[str, Any]]:
    return sorted(ws.repo.all("submissions"), key=lambda r: (r["organisation"]["name"].lower(), r["period"], r["sequence"]))


def _actions(record: dict[str, Any]) -> list[Action]:
    return [Action.from_record(a) for a in record["actions"]]


def latest_by_trust(ws: Workspace, framework_id: str | None = None) -> tuple[str | None, list[dict[str, Any]]]:
    subs = submissions(ws)
    if not subs:
        return None, []
    if framework_id is None:  # the framework most trusts submitted
        counts: dict[str, int] = {}
        for s in subs:
            counts[s["framework"]["id"]] = counts.get(s["framework"]["id"], 0) + 1
        framework_id = max(sorted(counts), key=lambda k: counts[k])
    latest: dict[str, dict[str, Any]] = {}
    for s in subs:
        if s["framework"]["id"] != framework_id:
            continue
        trust = s["key_fingerprint"]
        if trust not in latest or (s["period"], s["sequence"]) > (latest[trust]["period"], latest[trust]["sequence"]):
            latest[trust] = s
    return framework_id, list(latest.values())


SORT_KEYS = ("trust", "overall", "completeness", "open", "overdue", "slipped", "queried")


def compare(ws: Workspace, framework_id: str | None = None, sort: str = "trust") -> tuple[list[str], list[str], list[TrustRow]]:
    """The latest submission of each trust, by domain. Returns (domain ids, domain titles, rows)."""
    today = ws.today()
    framework_id, latest = latest_by_trust(ws, framework_id)
    if not latest:
        return [], [], []
    domains = [(d["id"], f"{d['ref']} {d['title']}") for d in latest[0]["domains"]]
    marks = current_marks(ws)
    rows = []
    for s in latest:
        actions = _actions(s)
        by_domain = {d["id"]: d["percent"] for d in s["domains"]}
        rows.append(TrustRow(
            submission_id=s["id"], organisation=s["organisation"]["name"], ods_code=s["organisation"].get("ods_code", ""),
            period=s["period"], framework_title=s["framework"]["title"], overall=s["overall"],
            completeness=s["completeness"], domains=by_domain,
            open_actions=sum(not a.closed for a in actions),
            overdue=sum(rules.is_overdue(a, today) for a in actions),
            slipped=sum(rules.slippage_days(a) > 0 and not a.closed for a in actions),
            queried=sum(1 for m in marks.get(s["id"], {}).values() if m["verdict"] == "queried"),
        ))
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
    return [d for d, _ in domains], [t for _, t in domains], rows


def find_submission(ws: Workspace, handle: str) -> dict[str, Any]:
    handle = handle.strip().lower()
    if len(handle) < 4:
        raise InvalidInput(f"'{handle}' is too short to name a submission, expected at least 4 characters of its id")
    matches = [s for s in ws.repo.all("submissions") if s["id"].startswith(handle)]
    if not matches:
        raise NotFound(f"no imported submission with id '{handle}' (see: selfassess review list)")
    if len(matches) > 1:
        raise InvalidInput(f"'{handle}' matches {len(matches)} submissions, expected more characters of the id")
    return matches[0]


def history(ws: Workspace, trust: str) -> list[dict[str, Any]]:
    """Every submission of one trust (by name, ODS code or a submission id), oldest first."""
    t = trust.strip().lower()
    subs = submissions(ws)
    chosen = [s for s in subs if t in (s["organisation"]["name"].lower(), s["organisation"].get("ods_code", "").lower())]
    if not chosen:
        try:
            fp = find_submission(ws, trust)["key_fingerprint"]
            chosen = [s for s in subs if s["key_fingerprint"] == fp]
        except SelfAssessError:
            pass
    if not chosen:
        raise NotFound(f"no submissions from '{trust}' (see: selfassess review list)")
    return sorted(chosen, key=lambda s: (s["period"], s["sequence"]))


# --- marks and feedback --------------------------------------------------------------------------


def current_marks(ws: Workspace) -> dict[str, dict[tuple[str, str], dict[str, Any]]]:
    """The latest mark per (submission, target)."""
    out: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
    for m in sorted(ws.repo.all("review_marks"), key=lambda m: m["at"]):
        out.setdefault(m["submission_id"], {})[(m["target"], m["target_id"])] = m
    return out


def mark(ws: Workspace, handle: str, target: str, ref: str, verdict: str, comment: str = "") -> dict[str, Any]:
    """Accept or query one domain or action of a submission, with a comment."""
    from ..core.model import new_id

    sub = find_submission(ws, handle)
    verdict = check_choice(verdict, VERDICTS, "verdict")
    if verdict == "queried" and not comment.strip():
        raise InvalidInput("a query needs a comment saying what the trust should answer")
    if target == "domain":
        found = next((d for d in sub["domains"] if ref in (d["id"], d["ref"])), None)
        if found is None:
            raise NotFound(f"no domain '{ref}' in this submission, expected one of: {', '.join(d['ref'] for d in sub['domains'])}")
        target_id, label = found["id"], f"{found['ref']} {found['title']}"
    elif target == "action":
        found = next((a for a in sub["actions"] if ref.lower() in (a["ref"].lower(), a["id"]) or a["id"].startswith(ref.lower())), None)
        if found is None:
            raise NotFound(f"no action '{ref}' in this submission")
        target_id, label = found["id"], f"{found['ref']} {found['title']}"
    else:
        raise InvalidInput(f"'{target}' is not something to mark, expected domain or action")
    record = {"id": new_id(), "submission_id": sub["id"], "target": target, "target_id": target_id, "label": label,
              "verdict": verdict, "comment": comment.strip(), "reviewer": ws.actor, "at": ws.clock.now()}
    ws.commit("review.mark", f"{sub['organisation']['name']} {sub['period']}: {label} {verdict}",
              [Change("review_marks", record["id"], None, record)])
    return record


def feedback_file(ws: Workspace, home: Path, handle: str, out: Path) -> tuple[Path, int, int]:
    """Write the signed feedback file for one submission; returns (path, accepted, queried)."""
    from ..files import inside, safe_name
    from ..storage.store import SaveFailed, _why, atomic_write

    sub = find_submission(ws, handle)
    marks = list(current_marks(ws).get(sub["id"], {}).values())
    if not marks:
        raise SelfAssessError("nothing to send: mark domains or actions first (selfassess review mark ...)")
    body = {
        "format": 1, "submission": sub["id"], "organisation": sub["organisation"], "period": sub["period"],
        "assessment_id": sub["assessment"]["id"], "reviewer": ws.actor, "reviewed_at": ws.clock.now(),
        "items": [{"target": m["target"], "target_id": m["target_id"], "label": m["label"], "verdict": m["verdict"],
                   "comment": m["comment"]} for m in sorted(marks, key=lambda m: (m["target"], m["label"]))],
    }
    data = bundle.seal(bundle.FEEDBACK, {"feedback.json": json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")},
                       keys.load_or_create(home))
    if out.is_dir():
        stem = safe_name(f"feedback-{safe_name(str(sub['organisation'].get('ods_code') or ''), 'trust')}-{sub['period']}")
        out = inside(out, f"{stem}.selfassess-feedback")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(out, data, 0o644)
    except OSError as exc:
        raise SaveFailed(f"could not write {out}: {_why(exc)}. No feedback was recorded as sent.") from None
    ws.commit("review.feedback", f"feedback on {sub['organisation']['name']} {sub['period']} written to {out.name}",
              [Change("review_feedback_sent", f"{sub['id']}:{body['reviewed_at']}", None,
                      {"id": f"{sub['id']}:{body['reviewed_at']}", "submission_id": sub["id"], "file": out.name,
                       "items": len(body["items"]), "at": body["reviewed_at"]})])
    return out, sum(m["verdict"] == "accepted" for m in marks), sum(m["verdict"] == "queried" for m in marks)


def register_key(ws: Workspace, fingerprint: str, name: str, ods_code: str = "") -> dict[str, Any]:
    fp = keys.normalise_fingerprint(fingerprint)
    name = name.strip()
    if not name:
        raise InvalidInput("say whose key this is, expected --name")
    record = {"id": fp, "name": name, "ods_code": check_ods(ods_code), "registered_at": ws.clock.now(),
              "registered_by": ws.actor}
    before = ws.repo.get("trusted_keys", fp)
    ws.commit("keys.trust", f"registered key {fp} for {name}", [Change("trusted_keys", fp, before, record)])
    return record


def _fraction(percent: float | None) -> float | None:
    return None if percent is None else round(percent / 100, 4)


def to_xlsx(domain_titles: list[str], domain_ids: list[str], rows: list[TrustRow]) -> bytes:
    """The comparison as a workbook for the regulator's own papers."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.table import Table, TableStyleInfo

    from ..reports.safe_text import Cleaner

    cleaner = Cleaner("Excel")
    wb = Workbook()
    ws = wb.active
    ws.title = "Trusts by domain"
    header = ["Trust", "ODS", "Period", "Overall", "Completeness", *domain_titles, "Open actions", "Overdue", "Slipped", "Queried"]
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in rows:
        ws.append([cleaner.clean(r.organisation, "trust"), r.ods_code, r.period,
                   None if r.overall is None else round(r.overall / 100, 4), round(r.completeness, 4),
                   *[_fraction(r.domains.get(d)) for d in domain_ids],
                   r.open_actions, r.overdue, r.slipped, r.queried])
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"
        for cell in row[3:5 + len(domain_ids)]:
            cell.number_format = "0%"
    ws.freeze_panes = "B2"
    table = Table(displayName="Trusts", ref=f"A1:{ws.cell(row=1, column=len(header)).column_letter}{max(len(rows), 1) + 1}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    ws.add_table(table)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

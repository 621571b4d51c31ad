"""Evidence files: kept by SHA-256, on the audit chain, in the submission, and checked at every door."""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from selfassess.cli import cli
from selfassess.core.errors import Refused
from selfassess.submission import bundle, keys
from selfassess.submission.submit import ALLOWED, OPTIONAL
from tests.helpers import open_workspace

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
CSV = b"indicator,value\nwaiting list by IMD quintile,42\n"


def run(home: Path, *args: object):
    return CliRunner().invoke(cli, ["--home", str(home), *map(str, args)], catch_exceptions=False,
                              env={"SELFASSESS_TODAY": "2026-11-23", "SELFASSESS_ACTOR": "Tester"})


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def ids(home: Path) -> tuple[str, str]:
    """(signed-off last year, in-progress this year) of the demo trust."""
    found = json.loads(run(home, "assessments", "--json").stdout)["assessments"]
    return (next(a["id"] for a in found if a["status"] == "signed_off"),
            next(a["id"] for a in found if a["status"] == "in_progress"))


@pytest.fixture
def trust(tmp_path: Path) -> Path:
    home = tmp_path / "trust"
    assert run(home, "demo").exit_code == 0
    return home


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    out = {"report.pdf": PDF, "waits.csv": CSV}
    for name, data in out.items():
        (tmp_path / name).write_bytes(data)
    return {name: tmp_path / name for name in out}


def signed_with_evidence(home: Path, files: dict[str, Path]) -> str:
    """Last year's assessment reopened, two files added, signed off again: ready to submit."""
    old, _ = ids(home)
    res = run(home, "evidence", "add", old[:8], "1.1", files["report.pdf"])
    assert res.exit_code == 1 and "signed off" in res.stderr and "frozen" in res.stderr  # the record says what was signed
    new = run(home, "reopen", old[:8], "--reason", "attach the evidence").stdout.split()[0]
    assert run(home, "evidence", "add", new[:8], "1.1", files["report.pdf"], "--title", "Equality report 2025",
               "--effective", "2025-04-01", "--expires", "2027-03-31").exit_code == 0
    assert run(home, "evidence", "add", new[:8], "2.1", files["waits.csv"], "--title", "Waiting list by IMD").exit_code == 0
    res = run(home, "signoff", new[:8], "--by", "Margaret Ellison", "--role", "Chair")
    assert res.exit_code == 0, res.stderr
    return new


def unpack(path: Path) -> tuple[bundle.Opened, dict[str, bytes]]:
    opened = bundle.open_sealed(path.read_bytes(), bundle.SUBMISSION, ALLOWED, OPTIONAL)
    return opened, dict(opened.files)


def test_evidence_hashes_are_checked_end_to_end(trust, files, tmp_path):
    reg = tmp_path / "regulator"
    aid = signed_with_evidence(trust, files)
    listed = json.loads(run(trust, "evidence", "list", aid[:8], "--json").stdout)["evidence"]
    assert [(e["question_ref"], e["title"], e["sha256"]) for e in listed] == [
        ("1.1", "Equality report 2025", sha(PDF)), ("2.1", "Waiting list by IMD", sha(CSV))]
    blob = trust / "store" / "evidence" / sha(PDF)
    assert blob.read_bytes() == PDF and (blob.stat().st_mode & 0o777) == 0o600

    res = run(trust, "submit", aid[:8], "--out", tmp_path / "with.selfassess", "--with-evidence")
    assert res.exit_code == 0, res.stderr
    _, inside = unpack(tmp_path / "with.selfassess")
    assert inside[f"evidence/{sha(PDF)}"] == PDF and inside[f"evidence/{sha(CSV)}"] == CSV
    doc = json.loads(inside["submission.json"])
    assert {(e["sha256"], e["included"]) for e in doc["evidence"]} == {(sha(PDF), True), (sha(CSV), True)}

    # Without --with-evidence the submission carries the hashes and no files.
    res = run(trust, "submit", aid[:8], "--out", tmp_path / "hashes.selfassess")
    assert res.exit_code == 0, res.stderr
    _, inside = unpack(tmp_path / "hashes.selfassess")
    assert not [n for n in inside if n.startswith("evidence/")]
    assert {(e["sha256"], e["included"]) for e in json.loads(inside["submission.json"])["evidence"]} == {
        (sha(PDF), False), (sha(CSV), False)}

    fingerprint = run(trust, "keys", "show").stdout.splitlines()[0]
    assert run(reg, "keys", "trust", fingerprint, "--name", "Riverside Valley").exit_code == 0
    res = run(reg, "verify", tmp_path / "with.selfassess", tmp_path / "hashes.selfassess")
    assert res.exit_code == 0, res.stdout
    assert "2 evidence file(s), 2 included and checked against their SHA-256" in res.stdout
    assert "0 included and checked against their SHA-256, 2 listed by SHA-256 only" in res.stdout
    res = run(reg, "review", "import", tmp_path / "with.selfassess", tmp_path / "hashes.selfassess")
    assert res.exit_code == 0 and "2 of 2 imported" in res.stdout, res.stdout
    assert run(trust, "audit", "verify").exit_code == 0 and run(reg, "audit", "verify").exit_code == 0


def reseal(home: Path, src: Path, dst: Path, change) -> Path:
    """The same bundle, its files changed, signed again with the trust's own key: only the content checks can tell."""
    _, inside = unpack(src)
    change(inside)
    dst.write_bytes(bundle.seal(bundle.SUBMISSION, inside, keys.load_or_create(home)))
    return dst


def test_an_included_file_changed_in_the_bundle_is_rejected(trust, files, tmp_path):
    aid = signed_with_evidence(trust, files)
    good = tmp_path / "good.selfassess"
    assert run(trust, "submit", aid[:8], "--out", good, "--with-evidence").exit_code == 0

    # A byte changed anywhere in the evidence breaks the seal.
    data = bytearray(good.read_bytes())
    at = data.index(PDF[:8]) if PDF[:8] in data else len(data) - 200
    data[at + 2] ^= 0x01
    (tmp_path / "flipped.selfassess").write_bytes(bytes(data))
    res = run(trust, "verify", tmp_path / "flipped.selfassess")
    assert res.exit_code == 1 and res.stdout.startswith("ALTERED"), res.stdout

    # Re-signed by the trust itself: the file no longer has the hash the submission records.
    def swap(inside: dict[str, bytes]) -> None:
        inside[f"evidence/{sha(PDF)}"] = PDF.replace(b"1.4", b"1.7")

    res = run(trust, "verify", reseal(trust, good, tmp_path / "swapped.selfassess", swap))
    assert res.exit_code == 1 and res.stdout.startswith("ALTERED"), res.stdout
    assert "the evidence file 'Equality report 2025' (report.pdf) in the bundle is not the file the submission records" in res.stdout

    def drop(inside: dict[str, bytes]) -> None:
        del inside[f"evidence/{sha(CSV)}"]

    res = run(trust, "verify", reseal(trust, good, tmp_path / "dropped.selfassess", drop))
    assert res.exit_code == 1 and res.stdout.startswith("MALFORMED")
    assert f"lists the evidence file 'Waiting list by IMD' (waits.csv) as included, but evidence/{sha(CSV)} is not" in res.stdout

    def extra(inside: dict[str, bytes]) -> None:
        inside[f"evidence/{sha(b'x')}"] = b"x"

    res = run(trust, "verify", reseal(trust, good, tmp_path / "extra.selfassess", extra))
    assert res.exit_code == 1 and "which submission.json does not list as an included evidence file" in res.stdout

    def stray_name(inside: dict[str, bytes]) -> None:
        inside["evidence/../../etc/passwd"] = b"x"

    res = run(trust, "verify", reseal(trust, good, tmp_path / "stray.selfassess", stray_name))
    assert res.exit_code == 1 and "a path outside the bundle" in res.stdout


def test_a_blob_changed_after_it_was_added_fails_audit_verify_naming_the_file(trust, files):
    _, current = ids(trust)
    assert run(trust, "evidence", "add", current[:8], "1.1", files["report.pdf"], "--title", "Equality report").exit_code == 0
    assert run(trust, "audit", "verify").exit_code == 0
    blob = trust / "store" / "evidence" / sha(PDF)
    os.chmod(blob, 0o600)
    blob.write_bytes(PDF + b"% appended later\n")
    res = run(trust, "audit", "verify")
    assert res.exit_code == 1
    assert f"evidence file evidence/{sha(PDF)} ('Equality report', report.pdf, added " in res.stderr
    assert ") changed after it was added: its SHA-256 is now" in res.stderr
    store, ws = open_workspace(trust / "store", writer=False)
    try:
        with pytest.raises(Refused, match="has changed since it was added"):
            ws.evidence_bytes(ws.evidence(current)[0])
    finally:
        store.close()
    blob.unlink()
    res = run(trust, "audit", "verify")
    assert res.exit_code == 1 and "('Equality report', report.pdf, added " in res.stderr and ") is missing" in res.stderr
    blob.write_bytes(PDF)
    assert run(trust, "audit", "verify").exit_code == 0


def test_expired_evidence_is_a_point_for_challenge(trust, files, tmp_path):
    _, current = ids(trust)
    (tmp_path / "old.pdf").write_bytes(PDF + b"% old\n")
    assert run(trust, "evidence", "add", current[:8], "1.1", tmp_path / "old.pdf", "--title", "Audit 2024",
               "--expires", "2026-11-22").exit_code == 0
    assert run(trust, "evidence", "add", current[:8], "1.1", files["report.pdf"], "--title", "Audit 2026",
               "--expires", "2026-11-23").exit_code == 0  # expires today: still current today
    found = json.loads(run(trust, "checks", current[:8], "--json").stdout)["points_for_challenge"]
    expired = [p for p in found if p["kind"] == "expired_evidence"]
    assert [p["message"] for p in expired] == ["1.1: the evidence file 'Audit 2024' (old.pdf) expired on 2026-11-22."]
    assert "expired on 2026-11-22" in run(trust, "checks", current[:8]).stdout
    listed = run(trust, "evidence", "list", current[:8], "1.1").stdout
    assert "2026-11-22!" in listed and "1 expired (!)" in listed


def test_remove_keeps_the_file_and_records_why(trust, files):
    _, current = ids(trust)
    eid = run(trust, "evidence", "add", current[:8], "1.1", files["waits.csv"]).stdout.split()[0]
    res = run(trust, "evidence", "remove", current[:8], eid, "--reason", "superseded by the Q2 figures")
    assert res.exit_code == 0 and "is kept in the store" in res.stdout
    assert run(trust, "evidence", "list", current[:8]).stdout.strip() == "No evidence files."
    (row,) = json.loads(run(trust, "evidence", "list", current[:8], "--removed", "--json").stdout)["evidence"]
    assert row["removed"] and row["removed_reason"] == "superseded by the Q2 figures" and row["removed_by"] == "Tester"
    assert (trust / "store" / "evidence" / sha(CSV)).read_bytes() == CSV
    log = json.loads(run(trust, "audit", "log", "--json").stdout)
    events = log["events"] if isinstance(log, dict) else log
    assert any(e["action"] == "evidence.remove" and "superseded by the Q2 figures" in e["summary"] for e in events)
    res = run(trust, "evidence", "remove", current[:8], eid, "--reason", "again")
    assert res.exit_code == 1 and "already removed" in res.stderr
    res = run(trust, "evidence", "remove", current[:8], eid[:8] + "0000", "--reason", "x")
    assert res.exit_code == 1
    assert run(trust, "audit", "verify").exit_code == 0


def _office(path: Path, names: dict[str, bytes]) -> Path:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, d in names.items():
            z.writestr(n, d)
    path.write_bytes(buf.getvalue())
    return path


def bad_inputs(tmp: Path) -> list[tuple[Path, str]]:
    (tmp / "folder.pdf").mkdir()
    (tmp / "real.pdf").write_bytes(PDF)
    (tmp / "link.pdf").symlink_to(tmp / "real.pdf")
    with open(tmp / "huge.pdf", "wb") as f:  # sparse: 20 MiB and one byte
        f.write(b"%PDF-1.4\n")
        f.truncate(20 * 1024 * 1024 + 1)
    (tmp / "setup.pdf").write_bytes(b"MZ\x90\x00" + b"\x00" * 60)
    (tmp / "tool.pdf").write_bytes(b"\x7fELF\x02\x01\x01" + b"\x00" * 60)
    (tmp / "notes.txt").write_bytes(b"#!/bin/sh\nrm -rf ~\n")
    (tmp / "run.sh").write_bytes(b"echo hello\n")
    (tmp / "fake.pdf").write_bytes(b"not a pdf at all")
    (tmp / "page.txt").write_bytes(b"<html><script>alert(1)</script></html>")
    (tmp / "data.tar.pdf").write_bytes(b"\x1f\x8b\x08\x00" + b"\x00" * 40)
    _office(tmp / "bundle.docx", {"a.txt": b"x"})
    _office(tmp / "macro.xlsx", {"[Content_Types].xml": b"<x/>", "xl/vbaProject.bin": b"x"})
    (tmp / "fifo.pdf").unlink(missing_ok=True)
    os.mkfifo(tmp / "fifo.pdf")
    return [
        (tmp / "missing.pdf", "no such file"),
        (tmp / "folder.pdf", "is not a regular file (a folder)"),
        (tmp / "link.pdf", "is a symbolic link"),
        (tmp / "huge.pdf", "is more than 20,971,520 bytes"),
        (tmp / "setup.pdf", "its content is a Windows program or library (an EXE or DLL), whatever its name says"),
        (tmp / "tool.pdf", "its content is a program (an ELF executable)"),
        (tmp / "notes.txt", "its content is a script (it starts with #!)"),
        (tmp / "run.sh", "its name says it is a script or shortcut (.sh)"),
        (tmp / "fake.pdf", "its content is not a PDF document"),
        (tmp / "page.txt", "its content is a web page"),
        (tmp / "data.tar.pdf", "its content is an archive (gzip)"),
        (tmp / "bundle.docx", "its content is an archive (zip), not a Word document"),
        (tmp / "macro.xlsx", "it holds macros or programs"),
        (tmp / "fifo.pdf", "is not a regular file (a FIFO"),
        (Path("/dev/null"), "is not a regular file (a device)"),
    ]


def test_bad_files_are_refused_with_a_clear_message_and_nothing_recorded(trust, tmp_path):
    _, current = ids(trust)
    before = run(trust, "audit", "verify").stdout
    for path, said in bad_inputs(tmp_path):
        res = run(trust, "evidence", "add", current[:8], "1.1", path)
        assert res.exit_code == 1, (path, res.stdout)
        assert said in res.stderr and "Traceback" not in res.stderr, (path, res.stderr)
        assert "Nothing was recorded" in res.stderr, res.stderr
    assert run(trust, "audit", "verify").stdout == before  # not one event more
    assert not (trust / "store" / "evidence").exists() or not list((trust / "store" / "evidence").iterdir())
    assert run(trust, "evidence", "list", current[:8], "--removed").stdout.strip() == "No evidence files."
    res = run(trust, "evidence", "add", current[:8], "1.1", tmp_path / "real.pdf", "--effective", "2026-05-01",
              "--expires", "2026-04-01")
    assert res.exit_code == 1 and "before the effective date" in res.stderr


def test_the_same_file_twice_on_one_question_is_refused(trust, files):
    _, current = ids(trust)
    assert run(trust, "evidence", "add", current[:8], "1.1", files["report.pdf"]).exit_code == 0
    res = run(trust, "evidence", "add", current[:8], "1.1", files["report.pdf"])
    assert res.exit_code == 1 and "already evidence for 1.1" in res.stderr
    assert run(trust, "evidence", "add", current[:8], "1.2", files["report.pdf"]).exit_code == 0  # another question: fine


def test_office_documents_and_images_are_kept(trust, tmp_path):
    _, current = ids(trust)
    kept = {
        "paper.docx": _office(tmp_path / "paper.docx", {"[Content_Types].xml": b"<x/>", "word/document.xml": b"<w/>"}),
        "plan.ods": _office(tmp_path / "plan.ods", {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}),
        "chart.png": tmp_path / "chart.png",
    }
    kept["chart.png"].write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    for name, path in kept.items():
        res = run(trust, "evidence", "add", current[:8], "1.1", path)
        assert res.exit_code == 0, (name, res.stderr)
    kinds = {e["file_name"]: e["kind"] for e in json.loads(run(trust, "evidence", "list", current[:8], "--json").stdout)["evidence"]}
    assert kinds == {"paper.docx": "Word document", "plan.ods": "OpenDocument spreadsheet", "chart.png": "PNG image"}


def test_the_board_report_appendix_lists_the_evidence(trust, files, tmp_path):
    _, current = ids(trust)
    assert run(trust, "evidence", "add", current[:8], "1.1", files["report.pdf"], "--title", "Equality report 2025",
               "--effective", "2025-04-01", "--expires", "2026-03-31").exit_code == 0
    res = run(trust, "export", current[:8], "--format", "pdf", "--out", tmp_path / "docs")
    assert res.exit_code == 0, res.stderr
    pdf = next((tmp_path / "docs").glob("*board-report.pdf"))
    text = "\n".join(page.extract_text() for page in PdfReader(pdf).pages)
    appendix = " ".join(text[text.index("Appendix: evidence files"):].split())
    assert "Equality report 2025" in appendix and sha(PDF)[:12] in appendix and sha(PDF)[:13] not in appendix
    assert "2025-04-01" in appendix and "2026-03-31 (expired)" in appendix and "report.pdf" in appendix


def test_a_reopened_version_keeps_the_evidence(trust, files):
    aid = signed_with_evidence(trust, files)
    again = run(trust, "reopen", aid[:8], "--reason", "one more look").stdout.split()[0]
    rows = json.loads(run(trust, "evidence", "list", again[:8], "--json").stdout)["evidence"]
    assert [r["sha256"] for r in rows] == [sha(PDF), sha(CSV)] and all(r["carried_from"] for r in rows)


def test_the_store_keeps_a_file_only_under_its_own_hash(tmp_path):
    from selfassess.storage.store import SaveFailed, Store

    store = Store(tmp_path / "store")
    try:
        with pytest.raises(SaveFailed):
            store.keep_evidence(sha(b"other"), PDF)
        store.keep_evidence(sha(PDF), PDF)
        store.keep_evidence(sha(PDF), PDF)  # again: left as it is
        assert store.read_evidence(sha(PDF)) == PDF and store.read_evidence("../state.json") is None
        assert [p.name for p in (tmp_path / "store" / "evidence").iterdir()] == [sha(PDF)]
    finally:
        store.close()


def test_a_file_that_cannot_be_kept_leaves_nothing_recorded(trust, files, monkeypatch):
    import errno

    from selfassess.files import disk
    from selfassess.storage.store import SaveFailed

    _, current = ids(trust)
    store, ws = open_workspace(trust / "store")
    try:
        head = store.head

        def full(fd: int) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(disk, "fsync", full)
        with pytest.raises(SaveFailed, match="the disk is full"):
            ws.add_evidence(current, "1.1", files["report.pdf"])
        monkeypatch.undo()
        assert store.head == head and ws.evidence(current, removed=True) == []
        assert not [p for p in (trust / "store" / "evidence").iterdir()]  # not even a temporary file
    finally:
        store.close()
    assert run(trust, "audit", "verify").exit_code == 0


def test_adding_a_file_again_sets_a_changed_copy_aside(trust, files):
    _, current = ids(trust)
    assert run(trust, "evidence", "add", current[:8], "1.1", files["report.pdf"]).exit_code == 0
    blob = trust / "store" / "evidence" / sha(PDF)
    blob.write_bytes(b"%PDF-1.4 changed behind the app's back\n")
    assert run(trust, "audit", "verify").exit_code == 1
    res = run(trust, "evidence", "add", current[:8], "1.2", files["report.pdf"])
    assert res.exit_code == 0 and "was set aside as" in res.stderr, res.stderr
    assert blob.read_bytes() == PDF
    (aside,) = (trust / "store" / "recovered").glob(f"evidence-{sha(PDF)[:16]}-*")
    assert aside.read_bytes() == b"%PDF-1.4 changed behind the app's back\n"
    assert run(trust, "audit", "verify").exit_code == 0


def test_flipping_any_byte_of_a_bundle_with_evidence_fails_verification(trust, files, tmp_path):
    from selfassess.submission.review import Checked, verify_file

    aid = signed_with_evidence(trust, files)
    path = tmp_path / "with.selfassess"
    assert run(trust, "submit", aid[:8], "--out", path, "--with-evidence").exit_code == 0
    data = path.read_bytes()
    assert not isinstance(verify_file(path, data), Checked)  # the unchanged bundle is read whole
    step = max(1, len(data) // 400)
    for i in [*range(0, len(data), step), len(data) - 1]:
        changed = bytearray(data)
        changed[i] ^= 0x41
        result = verify_file(path, bytes(changed))
        assert isinstance(result, Checked) and result.verdict in ("altered", "malformed"), i

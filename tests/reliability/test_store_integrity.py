"""Issue 10, the store's part: verify tells the truth, a checkpoint cannot be moved, no silent restart,
no writing through links, owner-only files, and every failure to save exits 5."""

from __future__ import annotations

import errno
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from selfassess import session as session_module
from selfassess.core.audit import Change
from selfassess.storage import store as store_module
from selfassess.storage.store import (
    ExclusiveLock,
    SaveFailed,
    Store,
    StoreDamaged,
    StoreError,
    StoreLocked,
    verify_files,
)

WHEN = "2026-11-23T10:00:00Z"
FIXTURES = Path(__file__).with_name("fixtures")


def put(store: Store, rid: str, **fields) -> None:
    before = store.get("things", rid)
    store.commit("thing.put", "tester", f"put {rid}", [Change("things", rid, before, {"id": rid, **fields})], WHEN)


@pytest.fixture
def folder(tmp_path):
    return tmp_path / "store"


def with_tail(folder: Path, checkpointed: int, after: int) -> None:
    """A store checkpointed at event `checkpointed`, then `after` acknowledged events not yet checkpointed
    (as when a writer is killed after its saves and before closing)."""
    with Store(folder) as s:
        for i in range(checkpointed):
            put(s, f"r{i}", value=i)
    s = Store(folder)
    for i in range(after):
        put(s, f"t{i}", value=i)
    os.close(s._fd)  # leave as a kill -9 would: no checkpoint, the lock let go by the OS
    s._fd = None
    s._lock.release()


def log_lines(folder: Path) -> list[bytes]:
    return (folder / "audit.log").read_bytes().splitlines(keepends=True)


# --- 5. audit verify: every problem, the true count, an unfinished save is not a failure -------------

def test_verify_names_every_problem_and_counts_what_it_checked(folder):
    with Store(folder) as s:
        for i in range(6):
            put(s, f"r{i}", value=i)
    lines = log_lines(folder)
    lines[1] = lines[1].replace(b'"value":1', b'"value":7')
    lines[4] = lines[4].replace(b'"value":4', b'"value":8')
    (folder / "audit.log").write_bytes(b"".join(lines))
    report = verify_files(folder)
    assert report.problems == [
        "audit.log line 2 (event 2): its content does not match its hash (the event was edited)",
        "audit.log line 5 (event 5): its content does not match its hash (the event was edited)",
    ]
    assert report.events == 6
    # An unreadable line in the middle: named, and the walk picks the chain up again after it.
    lines[1] = b"garbage\n"
    (folder / "audit.log").write_bytes(b"".join(lines))
    report = verify_files(folder)
    assert report.problems[:2] == ["audit.log line 2 is not a readable event",
                                   "audit.log line 5 (event 5): its content does not match its hash (the event was edited)"]
    assert report.events == 5


def test_an_unfinished_last_save_is_a_note_not_a_failure(folder, run, home):
    folder = home / "store"
    with Store(folder) as s:
        for i in range(3):
            put(s, f"r{i}", value=i)
    with open(folder / "audit.log", "ab") as f:
        f.write(b'{"v":1,"seq":4,"time":"2026-1')
    report = verify_files(folder)
    assert report.ok and report.events == 3
    assert "unfinished save" in report.notes[0] and "set aside the next time" in report.notes[0]
    res = run("audit", "verify")
    assert res.exit_code == 0, res
    assert res.stdout.startswith("OK: 3 event(s)") and "note: audit.log line 4 is an unfinished save" in res.stdout


def test_verify_holds_one_snapshot_while_a_save_and_a_checkpoint_land(folder, monkeypatch):
    """Deterministic: a save and a checkpoint happen between verify's reads of state.json and the log."""
    with Store(folder) as s:
        for i in range(3):
            put(s, f"r{i}", value=i)
    writer = Store(folder)
    real = store_module.io.read_bytes

    def read_then_write(path):
        data = real(path)
        if Path(path).name == "state.json":
            put(writer, "late", value=1)
            writer.checkpoint()
        return data

    monkeypatch.setattr(store_module.io, "read_bytes", read_then_write)
    reader = Store(folder, writer=False)
    report = reader.verify()
    assert report.ok, report.problems
    monkeypatch.undo()
    writer.close()


def test_a_reader_verifies_what_it_loaded_though_saves_landed_since(folder):
    """As `audit verify` does it: open read-only, then verify; saves land in between."""
    with Store(folder) as s:
        put(s, "r0", value=0)
    reader = Store(folder, writer=False)
    with Store(folder) as writer:
        put(writer, "r0", value=1)
        put(writer, "r1", value=2)
    report = reader.verify()
    assert report.ok and report.events == 3, report.problems


# --- 6. the checkpoint's position is covered; a bad tail is damage; a good one is never set aside ----

def test_moving_the_checkpoint_back_a_line_is_caught(folder):
    with_tail(folder, 3, 0)
    lines = log_lines(folder)
    data = json.loads((folder / "state.json").read_text())
    data["checkpoint"]["offset"] -= len(lines[-1])
    (folder / "state.json").write_text(json.dumps(data))
    with pytest.raises(StoreDamaged, match="changed outside selfassess") as info:
        Store(folder)
    assert info.value.exit_code == 4
    assert not verify_files(folder).ok
    # Even with the checksum recomputed: verify names the position, and the next writer stops
    # rather than setting the acknowledged event 3 aside as never confirmed.
    data["digest"] = store_module.state_digest(data)
    (folder / "state.json").write_text(json.dumps(data))
    assert any("ends at byte" in p for p in verify_files(folder).problems)
    with pytest.raises(StoreDamaged, match="audit.log line 3"):
        Store(folder)
    assert log_lines(folder) == lines and not (folder / "recovered").exists()


def test_an_acknowledged_event_after_the_checkpoint_is_replayed_not_set_aside(folder):
    with_tail(folder, 3, 2)
    with Store(folder) as s:
        assert s.get("things", "t1") == {"id": "t1", "value": 1} and not s.notices
    assert not (folder / "recovered").exists()
    assert verify_files(folder).ok


@pytest.mark.parametrize("edit", ["last", "both", "garbage"])
def test_an_edited_tail_after_the_checkpoint_stops_the_store_with_a_restore_offer(folder, edit):
    with_tail(folder, 3, 2)
    lines = log_lines(folder)
    if edit in ("last", "both"):
        lines[-1] = lines[-1].replace(b'"value":1', b'"value":9')
    if edit == "both":
        lines[-2] = lines[-2].replace(b'"value":0', b'"value":9')
    if edit == "garbage":
        lines.append(b"not an event\n")
    (folder / "audit.log").write_bytes(b"".join(lines))
    with pytest.raises(StoreDamaged) as info:
        Store(folder)
    assert "selfassess store restore --from-log" in str(info.value) and "Nothing has been changed" in str(info.value)
    assert log_lines(folder) == lines  # nothing swept aside
    report = verify_files(folder)
    assert not report.ok and len(report.problems) == (2 if edit == "both" else 1)


def test_a_store_written_by_the_first_format_opens_verifies_and_is_upgraded(tmp_path):
    """The fixture was written by selfassess as it landed (format 1: digest over the tables only)."""
    folder = tmp_path / "store"
    shutil.copytree(FIXTURES / "store-format1", folder)
    assert json.loads((folder / "state.json").read_text())["format"] == 1
    assert verify_files(folder).ok
    with Store(folder) as s:
        assert {r["id"]: r["value"] for r in s.all("things")} == {"r0": 0, "r1": 10, "r2": 2, "r3": 3}
        put(s, "r4", value=4)
    data = json.loads((folder / "state.json").read_text())
    assert data["format"] == store_module.FORMAT and data["digest"] == store_module.state_digest(data)
    assert verify_files(folder).ok
    old_backup = min(Store(folder, writer=False).backups(), key=lambda b: b.seq)
    assert "plus 3 later event(s)" in Store.restore(folder, backup=old_backup.path.name)
    with Store(folder) as s:
        assert len(s.all("things")) == 5 and s.verify().ok


# --- 7. no silent restart -------------------------------------------------------------------------

def rounds(folder: Path, n: int = 3) -> None:
    for i in range(n):
        with Store(folder) as s:
            put(s, f"round{i}", value=i)


def test_deleting_state_and_log_with_backups_stops_and_offers_the_newest_backup(folder):
    rounds(folder)
    newest = Store(folder, writer=False).backups()[0]
    (folder / "state.json").unlink()
    (folder / "audit.log").unlink()
    for writer in (True, False):
        with pytest.raises(StoreDamaged) as info:
            Store(folder, writer=writer)
        assert info.value.exit_code == 4
        assert f"selfassess store restore --backup {newest.path.name}" in str(info.value)
    assert not (folder / "state.json").exists()
    with pytest.raises(StoreError, match="no audit log .* to replay"):  # which would start it empty
        Store.restore(folder, from_log=True)
    report = verify_files(folder)
    assert report.problems == ["state.json and audit.log are both missing, but this store was used before "
                               "(3 backup(s) in backups/, lock.json shows it was opened for writing)"]
    # The offer works: the backup's tables come back, and verify says the history before it is gone.
    assert "the history before event 3 is lost" in Store.restore(folder, backup=newest.path.name)
    with Store(folder) as s:
        assert {r["id"] for r in s.all("things")} == {"round0", "round1", "round2"}
        put(s, "after", value=1)
    report = verify_files(folder)
    assert report.ok and report.events == 1, report.problems
    assert "starts after event 3" in report.notes[0]
    with Store(folder) as s:
        assert s.verify().ok and s.head[0] == 4


@pytest.mark.parametrize("left", ["recovered", "lock.json"])
def test_other_signs_of_use_also_stop_a_fresh_start(folder, left):
    rounds(folder, 1)
    shutil.rmtree(folder / "backups")
    (folder / "state.json").unlink()
    (folder / "audit.log").unlink()
    if left == "recovered":
        (folder / "lock.json").unlink()
        (folder / "recovered").mkdir()
        (folder / "recovered" / "torn-x.log").write_text("x")
    with pytest.raises(StoreDamaged, match="both missing, but this store was used before"):
        Store(folder)


def test_a_never_used_folder_still_opens_empty(folder):
    # A first writer that has taken the lock and left its note, but not yet written state.json:
    # a reader or verify at that moment sees an empty store, not a damaged one.
    folder.mkdir()
    lock = ExclusiveLock(folder / "lock")
    lock.acquire(0)
    (folder / "lock.json").write_text(json.dumps({"host": socket.gethostname(), "pid": os.getpid()}))
    assert Store(folder, writer=False).all("things") == [] and verify_files(folder).ok
    lock.release()
    (folder / "lock.json").unlink()
    with Store(folder) as s:
        assert s.all("things") == []
    with Store(folder) as s:  # and again: its own lock note is no sign of damage
        put(s, "x", value=1)
    assert verify_files(folder).ok


def test_verify_of_a_store_without_state_json_fails(run, home):
    folder = home / "store"
    rounds(folder, 2)
    (folder / "state.json").unlink()
    res = run("audit", "verify")
    assert res.exit_code == 1, res
    assert "cannot be opened" in res.stderr and "state.json is missing" in res.stderr and "OK" not in res.stdout
    (folder / "audit.log").unlink()
    res = run("audit", "verify")
    assert res.exit_code == 1 and "both missing" in res.stderr, res
    assert run("assessments").exit_code == 4


def test_a_store_folder_replaced_by_a_file_is_damage_never_an_empty_store(run, home):
    """Read as an empty store it showed 'No assessments yet' and verify said OK, 0 events; only a save noticed."""
    folder = home / "store"
    rounds(folder, 2)
    shutil.rmtree(folder)
    folder.write_text("x")
    for verb in (["assessments"], ["show", "x"], ["answer", "x", "1.1", "--rating", "1"]):
        res = run(*verb)
        assert res.exit_code == 4 and "is a file, not a folder" in res.stderr and "No assessments" not in res.stdout, res
    res = run("audit", "verify")
    assert res.exit_code == 1 and "is a file, not a folder" in res.stdout + res.stderr and "OK" not in res.stdout
    assert folder.read_text() == "x"  # nothing read or changed


# --- 8. links refused; owner-only whatever the umask; crash logs where the data is ----------------

@pytest.mark.parametrize("name", ["audit.log", "lock", "state.json", "backups"])
def test_store_files_that_are_links_are_refused(folder, tmp_path, name):
    rounds(folder, 1)
    outside = tmp_path / "outside"
    src = folder / name
    if src.is_dir():
        shutil.move(src, outside)
    else:
        outside.write_bytes(src.read_bytes())
        src.unlink()
    src.symlink_to(outside)
    before = outside.read_bytes() if outside.is_file() else None
    with pytest.raises(StoreDamaged, match=f"{name} \\(to {outside}\\) is a symbolic link") as info:
        Store(folder)
    assert "never reads or writes store files through links" in str(info.value)
    if before is not None:
        assert outside.read_bytes() == before
    assert not verify_files(folder).ok
    with pytest.raises(StoreDamaged):
        Store.restore(folder, from_log=True)
    if name == "audit.log":
        with pytest.raises(StoreDamaged, match="symbolic link"):
            list(store_module.read_events(folder))


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_everything_is_owner_only_whatever_the_umask(tmp_path, monkeypatch):
    from selfassess.crashlog import write_crash_log
    from selfassess.reports import export as export_module
    from selfassess.submission import keys

    home = tmp_path / "deep" / "home"
    keys_home = tmp_path / "keyed" / "home"
    old = os.umask(0)
    try:
        keys.load_or_create(keys_home)  # the signing key is the first thing made in this data folder
        rounds(home / "store", 2)
        with open(home / "store" / "audit.log", "ab") as f:
            f.write(b"torn")
        Store(home / "store").close()  # sets the torn line aside into recovered/
        log = Path(write_crash_log(home, RuntimeError("boom")))
        folder = tmp_path / "exports" / "inner"
        monkeypatch.setattr(export_module, "render", lambda d, f: (b"content", []))
        out = export_module.export(type("D", (), {"file_stem": "X"})(), "md", folder)  # type: ignore[arg-type]
    finally:
        os.umask(old)
    for d in [tmp_path / "deep", home, home / "store", home / "store" / "backups", home / "store" / "recovered",
              home / "logs", tmp_path / "exports", folder, tmp_path / "keyed", keys_home, keys_home / "keys"]:
        assert _mode(d) == 0o700, d
    for f in [*(home / "store").rglob("*"), log, out.path, keys.key_path(keys_home)]:
        if f.is_file():
            assert _mode(f) == 0o600, f


def test_crash_logs_go_to_the_data_folder_in_use(run, home, tmp_path, monkeypatch):
    other = tmp_path / "other"
    monkeypatch.setattr(session_module, "list_backups", lambda folder: 1 / 0)
    res = run("--home", other, "store", "backups")
    assert res.exit_code == 70 and "unexpected problem" in res.stderr
    (log,) = (other / "logs").glob("crash-*.txt")
    assert "ZeroDivisionError" in log.read_text() and _mode(log) == 0o600
    assert not (home / "logs").exists()


# --- 10. every failure to save exits 5; a double fault says what is true; the holder is real ------

WRITE_CALLS = ["open", "write", "fsync", "fdatasync", "replace", "ftruncate", "mkdir"]


@pytest.mark.parametrize("fresh", [True, False])
def test_a_full_disk_while_opening_is_a_failure_to_save(folder, monkeypatch, fresh):
    if not fresh:
        with_tail(folder, 3, 1)
        with open(folder / "audit.log", "ab") as f:
            f.write(b"torn")  # so that opening has a tail to set aside, too
    calls = {"n": 0, "fail": 0}

    def failing(original):
        def call(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == calls["fail"]:
                raise OSError(errno.ENOSPC, "No space left on device")
            return original(*args, **kwargs)
        return call

    template = folder.with_name("template")
    if not fresh:
        shutil.copytree(folder, template)
    for name in WRITE_CALLS:
        monkeypatch.setattr(store_module.io, name, failing(getattr(store_module.io, name)))
    k, refused = 0, 0
    while True:
        k += 1
        shutil.rmtree(folder, ignore_errors=True)
        if not fresh:
            shutil.copytree(template, folder)
        calls.update(n=0, fail=k)
        try:
            Store(folder).close()
        except SaveFailed as exc:
            assert exc.exit_code == 5 and "the disk is full" in str(exc)
            refused += 1
            continue
        if calls["n"] < k:  # no call failed: every write call of opening has been tried
            break
    assert refused >= 3
    calls["fail"] = 0
    with Store(folder) as s:
        assert s.verify().ok


def test_a_full_disk_on_the_command_line_exits_5(run, home, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(store_module.io, "mkdir", full)
        res = run("new", "Trust", "--framework", "board-health-inequalities", "--period", "2025/26")
    assert res.exit_code == 5 and "the disk is full" in res.stderr, res
    rounds(home / "store", 1)
    (home / "store" / "state.json").write_text("")
    with monkeypatch.context() as m:
        m.setattr(store_module.io, "mkdir", full)
        res = run("store", "restore", "--from-log")
    assert res.exit_code == 5 and "the disk is full" in res.stderr, res


def test_a_double_fault_says_the_save_may_have_been_kept_and_pauses_saving(folder, monkeypatch):
    rounds(folder, 1)
    s = Store(folder)

    def fail(*args, **kwargs):
        raise OSError(errno.EIO, "Input/output error")

    with monkeypatch.context() as m:
        m.setattr(store_module.io, "fdatasync", fail)
        m.setattr(store_module.io, "ftruncate", fail)
        with pytest.raises(SaveFailed) as info:
            put(s, "maybe", value=1)
    message = str(info.value)
    assert "Nothing was saved" not in message
    assert "may or may not have been kept" in message and "checked the next time the store is opened" in message
    with pytest.raises(SaveFailed, match="saving is paused"):
        put(s, "next", value=2)
    s.close()
    with Store(folder) as again:  # the line reached the disk whole: it is kept, as the message allowed
        assert again.get("things", "maybe") == {"id": "maybe", "value": 1}
        assert again.verify().ok


def test_the_lock_holder_named_is_one_that_still_holds_it(folder, monkeypatch):
    monkeypatch.setattr(store_module, "COMMIT_WAIT", 0.2)
    rounds(folder, 1)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(gone.stdout)
    note = json.loads((folder / "lock.json").read_text())
    (folder / "lock.json").write_text(json.dumps(dict(note, pid=pid, command="selfassess gone")))
    lock = ExclusiveLock(folder / "lock")  # held by something that left no note of its own
    lock.acquire(0)
    try:
        with pytest.raises(StoreLocked) as info:
            Store(folder)
        assert "busy: another copy of selfassess" in str(info.value) and str(pid) not in str(info.value)
        # A holder that closed cleanly leaves a cleared note behind: never named afterwards.
        lock.release()
        Store(folder).close()
        lock.acquire(0)
        with pytest.raises(StoreLocked, match="busy: another copy of selfassess"):
            Store(folder)
    finally:
        lock.release()


def test_a_log_restarted_by_a_restore_and_then_replaced_while_open_gets_the_next_save(folder):
    # After a restore without its log, the log starts empty after event 3: a copy of that empty log
    # renamed over it holds all of this store's history the log has, and is followed.
    rounds(folder)
    newest = Store(folder, writer=False).backups()[0]
    (folder / "audit.log").unlink()
    Store.restore(folder, backup=newest.path.name)
    with Store(folder) as s:
        (folder / "audit.log.copy").write_bytes(b"")
        os.replace(folder / "audit.log.copy", folder / "audit.log")
        put(s, "after", value=1)
    with Store(folder) as s:
        assert s.get("things", "after") == {"id": "after", "value": 1} and s.verify().ok and s.head[0] == 4

"""The store on disk: one writer, damage detected and named, recovery, and injected I/O failures."""

from __future__ import annotations

import errno
import json
import os
import shutil
import socket

import pytest

from selfassess.core.audit import Change
from selfassess.storage import store as store_module
from selfassess.storage.store import (
    SaveFailed,
    Store,
    StoreDamaged,
    StoreError,
    StoreLocked,
    StoreReadOnly,
    verify_files,
)

WHEN = "2026-11-23T10:00:00Z"


def put(store: Store, rid: str, **fields) -> None:
    before = store.get("things", rid)
    store.commit("thing.put", "tester", f"put {rid}", [Change("things", rid, before, {"id": rid, **fields})], WHEN)


@pytest.fixture
def folder(tmp_path):
    return tmp_path / "store"


def filled(folder, n=5) -> None:
    with Store(folder) as s:
        for i in range(n):
            put(s, f"r{i}", value=i)


def test_saves_survive_reopening_and_the_chain_verifies(folder):
    filled(folder)
    with Store(folder) as s:
        assert [r["value"] for r in sorted(s.all("things"), key=lambda r: r["id"])] == [0, 1, 2, 3, 4]
        assert s.head[0] == 5
        report = s.verify()
        assert report.ok and report.events == 5


def test_records_are_keyed_by_their_uuid_not_a_counter(folder):
    with Store(folder) as s:
        put(s, "5f0c6a52-0000-4000-8000-000000000001", value=1)
    data = json.loads((folder / "state.json").read_text())
    assert list(data["tables"]["things"]) == ["5f0c6a52-0000-4000-8000-000000000001"]


def test_a_save_appends_to_the_log_and_does_not_rewrite_the_state(folder):
    filled(folder, 1)
    with Store(folder) as s:
        before = (folder / "state.json").stat().st_mtime_ns
        size = (folder / "audit.log").stat().st_size
        put(s, "another", value=9)
        assert (folder / "state.json").stat().st_mtime_ns == before
        assert (folder / "audit.log").stat().st_size > size


def test_two_writers_open_at_once_each_see_the_others_saves(folder):
    filled(folder, 2)
    with Store(folder, command="selfassess (app)") as first, Store(folder, command="selfassess answer") as second:
        put(second, "r7", value=7)
        assert first.get("things", "r7") == {"id": "r7", "value": 7}  # read through: replayed on the next read
        put(first, "r8", value=8)  # appended after r7, linked to it
        assert second.get("things", "r8") == {"id": "r8", "value": 8}
        assert first.head == second.head
        assert first.verify().ok and second.verify().ok
    with Store(folder) as again:
        assert again.head[0] == 4 and again.verify().ok


def test_a_writer_that_cannot_get_the_lock_in_time_is_told_who_holds_it(folder, monkeypatch):
    monkeypatch.setattr(store_module, "COMMIT_WAIT", 0.2)
    filled(folder, 2)
    with Store(folder, command="selfassess (app)") as first, Store(folder) as second:
        with first._locked():  # as during a long checkpoint
            with pytest.raises(StoreLocked) as info:
                put(second, "x", value=1)
            with pytest.raises(StoreLocked):
                Store(folder)  # opening for writing needs the lock for a moment too
        message = str(info.value)
        assert f"process {os.getpid()}" in message and socket.gethostname() in message
        assert "running 'selfassess (app)'" in message and "--wait" in message and "Nothing was changed" in message
        reader = Store(folder, writer=False)
        assert len(reader.all("things")) == 2
        with pytest.raises(StoreReadOnly, match="open read-only"):
            put(reader, "x", value=1)
        put(second, "r9", value=9)  # the lock let go: it saves
    with Store(folder) as again:
        assert again.get("things", "r9")["value"] == 9 and again.get("things", "x") is None


def test_empty_state_file_stops_with_a_restore_offer_and_restore_loses_nothing(folder):
    filled(folder, 3)
    (folder / "state.json").write_bytes(b"")
    with pytest.raises(StoreDamaged) as info:
        Store(folder)
    message = str(info.value)
    assert "state.json is empty (0 bytes)" in message and "selfassess store restore --from-log" in message
    assert "Nothing has been changed or discarded" in message
    result = Store.restore(folder, from_log=True)
    assert "by replaying 3 event(s)" in result
    with Store(folder) as s:
        assert len(s.all("things")) == 3 and s.verify().ok
    assert list((folder / "recovered").glob("damaged-*/audit.log"))


def test_unreadable_state_file_is_never_treated_as_empty(folder):
    filled(folder, 2)
    (folder / "state.json").write_text("{not json")
    with pytest.raises(StoreDamaged, match="not a selfassess store file"):
        Store(folder, writer=False)


def test_missing_state_with_history_is_damage_not_a_fresh_start(folder):
    filled(folder, 2)
    (folder / "state.json").unlink()
    with pytest.raises(StoreDamaged, match="state.json is missing but audit.log holds the history"):
        Store(folder)


def test_editing_the_state_behind_the_apps_back_is_detected_and_named(folder):
    filled(folder, 3)
    data = json.loads((folder / "state.json").read_text())
    data["tables"]["things"]["r1"]["value"] = 99
    (folder / "state.json").write_text(json.dumps(data))
    with pytest.raises(StoreDamaged, match="state.json was changed outside selfassess"):
        Store(folder)
    # Even with the checksum recomputed, verify names the record and the field.
    data["digest"] = store_module.state_digest(data)
    (folder / "state.json").write_text(json.dumps(data))
    report = verify_files(folder)
    assert report.problems == ["state.json: things record r1 differs from the audit chain in: value"]


def test_editing_the_audit_log_is_detected_and_named(folder):
    filled(folder, 4)
    lines = (folder / "audit.log").read_bytes().split(b"\n")
    lines[1] = lines[1].replace(b'"value":1', b'"value":7')
    (folder / "audit.log").write_bytes(b"\n".join(lines))
    report = verify_files(folder)
    assert report.problems == ["audit.log line 2 (event 2): its content does not match its hash (the event was edited)"]
    lines = (folder / "audit.log").read_bytes().split(b"\n")
    del lines[1]
    (folder / "audit.log").write_bytes(b"\n".join(lines))
    report = verify_files(folder)
    assert report.problems == ["audit.log line 2 (event 3): sequence 3 where 2 was expected (an event was removed or inserted)"]


def test_an_unfinished_last_save_is_set_aside_not_replayed(folder):
    filled(folder, 2)
    with open(folder / "audit.log", "ab") as f:
        f.write(b'{"v":1,"seq":3,"time":"2026-1')
    with Store(folder) as s:
        assert len(s.all("things")) == 2
        assert "an unfinished save" in s.notices[0]
        put(s, "r2", value=2)
        assert s.verify().ok
    (torn,) = (folder / "recovered").glob("torn-*.log")
    assert torn.read_bytes() == b'{"v":1,"seq":3,"time":"2026-1'


def test_damage_in_the_middle_of_the_log_stops_opening(folder):
    filled(folder, 4)
    with Store(folder) as s:
        s.checkpoint()
    # Replay starts after the checkpoint, so damage there: append a bad line then a good-looking one.
    with open(folder / "audit.log", "ab") as f:
        f.write(b"garbage\n")
        f.write(b'{"seq": 6}\n')
    with pytest.raises(StoreDamaged, match="audit.log line 5 is not a readable event"):
        Store(folder)


def test_rotated_backups_and_restore_from_a_backup(folder):
    for round_ in range(3):
        with Store(folder) as s:
            put(s, f"round{round_}", value=round_)
    backups = Store(folder, writer=False).backups()
    assert len(backups) == 3 and backups[0].seq == 3
    (folder / "state.json").write_text("")
    message = Store.restore(folder, backup=backups[1].path.name)
    assert "plus 1 later event(s)" in message
    with Store(folder) as s:
        assert {r["id"] for r in s.all("things")} == {"round0", "round1", "round2"}
        assert s.verify().ok


def test_orphaned_temp_files_are_cleaned_at_start(folder):
    filled(folder, 1)
    (folder / ".state.json.deadbeef.tmp").write_text("half a checkpoint")
    with Store(folder):
        pass
    assert not list(folder.glob(".*.tmp"))


# --- injected failures at every storage I/O call ---------------------------------------------------

FAILURES = [
    pytest.param(lambda: OSError(errno.ENOSPC, "No space left on device"), "the disk is full", id="ENOSPC"),
    pytest.param(lambda: OSError(errno.EIO, "Input/output error"), "input/output error", id="EIO"),
    pytest.param(lambda: PermissionError(errno.EACCES, "Permission denied"), "permission was denied", id="EACCES"),
]
IO_CALLS = ["open", "write", "fsync", "fdatasync", "close", "replace", "ftruncate", "unlink", "mkdir", "read_bytes", "read_from"]


class Injector:
    """Counts storage I/O calls and fails the n-th one."""

    def __init__(self, monkeypatch, fail_at: int | None, make_error):
        self.calls = 0
        self.fail_at = fail_at
        self.failed_call: str | None = None
        for name in IO_CALLS:
            original = getattr(store_module.io, name)
            monkeypatch.setattr(store_module.io, name, self._wrap(name, original))
        self.make_error = make_error

    def _wrap(self, name, original):
        def call(*args, **kwargs):
            self.calls += 1
            if self.calls == self.fail_at:
                self.failed_call = name
                raise self.make_error()
            return original(*args, **kwargs)
        return call


def _count_calls(monkeypatch, operation) -> int:
    with monkeypatch.context() as m:
        probe = Injector(m, None, None)
        operation()
        return probe.calls


@pytest.mark.parametrize(("make_error", "words"), FAILURES)
def test_a_failing_save_claims_nothing_and_keeps_what_was_saved(folder, monkeypatch, make_error, words):
    filled(folder, 3)
    store = Store(folder)
    n = _count_calls(monkeypatch, lambda: put(store, "probe", value=0))
    store.close()
    assert n >= 2  # at least the append and its fsync
    for k in range(1, n + 1):
        store = Store(folder)
        before = {r["id"]: r for r in store.all("things")}
        with monkeypatch.context() as m:
            inj = Injector(m, k, make_error)
            with pytest.raises(SaveFailed) as info:
                put(store, "new", value=k)
        assert words in str(info.value) and "Nothing was saved" in str(info.value), inj.failed_call
        assert {r["id"]: r for r in store.all("things")} == before
        store.close()
        with Store(folder) as again:
            assert {r["id"]: r for r in again.all("things")} == before
            assert again.verify().ok


@pytest.mark.parametrize(("make_error", "words"), FAILURES)
def test_a_failing_checkpoint_loses_nothing(folder, monkeypatch, make_error, words):
    filled(folder, 2)

    def close_after_save():
        s = Store(folder)
        put(s, "late", value=1)
        return s

    s = close_after_save()
    n = _count_calls(monkeypatch, s.close)
    for k in range(1, n + 1):
        s = Store(folder)
        put(s, f"k{k}", value=k)
        with monkeypatch.context() as m:
            Injector(m, k, make_error)
            warning = s.close()  # a checkpoint or backup failing must not raise or lose the save
        if warning:
            assert words in warning and "still safe" in warning
        with Store(folder) as again:
            assert again.get("things", f"k{k}") == {"id": f"k{k}", "value": k}
            assert again.verify().ok


@pytest.mark.parametrize(("make_error", "words"), FAILURES)
def test_a_failing_open_says_why_and_damages_nothing(folder, monkeypatch, make_error, words):
    filled(folder, 2)
    n = _count_calls(monkeypatch, lambda: Store(folder).close())
    for k in range(1, n + 1):
        with monkeypatch.context() as m:
            Injector(m, k, make_error)
            try:
                Store(folder).close()
            except StoreError as exc:
                assert words in str(exc) or "cannot" in str(exc)
        with Store(folder) as again:
            assert len(again.all("things")) == 2 and again.verify().ok


def test_a_checkpoint_that_fails_during_a_save_is_told_not_thrown_away(folder, monkeypatch):
    from selfassess.session import Session

    filled(folder, 1)
    monkeypatch.setattr(store_module, "CHECKPOINT_EVERY", 2)
    store = Store(folder)
    session = Session(store, None)  # type: ignore[arg-type]  # only its notices are used here
    real_replace = store_module.io.replace
    with monkeypatch.context() as m:
        m.setattr(store_module.io, "replace", lambda *a: (_ for _ in ()).throw(OSError(errno.ENOSPC, "full")))
        put(store, "a", value=1)
        put(store, "b", value=2)  # the second event since the checkpoint: one is tried, and fails
        store.settle()  # it is written in the background: wait for it, with the disk still full
    assert store_module.io.replace is real_replace
    told = session.new_notices()
    assert len(told) == 1 and "could not write a checkpoint" in told[0] and "the disk is full" in told[0]
    assert session.new_notices() == []  # told once
    assert store.get("things", "b") == {"id": "b", "value": 2}  # the save itself stands
    store.close()
    with Store(folder) as again:
        assert again.get("things", "b") == {"id": "b", "value": 2} and again.verify().ok


def test_a_torn_save_left_by_another_crashed_writer_is_set_aside_under_the_lock_only(folder):
    filled(folder, 2)
    with Store(folder) as app:
        with open(folder / "audit.log", "ab") as f:  # another copy, killed halfway through its line
            f.write(b'{"action":"thing.put","actor":"gone"')
        assert app.refresh() == 0 and app.get("things", "r1") == {"id": "r1", "value": 1}  # read on: no damage...
        assert (folder / "audit.log").read_bytes().endswith(b'"gone"')  # ...and not touched without the lock
        assert not app.notices
        put(app, "after", value=3)  # under the lock no one is writing it: set aside, as at open
        assert len(app.notices) == 1 and "unfinished save" in app.notices[0]
        assert list((folder / "recovered").glob("torn-*.log"))
        assert app.verify().ok
    with Store(folder) as again:
        assert again.get("things", "after") == {"id": "after", "value": 3} and again.verify().ok


def test_find_follows_a_record_whose_indexed_field_moves_and_one_whose_field_stays(folder):
    with Store(folder) as s:
        put(s, "r1", group="a", value=1)
        put(s, "r2", group="a", value=2)
        assert [r["id"] for r in s.find("things", group="a")] == ["r1", "r2"]  # the index is built now
        put(s, "r1", group="b", value=1)  # moves: found under its new value only
        put(s, "r2", group="a", value=3)  # stays: still found, with its new fields
        assert [r["id"] for r in s.find("things", group="a")] == ["r2"]
        assert [r["value"] for r in s.find("things", group="a")] == [3]
        assert [r["id"] for r in s.find("things", group="b")] == ["r1"]
        s.commit("thing.drop", "tester", "drop r2", [Change("things", "r2", s.get("things", "r2"), None)], WHEN)
        assert s.find("things", group="a") == []
    with Store(folder) as s:  # and as read again from disk
        assert [r["id"] for r in s.find("things", group="b")] == ["r1"] and s.find("things", group="a") == []


@pytest.mark.parametrize("how", ["copy renamed over it", "moved aside, a copy put in its place"])
@pytest.mark.parametrize("last", [1, 200_000])
def test_a_log_replaced_while_open_gets_the_next_save(folder, how, last):
    # A sync tool (or a person) can replace audit.log with a file of the very same bytes while the
    # app is open: the next save must land in the file at the path, not in the one no longer there.
    # The last event before it is short, or longer than one block of the check that reads it back.
    filled(folder, 2)
    with Store(folder) as s:
        put(s, "r2", value=2, text="x" * last)
        log = folder / "audit.log"
        copy = folder / "audit.log.copy"
        copy.write_bytes(log.read_bytes())
        if how == "copy renamed over it":
            os.replace(copy, log)
        else:
            os.replace(log, folder / "audit.log.aside")
            os.replace(copy, log)
        put(s, "r3", value=3)
        put(s, "r4", value=4)
    with Store(folder) as again:
        assert [r["value"] for r in sorted(again.all("things"), key=lambda r: r["id"])] == [0, 1, 2, 3, 4]
        assert again.verify().ok


def test_a_log_replaced_by_a_different_history_while_open_stops_the_save(folder, tmp_path):
    filled(folder, 2)
    other = tmp_path / "other"
    with Store(other) as o:  # as long a history, of other events
        for i in range(3):
            put(o, f"r{i}", value=i + 10)
    s = Store(folder)
    put(s, "r2", value=2)
    os.replace(other / "audit.log", folder / "audit.log")
    with pytest.raises(StoreDamaged, match="audit.log was replaced while open by a file that does not hold") as info:
        put(s, "r3", value=3)
    assert "restore --from-log" not in str(info.value)  # that would rebuild the store from the stranger
    with pytest.raises(StoreDamaged):
        put(s, "r3", value=3)
    assert "was replaced while open" in (s.close() or "")  # said at close too, and the files let go
    with pytest.raises(StoreDamaged, match="audit.log"):  # state.json and the new log disagree: said at open too
        Store(folder)
    if not os.path.isdir("/proc/self/fd"):
        return
    # The log it was writing, kept while still open here (once, not at every try): put back as the
    # message says, every save is there.
    kept = list((folder / "recovered").glob("replaced-*.log"))
    assert len(kept) == 1 and f"kept in {kept[0]}: put it back as audit.log" in str(info.value)
    os.replace(folder / "audit.log", tmp_path / "stranger.log")
    shutil.copyfile(kept[0], folder / "audit.log")
    with Store(folder) as again:
        assert [r["value"] for r in sorted(again.all("things"), key=lambda r: r["id"])] == [0, 1, 2]
        assert again.verify().ok


def test_a_deleted_lock_file_still_keeps_a_second_writer_out(folder, monkeypatch):
    monkeypatch.setattr(store_module, "COMMIT_WAIT", 0.2)
    # Deleting "lock" for a stale lock file while a copy is open must not let two copies write at once.
    filled(folder, 1)
    first = Store(folder)
    try:
        (folder / "lock").unlink()
        first._take_lock()  # as a save does
        try:
            with pytest.raises(StoreLocked):
                Store(folder)
        finally:
            first._let_go()
        put(first, "r1", value=1)
    finally:
        first.close()
    with Store(folder) as again:
        assert again.get("things", "r1") == {"id": "r1", "value": 1} and again.verify().ok


def test_a_log_replaced_by_an_older_copy_while_open_keeps_the_saves_it_lacks(folder, tmp_path):
    # An older copy of the same history put back (a sync tool's stale version): the saves since
    # are only in the file being written, which is kept to put back; none is silently dropped.
    filled(folder, 2)
    older = tmp_path / "older.log"
    older.write_bytes((folder / "audit.log").read_bytes())
    s = Store(folder)
    put(s, "r2", value=2)
    os.replace(older, folder / "audit.log")
    with pytest.raises(StoreDamaged, match="does not hold this store's history as saved so far \\(up to event 3\\)"):
        put(s, "r3", value=3)
    s.close()
    if os.path.isdir("/proc/self/fd"):
        kept = list((folder / "recovered").glob("replaced-*.log"))
        assert len(kept) == 1 and kept[0].read_bytes().count(b"\n") == 3

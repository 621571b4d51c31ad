"""Checkpoints are written beside the saves, not in their way: the save that reaches the mark
returns at once, and state.json moves on only when the new one is whole, still matching the log."""

from __future__ import annotations

import json
import threading

from selfassess.storage import store as store_module
from selfassess.storage.store import Store, verify_files
from tests.reliability.test_store import put


def checkpoint_seq(folder) -> int:
    return json.loads((folder / "state.json").read_bytes())["checkpoint"]["seq"]


def test_the_save_that_reaches_the_mark_does_not_wait_for_the_checkpoint(tmp_path, monkeypatch):
    folder = tmp_path / "store"
    monkeypatch.setattr(store_module, "CHECKPOINT_EVERY", 5)
    started, release = threading.Event(), threading.Event()
    real = store_module.write_state

    def slow(*args, **kwargs):  # a checkpoint that takes as long as the test likes
        if kwargs.get("yielding"):
            started.set()
            assert release.wait(10)
        real(*args, **kwargs)

    monkeypatch.setattr(store_module, "write_state", slow)
    store = Store(folder)
    try:
        for i in range(5):
            put(store, f"r{i}", value=i)  # the fifth reaches the mark, and returns
        assert started.wait(10)
        assert checkpoint_seq(folder) == 0  # still the old checkpoint: the saves are in the log
        for i in range(5, 8):
            put(store, f"r{i}", value=i)  # saving goes on meanwhile
        assert verify_files(folder).ok  # a reader meanwhile sees a consistent store
        release.set()
        store.settle()
        assert checkpoint_seq(folder) == 5  # the tables as they stood at the fifth save, not later
        assert verify_files(folder).ok and store.verify().ok
    finally:
        release.set()
        store.close()
    assert checkpoint_seq(folder) == 8
    with Store(folder, writer=False) as again:
        assert {r["id"] for r in again.all("things")} == {f"r{i}" for i in range(8)}


def test_a_checkpoint_of_a_log_that_changed_underneath_it_is_not_used(tmp_path, monkeypatch):
    """Another copy restored the store while the checkpoint was being written: the log no longer ends
    that event where the checkpoint says, so the new state.json is thrown away, not renamed over."""
    folder = tmp_path / "store"
    monkeypatch.setattr(store_module, "CHECKPOINT_EVERY", 4)
    started, release = threading.Event(), threading.Event()
    real = store_module.write_state

    def slow(*args, **kwargs):
        if kwargs.get("yielding"):
            started.set()
            assert release.wait(10)
        real(*args, **kwargs)

    with Store(folder) as first:
        put(first, "r0", value=0)
    monkeypatch.setattr(store_module, "write_state", slow)
    store = Store(folder)
    try:
        for i in range(1, 5):
            put(store, f"r{i}", value=i)
        assert started.wait(10)
        # Meanwhile the log is cut back to its first event (as a restore from a backup would leave it).
        first_line = (folder / "audit.log").read_bytes().split(b"\n")[0] + b"\n"
        before = checkpoint_seq(folder)
        (folder / "audit.log").write_bytes(first_line + b'{"not": "the same event"}\n' * 4)
        release.set()
        store.settle()
        assert checkpoint_seq(folder) == before  # not renamed over: it no longer describes the log
        assert list(folder.glob(".*.tmp")) == []
    finally:
        release.set()
        store._fd = None  # the log was damaged on purpose: close without a checkpoint of it
        store.close()


def test_a_backup_at_close_is_a_link_to_the_checkpoint_not_a_copy(tmp_path):
    import pytest

    from selfassess.storage.store import StoreDamaged

    folder = tmp_path / "store"
    for i in range(3):
        with Store(folder) as s:
            put(s, f"r{i}", value=i)
    state = (folder / "state.json").stat()
    backups = Store(folder, writer=False).backups()
    newest = backups[0].path.stat()
    assert (newest.st_ino, newest.st_nlink) == (state.st_ino, 2)  # one file, two names: no bytes copied
    older = backups[1].path.read_bytes()
    with Store(folder) as s:
        put(s, "r3", value=3)  # the next checkpoint replaces state.json whole: the linked backup keeps its bytes
    assert backups[0].path.stat().st_nlink == 1 and json.loads(backups[0].path.read_bytes())["checkpoint"]["seq"] == 3
    assert backups[1].path.read_bytes() == older
    # Damaged in place (not as selfassess writes it), state.json takes its newest backup with it:
    # the offer to restore names the newest backup that is another file.
    (folder / "state.json").write_text("")
    with pytest.raises(StoreDamaged) as info:
        Store(folder)
    names = sorted(p.name for p in (folder / "backups").iterdir())  # oldest first (time, then event)
    assert names[-1] not in str(info.value) and names[-2] in str(info.value)
    assert "plus 1 later event(s)" in Store.restore(folder, backup=names[-2])
    with Store(folder) as s:
        assert len(s.all("things")) == 4 and s.verify().ok


def test_a_large_store_is_kept_from_the_collector_and_a_checkpoint_copy_never_walked(tmp_path, monkeypatch):
    """A store of realistic age: its tables are frozen out of the cyclic collector once loaded (a full
    collection would walk every record, tens of ms), and the collector is off while a checkpoint's
    copy of the tables is alive, then on again, whether the checkpoint was written or failed."""
    import gc

    folder = tmp_path / "store"
    monkeypatch.setattr(store_module, "FREEZE_AT", 3)
    monkeypatch.setattr(store_module, "CHECKPOINT_EVERY", 5)
    started, release = threading.Event(), threading.Event()
    real = store_module.write_state
    fail = [False]

    def slow(*args, **kwargs):
        if kwargs.get("yielding"):
            started.set()
            assert release.wait(10)
            if fail[0]:
                raise OSError(28, "No space left on device")
        real(*args, **kwargs)

    with Store(folder) as store:
        for i in range(4):
            put(store, f"r{i}", value=i)
    assert gc.isenabled()
    monkeypatch.setattr(store_module, "write_state", slow)
    try:
        store = Store(folder)
        try:
            tables = store._tables
            assert gc.get_freeze_count() > 0 and not any(o is tables for o in gc.get_objects())  # frozen
            for round_, failing in enumerate((False, True)):
                fail[0] = failing
                started.clear()
                release.clear()
                for i in range(5):
                    put(store, f"s{round_}-{i}", value=i)  # the fifth reaches the mark
                assert started.wait(10)
                assert not gc.isenabled()  # the copy is alive: no collection walks it
                release.set()
                store.settle()
                assert gc.isenabled()
        finally:
            release.set()
            store.close()
    finally:
        gc.unfreeze()
    assert gc.isenabled()
    with Store(folder, writer=False) as again:
        assert len(again.all("things")) == 14 and again.verify().ok

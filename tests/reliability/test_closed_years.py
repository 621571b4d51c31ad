"""Finished years' progress notes are kept in closed files of their own, out of state.json.

The fixture store-format2 was written by selfassess at commit bcc5c4f (format 2, before closed
files; made with fixtures/build_embedded_history.py run from that checkout): three years, the first
signed off and carried on, the second signed off, reopened as version 2 and carried on.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from selfassess.core.clock import Clock
from selfassess.core.workspace import Workspace
from selfassess.session import open_session
from selfassess.storage import store as store_module
from selfassess.storage.store import Store, StoreDamaged, verify_files
from tests.helpers import bundled_catalogue
from tests.reliability.test_upgrade import TODAY, read_only

FIXTURE = Path(__file__).parent / "fixtures" / "store-format2"


@pytest.fixture
def home(tmp_path):
    shutil.copytree(FIXTURE, tmp_path / "store")
    return tmp_path


def state_of(home: Path) -> dict:
    return json.loads((home / "store" / "state.json").read_bytes())


def upgrade(home: Path) -> None:
    open_session(home, bundled_catalogue(), "Priya Raman", clock=Clock(TODAY)).close()


def finished_actions(state: dict) -> set[str]:
    """Actions of assessments signed off and carried on (or replaced by a new version)."""
    assessments = state["tables"]["assessments"].values()
    later = {a["previous_id"] for a in assessments}
    done = {a["id"] for a in assessments if a["status"] in ("signed_off", "submitted") and (a["id"] in later or a["superseded_by"])}
    return {r["id"] for r in state["tables"]["actions"].values() if r["assessment_id"] in done}


def test_a_store_written_by_main_opens_closes_its_finished_years_and_verifies(home):
    folder = home / "store"
    old = state_of(home)
    assert old["format"] == 2 and "closed" not in old
    finished = finished_actions(old)
    old_notes = [n for n in old["tables"]["progress"].values() if n["action_id"] in finished]
    assert finished and old_notes  # the fixture has finished years with notes to close
    assert verify_files(folder).ok
    before, head = read_only(home), json.loads(folder.joinpath("audit.log").read_bytes().splitlines()[-1])["hash"]

    upgrade(home)
    new = state_of(home)
    assert new["format"] == store_module.FORMAT and new["closed"]
    # Out of state.json, into files named by their content: nothing of the finished years is left behind.
    assert not [n for n in new["tables"]["progress"].values() if n["action_id"] in finished]
    kept: dict[str, dict] = {}
    for entry in new["closed"]:
        raw = (folder / "closed" / f"{entry['sha256']}.json").read_bytes()
        assert hashlib.sha256(raw).hexdigest() == entry["sha256"]
        kept.update(json.loads(raw)["records"])
    assert kept == {n["id"]: n for n in old_notes}
    # A layout, not a change: no event on the chain; every reader sees what it saw; verify agrees.
    assert json.loads(folder.joinpath("audit.log").read_bytes().splitlines()[-1])["hash"] == head
    assert read_only(home) == before
    assert verify_files(folder).ok
    upgrade(home)  # nothing more to do the second time
    assert state_of(home)["closed"] == new["closed"]


def test_opening_and_the_home_screens_figures_read_no_closed_file_until_a_history_asks(home, monkeypatch):
    upgrade(home)
    reads: list[str] = []
    real = store_module.read_closed
    monkeypatch.setattr(store_module, "read_closed", lambda folder, entry: reads.append(entry["label"]) or real(folder, entry))
    store = Store(home / "store", writer=False)
    try:
        ws = Workspace(store, bundled_catalogue(), "Reader", Clock(TODAY))
        for a in ws.assessments():
            ws.summary(a)
            ws.live_actions(a.id, history=False)
        assert reads == []
        current = ws.current_assessments()[-1]
        remit = next(a for a in ws.actions(current.id) if a.title == "Write a remit")
        assert len(remit.updates) == 8 and reads  # its history reaches back into the closed years
    finally:
        store.close()


def test_a_late_note_on_a_closed_years_action_reopens_that_file_and_nothing_is_lost(home):
    upgrade(home)
    before = state_of(home)["closed"]
    session = open_session(home, bundled_catalogue(), "Priya Raman", clock=Clock(TODAY))
    try:
        ws = session.workspace
        first = ws.assessments()[0]
        old = next(a for a in ws.actions(first.id) if a.title.startswith("Code ethnicity"))
        ws.update_action(old.id, note="Found in the minutes, added late")
        assert ws.action(old.id).updates[-1].text == "Found in the minutes, added late"
        assert session.store.verify().ok
    finally:
        session.close()
    after = state_of(home)
    # The reopened file is let go (its records are back in state.json) and the next open closes the year again.
    assert {e["sha256"] for e in after["closed"]} != {e["sha256"] for e in before}
    assert verify_files(home / "store").ok
    upgrade(home)
    assert verify_files(home / "store").ok
    assert not [n for n in state_of(home)["tables"]["progress"].values() if n["action_id"] in finished_actions(state_of(home))]
    assert read_only(home)["histories"][old.id][-1]["text"] == "Found in the minutes, added late"


@pytest.mark.parametrize("damage", ["changed", "missing"])
def test_a_damaged_closed_file_is_named_by_verify_and_when_read(home, damage):
    upgrade(home)
    entry = state_of(home)["closed"][0]
    path = home / "store" / "closed" / f"{entry['sha256']}.json"
    if damage == "missing":
        path.unlink()
    else:
        raw = bytearray(path.read_bytes())
        raw[raw.index(b'"text":"') + 8] ^= 1
        path.write_bytes(bytes(raw))
    report = verify_files(home / "store")
    assert not report.ok and any(path.name in p and damage in p for p in report.problems)
    assert len(report.problems) == 1  # said once, not once for each record the file holds
    store = Store(home / "store", writer=False)  # opening still works: the file is not read
    try:
        with pytest.raises(StoreDamaged, match=path.name):
            store.all("progress")
    finally:
        store.close()


def test_restoring_a_backup_that_lists_closed_files_brings_their_records_back(home):
    upgrade(home)
    session = open_session(home, bundled_catalogue(), "Priya Raman", clock=Clock(TODAY))
    ws = session.workspace
    remit = next(a for a in ws.actions(ws.current_assessments()[-1].id) if a.title == "Write a remit")
    ws.update_action(remit.id, note="Kept in the backup made at close")
    session.close()
    before = read_only(home)
    backup = store_module.list_backups(home / "store")[0]
    assert json.loads(backup.path.read_bytes())["closed"]
    Store.restore(home / "store", backup=backup.path.name)
    state = state_of(home)
    assert state["closed"] == [] and len(state["tables"]["progress"]) == 1 + len(json.loads(
        (FIXTURE / "state.json").read_bytes())["tables"]["progress"])
    assert verify_files(home / "store").ok and read_only(home) == before


def test_a_copy_that_opened_before_the_years_were_closed_keeps_working(home):
    other = Store(home / "store")  # opened with every note in memory, before another copy closes the years
    try:
        upgrade(home)
        ws = Workspace(other, bundled_catalogue(), "Tom Hale", Clock(TODAY))
        first = ws.assessments()[0]
        old = next(a for a in ws.actions(first.id) if a.title.startswith("Code ethnicity"))
        current = next(a for a in ws.actions(ws.current_assessments()[-1].id) if a.title == "Write a remit")
        ws.update_action(old.id, note="Late, from the other window")
        ws.update_action(current.id, note="This year, from the other window")
    finally:
        other.close()  # its checkpoint knows nothing of the closed files: they are simply let go
    assert verify_files(home / "store").ok
    histories = read_only(home)["histories"]
    assert histories[old.id][-1]["text"] == "Late, from the other window"
    assert histories[current.id][-1]["text"] == "This year, from the other window"
    upgrade(home)
    assert verify_files(home / "store").ok and read_only(home)["histories"] == histories

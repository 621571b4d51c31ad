"""A store written by the version before progress notes were their own records opens, upgrades once
(one event on the audit chain), verifies, and every reader sees the same history and figures.

The fixture store-embedded-history was written by selfassess at commit 8a9e45b (see
fixtures/build_embedded_history.py): each action record holds its whole history, and each carried
copy a copy of it.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from selfassess.core.clock import Clock
from selfassess.core.workspace import Workspace
from selfassess.reports.data import gather
from selfassess.session import open_session
from selfassess.storage.store import Store, verify_files
from tests.helpers import bundled_catalogue

FIXTURE = Path(__file__).parent / "fixtures" / "store-embedded-history"
TODAY = date(2026, 11, 23)


@pytest.fixture
def home(tmp_path):
    shutil.copytree(FIXTURE, tmp_path / "store")
    return tmp_path


def seen(ws: Workspace) -> dict[str, object]:
    """What readers show: every action's history, each assessment's figures, the board report's action rows."""
    return {
        "histories": {a.id: [u.to_record() for u in a.updates] for a in ws.actions()},
        "documents": {a.id: a.to_record() for a in ws.actions()},
        "figures": {a.id: ws.summary(a).figures.to_json() for a in ws.assessments()},
        "report": {a.id: [(r.ref, r.last_update, r.last_update_date, r.revision, r.updates) for r in gather(ws, a).actions]
                   for a in ws.current_assessments()},
    }


def read_only(home: Path) -> dict[str, object]:
    store = Store(home / "store", writer=False)
    try:
        return seen(Workspace(store, bundled_catalogue(), "Reader", Clock(TODAY)))
    finally:
        store.close()


def test_the_old_store_is_upgraded_once_on_the_chain_and_reads_the_same(home):
    folder = home / "store"
    records = json.loads((folder / "state.json").read_text())["tables"]["actions"]
    assert all("updates" in r for r in records.values())  # the old shape, as the fixture was written
    assert verify_files(folder).ok
    before = read_only(home)
    assert len(before["histories"]) == 12 and max(len(h) for h in before["histories"].values()) == 8

    session = open_session(home, bundled_catalogue(), "Priya Raman", clock=Clock(TODAY))
    store, ws = session.store, session.workspace
    upgrades = [e for _, e, _ in store.events() if e["action"] == "store.upgrade"]
    assert len(upgrades) == 1 and upgrades[0]["actor"] == "Priya Raman" and "12 action(s)" in upgrades[0]["summary"]
    assert all("updates" not in r and "carried_notes" in r for r in store.all("actions"))
    # Carried copies keep a link, not a copy: the year-three remit inherits six entries, and has two of its own.
    remit = next(a for a in store.all("actions") if a["title"] == "Write a remit" and a["status"] == "done")
    assert remit["carried_notes"] == 6 and len(store.find("progress", action_id=remit["id"])) == 2
    assert seen(ws) == before
    assert store.verify().ok
    head = store.head
    session.close()
    assert verify_files(folder).ok

    again = open_session(home, bundled_catalogue(), "Priya Raman", clock=Clock(TODAY))
    try:
        assert again.store.head[0] == head[0] + 0  # nothing more to do: no second event
        assert [e["action"] for _, e, _ in again.store.events()].count("store.upgrade") == 1
        assert seen(again.workspace) == before
    finally:
        again.close()
    assert read_only(home) == before


def test_after_the_upgrade_a_note_appends_only_itself_and_old_notes_stay_in_place(home):
    session = open_session(home, bundled_catalogue(), "Priya Raman", clock=Clock(TODAY))
    try:
        ws, log = session.workspace, session.store.folder / "audit.log"
        data = next(a for a in ws.live_actions(ws.current_assessments()[-1].id) if a.title.startswith("Code ethnicity"))
        history = [u.text for u in data.updates]
        sizes = []
        for i in range(30):
            size = log.stat().st_size
            ws.update_action(data.id, note=f"Note {i:02d}")
            sizes.append(log.stat().st_size - size)
        assert max(sizes) - min(sizes) <= 2
        assert [u.text for u in ws.action(data.id).updates] == history + [f"Note {i:02d}" for i in range(30)]
        assert session.store.verify().ok
    finally:
        session.close()


def test_an_old_store_opened_read_only_is_read_as_it_is_and_left_alone(home):
    before = (home / "store" / "audit.log").read_bytes()
    session = open_session(home, bundled_catalogue(), "Reader", writer=False, clock=Clock(TODAY))
    try:
        assert any("updates" in r for r in session.store.all("actions"))
        remit = next(a for a in session.workspace.actions() if a.title == "Write a remit" and a.status == "done")
        assert len(remit.updates) == 8
    finally:
        session.close()
    assert (home / "store" / "audit.log").read_bytes() == before

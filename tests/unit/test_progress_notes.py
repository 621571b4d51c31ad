"""Progress notes are records of their own: a note appends what it says, never the action's history again.

And carry-forward links a new year's action to last year's (carried_from), so the history is read
by walking back rather than copied into every year.
"""

from __future__ import annotations

import json

import pytest

from tests.helpers import BOARD_ID, open_workspace


@pytest.fixture
def assessment(ws):
    return ws.new_assessment("Northgate NHS Trust", BOARD_ID, "2025/26", ods_code="rxx").assessment


def last_event(store):
    lines = (store.folder / "audit.log").read_bytes().splitlines()
    return json.loads(lines[-1])


def test_the_bytes_a_note_appends_do_not_grow_with_the_actions_history(env, ws, assessment):
    store, _ = env
    action = ws.add_action(assessment.id, ["1.1"], "Write a remit", "Priya Raman", "2026-03-31")
    log = store.folder / "audit.log"
    appended = []
    for i in range(1, 1001):
        before = log.stat().st_size
        ws.update_action(action.id, note=f"Progress report {i:04d}")  # the same length every time
        appended.append(log.stat().st_size - before)
    # Only the note's place (n) grows by a digit now and then: a few bytes, not the history.
    assert abs(appended[999] - appended[9]) <= 8, (appended[9], appended[999])
    assert max(appended) < 2000
    history = ws.action(action.id).updates
    assert len(history) == 1000 and history[0].text == "Progress report 0001" and history[-1].text == "Progress report 1000"


def test_a_plain_note_changes_no_action_record_and_a_status_change_only_the_action_fields(env, ws, assessment):
    store, _ = env
    action = ws.add_action(assessment.id, ["1.1"], "Write a remit", "Priya Raman", "2026-03-31")
    ws.update_action(action.id, note="Met the lead")
    changes = last_event(store)["changes"]
    assert [(c["table"], c["before"]) for c in changes] == [("progress", None)]
    assert changes[0]["after"]["action_id"] == action.id and changes[0]["after"]["text"] == "Met the lead"
    ws.update_action(action.id, status="at risk", note="Lead on leave")
    tables = [c["table"] for c in last_event(store)["changes"]]
    assert tables == ["actions", "progress"]
    record = store.get("actions", action.id)
    assert "updates" not in record and record["status"] == "at_risk"
    assert [(u.text, u.status) for u in ws.action(action.id).updates] == [("Met the lead", None), ("Lead on leave", "at_risk")]


def test_carry_forward_links_to_last_years_history_instead_of_copying_it(env, ws, assessment):
    store, _ = env
    first = ws.add_action(assessment.id, ["1.1"], "Write a remit", "Priya Raman", "2026-03-31")
    ws.update_action(first.id, note="Drafted")
    ws.update_action(first.id, due="2026-06-30")
    year2 = ws.new_assessment("", None, "2026/27", from_handle=assessment.id).assessment
    (second,) = ws.actions(year2.id)
    assert second.carried_from == first.id
    assert [u.text for u in second.updates] == ["Drafted", "Due date moved to 2026-06-30", "Carried forward from 2025/26"]
    stored = store.get("actions", second.id)
    assert "updates" not in stored and stored["carried_notes"] == 2  # a link, not a copy
    # A note added to last year's copy afterwards stays last year's.
    ws.update_action(first.id, note="Late note on the old year")
    ws.update_action(second.id, note="Remit agreed")
    year3 = ws.new_assessment("", None, "2027/28", from_handle=year2.id).assessment
    (third,) = ws.actions(year3.id)
    assert [u.text for u in third.updates] == ["Drafted", "Due date moved to 2026-06-30", "Carried forward from 2025/26",
                                               "Remit agreed", "Carried forward from 2026/27"]
    assert [u.text for u in ws.action(first.id).updates][-1] == "Late note on the old year"
    # The revisions the documents count (due/status/owner changes) come through the chain too.
    assert sum(1 for u in third.updates if u.due or u.status or u.owner) == 1
    # A submission's plan and `actions --json` carry the history in full, and no storage field.
    document = third.to_record()
    assert len(document["updates"]) == 5 and "carried_notes" not in document


def test_reopening_links_each_action_to_the_signed_off_version(env, ws, assessment):
    store, _ = env
    for q in ws.framework(assessment).questions():
        ws.answer(assessment.id, q.id, rating="2")
    first = ws.add_action(assessment.id, ["1.1"], "Write a remit", "Priya Raman", "2026-03-31")
    ws.update_action(first.id, status="done", note="Remit agreed")
    ws.sign_off(assessment.id, [("Chair", "Chair")], agree_drafts=True)
    v2 = ws.reopen(assessment.id, "Re-rate the data domain")
    (copy,) = ws.actions(v2.id)  # closed actions come along too when a version is reopened
    assert copy.carried_from == first.id and copy.status == "done"
    assert [u.text for u in copy.updates] == ["Remit agreed", "Reopened as version 2: Re-rate the data domain"]
    assert "updates" not in store.get("actions", copy.id)


def test_the_summary_counts_actions_without_reading_a_note(env, ws, assessment, monkeypatch):
    for i in range(3):
        a = ws.add_action(assessment.id, ["1.1"], f"Action {i}", "Tom", "2026-03-31")
        ws.update_action(a.id, note="started")
    expected = ws.summary(assessment).actions
    reads = []
    real_find = ws.repo.find

    def counting(table, **equal):
        reads.append(table)
        return real_find(table, **equal)

    monkeypatch.setattr(ws.repo, "find", counting)
    assert ws.summary(assessment).actions == expected and expected.total == 3
    assert "progress" not in reads


def test_a_note_saved_by_another_copy_shows_in_this_ones_history(tmp_path):
    folder = tmp_path / "store"
    store1, ws1 = open_workspace(folder)
    store2, ws2 = open_workspace(folder, actor="Tom Hale")
    try:
        a = ws1.new_assessment("Northgate NHS Trust", BOARD_ID, "2025/26").assessment
        action = ws1.add_action(a.id, ["1.1"], "Write a remit", "Priya Raman", "2026-03-31")
        ws1.update_action(action.id, note="First")
        assert [u.text for u in ws1.action(action.id).updates] == ["First"]
        ws2.update_action(action.id, note="From the other window")
        assert [u.text for u in ws1.action(action.id).updates] == ["First", "From the other window"]
        assert [u.text for u in ws1.update_action(action.id, note="Third").updates] == [
            "First", "From the other window", "Third"]
        assert [u.text for u in ws2.actions(a.id)[0].updates] == ["First", "From the other window", "Third"]
    finally:
        store2.close()
        store1.close()

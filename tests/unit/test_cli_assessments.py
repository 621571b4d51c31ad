"""The headless verbs, as a script or a board secretary would use them."""

from __future__ import annotations

import json

import pytest

from selfassess.storage.store import Store


@pytest.fixture
def demo(run, monkeypatch):
    monkeypatch.setenv("SELFASSESS_TODAY", "2026-11-23")
    res = run("demo")
    assert res.exit_code == 0, res
    data = json.loads(run("assessments", "--json").stdout)["assessments"]
    return {a["period"]: a for a in data}


def test_demo_creates_two_periods_with_an_action_plan(run, demo):
    last, current = demo["2025/26"], demo["2026/27"]
    assert last["status"] == "signed_off" and last["completeness"] == 1.0
    assert last["signoff"]["signatories"][0] == {"name": "Margaret Ellison", "role": "Chair"}
    assert current["status"] == "in_progress" and 0 < current["completeness"] < 1
    assert current["needs_review"] > 0 and current["previous_id"] == last["id"]
    assert 18 <= current["actions"]["total"] <= 30 and current["actions"]["overdue"] == 3
    data = next(d for d in current["domains"] if d["id"] == "data")
    assert data["change_since_previous"] > 0
    workforce = next(d for d in current["domains"] if d["id"] == "workforce")
    assert workforce["change_since_previous"] == 0
    overdue = json.loads(run("actions", current["id"][:8], "--overdue", "--json").stdout)["actions"]
    owners = [a["owner"] for a in overdue]
    assert len(overdue) == 3 and owners.count("James Okoro") == 2
    assert all(a["rag"] == "Red" and a["overdue"] for a in overdue)
    assert any(a["slippage_days"] > 0 for a in overdue)
    assert run("demo").exit_code == 1  # never twice


def test_last_years_plan_lists_what_show_and_the_documents_count_not_the_actions_carried_on(run, demo):
    # An action carried into 2026/27 is tracked there: last year's list must not show it again as
    # open and overdue (show, the documents and the submission's figures count 3 actions, all done).
    last = demo["2025/26"]
    shown = json.loads(run("show", last["id"][:8], "--json").stdout)["figures"]["actions"]
    listed = json.loads(run("actions", last["id"][:8], "--json").stdout)["actions"]
    assert len(listed) == shown["total"] == 3 and all(a["status"] == "done" for a in listed)
    assert json.loads(run("actions", last["id"][:8], "--overdue", "--json").stdout)["actions"] == []
    text = run("actions", last["id"][:8]).stdout
    assert "3 action(s): 0 open, 0 overdue, 0 slipped" in text
    assert "9 more carried forward into a later assessment (tracked there)" in text


def test_new_answer_and_act_from_the_command_line(run):
    res = run("new", "Northgate NHS Trust", "--framework", "board-health-inequalities", "--period", "2025/26", "--ods", "RXX")
    assert res.exit_code == 0, res
    aid = res.stdout.split()[0]
    assert run("answer", aid[:8], "1.3", "--rating", "2", "--evidence", "ToR of the Quality Committee").stdout == (
        "saved 1.3 leadership.board-committee: Developing\n")
    assert run("answer", aid[:8], "4.7", "--na", "No paediatric services").stdout.endswith(": N/A\n")
    args = ("action", "add", aid[:8], "--question", "1.3", "--title", "Add oversight to the committee ToR",
            "--owner", "Tom Barker", "--role", "Director of Corporate Affairs", "--due", "2026-03-31")
    refused = run(*args)  # a plan entered after its dates: each past date is asked for by name
    assert refused.exit_code != 0 and "2026-03-31 is already past" in refused.stderr and "--past-date" in refused.stderr
    added = run(*args, "--past-date")
    assert added.exit_code == 0 and " A01 Add oversight" in added.stdout
    action_id = added.stdout.split()[0]
    assert "already past" in run("action", "update", action_id[:8], "--due", "2026-06-30").stderr
    upd = run("action", "update", action_id[:8], "--status", "at_risk", "--due", "2026-06-30", "--note", "Committee deferred",
              "--past-date")
    assert upd.exit_code == 0 and "At risk, due 2026-06-30 (originally 2026-03-31)" in upd.stdout
    (row,) = json.loads(run("actions", aid, "--json").stdout)["actions"]
    assert row["slippage_days"] == 91 and row["question_refs"] == ["1.3"]
    assert row["domain"] == "Leadership and accountability"
    assert [u["text"] for u in row["updates"]] == ["Committee deferred"]
    shown = json.loads(run("show", aid, "--json").stdout)
    assert shown["answered"] == 2 and shown["domains"][0]["answered"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["answer", "{a}", "1.1", "--rating", "7"], "error: '7' is not a rating on the Maturity scale, expected one of: 1 emerging, 2 developing, 3 established, 4 leading"),
        (["answer", "{a}", "12.1", "--rating", "1"], "error: no question '12.1' in Board self-assessment: health inequalities"),
        (["answer", "deadbeef", "1.1", "--rating", "1"], "error: no assessment with id 'deadbeef'. See the ids: selfassess assessments"),
        (["answer", "{a}", "1.1", "--na", " "], "error: N/A needs a written reason"),
        (["action", "add", "{a}", "--question", "1.1", "--title", "T", "--owner", "O", "--due", "next week"],
         "error: due date 'next week' is not a date, expected YYYY-MM-DD such as 2026-03-31"),
        (["new", "Trust", "--framework", "nope", "--period", "2025/26"], "error: no framework 'nope', expected one of: board-health-inequalities, eds-2022, what-works-principles"),
        (["new", "Trust", "--framework", "board-health-inequalities", "--period", "2025-26"], "error: '2025-26' is not a reporting period"),
    ],
)
def test_bad_input_gets_a_clear_message_and_changes_nothing(run, home, args, message):
    aid = run("new", "Trust", "--framework", "board-health-inequalities", "--period", "2024/25").stdout.split()[0]
    before = Store(home / "store", writer=False).head
    res = run(*[a.replace("{a}", aid[:8]) for a in args])
    assert res.exit_code != 0
    assert res.stderr.startswith(message), res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    assert Store(home / "store", writer=False).head == before


def test_carry_forward_from_the_command_line(run, demo):
    res = run("new", "RVH", "--period", "2027/28", "--from", demo["2026/27"]["id"][:8])
    assert res.exit_code == 0, res
    assert "carried forward 43 answer(s), marked 'carried forward, needs review'" in res.stdout
    new = json.loads(run("show", res.stdout.split()[0], "--json").stdout)
    assert new["needs_review"] == 43 and new["completeness"] == 0


def test_audit_verify_and_log(run, home, demo):
    current = demo["2026/27"]["id"][:8]
    for n in range(4):  # the demo is one event: a few more changes to check the log by
        assert run("answer", current, "1.1", "--notes", f"note {n}").exit_code == 0
    ok = run("audit", "verify")
    assert ok.exit_code == 0 and ok.stdout.startswith("OK: ")
    log = json.loads(run("audit", "log", "--json", "--limit", "2").stdout)["events"]
    assert [e["seq"] for e in log] == [log[0]["seq"], log[0]["seq"] + 1]
    assert {"seq", "time", "actor", "action", "changes", "prev", "hash"} <= set(log[0])
    # Edit the log behind the app's back: verify names the line.
    path = home / "store" / "audit.log"
    original = path.read_bytes()
    lines = original.split(b"\n")
    event = json.loads(lines[3])
    lines[3] = json.dumps(dict(event, actor="Someone Else")).encode()
    path.write_bytes(b"\n".join(lines))
    bad = run("audit", "verify")
    assert bad.exit_code == 1
    assert "audit.log line 4 (event 4): its content does not match its hash (the event was edited)" in bad.stderr
    # Even an edit that leaves the meaning alone (a space) is named.
    path.write_bytes(original.replace(b'{"action"', b'{ "action"', 1))
    spaced = run("audit", "verify")
    assert spaced.exit_code == 1
    assert "audit.log line 1 (event 1): not byte for byte as selfassess wrote it" in spaced.stderr


def test_a_second_writer_saves_while_another_copy_is_open(run, home, demo):
    app = Store(home / "store", command="selfassess (app)")
    try:
        res = run("answer", demo["2026/27"]["id"][:8], "1.1", "--rating", "1")
        assert res.exit_code == 0, res
        assert app.find("answers", assessment_id=demo["2026/27"]["id"], question_id=demo_question(app, "1.1"))
        assert app.verify().ok
    finally:
        app.close()


def demo_question(store, ref):
    rec = next(r for r in store.all("frameworks") if r["id"] == "board-health-inequalities")
    return next(q["id"] for d in rec["data"]["domains"] for q in d["questions"] if q["ref"] == ref)


def test_a_writer_kept_waiting_by_a_stuck_copy_exits_3_and_readers_still_work(run, home, demo, monkeypatch):
    from selfassess.storage import store as store_module

    monkeypatch.setattr(store_module, "COMMIT_WAIT", 0.2)
    holder = Store(home / "store", command="selfassess")
    try:
        with holder._locked():  # as a copy stuck in the middle of a save would
            res = run("answer", demo["2026/27"]["id"][:8], "1.1", "--rating", "1")
            assert res.exit_code == 3
            assert "is busy" in res.stderr and "--wait" in res.stderr and "Read-only commands" in res.stderr
            assert run("assessments").exit_code == 0
            assert run("actions", demo["2026/27"]["id"][:8]).exit_code == 0
    finally:
        holder.close()


def test_a_damaged_store_stops_and_offers_a_restore(run, home, demo):
    (home / "store" / "state.json").write_text("")
    res = run("assessments")
    assert res.exit_code == 4
    assert "state.json is empty" in res.stderr and "selfassess store restore --from-log" in res.stderr
    assert run("store", "restore", "--from-log").exit_code == 0
    assert len(json.loads(run("assessments", "--json").stdout)["assessments"]) == 2
    assert run("audit", "verify").exit_code == 0


def test_hostile_text_is_stored_and_read_back_exactly(run):
    aid = run("new", "Trust", "--framework", "board-health-inequalities", "--period", "2025/26").stdout.split()[0]
    hostile = "=HYPERLINK(\"http://x\") +cmd @SUM(A1) <b>R&D</b> \u202eعربى Ŵŷ żółć 😀\x07"
    assert run("answer", aid, "1.1", "--evidence", hostile).exit_code == 0
    shown = json.loads(run("audit", "log", "--json", "--limit", "1").stdout)["events"][0]
    assert shown["changes"][0]["after"]["evidence"] == hostile

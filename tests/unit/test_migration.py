"""Migration to a new framework version: nothing is ever lost, and a second run changes nothing."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selfassess.core import framework as fw
from selfassess.core.catalogue import Catalogue
from tests.helpers import open_workspace

LEVELS = [{"key": "low", "label": "Low", "score": 1}, {"key": "mid", "label": "Mid", "score": 2},
          {"key": "high", "label": "High", "score": 3}]


def framework_data(version: str, questions: list[str], retired: list[dict[str, Any]] = ()) -> dict[str, Any]:
    def q(qid: str, i: int) -> dict[str, Any]:
        return {"id": qid, "ref": f"1.{i + 1}", "text": f"Question {qid}?", "source": {"document": "doc"}}

    data: dict[str, Any] = {
        "format": 1, "id": "mig", "version": version, "title": "Migrating", "publisher": "Tests",
        "sources": [{"id": "doc", "title": "A document"}],
        "scales": [{"id": "s", "title": "S", "levels": copy.deepcopy(LEVELS)}],
        "domains": [{"id": "d1", "ref": "1", "title": "One", "questions": [q(x, i) for i, x in enumerate(questions)]},
                    {"id": "d2", "ref": "2", "title": "Two", "questions": [{**q("keep", 0), "ref": "2.1"}]}],
    }
    if retired:
        data["retired"] = list(retired)
    return data


FATES = st.sampled_from(["keep", "rename", "split", "merge", "retire", "drop"])
ANSWER = st.one_of(st.none(), st.sampled_from(["low", "mid", "high"]), st.just("na"), st.just("evidence-only"))


def versions(fates: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    old_q = [f"q{i}" for i in range(len(fates))]
    new_q: list[str] = []
    retired: list[dict[str, Any]] = []
    merging = [q for q, f in zip(old_q, fates, strict=True) if f == "merge"]
    for q, fate in zip(old_q, fates, strict=True):
        if fate == "keep":
            new_q.append(q)
        elif fate == "rename":
            new_q.append(f"{q}-renamed")
            retired.append({"id": q, "replaced_by": [f"{q}-renamed"]})
        elif fate == "split":
            new_q += [f"{q}-a", f"{q}-b"]
            retired.append({"id": q, "replaced_by": [f"{q}-a", f"{q}-b"]})
        elif fate == "merge":
            retired.append({"id": q, "replaced_by": ["merged"]})
        elif fate == "retire":
            retired.append({"id": q, "note": "no longer asked"})
    if merging:
        new_q.append("merged")
    return framework_data("1", old_q), framework_data("2", new_q or ["fresh"], retired)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(plan=st.lists(st.tuples(FATES, ANSWER), min_size=1, max_size=7), keep_answer=ANSWER)
def test_migration_never_loses_an_answer_and_is_idempotent(tmp_path_factory, plan, keep_answer):
    fates = [f for f, _ in plan]
    old_data, new_data = versions(fates)
    cat = Catalogue()
    cat.add(fw.from_outside(old_data), "user")
    cat.add(fw.from_outside(new_data), "user")
    store, ws = open_workspace(tmp_path_factory.mktemp("mig") / "s", catalogue=cat)
    try:
        a = ws.new_assessment("Trust", "mig@1", "2025/26").assessment
        for qid, how in [*((f"q{i}", ans) for i, (_, ans) in enumerate(plan)), ("keep", keep_answer)]:
            if how is None:
                continue
            if how == "na":
                ws.answer(a.id, qid, na_reason="Not a service we run", evidence=f"why {qid}")
            elif how == "evidence-only":
                ws.answer(a.id, qid, evidence=f"minutes for {qid}")
            else:
                ws.answer(a.id, qid, rating=how, evidence=f"minutes for {qid}", notes=f"note {qid}")
        before = ws.answers(a.id)
        ws.migrate(a.id, "mig@2")
        after = ws.answers(a.id)
        archived = {r["id"]: r for r in ws.archived(a.id)}
        live_ids = {x.id for x in after.values()}
        new = ws.framework(ws.assessment(a.id))
        assert new.version == "2"
        for qid, old in before.items():
            # Never lost: the same record still live, or kept in the archive pinned to version 1.
            assert old.id in live_ids or archived.get(old.id, {}).get("archived_from") == "mig@1", (qid, fates)
            if old.id in archived:
                assert {k: archived[old.id][k] for k in old.to_record()} == old.to_record()
            if new.has_question(qid):
                assert after[qid] == old  # unchanged answers carry over untouched
                continue
            successors = new.successors(qid)
            for t in successors:  # and the substance reaches every question it now belongs to
                assert old.evidence in after[t].evidence, (qid, t)
                if len(successors) > 1 or (fates[int(qid[1:])] == "merge" and fates.count("merge") > 1):
                    assert after[t].state == "needs_review"  # split or merged: flagged for re-rating
        # Every live answer is to a question the new version asks.
        assert all(new.has_question(q) for q in after)
        head = ws.repo.head
        again = ws.migrate(a.id, "mig@2")
        assert again.changes_nothing and ws.repo.head == head and ws.answers(a.id) == after
    finally:
        store.close()


def test_migrate_on_the_command_line_shows_the_plan_the_archive_and_the_audit_trail(tmp_path, run, home):
    import yaml

    folder = home / "frameworks"
    folder.mkdir(parents=True)
    old, new = versions(["keep", "split", "merge", "merge", "retire", "rename"])
    # Users know questions by their refs, which move between versions; the words beside them where short.
    old["domains"][0]["questions"][2]["text"] = "Do board papers show the likely effect of each proposal on health inequalities?"
    (folder / "v1.yaml").write_text(yaml.safe_dump(old), encoding="utf-8")
    (folder / "v2.yaml").write_text(yaml.safe_dump(new), encoding="utf-8")
    aid = run("new", "Trust", "--framework", "mig@1", "--period", "2025/26").stdout.split()[0][:8]
    for q, r in [("1.1", "high"), ("1.2", "mid"), ("1.3", "low"), ("1.4", "high"), ("1.5", "mid"), ("1.6", "low")]:
        assert run("answer", aid, q, "--rating", r, "--evidence", f"minutes {q}").exit_code == 0
    plan = ["  carried over: 1.1, 1.6 (now 1.4)",
            "  split (each part flagged for re-rating):",
            '    1.2 "Question q1?" -> 1.2 "Question q1-a?", 1.3 "Question q1-b?"',
            "  merged (flagged for re-rating):",
            '    1.3 + 1.4 "Question q3?" -> 1.5 "Question merged?"',
            "  no longer asked (archived, pinned to mig@1): 1.5"]
    res = run("migrate", aid, "--to", "mig@2", "--dry-run")
    assert res.exit_code == 0 and res.stdout.splitlines() == [f"would move {aid} 2025/26 from mig@1 to mig@2", *plan], res
    assert "-> q1-a" not in res.stdout and "-> merged" not in res.stdout  # never the ids
    res = run("migrate", aid, "--to", "mig@2")
    assert res.exit_code == 0 and res.stdout.splitlines()[:7] == [f"moved {aid} 2025/26 from mig@1 to mig@2", *plan], res
    assert ('archived (kept, pinned to the version they were given under): 1.2 "Question q1?" (mig@1), 1.3 (mig@1), '
            '1.4 "Question q3?" (mig@1)') in res.stdout
    res = run("migrate", aid, "--to", "mig@2")
    assert res.stdout == f"{aid} is already on mig@2: nothing to change\n"
    shown = run("show", aid).stdout
    assert "archived by a migration (kept, pinned to the old version): " in shown and '1.5 "Question q4?" (mig@1)' in shown
    archived = json.loads(run("show", aid, "--json").stdout)["archived"]
    assert {"question": "q4", "ref": "1.5", "rating": "mid", "version": "mig@1"} in archived
    assert "moved 2025/26 from mig@1 to mig@2: 2 carried, 1 split, 2 merged, 1 removed" in run("audit", "log").stdout
    res = run("migrate", aid, "--to", "board-health-inequalities")
    assert res.exit_code != 0 and "is another framework than this assessment's (mig)" in res.stderr

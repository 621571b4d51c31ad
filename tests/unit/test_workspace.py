"""Assessments, answers, scoring, the action plan, carry-forward and sign-off, through the Workspace."""

from __future__ import annotations

from datetime import timedelta

import pytest

from selfassess.core import actions as rules
from selfassess.core.catalogue import Catalogue
from selfassess.core.errors import InvalidInput, NotFound, Refused
from selfassess.core.framework import parse
from selfassess.core.model import NEEDS_REVIEW
from tests.helpers import BOARD_ID, TODAY, open_workspace
from tests.unit.test_framework_loader import MINIMAL


@pytest.fixture
def assessment(ws):
    return ws.new_assessment("Northgate NHS Trust", BOARD_ID, "2025/26", ods_code="rxx").assessment


def head(ws):
    return ws.repo.head


def test_new_assessment_pins_framework_and_creates_organisation(ws, assessment):
    (org,) = ws.organisations()
    assert (org.name, org.ods_code, org.type) == ("Northgate NHS Trust", "RXX", "acute")
    assert assessment.framework_id == BOARD_ID and assessment.framework_version == "2025.1"
    assert assessment.framework_hash == ws.catalogue.get(BOARD_ID).content_hash
    assert assessment.status == "in_progress"
    assert ws.repo.get("frameworks", assessment.framework_hash)["data"]["id"] == BOARD_ID
    # The same organisation by ODS code, and a duplicate period is refused.
    with pytest.raises(Refused, match="already has a 2025/26 assessment"):
        ws.new_assessment("RXX", BOARD_ID, "2025/26")


@pytest.mark.parametrize("period", ["2025", "2025/27", "25/26", "2025-26", ""])
def test_bad_period_is_refused(ws, period):
    with pytest.raises(InvalidInput, match="expected a financial year such as 2025/26"):
        ws.new_assessment("Trust", BOARD_ID, period)
    assert ws.assessments() == []


def test_answer_by_ref_number_label_or_key(ws, assessment):
    a = ws.answer(assessment.id, "1.1", rating="2", evidence="Job description names the lead.")
    assert (a.question_id, a.rating, a.state) == ("leadership.executive-lead", "developing", "draft")
    assert ws.answer(assessment.id, "leadership.executive-lead", rating="Established").rating == "established"
    assert ws.answer(assessment.id, "1.1", rating="leading").rating == "leading"
    # Only what was given changes.
    kept = ws.answer(assessment.id, "1.1", notes="Reviewed in May")
    assert kept.rating == "leading" and kept.evidence == "Job description names the lead." and kept.notes == "Reviewed in May"
    assert kept.updated_by == "Priya Raman" and kept.updated_at


def test_na_needs_a_reason_and_clears_the_rating(ws, assessment):
    ws.answer(assessment.id, "4.7", rating="1")
    before = head(ws)
    with pytest.raises(InvalidInput, match="N/A needs a written reason"):
        ws.answer(assessment.id, "4.7", na_reason="   ")
    assert head(ws) == before
    a = ws.answer(assessment.id, "4.7", na_reason="No paediatric services")
    assert a.is_na and a.rating is None and a.is_answered
    again = ws.answer(assessment.id, "4.7", rating="3")
    assert again.na_reason is None and again.rating == "established"


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"question": "9.9", "rating": "1"}, NotFound, "no question '9.9'"),
        ({"question": "1.1", "rating": "5"}, InvalidInput, "'5' is not a rating on the Maturity scale, expected one of: 1 emerging"),
        ({"question": "1.1", "rating": "excellent"}, InvalidInput, "is not a rating"),
        ({"question": "1.1", "rating": "1", "na_reason": "x"}, InvalidInput, "not both"),
        ({"question": "1.1", "assurance": "very sure"}, InvalidInput, "is not a valid assurance level"),
        ({"question": "1.1", "evidence": "x" * 100_001}, InvalidInput, "expected at most 100,000"),
    ],
)
def test_bad_answers_change_nothing(ws, assessment, kwargs, error, message):
    ws.answer(assessment.id, "1.1", rating="2", evidence="kept")
    before = head(ws)
    question = kwargs.pop("question")
    with pytest.raises(error, match=message):
        ws.answer(assessment.id, question, **kwargs)
    assert head(ws) == before
    assert ws.answer_for(assessment.id, "leadership.executive-lead").evidence == "kept"


def test_unknown_or_ambiguous_assessment_handles(ws, assessment):
    with pytest.raises(NotFound, match="no assessment with id 'ffffffff'"):
        ws.assessment("ffffffff")
    with pytest.raises(InvalidInput, match="too short"):
        ws.assessment("ab")
    assert ws.assessment(assessment.id[:8]).id == assessment.id


def test_an_unchanged_answer_records_nothing(ws, assessment):
    ws.answer(assessment.id, "1.1", rating="2")
    before = head(ws)
    ws.answer(assessment.id, "1.1", rating="developing")
    assert head(ws) == before


def test_scores_follow_the_scale_and_na_policy(ws, assessment):
    fw = ws.framework(assessment)
    leadership = fw.domain("leadership").questions
    for q in leadership[:-1]:
        ws.answer(assessment.id, q.id, rating="4")
    ws.answer(assessment.id, leadership[-1].id, na_reason="Not relevant this year")
    ws.answer(assessment.id, "2.1", rating="1")
    ws.answer(assessment.id, "2.2", rating="2")
    scores = ws.scores(assessment)
    lead = scores.domain("leadership")
    assert (lead.answered, lead.not_applicable, lead.scored) == (7, 1, 6)
    assert lead.percent == 100 and lead.mean_score == 4 and lead.level_label == "Leading"
    strategy = scores.domain("strategy")
    assert strategy.mean_score == 1.5 and strategy.percent == pytest.approx(100 / 6)
    assert scores.answered == 9 and scores.completeness == pytest.approx(9 / 43)
    assert scores.domain("data").percent is None


def test_actions_derive_rag_overdue_and_slippage(ws, assessment):
    a = ws.add_action(assessment.id, ["1.4"], "Add an impact section to the paper template", "James Okoro",
                      (TODAY + timedelta(days=90)).isoformat(), owner_role="Director of Strategy")
    assert a.ref == "A01" and a.status == "not_started" and a.original_due == a.current_due
    assert rules.rag(a, TODAY) == "Green" and not rules.is_overdue(a, TODAY)
    soon = ws.update_action(a.id, due=(TODAY + timedelta(days=10)).isoformat())
    assert rules.rag(soon, TODAY) == "Amber"
    late = ws.update_action(a.id, due=(TODAY - timedelta(days=1)).isoformat(), note="Template delayed")
    assert rules.is_overdue(late, TODAY) and rules.rag(late, TODAY) == "Red"
    assert late.original_due == a.original_due and rules.slippage_days(late) == 0  # moved earlier: no slip
    slipped = ws.update_action(a.id, due=(TODAY + timedelta(days=120)).isoformat(), status="on track")
    assert rules.slippage_days(slipped) == 30 and rules.rag(slipped, TODAY) == "Green"
    assert [u.text for u in slipped.updates] == [
        "Due date moved to " + (TODAY + timedelta(days=10)).isoformat(),
        "Template delayed",
        f"Status set to On track; due date moved to {(TODAY + timedelta(days=120)).isoformat()}",
    ]
    assert slipped.updates[-1].status == "on_track" and slipped.updates[-1].author == "Priya Raman"
    done = ws.update_action(a.id, status="done")
    assert rules.rag(done, TODAY) == "Complete" and not rules.is_overdue(done, TODAY)
    assert ws.add_action(assessment.id, ["1.1"], "Second", "Tom", "2027-01-01").ref == "A02"


def test_bad_action_input_changes_nothing(ws, assessment):
    before = head(ws)
    for kwargs, message in [
        ({"due": "31/03/2027"}, "is not a date, expected YYYY-MM-DD"),
        ({"owner": "  "}, "owner is empty"),
        ({"title": ""}, "action title is empty"),
        ({"questions": ["7.7"]}, "no question '7.7'"),
    ]:
        args = {"questions": ["1.1"], "title": "T", "owner": "O", "due": "2027-03-31", **kwargs}
        with pytest.raises((InvalidInput, NotFound), match=message):
            ws.add_action(assessment.id, args["questions"], args["title"], args["owner"], args["due"])
    assert head(ws) == before
    a = ws.add_action(assessment.id, ["1.1"], "T", "O", "2027-03-31")
    with pytest.raises(InvalidInput, match="dropping an action needs a reason"):
        ws.update_action(a.id, status="dropped")
    with pytest.raises(InvalidInput, match="is not a valid action status"):
        ws.update_action(a.id, status="finished")
    dropped = ws.update_action(a.id, status="dropped", note="Superseded by the ICS programme")
    assert dropped.dropped_reason == "Superseded by the ICS programme" and dropped.closed


def test_carry_forward_marks_answers_for_review_and_brings_open_actions(ws, assessment):
    ws.answer(assessment.id, "1.1", rating="2", evidence="JD", assurance="evidenced")
    ws.answer(assessment.id, "4.7", na_reason="No children's services")
    open_action = ws.add_action(assessment.id, ["1.1"], "Write a remit", "Priya Raman", "2026-03-31")
    done = ws.add_action(assessment.id, ["1.2"], "Set objectives", "Tom", "2026-01-31")
    ws.update_action(done.id, status="done")
    result = ws.new_assessment("", None, "2026/27", from_handle=assessment.id[:8])
    new = result.assessment
    assert (result.answers, result.actions) == (2, 1)
    assert new.previous_id == assessment.id and ws.previous(new).id == assessment.id
    carried = ws.answers(new.id)
    a = carried["leadership.executive-lead"]
    assert (a.rating, a.evidence, a.assurance, a.state) == ("developing", "JD", "evidenced", NEEDS_REVIEW)
    assert carried["public-health.whole-household"].na_reason == "No children's services"
    (copy,) = ws.actions(new.id)
    assert copy.carried_from == open_action.id and copy.ref == open_action.ref and copy.title == "Write a remit"
    assert copy.updates[-1].text == "Carried forward from 2025/26"
    # Carried answers count toward completeness only once reviewed; editing one is reviewing it.
    assert ws.scores(new).complete == 0
    assert ws.answer(new.id, "1.1", evidence="JD and remit").state == "draft"
    assert ws.scores(new).complete == 1
    # The old assessment no longer counts the carried action as its own open work.
    assert ws.summary(assessment).actions.open == 0 and ws.summary(new).actions.open == 1


def test_compare_question_by_question_and_domain_by_domain(ws, assessment):
    ws.answer(assessment.id, "3.1", rating="1")
    ws.answer(assessment.id, "3.2", rating="2")
    new = ws.new_assessment("", None, "2026/27", from_handle=assessment.id).assessment
    ws.answer(new.id, "3.1", rating="3")
    ws.answer(new.id, "3.3", rating="2")
    result = ws.compare(assessment, new)
    by_ref = {q.ref: q for q in result.questions}
    assert (by_ref["3.1"].before, by_ref["3.1"].after, by_ref["3.1"].change, by_ref["3.1"].direction) == ("Emerging", "Established", 2, "up")
    assert by_ref["3.2"].direction == "same"
    assert by_ref["3.3"].before is None and by_ref["3.3"].direction == "new"
    data = next(d for d in result.domains if d.domain_id == "data")
    assert data.before == pytest.approx(100 * (0 + 1 / 3) / 2) and data.after == pytest.approx(100 * (2 / 3 + 1 / 3 + 1 / 3) / 3)


def test_sign_off_freezes_answers_but_not_progress_tracking(ws, assessment):
    a = ws.add_action(assessment.id, ["1.1"], "Write a remit", "Priya Raman", "2026-03-31")
    with pytest.raises(Refused, match="43 question\\(s\\) are unanswered"):
        ws.sign_off(assessment.id, [("Margaret Ellison", "Chair")])
    for q in ws.framework(assessment).questions():
        ws.answer(assessment.id, q.id, rating="3")
    with pytest.raises(InvalidInput, match="at least one signatory") as info:
        ws.sign_off(assessment.id, [])
    assert "--by" not in str(info.value) and "--by NAME --role ROLE" in info.value.for_cli()
    with pytest.raises(Refused, match="43 answer\\(s\\) are still draft"):
        ws.sign_off(assessment.id, [("Margaret Ellison", "Chair")])
    signed = ws.sign_off(assessment.id, [("Margaret Ellison", "Chair"), ("Richard Osei", "Chief Executive")],
                         meeting="Board 2026/05 item 9", on="2026-05-22", agree_drafts=True)
    assert signed.status == "signed_off" and signed.signoff.date == "2026-05-22"
    assert [s.role for s in signed.signoff.signatories] == ["Chair", "Chief Executive"]
    before = head(ws)
    with pytest.raises(Refused, match="signed off by the board on 2026-05-22 and is frozen; nothing was changed") as info:
        ws.answer(assessment.id, "1.1", rating="1")
    # The core says what to do in words; each door says how, in its own terms.
    assert "selfassess" not in str(info.value) and "--" not in str(info.value)
    assert info.value.for_cli().endswith(f"To change it, reopen it as a new version, saying why: "
                                         f"selfassess reopen {assessment.id[:8]} --reason TEXT")
    assert "Ctrl+R" in info.value.for_app() and "--reason" not in info.value.for_app()
    with pytest.raises(Refused, match="frozen"):
        ws.add_action(assessment.id, ["1.1"], "New", "X", "2027-01-01")
    with pytest.raises(Refused, match="frozen"):
        ws.update_action(a.id, title="Rewritten")
    with pytest.raises(Refused, match="frozen"):
        ws.set_status(assessment.id, "ready_for_board")
    assert head(ws) == before
    # The plan is still delivered after sign-off: progress is recorded.
    assert ws.update_action(a.id, status="on_track", note="Drafted").status == "on_track"


def test_reopen_makes_a_new_version_and_keeps_the_signed_one(ws, assessment):
    for q in ws.framework(assessment).questions():
        ws.answer(assessment.id, q.id, rating="2")
    ws.add_action(assessment.id, ["1.1"], "Write a remit", "Priya Raman", "2026-03-31")
    ws.sign_off(assessment.id, [("Chair", "Chair")], agree_drafts=True)
    with pytest.raises(Refused, match="already open"):
        ws.reopen(ws.new_assessment("X Trust", BOARD_ID, "2025/26").assessment.id, "why")
    v2 = ws.reopen(assessment.id, "Board asked for the data domain to be re-rated")
    old = ws.assessment(assessment.id)
    assert old.superseded_by == v2.id and old.status == "signed_off" and old.signoff is not None
    assert v2.version == 2 and v2.status == "in_progress" and v2.reopened_from == old.id and v2.signoff is None
    assert ws.answer(v2.id, "3.1", rating="3").rating == "established"
    assert ws.answer_for(old.id, "data.breakdown-by-deprivation-ethnicity").rating == "developing"
    assert len(ws.actions(v2.id)) == 1
    with pytest.raises(Refused, match="replaced by a reopened version"):
        ws.answer(old.id, "3.1", rating="1")
    (reopen,) = [e for _, e, _ in ws.repo.events() if e["action"] == "assessment.reopen"]
    assert reopen["actor"] == "Priya Raman" and "re-rated" in reopen["summary"]


def test_assessment_opens_with_its_pinned_framework_when_the_catalogue_changes(tmp_path):
    store, ws = open_workspace(tmp_path / "s")
    a = ws.new_assessment("Trust", BOARD_ID, "2025/26").assessment
    ws.answer(a.id, "1.1", rating="2")
    store.close()
    store, ws2 = open_workspace(tmp_path / "s", catalogue=Catalogue())
    assert ws2.framework(ws2.assessment(a.id)).question("1.1").id == "leadership.executive-lead"
    assert ws2.scores(ws2.assessment(a.id)).answered == 1
    store.close()


def test_carry_forward_into_a_new_framework_version_follows_retired_questions(tmp_path):
    v1 = parse(MINIMAL + "      - id: q2\n        ref: \"1.2\"\n        text: Two?\n        source:\n          document: doc\n", "v1.yaml")
    v2 = parse(MINIMAL.replace('version: "1.0"', 'version: "2.0"').replace("- id: q1", "- id: q1b")
               + "retired:\n  - id: q1\n    replaced_by: [q1b]\n", "v2.yaml")
    cat = Catalogue()
    cat.add(v1, "user")
    store, ws = open_workspace(tmp_path / "s", catalogue=cat)
    a = ws.new_assessment("Trust", "mini", "2025/26").assessment
    ws.answer(a.id, "q1", rating="high", evidence="E1")
    ws.answer(a.id, "q2", rating="low")
    cat.add(v2, "user")
    result = ws.new_assessment("Trust", None, "2026/27", from_handle=a.id)
    new = result.assessment
    assert new.framework_version == "2.0"
    answers = ws.answers(new.id)
    assert answers["q1b"].rating == "high" and answers["q1b"].evidence == "E1" and answers["q1b"].state == NEEDS_REVIEW
    assert result.orphaned == ("q2",)
    assert ws.answer_for(a.id, "q2").rating == "low"  # nothing is lost: the old answer stays where it was
    store.close()


def test_framework_diff_is_a_dry_run_of_carrying_answers(run, tmp_path):
    v1 = tmp_path / "v1.yaml"
    v1.write_text(MINIMAL + "      - id: q2\n        ref: \"1.2\"\n        text: Two?\n        source:\n          document: doc\n"
                  + "      - id: q3\n        ref: \"1.3\"\n        text: Three?\n        source:\n          document: doc\n")
    v2 = tmp_path / "v2.yaml"
    v2.write_text(MINIMAL.replace('version: "1.0"', 'version: "2.0"').replace('ref: "1.1"', 'ref: "1.9"')
                  + "      - id: q2b\n        ref: \"1.2\"\n        text: Two, sharper?\n        source:\n          document: doc\n"
                  + "      - id: q4\n        ref: \"1.4\"\n        text: Four?\n        source:\n          document: doc\n"
                  + "retired:\n  - id: q2\n    replaced_by: [q2b]\n  - id: q3\n")
    res = run("framework-diff", v1, v2)
    assert res.exit_code == 0, res
    assert res.stdout.splitlines() == [
        "mini@1.0 -> mini@2.0",
        "  carried forward to a successor: 1.2 -> 1.2",
        "  left behind (no successor; answers stay in the earlier assessment): 1.3",
        "  renumbered: 1.1 -> 1.9",
        "  new questions (nothing to carry): 1.4",
        "  scale changed (ratings not on the new scale are dropped, evidence kept): none",
    ]


def test_an_action_added_with_its_status_is_one_audit_event(ws, assessment):
    before = head(ws)[0]
    a = ws.add_action(assessment.id, ["1.1"], "Write a remit", "Priya Raman", "2026-03-31", status="on_track")
    assert a.status == "on_track" and head(ws)[0] == before + 1
    with pytest.raises(InvalidInput, match="cannot start as dropped"):
        ws.add_action(assessment.id, ["1.1"], "Never", "Priya Raman", "2026-03-31", status="dropped")


def test_an_action_dropped_before_keeps_its_reason_when_saved_again(ws, assessment):
    """The app's dialog and the workspace share one rule: the reason given when it was dropped counts."""
    a = ws.add_action(assessment.id, ["1.1"], "Write a remit", "Priya Raman", "2026-03-31")
    ws.update_action(a.id, status="dropped", note="merged into A02")
    assert ws.update_action(a.id, status="dropped", owner="James Okoro").owner == "James Okoro"
    with pytest.raises(InvalidInput, match="dropping an action needs a reason"):
        ws.update_action(ws.add_action(assessment.id, ["1.1"], "B", "C", "2026-03-31").id, status="dropped")


# --- reads: what a screen shows costs what this year holds, not every year ------------------------


class CountingRepo:
    """The store, counting the reads a workspace makes of the action table."""

    def __init__(self, store):
        self.store = store
        self.reads: list[tuple[str, dict]] = []

    def __getattr__(self, name):
        return getattr(self.store, name)

    def all(self, table):
        if table == "actions":
            self.reads.append(("all", {}))
        return self.store.all(table)

    def find(self, table, **equal):
        if table == "actions":
            self.reads.append(("find", equal))
        return self.store.find(table, **equal)

    def commit(self, *args):
        return self.store.commit(*args)


def three_years(ws):
    """Three years, each carried forward from the last: carried, done and overdue actions in each."""
    years = [ws.new_assessment("Northgate NHS Trust", BOARD_ID, "2023/24", ods_code="rxx").assessment]
    for i, period in enumerate(["2024/25", "2025/26"]):
        a = years[-1]
        ws.answer(a.id, "1.1", rating=str(2 + i))
        kept = ws.add_action(a.id, ["1.1"], f"Kept {i}", "Priya Raman", (TODAY - timedelta(days=30)).isoformat())
        ws.update_action(kept.id, note=f"Progress {i}", due=(TODAY - timedelta(days=10)).isoformat())
        done = ws.add_action(a.id, ["1.2"], f"Done {i}", "Tom", "2026-01-31")
        ws.update_action(done.id, status="done")
        years.append(ws.new_assessment("", None, period, from_handle=a.id).assessment)
    ws.add_action(years[-1].id, ["4.1"], "This year's", "Sam", (TODAY + timedelta(days=10)).isoformat())
    return years


def test_every_summary_counts_its_live_plan_exactly(ws):
    years = three_years(ws)
    for a in years:
        assert ws.summary(a).actions == rules.summarise(ws.live_actions(a.id), TODAY)
    assert [ws.summary(a).actions.open for a in years] == [0, 0, 3]  # carried actions count in the year they are in
    assert ws.summary(years[-1]).actions.overdue == 2 and ws.summary(years[-1]).actions.slipped == 2


def test_summaries_read_only_their_own_year_and_once_while_nothing_is_saved(env):
    store, ws = env
    years = three_years(ws)
    counting = CountingRepo(store)
    ws.repo = counting
    ws._reads_head = None  # start cold, as at startup
    for a in years:
        ws.summary(a)
        ws.actions(a.id)
    assert all(kind == "find" for kind, _ in counting.reads), "no read of every year's actions"
    assert all(equal.get("assessment_id") in {a.id for a in years} or "carried_from" in equal
               for _, equal in counting.reads)
    counting.reads.clear()
    for a in years:  # the home screen's second look (and each key press): nothing read again
        ws.summary(a)
        ws.actions(a.id)
        ws.live_actions(a.id)
    assert counting.reads == []
    # Our own save: only the year it touched is read again, and its figures move.
    counting.reads.clear()
    before = ws.summary(years[-1]).figures.actions_open
    ws.add_action(years[-1].id, ["4.2"], "Another", "Sam", "2027-01-31")
    assert ws.summary(years[-1]).figures.actions_open == before + 1
    ws.summary(years[0])
    read_for = {equal.get("assessment_id") for _, equal in counting.reads if "assessment_id" in equal}
    assert read_for == {years[-1].id}
    # Carried into a new year, the open actions are that year's: the old year's counts follow at once.
    assert ws.summary(years[-1]).actions.open == 4
    ws.new_assessment("", None, "2026/27", from_handle=years[-1].id)
    assert ws.summary(years[-1]).actions.open == 0 and ws.live_actions(years[-1].id) == []


def test_every_years_summaries_at_once_are_each_years_summary_from_one_read_of_the_actions(env):
    store, ws = env
    years = three_years(ws)
    one_by_one = {a.id: ws.summary(a) for a in years}
    counting = CountingRepo(store)
    ws.repo = counting
    ws._reads_head = None  # start cold, as the home screen does at startup
    together = ws.summaries(reversed(years))
    assert together == one_by_one
    assert [kind for kind, _ in counting.reads] == ["all"], "one read of the actions, no look-up per action"
    # Saved since: read again, and the old years still count what the later ones carry on.
    ws.add_action(years[-1].id, ["4.2"], "Another", "Sam", "2027-01-31")
    ws.new_assessment("", None, "2026/27", from_handle=years[-1].id)
    counting.reads.clear()
    ws._reads_head = None
    after = ws.summaries(ws.assessments())
    ws._reads_head = None
    assert after == {a.id: ws.summary(a) for a in ws.assessments()}
    assert after[years[-1].id].actions.open == 0  # carried into 2026/27: counted there


def test_a_summary_works_out_each_years_scores_once_while_its_answers_stay(env, monkeypatch):
    from selfassess.core import workspace as workspace_module

    store, ws = env
    years = three_years(ws)
    calls = []
    real = workspace_module.score
    monkeypatch.setattr(workspace_module, "score", lambda *args: calls.append(args[1]) or real(*args))
    for a in years:
        ws.summary(a)
    assert len(calls) == len(years), "this year's scores serve the next year's summary as last year's"
    ws.answer(years[-1].id, "1.1", rating="4")
    now = ws.summary(years[-1])
    assert len(calls) == len(years) + 1  # only the year answered is scored again
    assert now.scores == real(ws.framework(years[-1]), ws.answers(years[-1].id))


def test_a_save_to_a_table_the_reads_do_not_know_forgets_everything_read(env):
    store, ws = env
    years = three_years(ws)
    counting = CountingRepo(store)
    ws.repo = counting
    for a in years:
        ws.summary(a)
    counting.reads.clear()
    from selfassess.core.audit import Change

    ws.commit("note.add", "a record of a kind added later", [Change("action_notes", "n1", None, {"id": "n1", "text": "x"})])
    for a in years:
        ws.summary(a)
    assert {equal.get("assessment_id") for _, equal in counting.reads if "assessment_id" in equal} == {a.id for a in years}


def test_a_kept_read_must_name_the_table_it_depends_on(env):
    # A save forgets only the kept reads of the tables it touched: a kind it cannot map would be kept stale.
    store, ws = env
    years = three_years(ws)
    a = years[-1]
    with pytest.raises(ValueError, match="names no table"):
        ws._read("notes-by-month", a.id, lambda: ())
    for y in years:
        ws.summary(y)
    kept = dict(ws._reads)
    assert {aid for _, aid in kept} == {y.id for y in years}
    ws.answer(a.id, "1.1", rating="4")
    assert all(ws._reads.get(k) is v for k, v in kept.items() if k[1] != a.id), "other years' reads stay"
    assert ("scores", a.id) not in ws._reads and ("answers", a.id) not in ws._reads  # this year's are forgotten
    assert ws.scores(a).answered == len(ws.answers(a.id)) and ws.answers(a.id)["leadership.executive-lead"].rating == "leading"


def test_reads_follow_what_another_copy_saves(tmp_path):
    store1, ws1 = open_workspace(tmp_path / "store")
    store2, ws2 = open_workspace(tmp_path / "store", actor="James Okoro")
    try:
        a = ws1.new_assessment("Northgate NHS Trust", BOARD_ID, "2025/26").assessment
        assert ws1.answers(a.id) == {} and ws1.summary(a).actions.total == 0
        ws2.answer(a.id, "1.1", rating="3")
        ws2.add_action(a.id, ["1.1"], "Write a remit", "Priya Raman", "2026-03-31")
        assert ws1.answers(a.id)["leadership.executive-lead"].rating == "established"
        assert ws1.summary(a).actions.total == 1 and len(ws1.actions(a.id)) == 1
        # Ours, after theirs: nothing of theirs is lost from what we show.
        ws2.answer(a.id, "1.2", rating="1")
        ws1.answer(a.id, "1.3", rating="2")
        assert {x.rating for x in ws1.answers(a.id).values()} == {"established", "emerging", "developing"}
    finally:
        store2.close()
        store1.close()


def test_a_query_on_last_years_copy_counts_on_the_action_carried_on(ws):
    years = three_years(ws)
    assert ws.queried_actions(years[-1].id) == []
    first = next(x for x in ws.actions(years[0].id) if x.title == "Kept 0")
    ws.record_feedback(years[0], [{"target": "action", "target_id": first.id, "verdict": "queried", "comment": "Who?"}],
                       "Dr Okafor", "2026-06-01T10:00:00Z", "feedback.selfassess-feedback")
    (carried,) = ws.queried_actions(years[-1].id)
    assert carried.title == "Kept 0" and carried.assessment_id == years[-1].id
    assert ws.is_queried(carried) and [f.comment for f in ws.feedback_for_action(carried)] == ["Who?"]
    other = next(x for x in ws.live_actions(years[-1].id) if x.title == "Kept 1")
    assert not ws.is_queried(other) and ws.feedback_for_action(other) == []

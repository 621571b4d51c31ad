"""One true record: what the board signs is what it agreed, and every figure agrees everywhere.

The headline figures are read back from each document as a reader would see them (the
Markdown text, the Word file through python-docx, the PDF's text through pypdf, the workbook
through openpyxl) and compared with the core figures, for the demo and for generated
assessments.
"""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import docx
import openpyxl
import pypdf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selfassess.core.checks import (
    BIG_RISE_NO_NOTE,
    NA_WAS_RATED,
    OVERDUE_ON_TOP_RATING,
    TOP_TWO_NO_EVIDENCE,
    VERIFIED_NO_EVIDENCE,
)
from selfassess.core.demo import create_demo
from selfassess.core.errors import Refused
from selfassess.core.figures import Figures, percent_text, whole_percent
from selfassess.reports.data import gather
from selfassess.reports.export import render
from tests.helpers import BOARD_ID, TODAY, open_workspace

WHAT_WORKS = "what-works-principles"


def audit(store) -> list[dict]:
    return [event for _, event, _ in store.events() if event]


def flat(text: str) -> str:
    return " ".join(text.split())


# --- reading the documents back -------------------------------------------------------------------


def md_text(data) -> str:
    return render(data, "md")[0].decode("utf-8").replace("\\", "")


def docx_text(data) -> tuple[str, list[list[str]]]:
    document = docx.Document(io.BytesIO(render(data, "docx")[0]))
    text = "\n".join(p.text for p in document.paragraphs)
    table = [[c.text for c in row.cells] for row in document.tables[0].rows]
    return text, table, document.core_properties.title


def pdf_pages(data) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(render(data, "pdf")[0])).pages]


def workbook(data):
    return openpyxl.load_workbook(io.BytesIO(render(data, "xlsx")[0]))


def assurance_of(sentence: str) -> dict[str, int]:
    parts = re.split(r", | and ", sentence)
    return {m.group(2).capitalize(): int(m.group(1)) for m in (re.match(r"(\d+) (.+)", p.strip()) for p in parts) if m}


def check_prose(text: str, f: Figures, where: str) -> None:
    """The Markdown and the Word file: the same blocks, so the same sentences."""
    t = flat(text)
    m = re.search(r"(\d+) of the (\d+) questions are answered this year", t)
    assert m and (int(m.group(1)), int(m.group(2))) == (f.answered, f.questions), where
    m = re.search(r"(\d+) carried forward from \S+ await review", t)
    assert (int(m.group(1)) if m else 0) == f.awaiting_review, where
    m = re.search(r"Overall the trust scored (\d+%|–)( \([^)]*provisional\))?", t)
    if f.percent is None:  # said in a sentence, not as a dash
        assert m is None and "The trust has no overall score yet" in t, where
    else:
        assert m and m.group(1) == percent_text(f.percent) and bool(m.group(2)) == f.provisional, where
    assert f"By state, the answers are: {f.states_text()}." in t, where
    m = re.search(r"Of the (\d+) rated answers, (.+?)\.", t)
    if f.rated:
        assert m and int(m.group(1)) == f.rated and assurance_of(m.group(2)) == {k.capitalize(): n for k, n in f.assurance}, where
        assert sum(assurance_of(m.group(2)).values()) == f.rated  # the counts add up to the answers they count
    else:
        assert m is None, where
    m = re.search(r"(?:agreed an action plan of|put to the board has) (\d+) actions?, each with a named owner and a due "
                  r"date; (\d+) (?:are|is) open", t)
    if f.actions_open:
        assert m and (int(m.group(1)), int(m.group(2))) == (f.actions_total, f.actions_open), where
    else:
        assert f"There are no open actions ({f.actions_total} in the plan)" in t, where
    ranking = f.strongest_weakest_text()
    if ranking:
        assert ranking in t, where
    else:
        assert "Strongest:" not in t, where
    signed = not f.is_draft
    assert ("The board agreed an action plan" in t) == (signed and f.actions_open > 0), where
    if not signed:
        assert "board agreed" not in t and "DRAFT for the board" in t, where


def state_cells(d) -> list[str]:
    return [str(d.agreed), str(d.drafts), str(d.awaiting_review), str(d.not_started)]


def check_table_rows(rows: list[list[str]], f: Figures, where: str) -> None:
    """Domain, Score, Level, Change, then a column for each answer state: one row a domain, then all domains."""
    assert len(rows) == len(f.domains) + 1 and rows[-1][0] == "All domains", where
    for row, d in zip(rows, [*f.domains, f], strict=True):
        assert row[0].startswith(getattr(d, "ref", "All domains")), where
        assert row[1] == percent_text(d.percent) + (" (provisional)" if d.provisional else ""), (where, row)
        assert row[4:] == state_cells(d), (where, row)


def check_markdown(data) -> None:
    f = data.figures
    text = md_text(data)
    # The section's title is the framework's (each bundled framework calls it "Health inequalities").
    assert text.splitlines()[0] == "# " + data.wording.annual_title + (" (DRAFT for the board)" if f.is_draft else "")
    assert data.wording.annual_title == "Health inequalities"
    check_prose(text, f, "markdown")
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in text.splitlines()
            if line.startswith("| ") and not line.startswith(("| Domain", "| ---"))]
    rows = rows[: len(f.domains) + 1]  # the domain table comes first (indicator tables may follow)
    check_table_rows(rows, f, "markdown table")


def check_word(data) -> None:
    f = data.figures
    text, table, title = docx_text(data)
    assert text.splitlines()[0] == "Health inequalities" + (" (DRAFT for the board)" if f.is_draft else "")
    assert title.startswith("DRAFT for the board") == f.is_draft
    # Every page of a draft says so in its header, not only the first line.
    header = docx.Document(io.BytesIO(render(data, "docx")[0])).sections[0].header.paragraphs[0].text
    assert (header == "DRAFT for the board: not yet signed off") == f.is_draft and ("DRAFT" in header) == f.is_draft
    check_prose(text, f, "word")
    check_table_rows(table[1:], f, "word table")


def check_pdf(data) -> None:
    f = data.figures
    pages = pdf_pages(data)
    if f.is_draft:
        assert all("DRAFT for the board" in page for page in pages)
    else:
        assert not any("DRAFT" in page for page in pages)
    t = flat("\n".join(pages))
    assert (f"{f.answered} of {f.questions} questions answered this year") in t  # the cover
    m = re.search(r"The overall score is (\d+%|–)( \(provisional\))?", t)
    assert m and m.group(1) == percent_text(f.percent) and bool(m.group(2)) == f.provisional
    m = re.search(r"; (\d+) of (\d+) questions are answered this year( and (\d+) answers carried forward)?", t)
    assert m and (int(m.group(1)), int(m.group(2)), int(m.group(4) or 0)) == (f.answered, f.questions, f.awaiting_review)
    m = re.search(r"Of the (\d+) rated answers, (.+?)\.", t)
    assert (m is not None) == bool(f.rated)
    if m:
        assert int(m.group(1)) == f.rated and assurance_of(m.group(2)) == {k.capitalize(): n for k, n in f.assurance}
    m = re.search(r"The action plan has (\d+) (actions?): (\d+) open, (\d+) overdue", t)
    assert m and tuple(map(int, m.group(1, 3, 4))) == (f.actions_total, f.actions_open, f.actions_overdue)
    assert m.group(2) == ("action" if f.actions_total == 1 else "actions")
    ranking = f.strongest_weakest_text()
    assert (ranking in t) if ranking else ("Strongest:" not in t)
    # Findings by domain: one score line each, in order, with this year's answered count.
    scores = re.findall(r"Score (\d+%|–)( \((?:[^)]*)\))?; ", t)
    assert [(s, "provisional" in note) for s, note in scores] == [(percent_text(d.percent), d.provisional) for d in f.domains]
    counts = re.findall(r"(\d+) of (\d+) answered this year", t)
    assert [(int(a), int(q)) for a, q in counts] == [(d.answered, d.questions) for d in f.domains]
    # The score chart's key names the state each bar's score rests on, and only those drawn.
    scored = [d for d in f.domains if d.percent is not None]
    rests = {"provisional" if d.provisional else "draft" if d.drafts else "agreed" for d in scored}
    for state, words in (("agreed", "every answer agreed"), ("draft", "includes draft answers, not yet agreed"),
                         ("provisional", "provisional (counts answers carried forward, needs review)")):
        assert (f"{words}" in t) == (state in rests), (state, rests)
    # The state chart's key: each state with the count `selfassess show` gives; and each domain's states.
    for label, n in f.state_counts():
        assert f"{label} ({n})" in t
    assert re.findall(r"Answers: (\d+ agreed, \d+ draft, \d+ carried forward \(needs review\), \d+ not started)\.", t) \
        == [d.states_text() for d in f.domains]
    assert ("board agreed" in t) is False or not f.is_draft


def check_workbook(data) -> None:
    f = data.figures
    wb = workbook(data)
    assert wb.properties.title.startswith("DRAFT for the board") == f.is_draft
    # Every printed sheet's header says whose plan it is and, until sign-off, that it is a draft.
    assert all(s.oddHeader.center.text.startswith("DRAFT for the board, not yet signed off") == f.is_draft
               for s in wb.worksheets)
    sheet = wb["Summary"]
    head = [c.value for c in sheet[1]]
    assert head[3:7] == ["Agreed", "Draft", "Carried forward, needs review", "Not started"]
    rows = list(sheet.iter_rows(min_row=2, max_row=len(f.domains) + 2, values_only=True))
    for row, d in zip(rows, f.domains, strict=False):
        assert row[0] == d.ref and row[2] == d.questions and list(row[3:7]) == [int(x) for x in state_cells(d)]
        assert (None if row[8] is None else round(row[8] * 100)) == d.percent
        assert (row[9] == "provisional") == d.provisional
        assert (None if row[11] is None else round(row[11] * 100)) == d.previous_percent
        assert row[12] == d.change
    overall = rows[-1]
    assert overall[1] == "Overall" and overall[2] == f.questions and list(overall[3:7]) == [int(x) for x in state_cells(f)]
    assert (None if overall[8] is None else round(overall[8] * 100)) == f.percent
    assert round(overall[7] * 100) == f.completeness
    info = {r[0]: r[1] for r in sheet.iter_rows(min_row=len(f.domains) + 4, values_only=True) if r[0]}
    assert info["Overall"].startswith(percent_text(f.percent) + (" (provisional)" if f.provisional else ""))
    assert f"({f.answered} of {f.questions} answered this year" in info["Overall"]
    m = re.match(r"(\d+) in the plan: (\d+) open, (\d+) overdue", info["Actions"])
    assert m and tuple(map(int, m.groups())) == (f.actions_total, f.actions_open, f.actions_overdue)
    if f.rated:
        assert info["Assurance"] == f"of {f.rated} rated answers: " + ", ".join(f"{n} {k.lower()}" for k, n in f.assurance)
    assert ("DRAFT" in info["Status"]) == f.is_draft
    assert info["Answers by state"] == f.states_text()


def check_everywhere(data) -> None:
    check_markdown(data)
    check_word(data)
    check_pdf(data)
    check_workbook(data)


# --- the rounding rule -------------------------------------------------------------------------------


def test_one_rounding_rule_half_up():
    assert [whole_percent(v) for v in (62.5, 100 * 0.625, 12.5, 0.5, 2.5, 49.4999999999, 55.55, 99.5)] == \
        [63, 63, 13, 1, 3, 50, 56, 100]
    assert whole_percent(None) is None and percent_text(62.5) == "63%" and percent_text(None) == "–"


# --- the demo, as the issue found it ---------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    store, ws = open_workspace(tmp_path_factory.mktemp("demo") / "s")
    last, current = create_demo(ws)
    yield ws, last, current
    store.close()


def test_demo_carried_forward_domains_are_provisional_and_never_strongest_or_weakest(demo):
    ws, _, current = demo
    f = ws.figures(current)
    for domain_id in ("anchor", "workforce"):  # 0/7 answered this year: all carried forward, unreviewed
        d = f.domain(domain_id)
        assert (d.answered, d.awaiting_review) == (0, 7)
        assert d.provisional and d.strengths == () and d.gaps == ()
    strongest, weakest = f.strongest_and_weakest()
    assert {d.id for d in strongest + weakest}.isdisjoint({"anchor", "workforce", "public-health"})
    assert strongest != weakest
    data = gather(ws, current)
    md = md_text(data)
    assert "Workforce diversity and inclusion: 38% (developing; provisional)" in md
    assert "Rated strongest" not in md.split("Workforce diversity and inclusion: 38%")[1].split("\n")[0]


def test_demo_figures_agree_in_show_json_and_every_document(demo, tmp_path):
    from selfassess.cli import summary_json

    ws, last, current = demo
    f = ws.figures(current)
    # 62.5% for data and insight: 63% everywhere, never 62% (the 0.625).
    assert f.domain("data").exact_percent == pytest.approx(62.5) and f.domain("data").percent == 63
    shown = summary_json(ws.summary(current))
    assert shown["figures"] == f.to_json() and shown["answered"] == f.answered == 25
    assert shown["needs_review"] == f.awaiting_review == 18
    data = gather(ws, current)
    check_everywhere(data)
    check_everywhere(gather(ws, last))
    # The demo gives the board something to challenge, and the board report lists it.
    kinds = {c.kind for c in ws.checks(current)}
    assert kinds == {TOP_TWO_NO_EVIDENCE, VERIFIED_NO_EVIDENCE}
    assert "The consistency check found 2 point(s)" in flat("\n".join(pdf_pages(data)))


def test_strongest_and_weakest_only_when_they_differ_and_ties_are_ties(tmp_path):
    store, ws = open_workspace(tmp_path / "s")
    a = ws.new_assessment("Trust", BOARD_ID, "2025/26").assessment
    for q in ws.framework(a).domain("leadership").questions:
        ws.answer(a.id, q.id, rating="2")
    f = ws.figures(a)
    assert f.strongest_and_weakest() == ((), ())
    assert "Strongest" not in f.strongest_weakest_text()  # one domain scored: nothing to compare
    for q in ws.framework(a).domain("strategy").questions:
        ws.answer(a.id, q.id, rating="2")
    f = ws.figures(a)
    assert f.strongest_and_weakest() == ((), ())
    assert f.strongest_weakest_text() == "All 2 fully reviewed domains score 33%: there is no strongest or weakest."
    for q in ws.framework(a).domain("data").questions:
        ws.answer(a.id, q.id, rating="4")
    text = ws.figures(a).strongest_weakest_text()
    assert text == ("Strongest: Data and insight (100%). Weakest: Leadership and accountability and Strategy and "
                    "governance (tied at 33%).")
    check_markdown(gather(ws, a))
    store.close()


def test_board_agreed_and_draft_marking_follow_the_sign_off(tmp_path):
    store, ws = open_workspace(tmp_path / "s")
    a = ws.new_assessment("Trust", WHAT_WORKS, "2025/26").assessment
    for q in ws.framework(a).questions():
        ws.answer(a.id, q.id, score=1, evidence="Minutes")
    ws.add_action(a.id, [next(iter(ws.framework(a).questions())).id], "Do it", "Owner", "2027-01-31")
    before = gather(ws, a)
    assert before.is_draft and "The board agreed" not in md_text(before)
    assert all("DRAFT for the board" in page for page in pdf_pages(before))
    ws.sign_off(a.id, [("Chair", "Chair")], agree_drafts=True)
    after = gather(ws, ws.assessment(a.id))
    assert not after.is_draft and "The board agreed an action plan of 1 action, each" in md_text(after)
    assert not any("DRAFT" in page for page in pdf_pages(after))
    check_everywhere(after)
    store.close()


# --- the lifecycle, at both doors ------------------------------------------------------------------


def test_ready_for_board_and_sign_off_refuse_each_forbidden_state(tmp_path):
    store, ws = open_workspace(tmp_path / "s")
    last = ws.new_assessment("Trust", WHAT_WORKS, "2024/25").assessment
    questions = list(ws.framework(last).questions())
    for q in questions:
        ws.answer(last.id, q.id, score=2, evidence="Board minutes", state="agreed")
    ws.sign_off(last.id, [("Chair", "Chair")])
    a = ws.new_assessment("", None, "2025/26", from_handle=last.id).assessment
    signing = (lambda **k: ws.sign_off(a.id, [("Chair", "Chair")], **k), lambda **k: ws.set_status(a.id, "ready_for_board", **k))
    for step in signing:  # every answer carried forward and unreviewed: 24, the first ten named
        with pytest.raises(Refused, match=r"24 answer\(s\) carried forward from last year still need review "
                                          r"\(1\.1, .*, 2\.[0-9] and 14 more\)"):
            step()
    for q in questions:
        ws.answer(a.id, q.id, state="agreed")  # reviewed: confirmed as they were
    ws.answer(a.id, questions[0].id, clear_rating=True)  # unanswered
    ws.answer(a.id, questions[1].id, score=1)  # edited: a draft
    for step in signing:
        with pytest.raises(Refused, match=r"1 question\(s\) are unanswered \(1\.1\).*1 answer\(s\) are still draft \(1\.2\)"):
            step()
        with pytest.raises(Refused, match=r"1 question\(s\) are unanswered"):
            step(agree_drafts=True)  # agreeing drafts never answers a question
    ws.answer(a.id, questions[0].id, na_reason="Not a service we run")  # N/A is an answer: a draft until agreed
    for step in signing:
        with pytest.raises(Refused, match=r"2 answer\(s\) are still draft \(1\.1, 1\.2\)"):
            step()
    assert ws.assessment(a.id).status == "in_progress"
    ready = ws.set_status(a.id, "ready_for_board", agree_drafts=True)
    assert ready.status == "ready_for_board"
    assert {x.state for x in ws.answers(a.id).values()} == {"agreed"}
    event = [e for e in audit(store) if e["action"] == "assessment.status"][-1]
    assert "agreed 2 draft answer(s) at the meeting: 1.1, 1.2" in event["summary"]
    ws.sign_off(a.id, [("Chair", "Chair")])
    store.close()


def test_sign_off_agree_drafts_records_them_and_the_points_for_challenge(tmp_path):
    store, ws = open_workspace(tmp_path / "s")
    a = ws.new_assessment("Trust", WHAT_WORKS, "2025/26").assessment
    for q in ws.framework(a).questions():
        ws.answer(a.id, q.id, score=3)  # top level, no evidence: a point for challenge each
    assert len(ws.checks(a)) == 24
    signed = ws.sign_off(a.id, [("Chair", "Chair")], agree_drafts=True)
    assert signed.status == "signed_off"
    event = [e for e in audit(store) if e["action"] == "assessment.signoff"][-1]
    assert "the board agreed 24 draft answer(s) at the meeting: 1.1, 1.2," in event["summary"]
    assert "signed past 24 point(s) for challenge: 1.1 is rated Embedded with no evidence recorded." in event["summary"]
    store.close()


def test_cli_refuses_drafts_then_agrees_them_with_the_flag(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from selfassess.cli import cli

    monkeypatch.setenv("SELFASSESS_HOME", str(tmp_path / "home"))
    run = CliRunner().invoke
    res = run(cli, ["new", "Trust", "--framework", WHAT_WORKS, "--period", "2025/26"])
    assert res.exit_code == 0, res.output
    aid = json.loads(run(cli, ["assessments", "--json"]).output)["assessments"][0]["id"][:8]
    store, ws = open_workspace(tmp_path / "home" / "store")
    try:
        for q in ws.framework(ws.assessment(aid)).questions():
            ws.answer(aid, q.id, score=3, assurance="independently_verified")
    finally:
        store.close()
    res = run(cli, ["status", aid, "ready"])
    assert res.exit_code == 1 and "24 answer(s) are still draft (1.1, 1.2" in res.output and "and 14 more" in res.output
    res = run(cli, ["checks", aid, "--json"])
    assert res.exit_code == 0 and len(json.loads(res.output)["points_for_challenge"]) == 48
    res = run(cli, ["signoff", aid, "--by", "Margaret Ellison", "--role", "Chair"])
    assert res.exit_code == 1 and "still draft" in res.output
    res = run(cli, ["signoff", aid, "--by", "Margaret Ellison", "--role", "Chair", "--agree-drafts"])
    assert res.exit_code == 0, res.output
    assert "agreed all 24 draft answer(s) at the meeting: 1.1," in res.output
    assert "warning: point for challenge, signed past and recorded: 1.1 is rated Embedded with no evidence" in res.output
    shown = json.loads(run(cli, ["show", aid, "--json"]).output)
    assert shown["figures"]["agreed"] == 24 and shown["figures"]["drafts"] == 0 and shown["figures"]["signed_off"]


# --- confirm and challenge ---------------------------------------------------------------------------


def test_the_consistency_check_finds_each_case(tmp_path):
    store, ws = open_workspace(tmp_path / "s")
    last = ws.new_assessment("Trust", BOARD_ID, "2024/25").assessment
    ws.answer(last.id, "1.3", rating="1", evidence="x")
    ws.answer(last.id, "1.4", rating="2", evidence="x")
    ws.answer(last.id, "1.5", rating="1", evidence="x")
    a = ws.new_assessment("", None, "2025/26", from_handle=last.id).assessment
    ws.answer(a.id, "1.1", rating="3")  # top two levels, no evidence
    ws.answer(a.id, "1.2", rating="2", assurance="independently_verified")  # verified, no evidence
    ws.answer(a.id, "1.3", rating="3", evidence="Minutes")  # up two levels, no note
    ws.answer(a.id, "1.4", na_reason="Not applicable now")  # N/A where last year was rated
    ws.answer(a.id, "1.5", rating="3", evidence="Minutes", notes="A new committee")  # up two, with a note: fine
    ws.answer(a.id, "1.6", rating="4", evidence="Minutes")  # top level, and an overdue action
    ws.add_action(a.id, ["1.6"], "Late", "Owner", (TODAY - timedelta(days=3)).isoformat())
    ws.answer(a.id, "1.7", rating="4", evidence="Minutes")  # top level, action not yet due: fine
    ws.add_action(a.id, ["1.7"], "Soon", "Owner", (TODAY + timedelta(days=3)).isoformat())
    found = {(c.ref, c.kind) for c in ws.checks(a)}
    assert found == {("1.1", TOP_TWO_NO_EVIDENCE), ("1.2", VERIFIED_NO_EVIDENCE), ("1.3", BIG_RISE_NO_NOTE),
                     ("1.4", NA_WAS_RATED), ("1.6", OVERDUE_ON_TOP_RATING)}
    data = gather(ws, a)
    t = flat("\n".join(pdf_pages(data)))
    assert "Points for challenge" in t and "5 point(s) the board may wish to challenge" in t
    assert "1.4 is not applicable this year but was rated last year (Developing)." in t
    store.close()


# --- generated assessments -----------------------------------------------------------------------------

ANSWER = st.one_of(
    st.just(("keep",)),  # carried forward, not reviewed
    st.just(("clear",)),
    st.tuples(st.just("rate"), st.integers(1, 4), st.sampled_from(["draft", "agreed"]),
              st.sampled_from(["self_asserted", "evidenced", "independently_verified"]), st.booleans()),
    st.tuples(st.just("na"), st.sampled_from(["draft", "agreed"])),
    st.tuples(st.just("confirm"),),
)
ACTION = st.tuples(st.integers(0, 23), st.integers(-60, 60), st.sampled_from(["not_started", "on_track", "done", "dropped"]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(last_ratings=st.lists(st.integers(1, 4), min_size=24, max_size=24), carry=st.booleans(),
       answers=st.lists(ANSWER, min_size=24, max_size=24), actions=st.lists(ACTION, max_size=5), sign=st.booleans())
def test_generated_assessments_say_the_same_figures_in_every_document(tmp_path_factory, last_ratings, carry, answers,
                                                                      actions, sign):
    store, ws = open_workspace(tmp_path_factory.mktemp("gen") / "s")
    try:
        last = ws.new_assessment("Trust", WHAT_WORKS, "2024/25").assessment
        questions = list(ws.framework(last).questions())
        if carry:
            for q, r in zip(questions, last_ratings, strict=True):
                ws.answer(last.id, q.id, score=r - 1, evidence="Last year's minutes", state="agreed")
            a = ws.new_assessment("", None, "2025/26", from_handle=last.id).assessment
        else:
            a = ws.new_assessment("Trust", WHAT_WORKS, "2025/26").assessment
        for q, how in zip(questions, answers, strict=True):
            if how[0] == "clear":
                ws.answer(a.id, q.id, clear_rating=True)
            elif how[0] == "rate":
                _, rating, state, assurance, evidence = how
                ws.answer(a.id, q.id, score=rating - 1, assurance=assurance, evidence="Seen" if evidence else "")
                ws.answer(a.id, q.id, state=state)
            elif how[0] == "na":
                ws.answer(a.id, q.id, na_reason="Not a service we provide")
                ws.answer(a.id, q.id, state=how[1])
            elif how[0] == "confirm" and ws.answer_for(a.id, q.id):
                ws.answer(a.id, q.id, state="agreed")
        for i, days, status in actions:
            x = ws.add_action(a.id, [questions[i].id], f"Action {i}", "Owner", (TODAY + timedelta(days=days)).isoformat())
            if status != "not_started":
                ws.update_action(x.id, status=status, note="Progress")
        a = ws.assessment(a.id)
        if sign and not ws.blockers(a).blocking(agree_drafts=True):
            a = ws.sign_off(a.id, [("Chair", "Chair")], agree_drafts=True)
        data = gather(ws, a)
        f = data.figures
        assert f.answered + f.awaiting_review + f.not_started == f.questions
        assert f.agreed + f.drafts == f.answered and sum(n for _, n in f.assurance) == f.rated
        strongest, weakest = f.strongest_and_weakest()
        assert not any(d.provisional for d in strongest + weakest) and (not strongest or strongest != weakest)
        check_everywhere(data)
    finally:
        store.close()


def test_choosing_last_years_level_again_reviews_a_carried_forward_answer_as_a_draft_never_agreed(tmp_path):
    store, ws = open_workspace(tmp_path / "store")
    try:
        _, current = create_demo(ws)
        carried = next(a for a in ws.answers(current.id).values() if a.state == "needs_review" and a.rating)
        q = ws.framework(current).question(carried.question_id)
        head = store.head
        reviewed = ws.answer(current.id, q.ref, rating=carried.rating)
        assert reviewed.state == "draft" and reviewed.rating == carried.rating
        assert store.head[0] == head[0] + 1  # on the audit trail: who reviewed it, and when
        assert ws.answer(current.id, q.ref, rating=carried.rating).state == "draft"  # again: nothing more to record
        assert store.head[0] == head[0] + 1
    finally:
        store.close()

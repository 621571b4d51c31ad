"""Draft, carried forward (not yet reviewed), agreed and not started are counted apart, and the same,
in `selfassess show` (text and --json), the four documents and the signed submission.

Each document is read back as a reader would (the Markdown text, the Word table, the PDF's text,
the workbook's cells); the board report's state chart is read through its key.
"""

from __future__ import annotations

import io
import json
import re

import docx
import openpyxl
import pypdf
from click.testing import CliRunner

from selfassess.cli import cli
from selfassess.reports.data import gather
from selfassess.reports.export import render
from selfassess.submission import bundle
from selfassess.submission.submit import ALLOWED, submit
from tests.helpers import open_workspace
from tests.unit.test_record import WHAT_WORKS, check_everywhere

STATE_LABELS = ["Agreed", "Draft", "Carried forward, needs review", "Not started"]


def build_mix(ws):
    """Last year all agreed; this year 5 confirmed (agreed), 6 edited (draft), 3 cleared (not
    started) and the other 10 left as carried forward, not yet reviewed."""
    last = ws.new_assessment("Northgate NHS Trust", WHAT_WORKS, "2024/25").assessment
    questions = list(ws.framework(last).questions())
    for q in questions:
        ws.answer(last.id, q.id, score=1, evidence="Minutes", state="agreed")
    ws.sign_off(last.id, [("Chair", "Chair")])
    a = ws.new_assessment("", None, "2025/26", from_handle=last.id).assessment
    for q in questions[:5]:
        ws.answer(a.id, q.id, state="agreed")
    for q in questions[5:11]:
        ws.answer(a.id, q.id, score=2, evidence="New minutes")
    for q in questions[11:14]:
        ws.answer(a.id, q.id, clear_rating=True)
    return ws.assessment(a.id), questions


def flat(text: str) -> str:
    return " ".join(text.split())


def counts_in_documents(data) -> dict[str, list[int]]:
    """The overall count of each state as each document states it, in STATE_LABELS order."""
    found: dict[str, list[int]] = {}
    md = render(data, "md")[0].decode("utf-8")
    row = next(line for line in md.splitlines() if line.startswith("| All domains"))
    found["markdown"] = [int(c) for c in [c.strip() for c in row.strip("|").split("|")][4:]]
    table = docx.Document(io.BytesIO(render(data, "docx")[0])).tables[0]
    assert [c.text for c in table.rows[0].cells][4:] == STATE_LABELS
    found["word"] = [int(c.text) for c in table.rows[-1].cells[4:]]
    pdf = flat("\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(render(data, "pdf")[0])).pages))
    found["pdf"] = [int(re.search(re.escape(label) + r" \((\d+)\)", pdf).group(1)) for label in STATE_LABELS]
    sheet = openpyxl.load_workbook(io.BytesIO(render(data, "xlsx")[0]))["Summary"]
    assert [c.value for c in sheet[1]][3:7] == STATE_LABELS
    overall = next(r for r in sheet.iter_rows(values_only=True) if r[1] == "Overall")
    found["workbook"] = list(overall[3:7])
    return found


def test_each_state_is_counted_the_same_in_show_every_document_and_the_submission(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("SELFASSESS_HOME", str(home))
    store, ws = open_workspace(home / "store")
    a, questions = build_mix(ws)
    f = ws.figures(a)
    assert (f.agreed, f.drafts, f.awaiting_review, f.not_started) == (5, 6, 10, 3)
    data = gather(ws, a)
    expected = [5, 6, 10, 3]
    assert counts_in_documents(data) == dict.fromkeys(("markdown", "word", "pdf", "workbook"), expected)
    check_everywhere(data)  # and each domain's counts, table by table
    store.close()

    run = CliRunner().invoke
    shown = json.loads(run(cli, ["show", a.id[:8], "--json"]).output)["figures"]
    assert [shown[k] for k in ("agreed", "drafts", "awaiting_review", "not_started")] == expected
    assert [[d[k] for k in ("agreed", "drafts", "awaiting_review", "not_started")] for d in shown["domains"]] == \
        [[d.agreed, d.drafts, d.awaiting_review, d.not_started] for d in f.domains]
    text = run(cli, ["show", a.id[:8]]).output
    assert "answers by state: 5 agreed, 6 draft, 10 carried forward (needs review), 3 not started" in text
    for d in f.domains:
        assert d.states_text() in text

    # Reviewed, answered, agreed at the meeting and signed: every answer agreed, in every place.
    store, ws = open_workspace(home / "store")
    for q in questions[14:]:
        ws.answer(a.id, q.id, state="agreed")
    for q in questions[11:14]:
        ws.answer(a.id, q.id, score=0, evidence="Gap")
    signed = ws.sign_off(a.id, [("Margaret Ellison", "Chair")], agree_drafts=True)
    everything = [24, 0, 0, 0]
    assert counts_in_documents(gather(ws, signed)) == dict.fromkeys(("markdown", "word", "pdf", "workbook"), everything)
    done = submit(ws, home, a.id, tmp_path / "out.selfassess")
    opened = bundle.open_sealed(done.path.read_bytes(), bundle.SUBMISSION, ALLOWED)
    sent = opened.json("submission.json")["figures"]
    assert [sent[k] for k in ("agreed", "drafts", "awaiting_review", "not_started")] == everything
    report = flat("\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(opened.files["board-report.pdf"])).pages))
    assert [int(re.search(re.escape(label) + r" \((\d+)\)", report).group(1)) for label in STATE_LABELS] == everything
    store.close()


def test_a_board_round_before_sign_off_never_says_the_board_agreed_the_ratings(ws):
    from selfassess.core import rounds
    from tests.helpers import BOARD_ID
    from tests.unit.test_rounds import RATERS

    a = ws.new_assessment("Northgate NHS Trust", BOARD_ID, "2025/26").assessment
    r = rounds.open_round(ws, a.id, RATERS)
    for (name, _), level in zip(RATERS, ("1", "3", "3"), strict=True):
        rounds.rate(ws, r.id, name, "1.1", level)
    ws.answer(a.id, "1.1", rating="3", evidence="Minutes")  # the rating recorded: a draft
    pdf = flat("\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(render(gather(ws, a), "pdf")[0])).pages))
    assert "Where the board disagreed" in pdf and "board agreed" not in pdf
    assert "beside each is the rating recorded for the board to agree, with its state" in pdf
    assert "Recorded" in pdf and "Established (draft)" in pdf
    assert "1.1 · Established (draft, not yet agreed)" in pdf  # the finding, too

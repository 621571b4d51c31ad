"""Stakeholder grades (EDS 2022): a stakeholder round's grades sit beside the organisation's own rating
in show, the documents and the submission; counts and the median only, never a name, and never a
rationale asked of the board."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from selfassess.core import rounds
from selfassess.core.errors import InvalidInput
from selfassess.submission import bundle, schema
from tests.helpers import open_workspace
from tests.unit.test_framework_fit import eds_assessment

# Names that occur nowhere else, so finding any part of one anywhere is a leak.
STAKEHOLDERS = [("Zephyrine Quillfeather", "Patient representative"), ("Bartholomew Ngata", "Staff network chair"),
                ("Ottoline Varga", "Healthwatch")]
OUTCOME = "2A"  # Workforce health and well-being: the first outcome not rated per service
# The first, second and second levels of the EDS scale (1, 2, 2 by place); typed as EDS scores they are 0, 1, 1.
GRADES = ("Undeveloped", "Developing", "Developing")
SCORES = ("0", "1", "1")
SHOWN = "Developing (median of 3; 1·2·0·0)"  # the median, how many, the count per level lowest first


@pytest.fixture
def ws(tmp_path):
    store, ws = open_workspace(tmp_path / "store")
    yield ws
    store.close()


@pytest.fixture
def graded(ws):
    """An EDS assessment, every outcome agreed at Achieving, and three stakeholders' grades of 2A."""
    a = eds_assessment(ws, [2] * 11)
    ws.agree_drafts(a.id)
    r = rounds.open_round(ws, a.id, STAKEHOLDERS, domains=["2"], kind="stakeholder")
    for (name, _), grade in zip(STAKEHOLDERS, GRADES, strict=True):
        rounds.rate(ws, r.id, name, OUTCOME, grade, comment=f"{name.split()[0]} says so")
    return ws.assessment(a.id)


def test_a_stakeholder_round_is_anonymous_unless_asked_and_a_board_round_named(ws):
    a = eds_assessment(ws, [2] * 11)
    assert rounds.open_round(ws, a.id, STAKEHOLDERS, kind="stakeholder").anonymous
    assert not rounds.open_round(ws, a.id, STAKEHOLDERS, kind="stakeholder", anonymous=False).anonymous
    assert not rounds.open_round(ws, a.id, STAKEHOLDERS).anonymous


def test_grades_1_2_2_give_median_developing_beside_the_organisations_rating(ws, graded):
    found = rounds.stakeholder_grades(ws, graded)
    assert found is not None and found.raters == 3 and found.returned == 3
    (g,) = found.questions  # only what was graded
    assert g.row.ref == OUTCOME and g.row.n == 3 and g.row.median == "developing"
    assert g.row.counts == {"undeveloped": 1, "developing": 2}
    assert g.text == SHOWN and g.rating == "achieving" and g.rating_words == "Achieving"
    # A board round's spread of the same ratings is the same spread: one piece of code.
    assert rounds.latest_spread(ws, graded, rounds.STAKEHOLDER).of(g.row.question_id) == g.row  # type: ignore[union-attr]
    assert rounds.board_spread(ws, graded) is None


@pytest.mark.parametrize(("typed", "median", "counts"), [
    (("1", "2", "2"), "achieving", {"developing": 1, "achieving": 2}),  # digits are EDS scores, as the app's keys
    (("0", "1", "1"), "developing", {"undeveloped": 1, "developing": 2}),
    (("undeveloped", "Developing", "developing"), "developing", {"undeveloped": 1, "developing": 2}),  # keys, labels
])
def test_grades_typed_as_scores_keys_or_labels(ws, typed, median, counts):
    a = eds_assessment(ws, [2] * 11)
    r = rounds.open_round(ws, a.id, STAKEHOLDERS, domains=["2"], kind="stakeholder")
    for (name, _), grade in zip(STAKEHOLDERS, typed, strict=True):
        rounds.rate(ws, r.id, name, OUTCOME, grade)
    (g,) = rounds.stakeholder_grades(ws, a).questions  # type: ignore[union-attr]
    assert g.row.median == median and g.row.counts == counts
    with pytest.raises(InvalidInput, match="'4' is not a level on the EDS 2022 rating scale of 2A, expected one of: 0 undeveloped"):
        rounds.rate(ws, r.id, STAKEHOLDERS[0][0], OUTCOME, "4")


def test_no_rationale_is_asked_when_the_board_rates_away_from_the_stakeholders(ws, graded):
    # Excelling is two levels above the stakeholders' Developing: a board round would ask why; this does not.
    a = ws.answer(graded.id, OUTCOME, rating="excelling", state="agreed")
    assert a.rating == "excelling" and a.rationale == ""
    ws.answer(graded.id, OUTCOME, rating="undeveloped")  # a draft away from the median, agreed with the rest
    assert ws.agree_drafts(graded.id) == [OUTCOME]
    assert rounds.stakeholder_grades(ws, ws.assessment(graded.id)).questions[0].rating_words == "Undeveloped"  # type: ignore[union-attr]


def _documents(ws, assessment, tmp_path) -> tuple[dict[str, str], dict]:
    from pypdf import PdfReader

    from selfassess.reports.data import gather
    from selfassess.reports.export import render
    from selfassess.submission.submit import ALLOWED, submit

    data = gather(ws, assessment)
    pdf = PdfReader(io.BytesIO(render(data, "pdf")[0]))
    texts = {"pdf": " ".join(" ".join(page.extract_text() for page in pdf.pages).split()),
             "md": render(data, "md")[0].decode("utf-8")}
    for fmt in ("docx", "xlsx"):
        with zipfile.ZipFile(io.BytesIO(render(data, fmt)[0])) as z:
            texts[fmt] = "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    ws.sign_off(assessment.id, [("Someone Else", "Chair")], on="2026-11-23")
    done = submit(ws, tmp_path / "trust", assessment.id, tmp_path / "sub.selfassess")
    opened = bundle.open_sealed(done.path.read_bytes(), bundle.SUBMISSION, ALLOWED)
    texts["submission"] = opened.files["submission.json"].decode("utf-8")
    texts["board-report.pdf"] = " ".join(" ".join(p.extract_text() for p in PdfReader(
        io.BytesIO(opened.files["board-report.pdf"])).pages).split())
    return texts, json.loads(texts["submission"])


def test_the_documents_and_submission_show_the_grades_and_never_a_name(ws, graded, tmp_path):
    texts, sub = _documents(ws, graded, tmp_path)
    pdf = texts["pdf"]
    assert "Stakeholders' grades" in pdf and "3 of 3 stakeholders graded 1 question(s)" in pdf
    # One line for the outcome: its ref, the organisation's rating, the stakeholders' median and counts.
    line = pdf[pdf.index("Stakeholders' grades"):]
    assert f"{OUTCOME} " in line and f"Achieving {SHOWN}" in line, line[:600]
    assert SHOWN in texts["board-report.pdf"]
    md = texts["md"]
    assert "### What our stakeholders said" in md
    assert f"| Achieving | {SHOWN} |" in md, md
    assert SHOWN in texts["docx"]
    qid = ws.framework(graded).question(OUTCOME).id
    assert sub["stakeholder_grades"] == [{"question_id": qid, "n": 3, "counts": {"undeveloped": 1, "developing": 2}}]
    assert "board_ratings" not in sub  # a stakeholder round is not the board's
    for name, _ in STAKEHOLDERS:
        for part in name.split():
            for where, body in texts.items():
                assert part not in body, (part, where)


def test_a_submission_whose_stakeholder_grades_do_not_agree_or_name_someone_is_refused(ws, graded):
    from selfassess.submission.submit import prepare

    ws.sign_off(graded.id, [("Someone Else", "Chair")], on="2026-11-23")
    prepared = prepare(ws, graded.id)
    framework = ws.framework(graded)
    good = json.loads(prepared.json_files["submission.json"])
    schema.check_submission(schema.read(schema.SubmissionDoc, good, "submission.json"), framework)
    for change, message in ((lambda b: b.update(n=4), "stakeholder_grades.0: the counts .* do not add up to n"),
                            (lambda b: b["counts"].update(nine=1), "not levels of the question's scale"),
                            (lambda b: b.update(question_id="nope"), "stakeholder_grades.0: 'nope' is not a question of")):
        sub = json.loads(prepared.json_files["submission.json"])
        change(sub["stakeholder_grades"][0])
        with pytest.raises(schema.Malformed, match=message):
            schema.check_submission(schema.read(schema.SubmissionDoc, sub, "submission.json"), framework)
    named = json.loads(prepared.json_files["submission.json"])
    named["stakeholder_grades"][0]["stakeholder"] = "Ottoline Varga"  # a name has no place to go
    with pytest.raises(schema.Malformed, match="Extra inputs are not permitted"):
        schema.read(schema.SubmissionDoc, named, "submission.json")


def test_the_stakeholder_round_from_the_command_line(run, tmp_path, monkeypatch):
    """Packs out, responses in, and show (text and --json) puts the grades beside the organisation's rating."""
    monkeypatch.setenv("SELFASSESS_TODAY", "2026-11-23")
    aid = run("new", "Northgate NHS Trust", "--framework", "eds-2022", "--period", "2025/26").stdout.split()[0]
    assert run("answer", aid, OUTCOME, "--score", "2", "--state", "agreed").exit_code == 0
    raters = [arg for name, role in STAKEHOLDERS for arg in ("--rater", f"{name}|{role}")]
    res = run("round", "open", aid, "--kind", "stakeholder", *raters, "--domain", "2", "--out", tmp_path / "packs")
    assert res.exit_code == 0 and "stakeholder rating round of 3 rater(s), anonymous" in res.stdout, res
    back = tmp_path / "back"
    for i, (pack, grade) in enumerate(zip(sorted((tmp_path / "packs").iterdir()), SCORES, strict=True)):
        assert run("--home", tmp_path / f"s{i}", "rate", pack, "--answer", f"{OUTCOME}={grade}", "--out", back).exit_code == 0
    res = run("round", "import", aid, *sorted(back.iterdir()))
    assert res.exit_code == 0, res
    shown = json.loads(run("show", aid, "--json").stdout)["stakeholder_grades"]
    assert shown["raters"] == 3 and shown["returned"] == 3
    (q,) = shown["questions"]
    assert {k: q[k] for k in ("ref", "rating", "rating_label", "state")} == {
        "ref": OUTCOME, "rating": "achieving", "rating_label": "Achieving", "state": "agreed"}
    assert q["stakeholder"] == {"n": 3, "counts": {"undeveloped": 1, "developing": 2}, "median": "developing",
                                "median_label": "Developing"}
    text = run("show", aid).stdout
    assert OUTCOME in text and "ours: Achieving" in text and f"stakeholders: {SHOWN}" in text, text
    # Away from the stakeholders' median: saved, no rationale asked.
    res = run("answer", aid, OUTCOME, "--score", "3", "--state", "agreed")
    assert res.exit_code == 0 and "Excelling" in res.stdout, res
    everything = run("show", aid, "--json").stdout + run("show", aid).stdout + run("round", "show", aid, "--json").stdout
    for name, _ in STAKEHOLDERS:
        assert name.split()[0] not in everything and name.split()[1] not in everything


def test_a_round_opened_named_says_so(run, tmp_path, monkeypatch):
    monkeypatch.setenv("SELFASSESS_TODAY", "2026-11-23")
    aid = run("new", "Northgate NHS Trust", "--framework", "eds-2022", "--period", "2025/26").stdout.split()[0]
    res = run("round", "open", aid, "--kind", "stakeholder", "--named", "--rater", "A Person|Rep", "--out", tmp_path / "p")
    assert res.exit_code == 0 and "anonymous" not in res.stdout, res
    assert json.loads(run("round", "show", aid, "--json").stdout)["anonymous"] is False

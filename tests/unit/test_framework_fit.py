"""Frameworks that fit the NHS's own: their words in the documents, scores as well as levels,
totals and bands as data, and the validator's refusals of scales that cannot be scored."""

from __future__ import annotations

import textwrap

import pytest

from selfassess.core import framework as fw
from selfassess.core.catalogue import load_catalogue
from selfassess.core.errors import FrameworkError, InvalidInput
from selfassess.reports.annual import draft, title
from selfassess.reports.data import gather
from selfassess.reports.export import render
from tests.conftest import BUNDLED
from tests.helpers import BOARD_ID, open_workspace

SCALE_0_3 = """\
scales:
  - id: eds
    title: EDS rating
    show_scores: true
    levels:
      - {key: undeveloped, label: Undeveloped, score: 0}
      - {key: developing, label: Developing, score: 1}
      - {key: achieving, label: Achieving, score: 2}
      - {key: excelling, label: Excelling, score: 3}
"""


def user_framework(extra: str = "", scales: str = SCALE_0_3, questions: int = 2) -> str:
    qs = "".join(f"""\
      - id: q{i}
        ref: "1.{i}"
        text: Question {i}?
        source: {{document: doc}}
""" for i in range(1, questions + 1))
    return textwrap.dedent("""\
        format: 1
        id: user-fw
        version: "1"
        title: A user framework
        publisher: Tests
        sources:
          - id: doc
            title: A document
        """) + scales + extra + "domains:\n  - id: d1\n    ref: \"1\"\n    title: Domain one\n    questions:\n" + qs


def problems_of(text: str) -> list[str]:
    with pytest.raises(FrameworkError) as info:
        fw.parse(text, "f.yaml")
    return [str(p) for p in info.value.problems]


def workspace_with(tmp_path, text: str):
    folder = tmp_path / "frameworks"
    folder.mkdir(exist_ok=True)
    (folder / "user.yaml").write_text(text, encoding="utf-8")
    return open_workspace(tmp_path / "s", catalogue=load_catalogue(BUNDLED, [folder]))


def document_texts(data) -> dict[str, str]:
    """The words of every document, properties included."""
    import io

    import docx
    import openpyxl
    from pypdf import PdfReader

    pdf = PdfReader(io.BytesIO(render(data, "pdf")[0]))
    word = docx.Document(io.BytesIO(render(data, "docx")[0]))
    book = openpyxl.load_workbook(io.BytesIO(render(data, "xlsx")[0]))
    cells = [str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    return {
        "pdf": "\n".join(page.extract_text() for page in pdf.pages) + str(dict(pdf.metadata or {})),
        "md": render(data, "md")[0].decode(),
        "ics": render(data, "ics")[0].decode(),
        "docx": "\n".join(p.text for p in word.paragraphs) + word.core_properties.title + word.core_properties.subject,
        "xlsx": "\n".join(cells) + (book.properties.subject or "") + (book.properties.title or ""),
    }


# --- framework-led wording ---------------------------------------------------------------------


def test_the_board_framework_keeps_todays_words():
    words = fw.load_file(BUNDLED / "board-health-inequalities.yaml").wording
    assert words.report_title == "Health inequalities: board self-assessment"
    assert words.annual_title == "Health inequalities"
    assert words.annual_opening_for("Northgate") == [
        ("Northgate", True), (" has a legal duty to have regard to the need to reduce inequalities in access to, "
                              "and outcomes from, its services.", False)]


def test_a_framework_without_wording_is_called_by_its_own_title_never_the_bundled_subject(tmp_path):
    store, ws = workspace_with(tmp_path, user_framework())
    try:
        a = ws.new_assessment("Trust", "user-fw", "2025/26").assessment
        data = gather(ws, a)
        assert title(data) == "A user framework (DRAFT for the board)"
        text = " ".join(str(b) for b in draft(data))
        assert "inequalities" not in text.lower() and "legal duty" not in text
        assert "nequalities" not in "\n".join(document_texts(data).values())
    finally:
        store.close()


def test_documents_take_their_titles_and_openings_from_the_framework(tmp_path):
    import io

    from pypdf import PdfReader

    wording = textwrap.dedent("""\
        wording:
          report_title: "Equality Delivery System: our review"
          subject: EDS 2022
          opening: Every NHS provider reviews its equality performance each year.
          annual_title: Equality Delivery System 2022
          annual_opening: "{organisation} reviewed itself with its partners."
        """)
    store, ws = workspace_with(tmp_path, user_framework(wording))
    try:
        a = ws.new_assessment("Northgate NHS Trust", "user-fw", "2025/26").assessment
        data = gather(ws, a)
        md = render(data, "md")[0].decode()
        assert md.splitlines()[0] == "# Equality Delivery System 2022 (DRAFT for the board)"
        assert "Northgate NHS Trust reviewed itself with its partners. This section reports" in md
        pdf = PdfReader(io.BytesIO(render(data, "pdf")[0]))
        first = " ".join(pdf.pages[0].extract_text().split())
        assert "Equality Delivery System: our review" in first
        assert "Every NHS provider reviews its equality performance each year." in " ".join(pdf.pages[1].extract_text().split())
        assert pdf.metadata.title.startswith("DRAFT for the board: Board report: EDS 2022 self-assessment")
        assert b"EDS 2022 action plan" in render(data, "ics")[0]
    finally:
        store.close()


def test_wording_placeholders_other_than_organisation_are_refused():
    found = problems_of(user_framework('wording:\n  annual_opening: "{trust} has a duty."\n  opening: "{organisation}"\n'))
    assert any("wording annual_opening has '{trust}', expected only {organisation}" in p for p in found)
    assert any("wording opening has '{organisation}', expected plain text" in p for p in found)


# --- scores as well as levels --------------------------------------------------------------------


def test_score_zero_is_saved_as_the_lowest_level_and_rating_takes_keys_or_labels(tmp_path):
    store, ws = workspace_with(tmp_path, user_framework())
    try:
        a = ws.new_assessment("Trust", "user-fw", "2025/26").assessment
        assert ws.answer(a.id, "1.1", score="0").rating == "undeveloped"
        assert ws.answer(a.id, "1.1", score=3).rating == "excelling"
        assert ws.answer(a.id, "1.2", rating="Achieving").rating == "achieving"
        assert ws.answer(a.id, "1.2", rating="developing").rating == "developing"
        # '3' on a 0 to 3 scale is never silently the third level (Achieving, score 2).
        with pytest.raises(InvalidInput, match="'3' is not a level of the EDS rating scale.*--score 3"):
            ws.answer(a.id, "1.2", rating="3")
        with pytest.raises(InvalidInput, match="4 is not a score on the EDS rating scale, expected one of: 0 Undeveloped"):
            ws.answer(a.id, "1.2", score=4)
        with pytest.raises(InvalidInput, match="not a number"):
            ws.answer(a.id, "1.2", score="lots")
        assert ws.answer_for(a.id, "q2").rating == "developing"  # refused: nothing changed
        # Documents show the score beside the label where the framework says so.
        rows = {r.ref: r.rating for r in gather(ws, a).answers}
        assert rows == {"1.1": "Excelling (3)", "1.2": "Developing (1)"}
    finally:
        store.close()


def test_the_cli_takes_score_and_says_what_was_saved(tmp_path, run, home):
    folder = home / "frameworks"
    folder.mkdir(parents=True)
    (folder / "user.yaml").write_text(user_framework(), encoding="utf-8")
    res = run("new", "Trust", "--framework", "user-fw", "--period", "2025/26")
    assert res.exit_code == 0, res
    aid = res.stdout.split()[0][:8]
    res = run("answer", aid, "1.1", "--score", "0")
    assert res.exit_code == 0 and res.stdout == "saved 1.1 q1: Undeveloped (score 0)\n", res
    res = run("answer", aid, "1.1", "--rating", "3")
    assert res.exit_code != 0 and "give the level's key or label, or the score with --score 3" in res.stderr
    res = run("answer", aid, "1.1", "--rating", "Excelling", "--score", "3")
    assert res.exit_code != 0


def test_board_numbers_still_pick_levels_as_they_always_have(tmp_path):
    store, ws = open_workspace(tmp_path / "s")
    try:
        a = ws.new_assessment("Trust", BOARD_ID, "2025/26").assessment
        assert ws.answer(a.id, "1.1", rating="3").rating == "established"
        assert ws.answer(a.id, "1.1", score=1).rating == "emerging"
    finally:
        store.close()


def test_digit_keys_are_scores_on_a_scale_from_zero():
    zero = fw.parse(user_framework(), "f.yaml").scale("eds")
    assert zero.by_score and [zero.digit_of(k) for k in zero.level_keys()] == [0, 1, 2, 3]
    assert zero.level_by_digit(0).key == "undeveloped" and zero.level_by_digit(4) is None
    board = fw.load_file(BUNDLED / "board-health-inequalities.yaml").scale("maturity")
    assert not board.by_score and board.level_by_digit(1).key == "emerging" and board.level_by_digit(0) is None


def test_duplicate_scores_and_a_gap_outside_the_scale_are_refused_with_where():
    scales = textwrap.dedent("""\
        scales:
          - id: s
            title: S
            gap_at_or_below: 5
            levels:
              - {key: a, label: A, score: 1}
              - {key: b, label: B, score: 1}
        """)
    found = problems_of(user_framework(scales=scales))
    assert "f.yaml:15:35: level 'b' scores 1, as 'a' does in scale 's', expected each level its own score" in found
    assert "f.yaml:12:22: gap_at_or_below is 5, outside the scale 's' (scores 1 to 1), expected at least 1 and below 1" in found
    below = scales.replace("gap_at_or_below: 5", "gap_at_or_below: 0").replace("score: 1}\n      - {key: b, label: B, score: 1}",
                                                                               "score: 1}\n      - {key: b, label: B, score: 2}")
    assert any("gap_at_or_below is 0, outside the scale 's' (scores 1 to 2)" in p for p in problems_of(user_framework(scales=below)))


# --- EDS 2022: totals and bands ---------------------------------------------------------------

EDS = "eds-2022"


def eds_assessment(ws, scores: list[int], services: tuple[str, ...] = ("Maternity", "Emergency care"),
                   organisation: str = "Northgate NHS Trust", ods_code: str = ""):
    """An EDS 2022 assessment whose eleven outcome scores are these (each service of Domain 1
    given the outcome's score)."""
    a = ws.new_assessment(organisation, EDS, "2025/26", ods_code=ods_code).assessment
    for name in services:
        ws.add_part(a.id, name)
    base = list(ws.pinned_framework(a).questions())
    assert len(base) == 11
    for q, value in zip(base, scores, strict=True):
        if q.domain_id == "eds.services":
            for name in services:
                ws.answer(a.id, q.ref, score=value, part=name)
        else:
            ws.answer(a.id, q.id, score=value)
    return ws.assessment(a.id)


def test_eds_2022_has_three_domains_eleven_outcomes_and_the_0_to_3_scale():
    f = fw.load_file(BUNDLED / "eds-2022.yaml")
    assert [len(d.questions) for d in f.domains] == [4, 4, 3]
    assert [q.ref for q in f.questions()] == ["1A", "1B", "1C", "1D", "2A", "2B", "2C", "2D", "3A", "3B", "3C"]
    scale = f.scale("eds-rating")
    assert [(lv.label, lv.score) for lv in scale.levels] == [
        ("Undeveloped", 0), ("Developing", 1), ("Achieving", 2), ("Excelling", 3)]
    assert f.total is not None and f.total.method == "sum"
    assert [(b.label, b.at_least) for b in f.total.bands] == [
        ("Undeveloped", 0), ("Developing", 8), ("Achieving", 22), ("Excelling", 33)]
    assert all(q.source.document == "nhse-eds-2022" for q in f.questions())
    assert any(s.publisher == "NHS England" and "england.nhs.uk" in s.url for s in f.sources)


@pytest.mark.parametrize(("scores", "value", "band"), [
    ([2] * 11, 22, "Achieving"),
    ([1] * 7 + [0] * 4, 7, "Undeveloped"),
    ([3] * 11, 33, "Excelling"),
    ([3] * 7 + [0] * 3 + [0], 21, "Developing"),
    ([1] * 8 + [0] * 3, 8, "Developing"),
    ([3] * 10 + [2], 32, "Achieving"),
])
def test_eds_2022_scores_add_up_to_the_published_bands(tmp_path, scores, value, band):
    store, ws = open_workspace(tmp_path / "s")
    try:
        a = eds_assessment(ws, scores)
        total = ws.figures(a).total
        assert total is not None
        assert (total.value, total.out_of, total.band) == (value, 33, band)
        assert total.text() == f"EDS 2022 overall score: {value} of 33 ({band})"
    finally:
        store.close()


def test_a_part_total_names_no_band(tmp_path):
    store, ws = open_workspace(tmp_path / "s")
    try:
        a = ws.new_assessment("Trust", EDS, "2025/26").assessment
        ws.answer(a.id, "2A", score=3)
        ws.answer(a.id, "2B", score=2)
        total = ws.figures(a).total
        assert (total.value, total.band, total.answered, total.questions) == (5, None, 2, 11)
        assert total.text() == "EDS 2022 overall score: 5 of 33 so far (2 of 11 answered; a band once all are answered)"
        # All eleven scored but only one service named where two are needed: still no band.
        a = ws.add_part(a.id, "Maternity")
        for ref in ["1A", "1B", "1C", "1D", "2C", "2D", "3A", "3B", "3C"]:
            ws.answer(a.id, ref, score=3, part="Maternity" if ref.startswith("1") else None)
        total = ws.figures(a).total
        assert (total.value, total.band, total.answered) == (32, None, 7)
    finally:
        store.close()


def test_score_zero_on_eds_is_undeveloped_and_show_gives_total_and_band(run):
    res = run("new", "Trust", "--framework", EDS, "--period", "2025/26")
    aid = res.stdout.split()[0][:8]
    res = run("answer", aid, "1A", "--score", "0")
    assert res.exit_code != 0 and "1 Commissioned or provided services is rated per service and none is named" in res.stderr
    res = run("services", aid, "--add", "Maternity", "--add", "Emergency care")
    assert res.exit_code == 0 and "1.2   Commissioned or provided services: Emergency care  (questions 1A.2 to 1D.2)" in res.stdout
    res = run("answer", aid, "1A", "--score", "0", "--service", "maternity")
    assert res.exit_code == 0 and res.stdout == "saved 1A.1 eds.services.access:maternity: Undeveloped (score 0)\n", res
    res = run("answer", aid, "1A", "--score", "0")
    assert res.exit_code != 0 and "1A is rated for each service, expected --service NAME (one of: Maternity, Emergency care)" in res.stderr
    assert run("answer", aid, "1A.2", "--score", "0").exit_code == 0  # a service's own ref
    for ref in ["1B", "1C", "1D"]:
        for service in ["Maternity", "Emergency care"]:
            assert run("answer", aid, ref, "--score", "2", "--service", service).exit_code == 0
    for ref in ["2A", "2B", "2C", "2D", "3A", "3B", "3C"]:
        assert run("answer", aid, ref, "--score", "2").exit_code == 0
    import json

    data = json.loads(run("show", aid, "--json").stdout)
    assert data["band"] == "Developing" and data["total"]["value"] == 20 and data["total"]["out_of"] == 33
    assert data["figures"]["total"] == data["total"]
    text = run("show", aid).stdout
    assert "EDS 2022 overall score: 20 of 33 (Developing)" in text


def test_eds_documents_take_title_opening_and_total_from_the_framework(tmp_path):
    store, ws = open_workspace(tmp_path / "s")
    try:
        data = gather(ws, eds_assessment(ws, [2] * 11))
        texts = {k: " ".join(v.split()) for k, v in document_texts(data).items()}
        assert "Equality Delivery System 2022: our review" in texts["pdf"]
        assert "EDS 2022 overall score: 22 of 33 (Achieving)" in texts["pdf"]
        assert "Achieving (2)" in texts["pdf"]  # scores shown beside the labels, as the framework asks
        assert texts["md"].startswith("# Equality Delivery System 2022 (DRAFT for the board)")
        assert "Northgate NHS Trust reviews its services, workforce and leadership each year" in texts["md"]
        assert "EDS 2022 overall score: 22 of 33 (Achieving). The EDS 2022 overall score is the sum" in texts["md"]
        for name, text in texts.items():
            assert "nequalities: board self-assessment" not in text and "legal duty" not in text, name
    finally:
        store.close()


def test_the_submission_carries_the_total_and_a_wrong_one_is_refused(tmp_path):
    from selfassess.submission.schema import FiguresDoc, SubmissionDoc, expected_figures

    store, ws = open_workspace(tmp_path / "s")
    try:
        a = eds_assessment(ws, [2] * 11)
        sent = ws.figures(a).to_json()
        assert sent["total"]["band"] == "Achieving" and sent["total"]["value"] == 22
        doc = FiguresDoc.model_validate(sent)
        assert doc.total is not None and doc.total.band == "Achieving"
        board = ws.figures(ws.new_assessment("Trust", BOARD_ID, "2025/26").assessment).to_json()
        assert board["total"] is None and FiguresDoc.model_validate({k: v for k, v in board.items() if k != "total"}).total is None
        assert SubmissionDoc and expected_figures  # the submission checks the total as it checks every figure
    finally:
        store.close()


def test_band_thresholds_outside_the_totals_or_out_of_order_are_refused():
    def with_total(bands: str, domains: str = "") -> list[str]:
        return problems_of(user_framework(f"total:\n  method: sum\n{domains}  bands:\n{bands}"))

    found = with_total("    - {label: Low, at_least: 0}\n    - {label: High, at_least: 9}\n")
    assert any("band 'High' starts at 9, outside the totals this framework can give (0 to 6)" in p for p in found), found
    found = with_total("    - {label: Low, at_least: 1}\n")
    assert any("the first band 'Low' starts at 1, above the lowest possible total 0" in p for p in found), found
    found = with_total("    - {label: Low, at_least: 0}\n    - {label: Mid, at_least: 4}\n    - {label: Hi, at_least: 3}\n")
    assert any("band 'Hi' starts at 3, not above the band before it (4), expected bands in rising order" in p for p in found)
    found = with_total("    - {label: Low, at_least: 0}\n", "  domains: [d9]\n")
    assert any("total counts domain 'd9', which is not a domain of this framework" in p for p in found)


# --- repeated parts: Domain 1 per service ----------------------------------------------------------


def test_eds_domain_1_is_held_once_per_service_each_scored_and_rolled_up(tmp_path):
    store, ws = open_workspace(tmp_path / "s")
    try:
        a = ws.new_assessment("Northgate NHS Trust", EDS, "2025/26").assessment
        assert ws.missing_parts(a) == ["1 Commissioned or provided services is rated per service: 2 needed, 0 named"]
        ws.add_part(a.id, "Maternity")
        a = ws.add_part(a.id, "Emergency care")
        with pytest.raises(Exception, match="already named"):
            ws.add_part(a.id, "maternity")
        framework = ws.framework(a)
        assert [(d.ref, d.title) for d in framework.domains] == [
            ("1.1", "Commissioned or provided services: Maternity"),
            ("1.2", "Commissioned or provided services: Emergency care"),
            ("2", "Workforce health and well-being"), ("3", "Inclusive leadership")]
        assert framework.question_count == 4 * 2 + 4 + 3 and framework.content_hash == ws.pinned_framework(a).content_hash
        for ref in ["1A", "1B", "1C", "1D"]:
            ws.answer(a.id, ref, score=3, part="Maternity")
            ws.answer(a.id, ref, score=1, part="Emergency care")
        for ref in ["2A", "2B", "2C", "2D", "3A", "3B", "3C"]:
            ws.answer(a.id, ref, score=2)
        f = ws.figures(a)
        # Each service scored apart; in the total each outcome is their mean (3 and 1 give 2).
        assert [d.percent for d in f.domains[:2]] == [100, 33]
        assert (f.total.value, f.total.band, f.total.answered) == (22, "Achieving", 11)
        assert not ws.blockers(a).missing_parts
        # Answers are keyed by service: the two services' answers to 1A are two answers.
        answers = ws.answers(a.id)
        assert answers["eds.services.access:maternity"].rating == "excelling"
        assert answers["eds.services.access:emergency-care"].rating == "developing"
        # Next year holds the same services, and their answers carry forward with them.
        nxt = ws.new_assessment("", None, "2026/27", from_handle=a.id)
        assert nxt.assessment.parts == {"service": ("Maternity", "Emergency care")}
        assert nxt.answers == 15 and not nxt.orphaned
    finally:
        store.close()


def test_too_few_services_stop_the_assessment_going_to_the_board(tmp_path):
    store, ws = open_workspace(tmp_path / "s")
    try:
        a = eds_assessment(ws, [2] * 11, services=("Maternity",))
        found = ws.blockers(a)
        assert found.blocking(agree_drafts=True)
        assert "rated per service: 2 needed, 1 named" in found.message("ready for board", agree_drafts=True)
        assert ws.figures(a).total.band is None
    finally:
        store.close()


# --- targets ---------------------------------------------------------------------------------------


def test_a_target_per_domain_shows_its_gap_in_show_and_the_board_report(run):
    res = run("new", "Trust", "--framework", BOARD_ID, "--period", "2025/26")
    aid = res.stdout.split()[0][:8]
    for ref in ["1.1", "1.2", "1.3"]:
        run("answer", aid, ref, "--rating", "developing")
    res = run("target", aid, "1", "Established", "--by", "2027-03-31")
    assert res.exit_code == 0 and res.stdout == (
        "1 Leadership and accountability: target Established by 31 March 2027: 1 below\n"), res
    assert run("target", aid, "1", "nonsense", "--by", "2027-03-31").exit_code != 0
    assert run("target", aid, "1", "leading", "--by", "someday").exit_code != 0
    text = run("show", aid).stdout
    assert "      target Established by 31 March 2027: 1 below" in text and "Targets: 0 of 1 met" in text
    import json

    data = json.loads(run("show", aid, "--json").stdout)
    first = data["figures"]["domains"][0]
    assert first["target"] == {"level": "established", "label": "Established", "by": "2027-03-31", "met": False, "gap": 1.0,
                               "missed": False}
    assert data["figures"]["targets"] == {"set": 1, "met": 0, "missed": 0}
    res = run("target", aid, "1", "developing", "--by", "2027-03-31")
    assert res.stdout.endswith("target Developing by 31 March 2027: met\n")
    log = run("audit", "log").stdout
    assert "target for 1 Leadership and accountability: Developing by 2027-03-31" in log


def test_the_regulator_counts_the_trusts_that_meet_their_targets(tmp_path, run, home):
    """Two trusts submit EDS 2022 (Domain 1 per service); one meets its target, one does not."""
    from selfassess.submission import keys, review
    from selfassess.submission.submit import submit

    reg_store, reg = open_workspace(tmp_path / "regulator" / "store")
    try:
        bundles = []
        for name, code, score in [("Northgate NHS Trust", "RNG", 2), ("Southgate NHS Trust", "RSG", 1)]:
            folder = tmp_path / name.split()[0]
            store, ws = open_workspace(folder / "store")
            try:
                a = eds_assessment(ws, [score] * 11, organisation=name, ods_code=code)  # as its key is registered
                ws.set_target(a.id, "3", "achieving", "2026-12-31")
                ws.agree_drafts(a.id)
                a = ws.sign_off(a.id, [("Ann Chair", "Chair")], meeting="Board", on="2026-05-22")
                bundles.append(submit(ws, folder, a.id, tmp_path / f"{code}.selfassess").path)
                keys.register_key(reg, keys.key_fingerprint(keys.load_or_create(folder)), name, code)
            finally:
                store.close()
        r = review.Review(reg, tmp_path / "regulator")
        r.import_bundles(bundles)
        rows = {row.ods_code or row.organisation: row for row in r.compare("eds-2022").rows}
        by_name = {row.organisation: row for row in rows.values()}
        north, south = by_name["Northgate NHS Trust"], by_name["Southgate NHS Trust"]
        assert (north.targets_set, north.targets_met, north.meets_targets) == (1, 1, True)
        assert (south.targets_set, south.targets_met, south.meets_targets) == (1, 0, False)
        # The regulator scores Domain 1 per service, as the trust held it.
        assert north.domains["eds.services:maternity"] == pytest.approx(100 * 2 / 3)
    finally:
        reg_store.close()


def test_the_board_report_lists_each_target_and_its_gap(tmp_path):
    store, ws = open_workspace(tmp_path / "s")
    try:
        a = eds_assessment(ws, [2] * 11)
        ws.set_target(a.id, "2", "excelling", "2027-03-31")
        a = ws.set_target(a.id, "3", "Developing", "2027-03-31")
        pdf = " ".join(document_texts(gather(ws, a))["pdf"].split())
        assert "Targets: 1 of 2 met." in pdf
        assert "Excelling by 31 March 2027: 1 below" in pdf and "Developing by 31 March 2027: met" in pdf
    finally:
        store.close()


# --- crosswalks --------------------------------------------------------------------------------------

CROSSWALK = """\
format: 1
id: a-to-b
title: A to B
from: {framework: user-fw, version: "1"}
to: {framework: board-health-inequalities, version: "2025.1"}
links:
  - from: [q1, q2]
    to: [leadership.executive-lead, leadership.board-committee]
    relation: intersects
  - from: [q1]
    to: [leadership.board-objectives]
    relation: equal
  - from: [q2]
    to: [leadership.board-objectives]
    relation: subset
"""


def test_bundled_crosswalks_load_and_every_link_is_kept_whole():
    from selfassess.core.catalogue import load_catalogue

    cat = load_catalogue(BUNDLED, [])
    walks = {c.id: c for c in cat.crosswalks}
    assert set(walks) == {"board-to-eds-2022", "board-to-what-works"} and not cat.failures
    eds = walks["board-to-eds-2022"]
    many = [x for x in eds.links if len(x.sources) > 1 or len(x.targets) > 1]
    assert any(len(x.sources) == 3 and len(x.targets) == 2 for x in many)  # three to two: one link
    assert len(eds.links) == 7
    back = eds.oriented("eds-2022")
    assert back[0].relation == "superset" and back[0].sources == ("eds.leadership.papers",)


def test_crosswalk_links_many_to_many_are_all_kept_in_a_projection(tmp_path):
    from selfassess.core import crosswalk as cw

    store, ws = workspace_with(tmp_path, user_framework())
    try:
        frameworks = ws.catalogue.frameworks
        walk = cw.parse(CROSSWALK, "a-to-b.yaml", frameworks)
        assert [(x.sources, x.targets) for x in walk.links] == [
            (("q1", "q2"), ("leadership.executive-lead", "leadership.board-committee")),
            (("q1",), ("leadership.board-objectives",)), (("q2",), ("leadership.board-objectives",))]
        a = ws.new_assessment("Trust", "user-fw", "2025/26").assessment
        ws.answer(a.id, "1.1", rating="excelling")
        ws.answer(a.id, "1.2", rating="developing")
        board = ws.catalogue.get(BOARD_ID)
        found = {x.question_id: x for x in cw.project(ws.framework(a), ws.answers(a.id), board, [walk])}
        # Both answers reach both targets of the two-to-two link, and both links reach board-objectives.
        lead = found["leadership.executive-lead"]
        assert [(e.question_id, e.relation) for e in lead.evidence] == [("q1", "intersects"), ("q2", "intersects")]
        assert found["leadership.board-committee"].evidence == lead.evidence
        objectives = found["leadership.board-objectives"]
        assert [(e.question_id, e.relation) for e in objectives.evidence] == [("q1", "equal"), ("q2", "subset")]
        # Excelling (top) and Developing (1 of 3) average 2/3 of the way up: Established on 1-4.
        assert lead.label == "Established" and not lead.equal
        assert found["leadership.board-papers-impact"].level is None
    finally:
        store.close()


def test_a_crosswalk_naming_unknown_questions_is_refused_with_where(tmp_path):
    from selfassess.core import crosswalk as cw

    store, ws = workspace_with(tmp_path, user_framework())
    try:
        bad = CROSSWALK.replace("[q1, q2]", "[q1, q9]").replace("relation: equal", "relation: same")
        with pytest.raises(FrameworkError) as info:
            cw.parse(bad, "x.yaml", ws.catalogue.frameworks)
        found = [str(p) for p in info.value.problems]
        assert any(p.startswith("x.yaml:12:15:") and "relation is 'same', expected one of: equal" in p for p in found), found
        bad = CROSSWALK.replace("[q1, q2]", "[q1, q9]")
        with pytest.raises(FrameworkError) as info:
            cw.parse(bad, "x.yaml", ws.catalogue.frameworks)
        assert [str(p) for p in info.value.problems] == ["x.yaml:7:16: link 1 from 'q9' is not a question of user-fw@1"]
    finally:
        store.close()


def test_project_and_suggested_drafts_never_agreed(run):
    import json

    res = run("new", "Trust", "--framework", BOARD_ID, "--period", "2025/26")
    aid = res.stdout.split()[0][:8]
    run("answer", aid, "1.4", "--rating", "established", "--state", "agreed")  # board papers set out the effect
    run("answer", aid, "4.2", "--rating", "leading")  # unrelated to EDS
    res = run("project", aid, "--to", "eds-2022", "--json")
    assert res.exit_code == 0, res
    data = json.loads(res.stdout)
    by_ref = {s["ref"]: s for s in data["suggestions"]}
    assert by_ref["3B"]["label"] == "Achieving" and by_ref["3B"]["strength"] == "partial"
    assert by_ref["3B"]["from"] == [{"question": "leadership.board-papers-impact", "ref": "1.4", "rating": "Established",
                                     "relation": "subset", "crosswalk": "board-to-eds-2022",
                                     "note": by_ref["3B"]["from"][0]["note"]}]
    assert by_ref["2A"]["suggested_level"] is None
    text = run("project", aid, "--to", "eds-2022").stdout
    assert "3B    Achieving (partial) from 1.4 Established (subset, board-to-eds-2022)" in text
    res = run("new", "Trust", "--framework", "eds-2022", "--period", "2025/26", "--suggest-from", aid)
    assert res.exit_code == 0 and "took 1 suggested answer(s) as drafts to review" in res.stdout, res
    eds = res.stdout.split()[0][:8]
    shown = json.loads(run("show", eds, "--json").stdout)
    assert shown["figures"]["drafts"] == 1 and shown["figures"]["agreed"] == 0


def test_the_published_crosswalk_schema_is_current_and_the_bundled_ones_pass_it():
    import json

    import jsonschema
    import yaml

    from selfassess.core.crosswalk import json_schema_text

    text = (BUNDLED / "crosswalks" / "schema.json").read_text(encoding="utf-8")
    assert text == json_schema_text()
    for path in (BUNDLED / "crosswalks").glob("*.yaml"):
        jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), json.loads(text))


def test_projection_reads_each_services_answers_and_never_an_unreviewed_carried_forward_one(tmp_path):
    from selfassess.core import crosswalk as cw

    store, ws = open_workspace(tmp_path / "store")
    try:
        # EDS Domain 1 is held per service ("1A.1", "1A.2"): the crosswalk names 1A itself, and
        # both services' answers speak for it in the board framework's 3.1.
        a = eds_assessment(ws, [3, 2, 2, 2, 1, 1, 1, 1, 2, 2, 2])
        board = ws.catalogue.get(BOARD_ID)
        found = {x.ref: x for x in cw.project(ws.framework(a), ws.answers(a.id), board, ws.catalogue.crosswalks)}
        assert [e.ref for e in found["3.1"].evidence] == ["1A.1", "1A.2", "1B.1", "1B.2"]
        assert found["3.1"].label is not None
        # A carried-forward answer awaiting review is not this year's view: it suggests nothing.
        last = ws.new_assessment("Northgate NHS Trust", BOARD_ID, "2024/25").assessment
        ws.answer(last.id, "1.4", rating="established", state="agreed")
        ws.answer(last.id, "4.2", rating="leading", state="agreed")
        this = ws.new_assessment("Northgate NHS Trust", BOARD_ID, "2025/26", from_handle=last.id).assessment
        eds = ws.catalogue.get(EDS)
        by_ref = {x.ref: x for x in cw.project(ws.framework(this), ws.answers(this.id), eds, ws.catalogue.crosswalks)}
        assert by_ref["3B"].evidence == () and by_ref["3B"].level is None
        ws.answer(this.id, "1.4", rating="established", state="agreed")  # reviewed: it counts again
        by_ref = {x.ref: x for x in cw.project(ws.framework(this), ws.answers(this.id), eds, ws.catalogue.crosswalks)}
        assert [e.ref for e in by_ref["3B"].evidence] == ["1.4"]
    finally:
        store.close()

"""Every indicator figure reaches the four documents as computed once, suppressed cells stay hidden,
and an indicator without data says 'not reported' with the reason."""

from __future__ import annotations

import csv
import html as html_lib
import random
import re

import docx
import openpyxl
import pytest
from pypdf import PdfReader

from selfassess.core import indicator_data as data
from selfassess.core import indicator_set as iset_mod
from selfassess.core.indicator_stats import ESP_BANDS
from selfassess.core.indicators import interval_text, value_text
from selfassess.reports.data import gather
from selfassess.reports.export import export
from tests.conftest import BUNDLED
from tests.helpers import BOARD_ID, open_workspace

SET_FILE = BUNDLED / "indicators" / "nhse-health-inequalities-information.yaml"
WAIT18, EMERGENCY, CANCER = "elective.waiting-over-18-weeks", "urgent.emergency-admissions-rate", "adults.cancer-early-stage"
HEADER = ["indicator", "period", "dimension", "group", "age_band", "numerator", "denominator"]


def _aggregated_rows() -> list[list[object]]:
    rng = random.Random(7)
    rows: list[list[object]] = []
    # A directly age-standardised rate: counts and populations by quintile, sex and 5-year band.
    cube = {(q, sex, b): (rng.randint(5, 60) * (6 - q), rng.randint(4000, 9000))
            for q in range(1, 6) for sex in ("Female", "Male") for b in range(len(ESP_BANDS))}
    for dim, key in (("deprivation", 0), ("sex", 1)):
        sums: dict[tuple[object, int], list[int]] = {}
        for k, (n, d) in cube.items():
            agg = sums.setdefault((k[key], k[2]), [0, 0])
            agg[0] += n
            agg[1] += d
        for (group, band), (n, d) in sums.items():
            rows.append([EMERGENCY, "2025/26", dim, group, ESP_BANDS[band], n, d])
    # A proportion with a small ethnic group (3 of 20), so disclosure control hides it and one more.
    eth = {"A": (300, 900), "H": (120, 400), "M": (3, 20), "D": (60, 180), "S": (40, 150), "Z": (30, 100), "99": (20, 50)}
    for code, (n, d) in eth.items():
        rows.append([CANCER, "2025/26", "ethnicity", code, "", n, d])
    total_n, total_d = sum(n for n, _ in eth.values()), sum(d for _, d in eth.values())
    split = [(total_n // 5 + (i < total_n % 5), total_d // 5 + (i < total_d % 5)) for i in range(5)]
    for q, (n, d) in enumerate(split, 1):
        rows.append([CANCER, "2025/26", "deprivation", q, "", n - (q - 3) * 20, d])
    return rows


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ind")
    path = tmp / "agg.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(_aggregated_rows())
    store, ws = open_workspace(tmp / "store")
    a = ws.new_assessment("Riverside NHS Trust", BOARD_ID, "2025/26", ods_code="RXX").assessment
    iset = iset_mod.load_file(SET_FILE)
    ws.import_indicators(a.id, iset, data.read_extract(path, iset))
    rd = gather(ws, ws.assessment(a.id))
    store.close()
    out = tmp / "out"
    docs = {fmt: export(rd, fmt, out).path for fmt in ("pdf", "docx", "md", "xlsx")}
    return rd, docs


def _rows_expected(rd):
    for f in rd.indicators:
        if not f.reported:
            continue
        for b in f.breakdowns:
            for g in b.groups:
                yield f, b, g


def test_the_figures_are_what_the_statistics_say(report):
    rd, _ = report
    by_id = {f.id: f for f in rd.indicators}
    cancer = by_id[CANCER]
    eth = cancer.breakdown("ethnicity")
    assert eth.group("Black or Black British").suppressed
    hidden = [g for g in eth.groups if g.suppressed]
    assert len(hidden) >= 2 and all(g.value is None and g.numerator is None for g in hidden)
    assert eth.not_stated == pytest.approx(100 * 150 / 1800)
    emergency = by_id[EMERGENCY]
    assert emergency.indicator.measure == "dsr"
    q1 = emergency.breakdown("deprivation").group("Q1 most deprived")
    assert q1.value is not None and q1.ci_low < q1.value < q1.ci_high
    assert emergency.gap_relative is not None and emergency.gap_relative > 1
    assert not by_id[WAIT18].reported and by_id[WAIT18].reason == "no data imported"


def test_every_figure_is_in_the_annual_report_in_word_and_markdown(report):
    from markdown_it import MarkdownIt

    rd, docs = report
    document = docx.Document(str(docs["docx"]))
    word_rows = {tuple(c.text for c in row.cells) for t in document.tables for row in t.rows}
    html = MarkdownIt("commonmark").enable("table").render(docs["md"].read_text(encoding="utf-8"))
    md_rows = set()
    for tr in re.findall(r"<tr>(.*?)</tr>", html, re.S):
        md_rows.add(tuple(html_lib.unescape(c).strip() for c in re.findall(r"<t[dh]>(.*?)</t[dh]>", tr, re.S)))
    text = html_lib.unescape(re.sub(r"<[^>]+>", "", html))
    for f, b, g in _rows_expected(rd):
        num = "" if g.numerator is None else f"{g.numerator:,}"
        den = "" if g.denominator is None else f"{g.denominator:,}"
        from selfassess.reports.annual import DIMENSION_TITLES

        want = (DIMENSION_TITLES[b.dimension], g.group, value_text(f.indicator, g), interval_text(f.indicator, g), num, den)
        assert want in word_rows, want
        assert want in md_rows, want
    assert "Waiting list share waiting over 18 weeks – no data imported." in text
    assert "Data quality: 8.3% of records have ethnicity not stated or not known, above the 5% threshold" in text


def test_every_figure_is_in_the_board_report_and_the_workbook(report):
    rd, docs = report
    flat = re.sub(r"\s+", " ", "\n".join(p.extract_text() for p in PdfReader(docs["pdf"]).pages))
    assert "Information on health inequalities" in flat
    for f, _b, g in _rows_expected(rd):
        cells = [value_text(f.indicator, g), interval_text(f.indicator, g)]
        if g.numerator is not None:
            cells += [f"{g.numerator:,}", f"{g.denominator:,}"]
        assert " ".join(c for c in cells if c) in flat, cells
    assert "Waiting list share waiting over 18 weeks: no data imported" in flat
    sheet = openpyxl.load_workbook(docs["xlsx"])["Indicator data"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    got = {(r[0], r[4], r[5]): r for r in rows}
    for f, b, g in _rows_expected(rd):
        r = got[(f.id, b.dimension, g.group)]
        assert (r[6], r[7]) == (g.numerator, g.denominator)
        assert r[8] == (None if g.value is None else round(g.value, 1))
        assert r[9] == (None if g.ci_low is None else round(g.ci_low, 1))
        assert r[10] == (None if g.ci_high is None else round(g.ci_high, 1))
        assert r[11] == ("Yes" if g.suppressed else None)
    not_reported = [r for r in rows if r[0] == WAIT18]
    assert len(not_reported) == 1 and "Not reported: no data imported" in not_reported[0][13]


def test_a_provisional_definition_note_ends_one_sentence_never_two_full_stops(report):
    # The set's notes are whole sentences ("... asks about them."); the documents join the notes
    # with "; " and end them with "." themselves, so a note kept its own full stop gave "them..".
    rd, docs = report
    unsure = [f for f in rd.indicators if f.indicator.unsure]
    assert unsure and any(f.indicator.note.endswith(".") for f in unsure)
    for f in rd.indicators:
        for note in f.quality_notes(rd.not_stated_threshold):
            assert not note.endswith("."), note
    md = docs["md"].read_text(encoding="utf-8")
    assert "the definition is provisional" in md and ".." not in md


def test_word_tables_leave_room_for_every_header_word(report):
    # Equal columns broke "Denominator" as "Denominat|or" in the indicator tables: each column now
    # has room for its longest header word (at 9 pt Arial bold, about 0.56 em a letter, plus padding).
    from docx.shared import Pt

    _, docs = report
    document = docx.Document(str(docs["docx"]))
    assert document.tables
    for table in document.tables:
        for cell in table.rows[0].cells:
            longest = max(len(w) for w in re.split(r"[\s-]+", cell.text) if w)  # Word breaks at hyphens too
            assert cell.width is not None and cell.width >= Pt(9) * 0.56 * longest + Pt(9), (cell.text, cell.width)

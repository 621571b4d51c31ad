"""Reports read back: every format holds what the board wrote, hostile text included."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import unicodedata
import zipfile
from datetime import timedelta

import docx
import openpyxl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from selfassess.core.demo import create_demo
from selfassess.reports.data import gather
from selfassess.reports.export import export, render
from tests.helpers import BOARD_ID, TODAY, open_workspace

HOSTILE = {
    "formula": '=HYPERLINK("http://evil.example/","click me")',
    "plus": "+cmd|' /C calc'!A0",
    "at": "@SUM(A1:A9)",
    "minus": "-2+3",
    "tag": "<b>not bold</b> and <i>not italic</i>",
    "amp": "R&D spend; Q&A; &amp; stays as typed",
    "img": '<img src="http://evil.example/x.png"/> <a href="x">link</a>',
    "markdown": "# not a heading\n- not a list\n**not bold** [not a link](http://x) `code`",
    "arabic": "مرحبا بالعالم: الصحة للجميع",
    "welsh": "Ŵyr, ŷd, Llŷr a'r ŵy",
    "polish": "Zażółć gęślą jaźń",
    "emoji": "Great progress 😀👍",
}
CONTROL = "Bell\x07 and escape\x1b[31m in text"
LONG = ("Board minutes record the discussion in full. " * 900)[:40_000]


@pytest.fixture
def hostile(tmp_path):
    store, ws = open_workspace(tmp_path / "s")
    a = ws.new_assessment("Trust <Ŵ&R> 😀", BOARD_ID, "2025/26", ods_code="RXX").assessment
    refs = [q.ref for q in ws.framework(a).questions()]
    for (name, text), ref in zip(HOSTILE.items(), refs, strict=False):
        ws.answer(a.id, ref, rating="1", evidence=text, notes=f"{name}: {text}")
    ws.answer(a.id, refs[len(HOSTILE)], rating="2", evidence=CONTROL, notes=LONG)
    ws.answer(a.id, refs[len(HOSTILE) + 1], na_reason=HOSTILE["formula"])
    for name, text in HOSTILE.items():
        ws.add_action(a.id, [refs[0]], f"{name} {text}", text[:150] or "x", (TODAY + timedelta(days=30)).isoformat(),
                      owner_role=text[:100], description=text)
    data = gather(ws, ws.assessment(a.id))
    yield data
    store.close()


def cells(path) -> dict[str, list[openpyxl.cell.Cell]]:
    wb = openpyxl.load_workbook(path)
    return {ws.title: [c for row in ws.iter_rows() for c in row if c.value is not None] for ws in wb.worksheets}


def test_excel_never_holds_a_live_formula_and_reads_back_exactly(hostile, tmp_path):
    done = export(hostile, "xlsx", tmp_path)
    sheets = cells(done.path)
    assert set(sheets) == {"Action plan", "Summary", "Answers", "Long text"}
    every = [c for cs in sheets.values() for c in cs]
    assert not [c.coordinate for c in every if c.data_type == "f"], "a cell became a formula"
    values = {c.value for c in every if isinstance(c.value, str)}
    for text in HOSTILE.values():
        assert text in values, text
        if text.startswith(("=", "+", "@", "-")):
            cell = next(c for c in every if c.value == text)
            assert cell.data_type == "s" and cell.quotePrefix
    # The control characters are left out, and the export says so, naming the field.
    assert "Bell and escape[31m in text" in values
    assert any("control character(s) (U+0007, U+001B)" in w and "evidence" in w for w in done.warnings)
    # The 40,000-character note: the cell says where the rest is; the Long text sheet holds it whole.
    note_cell = next(c for c in sheets["Answers"] if isinstance(c.value, str) and c.value.startswith("Board minutes"))
    assert len(note_cell.value) <= 32_767 and "continues: full text of 40,000 characters on sheet 'Long text'" in note_cell.value
    parts = [c.value for c in sheets["Long text"] if c.column == 3 and c.row > 1]
    assert "".join(parts) == LONG
    assert any("more than an Excel cell holds" in w for w in done.warnings)


def test_excel_has_a_table_validation_formatting_and_print_setup(hostile, tmp_path):
    done = export(hostile, "xlsx", tmp_path)
    wb = openpyxl.load_workbook(done.path)
    plan = wb["Action plan"]
    assert [c.value for c in plan[1]] == ["Ref", "Domain", "Question", "Action", "Owner", "Role", "Original due",
                                         "Current due", "Status", "RAG", "Slipped (days)", "Last update"]
    assert "ActionPlan" in plan.tables
    assert plan.freeze_panes == "A2"
    assert plan.page_setup.orientation == "landscape" and plan.sheet_properties.pageSetUpPr.fitToPage
    assert plan.print_title_rows == "$1:$1"
    (validation,) = plan.data_validations.dataValidation
    assert validation.type == "list" and "On track" in validation.formula1 and "I2:I" in str(validation.sqref)
    rules = [r for rng in plan.conditional_formatting for r in rng.rules]
    assert any(r.formula and "TODAY()" in r.formula[0] for r in rules)
    assert plan.cell(row=2, column=8).is_date


def test_word_keeps_every_character_and_uses_real_styles(tmp_path):
    store, ws = open_workspace(tmp_path / "s")
    a = ws.new_assessment("Trust", BOARD_ID, "2025/26").assessment
    chosen = [HOSTILE[k] for k in ("formula", "tag", "amp", "img", "markdown", "arabic", "welsh", "emoji")]
    for i, (q, text) in enumerate(zip(ws.framework(a).questions(), chosen, strict=False)):
        ws.answer(a.id, q.id, rating="4" if i % 2 else "1", evidence=text)
        ws.add_action(a.id, [q.id], text, text[:100], "2027-01-31", owner_role=text[:50])
    data = gather(ws, ws.assessment(a.id))
    store.close()
    done = export(data, "docx", tmp_path)
    document = docx.Document(done.path)
    styles = {p.style.name for p in document.paragraphs}
    assert {"Heading 1", "Heading 2", "List Bullet"} <= styles
    assert [p.text for p in document.paragraphs if p.style.name.startswith("Heading")] == [
        "Health inequalities (DRAFT for the board)", "How we assessed ourselves", "Where we stand", "Key actions",
        "Progress since last year"]
    bullets = [p.text for p in document.paragraphs if p.style.name == "List Bullet"]
    assert len(bullets) == 8  # the key actions, each with its owner's role (never the name), exactly as written
    for value in chosen:
        assert any(b.startswith(f"{value} – the {value[:50]}, by 31 January 2027") for b in bullets), value


def test_markdown_escapes_so_text_renders_as_written(hostile, tmp_path):
    from markdown_it import MarkdownIt

    done = export(hostile, "md", tmp_path)
    md = done.path.read_text(encoding="utf-8")
    assert not re.search(r"(?<!\\)<", md), "an unescaped '<' could become HTML"
    assert "\\<b\\>not bold\\</b\\>" in md and "R\\&D spend" in md
    # Rendered by a CommonMark parser: user text is text, never a tag, link, image, heading or list.
    html = MarkdownIt("commonmark").enable("table").render(md)
    assert "<img" not in html and "<a " not in html and "<b>" not in html
    assert "&lt;b&gt;not bold&lt;/b&gt;" in html
    assert "&lt;img src=&quot;http://evil.example/x.png&quot;/&gt;" in html
    assert "<h1>not a heading" not in html and "<li>not a list" not in html and "<strong>not bold" not in html
    assert html.count("<h1>") == 1 and html.count("<h2>") == 4 and "<table>" in html
    # And reads back exactly: every key action title, and the trust's name, as typed.
    import html as html_lib

    shown = html_lib.unescape(re.sub(r"<br\s*/?>\n?", "\n", re.sub(r"<(?!br)[^>]+>", "", html)))
    for action in [a for a in hostile.actions if a.status not in ("done", "dropped")][:8]:
        assert action.title in shown, action.title
    assert "Trust <Ŵ&R> 😀" in shown


def _pdf_text(path) -> str:
    reader = PdfReader(path)
    return "\n".join(page.extract_text() for page in reader.pages)


def test_pdf_shows_hostile_text_as_text_and_loses_no_glyph_silently(hostile, tmp_path):
    done = export(hostile, "pdf", tmp_path)
    text = _pdf_text(done.path)
    flat = re.sub(r"\s+", " ", text)
    for name in ("tag", "amp", "img", "welsh", "polish"):
        words = HOSTILE[name].split()[:3]
        assert " ".join(words) in flat, name
    assert "Zażółć gęślą jaźń" in flat
    assert "=HYPERLINK(" in flat
    # Arabic is shaped for display: its letters are present as Arabic presentation forms.
    shaped = unicodedata.normalize("NFKC", flat)
    assert "مرحبا" in shaped or "ابحرم" in shaped
    # The emoji the board wrote are drawn (a fallback font has them), not dropped or boxed.
    assert HOSTILE["emoji"] in flat and "Trust <Ŵ&R> 😀" in flat
    # Fonts are embedded, and no character silently vanished.
    fonts = {str(f) for page in PdfReader(done.path).pages
             for f in (page.get("/Resources", {}).get("/Font", {}) or {}).values()}
    assert fonts
    assert not [w for w in done.warnings if "no glyph" in w]
    assert any("control character(s)" in w for w in done.warnings)
    # The long note flows across pages instead of being cut.
    assert flat.count("Board minutes record the discussion in full.") >= 880


def test_pdf_is_byte_identical_for_identical_input(hostile):
    first, _ = render(hostile, "pdf")
    second, _ = render(hostile, "pdf")
    assert first == second


def test_pdf_reports_a_character_no_font_can_draw(tmp_path):
    store, ws = open_workspace(tmp_path / "s")
    a = ws.new_assessment("Trust", BOARD_ID, "2025/26").assessment
    ws.answer(a.id, "1.1", rating="2", evidence="Klingon \uf8d0 and Linear B \U00010000")
    data = gather(ws, ws.assessment(a.id))
    store.close()
    _, warnings = render(data, "pdf")
    assert any("answer 1.1 evidence" in w and "U+F8D0" in w and "shown as their code points" in w for w in warnings)


def test_demo_exports_read_back(tmp_path):
    store, ws = open_workspace(tmp_path / "s")
    _, current = create_demo(ws)
    data = gather(ws, ws.assessment(current.id))
    store.close()
    text = _pdf_text(export(data, "pdf", tmp_path).path)
    assert "Riverside Valley Hospitals NHS Foundation Trust" in text
    assert "Executive summary" in text and "Findings by domain" in text and "Action plan" in text
    assert "Appendix: every answer" in text and "Page 1 of" in text
    plan = openpyxl.load_workbook(export(data, "xlsx", tmp_path).path)["Action plan"]
    assert plan.max_row - 1 == len(data.actions)
    overdue = [r for r in plan.iter_rows(min_row=2, values_only=True) if r[9] == "Red"]
    assert len(overdue) >= 3


TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(evidence=TEXT, title=TEXT.map(lambda t: t.replace("\x00", "")).filter(lambda t: t.strip()),
       owner=TEXT.map(lambda t: t.replace("\x00", "")).filter(lambda t: t.strip()))  # NUL is refused on entry
@example(evidence="\u0590", title="0", owner="0")  # an unassigned right-to-left code point once stopped the PDF
def test_any_text_exports_in_every_format(tmp_path_factory, evidence, title, owner):
    folder = tmp_path_factory.mktemp("h")
    store, ws = open_workspace(folder / "s")
    try:
        a = ws.new_assessment("Trust", BOARD_ID, "2025/26").assessment
        ws.answer(a.id, "1.1", rating="1", evidence=evidence.replace("\x00", ""), notes=evidence.replace("\x00", ""))
        ws.add_action(a.id, ["1.1"], title.replace("\x00", ""), owner.replace("\x00", ""), "2027-01-31")
        data = gather(ws, ws.assessment(a.id))
    finally:
        store.close()
    for fmt in ("xlsx", "pdf", "docx", "md"):
        content, warnings = render(data, fmt)
        assert content
        if fmt == "xlsx":
            wb = openpyxl.load_workbook(io.BytesIO(content))
            assert not [c for ws_ in wb.worksheets for row in ws_.iter_rows() for c in row if c.data_type == "f"]
        if fmt == "docx":
            assert zipfile.ZipFile(io.BytesIO(content)).testzip() is None
            docx.Document(io.BytesIO(content))
        if fmt == "pdf":
            assert len(PdfReader(io.BytesIO(content)).pages) >= 4


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice is not installed here (Debian: libreoffice-calc-nogui, libreoffice-writer-nogui)")
@pytest.mark.parametrize("fmt", ["xlsx", "docx"])
def test_libreoffice_opens_the_documents_without_repair(hostile, tmp_path, fmt):
    done = export(hostile, fmt, tmp_path)
    out = tmp_path / "converted"
    result = subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo-profile",
                             "--convert-to", "pdf", "--outdir", str(out), str(done.path)],
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    pdf = out / (done.path.stem + ".pdf")
    assert pdf.exists() and pdf.stat().st_size > 1000
    assert "repair" not in (result.stdout + result.stderr).lower()
    assert len(PdfReader(pdf).pages) >= 1


def test_a_very_long_progress_note_is_shortened_in_the_pdf_table_and_says_so(tmp_path):
    store, ws = open_workspace(tmp_path / "s")
    a = ws.new_assessment("Trust", BOARD_ID, "2025/26").assessment
    action = ws.add_action(a.id, ["1.1"], "Write a remit", "Priya Raman", "2027-01-31")
    ws.update_action(action.id, note="Minutes of the steering group. " * 3000)
    data = gather(ws, ws.assessment(a.id))
    store.close()
    content, warnings = render(data, "pdf")
    assert any(w.startswith("action A01 last update: 92,999 characters, shortened in the board report") for w in warnings)
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert "Write a remit" in text and "Minutes of the steering group." in text
    xlsx, _ = render(data, "xlsx")
    assert "Long text" in openpyxl.load_workbook(io.BytesIO(xlsx)).sheetnames  # the workbook keeps it whole


def test_right_to_left_text_over_several_lines_keeps_its_lines_in_order():
    from reportlab.lib.units import cm

    from selfassess.reports.pdf import BODY, _Text
    from selfassess.reports.safe_text import Cleaner

    sentence = "مرحبا بالعالم الصحة للجميع في كل مكان وكل يوم من أيام السنة"
    lines = _Text(Cleaner("PDF"))._visual_lines(sentence, BODY, 8, 3 * cm)
    assert len(lines) > 1
    # Each line is drawn right to left; read back (reversed), the lines follow the sentence in order.
    read = " ".join(unicodedata.normalize("NFKC", line)[::-1].strip() for line in lines)
    assert read == sentence


def test_text_drawn_twice_is_noted_once(tmp_path):
    store, ws = open_workspace(tmp_path / "s")
    try:
        a = ws.new_assessment("Trust", BOARD_ID, "2025/26").assessment
        ws.answer(a.id, "1.1", rating="1", evidence="北京 office")  # drawn in the findings and in the appendix
        data = gather(ws, ws.assessment(a.id))
    finally:
        store.close()
    _, notes = render(data, "pdf")
    assert len([n for n in notes if n.startswith("answer 1.1 evidence")]) == 1


def test_a_bidi_override_never_makes_a_document_show_other_words_than_were_typed(tmp_path):
    # U+202E (RIGHT-TO-LEFT OVERRIDE) before "stressed" draws it as "desserts"; the documents leave the
    # override out, say so, and keep real right-to-left text (Hebrew) as it is.
    from pypdf import PdfReader

    store, ws = open_workspace(tmp_path / "s")
    try:
        a = ws.new_assessment("Trust", BOARD_ID, "2025/26", ods_code="RXX").assessment
        ws.answer(a.id, "1.1", rating="1", evidence="Signed \u202estressed\u202c minutes and \u05e9\u05dc\u05d5\u05dd")
        data = gather(ws, ws.assessment(a.id))
    finally:
        store.close()
    done = export(data, "pdf", tmp_path)
    text = "".join(page.extract_text() for page in PdfReader(str(done.path)).pages)
    assert "stressed" in text and "desserts" not in text
    assert any("bidi override(s) (U+202E)" in w and "evidence" in w for w in done.warnings)
    # The workbook holds every answer (the annual-report section quotes none back).
    book = openpyxl.load_workbook(export(data, "xlsx", tmp_path).path)
    values = [c.value for sheet in book.worksheets for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert "Signed stressed\u202c minutes and \u05e9\u05dc\u05d5\u05dd" in values  # a lone POP DIRECTIONAL FORMATTING reorders nothing
    assert not [v for v in values if "\u202e" in v]


def test_the_summary_sheets_facts_sit_beside_their_labels(tmp_path):
    # The facts wrap over several lines, top-aligned; a label left at the bottom of its row read
    # as the label of the next fact. Points for challenge are sentences: never ".;" between them.
    store, ws = open_workspace(tmp_path / "s")
    try:
        create_demo(ws)
        current = next(a for a in ws.assessments() if a.status == "in_progress")
        data = gather(ws, current)
    finally:
        store.close()
    assert len(data.challenges) >= 2
    summary = openpyxl.load_workbook(export(data, "xlsx", tmp_path).path)["Summary"]
    rows = {r: (summary.cell(row=r, column=1), summary.cell(row=r, column=2)) for r in range(1, summary.max_row + 1)
            if summary.cell(row=r, column=1).value in ("Trust", "Framework", "Status", "Overall", "Points for challenge")}
    assert len(rows) == 5
    for label, fact in rows.values():
        assert label.alignment.vertical == fact.alignment.vertical == "top", label.value
    challenges = next(f for lab, f in rows.values() if lab.value == "Points for challenge").value
    assert ".;" not in challenges and challenges.count(".") >= 2


def test_a_signed_off_years_documents_say_which_actions_a_later_year_carries_on(tmp_path):
    # The board signed last year's plan whole; once next year carries its open actions on, last
    # year's documents list only what stayed, and must say the rest went on (never a smaller plan).
    store, ws = open_workspace(tmp_path / "s")
    try:
        create_demo(ws)
        last = next(a for a in ws.assessments() if a.status == "signed_off")
        current = next(a for a in ws.assessments() if a.status == "in_progress")
        carried = len(ws.actions(last.id, history=False)) - len(ws.live_actions(last.id))
        data = gather(ws, last)
        now = gather(ws, current)
    finally:
        store.close()
    assert carried > 0 and data.carried_on == carried and now.carried_on == 0
    said = f"{carried} more actions were carried forward into {current.period} and are tracked there."
    assert said in " ".join(_pdf_text(export(data, "pdf", tmp_path).path).split())
    assert said in render(data, "md")[0].decode().replace("\\", "")
    assert said in " ".join(p.text for p in docx.Document(export(data, "docx", tmp_path).path).paragraphs)
    summary = openpyxl.load_workbook(export(data, "xlsx", tmp_path).path)["Summary"]
    assert any(said in str(c.value) for row in summary.iter_rows() for c in row)
    assert "carried forward into" not in render(now, "md")[0].decode()


@settings(max_examples=200, deadline=None)
@given(text=st.text(st.sampled_from([*"ab (\\)<&>", " ", "\t", "\r", "\n", "é", "😀"]), max_size=20))
def test_a_word_run_is_written_as_python_docx_writes_it(text):
    """The Word writer adds runs and cells without python-docx's setters: the XML must be theirs."""
    from lxml import etree

    from selfassess.reports import docx as word

    doc = docx.Document()
    ours, theirs = doc.add_paragraph(), doc.add_paragraph()
    word._add_run(ours._p, text)
    theirs.add_run(text)
    assert etree.tostring(ours._p) == etree.tostring(theirs._p)
    table = doc.add_table(rows=1, cols=2)
    word._cell_text(table._tbl.tr_lst[0].tc_lst[0], text)
    table.rows[0].cells[1].text = text
    first, second = table._tbl.tr_lst[0].tc_lst
    assert etree.tostring(first) == etree.tostring(second)


@pytest.mark.parametrize("fmt", ["xlsx", "pdf", "docx", "md"])
def test_a_document_is_built_with_the_collector_paused_and_its_cycles_freed_as_it_ends(hostile, fmt, monkeypatch):
    """A document is tens of thousands of objects alive until it is written: the cyclic collector is
    off while it is built (its passes found nothing and cost a fifth of the export), back on after,
    with what the document left in cycles already freed; a collector start-up turned off stays off."""
    import gc
    import weakref

    from selfassess import collector
    from selfassess.reports import export as export_module

    real = export_module.renderer(fmt)
    seen: list[bool] = []
    left: list[weakref.ref] = []

    class Cell:  # as a workbook's cell points at its sheet, and the sheet at its cells
        pass

    def writer(data):
        seen.append(gc.isenabled())
        cell = Cell()
        cell.me = cell
        left.append(weakref.ref(cell))
        return real(data)

    monkeypatch.setattr(export_module, "renderer", lambda _: writer)
    assert gc.isenabled()
    content, _ = render(hostile, fmt)
    assert content and seen == [False] and gc.isenabled()
    assert left[0]() is None  # freed as the document ended, not at some later allocation
    collector.pause()  # a checkpoint's copy alive: the export ending does not turn the collector on
    try:
        render(hostile, fmt)
        assert seen == [False, False] and not gc.isenabled()
    finally:
        collector.resume()
    assert gc.isenabled()
    gc.disable()  # as start-up does until the first paint
    try:
        render(hostile, fmt)
        assert seen == [False, False, False] and not gc.isenabled()
    finally:
        gc.enable()

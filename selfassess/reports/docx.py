"""The annual-report section as a Word document with real headings, list and table styles,
so it can be edited and pasted into the annual report."""

from __future__ import annotations

import copy
import io
import re
from typing import Any

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Emu, Pt, RGBColor

from .annual import Bullets, Heading, Para, TableBlock, draft
from .data import ReportData
from .safe_text import Cleaner


def _fill(paragraph: Any, p: Para, cleaner: Cleaner, where: str) -> None:
    for text, _ in p.parts:
        _add_run(paragraph._p, cleaner.clean(text, where))


def _add_run(p: Any, text: str) -> Any:
    """paragraph.add_run(text) on a w:p: python-docx first empties the new run, an XPath query each time
    (most of the time of the section); a new run has nothing to empty."""
    r = p.add_r()
    for piece in _BREAK.split(text):  # as python-docx appends it: a tab a w:tab, a line break a w:br
        if piece == "\t":
            r.add_tab()
        elif piece in ("\r", "\n"):
            r.add_br()
        elif piece:
            r.add_t(piece)
    return r


_BREAK = re.compile(r"([\t\r\n])")


_TCPR, _TCW, _TYPE, _W = qn("w:tcPr"), qn("w:tcW"), qn("w:type"), qn("w:w")


def _cell_text(tc: Any, text: str) -> None:
    """cell.text = text: everything but the cell's properties replaced by one paragraph of one run
    (as python-docx does it, without its XPath queries)."""
    for child in list(tc):
        if child.tag != _TCPR:
            tc.remove(child)
    _add_run(tc.add_p(), text)


class _Styles:
    """Paragraph style ids looked up once: python-docx finds a style by name by scanning every
    style in the document, on every paragraph (a third of the time of the whole section)."""

    def __init__(self, doc: Any):
        self.doc = doc
        self.ids: dict[str, str] = {}

    def paragraph(self, style: str, text: str | None = None) -> Any:
        """doc.add_paragraph(text, style), with the style id remembered."""
        if style not in self.ids:
            self.ids[style] = self.doc.styles[style].style_id
        paragraph = self.doc.add_paragraph()
        if text:
            _add_run(paragraph._p, text)
        paragraph._p.style = self.ids[style]
        return paragraph

    def heading(self, text: str, level: int) -> Any:
        """doc.add_heading(text, level)."""
        return self.paragraph("Title" if level == 0 else f"Heading {level}", text)


TABLE_PT = 9  # six columns of figures fit a page at 9 pt; at 11 pt the words alone filled it
WIDE_TABLE_PT = 8  # more columns than six (the domain table with a column per answer state)


def table_pt(block: TableBlock) -> int:
    return TABLE_PT if len(block.header) <= 6 else WIDE_TABLE_PT


def _longest_word(text: str) -> int:
    """Letters in the longest run a line cannot break inside (Word breaks at spaces and hyphens)."""
    return max((len(w) for w in re.split(r"[\s-]+", text) if w), default=1)


def column_widths(block: TableBlock, usable: int) -> list[int]:
    """Widths in EMU: first room for each column's longest header word at TABLE_PT bold (a header never
    breaks inside a word: 'Denominat|or' with equal columns), then the rest shared by how much
    each column holds, up to 30 characters."""
    letter = Pt(table_pt(block)) * 0.56  # the average bold Arial letter, in em (Denominator: 6.17 em)
    # Room for each column's longest header word, and for its longest word in the rows up to 12
    # letters ('Established', '(provisional)'): a short word is never broken across lines.
    least = [int(letter * (max(_longest_word(title),
                               min(max((_longest_word(row[i]) for row in block.rows), default=1), 12)) + 3))
             for i, title in enumerate(block.header)]
    if sum(least) >= usable:  # more than a page can hold: in proportion to what each needs
        return [int(usable * x / sum(least)) for x in least]
    want = [min(max((len(row[i]) for row in block.rows), default=0), 30) + 1 for i in range(len(block.header))]
    spare = usable - sum(least)
    return [x + int(spare * w / sum(want)) for x, w in zip(least, want, strict=True)]


def _size_columns(doc: Any, table: Any, block: TableBlock) -> None:
    section = doc.sections[-1]
    usable = int(section.page_width - section.left_margin - section.right_margin)
    table.autofit = False
    cells = table._cells  # the grid once: column.cells builds all of it for each column
    n = len(block.header)
    size: Any = None  # the first run's w:rPr, copied into the rest: python-docx takes long to make one
    for i, (column, width) in enumerate(zip(table.columns, column_widths(block, usable), strict=True)):
        first: Any = None
        for cell in cells[i::n]:  # Word reads each cell's width, LibreOffice the grid's
            tcw = None if first is None else cell._tc.find(f"{_TCPR}/{_TCW}")
            if tcw is None:
                cell.width = Emu(width)
                first = cell._tc.find(f"{_TCPR}/{_TCW}")
            else:  # the attributes python-docx wrote for the column's first cell, in its order
                tcw.set(_TYPE, first.get(_TYPE))
                tcw.set(_W, first.get(_W))
            for p in cell._tc.p_lst:
                for r in p.r_lst:
                    if size is None or r.rPr is not None:
                        r.get_or_add_rPr().sz_val = Pt(table_pt(block))
                        size = r.rPr if size is None else size
                    else:
                        r.insert(0, copy.deepcopy(size))
        column.width = Emu(width)


def write_annual_docx(data: ReportData) -> tuple[bytes, list[str]]:
    cleaner = Cleaner("Word")
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(11)
    styles = _Styles(doc)
    if data.is_draft:  # every page says it, not only the first: a page may be copied on its own
        header = doc.sections[0].header.paragraphs[0]
        run = header.add_run("DRAFT for the board: not yet signed off")
        run.bold = True
        run.font.size = Pt(9)
        run.font.color.rgb = RGBColor(0xC0, 0x00, 0x00)
    for i, block in enumerate(draft(data)):
        where = f"annual report paragraph {i + 1}"
        if isinstance(block, Heading):
            styles.heading(block.text, block.level)
        elif isinstance(block, Para):
            _fill(doc.add_paragraph(), block, cleaner, where)
        elif isinstance(block, Bullets):
            for item in block.items:
                _fill(styles.paragraph("List Bullet"), item, cleaner, where)
        elif isinstance(block, TableBlock):
            table = doc.add_table(rows=1, cols=len(block.header))
            table.style = "Light Grid Accent 1"
            for tc, title in zip(table._tbl.tr_lst[0].tc_lst, block.header, strict=True):
                _cell_text(tc, title)
            # The first row as python-docx adds it, the rest copies of it as it was new (python-docx parses
            # each new cell from its text); a new row's cells are its w:tc elements (nothing is merged).
            tr = fresh = None
            for row in block.rows:
                if tr is None:
                    tr = table.add_row()._tr
                    fresh = copy.deepcopy(tr)
                else:
                    tr.addnext(copy.deepcopy(fresh))
                    tr = tr.getnext()
                for tc, value in zip(tr.tc_lst, row, strict=True):
                    _cell_text(tc, cleaner.clean(value, where))
            _size_columns(doc, table, block)
            doc.add_paragraph()
    # Real properties: the trust as author, dates from the last change (python-docx's template
    # says 2013 otherwise), so identical input gives an identical file.
    core = doc.core_properties
    org = cleaner.clean(data.organisation, "organisation")
    core.title = (("DRAFT for the board: " if data.is_draft else "") + f"{data.wording.annual_title} {data.period}: {org}")[:250]
    core.author = core.last_modified_by = org[:250]
    core.subject = f"Annual report section on {data.wording.subject}"[:250]
    core.language = "en-GB"
    core.comments = ""
    stamp = data.last_changed.replace(tzinfo=None)
    core.created = core.modified = stamp
    core.last_printed = stamp
    core.revision = 1
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue(), cleaner.warnings

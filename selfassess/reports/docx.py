"""The annual-report section as a Word document with real headings, list and table styles,
so it can be edited and pasted into the annual report."""

from __future__ import annotations

import io
from typing import Any

from docx import Document
from docx.shared import Pt

from .annual import Bullets, Heading, Para, TableBlock, draft
from .data import ReportData
from .safe_text import Cleaner


def _fill(paragraph: Any, p: Para, cleaner: Cleaner, where: str) -> None:
    for text, _ in p.parts:
        paragraph.add_run(cleaner.clean(text, where))


def write_annual_docx(data: ReportData) -> tuple[bytes, list[str]]:
    cleaner = Cleaner("Word")
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(11)
    for i, block in enumerate(draft(data)):
        where = f"annual report paragraph {i + 1}"
        if isinstance(block, Heading):
            doc.add_heading(block.text, level=block.level)
        elif isinstance(block, Para):
            _fill(doc.add_paragraph(), block, cleaner, where)
        elif isinstance(block, Bullets):
            for item in block.items:
                _fill(doc.add_paragraph(style="List Bullet"), item, cleaner, where)
        elif isinstance(block, TableBlock):
            table = doc.add_table(rows=1, cols=len(block.header))
            table.style = "Light Grid Accent 1"
            for cell, title in zip(table.rows[0].cells, block.header, strict=True):
                cell.text = title
            for row in block.rows:
                cells = table.add_row().cells
                for cell, value in zip(cells, row, strict=True):
                    cell.text = cleaner.clean(value, where)
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

"""The annual-report section as Markdown. Every piece of text is escaped, so nothing a user
wrote can become formatting, a link or HTML."""

from __future__ import annotations

from .annual import Bullets, Heading, Para, TableBlock, draft
from .data import ReportData
from .safe_text import Cleaner, markdown_cell, markdown_escape


def _para(p: Para, cleaner: Cleaner, where: str) -> str:
    # Escaped as one paragraph, so a line start inside user text is seen as the line start it is.
    return markdown_escape("".join(cleaner.clean(text, where) for text, _ in p.parts))


def write_annual_markdown(data: ReportData) -> tuple[bytes, list[str]]:
    cleaner = Cleaner("Markdown")
    out: list[str] = []
    for i, block in enumerate(draft(data)):
        where = f"annual report paragraph {i + 1}"
        if isinstance(block, Heading):
            out.append(f"{'#' * block.level} {markdown_escape(block.text)}")
        elif isinstance(block, Para):
            out.append(_para(block, cleaner, where))
        elif isinstance(block, Bullets):
            out.append("\n".join(f"- {_para(item, cleaner, where)}" for item in block.items))
        elif isinstance(block, TableBlock):
            cells = [block.header, *block.rows]
            lines = ["| " + " | ".join(markdown_cell(cleaner.clean(c, where)) or " " for c in row) + " |"
                     for row in cells]
            lines.insert(1, "|" + "|".join(" --- " for _ in block.header) + "|")
            out.append("\n".join(lines))
    return ("\n\n".join(out) + "\n").encode("utf-8"), cleaner.warnings

"""The action-plan workbook as printed: no two values run together ('67%provisional', '23 Dec
2026Not started'), every sheet landscape and one page wide with its header row repeated, and
every printed page of a draft says it is a draft.

LibreOffice ignores the indent of a right-aligned cell, so text cells carry a left indent: that is
the gap between a right-aligned figure and the text beside it (checked by eye in the PDF that
`libreoffice --headless --convert-to pdf` makes of the demo's workbook).
"""

from __future__ import annotations

import io

import openpyxl
import pytest

from selfassess.core.demo import create_demo
from selfassess.reports.data import gather
from selfassess.reports.export import render
from tests.helpers import open_workspace


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    store, ws = open_workspace(tmp_path_factory.mktemp("demo") / "s")
    last, current = create_demo(ws)
    out = {name: openpyxl.load_workbook(io.BytesIO(render(gather(ws, a), "xlsx")[0]))
           for name, a in (("draft", current), ("signed", last))}
    store.close()
    return out


def left_text(cell) -> bool:
    """Text a right-aligned figure beside it cannot run into: left-aligned, indented."""
    a = cell.alignment
    return a.horizontal == "left" and (a.indent or 0) >= 1


def test_no_figure_runs_into_the_text_beside_it(books):
    for wb in books.values():
        for sheet in wb.worksheets:
            for row in sheet.iter_rows(min_row=2):
                for left, right in zip(row, row[1:], strict=False):
                    if left.value is None or right.value is None:
                        continue
                    figure = isinstance(left.value, int | float) or left.is_date
                    if figure and isinstance(right.value, str):
                        assert left.alignment.horizontal == "right", (sheet.title, left.coordinate)
                        assert left_text(right), (sheet.title, right.coordinate, left.value, right.value)
    summary = books["draft"]["Summary"]
    provisional = [r for r in summary.iter_rows(min_row=2) if r[9].value == "provisional"]
    assert provisional and all(r[8].number_format == "0%" and left_text(r[9]) for r in provisional)
    plan = books["draft"]["Action plan"]
    assert all(left_text(r[8]) and r[7].alignment.horizontal == "right" for r in plan.iter_rows(min_row=2))


def test_every_sheet_prints_landscape_one_page_wide_with_its_header_row_and_draft_mark(books):
    for name, wb in books.items():
        for sheet in wb.worksheets:
            setup = sheet.page_setup
            assert (setup.orientation, setup.fitToWidth, setup.fitToHeight) == ("landscape", 1, 0), sheet.title
            assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.print_title_rows == "$1:$1"
            assert sheet.page_margins.left <= 0.5 and sheet.page_margins.right <= 0.5
            assert sheet.oddHeader.center.text.startswith("DRAFT for the board") == (name == "draft"), sheet.title
            assert "&P of &N" in sheet.oddFooter.center.text
            assert all(c.font.name == "Calibri" for c in sheet[1])  # not the serif LibreOffice prints unnamed bold in
    # Fitted to one landscape page wide, the plan's columns add up to a width that still prints legibly
    # (about two thirds of full size on A4 with these margins; it was half).
    plan = books["draft"]["Action plan"]
    assert sum(d.width for d in plan.column_dimensions.values()) <= 240

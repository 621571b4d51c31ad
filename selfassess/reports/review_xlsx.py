"""The regulator's comparison of trusts, as an Excel workbook for their own papers.

Here with the other documents, so every Excel file is written (and cleaned of formula-like text)
the same way; the review service hands over its rows and calls it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from .safe_text import Cleaner


class ComparedTrust(Protocol):
    """One row of the comparison (the review service's TrustRow)."""

    @property
    def organisation(self) -> str: ...
    @property
    def ods_code(self) -> str: ...
    @property
    def period(self) -> str: ...
    @property
    def overall(self) -> float | None: ...
    @property
    def completeness(self) -> float: ...
    @property
    def domains(self) -> Mapping[str, float | None]: ...
    @property
    def open_actions(self) -> int: ...
    @property
    def overdue(self) -> int: ...
    @property
    def slipped(self) -> int: ...
    @property
    def queried(self) -> int: ...


def _fraction(percent: float | None) -> float | None:
    return None if percent is None else round(percent / 100, 4)


def _lay_out(ws: Any, n_rows: int, n_domains: int) -> None:
    """Widths from headers and content (domain names wrap on up to three lines, never inside a
    word), the header frozen and repeated, landscape A4 one page wide, and a red-to-green colour
    scale across the domain scores."""
    from openpyxl.formatting.rule import ColorScaleRule
    from openpyxl.utils import get_column_letter

    from .xlsx import fit_columns, print_landscape

    fit_columns(ws, {1: 60}, header_lines=3)  # trust names whole: the longest run to about 60 characters
    if n_domains:
        first, last = get_column_letter(6), get_column_letter(5 + n_domains)
        ws.conditional_formatting.add(f"{first}2:{last}{max(n_rows, 1) + 1}", ColorScaleRule(
            start_type="num", start_value=0, start_color="F8696B", mid_type="num", mid_value=0.5,
            mid_color="FFEB84", end_type="num", end_value=1, end_color="63BE7B"))
    print_landscape(ws)


def comparison_workbook(domain_titles: list[str], domain_ids: list[str], rows: Sequence[ComparedTrust]) -> bytes:
    """The comparison as a workbook for the regulator's own papers."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.table import Table, TableStyleInfo

    cleaner = Cleaner("Excel")
    wb = Workbook()
    ws = wb.active
    ws.title = "Trusts by domain"
    header = ["Trust", "ODS", "Period", "Overall", "Completeness", *[cleaner.clean(t, "domain title") for t in domain_titles],
              "Open actions", "Overdue", "Slipped", "Queried"]
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in rows:
        ws.append([cleaner.clean(r.organisation, "trust"), r.ods_code, r.period,
                   None if r.overall is None else round(r.overall / 100, 4), round(r.completeness, 4),
                   *[_fraction(r.domains.get(d)) for d in domain_ids],
                   r.open_actions, r.overdue, r.slipped, r.queried])
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"
        for cell in row[3:5 + len(domain_ids)]:
            cell.number_format = "0%"
    ws.freeze_panes = "B2"
    table = Table(displayName="Trusts", ref=f"A1:{ws.cell(row=1, column=len(header)).column_letter}{max(len(rows), 1) + 1}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    ws.add_table(table)
    _lay_out(ws, len(rows), len(domain_ids))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

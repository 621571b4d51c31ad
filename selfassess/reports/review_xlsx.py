"""The regulator's comparison of trusts, as an Excel workbook for their own papers.

Here with the other documents, so every Excel file is written (and cleaned of formula-like text)
the same way; the review service hands over its rows and calls it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

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
    header = ["Trust", "ODS", "Period", "Overall", "Completeness", *domain_titles, "Open actions", "Overdue", "Slipped", "Queried"]
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
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

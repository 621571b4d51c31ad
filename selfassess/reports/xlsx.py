"""The action plan as an Excel workbook: the plan, a summary by domain, and every answer.

User text is always written as text (never a live formula), control characters Excel cannot
hold are left out and reported, and text longer than a cell holds is never cut silently: the
cell says where the rest is, and the 'Long text' sheet holds it in full.
"""

from __future__ import annotations

import io
import math
from datetime import UTC, date
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from ..core.figures import DomainFigures, Figures, score_text, state_meanings, whole_percent
from ..core.indicators import GroupFigure
from ..core.model import ACTION_STATUSES, AGREED, ANSWER_STATES, DRAFT, NEEDS_REVIEW
from .data import ReportData
from .safe_text import Cleaner, looks_like_formula

CELL_LIMIT = 32_767
CHUNK = 32_000
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
HEADER_FONT = Font(name="Calibri", bold=True, color="FFFFFF")  # the body's font: unnamed, LibreOffice prints a serif
BOLD_FONT = Font(name="Calibri", bold=True)
# Text is indented from the left: a right-aligned number or date beside it never runs into it
# ('67%provisional', '23 Dec 2026Not started'). LibreOffice ignores the indent of right-aligned cells.
WRAP = Alignment(wrap_text=True, vertical="top", horizontal="left", indent=1)  # an indent needs a side
RIGHT = Alignment(wrap_text=True, vertical="top", horizontal="right", indent=1)
MAX_WIDTH = 60  # characters: wider text wraps
FILTER_BUTTON = 3  # characters the table's filter button takes beside a header
RAG_FILLS = {"Red": "F4B6B6", "Amber": "FFE08A", "Green": "B7E1A1", "Complete": "BDD7EE", "Dropped": "D9D9D9"}


class _Writer:
    def __init__(self, cleaner: Cleaner):
        self.cleaner = cleaner
        self.long_rows: list[tuple[str, str]] = []  # (where, full text)
        self.texts: dict[tuple[str, int], list[tuple[int, str]]] = {}  # (sheet, row) -> (column, text) wrapped
        self._styles: dict[tuple[str, bool, bool], StyleArray] = {}

    def style(self, cell: Cell, number_format: str = "General", quote: bool = False, right: bool = False) -> None:
        """Top-aligned, wrapped, with a number format: styles are built once and copied, because
        openpyxl hashes a style object on every assignment (most of the time of a large export)."""
        key = (number_format, quote, right)
        saved = self._styles.get(key)
        if saved is None:
            cell.alignment = RIGHT if right else WRAP
            cell.number_format = number_format
            cell.quotePrefix = quote
            self._styles[key] = StyleArray(cell._style)
        else:
            cell._style = StyleArray(saved)  # a copy: a cell's style is its own

    def value(self, ws: Worksheet, row: int, col: int, value: object, number_format: str = "General") -> Cell:
        """A value of our own (a ref, a date, a number): top-aligned like the text beside it."""
        cell = _cell(ws, row, col, value)
        # Numbers and dates right-aligned in their own cells, as a reader of figures expects.
        self.style(cell, number_format, right=isinstance(value, int | float | date))
        return cell

    def fit_rows(self, ws: Worksheet) -> None:
        """Set row heights for wrapped text, from the final column widths: not every spreadsheet
        program grows rows on opening."""
        widths: dict[int, float] = {}
        for (title, row), texts in self.texts.items():
            if title != ws.title:
                continue
            for col, _ in texts:
                if col not in widths:
                    widths[col] = ws.column_dimensions[get_column_letter(col)].width or 10
            lines = max(_lines(value, widths[col]) for col, value in texts)
            if lines > 1:
                ws.row_dimensions[row].height = min(409, 13 * lines + 2)

    def text(self, ws: Worksheet, row: int, col: int, value: str | None, where: str) -> None:
        """Write user text as text: never a formula, never cut without saying where the rest is."""
        value = self.cleaner.clean(value, where)
        cell = _cell(ws, row, col)
        if len(value) > CELL_LIMIT:
            self.long_rows.append((where, value))
            first_row = 2 + sum((len(t) + CHUNK - 1) // CHUNK for _, t in self.long_rows[:-1])
            marker = f" [continues: full text of {len(value):,} characters on sheet 'Long text' from row {first_row}]"
            value = value[: CELL_LIMIT - len(marker)] + marker
            self.cleaner.note(f"{where}: {len(value):,} characters is more than an Excel cell holds ({CELL_LIMIT:,}); "
                              f"the cell shows the start and the sheet 'Long text' holds it in full")
        # Text, even when it starts with '=': set as it is, since openpyxl's checks would find nothing (the
        # cleaner has left out every character it refuses, and the length is within CELL_LIMIT).
        cell._value = value
        cell.data_type = "s"
        # quotePrefix: and Excel keeps it text when someone edits the cell
        self.style(cell, "@" if looks_like_formula(value) else "General", looks_like_formula(value))
        self.texts.setdefault((ws.title, row), []).append((col, value))


def _cell(ws: Worksheet, row: int, col: int, value: object = None) -> Cell:
    """ws.cell(row, col, value) for a cell not yet made, without its lookups: a workbook has thousands."""
    cell = Cell(ws, row=row, column=col, value=value)
    ws._cells[row, col] = cell
    if row > ws._current_row:
        ws._current_row = row
    return cell


def _lines(value: str, width: float) -> int:
    chars = max(int(width * 1.1), 5)
    if "\n" not in value:  # most cells: one paragraph
        return max(1, -(-len(value) // chars))
    return sum(max(1, -(-len(part) // chars)) for part in str(value).split("\n"))


def wrap_words(text: str, chars: int) -> list[str]:
    """Greedy word wrap at spaces, never inside a word (as a spreadsheet wraps a header)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= chars:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def header_width(title: str, lines: int = 1) -> float:
    """Columns a bold header needs in at most `lines` lines, never broken inside a word, with
    the filter button beside it."""
    chars = max((len(w) for w in title.split()), default=1)
    while len(wrap_words(title, chars)) > lines:
        chars += 1
    return math.ceil((chars * 1.15 + 2 + FILTER_BUTTON) * 10) / 10


def fit_columns(ws: Worksheet, caps: dict[int, int] | None = None, header_lines: int = 1) -> None:
    """Every column wide enough for its header (in header_lines lines at most) and for its
    content up to a cap (wider content wraps): nothing is clipped and no number runs into the
    next cell."""
    caps = caps or {}
    longest_of: dict[int, int] = {}
    # The cells written, not iter_cols: that makes an empty cell for every gap, and reads them all.
    for (row, col), cell in ws._cells.items():
        value = cell.value
        if row == 1 or value is None:
            continue
        if isinstance(value, date):
            longest = 11
        else:
            text = str(value)
            longest = len(text) if "\n" not in text else max(map(len, text.split("\n")))
        if longest > longest_of.get(col, 0):
            longest_of[col] = longest
    for i in range(1, ws.max_column + 1):
        header = str(ws._cells[1, i].value or "") if (1, i) in ws._cells else ""
        longest = longest_of.get(i, 0)
        cap = caps.get(i, MAX_WIDTH)
        ws.column_dimensions[get_column_letter(i)].width = max(header_width(header, header_lines),
                                                               min(longest + 3, cap), 6)  # and the indent
    if header_lines > 1:
        for cell in ws[1]:
            cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal=cell.alignment.horizontal,
                                       indent=cell.alignment.indent)
        ws.row_dimensions[1].height = 15 * header_lines


def _header(ws: Worksheet, titles: list[str], numbers: tuple[int, ...] = ()) -> None:
    """The header row; the columns in `numbers` hold figures, so their headers sit right, over them."""
    for i, title in enumerate(titles, start=1):
        cell = ws.cell(row=1, column=i, value=title)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(wrap_text=False, vertical="center", horizontal="right" if i in numbers else "left",
                                   indent=0 if i in numbers else 1)
    ws.freeze_panes = "A2"
    print_landscape(ws)
    ws.print_options.gridLines = False


def print_landscape(ws: Worksheet) -> None:
    """Printed as board papers are: A4 landscape, one page wide, the header row on every page."""
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    # Narrow margins: fitted to one page wide, every centimetre of paper makes the print larger.
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.page_margins.header = ws.page_margins.footer = 0.25


def _table(ws: Worksheet, name: str, columns: int, rows: int) -> None:
    ref = f"A1:{get_column_letter(columns)}{max(rows, 1) + 1}"
    table = Table(displayName=name, ref=ref)
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    # The columns named from the header, as openpyxl would name them on saving, without it reading every cell.
    table._initialise_columns()
    for column in table.tableColumns:
        column.name = str(ws._cells[1, column.id].value)
    ws.add_table(table)


def write_action_plan(data: ReportData) -> tuple[bytes, list[str]]:
    cleaner = Cleaner("Excel")
    w = _Writer(cleaner)
    wb = Workbook()
    plan = wb.active
    plan.title = "Action plan"
    titles = ["Ref", "Domain", "Question", "Action", "Owner", "Role", "Original due", "Current due", "Status", "RAG",
              "Slipped (days)", "Last update"]
    _header(plan, titles, numbers=(7, 8, 11))
    for r, a in enumerate(data.actions, start=2):
        where = f"action {a.ref}"
        w.value(plan, r, 1, a.ref)
        w.text(plan, r, 2, a.domain_title, f"{where} domain")
        w.text(plan, r, 3, f"{a.question_refs} {a.question}".strip(), f"{where} question")
        w.text(plan, r, 4, a.title + (f"\n{a.description}" if a.description else ""), f"{where} title")
        w.text(plan, r, 5, a.owner, f"{where} owner")
        w.text(plan, r, 6, a.owner_role, f"{where} role")
        w.value(plan, r, 7, a.original_due, "dd mmm yyyy")
        w.value(plan, r, 8, a.current_due, "dd mmm yyyy")
        w.value(plan, r, 9, a.status_label)
        w.value(plan, r, 10, a.rag)
        w.value(plan, r, 11, a.slippage_days)
        update = f"{a.last_update_date}: {a.last_update}" if a.last_update else ""
        w.text(plan, r, 12, update, f"{where} last update")
    n = len(data.actions)
    last = n + 1
    _table(plan, "ActionPlan", len(titles), n)
    statuses = DataValidation(type="list", formula1='"' + ",".join(ACTION_STATUSES.values()) + '"', allow_blank=False,
                              showErrorMessage=True, errorTitle="Status",
                              error="Choose a status from the list: " + ", ".join(ACTION_STATUSES.values()))
    plan.add_data_validation(statuses)
    statuses.add(f"I2:I{max(last, 2)}")
    for rag, colour in RAG_FILLS.items():
        plan.conditional_formatting.add(f"J2:J{max(last, 2)}", CellIsRule(operator="equal", formula=[f'"{rag}"'],
                                                                           fill=PatternFill("solid", fgColor=colour)))
    # Overdue: the current due date is past and the action is not closed. Live in Excel, so it
    # stays right when the workbook is opened next month.
    plan.conditional_formatting.add(
        f"H2:H{max(last, 2)}",
        FormulaRule(formula=['AND(H2<TODAY(),I2<>"Done",I2<>"Dropped")'], fill=PatternFill("solid", fgColor="F4B6B6"),
                    font=Font(bold=True, color="9C0006")))
    plan.conditional_formatting.add(f"K2:K{max(last, 2)}", CellIsRule(operator="greaterThan", formula=["0"],
                                                                       font=Font(bold=True, color="9C5700")))
    org = cleaner.clean(data.organisation, "organisation").replace("\n", " ")
    running = header_text(("DRAFT for the board, not yet signed off · " if data.is_draft else "")
                          + f"{org[:150]}: action plan {data.period}")

    summary = wb.create_sheet("Summary")
    f = data.figures
    # Each answer state its own column, counted as `selfassess show` counts them.
    states = [label for label, _ in f.state_counts()]
    s_titles = ["Ref", "Domain", "Questions", *states, "Completeness", "Score", "Provisional",
                "Level", f"Score {data.previous_period}" if data.previous_period else "Previous score", "Change (points)"]
    _header(summary, s_titles, numbers=(3, 4, 5, 6, 7, 8, 9, 12, 13))
    score_col = 4 + len(states) + 1

    def whole(r: int, col: int, percent: int | None) -> None:
        # The whole percent every document shows (half up), not the raw fraction Excel would round itself.
        if percent is not None:
            w.value(summary, r, col, percent / 100, "0%")

    def counts(r: int, x: DomainFigures | Figures) -> None:
        w.value(summary, r, 3, x.questions)
        for i, (_, n) in enumerate(x.state_counts()):
            w.value(summary, r, 4 + i, n)

    for r, d in enumerate(f.domains, start=2):
        w.value(summary, r, 1, d.ref)
        w.text(summary, r, 2, d.title, f"domain {d.ref} title")
        counts(r, d)
        whole(r, score_col - 1, whole_percent(100 * d.answered / d.questions) if d.questions else 100)
        whole(r, score_col, d.percent)
        w.value(summary, r, score_col + 1, "provisional" if d.provisional else "")
        w.value(summary, r, score_col + 2, d.level or "")
        whole(r, score_col + 3, d.previous_percent)
        if d.change is not None:
            w.value(summary, r, score_col + 4, d.change, "+0;-0;0")
    total_row = len(f.domains) + 2
    summary.cell(row=total_row, column=2, value="Overall").font = BOLD_FONT
    counts(total_row, f)
    whole(total_row, score_col - 1, f.completeness)
    whole(total_row, score_col, f.percent)
    w.value(summary, total_row, score_col + 1, "provisional" if f.provisional else "")
    whole(total_row, score_col + 3, f.previous_percent)
    if f.change is not None:
        w.value(summary, total_row, score_col + 4, f.change, "+0;-0;0")
    _table(summary, "DomainSummary", len(s_titles), len(f.domains))
    info = total_row + 2
    assurance = ", ".join(f"{n} {label.lower()}" for label, n in f.assurance)
    for i, (label, fact) in enumerate([
        ("Trust", data.organisation), ("Period", data.period),
        ("Framework", f"{data.framework_title} ({data.framework_id}@{data.framework_version})"),
        ("Framework hash", data.framework_hash),
        ("Status", data.status + (": DRAFT for the board, not yet signed off" if data.is_draft else "")),
        ("Exported", data.generated_on.isoformat()),
        ("Overall", f"{score_text(f.percent, f.provisional)} ({f.answered} of {f.questions} answered this year"
                    + (f"; {f.awaiting_review} carried forward, awaiting review" if f.awaiting_review else "")
                    + (f"; {f.drafts} draft" if f.drafts else "") + ")"),
        ("Answers by state", f.states_text()),
        ("Key to the states", "; ".join(f"{label}: {words}" for label, words in state_meanings(not data.is_draft))),
        ("Assurance", f"of {f.rated} rated answers: {assurance}" if f.rated else "no rated answers yet"),
        ("Actions", f"{f.actions_total} in the plan: {f.actions_open} open, {f.actions_overdue} overdue, "
                    f"{f.actions_slipped} slipped, {f.actions_done} done"
                    + (f". {data.carried_on_text}" if data.carried_on else "")),
        ("Points for challenge", " ".join(c.message for c in data.challenges) or "none"),  # each a sentence
    ]):
        key = summary.cell(row=info + i, column=1, value=label)
        key.font = BOLD_FONT
        key.alignment = WRAP  # at the top, beside the first line of its value (bottom read as the next row's)
        w.text(summary, info + i, 2, fact, f"summary {label.lower()}")

    answers = wb.create_sheet("Answers")
    a_titles = ["Ref", "Domain", "Question", "Rating", "N/A reason", "Evidence", "Notes", "Assurance", "State",
                "Updated by", "Updated"]
    _header(answers, a_titles)
    for r, ans in enumerate(data.answers, start=2):
        where = f"answer {ans.ref}"
        w.value(answers, r, 1, ans.ref)
        w.text(answers, r, 2, ans.domain_title, f"{where} domain")
        w.text(answers, r, 3, ans.question, f"{where} question")
        w.value(answers, r, 4, ans.rating)
        w.text(answers, r, 5, ans.na_reason, f"{where} N/A reason")
        w.text(answers, r, 6, ans.evidence, f"{where} evidence")
        w.text(answers, r, 7, ans.notes, f"{where} notes")
        w.value(answers, r, 8, ans.assurance)
        w.value(answers, r, 9, ans.state)
        w.text(answers, r, 10, ans.updated_by, f"{where} updated by")
        w.value(answers, r, 11, ans.updated_at)
    _table(answers, "Answers", len(a_titles), len(data.answers))
    # Each answer's state in the colours of the board report's state chart: agreed, draft, carried forward.
    for label, colour in ((ANSWER_STATES[AGREED], "C6E0CC"), (ANSWER_STATES[DRAFT], "FBE3A6"),
                          (ANSWER_STATES[NEEDS_REVIEW], "DDE3EA")):
        answers.conditional_formatting.add(f"I2:I{max(len(data.answers) + 1, 2)}", CellIsRule(
            operator="equal", formula=[f'"{label}"'], fill=PatternFill("solid", fgColor=colour)))

    indicators = _indicator_sheet(wb, w, data) if data.indicators else None

    if w.long_rows:
        longs = wb.create_sheet("Long text")
        _header(longs, ["Field", "Part", "Text"])
        row = 2
        for where, text in w.long_rows:
            parts = [text[i:i + CHUNK] for i in range(0, len(text), CHUNK)]
            for n, part in enumerate(parts, start=1):
                longs.cell(row=row, column=1, value=where)
                longs.cell(row=row, column=2, value=f"{n} of {len(parts)}")
                cell = longs.cell(row=row, column=3, value=part)
                cell.data_type = "s"
                w.style(cell, "@" if looks_like_formula(part) else "General", looks_like_formula(part))
                row += 1

    # Printed one landscape page wide: narrower text columns (it wraps) and two-line headers keep
    # the print large enough to read.
    fit_columns(plan, {1: 8, 2: 20, 3: 34, 4: 36, 5: 18, 6: 20, 9: 13, 12: 36}, header_lines=2)
    fit_columns(summary, {1: 24, 2: 45, 11: 16}, header_lines=2)  # the labels under the table are whole in column A
    fit_columns(answers, {2: 24, 3: 44, 5: 30, 6: 44, 7: 36, 9: 18, 10: 18, 11: 22}, header_lines=2)
    if w.long_rows:
        fit_columns(wb["Long text"], {1: 40, 3: 120})
    if indicators is not None:
        fit_columns(indicators, {2: 40, 14: 60})
    for sheet in (plan, summary, answers, *([indicators] if indicators is not None else [])):
        w.fit_rows(sheet)
    for sheet in wb.worksheets:  # every printed page says whose plan it is and, until sign-off, that it is a draft
        sheet.oddHeader.center.text = running
        sheet.oddFooter.center.text = f"{sheet.title[:30]}: page &P of &N"
    props = wb.properties
    props.title = (("DRAFT for the board: " if data.is_draft else "") + f"Action plan {data.period}: {org}")[:250]
    props.creator = props.lastModifiedBy = org[:250]
    props.subject = f"{data.subject_title} action plan"
    props.language = "en-GB"
    # The dates of the last change, not of the export: openpyxl's save() would stamp the clock.
    props.created = props.modified = data.last_changed.astimezone(UTC).replace(tzinfo=None)
    out = io.BytesIO()
    with ZipFile(out, "w", ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).save()
    return out.getvalue(), cleaner.warnings


def _indicator_sheet(wb: Workbook, w: _Writer, data: ReportData) -> Worksheet:
    """Indicator data: one row per indicator, breakdown and group, figures as numbers (one decimal, as the
    documents show them); suppressed groups say so and show no figures; indicators without data say why."""
    sheet = wb.create_sheet("Indicator data")
    titles = ["Indicator", "Title", "Period", "Measure", "Breakdown", "Group", "Numerator", "Denominator", "Value",
              "95% CI low", "95% CI high", "Suppressed", "Not stated or known %", "Notes"]
    _header(sheet, titles)
    row = 2
    for f in data.indicators:
        ind = f.indicator
        notes = "; ".join(f.quality_notes(data.not_stated_threshold))
        groups: list[tuple[str, GroupFigure | None, float | None]] = ([("All", f.total, None)] if f.total else []) + [
            (b.dimension, g, b.not_stated) for b in f.breakdowns for g in b.groups]
        if not f.reported:
            notes = f"Not reported: {f.reason}" + (f"; {notes}" if notes else "")
        if not groups:
            groups = [("", None, None)]
        for dimension, g, not_stated in groups:
            where = f"indicator {ind.id}"
            w.value(sheet, row, 1, ind.id)
            w.text(sheet, row, 2, ind.title, f"{where} title")
            w.value(sheet, row, 3, f.period or "")
            w.value(sheet, row, 4, ind.measure_label)
            w.value(sheet, row, 5, dimension)
            if g is not None:
                w.text(sheet, row, 6, g.group, f"{where} group")
                for col, count in ((7, g.numerator), (8, g.denominator)):
                    if count is not None:
                        w.value(sheet, row, col, count, "#,##0")
                for col, number in ((9, g.value), (10, g.ci_low), (11, g.ci_high)):
                    if number is not None:
                        w.value(sheet, row, col, round(number, 1), "0.0")
                w.value(sheet, row, 12, "Yes" if g.suppressed else "")
            if not_stated is not None:
                w.value(sheet, row, 13, round(not_stated, 1), "0.0")
            w.text(sheet, row, 14, notes if dimension in ("All", "") else "", f"{where} notes")
            row += 1
    _table(sheet, "IndicatorData", len(titles), row - 2)
    return sheet


def header_text(text: str) -> str:
    """Text for a print header or footer: '&' starts a code there (&P page, &"font"), so it is
    doubled; control characters are already cleaned; 255 characters at most in all."""
    return text.replace("&", "&&")[:240]


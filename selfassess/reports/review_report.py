"""The regulator's review report for a regional committee (PDF): organisations by domain as a
heat map, how each domain spreads, the organisations with most slipped or queried actions, and
what changed since last year.

Plain data in (ReviewReportData, built by the regulator's service), bytes out; user text (trust
names) goes through the same cleaning, escaping and font checks as the board report.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import cm
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from ..core.figures import percent_text
from ..core.stats import five_numbers
from .pdf import BODY, BOLD, GREY, LIGHT, NAVY, PdfText, styles
from .safe_text import Cleaner

PAGE = landscape(A4)
MARGIN = 1.5 * cm
WIDTH = PAGE[0] - 2 * MARGIN


@dataclass(frozen=True)
class OrganisationRow:
    name: str
    ods_code: str
    group: str  # its ICB or region, or "" when not in the groupings
    period: str
    overall: float | None
    domains: tuple[float | None, ...]  # in the order of ReviewReportData.domains
    slipped: int
    queried: int
    overdue: int
    previous_period: str | None
    previous_overall: float | None


@dataclass(frozen=True)
class ReviewReportData:
    title: str
    framework_title: str
    as_of: str  # a long date
    by: str  # "region", "icb" or "trust"
    domains: tuple[str, ...]  # "1 Leadership and accountability", ...
    organisations: tuple[OrganisationRow, ...]
    ungrouped: tuple[str, ...]


def _colour(value: float | None) -> colors.Color:
    """Red (0%) through amber (50%) to green (100%), pale enough for black text on it."""
    if value is None:
        return colors.HexColor("#F2F2F2")
    v = max(0.0, min(100.0, value)) / 100
    red, amber, green = (0.96, 0.71, 0.71), (1.0, 0.88, 0.54), (0.72, 0.88, 0.63)
    a, b, t = (red, amber, v * 2) if v < 0.5 else (amber, green, (v - 0.5) * 2)
    return colors.Color(*(x + (y - x) * t for x, y in zip(a, b, strict=True)))


def _distribution(data: ReviewReportData, labels: list[str]) -> Drawing:
    """One row per domain: the range (whisker), the middle half (box) and the median (bar)."""
    row_h, left, right = 22, 200, 30
    d = Drawing(WIDTH, row_h * (len(data.domains) + 1) + 10)
    span = WIDTH - left - right
    top = d.height - 14
    for tick in range(0, 101, 25):
        x = left + span * tick / 100
        d.add(Line(x, 4, x, top + 6, strokeColor=colors.HexColor("#D9D9D9"), strokeWidth=0.5))
        d.add(String(x, top + 8, f"{tick}%", fontName=BODY, fontSize=7, fillColor=GREY, textAnchor="middle"))
    for i, label in enumerate(labels):
        y = top - (i + 1) * row_h + 6
        d.add(String(0, y + 3, label, fontName=BODY, fontSize=8))
        values = [v for o in data.organisations if (v := o.domains[i]) is not None]
        if not values:
            d.add(String(left, y + 3, "no scores", fontName=BODY, fontSize=7.5, fillColor=GREY))
            continue
        lo, q1, med, q3, hi = (left + span * v / 100 for v in five_numbers(values))
        d.add(Line(lo, y + 6, hi, y + 6, strokeColor=GREY, strokeWidth=1))
        d.add(Rect(q1, y, max(q3 - q1, 1.5), 12, fillColor=colors.HexColor("#BDD7EE"), strokeColor=NAVY, strokeWidth=0.6))
        d.add(Line(med, y - 1, med, y + 13, strokeColor=NAVY, strokeWidth=2))
        d.add(String(hi + 4, y + 3, f"n={len(values)}", fontName=BODY, fontSize=7, fillColor=GREY))
    return d


def write_review_report(data: ReviewReportData) -> tuple[bytes, list[str]]:
    """The review report as PDF bytes, and what could not be drawn (named)."""
    cleaner = Cleaner("PDF")
    t = PdfText(cleaner)
    st = styles()
    labels = [t.plain(d, "domain title") for d in data.domains]
    story: list[Any] = [
        Paragraph(t(data.title, "title", bold=True), st["title"]),
        Paragraph(t(f"{data.framework_title} · latest submission of each organisation, as at {data.as_of}", "subtitle"),
                  st["subtitle"]),
        Paragraph(f"{len(data.organisations)} organisation(s)"
                  + (f", grouped by {'ICB' if data.by == 'icb' else data.by}" if data.by != "trust" else "")
                  + ". Scores are each organisation's own assessment of itself, as signed off by its board.", st["body"]),
    ]
    if data.ungrouped:
        story.append(Paragraph(t("Not in the groupings (shown under 'Not grouped'): " + ", ".join(data.ungrouped),
                                 "ungrouped"), st["small"]))

    # Heat map: organisations (by group) against domains.
    story.append(Paragraph("Organisations by domain", st["h1"]))
    short = [label.split(" ", 1)[0] for label in labels]
    header = ["Organisation", "Period", "All", *short]
    name_w, period_w = 7.5 * cm, 1.6 * cm
    cell_w = (WIDTH - name_w - period_w) / (len(short) + 1)
    rows: list[list[Any]] = [header]
    style = [("FONT", (0, 0), (-1, 0), BOLD, 8), ("FONT", (0, 1), (-1, -1), BODY, 8),
             ("BACKGROUND", (0, 0), (-1, 0), LIGHT), ("ALIGN", (2, 0), (-1, -1), "CENTER"),
             ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("GRID", (0, 0), (-1, -1), 0.4, colors.white),
             ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]
    groups: dict[str, list[OrganisationRow]] = {}
    for o in data.organisations:
        groups.setdefault(o.group or ("" if data.by == "trust" else "Not grouped"), []).append(o)
    for group in sorted(groups, key=lambda g: (g == "Not grouped", g.lower())):
        if group:
            rows.append([Paragraph(t(group, "group", bold=True), st["cell"])] + [""] * (len(header) - 1))
            style += [("SPAN", (0, len(rows) - 1), (-1, len(rows) - 1)),
                      ("BACKGROUND", (0, len(rows) - 1), (-1, len(rows) - 1), colors.HexColor("#DEEAF6"))]
        for o in sorted(groups[group], key=lambda o: o.name.lower()):
            r = len(rows)
            rows.append([Paragraph(t(o.name, "organisation"), st["cell"]), o.period, percent_text(o.overall),
                         *[percent_text(v) for v in o.domains]])
            for c, v in enumerate([o.overall, *o.domains], start=2):
                style.append(("BACKGROUND", (c, r), (c, r), _colour(v)))
    table = Table(rows, colWidths=[name_w, period_w] + [cell_w] * (len(short) + 1), repeatRows=1)
    table.setStyle(TableStyle(style))
    story += [table, Spacer(1, 4),
              Paragraph("Colour: red 0%, amber 50%, green 100%; grey where a domain has no score. Domains: "
                        + "; ".join(t(label, "domain title") for label in labels) + ".", st["small"])]

    # How each domain spreads.
    story.append(KeepTogether([Paragraph("How each domain spreads", st["h1"]),
                               Paragraph("The line spans the lowest to the highest score, the box the middle half of "
                                         "organisations, and the bar is the median.", st["small"]),
                               _distribution(data, labels)]))

    # Most slipped or queried actions.
    worst = sorted((o for o in data.organisations if o.slipped or o.queried),
                   key=lambda o: (-(o.slipped + o.queried), -o.overdue, o.name.lower()))[:15]
    story += [CondPageBreak(5 * cm), Paragraph("Most slipped or queried actions", st["h1"])]
    if worst:
        table = Table([["Organisation", "Slipped", "Queried", "Overdue"]]
                      + [[Paragraph(t(o.name, "organisation"), st["cell"]), str(o.slipped), str(o.queried), str(o.overdue)]
                         for o in worst], colWidths=[12 * cm, 2.5 * cm, 2.5 * cm, 2.5 * cm], repeatRows=1)
        table.setStyle(TableStyle([("FONT", (0, 0), (-1, 0), BOLD, 8), ("FONT", (0, 1), (-1, -1), BODY, 8),
                                   ("BACKGROUND", (0, 0), (-1, 0), LIGHT), ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                                   ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#BFBFBF"))]))
        story.append(table)
    else:
        story.append(Paragraph("No organisation has a slipped or queried action.", st["body"]))

    # What changed since last year.
    story += [CondPageBreak(5 * cm), Paragraph("What changed since the previous submission", st["h1"])]
    moved = [o for o in data.organisations if o.previous_overall is not None and o.overall is not None]
    if moved:
        moved.sort(key=lambda o: (-(o.overall or 0) + (o.previous_overall or 0), o.name.lower()))
        table = Table([["Organisation", "Before", "Now", "Change"]]
                      + [[Paragraph(t(o.name, "organisation"), st["cell"]),
                          f"{percent_text(o.previous_overall)} ({o.previous_period})", f"{percent_text(o.overall)} ({o.period})",
                          _points(o.overall, o.previous_overall)] for o in moved],
                      colWidths=[12 * cm, 3.5 * cm, 3.5 * cm, 2.5 * cm], repeatRows=1)
        table.setStyle(TableStyle([("FONT", (0, 0), (-1, 0), BOLD, 8), ("FONT", (0, 1), (-1, -1), BODY, 8),
                                   ("BACKGROUND", (0, 0), (-1, 0), LIGHT), ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                                   ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#BFBFBF"))]))
        story.append(table)
    else:
        story.append(Paragraph("No organisation has an earlier submission to compare with yet.", st["body"]))

    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=1.8 * cm,
                            bottomMargin=1.6 * cm, title=cleaner.clean(data.title, "title"),
                            author="selfassess review", subject=cleaner.clean(data.framework_title, "framework"),
                            invariant=1)
    running = t.plain(f"{data.title} · {data.as_of}", "running header")
    doc.build(story, canvasmaker=lambda *a, **k: _Pages(*a, header=running, **k))
    return out.getvalue(), cleaner.warnings


class _Pages(rl_canvas.Canvas):  # type: ignore[misc]  # reportlab has no type hints
    """'Page X of Y' and a running header on a landscape page."""

    def __init__(self, *args: object, header: str = "", **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._saved: list[dict[str, object]] = []
        self._header = header

    def showPage(self) -> None:  # noqa: N802 - reportlab's name
        self._saved.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._saved)
        width, height = PAGE
        for state in self._saved:
            self.__dict__.update(state)
            self.setFont(BODY, 7.5)
            self.setFillColor(GREY)
            if self._pageNumber > 1:
                self.drawString(MARGIN, height - 1.1 * cm, self._header)
            self.drawRightString(width - MARGIN, 0.9 * cm, f"Page {self._pageNumber} of {total}")
            super().showPage()
        super().save()


def _points(now: float | None, before: float | None) -> str:
    from ..core.figures import whole_percent

    a, b = whole_percent(now), whole_percent(before)
    if a is None or b is None:
        return "–"
    return f"{a - b:+d} pts" if a != b else "no change"

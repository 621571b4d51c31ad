"""Export: gather the data, render a format, write the file atomically, say what could not be kept.

Plain functions, called by the CLI and by the app (the app gathers on its main thread and
renders in a worker). A file appears only when it is complete: it is written to a temporary
name beside the target and renamed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .. import collector
from ..core.errors import SelfAssessError
from .data import ReportData

FORMATS = {
    "xlsx": ("action plan", "action-plan.xlsx"),
    "pdf": ("board report", "board-report.pdf"),
    "docx": ("annual-report section", "annual-report-section.docx"),
    "md": ("annual-report section", "annual-report-section.md"),
}
# Asked for by name, not part of "all four": the action due dates for calendars.
EXTRA_FORMATS = {"ics": ("action due dates (calendar)", "action-dates.ics")}


@dataclass(frozen=True)
class Exported:
    path: Path
    what: str
    warnings: tuple[str, ...]
    size: int


def renderer(fmt: str) -> Callable[..., tuple[bytes, list[str]]]:
    if fmt == "xlsx":
        from .xlsx import write_action_plan

        return write_action_plan
    if fmt == "pdf":
        from .pdf import write_board_report

        return write_board_report
    if fmt == "docx":
        from .docx import write_annual_docx

        return write_annual_docx
    if fmt == "md":
        from .markdown import write_annual_markdown

        return write_annual_markdown
    if fmt == "ics":
        from .ics import write_calendar

        return write_calendar
    raise SelfAssessError(f"'{fmt}' is not an export format, expected one of: {', '.join([*FORMATS, *EXTRA_FORMATS])}")


def render(data: ReportData, fmt: str, *, owner: str | None = None) -> tuple[bytes, list[str]]:
    write = renderer(fmt)
    # A document is tens of thousands of objects (styled cells, flowables) alive until it is written and
    # then freed together: the cyclic collector's passes over them find nothing and cost a fifth of the export.
    with collector.paused(free_after=True):
        content, notes = write(data, owner) if fmt == "ics" else write(data)
    # Text drawn in two places (a finding and the appendix) is noted once.
    return content, list(dict.fromkeys(notes))


def export(data: ReportData, fmt: str, out_dir: Path, *, owner: str | None = None) -> Exported:
    """Render one format and write it into out_dir; returns where it went and any warnings.
    owner: for the calendar, one owner's actions only."""
    from ..files import WriteFailed, atomic_write, inside, safe_name, why
    from ..paths import make_private_dir

    what, suffix = {**FORMATS, **EXTRA_FORMATS}.get(fmt, (None, None))
    if what is None:
        renderer(fmt)  # raises the clear message
    content, warnings = render(data, fmt, owner=owner) if fmt == "ics" else render(data, fmt)
    stem = safe_name(data.file_stem, "trust")
    if fmt == "ics" and owner:
        stem += "-" + safe_name(owner.lower().replace(" ", "-"), "owner")
    path = inside(out_dir, f"{stem}-{suffix}")  # never outside out_dir
    try:
        make_private_dir(Path(out_dir))  # a folder it makes is owner-only (0700), whatever the umask
        atomic_write(path, content, mode=0o600)
    except OSError as exc:
        raise WriteFailed(f"could not write the {what} to {path}: {why(exc)}. Nothing was written.") from None
    return Exported(path, str(what), tuple(warnings), len(content))

"""Exporting from the app: pick a format, gather on the main thread, render in a worker thread.

The worker never touches the store: the report data is gathered first (quick), so rendering
(slow) cannot race with the user's next keystroke. The user is told when it starts and where
the file is when it is done.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.screen import Screen

from .. import paths
from ..reports.export import FORMATS

if TYPE_CHECKING:
    from ..reports.data import ReportData
    from .app import SelfAssessApp

CHOICES = [
    ("pdf", "Board report (PDF)"),
    ("xlsx", "Action plan (Excel)"),
    ("docx", "Annual-report section (Word)"),
    ("md", "Annual-report section (Markdown)"),
    ("all", "All four"),
    ("ics", "Action due dates (calendar, for Outlook)"),
    ("cover", "Board cover sheet (page 1 of the board report)..."),
]


def exports_folder() -> Path:
    """Where documents and bundles from the app land, made if needed."""
    from ..core.errors import SelfAssessError

    folder = paths.exports_dir()
    try:
        paths.make_private_dir(folder)  # owner-only (0700), whatever the umask
    except OSError as exc:
        raise SelfAssessError(f"cannot create the exports folder {folder}: {exc.strerror}") from None
    return folder


def export_flow(screen: Screen[object], assessment_id: str) -> None:
    from .dialogs import ChoiceDialog

    app: SelfAssessApp = screen.app  # type: ignore[assignment]
    out_dir = paths.exports_dir()

    def chosen(fmt: str | None) -> None:
        if fmt is None:
            return
        if fmt == "cover":
            cover_sheet_flow(screen, assessment_id)
            return
        from ..reports.data import gather

        data = app.attempt(gather, app.ws, app.ws.assessment(assessment_id))
        if data is None:
            return
        formats = list(FORMATS) if fmt == "all" else [fmt]
        app.notify(f"Exporting to {out_dir}...", title="Export started", timeout=3)
        screen.run_worker(lambda: _render(app, data, formats, out_dir), thread=True, exclusive=True,
                          group="export", exit_on_error=False)

    app.push_screen(ChoiceDialog("Export", CHOICES, f"Documents are saved in {out_dir}"), chosen)


def cover_sheet_flow(screen: Screen[Any], assessment_id: str) -> None:
    """Enter or change the board report's cover sheet, then say so (and offer the export again)."""
    from .dialogs import CoverSheetDialog

    app: SelfAssessApp = screen.app  # type: ignore[assignment]
    current = app.ws.coversheet(assessment_id)

    def saved(values: dict[str, str] | None) -> None:
        if values is None:
            return
        if app.attempt(app.ws.set_coversheet, assessment_id, **values) is not None:
            app.notify("Saved the cover sheet: it is page 1 of the board report.", title="Cover sheet", timeout=5)
            export_flow(screen, assessment_id)

    app.push_screen(CoverSheetDialog(current), saved)


def _render(app: SelfAssessApp, data: ReportData, formats: list[str], out_dir: Path) -> None:
    from ..core.errors import SelfAssessError
    from ..reports.export import export

    for fmt in formats:
        try:
            done = export(data, fmt, out_dir)
        except SelfAssessError as exc:
            app.call_from_thread(app.notify, exc.for_app(), title="Export failed", severity="error", timeout=15)
            continue
        except Exception as exc:  # an unexpected problem: say so, keep the app running
            from ..crashlog import write_crash_log

            log = write_crash_log(app.home, exc)
            app.call_from_thread(app.notify, f"Could not export the {fmt}: {type(exc).__name__}: {exc}. Details: {log}",
                                 title="Export failed", severity="error", timeout=15)
            continue
        message = f"Saved the {done.what}: {done.path}"
        app.call_from_thread(app.notify, message, title="Exported", timeout=10)
        if done.warnings:
            more = f" (+{len(done.warnings) - 3} more)" if len(done.warnings) > 3 else ""
            app.call_from_thread(app.notify, "\n".join(done.warnings[:3]) + more, title=f"{done.path.name}: not all kept",
                                 severity="warning", timeout=20)

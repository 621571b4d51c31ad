"""The question view lists its evidence files and opens one with the system viewer."""

from __future__ import annotations

from pathlib import Path

from selfassess.core.clock import Clock
from selfassess.session import load_frameworks, open_session
from selfassess.ui import viewer
from selfassess.ui.screens.assessment import AssessmentScreen
from tests.helpers import TODAY

PDF = b"%PDF-1.4\n%%EOF\n"


def add_evidence(home: Path, tmp: Path) -> tuple[str, str]:
    session = open_session(home, load_frameworks(home), "Priya Raman", clock=Clock(TODAY))
    ws = session.workspace
    try:
        aid = ws.current_assessments()[-1].id
        (tmp / "equality-report.pdf").write_bytes(PDF)
        (tmp / "waits.csv").write_bytes(b"a,b\n1,2\n")
        ws.add_evidence(aid, "1.1", tmp / "equality-report.pdf", title="Equality report 2025", expires="2026-03-31")
        ws.add_evidence(aid, "1.1", tmp / "waits.csv", title="Waiting list by IMD")
        return aid, ws.framework(ws.assessment(aid)).question("1.1").id
    finally:
        session.close()


async def test_the_question_lists_its_evidence_and_opens_one(demo_home, new_app, tmp_path, monkeypatch):
    aid, qid = add_evidence(demo_home, tmp_path)
    opened: list[Path] = []

    def fake_launch(path: Path) -> str | None:
        opened.append(path)
        return None

    monkeypatch.setattr(viewer, "launch", fake_launch)
    app = new_app(demo_home)
    async with app.run_test(size=(120, 40)) as pilot:
        app.push_screen(AssessmentScreen(aid, qid))
        await pilot.pause()
        listing = str(app.screen.query_one("#evidence-files").render())
        assert "Evidence files (2):" in listing
        assert "1. Equality report 2025 (equality-report.pdf) · PDF document" in listing and "expired" in listing
        assert "2. Waiting list by IMD (waits.csv) · CSV file" in listing
        await pilot.press("f")  # two files: choose which
        await pilot.pause()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        (path,) = opened
        assert path.name == "equality-report.pdf" and path.read_bytes() == PDF
        assert (path.stat().st_mode & 0o777) == 0o400  # a read-only copy, never the store's own file
        assert demo_home not in path.parents
        assert any(n.message.startswith("Opened 'Equality report 2025'") for n in app._notifications)

        monkeypatch.setattr(viewer, "launch", lambda path: "xdg-open could not open it (exit 3)")
        await pilot.press("f", "down", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert any(n.message == "Could not open 'Waiting list by IMD': xdg-open could not open it (exit 3)."
                   for n in app._notifications)
        # Another question: none yet, and f says how to add one.
        await pilot.press("n")
        await pilot.pause()
        assert not app.screen.query_one("#evidence-files").display
        await pilot.press("f")
        await pilot.pause()
        assert any("has no evidence files" in n.message for n in app._notifications)


def test_a_missing_opener_is_said_in_words(monkeypatch, tmp_path):
    monkeypatch.setattr(viewer, "command_for", lambda path: ["/nonexistent/xdg-open", str(path)])
    problem = viewer.open_in_viewer(b"x", "notes.txt")
    assert problem is not None and problem.startswith("/nonexistent/xdg-open could not be run")
    monkeypatch.setattr(viewer, "command_for", lambda path: ["false", str(path)])
    assert viewer.open_in_viewer(b"x", "notes.txt") == "false could not open it (exit 1): is there a program for this kind of file?"

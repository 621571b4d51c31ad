"""The export dialog offers the calendar and the board cover sheet."""

from __future__ import annotations

from textual.widgets import Input, Select


async def test_the_export_dialog_writes_the_calendar_and_enters_the_cover_sheet(demo_home, new_app, tmp_path, monkeypatch):
    out = tmp_path / "exports"
    monkeypatch.setenv("SELFASSESS_EXPORTS", str(out))
    app = new_app(demo_home)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("d", "x")  # dashboard, export
        await pilot.pause()
        await pilot.press(*["down"] * 5, "enter")  # the calendar
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert sorted(p.name for p in out.iterdir()) == ["RVH-2026-27-action-dates.ics"]
        await pilot.press("x")
        await pilot.pause()
        await pilot.press(*["down"] * 6, "enter")  # the cover sheet
        await pilot.pause()
        dialog = app.screen
        dialog.query_one("#meeting", Input).value = "Public board, 10 December 2026"
        dialog.query_one("#item", Input).value = "9"
        dialog.query_one("#purpose", Select).value = "assurance"
        dialog.query_one("#author", Input).value = "Tom Barker, Director of Corporate Affairs"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assessment = next(a for a in app.ws.assessments() if a.period == "2026/27")
        sheet = app.ws.coversheet(assessment.id)
        assert (sheet.meeting, sheet.item, sheet.purpose) == ("Public board, 10 December 2026", "9", "assurance")
        assert any("cover sheet" in n.message for n in app._notifications)

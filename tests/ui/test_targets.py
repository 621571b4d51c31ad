"""Setting a target in the app: a date already past is asked about (ctrl+s again keeps it), as an
action's due date is, and the dashboard then says the target was missed, never met."""

from __future__ import annotations

from textual.widgets import Input, Static

from selfassess.core.clock import Clock
from selfassess.session import load_frameworks, open_session
from selfassess.ui.dialogs import TargetDialog
from selfassess.ui.screens.dashboard import DashboardScreen
from tests.helpers import BOARD_ID, TODAY


async def test_a_past_target_date_is_asked_about_then_reads_as_missed(tmp_path, new_app):
    home = tmp_path / "home"
    session = open_session(home, load_frameworks(home), "Priya Raman", clock=Clock(TODAY))
    ws = session.workspace
    aid = ws.new_assessment("Trust", BOARD_ID, "2025/26").assessment.id
    for ref in ("1.1", "1.2"):
        ws.answer(aid, ref, rating="developing")
    session.close()
    app = new_app(home)
    async with app.run_test(size=(120, 40)) as pilot:
        app.push_screen(DashboardScreen(aid))
        await pilot.pause()
        await pilot.press("t")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, TargetDialog)
        dialog.query_one("#level", Input).value = "Established"
        dialog.query_one("#by", Input).value = "2026-06-30"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is dialog  # asked, not saved
        said = str(dialog.query_one("#by-error", Static).render())
        assert "2026-06-30 is already past (today is 2026-11-23)" in said and "ctrl+s again" in said
        assert not app.ws.assessment(aid).targets
        await pilot.press("ctrl+s")  # kept on purpose
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        assert app.ws.assessment(aid).targets["leadership"]["by"] == "2026-06-30"
        text = str(app.screen.query_one("#completeness", Static).render())
        assert "Targets: 0 of 1 met, 1 missed (date passed, not reached):" in text
        assert "target Established by 30 June 2026: date passed, not reached (1 below)" in text and ": met" not in text

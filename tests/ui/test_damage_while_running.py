"""Damage found while the app runs (a finished year's closed file changed outside selfassess, read
only when a screen asks for that year) is said on a screen, with the way to recover, not a crash."""

from __future__ import annotations

import asyncio
import shutil

from selfassess.ui.screens.actions import ActionsScreen
from selfassess.ui.screens.problem import ProblemScreen
from tests.reliability.test_closed_years import FIXTURE, finished_actions, state_of, upgrade


async def test_a_damaged_finished_year_read_from_a_screen_shows_how_to_recover(tmp_path, new_app):
    shutil.copytree(FIXTURE, tmp_path / "store")
    upgrade(tmp_path)
    state = state_of(tmp_path)
    entry = state["closed"][0]
    path = tmp_path / "store" / "closed" / f"{entry['sha256']}.json"
    raw = bytearray(path.read_bytes())
    raw[raw.index(b'"text":"') + 8] ^= 1
    path.write_bytes(bytes(raw))
    finished = finished_actions(state)
    year = next(r["assessment_id"] for r in state["tables"]["actions"].values()
                if r["id"] in finished and r["id"] in entry["values"])
    app = new_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        app.push_screen(ActionsScreen(year))
        for _ in range(100):  # not pilot.pause: the screen that met the damage never finishes mounting
            await asyncio.sleep(0.05)
            if isinstance(app.screen, ProblemScreen) and app.screen.query(".problem"):  # pushed, and composed
                break
        assert isinstance(app.screen, ProblemScreen)
        await asyncio.sleep(0.1)  # its header is mounted too before the key that quits
        text = str(app.screen.query_one(".problem").render())
        assert path.name in text and "selfassess store restore --from-log" in text and "--backup" not in text
        assert app.is_running
        await pilot.press("q")
    assert app._exception is None and app.return_code in (0, None)

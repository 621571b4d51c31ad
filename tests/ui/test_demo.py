"""The demo always in a throwaway store of its own: `selfassess --demo`, and from inside the app once a
trust exists. Nothing done in the demo reaches the real store, and its folder goes when it is left."""

from __future__ import annotations

import tempfile
from pathlib import Path

from click.testing import CliRunner
from textual.widgets import DataTable

from selfassess.cli import cli
from selfassess.core.clock import Clock
from selfassess.session import DEMO_PREFIX, load_frameworks, open_session
from selfassess.ui.app import make_app
from selfassess.ui.screens.assessment import AssessmentScreen
from selfassess.ui.screens.demo import DemoBanner, DemoHomeScreen
from selfassess.ui.screens.home import HomeScreen
from selfassess.ui.screens.welcome import WelcomeScreen
from tests.helpers import TODAY


def real_trust(home: Path) -> str:
    s = open_session(home, load_frameworks(home), "Priya Raman", clock=Clock(TODAY))
    try:
        return s.workspace.new_assessment("Northgate NHS Trust", "board-health-inequalities", "2026/27",
                                          ods_code="RNG").assessment.id
    finally:
        s.close()


def store_files(home: Path) -> dict[str, bytes]:
    return {str(p.relative_to(home)): p.read_bytes() for p in sorted(home.rglob("*")) if p.is_file()}


def demo_folders() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob(f"{DEMO_PREFIX}*"))


async def test_demo_flag_opens_a_throwaway_store_and_never_the_real_one(tmp_path, new_app):
    real = tmp_path / "real"
    real_trust(real)
    before = store_files(real)
    app = make_app(real, actor="Priya Raman", clock=Clock(TODAY, "2026-11-23T09:30:00Z"), blink=False, demo=True)
    folder = app.home
    assert folder != real and folder.name.startswith(DEMO_PREFIX) and folder.parent == Path(tempfile.gettempdir())
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, HomeScreen)
        assert app.screen.query_one(DataTable).row_count == 2  # the demo trust's two years
        assert "DEMO" in str(app.screen.query_one(DemoBanner).render())
        assert any(str(folder) in n.message and "deleted when you quit" in n.message for n in app._notifications)
        await pilot.press("enter", "u", "1", "4")  # change something in the demo
        await pilot.pause()
        assert isinstance(app.screen, AssessmentScreen)
        assert (folder / "store").is_dir()
    assert not folder.exists()  # thrown away on quitting
    assert store_files(real) == before  # the real store: not a byte changed


async def test_demo_from_inside_the_app_leaves_the_real_store_alone_and_comes_back(tmp_path, new_app):
    real = tmp_path / "real"
    real_trust(real)
    before = store_files(real)
    app = new_app(real)
    async with app.run_test(size=(80, 24)) as pilot:
        home = app.screen
        assert isinstance(home, HomeScreen) and home.query_one(DataTable).row_count == 1
        titles = [c.title for c in app.get_system_commands(home)]
        assert titles.count("Open the demo (separate throwaway store)") == 1
        app.action_open_demo()
        await pilot.pause()
        demo = app.screen
        assert isinstance(demo, DemoHomeScreen) and demo.query_one(DataTable).row_count == 2
        folder = app.home
        assert folder.name.startswith(DEMO_PREFIX) and demo.query(DemoBanner)
        assert any(str(folder) in n.message for n in app._notifications)
        await pilot.press("enter", "u", "1", "4")  # answer a demo question
        await pilot.pause()
        assert isinstance(app.screen, AssessmentScreen) and app.screen.query(DemoBanner)
        await pilot.press("escape")  # back to the demo's Home
        await pilot.pause()
        assert app.screen is demo
        await pilot.press("escape")  # leave the demo
        await pilot.pause()
        assert app.screen is home and app.home == real and not folder.exists()
        assert not home.query(DemoBanner) and app.ws.assessments()[0].period == "2026/27"
        assert len(app.ws.assessments()) == 1
    after = store_files(real)
    # The store's files as they were (the app's resume position, beside the store, is the app's own).
    assert {k: v for k, v in after.items() if k.startswith("store/")} == {k: v for k, v in before.items() if k.startswith("store/")}
    s = open_session(real, load_frameworks(real), "Checker", writer=False)
    try:
        assert len(s.workspace.assessments()) == 1
        assert all(e["actor"] == "Priya Raman" and "demo" not in e["summary"].lower()
                   for _, e, _ in s.store.events() if e)
        assert len([e for _, e, _ in s.store.events()]) == 1  # only the real trust's one event
    finally:
        s.close()


async def test_quitting_inside_the_demo_closes_both_stores(tmp_path, new_app):
    real = tmp_path / "real"
    real_trust(real)
    app = new_app(real)
    async with app.run_test(size=(80, 24)) as pilot:
        app.action_open_demo()
        await pilot.pause()
        folder = app.home
        await pilot.press("q")
        await pilot.pause()
    assert not folder.exists() and app.session is None
    s = open_session(real, load_frameworks(real), "Checker")  # the real store was closed and let go
    s.close()


async def test_welcome_opens_the_demo_outside_a_fresh_store(tmp_path, new_app):
    fresh = tmp_path / "fresh"
    app = new_app(fresh)
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, WelcomeScreen)
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, DemoHomeScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, WelcomeScreen)  # still a fresh machine: the first real assessment is next
        assert app.ws.assessments() == []


def test_the_demo_flag_opens_the_app_on_the_demo(tmp_path, monkeypatch):
    called = {}
    monkeypatch.setattr("selfassess.ui.app.run_app", lambda *a, **k: called.update(args=a, kwargs=k))
    res = CliRunner().invoke(cli, ["--home", str(tmp_path / "real"), "--demo"])
    assert res.exit_code == 0 and called["kwargs"] == {"demo": True}
    res = CliRunner().invoke(cli, ["--home", str(tmp_path / "real"), "--demo", "keys", "list"])
    assert res.exit_code == 1 and "--demo opens the app" in res.output
    assert not (tmp_path / "real").exists()

"""The dashboard counts draft, carried forward and agreed apart, with the numbers `selfassess show --json`
gives, and marks each domain's bar by the state its score rests on in words, not colour alone."""

from __future__ import annotations

import json

from click.testing import CliRunner

from selfassess.cli import cli
from selfassess.ui.screens.dashboard import DashboardScreen
from selfassess.ui.widgets import ScoreChart
from tests.ui.conftest import make_demo


async def test_dashboard_counts_each_state_as_show_does_and_marks_each_bar(tmp_path, monkeypatch, new_app):
    home = tmp_path / "home"
    monkeypatch.setenv("SELFASSESS_HOME", str(home))
    _, this_year = make_demo(home)
    shown = CliRunner().invoke(cli, ["show", this_year[:8], "--json"])
    assert shown.exit_code == 0, shown.output
    figures = json.loads(shown.output)["figures"]
    app = new_app(home)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        text = str(app.screen.query_one("#completeness").render())
        assert (f"Answers by state: {figures['agreed']} agreed, {figures['drafts']} draft, "
                f"{figures['awaiting_review']} carried forward (needs review), "
                f"{figures['not_started']} not started") in text
        assert f"{figures['answered']} of {figures['questions']} answered this year" in text
        chart = [line.rstrip() for line in str(app.screen.query_one(ScoreChart).render()).splitlines()]
    # The demo has drafts and carried-forward answers, so both are keyed and drawn.
    assert chart[0].split() == ["▓", "draft", "(not", "all", "agreed)", "▒", "provisional", "(counts", "carried",
                                "forward)"]
    rows = chart[1::2]  # each domain's line; the line under it is last year's
    assert len(rows) == len(figures["domains"])
    for row, d in zip(rows, figures["domains"], strict=True):
        rests_on = "provisional" if d["awaiting_review"] else "draft" if d["drafts"] else "agreed"
        assert f"{d['score_percent']}% {rests_on}" in row, row
        assert {"provisional": "▒", "draft": "▓", "agreed": "█"}[rests_on] in row
    assert all(line.split()[-1] == figures["previous_period"] for line in chart[2::2])


async def test_a_signed_off_year_is_agreed_in_every_bar_and_count(tmp_path, monkeypatch, new_app):
    home = tmp_path / "home"
    monkeypatch.setenv("SELFASSESS_HOME", str(home))
    last_year, _ = make_demo(home)
    figures = json.loads(CliRunner().invoke(cli, ["show", last_year[:8], "--json"]).output)["figures"]
    assert figures["agreed"] == figures["questions"] > 0
    app = new_app(home)
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(DashboardScreen(last_year))
        await pilot.pause()
        text = str(app.screen.query_one("#completeness").render())
        chart = str(app.screen.query_one(ScoreChart).render()).splitlines()
    assert f"Answers by state: {figures['questions']} agreed, 0 draft, 0 carried forward (needs review), " \
           "0 not started" in text
    assert chart[0].split() == ["█", "agreed"]
    assert all("% agreed" in row and "▓" not in row and "▒" not in row for row in chart[1:])

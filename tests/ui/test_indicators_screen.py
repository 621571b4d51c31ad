"""The indicators screen shows the figures the core computed, as the documents do."""

from __future__ import annotations

import csv

from selfassess.core import indicator_data, indicator_set
from selfassess.core.clock import Clock
from selfassess.core.indicators import interval_text, value_text
from selfassess.session import load_frameworks, open_session
from selfassess.ui.screens.indicators import IndicatorsScreen
from tests.conftest import BUNDLED
from tests.helpers import TODAY

WAIT18 = "elective.waiting-over-18-weeks"


async def test_the_screen_shows_each_group_with_its_bar_value_and_interval(demo_home, new_app, tmp_path):
    path = tmp_path / "agg.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["indicator", "period", "dimension", "group", "numerator", "denominator"])
        w.writerows([[WAIT18, "2026/27", "deprivation", q, 40 - 5 * q, 200] for q in range(1, 6)])
        w.writerows([[WAIT18, "2026/27", "sex", "F", 60, 500], [WAIT18, "2026/27", "sex", "M", 65, 500]])
    session = open_session(demo_home, load_frameworks(demo_home), "Priya Raman", clock=Clock(TODAY))
    try:
        ws = session.workspace
        current = [a for a in ws.current_assessments() if not a.frozen][-1]
        iset = indicator_set.load_file(BUNDLED / "indicators" / "nhse-health-inequalities-information.yaml")
        ws.import_indicators(current.id, iset, indicator_data.read_extract(path, iset))
        _, figures = ws.indicator_figures(current)
    finally:
        session.close()
    wait = next(f for f in figures if f.id == WAIT18)
    app = new_app(demo_home)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("i")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, IndicatorsScreen)
        body = str(screen.query_one("#indicators-body").render())
        for g in wait.breakdown("deprivation").groups:
            line = next(x for x in body.splitlines() if x.strip().startswith(g.group[:22]))
            assert value_text(wait.indicator, g) in line and interval_text(wait.indicator, g) in line
            assert "█" in line
        assert "gap Q1 minus Q5: +10.0, 2.33 times" in body
        assert "not reported: no data imported" in body
        # The wide gap becomes an action on the linked question, in the suggested words.
        await pilot.press("a")
        await pilot.pause()
        await pilot.press(*"Dr Amir Khan")
        await pilot.press("ctrl+s")
        await pilot.pause()
    session = open_session(demo_home, load_frameworks(demo_home), "Priya Raman", clock=Clock(TODAY))
    try:
        made = [x for x in session.workspace.actions(current.id) if x.title.startswith("Close the deprivation gap")]
    finally:
        session.close()
    assert len(made) == 1 and made[0].owner == "Dr Amir Khan" and made[0].question_ids == ("data.waiting-lists",)
    assert "2.3 times" in made[0].title

"""EDS 2022 in the app: a 0 to 3 scale is rated by its scores, Domain 1 once per service, and the
dashboard shows the framework's total and band."""

from __future__ import annotations

from textual.widgets import Static

from selfassess.core.clock import Clock
from selfassess.session import load_frameworks, open_session
from selfassess.ui.screens.assessment import AssessmentScreen
from selfassess.ui.screens.dashboard import DashboardScreen
from tests.helpers import TODAY


async def test_digit_keys_are_eds_scores_and_the_dashboard_shows_the_band(tmp_path, new_app):
    home = tmp_path / "home"
    session = open_session(home, load_frameworks(home), "Priya Raman", clock=Clock(TODAY))
    ws = session.workspace
    a = ws.new_assessment("Trust", "eds-2022", "2025/26").assessment
    ws.add_part(a.id, "Maternity")
    ws.add_part(a.id, "Emergency care")
    aid = a.id
    for q in ws.framework(ws.assessment(aid)).questions():
        if q.id != "eds.services.access:maternity":
            ws.answer(aid, q.id, score=2)
    ws.set_target(aid, "3", "excelling", "2027-03-31")
    session.close()
    app = new_app(home)
    async with app.run_test(size=(120, 36)) as pilot:
        app.push_screen(AssessmentScreen(aid, "eds.services.access:maternity"))
        await pilot.pause()
        assert app.screen.question.ref == "1A.1"
        await pilot.press("0")
        await pilot.pause()
        assert app.ws.answer_for(aid, "eds.services.access:maternity").rating == "undeveloped"
        await pilot.press("3")
        await pilot.pause()
        assert app.ws.answer_for(aid, "eds.services.access:maternity").rating == "excelling"  # the score 3, not level 3
        app.push_screen(DashboardScreen(aid))
        await pilot.pause()
        text = str(app.screen.query_one("#completeness", Static).render())
        # 1A is 3 and 2 across the services (mean 2.5); ten more outcomes at 2: 22.5 of 33.
        assert "EDS 2022 overall score: 22.5 of 33 (Achieving)" in text
        assert "Targets: 0 of 1 met:" in text and "3 Inclusive leadership: target Excelling by 31 March 2027: 1 below" in text


async def test_an_eds_assessment_with_no_service_named_yet_opens(tmp_path, new_app):
    home = tmp_path / "home"
    session = open_session(home, load_frameworks(home), "Priya Raman", clock=Clock(TODAY))
    aid = session.workspace.new_assessment("Trust", "eds-2022", "2025/26").assessment.id
    session.close()
    app = new_app(home)
    async with app.run_test(size=(100, 30)) as pilot:
        app.push_screen(AssessmentScreen(aid))
        await pilot.pause()
        assert app.screen.question.ref == "2A"  # Domain 1 has nothing to rate until a service is named
        app.push_screen(DashboardScreen(aid))
        await pilot.pause()
        assert "EDS 2022 overall score: not scored yet" in str(app.screen.query_one("#completeness", Static).render())
        assert app.is_running


async def test_the_question_view_shows_the_stakeholders_grades_beside_the_boards_rating(tmp_path, new_app):
    from selfassess.core import rounds

    home = tmp_path / "home"
    session = open_session(home, load_frameworks(home), "Priya Raman", clock=Clock(TODAY))
    ws = session.workspace
    aid = ws.new_assessment("Trust", "eds-2022", "2025/26").assessment.id
    ws.answer(aid, "2A", score=2, state="agreed")
    people = [("Zephyrine Quillfeather", "Patient rep"), ("Bartholomew Ngata", "Staff network"), ("Ottoline Varga", "Healthwatch")]
    r = rounds.open_round(ws, aid, people, domains=["2"], kind="stakeholder")
    for (name, _), grade in zip(people, ("0", "1", "1"), strict=True):  # EDS scores: Undeveloped, Developing, Developing
        rounds.rate(ws, r.id, name, "2A", grade)
    session.close()
    app = new_app(home)
    async with app.run_test(size=(120, 36)) as pilot:
        app.push_screen(AssessmentScreen(aid, "eds.workforce.health-support"))
        await pilot.pause()
        line = app.screen.query_one("#stakeholders", Static)
        assert line.display and str(line.render()) == "Stakeholders: Developing (median of 3; 1·2·0·0)"
        assert app.screen.query_one("#level-detail", Static).display  # the board's own rating, still shown
        await pilot.press("n")  # 2B: not graded, so no line
        await pilot.pause()
        assert not app.screen.query_one("#stakeholders", Static).display


async def test_a_stakeholder_rates_an_eds_pack_by_its_scores(tmp_path):
    """The rating bar shows EDS scores (0 to 3); the keys save those scores, never the place on the scale."""
    from selfassess.submission import rating_packs
    from selfassess.ui.rate_pack import RatePackApp
    from selfassess.ui.screens.rating import RatingScreen

    home = tmp_path / "home"
    session = open_session(home, load_frameworks(home), "Priya Raman", clock=Clock(TODAY))
    try:
        ws = session.workspace
        aid = ws.new_assessment("Trust", "eds-2022", "2025/26").assessment.id
        done = rating_packs.open_round(ws, home, aid, [("Zephyrine Quillfeather", "Patient rep")], tmp_path / "packs",
                                       domains=("2",), kind="stakeholder")
    finally:
        session.close()
    pack = rating_packs.open_pack(done.packs[0], TODAY)
    app = RatePackApp(pack, tmp_path / "rater", tmp_path / "back", clock=Clock(TODAY, "2026-11-23T20:00:00Z"))
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RatingScreen)
        first, second = (q.id for q in screen.items[:2])
        await pilot.press("1")  # saves, then moves on to the next question
        await pilot.pause()
        assert screen.source.current(first) == ("developing", "")  # score 1, not the first level
        await pilot.press("0")
        await pilot.pause()
        assert screen.source.current(second) == ("undeveloped", "")
        await pilot.press("p", "delete")  # back to the second (rating moved on again), and clear it
        await pilot.pause()
        assert screen.source.current(second) == (None, "") and screen.source.current(first) == ("developing", "")

"""Rate in turn at a workshop: each board member picks their name and sees only their own ratings;
the spread view shows the most divided questions first. And a pack rated in its own app."""

from __future__ import annotations

from selfassess.core import rounds
from selfassess.core.clock import Clock
from selfassess.session import load_frameworks, open_session
from selfassess.submission import rating_packs
from selfassess.ui.rate_pack import RatePackApp
from selfassess.ui.screens.home import HomeScreen
from selfassess.ui.screens.rating import RatingScreen
from selfassess.ui.screens.rounds import RoundScreen
from tests.helpers import TODAY


async def test_rate_in_turn_each_rater_sees_only_their_own(demo_home, new_app):
    app = new_app(demo_home)
    async with app.run_test(size=(100, 32)) as pilot:
        assert isinstance(app.screen, HomeScreen)
        assessment_id = app.screen.selected().id
        await pilot.press("R")
        await pilot.pause()
        assert isinstance(app.screen, RoundScreen)
        await pilot.press("o")
        await pilot.pause()
        await pilot.press(*"Margaret Ellison|Chair; Richard Osei|Chief Executive; Ayesha Khan|NED", "enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RoundScreen) and screen.round is not None
        for position, levels in enumerate(["1", "3", "3"]):
            await pilot.press("t")
            await pilot.pause()
            await pilot.press(*["down"] * position, "enter")  # pick one's own name
            await pilot.pause()
            rating = app.screen
            assert isinstance(rating, RatingScreen)
            first = rating.question
            # Only this rater's ratings show: nobody else's level is selected here.
            assert rating.source.current(first.id) == (None, "")
            assert "only your own ratings" in str(rating.query_one("#rate-progress").render())
            await pilot.press(levels)
            await pilot.pause()
            assert rating.index == 1  # rating moves on to the next question
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, RoundScreen)
        ws = app.ws
        r = rounds.rounds_of(ws, assessment_id)[-1]
        found = rounds.spread(ws, r)
        top = found.questions[0]
        assert top.n == 3 and top.divergent and top.range == 2 and sorted(top.counts.values()) == [1, 2]
        table = app.screen.query_one("#spread")
        assert table.get_row_at(0)[0] == top.ref and table.get_row_at(0)[-1] == "divergent"
        # The agreed answers are untouched by the ratings.
        assert all(rt.rater_id in {x.id for x in r.raters} for rt in rounds.ratings_of(ws, r.id))


async def test_a_pack_opens_straight_to_its_questions_and_writes_a_response(demo_home, tmp_path):
    session = open_session(demo_home, load_frameworks(demo_home), "Priya Raman", clock=Clock(TODAY))
    try:
        ws = session.workspace
        a = ws.current_assessments()[-1]
        done = rating_packs.open_round(ws, demo_home, a.id, [("Margaret Ellison", "Chair")], tmp_path / "packs",
                                       domains=("1",))
    finally:
        session.close()
    pack = rating_packs.open_pack(done.packs[0], TODAY)
    app = RatePackApp(pack, tmp_path / "rater", tmp_path / "back", clock=Clock(TODAY, "2026-11-23T20:00:00Z"))
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RatingScreen)
        assert "Margaret Ellison (Chair)" in str(screen.query_one("#rate-who").render())
        assert "Guidance" in str(screen.query_one("#rate-guidance").render())
        await pilot.press("2", "w")
        await pilot.pause()
        assert app.written is not None and app.written.exists()
    returned = rating_packs.read_response_bytes(app.written.read_bytes(), "r")
    assert returned.rater_id == pack.doc.rater.id and returned.ratings[0][1] == pack.framework.scale_for(
        pack.questions()[0]).levels[1].key


async def test_a_rating_away_from_the_median_asks_for_the_rationale(demo_home, new_app):
    from selfassess.ui.dialogs import ReasonDialog
    from selfassess.ui.screens.assessment import AssessmentScreen

    session = open_session(demo_home, load_frameworks(demo_home), "Priya Raman", clock=Clock(TODAY))
    try:
        ws = session.workspace
        a = next(x for x in ws.current_assessments() if not x.frozen)
        r = rounds.open_round(ws, a.id, [("Margaret Ellison", "Chair"), ("Richard Osei", "CEO"), ("Ayesha Khan", "NED")])
        for name, level in (("Margaret Ellison", "1"), ("Richard Osei", "3"), ("Ayesha Khan", "3")):
            rounds.rate(ws, r.id, name, "1.1", level)
        qid = ws.framework(a).question("1.1").id
    finally:
        session.close()
    app = new_app(demo_home)
    async with app.run_test(size=(100, 32)) as pilot:
        app.push_screen(AssessmentScreen(a.id, qid))
        await pilot.pause()
        await pilot.press("1")
        await pilot.pause()
        assert isinstance(app.screen, ReasonDialog)
        assert "median is Established" in str(app.screen.query_one(".dialog-text").render())
        await pilot.press(*"The committee has not met since April", "ctrl+s")
        await pilot.pause()
        saved = app.ws.answer_for(a.id, qid)
        assert saved.rating == "emerging" and saved.rationale == "The committee has not met since April"

"""Sign-off and submission from the app; the regulator's review screens; queries seen by the trust."""

from __future__ import annotations

from textual.widgets import DataTable, Input

from selfassess.core.clock import Clock
from selfassess.session import load_frameworks, open_session
from selfassess.submission.submit import import_feedback
from selfassess.ui.screens.actions import ActionsScreen
from selfassess.ui.screens.review import ReviewScreen, TrustReviewScreen
from selfassess.ui.screens.welcome import WelcomeScreen
from tests.helpers import TODAY
from tests.ui.conftest import make_demo


def session(home):
    return open_session(home, load_frameworks(home), "Tester", clock=Clock(TODAY))


async def test_submit_from_the_app_then_review_and_query_as_a_regulator(tmp_path, new_app, monkeypatch):
    trust, reg = tmp_path / "trust", tmp_path / "reg"
    make_demo(trust)
    outbox = tmp_path / "outbox"
    monkeypatch.setenv("SELFASSESS_EXPORTS", str(outbox))
    app = new_app(trust)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("down", "S")  # last year's signed-off assessment: submit it
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert any("Give the regulator this key fingerprint" in n.message for n in app._notifications)
    assert [p.name for p in outbox.iterdir()] == ["RVH-2025-26-submission-1.selfassess"]

    s = session(trust)
    from selfassess.submission import keys

    trust_fp = keys.key_fingerprint(keys.load_or_create(trust))
    s.close()
    s = session(reg)
    keys.register_key(s.workspace, trust_fp, "Riverside Valley", "RVH")
    s.close()

    app = new_app(reg, actor="Dr Okafor")
    async with app.run_test(size=(100, 30)) as pilot:
        assert isinstance(app.screen, WelcomeScreen)  # nothing imported yet
        await pilot.press("v", "i")
        await pilot.pause()
        app.screen.query_one("#value", Input).value = str(outbox)
        await pilot.press("enter")
        await app.workers.wait_for_complete()  # the seals are checked in a worker thread
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        assert screen.query_one(DataTable).row_count == 1
        await pilot.press("o")  # sort by the next key
        await pilot.press("enter")
        await pilot.pause()
        trust_screen = app.screen
        assert isinstance(trust_screen, TrustReviewScreen)
        table = trust_screen.query_one(DataTable)
        row = [k for k in trust_screen.items if k.startswith("action:")][2]
        table.move_cursor(row=table.get_row_index(row))
        await pilot.press("q")
        await pilot.pause()
        await pilot.press(*"No owner below board level", "ctrl+s")
        await pilot.pause()
        await pilot.press("f")
        await pilot.pause()
    feedback = next(p for p in outbox.iterdir() if p.name.startswith("feedback-"))

    s = session(reg)
    reg_fp = keys.key_fingerprint(keys.load_or_create(reg))
    s.close()
    s = session(trust)
    keys.register_key(s.workspace, reg_fp, "Regional regulator")
    done = import_feedback(s.workspace, feedback)
    assert done.queried == 1
    s.close()

    app = new_app(trust)
    async with app.run_test(size=(100, 30)) as pilot:
        assert "The regulator queried 1 action(s)" in str(app.screen.query_one("#summary").render())
        await pilot.press("l")
        screen = app.screen
        assert isinstance(screen, ActionsScreen)
        queried = [k for k, a in screen.rows.items() if screen.sa.ws.feedback_for_action(a)]
        assert len(queried) == 1


async def test_sign_off_from_the_app_freezes_the_assessment(tmp_path, new_app):
    home = tmp_path / "home"
    s = session(home)
    ws = s.workspace
    a = ws.new_assessment("Trust", "what-works-principles", "2025/26").assessment
    for q in ws.framework(a).questions():
        ws.answer(a.id, q.id, score=2)
    s.close()
    app = new_app(home)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("s")
        await pilot.pause()
        # Every answer is still draft: the app asks once whether the board agrees them all.
        assert "Agree all" in str(app.screen.query_one(".dialog-title").render())
        await pilot.press("ctrl+s")
        await pilot.pause()
        dialog = app.screen
        # Rated in the top two levels with no evidence: listed as points for challenge, signed past.
        assert "point(s) for challenge" in str(dialog.query_one("#points").render())
        dialog.query_one("#name1", Input).value = "Margaret Ellison"
        dialog.query_one("#name2", Input).value = "Richard Osei"
        dialog.query_one("#meeting", Input).value = "Board 22 May item 9"
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.press("2")
        assert any("frozen" in n.message for n in app._notifications)
    s = session(home)
    a = s.workspace.assessment(a.id)
    assert a.status == "signed_off" and [p.name for p in a.signoff.signatories] == ["Margaret Ellison", "Richard Osei"]
    assert {x.state for x in s.workspace.answers(a.id).values()} == {"agreed"}
    s.close()

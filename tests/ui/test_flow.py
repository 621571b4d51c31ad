"""The whole flow at the keyboard, as an executive lead works: answer a domain, N/A, adopt an action,
quit, restart, and find everything where it was."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input, TextArea

from selfassess.core.clock import Clock
from selfassess.session import load_frameworks, open_session
from selfassess.ui.screens.actions import ActionsScreen
from selfassess.ui.screens.assessment import AssessmentScreen
from selfassess.ui.screens.dashboard import DashboardScreen
from selfassess.ui.screens.home import HomeScreen
from selfassess.ui.screens.problem import ProblemScreen
from selfassess.ui.screens.welcome import WelcomeScreen
from tests.helpers import TODAY


def read_store(home):
    session = open_session(home, load_frameworks(home), "checker", writer=False, clock=Clock(TODAY))
    return session


async def goto(pilot, screen: AssessmentScreen, ref: str) -> None:
    """Move with n/p until the question with this ref is showing."""
    for _ in range(100):
        current = screen.question.ref
        if current == ref:
            return
        order = [q.ref for q in screen.questions]
        await pilot.press("n" if order.index(current) < order.index(ref) else "p")
    raise AssertionError(f"never reached {ref}")


async def test_answer_a_domain_by_keys_then_resume_after_restart(demo_home, new_app):
    app = new_app(demo_home)
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, AssessmentScreen)
        assessment_id = screen.assessment_id
        await goto(pilot, screen, "6.1")
        # Every question of the workforce domain, by number keys.
        ratings = {"6.1": "3", "6.2": "2", "6.3": "1", "6.4": "3", "6.6": "4", "6.7": "2"}
        ws = screen.sa.ws
        taken = {x.title for x in ws.actions(assessment_id)}
        suggestion = next(t for t in screen.framework.question("6.3").suggested_actions if t not in taken)
        for ref in ["6.1", "6.2", "6.3", "6.4", "6.5", "6.6", "6.7"]:
            assert screen.question.ref == ref
            if ref == "6.5":
                await pilot.press("x")  # N/A asks for a reason
                await pilot.pause()
                await pilot.press(*"No bank or locum staff: all temporary staffing is through the system bank.")
                await pilot.press("ctrl+s")
                await pilot.pause()
            else:
                await pilot.press(ratings[ref])
            if ref == "6.3":
                # A gap: adopt the first suggested action, name the owner, save.
                await pilot.press("a")
                await pilot.pause()
                await pilot.press("enter")
                await pilot.pause()
                dialog = app.screen
                assert dialog.query_one("#title", Input).value == suggestion
                dialog.query_one("#owner", Input).value = "Helen Marsh"
                dialog.query_one("#role", Input).value = "Chief People Officer"
                dialog.query_one("#due", Input).value = "2027-03-31"
                await pilot.press("ctrl+s")
                await pilot.pause()
                assert app.screen is screen
            if ref != "6.7":
                await pilot.press("n")
        # Type evidence on the last one and leave it: it saves without a save button.
        await pilot.press("e")
        await pilot.press(*"Flexible working policy 2026")
        await pilot.press("escape")
        await pilot.pause()
        last_question = screen.question_id
        await pilot.press("ctrl+q")

    session = read_store(demo_home)
    ws = session.workspace
    answers = ws.answers(assessment_id)
    fw = ws.framework(ws.assessment(assessment_id))
    by_ref = {fw.question(qid).ref: a for qid, a in answers.items()}
    for ref, number in ratings.items():
        a = by_ref[ref]
        assert fw.scale_for(fw.question(a.question_id)).number_of(a.rating) == int(number), ref
        assert a.state == "draft", ref  # reviewed: no longer "carried forward, needs review"
    assert by_ref["6.5"].is_na and by_ref["6.5"].na_reason.startswith("No bank or locum staff")
    assert by_ref["6.7"].evidence.endswith("with action plan.Flexible working policy 2026")
    adopted = [x for x in ws.actions(assessment_id) if x.owner == "Helen Marsh" and x.title == suggestion]
    assert len(adopted) == 1 and adopted[0].original_due == "2027-03-31" and adopted[0].origin == "suggested"
    assert adopted[0].question_ids == ("workforce.bullying-and-discrimination",)
    assert session.store.verify().ok
    session.close()

    # Restart: the app opens at the same question, with every answer intact.
    app = new_app(demo_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, AssessmentScreen)
        assert screen.question_id == last_question
        assert screen.query_one("#evidence", TextArea).text.endswith("Flexible working policy 2026")
        await pilot.press("p")
        assert screen.question.ref == "6.6"
        assert screen.query_one("#rating").selected == "leading"


async def test_typed_text_is_saved_after_a_pause_and_before_moving_on(demo_home, new_app):
    app = new_app(demo_home)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("enter")
        screen = app.screen
        qid = screen.question_id
        await pilot.press("e", *"Committee terms of reference, May")
        await pilot.pause(1.2)  # the pause after typing
        assert screen.sa.ws.answer_for(screen.assessment_id, qid).evidence.endswith("Committee terms of reference, May")
        assert "Saved" in str(screen.query_one("#savebar").render())
        await pilot.press("escape", "t", *"Check with the chair")
        await pilot.press("escape", "n")  # moving on saves at once
        assert screen.sa.ws.answer_for(screen.assessment_id, qid).notes == "Check with the chair"


async def test_actions_screen_filters_overdue_in_two_keys_and_records_progress(demo_home, new_app):
    app = new_app(demo_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("l", "v")  # two keystrokes from home: every overdue action
        screen = app.screen
        assert isinstance(screen, ActionsScreen)
        table = screen.query_one(DataTable)
        assert table.row_count == 3
        await pilot.press("enter")
        await pilot.pause()
        dialog = app.screen
        dialog.query_one("#due", Input).value = "31/03/2027"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "is not a date" in str(dialog.query_one("#due-error").render())  # beside the field
        dialog.query_one("#due", Input).value = "2027-01-31"
        dialog.query_one("#note", TextArea).load_text("Audit committee agreed the new date")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is screen and table.row_count == 2
        await pilot.press("c", "o")  # clear the filter, sort by owner
        assert table.row_count == len(screen.sa.ws.live_actions(screen.assessment_id))


async def test_dashboard_shows_scores_against_last_year(demo_home, new_app):
    app = new_app(demo_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("d")
        assert isinstance(app.screen, DashboardScreen)
        text = str(app.screen.query_one("#owners").render())
        assert "James Okoro: 2" in text and "David Chen: 1" in text


async def test_fresh_store_offers_the_demo_and_opens_it(tmp_path, new_app):
    app = new_app(tmp_path / "fresh")
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, WelcomeScreen)
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert app.screen.query_one(DataTable).row_count == 2


async def test_fresh_store_starts_the_first_assessment(tmp_path, new_app):
    app = new_app(tmp_path / "fresh")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n")
        await pilot.pause()
        dialog = app.screen
        dialog.query_one("#organisation", Input).value = "Northgate Hospitals NHS Trust"
        dialog.query_one("#ods", Input).value = "RNG"
        dialog.query_one("#org-type").value = "acute"  # asked when the trust is created
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, AssessmentScreen)
        assert app.screen.question.ref == "1.1"
        await pilot.press("2")
        assert app.screen.answers[app.screen.question_id].rating == "developing"


async def test_a_damaged_store_shows_what_to_do_and_touches_nothing(demo_home, new_app):
    (demo_home / "store" / "state.json").write_text("")
    app = new_app(demo_home)
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, ProblemScreen)
        assert "selfassess store restore --from-log" in str(app.screen.query_one(".problem").render())
        await pilot.press("q")
    assert (demo_home / "store" / "state.json").read_text() == ""


@pytest.mark.parametrize("damaged", [False, True])
async def test_the_cycle_collector_start_up_turned_off_is_back_on_after_the_first_paint(demo_home, new_app, damaged):
    import gc

    if damaged:  # the problem screen is a first paint too
        (demo_home / "store" / "state.json").write_text("")
    gc.disable()  # as launch.py does before the first import
    try:
        app = new_app(demo_home)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, ProblemScreen if damaged else HomeScreen)
            assert gc.isenabled() and gc.get_freeze_count() > 0  # what start-up made is left out of its walks
    finally:
        gc.enable()
        gc.unfreeze()


@pytest.mark.parametrize("text", ["[b]bold[/b] [@click=app.quit]x[/]", "=HYPERLINK(\"x\") <img src=x> R&D 😀 عربى"])
async def test_hostile_text_is_shown_as_written_never_as_markup(demo_home, new_app, text):
    session = open_session(demo_home, load_frameworks(demo_home), "Priya Raman", clock=Clock(TODAY))
    aid = session.workspace.current_assessments()[-1].id
    session.workspace.answer(aid, "1.1", evidence=text, notes=text)
    session.workspace.answer(aid, "1.2", na_reason=text)
    q2 = session.workspace.framework(session.workspace.assessment(aid)).question("1.2").id
    session.close()
    app = new_app(demo_home)
    async with app.run_test(size=(120, 36)) as pilot:
        app.push_screen(AssessmentScreen(aid, "leadership.executive-lead"))
        await pilot.pause()
        assert app.screen.query_one("#evidence", TextArea).text == text
        # What a Static shows (ui/text.plain): every bracket and tag, as written.
        app.push_screen(AssessmentScreen(aid, q2))
        await pilot.pause()
        shown_na = str(app.screen.query_one("#na-reason").render())
        assert shown_na == f"Not applicable because: {text}"
        assert app.is_running


async def test_every_key_binding_is_also_in_the_command_palette(demo_home, new_app):
    app = new_app(demo_home)
    async with app.run_test(size=(100, 30)) as pilot:
        for keys, screen_type in [((), HomeScreen), (("enter",), AssessmentScreen)]:
            await pilot.press(*keys)
            assert isinstance(app.screen, screen_type)
            titles = {c.title for c in app.get_system_commands(app.screen)}
            for binding in screen_type.BINDINGS:
                if binding.description and not binding.description.startswith("Rate "):
                    assert binding.description in titles, binding.description
        # And a command runs from the palette: ctrl+p, type, enter.
        await pilot.press("escape")
        await pilot.press("ctrl+p", *"Dashboard")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)


async def test_no_color_is_respected(demo_home, new_app, monkeypatch):
    from textual.filter import Monochrome, NoColor

    monkeypatch.setenv("NO_COLOR", "1")
    app = new_app(demo_home)
    async with app.run_test(size=(80, 24)):
        assert app.no_color
        assert any(isinstance(f, (Monochrome, NoColor)) for f in app._filters)


async def test_export_from_the_app_runs_in_a_worker_and_names_the_file(demo_home, new_app, tmp_path, monkeypatch):
    out = tmp_path / "exports"
    monkeypatch.setenv("SELFASSESS_EXPORTS", str(out))
    app = new_app(demo_home)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("d", "x")  # dashboard, export
        await pilot.pause()
        choices = app.screen.query_one("#choices")
        await pilot.press(*["down"] * 4, "enter")  # "All four"
        await app.workers.wait_for_complete()
        await pilot.pause()
        names = sorted(p.name for p in out.iterdir())
        assert names == ["RVH-2026-27-action-plan.xlsx", "RVH-2026-27-annual-report-section.docx",
                         "RVH-2026-27-annual-report-section.md", "RVH-2026-27-board-report.pdf"]
        messages = [n.message for n in app._notifications]
        assert any(m.startswith("Saved the board report: ") and m.endswith("RVH-2026-27-board-report.pdf") for m in messages)
        assert choices is not None


def _domain_line(screen: AssessmentScreen, domain_id: str) -> str:
    from selfassess.ui.widgets import QuestionOutline

    outline = screen.query_one(QuestionOutline)
    return str(outline.get_option(f"domain:{domain_id}").prompt)


async def test_every_save_updates_the_domain_counter_and_the_status_bar_at_once(demo_home, new_app):
    app = new_app(demo_home)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, AssessmentScreen)
        await goto(pilot, screen, "6.1")  # workforce: every answer carried forward, none reviewed
        assert _domain_line(screen, "workforce").endswith("0/7")
        bar = str(screen.query_one("#savebar").render())
        assert "25 of 43 answered · 18 need review" in bar
        await pilot.press("r")  # confirm the carried-forward answer
        await pilot.pause()
        assert _domain_line(screen, "workforce").endswith("1/7")
        assert "26 of 43 answered · 17 need review" in str(screen.query_one("#savebar").render())
        await pilot.press("n", "2")  # rate the next one: reviewing it by changing it
        await pilot.pause()
        assert _domain_line(screen, "workforce").endswith("2/7")
        assert "27 of 43 answered · 16 need review" in str(screen.query_one("#savebar").render())
        # The dashboard says the same, computed from the same figures.
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        assert "27 of 43 answered this year\nAnswers by state: 1 agreed, 26 draft, 16 carried forward (needs review), 0 not started" \
            in str(app.screen.query_one("#completeness").render())


async def test_points_for_challenge_by_key_and_in_the_palette(tmp_path, new_app):
    from selfassess.ui.screens.checks import ChecksScreen

    home = tmp_path / "home"
    session = open_session(home, load_frameworks(home), "Priya Raman", clock=Clock(TODAY))
    ws = session.workspace
    a = ws.new_assessment("Trust", "what-works-principles", "2025/26").assessment
    ws.answer(a.id, "1.1", score=3)  # the top level with no evidence
    session.close()
    app = new_app(home)
    async with app.run_test(size=(100, 30)) as pilot:
        commands = [c.help for c in app.get_system_commands(app.screen)] + \
                   [c.title for c in app.get_system_commands(app.screen)]
        assert "Points for challenge" in commands
        await pilot.press("k")
        await pilot.pause()
        assert isinstance(app.screen, ChecksScreen)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 1 and "1.1 is rated Embedded with no evidence recorded." in str(table.get_row_at(0)[1])
        await pilot.press("enter")  # to the question itself
        await pilot.pause()
        assert isinstance(app.screen, AssessmentScreen) and app.screen.question.ref == "1.1"


async def test_ready_for_board_refuses_open_questions_and_asks_once_to_agree_the_drafts(tmp_path, new_app):
    home = tmp_path / "home"
    session = open_session(home, load_frameworks(home), "Priya Raman", clock=Clock(TODAY))
    ws = session.workspace
    a = ws.new_assessment("Trust", "what-works-principles", "2025/26").assessment
    questions = list(ws.framework(a).questions())
    for q in questions[1:]:
        ws.answer(a.id, q.id, score=1, evidence="Minutes")
    session.close()
    app = new_app(home)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("m")
        await pilot.pause()
        assert any("1 question(s) are unanswered (1.1)" in n.message for n in app._notifications)
        assert isinstance(app.screen, HomeScreen)
        app.ws.answer(a.id, questions[0].id, score=1, evidence="Minutes")
        await pilot.press("m")
        await pilot.pause()
        assert "Agree all 24 drafts?" in str(app.screen.query_one(".dialog-title").render())
        await pilot.press("escape")  # not agreed: nothing changes
        await pilot.pause()
        assert app.ws.assessment(a.id).status == "in_progress"
        await pilot.press("m")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.ws.assessment(a.id).status == "ready_for_board"
        assert {x.state for x in app.ws.answers(a.id).values()} == {"agreed"}


async def test_home_is_drawn_once_before_it_shows_and_again_only_when_something_was_saved(demo_home, new_app, monkeypatch):
    drawn: list[int] = []
    original = HomeScreen.refresh_data

    def counting(self: HomeScreen) -> None:
        drawn.append(1)
        original(self)

    monkeypatch.setattr(HomeScreen, "refresh_data", counting)
    app = new_app(demo_home)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen) and len(drawn) == 1
        home = app.screen
        table = home.query_one(DataTable)
        done_before = table.get_cell_at((0, 3))
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, AssessmentScreen)
        await goto(pilot, screen, "6.1")
        await pilot.press("escape")  # nothing saved: the table stands, the resume hint moves on
        await pilot.pause()
        assert app.screen is home and len(drawn) == 1
        assert "resumes at 6.1" in str(home.query_one("#hint").render())
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("r", "escape")  # a carried-forward answer confirmed: drawn again, with it
        await pilot.pause()
        assert app.screen is home and len(drawn) == 2
        assert table.get_cell_at((0, 3)) != done_before


async def test_one_draft_left_is_asked_about_as_one(tmp_path, new_app):
    from selfassess.ui.dialogs import SignOffDialog

    home = tmp_path / "home"
    session = open_session(home, load_frameworks(home), "Priya Raman", clock=Clock(TODAY))
    ws = session.workspace
    a = ws.new_assessment("Trust", "what-works-principles", "2025/26").assessment
    questions = list(ws.framework(a).questions())
    for q in questions:
        ws.answer(a.id, q.id, score=1, evidence="Minutes", state="agreed" if q is not questions[0] else "draft")
    session.close()
    app = new_app(home)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("s")
        await pilot.pause()
        assert str(app.screen.query_one(".dialog-title").render()) == "Agree the last draft?"
        assert "1 drafts" not in str(app.screen.query_one(".dialog-text").render())
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SignOffDialog)
        assert "The remaining draft answer is agreed with this sign-off." in [
            str(s.render()) for s in app.screen.query(".dim")]


async def test_home_says_how_next_year_starts_from_the_latest_signed_off_year(tmp_path, new_app, demo_home):
    from selfassess.ui.dialogs import NewAssessmentDialog

    home = tmp_path / "own"
    session = open_session(home, load_frameworks(home), "Priya Raman", clock=Clock(TODAY))
    ws = session.workspace
    a = ws.new_assessment("Trust", "what-works-principles", "2025/26").assessment
    for q in ws.framework(a).questions():
        ws.answer(a.id, q.id, score=1, evidence="Minutes", state="agreed")
    ws.sign_off(a.id, [("Ann Lee", "Chair")], on=TODAY.isoformat())
    session.close()
    app = new_app(home)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "c starts 2026/27 from it" in str(app.screen.query_one("#summary").render())
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, NewAssessmentDialog) and app.screen.query_one("#period").value == "2026/27"
    app = new_app(demo_home)  # its signed-off year has a year after it already: nothing to say
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("down")
        await pilot.pause()
        summary = str(app.screen.query_one("#summary").render())
        assert "Signed off" in summary and "c starts" not in summary

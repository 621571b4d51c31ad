"""The app as people live in it (issue 15): every width, typed text never lost, keys that are said."""

from __future__ import annotations

from textual.widgets import DataTable

from selfassess.core.clock import Clock
from selfassess.core.model import AGREED
from selfassess.ui.dialogs import ActionDialog, ConfirmDialog, NewAssessmentDialog, SignOffDialog
from selfassess.ui.help import KeysHelp
from selfassess.ui.screens.actions import ActionsScreen
from selfassess.ui.screens.assessment import AssessmentScreen
from selfassess.ui.text_area import TextArea
from selfassess.ui.widgets import QuestionOutline, RatingBar
from tests.helpers import TODAY


def _text(app) -> str:
    """What is on the terminal, as text (one line a row)."""
    import io

    from rich.console import Console

    console = Console(width=app.size.width, record=True, file=io.StringIO(), color_system=None)
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text()


async def open_question(pilot, app, ref: str) -> AssessmentScreen:
    await pilot.press("enter")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, AssessmentScreen)
    q = next(q for q in screen.questions if q.ref == ref)
    screen.go(q.id)
    await pilot.pause()
    return screen


async def test_level_descriptors_wrap_and_the_list_folds_below_100_columns(demo_home, new_app):
    for width, folded in ((60, True), (80, True), (120, False)):
        app = new_app(demo_home)
        async with app.run_test(size=(width, 24)) as pilot:
            screen = await open_question(pilot, app, "1.1")
            bar = screen.query_one(RatingBar)
            assert screen.query_one(QuestionOutline).display is not folded
            rendered = str(bar.render())
            assert "…" not in rendered  # never cut
            for choice in bar.choices:  # every word of every descriptor is there
                assert all(word in rendered for word in choice.description.split())
            if folded:
                await pilot.press("o")
                assert screen.query_one(QuestionOutline).display


async def test_s_keeps_the_assurance_line_in_view_and_asks_before_an_agreed_answer_goes_to_draft(demo_home, new_app):
    app = new_app(demo_home)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_question(pilot, app, "1.1")
        await pilot.press("r")  # agreed
        await pilot.pause()
        assert screen.answers[screen.question_id].state == AGREED
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)  # asked, not silently moved back to draft
        await pilot.press("escape")
        await pilot.pause()
        assert screen.answers[screen.question_id].state == AGREED
        await pilot.press("s")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause(0.3)
        assert screen.answers[screen.question_id].state != AGREED
        line = screen.query_one("#assurance")
        panel = screen.query_one("#qpanel")
        assert panel.region.contains_region(line.region)  # the line that changed is on screen


async def test_refused_text_stays_asks_before_moving_on_and_comes_back_after_a_restart(demo_home, new_app):
    app = new_app(demo_home)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_question(pilot, app, "1.1")
        qid = screen.question_id
        await pilot.press("e")
        area = screen.query_one("#evidence", TextArea)
        area.insert("Board minutes\x00 of May")
        await pilot.pause()
        screen.flush()
        await pilot.pause()
        assert "Not saved" in str(screen.query_one("#savebar").render())
        await pilot.press("escape", "n")  # out of the text box, then try to move on
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("escape")  # stay
        await pilot.pause()
        assert screen.question_id == qid
        assert "Board minutes\x00 of May" in area.text
    app = new_app(demo_home)  # a restart: back at the question, the text as typed
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, AssessmentScreen) and screen.question_id == qid
        assert "Board minutes\x00 of May" in screen.query_one("#evidence", TextArea).text


async def test_a_refused_sign_off_keeps_the_names_and_says_why_beside_the_field(demo_home, new_app):
    app = new_app(demo_home)
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = SignOffDialog("2026/27", "2026-11-23", submit=lambda form: "The board cannot sign off yet")
        app.push_screen(dialog)
        await pilot.pause()
        await pilot.press(*"Ann Lee")
        dialog.query_one("#meeting").value = "Public board, item 9"
        dialog.query_one("#date").value = "23/11/2026"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is dialog
        error = dialog.query_one("#date-error")
        assert error.display and "not a date" in str(error.render())
        assert dialog.screen.region.contains_region(error.region)  # visible at 80x24
        dialog.query_one("#date").value = "2026-11-23"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is dialog  # the change itself refused: still open, as typed
        assert "cannot sign off" in str(dialog.query_one("#error").render())
        assert dialog.query_one("#name1").value == "Ann Lee"
        assert dialog.query_one("#meeting").value == "Public board, item 9"


async def test_new_assessment_dialog_fast_typing_lands_in_one_field_and_asks_the_trust_type(tmp_path, new_app):
    app = new_app(tmp_path / "fresh")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n", *"Northgate Hospitals")  # no pause: typed as fast as keys come
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, NewAssessmentDialog)
        assert dialog.query_one("#organisation").value == "Northgate Hospitals"
        assert dialog.query_one("#period").value == "2026/27"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is dialog  # the type is asked
        assert dialog.query_one("#org-type-error").display
        dialog.query_one("#org-type").value = "mental_health"
        dialog.query_one("#period").value = "2026/28"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert dialog.query_one("#period-error").display
        assert dialog.query_one("#organisation").value == "Northgate Hospitals"
        dialog.query_one("#period").value = "2026/27"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.ws.organisations()[0].type == "mental_health"


async def test_action_dialog_multi_line_note_and_a_past_due_date_is_asked(demo_home, new_app):
    app = new_app(demo_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, ActionsScreen)
        await pilot.press("enter")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ActionDialog)
        note = dialog.query_one("#note", TextArea)
        note.insert("First line\nSecond line")
        dialog.query_one("#due").value = "2020-01-31"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is dialog
        assert "already past" in str(dialog.query_one("#due-error").render())
        await pilot.press("ctrl+s")  # asked once: a second time keeps it
        await pilot.pause()
        assert not isinstance(app.screen, ActionDialog)
        changed = [a for a in app.ws.live_actions(app.screen.assessment_id) if a.current_due == "2020-01-31"]
        assert changed and changed[0].last_update.text == "First line\nSecond line"


async def test_footer_f1_and_palette(demo_home, new_app):
    app = new_app(demo_home)
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        footer = [line for line in _text(app).splitlines() if line.strip()][-1]
        assert "Quit" in footer and "Help" in footer and "Action plan" in footer and "Sign off" in footer
        commands = list(app.get_system_commands(app.screen))
        titles = [c.title for c in commands]
        assert len(titles) == len(set(titles))
        assert not any(c.help.startswith("Key:") for c in commands)
        assert titles.count("Quit") == 1
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        helped = app.screen
        assert isinstance(helped, KeysHelp)
        own = [k for k, _ in helped.own]
        assert own[:4] == ["1", "2", "3", "4"] and "5" not in own  # the scale's real levels, first
        legend = str(helped.query_one("#legend").render())
        assert all(mark in legend for mark in "●◐↻–○")


async def test_no_color_marks_the_current_row_by_reverse_video(demo_home, new_app, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = new_app(demo_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#assessments")
        style = table.get_component_rich_style("datatable--cursor")
        assert style.reverse


def terminal_width(text: str) -> int:
    """Cells as a terminal draws them (Markus Kuhn's wcwidth rule, as xterm, VTE and tmux do):
    non-spacing and enclosing marks and format characters take none, wide East Asian ones two."""
    import unicodedata

    return sum(0 if unicodedata.category(c) in ("Mn", "Me", "Cf") else
               2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


async def test_devanagari_and_combining_marks_keep_the_text_box_border_in_line(demo_home, new_app):
    app = new_app(demo_home)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_question(pilot, app, "1.1")
        await pilot.press("e")
        area = screen.query_one("#evidence", TextArea)
        area.load_text("किताब नमस्ते दुनिया है\ncafe\u0301 re\u0301sume\u0301\nplain line")
        await pilot.pause()
        lines = [line for line in _text(app).splitlines() if "▊" in line and "▎" in line][:4]
        assert len(lines) == 4
        widths = {terminal_width(line[line.index("▊"):line.rindex("▎") + 1]) for line in lines}
        assert len(widths) == 1, lines  # every right border in the same column, as the terminal draws it


def type_at_once(app, keys: str) -> None:
    """Keys as a terminal delivers a burst typed faster than the app answers: all queued before the first is handled."""
    from textual import events

    names = {"/": "slash", " ": "space", ".": "full_stop", "\t": "tab", "\r": "enter"}
    for ch in keys:
        app.post_message(events.Key(names.get(ch, ch), ch))


async def test_new_assessment_from_home_typing_at_once_lands_in_the_period(demo_home, new_app):
    app = new_app(demo_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.screen.action_new()  # the dialog is on its way; the keys are already queued behind it, as under load
        type_at_once(app, "2027/28")
        await pilot.pause()
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, NewAssessmentDialog)
        assert dialog.query_one("#organisation").value == "Riverside Valley Hospitals NHS Foundation Trust"
        assert dialog.query_one("#period").value == "2027/28"  # every key, the first one too


async def test_keys_typed_with_the_n_that_opens_the_dialog_reach_the_dialog(demo_home, new_app):
    app = new_app(demo_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        home = app.screen
        # "l" and "d" are Home's keys (action plan, dashboard): typed behind the "n", they are the dialog's text.
        type_at_once(app, "n2027/28")
        await pilot.pause()
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, NewAssessmentDialog) and app.screen_stack == [home, dialog]
        assert dialog.query_one("#period").value == "2027/28"
        dialog.query_one("#period").value = ""
        type_at_once(app, "ld")
        await pilot.pause()
        assert app.screen is dialog and dialog.query_one("#period").value == "ld"
        await pilot.press("escape")
        assert app.screen is home


async def test_keys_typed_with_the_e_that_opens_the_evidence_box_are_evidence_not_keys(demo_home, new_app):
    app = new_app(demo_home)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_question(pilot, app, "1.1")
        before = screen.answers[screen.question_id]
        type_at_once(app, "e Audit 1 ward")  # "1" rates, "d" the dashboard, "u" the next to do...
        await pilot.pause()
        await pilot.pause()
        assert app.screen is screen and screen.question_id == before.question_id
        area = screen.query_one("#evidence", TextArea)
        assert area.has_focus and area.text.endswith(" Audit 1 ward")
        assert screen.answers[screen.question_id].rating == before.rating


async def test_pressing_last_years_rating_again_reviews_it_as_a_draft_never_agreed(demo_home, new_app):
    app = new_app(demo_home)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_question(pilot, app, "6.1")  # carried forward, not yet reviewed
        before = screen.answers[screen.question_id]
        assert before.state == "needs_review"
        digit = str(screen.framework.scale_for(screen.question).digit_of(before.rating))
        await pilot.press(digit)
        await pilot.pause()
        after = screen.answers[screen.question_id]
        assert after.state == "draft" and after.rating == before.rating  # reviewed, and no more than that
        said = [n for n in app._notifications if n.title == "Reviewed"]
        assert said and "draft for the board to agree" in said[0].message


async def test_a_tab_typed_at_once_moves_the_text_after_it_to_the_next_field(tmp_path, new_app):
    app = new_app(tmp_path / "fresh")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        type_at_once(app, "nNorthgate\tRNG")
        await pilot.pause()
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, NewAssessmentDialog)
        assert dialog.query_one("#organisation").value == "Northgate" and dialog.query_one("#ods").value == "RNG"


async def test_g_shows_the_guidance_and_the_evidence_a_board_would_expect(demo_home, new_app):
    from textual.widgets import Collapsible

    app = new_app(demo_home)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_question(pilot, app, "1.1")
        guidance, expected = screen.query_one("#guidance", Collapsible), screen.query_one("#expected", Collapsible)
        assert guidance.collapsed and expected.collapsed
        await pilot.press("g")
        await pilot.pause()
        assert not guidance.collapsed and not expected.collapsed
        assert screen.question.evidence_expected[0] in str(screen.query_one("#expected-text").render())
        await pilot.press("g")
        await pilot.pause()
        assert guidance.collapsed and expected.collapsed


async def test_typing_at_once_in_an_action_update_is_the_progress_note_not_the_owner(demo_home, new_app):
    app = new_app(demo_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("l")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ActionsScreen)
        type_at_once(app, "\rMet the editor")  # enter opens the selected action's update
        await pilot.pause()
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ActionDialog)
        owner = dialog.query_one("#owner").value
        assert owner and "Met" not in owner
        assert dialog.query_one("#note", TextArea).text == "Met the editor"


async def test_a_plan_kept_for_years_shows_each_ref_whole_on_one_line(demo_home, new_app):
    """A trust's refs grow with the years (A100, A1042); a queried one ends in '?': never wrapped in two."""
    from selfassess.session import load_frameworks, open_session

    session = open_session(demo_home, load_frameworks(demo_home), "Priya Raman", clock=Clock(TODAY))
    try:
        ws = session.workspace
        current = next(a for a in ws.assessments() if a.status == "in_progress")
        question = next(iter(ws.framework(current).questions())).id
        last = None
        while last is None or last.ref != "A1000":
            last = ws.add_action(current.id, [question], "Action", "Helen Marsh", "2027-03-31")
        ws.update_action(last.id, owner="Zed Owner")
        long_ref = last.ref
    finally:
        session.close()
    app = new_app(demo_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("l")
        screen = app.screen
        assert isinstance(screen, ActionsScreen)
        screen.owner = "Zed Owner"
        screen.refresh_data()
        await pilot.pause()
        table = screen.query_one(DataTable)
        assert table.row_count == 1
        assert str(table.get_cell_at((0, 0))) == long_ref
        assert table.rows[table.coordinate_to_cell_key((0, 0)).row_key].height == 1  # "Action 79" and the ref: one line


async def test_the_footer_shows_each_key_whole_or_not_at_all_and_refits_on_resize(demo_home, new_app):
    """A narrow terminal leaves out the least needed keys (f1 lists them all), never half a key ('a Add ac')."""
    from textual.widgets._footer import FooterKey

    from selfassess.ui.help import KeyFooter

    app = new_app(demo_home)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_question(pilot, app, "1.1")
        shown = {}
        for width in (60, 80, 120, 60):
            await pilot.resize_terminal(width, 24)
            await pilot.pause()
            await pilot.pause()
            footer = screen.query_one(KeyFooter)
            keys = list(footer.query(FooterKey))
            assert keys and all(k.region.right <= width + 1 for k in keys)  # the last may lose its trailing space
            assert [k.key for k in keys][:2] == ["ctrl+q", "f1"]  # quit and help always
            shown[width] = [k.description for k in keys]
        assert len(shown[60]) < len(shown[80]) < len(shown[120])
        assert "Add action" in shown[120] and "Add action" not in shown[80]


async def test_f1_wraps_a_long_description_under_itself_not_under_the_keys(demo_home, new_app):
    app = new_app(demo_home)
    async with app.run_test(size=(60, 20)) as pilot:
        await open_question(pilot, app, "1.1")
        await pilot.press("f1")
        await pilot.pause()
        helped = app.screen
        assert isinstance(helped, KeysHelp)
        rows = helped.query_one("#own-keys")
        lines = str(rows.render()).split("\n")
        keys = max(len(k) for k, _ in helped.own)
        starts = [line for line in lines if line[:keys].strip()]
        more = [line for line in lines if not line[:keys].strip()]
        assert len(starts) == len(helped.own) and more  # some descriptions wrap at 60 columns
        assert all(line.startswith(" " * (keys + 2)) and line[keys + 2] != " " for line in more)
        assert all(len(line) <= rows.content_size.width for line in lines)
        assert rows.size.height == len(lines)  # laid out as tall as it is drawn

"""User text never reaches the terminal raw (issue 10, finding 4, the app's door).

Evidence holding `ESC ] 0 ; PWNED BEL` set the window title, and `ESC [ 2 J ESC [ H` blanked the
screen. What the app would write to the terminal is rendered here from the compositor, as the app
renders it for a real terminal, and searched for the user's sequences.
"""

from __future__ import annotations

import re

from selfassess.core.clock import Clock
from selfassess.session import load_frameworks, open_session
from selfassess.ui.screens.assessment import AssessmentScreen
from selfassess.ui.screens.home import HomeScreen
from tests.helpers import TODAY

TITLE = "\x1b]0;PWNED\x07"
CLEAR = "\x1b[2J\x1b[H"
C1 = "\x9b31m"  # a one-byte CSI: red text on terminals that take C1 controls
EVIDENCE = f"Board minutes {TITLE} item 9 {CLEAR}{C1} end\u202e"
# What Textual itself writes: colours and styles (SGR), cursor moves, hyperlinks, and the
# synchronised-update brackets. Anything else beginning with ESC came from user text.
OURS = re.compile(r"\x1b\[[0-9;:?]*[mHJKlhABCDfG]|\x1b\]8;[^\x1b]*\x1b\\")


def terminal_output(app) -> str:
    """Exactly what the app would write to a terminal for the whole screen."""
    update = app.screen._compositor.render_update(full=True)
    return update.render_segments(app.console)


def raw_controls(out: str) -> list[str]:
    rest = OURS.sub("", out)
    return sorted({repr(ch) for ch in rest if (ord(ch) < 0x20 and ch not in "\n") or 0x7F <= ord(ch) <= 0x9F
                   or 0x202A <= ord(ch) <= 0x202E})


def put_hostile_text(home) -> tuple[str, str]:
    session = open_session(home, load_frameworks(home), "Priya Raman", clock=Clock(TODAY))
    try:
        ws = session.workspace
        current = next(a for a in ws.assessments() if a.status == "in_progress")
        ws.answer(current.id, "1.1", evidence=EVIDENCE)
        ws.add_action(current.id, ["1.1"], f"Fix {TITLE}papers{CLEAR}", f"Owner{C1}", "2027-03-31")
    finally:
        session.close()
    return current.id, EVIDENCE


async def test_evidence_with_escape_sequences_never_reaches_the_terminal(demo_home, new_app):
    assessment_id, evidence = put_hostile_text(demo_home)
    app = new_app(demo_home)
    async with app.run_test(size=(100, 40), notifications=True) as pilot:
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, AssessmentScreen) and screen.assessment_id == assessment_id
        for _ in range(60):
            if screen.question.ref == "1.1":
                break
            await pilot.press("p")
        assert screen.question.ref == "1.1"
        await pilot.pause()
        # The record keeps exactly what was typed...
        from textual.widgets import TextArea

        area = screen.query_one("#evidence", TextArea)
        assert area.text == evidence
        # ...and the screen shows it with visible pictures, never the raw sequences.
        await pilot.press("e")
        await pilot.pause()
        out = terminal_output(app)
        assert "PWNED" in out and "␛]0;PWNED␇" in out
        assert raw_controls(out) == [], raw_controls(out)
        assert TITLE not in out and CLEAR not in out and "\x9b" not in out
        # The action plan, with the hostile title and owner in its table, and a toast quoting it.
        await pilot.press("escape")
        await pilot.press("l")
        await pilot.pause()
        plan = app.screen  # titles wrap now (rows are taller): bring the hostile one into view
        table = plan.query_one("#actions")
        table.move_cursor(row=table.get_row_index(next(k for k, a in plan.rows.items() if "PWNED" in a.title)))
        await pilot.pause()
        app.notify(f"{TITLE} toast {CLEAR}", title=f"t{C1}")
        await pilot.pause()
        await pilot.pause(0.5)
        out = terminal_output(app)
        text = OURS.sub("", out)
        # The title wraps in its column now (never cut): each escape shows as its pictures, wherever the line breaks.
        assert "Fix ␛]0;PWNED␇" in text and "␛[2J␛[H" in text and "Owner�31m" in text, text
        assert "toast" in text, text
        assert raw_controls(out) == [], raw_controls(out)


async def test_the_guard_drops_controls_from_any_text_that_skipped_shown(demo_home, new_app):
    """An Input holding pasted escapes (its value is never passed through `shown`)."""
    from textual.widgets import Input

    app = new_app(demo_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n")  # the new-assessment dialog has inputs
        await pilot.pause()
        field = app.screen.query(Input).first()
        field.value = f"x{TITLE}y{CLEAR}z"
        await pilot.pause()
        out = terminal_output(app)
        assert "PWNED" in out
        assert raw_controls(out) == [], raw_controls(out)

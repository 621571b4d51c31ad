"""The regulator's screens with a genuinely signed submission whose names hold terminal escapes and
bidi overrides: kept exactly as sent (the record holds what the trust wrote), never written to the
terminal raw, and the review still opens and compares."""

from __future__ import annotations

import json

from textual.widgets import DataTable, Input

from selfassess.core.clock import Clock
from selfassess.session import load_frameworks, open_session
from selfassess.submission import keys, review
from selfassess.ui.screens.review import ReviewScreen, TrustReviewScreen
from tests.helpers import TODAY
from tests.ui.test_escapes import raw_controls as escapes
from tests.ui.test_escapes import terminal_output
from tests.unit.test_intake import genuine, resign
from tests.unit.test_submission import Party

NAME = "North\x1b]0;PWNED\x07gate\u202eSHN\u2066 \x9b31m\x1b[2J Trust"
TITLE = "Agree \x1b[H\x07objectives\u202d"


def raw_controls(out: str) -> list[str]:
    """Escapes, and the bidi isolates too (U+2066-U+2069), which reorder what follows them."""
    return escapes(out) + sorted({repr(ch) for ch in out if 0x2066 <= ord(ch) <= 0x2069})


async def test_hostile_names_in_a_signed_submission_never_reach_the_terminal_raw(tmp_path, new_app, monkeypatch):
    reg = tmp_path / "reg"
    monkeypatch.setenv("SELFASSESS_HOME", str(reg))
    trust = Party(tmp_path, "trust", "Priya Raman")
    _, files = genuine(trust, tmp_path)
    sub = json.loads(files["submission.json"])
    sub["organisation"]["name"] = NAME
    sub["actions"][0]["title"] = TITLE
    sub["assessment"]["signoff"]["signatories"][0]["name"] = NAME
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    resign(trust, files, sub, inbox / "hostile.selfassess")
    fp = trust.fingerprint()
    trust.close()
    s = open_session(reg, load_frameworks(reg), "Dr Okafor", clock=Clock(TODAY))
    keys.register_key(s.workspace, fp, "Northgate", "RNG")
    s.close()

    app = new_app(reg, actor="Dr Okafor")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("v", "i")
        await pilot.pause()
        app.screen.query_one("#value", Input).value = str(inbox)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ReviewScreen) and screen.query_one(DataTable).row_count == 1
        out = terminal_output(app)
        assert "PWNED" in out and raw_controls(out) == [], raw_controls(out)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TrustReviewScreen)
        out = terminal_output(app)
        assert "objectives" in out and raw_controls(out) == [], raw_controls(out)
    s = open_session(reg, load_frameworks(reg), "Dr Okafor", clock=Clock(TODAY))
    try:
        (kept,) = review.Review(s.workspace, reg).submissions()
        assert kept.organisation.name == NAME and kept.actions[0].title == TITLE  # stored exactly as sent
        assert s.store.verify().ok
    finally:
        s.close()

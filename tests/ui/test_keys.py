"""The keys screen: this installation's fingerprint in large type (copied on a key), the keys registered here,
registering one from a file only after its fingerprint was shown, and revoking one (on the audit trail)."""

from __future__ import annotations

from textual.widgets import DataTable, Digits, Input

from selfassess.core.clock import Clock
from selfassess.session import load_frameworks, open_session
from selfassess.submission import keys
from selfassess.ui.screens.keys import (
    ConfirmKeyDialog,
    KeyFileDialog,
    KeysScreen,
    fingerprint_lines,
)
from tests.helpers import TODAY


def registered(home):
    s = open_session(home, load_frameworks(home), "Checker", writer=False, clock=Clock(TODAY))
    try:
        return keys.trusted_keys(s.workspace), [e for _, e, _ in s.store.events() if e]
    finally:
        s.close()


async def test_the_fingerprint_is_shown_large_and_copied(demo_home, new_app, monkeypatch):
    app = new_app(demo_home)
    copied: list[str] = []
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("K")  # from Home
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, KeysScreen)
        own = keys.key_fingerprint(keys.load_or_create(demo_home))
        big = [d.value for d in screen.query(Digits)]
        assert big == fingerprint_lines(own) and len(big) == 4 and all(len(piece) == 9 for piece in big)
        assert " ".join(big).replace(" ", "") == own.removeprefix("SHA256:").replace(" ", "")
        await pilot.press("c")
        assert copied == [own]
        assert any("Copied" in n.message for n in app._notifications)


async def test_register_from_a_file_shows_the_fingerprint_and_asks_first_then_revoke(demo_home, new_app, tmp_path):
    other = tmp_path / "northgate"
    key_file = keys.export_public_key(other, tmp_path)
    theirs = keys.key_fingerprint(keys.load_or_create(other))
    app = new_app(demo_home, actor="Dr Okafor")
    async with app.run_test(size=(100, 36)) as pilot:
        app.action_keys()  # as the palette's "Keys and fingerprints" does, from any screen
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, KeyFileDialog)
        await pilot.press(*str(tmp_path / "nothing-here"), "enter")
        await pilot.pause()
        assert isinstance(app.screen, KeyFileDialog)  # refused beside the field, the path kept to correct
        assert "nothing-here" in str(app.screen.query_one("#error").render())
        app.screen.query_one("#path", Input).value = str(key_file)
        await pilot.press("enter")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConfirmKeyDialog)  # asks: is this the fingerprint they told you?
        assert [d.value for d in dialog.query(Digits)] == fingerprint_lines(theirs)
        assert theirs in str(dialog.query_one("#offer-fingerprint").render())
        assert registered(demo_home)[0] == []  # nothing registered before the answer
        await pilot.press("ctrl+s")  # no name yet: refused in the dialog, which stays
        await pilot.pause()
        assert app.screen is dialog and "whose key" in str(dialog.query_one("#error").render())
        dialog.query_one("#name", Input).value = "Northgate NHS Trust"
        dialog.query_one("#ods", Input).value = "RNG"
        await pilot.press("ctrl+s")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, KeysScreen)
        table = screen.query_one("#registered", DataTable)
        assert table.row_count == 1 and table.get_row_at(0)[4] == theirs and table.get_row_at(0)[1] == "trusted"

        await pilot.press("x")  # revoke the chosen key: asks why
        await pilot.pause()
        await pilot.press(*"Their laptop was stolen", "ctrl+s")
        await pilot.pause()
        assert table.get_row_at(0)[1] == "revoked 2026-11-23"
    (key,), events = registered(demo_home)
    assert key.fingerprint == theirs and key.revoked and key.revoked_reason == "Their laptop was stolen"
    assert [e["action"] for e in events[-2:]] == ["keys.trust", "keys.revoke"]
    assert events[-1]["actor"] == "Dr Okafor" and "Their laptop was stolen" in events[-1]["summary"]


async def test_cancelling_the_confirmation_registers_nothing(demo_home, new_app, tmp_path):
    key_file = keys.export_public_key(tmp_path / "other", tmp_path)
    app = new_app(demo_home)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("K", "r")
        await pilot.pause()
        app.screen.query_one("#path", Input).value = str(key_file)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmKeyDialog)
        app.screen.query_one("#name", Input).value = "Someone"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, KeysScreen)
    assert registered(demo_home)[0] == []

"""Keys and fingerprints: this installation's key, in type large enough to read aloud over the phone,
and the keys of the trusts and the regulator registered here (register one from a file, revoke one).

Thin: what a key file holds, registering and revoking are submission.keys; this screen shows and asks.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, DataTable, Digits, Header, Input, Label, Static

from ...core.errors import SelfAssessError
from ...submission import keys
from ..help import KeyFooter
from ..text import cell, plain
from .base import AppScreen

READ_ALOUD = ("Read it to the other party by phone, or put it in a letter: they check it against the file "
              "you send them before they register your key.")


NARROW = 64  # with less room than this the large fingerprint takes two groups to a line, not four


def fingerprint_lines(fingerprint: str) -> list[str]:
    """The fingerprint's eight groups of four, two groups to a piece (27 columns wide in large type)."""
    groups = fingerprint.removeprefix("SHA256:").split()
    return [" ".join(groups[i:i + 2]) for i in range(0, len(groups), 2)]


class BigFingerprint(Grid):
    """A fingerprint in large type, grouped as it is read aloud: four groups to a line, two when narrow."""

    DEFAULT_CSS = """
    BigFingerprint { grid-size: 2; grid-columns: 30; grid-rows: 3; height: auto; width: auto; margin: 0 0 0 1; }
    BigFingerprint.narrow { grid-size: 1; }
    BigFingerprint Digits { width: 27; }
    """

    def __init__(self, fingerprint: str, id: str | None = None):
        super().__init__(id=id)
        self.fingerprint = fingerprint

    def compose(self) -> ComposeResult:
        for piece in fingerprint_lines(self.fingerprint):
            yield Digits(piece)

    def on_mount(self) -> None:
        self.fit()

    def on_resize(self) -> None:
        self.fit()

    def fit(self) -> None:
        """Four groups to a line when the screen or dialog it is in has the room, else two."""
        room = self.parent.content_region.width if isinstance(self.parent, Widget) else self.app.size.width
        self.set_class(room < NARROW - 4, "narrow")


class KeysScreen(AppScreen):
    DEFAULT_CSS = """
    KeysScreen #own-plain, KeysScreen #own-file, KeysScreen #keys-hint { height: auto; }
    KeysScreen #registered { height: auto; max-height: 12; margin: 1 0 0 0; }
    """
    BINDINGS = [
        Binding("escape", "back", "Back", id="back"),
        Binding("c", "copy", "Copy fingerprint", id="copy"),
        Binding("r", "register", "Register a key", id="register"),
        Binding("x", "revoke", "Revoke key", id="revoke"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.own: str | None = None
        self.problem: str | None = None
        self.rows: list[keys.TrustedKey] = []

    def compose(self) -> ComposeResult:
        try:  # made the first time it is needed, as `selfassess keys show` does
            self.own = keys.key_fingerprint(keys.load_or_create(self.sa.home))
        except SelfAssessError as exc:
            self.problem = exc.for_app()
        yield Header()
        yield from self.banner()
        with VerticalScroll(classes="page"):
            yield Static("This installation's key fingerprint", classes="title")
            if self.own:
                yield BigFingerprint(self.own, id="own-fingerprint")
                yield Static(plain(f"{self.own}\n{READ_ALOUD}  (c copies it)"), id="own-plain")
                yield Static(f"Its private part is {keys.KEY_FILE} in the keys folder of the data folder, "
                             "readable only by you: never send it (selfassess keys export writes the public part).",
                             id="own-file", classes="dim")
            else:
                yield Static(plain(f"No key can be shown: {self.problem}"), classes="problem")
            yield Static("Keys registered here: trusts' and the regulator's", classes="title")
            yield DataTable(id="registered", cursor_type="row", zebra_stripes=True)
            yield Static("", id="keys-hint", classes="dim")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = "Keys and fingerprints"
        table = self.query_one("#registered", DataTable)
        table.add_columns("Whose", "Status", "ODS", "Registered", "Fingerprint")
        self.refresh_data()
        table.focus(scroll_visible=False)  # the screen opens on the fingerprint, at the top

    def refresh_data(self) -> None:
        table = self.query_one("#registered", DataTable)
        table.clear()
        self.rows = keys.trusted_keys(self.sa.ws)
        for k in self.rows:
            status = f"revoked {k.revoked_at[:10]}" if k.revoked else "trusted"
            table.add_row(cell(k.name), status, k.ods_code, cell(f"{k.registered_at[:10]} {k.registered_by}"),
                          k.fingerprint, key=k.fingerprint)
        self.query_one("#keys-hint", Static).update(
            "r registers a trust's or the regulator's key from a file; x revokes the chosen one." if self.rows else
            "None yet. r registers a trust's or the regulator's key from a file they sent you (their public key, "
            "or a submission or feedback file they signed).")

    def chosen(self) -> keys.TrustedKey | None:
        table = self.query_one("#registered", DataTable)
        if not self.rows or table.cursor_row < 0 or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row]

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_copy(self) -> None:
        if not self.own:
            self.notify(f"No key to copy: {self.problem}", severity="warning")
            return
        self.app.copy_to_clipboard(self.own)
        self.notify(f"Copied {self.own}", title="Fingerprint copied")

    def action_register(self) -> None:
        if not self.sa.can_change():
            return

        def read(path: str) -> keys.KeyOffer:
            return keys.read_key_file(Path(path).expanduser())

        def confirm(offer: keys.KeyOffer | None) -> None:
            if offer is not None:
                self.app.push_screen(ConfirmKeyDialog(offer, self._register), registered)

        def registered(key: keys.TrustedKey | None) -> None:
            if key is not None:
                self.refresh_data()
                self.notify(f"{key.fingerprint} is now trusted as {key.name}", title="Key registered")

        self.app.push_screen(KeyFileDialog(read), confirm)

    def _register(self, offer: keys.KeyOffer, name: str, ods_code: str) -> keys.TrustedKey:
        return keys.register_key(self.sa.ws, offer.fingerprint, name, ods_code)

    def action_revoke(self) -> None:
        from ..dialogs import ReasonDialog

        key = self.chosen()
        if key is None:
            self.notify("No key is chosen: register one first (r).", severity="warning")
            return
        if key.revoked:
            self.notify(f"The key of {key.name} was already revoked on {key.revoked_at[:10]}.", severity="warning")
            return
        if not self.sa.can_change():
            return

        def done(reason: str | None) -> None:
            if reason and self.sa.attempt(keys.revoke_key, self.sa.ws, key.fingerprint, reason):
                self.refresh_data()
                self.notify(f"Submissions and feedback signed by {key.fingerprint} are refused from now on.",
                            title=f"Key of {key.name} revoked")

        self.app.push_screen(ReasonDialog(f"Revoke the key of {key.name}",
                                          f"{key.fingerprint}\nWhy is it no longer trusted (lost, replaced, not theirs)? "
                                          "The reason is kept on the audit trail; what was imported before stays."), done)


class KeyFileDialog(ModalScreen[keys.KeyOffer | None]):
    """Ask for the file holding the other party's key; a file that holds none is refused here, path kept."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "save", "Read key")]

    def __init__(self, read: Callable[[str], keys.KeyOffer]):
        super().__init__()
        self.read = read

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label("Register a key from a file", classes="dialog-title")
            yield Static("Their public key (selfassess keys export), or a submission or feedback file they signed. "
                         "Its fingerprint is shown next, to check with them before anything is registered.",
                         classes="dialog-text")
            yield Input(id="path", placeholder="~/Downloads/riverside.selfassess-key", compact=True)
            yield Static("", id="error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Read key  enter", variant="primary", id="save", compact=True)
                yield Button("Cancel  esc", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        path = self.query_one("#path", Input).value.strip()
        if not path:
            self.query_one("#error", Static).update("Which file? Type its path.")
            return
        try:
            offer = self.read(path)
        except SelfAssessError as exc:
            self.query_one("#error", Static).update(plain(exc.for_app()))
            return
        self.dismiss(offer)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmKeyDialog(ModalScreen[keys.TrustedKey | None]):
    """The fingerprint of the key about to be registered, large, with whose it is: registered only on confirmation."""

    DEFAULT_CSS = """
    ConfirmKeyDialog Input { margin: 0 0 1 0; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "save", "Register")]

    def __init__(self, offer: keys.KeyOffer, register: Callable[[keys.KeyOffer, str, str], keys.TrustedKey]):
        super().__init__()
        self.offer, self.register = offer, register

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog wide"):
            yield Label("Is this the fingerprint they told you?", classes="dialog-title")
            yield Static(plain(f"The file is {self.offer.source}. Its key's fingerprint:"), classes="dialog-text")
            yield BigFingerprint(self.offer.fingerprint)
            yield Static(plain(self.offer.fingerprint), id="offer-fingerprint")
            yield Static("Register it only if it is the one they read to you by phone or wrote in a letter.",
                         classes="dialog-text")
            yield Label("Whose key: the trust, or the regulator")
            yield Input(self.offer.name, id="name", compact=True)
            yield Label("The trust's ODS code (blank for the regulator)")
            yield Input(self.offer.ods_code, id="ods", compact=True, max_length=5)
            yield Static("", id="error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Register  ctrl+s", variant="warning", id="save", compact=True)
                yield Button("Cancel  esc", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus(scroll_visible=False)  # the fingerprint first, at the top

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        name = self.query_one("#name", Input).value
        ods = self.query_one("#ods", Input).value
        try:
            key = self.register(self.offer, name, ods)
        except SelfAssessError as exc:  # stays open, with what was typed, and says why
            self.query_one("#error", Static).update(plain(exc.for_app()))
            return
        self.dismiss(key)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

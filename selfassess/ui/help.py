"""The keys a person can press: a footer that always shows quit, help and the screen's main keys,
and f1's list of the screen's own keys first, then the keys that work everywhere, then what the
status symbols mean."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from typing import Any

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.geometry import Size
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Label, Static
from textual.widgets._footer import FooterKey

EVERYWHERE = "quit", "help"  # binding ids the footer puts first, so a narrow terminal never cuts them

LEGEND = [  # the marks of widgets.answer_mark
    ("●", "agreed by the board"),
    ("◐", "draft: answered, not yet agreed (r agrees it)"),
    ("↻", "carried forward from last year: needs review"),
    ("–", "not applicable (with a written reason)"),
    ("○", "not answered yet"),
]


class KeyFooter(Footer):
    """The footer with quit and help first, then the screen's main keys in the order the screen
    declares them (each action once): the keys a narrow terminal leaves out are the least needed,
    and a key is shown whole or not at all (f1 and ctrl+p list every one)."""

    _fitted_to = 0  # the width the keys shown were chosen for

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._fitted_to:
            self.call_after_refresh(self.recompose)

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        seen: set[str] = set()
        described: set[str] = set()
        first: list[tuple[Binding, bool, str]] = []
        rest: list[tuple[Binding, bool, str]] = []
        for _, binding, enabled, tooltip in self.screen.active_bindings.values():
            action = binding.action.removeprefix("app.")
            if not binding.show or action in seen or binding.description in described:
                continue
            seen.add(action)
            described.add(binding.description)
            (first if binding.id in EVERYWHERE else rest).append((binding, enabled, tooltip))
        first.sort(key=lambda item: EVERYWHERE.index(item[0].id or ""))
        room = self._fitted_to = self.size.width or self.app.size.width
        shown: list[tuple[Binding, bool, str]] = []
        for item in first + rest:
            binding = item[0]
            # As FooterKey draws it: " key " then "description " (the last may lose its trailing space).
            room -= cell_len(self.app.get_key_display(binding)) + 2 + (cell_len(binding.description) + 1 if binding.description else 0)
            if room < (-1 if binding.description else 0) and shown:
                break
            shown.append(item)
        self.styles.grid_size_columns = len(shown)
        for binding, enabled, tooltip in shown:
            yield FooterKey(binding.key, self.app.get_key_display(binding), binding.description, binding.action,
                            disabled=not enabled, tooltip=tooltip).data_bind(compact=Footer.compact)


def screen_keys(screen: Screen[Any]) -> list[tuple[str, str]]:
    """(key, what it does) for the screen's own keys: what the screen says (help_keys), or its bindings."""
    own = getattr(screen, "help_keys", None)
    if callable(own):
        return list(own())
    return list(binding_rows(type(screen).BINDINGS))


def binding_rows(bindings: Iterable[Any]) -> Iterable[tuple[str, str]]:
    seen = set()
    for b in bindings:
        if not isinstance(b, Binding) or not b.description or b.action in seen:
            continue
        seen.add(b.action)
        yield (b.key_display or b.key), (b.tooltip or b.description)


class KeysHelp(ModalScreen[None]):
    """f1: this screen's keys first, then the ones that work everywhere, then the status symbols."""

    BINDINGS = [Binding("escape,f1,q", "close", "Close", show=False)]

    def __init__(self, title: str, own: list[tuple[str, str]], everywhere: list[tuple[str, str]]):
        super().__init__()
        self.heading, self.own, self.everywhere = title, own, everywhere

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog wide", id="keys-help"):
            yield Label(Content(f"Keys: {self.heading}"), classes="dialog-title")
            yield KeyRows(self.own, id="own-keys")
            yield Label("Everywhere", classes="field-label")
            yield KeyRows(self.everywhere, id="all-keys")
            yield Label("Status symbols (question list)", classes="field-label")
            yield KeyRows(LEGEND, id="legend")
            yield Static("esc closes this", classes="dim")

    def action_close(self) -> None:
        self.dismiss(None)


class KeyRows(Static):
    """Keys and what each does, a row each: a description too long for the line goes on under
    itself, not under the keys. Wrapped at the width Textual lays it out at (height and drawing alike)."""

    def __init__(self, rows: list[tuple[str, str]], **kwargs: Any):
        super().__init__(**kwargs)
        self.rows = rows

    def render(self) -> Content:
        return _rows(self.rows, self.content_size.width)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(_rows(self.rows, width).split("\n"))


def _rows(rows: list[tuple[str, str]], width: int = 0) -> Content:
    keys = max((cell_len(k) for k, _ in rows), default=1)
    room = max(width - keys - 2, 20) if width else 10_000
    lines: list[Content] = []
    for key, text in rows:
        first, *rest = textwrap.wrap(text, room) or [""]
        lines.append(Content.assemble((" " * (keys - cell_len(key)) + key, "bold"), "  ", first))
        lines += [Content(" " * (keys + 2) + more) for more in rest]
    return Content("\n").join(lines)

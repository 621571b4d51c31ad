"""Showing text that users or framework authors wrote: always as written, never read as markup,
and never with a character the terminal would act on (see core/text.py for the rule)."""

from __future__ import annotations

from typing import Any

from rich.segment import Segment
from rich.text import Text
from textual.content import Content
from textual.strip import Strip
from textual.widgets import TextArea as _TextArea

from ..core.text import shown, strip_unsafe, unsafe


def plain(text: str) -> Content:
    """User or framework text, shown as written: '[b]' stays '[b]', never becomes bold or a link,
    and an escape character shows as '␛' instead of reaching the terminal."""
    return Content(shown(text))


def cell(text: str, style: str = "") -> Text:
    """User text in a table cell."""
    return Text(shown(text, multiline=False), style=style)


class TextArea(_TextArea):
    """An editor whose document keeps exactly what was typed, shown with `shown`'s one-for-one
    pictures, so the cursor and selection still line up with the characters."""

    def get_line(self, line_index: int) -> Text:
        line = self.document.get_line(line_index)
        return Text(shown(line), end="", no_wrap=True)


def guard_terminal() -> None:
    """The last line of defence, for user text that reached a widget without `shown` (an Input's
    value, a label someone adds later): every strip the app writes to the terminal is rendered
    without control characters in its text. They take no cells, so dropping them moves nothing."""
    if getattr(Strip.render, "_guarded", False):
        return
    original = Strip.render

    def render(self: Strip, console: Any) -> str:
        if self._render_cache is None and any(text and unsafe(text, multiline=False) for text, _, control in self._segments if not control):
            clean = Strip([Segment(strip_unsafe(text), style, control) if not control else Segment(text, style, control)
                           for text, style, control in self._segments], self._cell_length)
            self._render_cache = original(clean, console)
        return original(self, console)

    render._guarded = True  # type: ignore[attr-defined]
    Strip.render = render  # type: ignore[method-assign]

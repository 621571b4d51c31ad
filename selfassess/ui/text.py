"""Showing text that users or framework authors wrote: always as written, never read as markup,
and never with a character the terminal would act on (see core/text.py for the rule)."""

from __future__ import annotations

from typing import Any

from rich.segment import Segment
from rich.text import Text
from textual.content import Content
from textual.strip import Strip

from ..core.text import shown, strip_unsafe, unsafe


def plain(text: str) -> Content:
    """User or framework text, shown as written: '[b]' stays '[b]', never becomes bold or a link,
    and an escape character shows as '␛' instead of reaching the terminal."""
    return Content(shown(text))


def cell(text: str, style: str = "") -> Text:
    """User text in a table cell."""
    return Text(shown(text, multiline=False), style=style)


def align_cell_widths() -> None:
    """Measure text as terminals draw it. Rich's width table counts spacing combining marks (Unicode
    category Mc: the vowel signs of Devanagari and other Indic scripts, as in 'किताब') as taking no
    cell, while terminals (xterm, VTE, tmux) give each one a cell; so a line of Hindi was drawn wider
    than it was measured and pushed a text box's right border out of line. Non-spacing marks (Mn, an
    accent typed as e + U+0301) stay at no cell: terminals agree. The table is rebuilt in place, once."""
    import unicodedata

    import rich.cells
    from rich._unicode_data import load

    for version in ("auto", "latest"):
        table = load(version).widths
        if not isinstance(table, list) or getattr(load, "_aligned", set()) & {id(table)}:
            continue
        runs: list[tuple[int, int, int]] = []
        for start, end, width in table:
            for code in range(start, end + 1) if width == 0 else ():
                w = 1 if unicodedata.category(chr(code)) == "Mc" else 0
                if runs and runs[-1][2] == w and runs[-1][1] == code - 1:
                    runs[-1] = (runs[-1][0], code, w)
                else:
                    runs.append((code, code, w))
            if width != 0:
                runs.append((start, end, width))
        table[:] = runs
        aligned: set[int] = getattr(load, "_aligned", set())
        aligned.add(id(table))
        load._aligned = aligned  # type: ignore[attr-defined]
    rich.cells.get_character_cell_size.cache_clear()
    rich.cells.cached_cell_len.cache_clear()


def guard_terminal() -> None:
    """The last line of defence, for user text that reached a widget without `shown` (an Input's
    value, a label someone adds later): every strip the app writes to the terminal is rendered
    without control characters in its text. They take no cells, so dropping them moves nothing."""
    align_cell_widths()
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

"""The one text editor the app uses, in a module of its own: textual's TextArea brings its document
model and syntax machinery, which only the screens that edit text need (not the first screen)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import TextArea as _TextArea

from ..core.text import shown


class TextArea(_TextArea):
    """An editor whose document keeps exactly what was typed, shown with `shown`'s one-for-one
    pictures, so the cursor and selection still line up with the characters."""

    def get_line(self, line_index: int) -> Text:
        line = self.document.get_line(line_index)
        return Text(shown(line), end="", no_wrap=True)

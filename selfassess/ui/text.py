"""Showing text that users or framework authors wrote: always as written, never read as markup."""

from __future__ import annotations

from textual.content import Content


def plain(text: str) -> Content:
    """User or framework text, shown as written: '[b]' stays '[b]', never becomes bold or a link."""
    return Content(text)

"""Shown when the store cannot be opened: what is wrong, and how to recover. Nothing is touched."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Header, Static

from ..help import KeyFooter
from ..text import plain
from .base import AppScreen


class ProblemScreen(AppScreen):
    BINDINGS = [Binding("q", "app.quit", "Quit", id="quit", tooltip="Quit selfassess (nothing was changed)")]

    def __init__(self, message: str, *, title: str = "selfassess cannot open your data"):
        super().__init__()
        self.message, self.heading = message, title

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(classes="page"):
            yield Static(self.heading, classes="title")
            yield Static(plain(self.message[:1].upper() + self.message[1:]), classes="problem")
            yield Static(plain(
                "Your data has not been changed. Quit (q), run the command shown above in a terminal, "
                "then open selfassess again. To list backups: selfassess store backups"), classes="dim")
        yield KeyFooter()

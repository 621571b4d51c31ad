"""The demo opened from inside the app: its Home, over a throwaway store of its own; leaving it (escape)
closes that store, removes its folder and comes back to the real one as it was left."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Static

from ..text import plain
from .home import HomeScreen


class DemoBanner(Static):
    """Says on every screen of the demo that nothing in it is kept."""

    DEFAULT_CSS = """
    DemoBanner {
        height: auto;
        padding: 0 1;
        background: $accent;
        color: $text;
        text-style: bold;
    }
    """

    def __init__(self, leave: str):
        # One line even at 60 columns: the folder itself is named when the demo opens.
        super().__init__(plain(f"DEMO: separate throwaway store, deleted {leave}"), id="demo-banner")


class DemoHomeScreen(HomeScreen):
    BINDINGS = [Binding("escape", "leave_demo", "Leave the demo", id="leave-demo"), *HomeScreen.BINDINGS]

    def action_leave_demo(self) -> None:
        self.sa.leave_demo()

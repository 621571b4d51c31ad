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
        dock: top;
        height: auto;
        padding: 0 1;
        background: $accent;
        color: $text;
        text-style: bold;
    }
    """

    def __init__(self, folder: str, leave: str):
        super().__init__(plain(f"DEMO: a throwaway store ({folder}), removed {leave}. Your own data is not touched."),
                         id="demo-banner")


class DemoHomeScreen(HomeScreen):
    BINDINGS = [Binding("escape", "leave_demo", "Leave the demo", id="leave-demo"), *HomeScreen.BINDINGS]

    def action_leave_demo(self) -> None:
        self.sa.leave_demo()

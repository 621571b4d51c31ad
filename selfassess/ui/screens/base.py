"""What every screen shares: the read-only banner and a typed handle on the app."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from ..text import plain

if TYPE_CHECKING:
    from ..app import SelfAssessApp


class AppScreen(Screen[object]):
    @property
    def sa(self) -> SelfAssessApp:
        return cast("SelfAssessApp", self.app)

    def banner(self) -> ComposeResult:
        if self.sa.demo_folder is not None:
            from .demo import DemoBanner

            yield DemoBanner("on leaving (esc)" if self.sa.outside_demo else "when you quit")
        reason = self.sa.read_only_reason
        if reason:
            yield Static(plain("READ-ONLY: " + reason), id="banner")

    def store_changed(self, events: list[dict[str, Any]]) -> str | None:
        """Other copies saved these events: show the store as it is now. Returns what to tell the user
        (None: the app says it in general terms)."""
        refresh = getattr(self, "refresh_data", None)
        if refresh is not None and self.is_mounted:
            refresh()
        return None

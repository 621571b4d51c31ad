"""What every screen shares: the read-only banner and a typed handle on the app."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

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
        reason = self.sa.read_only_reason
        if reason:
            yield Static(plain("READ-ONLY: " + reason), id="banner")

"""The first screen on a fresh machine: start the trust's first assessment, or open the demo trust."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Header, OptionList, Static
from textual.widgets.option_list import Option

from ..help import KeyFooter
from .base import AppScreen
from .home import new_assessment_flow

WELCOME = (
    "selfassess walks your board through a self-assessment on health inequalities, turns the gaps into an "
    "accountable action plan, and produces the board report, the action plan and the annual-report section.\n\n"
    "Everything is saved as you go, on this computer, with an audit trail of every change."
)


class WelcomeScreen(AppScreen):
    BINDINGS = [
        Binding("n", "new", "New assessment", id="new", tooltip="Start your trust's first assessment"),
        Binding("d", "demo", "Demo", id="demo", tooltip="Open the demo trust: a board a year in"),
        Binding("v", "review", "Review", id="review", tooltip="For regulators: review trusts' submissions"),
        Binding("q", "app.quit", "Quit", id="quit", tooltip="Quit selfassess"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield from self.banner()
        with VerticalScroll(classes="page"):
            yield Static("Welcome to selfassess", classes="title")
            yield Static(WELCOME, classes="intro")
            yield OptionList(
                Option("Start your trust's first assessment   (n)", id="new"),
                Option("Open the demo trust: see a board a year in   (d)", id="demo"),
                Option("Review trusts' submissions, as a regulator   (v)", id="review"),
                id="welcome-choices",
            )
            frameworks = ", ".join(f.title for f in self.sa.catalogue.latest())
            yield Static(f"Frameworks available: {frameworks}", classes="dim")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = "Welcome"
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    async def chosen(self, event: OptionList.OptionSelected) -> None:
        await self.run_action(event.option.id or "")

    def action_new(self) -> None:
        if self.sa.can_change():
            new_assessment_flow(self.sa, after=self._opened)

    def _opened(self, assessment_id: str) -> None:
        from .assessment import AssessmentScreen
        from .home import HomeScreen

        self.app.push_screen(HomeScreen())
        self.app.push_screen(AssessmentScreen(assessment_id))

    def action_demo(self) -> None:
        self.sa.action_open_demo()  # in a throwaway store of its own: the trust's first real one stays clean

    def action_review(self) -> None:
        from .review import ReviewScreen

        self.app.push_screen(ReviewScreen())


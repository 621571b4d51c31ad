"""Points for challenge: what a non-executive would question before the board signs off.

The list comes from the core consistency check; this screen only shows it. enter opens the
question concerned.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Header, Static

from ..help import KeyFooter
from ..text import cell, plain
from ..widgets import selected_key
from .base import AppScreen


class ChecksScreen(AppScreen):
    BINDINGS = [
        Binding("enter", "open", "Open the question", id="open", tooltip="Open the question this point is about"),
        Binding("escape", "back", "Back", id="back", tooltip="Back to the previous screen"),
    ]

    def __init__(self, assessment_id: str):
        super().__init__()
        self.assessment_id = assessment_id

    def compose(self) -> ComposeResult:
        yield Header()
        yield from self.banner()
        with Vertical(classes="page"):
            yield Static(id="checks-title", classes="title")
            yield DataTable(id="checks", cursor_type="row", zebra_stripes=True)
            yield Static(id="checks-hint", classes="dim")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = "Points for challenge"
        table = self.query_one(DataTable)
        table.add_column("Ref", key="ref", width=5)
        # As wide as the screen allows, and rows as tall as their text: a point is a sentence, never cut.
        table.add_column("Point for challenge", key="point", width=max(30, self.app.size.width - 14))
        self.refresh_data()
        table.focus()

    def on_screen_resume(self) -> None:
        self.refresh_data()

    def refresh_data(self) -> None:
        ws = self.sa.ws
        a = ws.assessment(self.assessment_id)
        self.sub_title = ws.organisation(a.organisation_id).name
        points = ws.checks(a)
        table = self.query_one(DataTable)
        table.clear()
        self.rows = {}
        for i, x in enumerate(points):
            key = f"{i}:{x.question_id}"
            self.rows[key] = x
            table.add_row(x.ref, cell(x.message), key=key, height=None)  # rich Text: wraps in its column
        self.query_one("#checks-title", Static).update(plain(
            f"{a.period}: {len(points)} point(s) for challenge" if points else f"{a.period}: no points for challenge"))
        self.query_one("#checks-hint", Static).update(plain(
            "What a non-executive would question: top ratings and independent verification without evidence, big "
            "rises without a note, N/A where last year was rated, overdue actions on top-rated questions. The board "
            "may sign off past them; the sign-off records them. enter: open the question · esc: back"))

    @on(DataTable.RowSelected)
    def action_open(self) -> None:
        from .assessment import AssessmentScreen

        key = selected_key(self.query_one(DataTable))
        if key:
            self.app.push_screen(AssessmentScreen(self.assessment_id, self.rows[key].question_id))

    def action_back(self) -> None:
        self.app.pop_screen()

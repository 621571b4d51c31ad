"""`selfassess rate PACK`: a board member rates on their own laptop, with no trust store.

The app opens straight to the pack's questions (screens/rating.py); ratings are kept in memory
until the rater writes their signed response (w), which is all that leaves this machine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import App
from textual.binding import Binding

from ..core.clock import Clock, system_clock
from ..core.errors import SelfAssessError
from ..core.framework import Question
from ..core.text import shown
from ..submission import rating_packs
from .screens.rating import RatingScreen


class PackRatings:
    """The rater's ratings of a pack's questions, held until they are written (a RatingSource)."""

    def __init__(self, pack: rating_packs.Pack):
        self.pack = pack
        self.framework = pack.framework
        d = pack.doc
        self.heading = (f"{d.rater.name}" + (f" ({d.rater.role})" if d.rater.role else "")
                        + f": {d.organisation} {d.period}, {d.kind} rating round"
                        + (f", closes {d.closes}" if d.closes else ""))
        self.ratings: dict[str, tuple[str, str]] = {}

    def questions(self) -> list[Question]:
        return self.pack.questions()

    def evidence(self, question_id: str) -> str:
        return self.pack.evidence(question_id)

    def current(self, question_id: str) -> tuple[str | None, str]:
        level, comment = self.ratings.get(question_id, (None, ""))
        return level, comment

    def save(self, question_id: str, level: str | None, comment: str) -> bool:
        if level is None:
            self.ratings.pop(question_id, None)
        else:
            self.ratings[question_id] = (level, comment)
        return True

    def chosen(self) -> list[tuple[str, str, str]]:
        return [(q.id, *self.ratings[q.id]) for q in self.questions() if q.id in self.ratings]


class RatePackApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "selfassess: rate"
    BINDINGS = [
        Binding("w", "write", "Write my response", id="write"),
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True, show=False),
    ]

    def __init__(self, pack: rating_packs.Pack, home: Path, out: Path, *, clock: Clock | None = None):
        super().__init__()
        self.source = PackRatings(pack)
        self.home, self.out = home, out
        self.clock = clock or system_clock()
        self.written: Path | None = None

    def notify(self, message: str, *, title: str = "", **kwargs: Any) -> None:
        kwargs.setdefault("markup", False)
        super().notify(shown(message), title=shown(title), **kwargs)

    def on_mount(self) -> None:
        self.push_screen(RatingScreen(self.source), lambda _: self.exit())

    def action_write(self) -> None:
        ratings = self.source.chosen()
        if not ratings:
            self.notify("Rate at least one question first (1 to 4).", severity="warning", timeout=5)
            return
        try:
            self.written = rating_packs.write_response(self.source.pack, ratings, self.home, self.out, self.clock.now())
        except SelfAssessError as exc:
            self.notify(exc.for_app(), title="Not written", severity="error", timeout=10)
            return
        self.notify(f"Wrote {self.written} ({len(ratings)} rating(s)): send it back to your board secretary.",
                    title="Response written", timeout=10)


def run_rate_app(pack: rating_packs.Pack, home: Path, out: Path) -> None:
    from .text import guard_terminal

    guard_terminal()
    app = RatePackApp(pack, home, out)
    app.run()
    if app.written:
        print(shown(f"wrote {app.written}: send it back to your board secretary"))

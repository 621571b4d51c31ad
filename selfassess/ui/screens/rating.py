"""One rater's own ratings, question by question: rating in turn on this machine, or from a pack.

The screen shows one rater's questions with their guidance and the evidence recorded so far, and
only that rater's own ratings: never anyone else's, never the board's agreed answer. What a rating
does is up to its source (core/rounds.py in the store, or a pack's response kept in memory).
"""

from __future__ import annotations

from typing import Protocol

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Static

from ...core.framework import Framework, Question
from ..dialogs import InputDialog
from ..help import KeyFooter
from ..text import plain
from ..widgets import RatingBar


class RatingSource(Protocol):
    """Where one rater's ratings come from and go to."""

    heading: str  # "Margaret Ellison (Chair): board rating round"
    framework: Framework

    def questions(self) -> list[Question]: ...
    def evidence(self, question_id: str) -> str: ...
    def current(self, question_id: str) -> tuple[str | None, str]:
        """This rater's level key (or None) and comment."""
        ...

    def save(self, question_id: str, level: str | None, comment: str) -> bool:
        """Record it; False (having said why) when it was refused."""
        ...


class RatingScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "done", "Done", id="done"),
        Binding("1", "rate(1)", "Rate", key_display="1-4", id="rate"),
        *[Binding(str(i), f"rate({i})", f"Rate {i}", show=False) for i in range(2, 10)],
        Binding("0", "rate(0)", "Rate 0", show=False),  # the score 0 on a scale from 0 (EDS 2022); else clears
        Binding("delete", "clear", "Clear", id="clear", show=False),
        Binding("c", "comment", "Comment", id="comment"),
        Binding("n", "next", "Next", id="next"),
        Binding("p", "previous", "Previous", id="previous"),
    ]

    def __init__(self, source: RatingSource):
        super().__init__()
        self.source = source
        self.items = source.questions()
        self.index = 0

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(classes="page"):
            yield Static(id="rate-who", classes="title")
            yield Static(id="rate-progress", classes="dim")
            yield Static(id="rate-question")
            yield RatingBar(id="rate-levels")
            yield Static(id="rate-comment")
            yield Static(id="rate-evidence")
            yield Static(id="rate-guidance", classes="dim")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = "Rate"
        self.show()
        self.query_one(RatingBar).focus()

    @property
    def question(self) -> Question:
        return self.items[self.index]

    def show(self) -> None:
        q = self.question
        level, comment = self.source.current(q.id)
        done = sum(self.source.current(x.id)[0] is not None for x in self.items)
        self.query_one("#rate-who", Static).update(plain(self.source.heading))
        self.query_one("#rate-progress", Static).update(plain(
            f"Question {self.index + 1} of {len(self.items)} · {done} rated · only your own ratings are shown"))
        self.query_one("#rate-question", Static).update(plain(f"{q.ref}  {q.text}"))
        self.query_one(RatingBar).show(self.source.framework.scale_for(q), dict(q.level_descriptions), level, False, False)
        self.query_one("#rate-comment", Static).update(plain(f"Your comment (c): {comment}" if comment else "Your comment (c): none"))
        evidence = self.source.evidence(q.id)
        self.query_one("#rate-evidence", Static).update(plain(
            "Evidence recorded so far: " + (evidence if evidence else "none yet")))
        expected = "".join(f"\n  · {e}" for e in q.evidence_expected)
        self.query_one("#rate-guidance", Static).update(plain(
            (f"Guidance: {q.guidance}" if q.guidance else "") + (f"\nEvidence a board would expect:{expected}" if expected else "")))

    def action_rate(self, number: int) -> None:
        """The digit as the rating bar shows it: a score on a scale from 0, else a place from 1."""
        scale = self.source.framework.scale_for(self.question)
        level = scale.level_by_digit(number)
        if level is None and number == 0:
            self.action_clear()
            return
        if level is None:
            digits = [scale.digit_of(lv.key) for lv in scale.levels]
            self.notify(f"This scale has {len(scale.levels)} levels: press {min(digits)} to {max(digits)}.", timeout=3)
            return
        self._save(level.key)

    @on(RatingBar.Chosen)
    def clicked(self, event: RatingBar.Chosen) -> None:
        if event.key is not None:
            self._save(event.key)

    def _save(self, key: str) -> None:
        _, comment = self.source.current(self.question.id)
        if self.source.save(self.question.id, key, comment):
            if self.index < len(self.items) - 1:
                self.index += 1
            self.show()

    def action_clear(self) -> None:
        if self.source.save(self.question.id, None, ""):
            self.show()

    def action_comment(self) -> None:
        level, comment = self.source.current(self.question.id)
        if level is None:
            self.notify("Rate the question first, then add a comment.", timeout=4)
            return
        qid = self.question.id

        def done(text: str | None) -> None:
            if text is not None and self.source.save(qid, level, text):
                self.show()

        self.app.push_screen(InputDialog(f"Comment on {self.question.ref}", "Why you rated it so (optional):", comment), done)

    def action_next(self) -> None:
        self.index = min(self.index + 1, len(self.items) - 1)
        self.show()

    def action_previous(self) -> None:
        self.index = max(self.index - 1, 0)
        self.show()

    def action_done(self) -> None:
        self.dismiss(None)

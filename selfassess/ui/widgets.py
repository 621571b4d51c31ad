"""Small widgets of our own: the rating picker, the question outline, the domain score chart."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from textual import events
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import DataTable, OptionList
from textual.widgets.option_list import Option, OptionDoesNotExist

from ..core.figures import DomainFigures, Figures, percent_text
from ..core.framework import Framework, Scale
from ..core.model import AGREED, DRAFT, NEEDS_REVIEW, Answer


@dataclass(frozen=True)
class RatingChoice:
    key: str | None  # None for N/A
    number: str  # the key to press
    label: str
    description: str


class RatingBar(Widget, can_focus=True):
    """The levels of the question's scale, one a line, picked by number key or by click; N/A last."""

    DEFAULT_CSS = """
    RatingBar { height: auto; padding: 0 1; }
    RatingBar:focus { background: $boost; }
    """

    class Chosen(Message):
        def __init__(self, key: str | None) -> None:
            self.key = key  # None means not applicable
            super().__init__()

    choices: reactive[tuple[RatingChoice, ...]] = reactive((), layout=True)
    selected: reactive[str | None] = reactive(None)
    not_applicable: reactive[bool] = reactive(False)

    def show(self, scale: Scale, level_text: dict[str, str], rating: str | None, na: bool, na_allowed: bool) -> None:
        choices = [RatingChoice(lv.key, str(scale.digit_of(lv.key)), lv.label, level_text.get(lv.key) or lv.description)
                   for lv in scale.levels]
        if na_allowed:
            choices.append(RatingChoice(None, "x", "Not applicable", "Needs a written reason"))
        self.choices = tuple(choices)
        self.selected = rating
        self.not_applicable = na

    def lines_for(self, width: int) -> list[tuple[Content, int]]:
        """Each level on as many lines as its descriptor needs (never cut), with the index of its choice.
        Narrow (under 60 cells): the descriptor goes under the label; wider: beside it, hanging."""
        lines: list[tuple[Content, int]] = []
        width = max(width, 20)
        beside = width >= 60
        for i, c in enumerate(self.choices):
            chosen = (c.key is None and self.not_applicable) or (c.key is not None and c.key == self.selected)
            head = Content.assemble(
                ("● " if chosen else "○ ", "bold $success" if chosen else "dim"),
                (f" {c.number} ", "bold reverse" if chosen else "bold"),
                (f" {c.label:<15}" if beside else f" {c.label}", "bold" if chosen else ""),
            )
            text = Content.styled(c.description, "" if chosen else "dim")
            if beside:
                indent = head.cell_length + 1
                body = text.wrap(width - indent) if c.description else [Content("")]
                lines.append((head + Content(" ") + body[0], i))
                lines += [(Content(" " * indent) + part, i) for part in body[1:]]
            else:
                lines += [(part, i) for part in head.wrap(width)]
                lines += [(Content(" " * 6) + part, i) for part in (text.wrap(width - 6) if c.description else [])]
        return lines

    def get_content_height(self, container: Any, viewport: Any, width: int) -> int:
        return len(self.lines_for(width))

    def render(self) -> Content:
        return Content("\n").join(line for line, _ in self.lines_for(self.content_size.width))

    def on_click(self, event: events.Click) -> None:
        lines = self.lines_for(self.content_size.width)
        y = event.y - self.styles.padding.top
        if 0 <= y < len(lines):
            self.post_message(self.Chosen(self.choices[lines[y][1]].key))


STATE_MARK = {NEEDS_REVIEW: "↻", DRAFT: "◐", AGREED: "●"}


def answer_mark(answer: Answer | None) -> str:
    """One character for the outline: unanswered, N/A, needs review, draft or agreed."""
    if answer is None or not answer.is_answered:
        return "○"
    if answer.state == NEEDS_REVIEW:
        return "↻"
    if answer.is_na:
        return "–"
    return STATE_MARK.get(answer.state, "◐")


class QuestionOutline(OptionList):
    """Domains and their questions, each with its answer state; pick one to go there."""

    DEFAULT_CSS = """
    QuestionOutline { width: 30; height: 1fr; border: none; border-right: tall $panel; padding: 0; }
    """
    prompt_width = 25  # cells for a question's prompt; set from the terminal's width (see AssessmentScreen)

    def build(self, framework: Framework, answers: dict[str, Answer], figures: Figures) -> None:
        keep = self.highlighted
        options: list[Option | None] = []
        for domain in framework.domains:
            options.append(Option(self._domain_prompt(figures.domain(domain.id)), id=f"domain:{domain.id}"))
            for q in domain.questions:
                options.append(Option(self._question_prompt(q.ref, q.text, answers.get(q.id)), id=q.id))
        self.set_options(options)
        if keep is not None and keep < len(options):
            self.highlighted = keep

    def _domain_prompt(self, d: DomainFigures) -> Content:
        """'1 Leadership and a… 3/7': answered this year (carried-forward answers count once reviewed);
        a name cut short ends in '…', as a question's prompt does."""
        count = f"{d.answered}/{d.questions}"
        name = max(self.prompt_width - len(count) - 1, 4)
        label = f"{d.ref} {d.title}"
        if len(label) > name:
            label = label[:name - 1] + "…"
        return Content.assemble((label.ljust(name + 1), "bold"), count)

    def refresh_domains(self, figures: Figures) -> None:
        """After a save: every domain's counter from the new figures."""
        for d in figures.domains:
            with contextlib.suppress(OptionDoesNotExist):
                self.replace_option_prompt(f"domain:{d.id}", self._domain_prompt(d))

    def _question_prompt(self, ref: str, text: str, answer: Answer | None) -> Content:
        mark = answer_mark(answer)
        style = {"○": "dim", "↻": "$warning", "–": "dim", "◐": "", "●": "$success"}.get(mark, "")
        return Content.assemble(f" {ref:<4}", (mark, style), " ", (" ".join(text.split()), "dim")).truncate(self.prompt_width, ellipsis=True)

    def refresh_question(self, ref: str, text: str, question_id: str, answer: Answer | None) -> None:
        self.replace_option_prompt(question_id, self._question_prompt(ref, text, answer))

    def go_to(self, question_id: str) -> None:
        with contextlib.suppress(OptionDoesNotExist):
            self.highlighted = self.get_option_index(question_id)


def selected_key(table: DataTable[Any]) -> str | None:
    """The key of the row under the cursor, or None for an empty table."""
    if table.row_count == 0:
        return None
    return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value


def bar(percent: float | None, width: int, fill: str = "█") -> str:
    if percent is None:
        return "·" * width
    filled = round(width * max(0.0, min(percent, 100.0)) / 100)
    return fill * filled + "░" * (width - filled)


# How a bar shows the state its score rests on (DomainFigures.score_rests_on): a fill and a word of
# its own beside the colour, so the states stay apart without colour (NO_COLOR, grey print).
BAR_STATES: dict[str, tuple[str, str, str]] = {  # state: (fill, colour, the key's words)
    "agreed": ("█", "$primary", "agreed"),
    "draft": ("▓", "$warning", "draft (not all agreed)"),
    "provisional": ("▒", "$text-muted", "provisional (counts carried forward)"),
}


class ScoreChart(Widget):
    """Domain scores as bars, this period above the previous one (the core figures: whole percents,
    half up). Each bar is marked by the state its score rests on, agreed, draft or provisional (it
    still counts answers carried forward and not yet reviewed), as the board report's chart is."""

    DEFAULT_CSS = "ScoreChart { height: auto; padding: 0 1; }"

    def __init__(self, figures: Figures, this_label: str, previous_label: str | None, **kwargs: Any):
        super().__init__(**kwargs)
        self.figures = figures
        self.this_label, self.previous_label = this_label, previous_label

    def render(self) -> Content:
        width = max(self.size.width - 2, 50)
        name_w = min(30, width // 3)
        word_w = max(len("provisional"), len(self.previous_label or ""))
        bar_w = max(10, width - name_w - word_w - 12)
        domains = self.figures.domains
        drawn = {d.score_rests_on for d in domains if d.percent is not None}
        # The key names only the states drawn, as the board report's does, on one line: the bar's own
        # word alone where the whole key would not fit.
        parts: list[Content] = []
        for brief in (False, True):
            legend: list[str | tuple[str, str]] = []
            for state, (fill, style, words) in BAR_STATES.items():
                if state in drawn:
                    legend += ["  " if legend else "", (fill + " ", style), state if brief else words]
            key = Content.assemble(*legend)
            if key.cell_length <= width or brief:
                parts = [key] if legend else []
                break
        for d in domains:
            name = f"{d.ref} {d.title}"
            fill, style, _ = BAR_STATES[d.score_rests_on]
            word = d.score_rests_on if d.percent is not None else ""
            row: list[str | tuple[str, str]] = [(f"{name[:name_w - 1]:<{name_w}}", "bold"),
                                                (bar(d.percent, bar_w, fill), style),
                                                f" {percent_text(d.percent, '—'):>4} {word:<{word_w}}"]
            if d.change is not None:
                arrow = "▲" if d.change > 0 else "▼" if d.change < 0 else "="
                change_style = "$success" if d.change > 0 else "$error" if d.change < 0 else "dim"
                row.append((f" {arrow}{abs(d.change):3d}", change_style))
            parts.append(Content.assemble(*row))
            if self.previous_label:
                parts.append(Content.assemble(" " * name_w, (bar(d.previous_percent, bar_w), "dim"),
                                              (f" {percent_text(d.previous_percent, '—'):>4} {self.previous_label}", "dim")))
        return Content("\n").join(parts)

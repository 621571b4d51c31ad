"""A rating round in the app: the spread, the most divided questions first, and rating in turn.

The spread comes from core/rounds.py, as `selfassess round show` prints it. Rating in turn: each
board member in a workshop picks their name and sees only their own ratings (screens/rating.py).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Header, Static

from ...core import rounds
from ...core.errors import SelfAssessError
from ...core.framework import Framework, Question
from ..help import KeyFooter
from ..text import plain
from .base import AppScreen
from .rating import RatingScreen


class InTurn:
    """One rater's own ratings in this store (a RatingSource)."""

    def __init__(self, screen: AppScreen, round_: rounds.Round, rater: rounds.Rater, framework: Framework,
                 evidence: dict[str, str]):
        self.screen, self.round, self.rater, self.framework = screen, round_, rater, framework
        self._evidence = evidence
        self.heading = f"{rater.name}" + (f" ({rater.role})" if rater.role else "") + f": {round_.kind} rating round"
        self._mine = {r.question_id: r for r in rounds.ratings_of(screen.sa.ws, round_.id, rater.id)}

    def questions(self) -> list[Question]:
        return rounds.asked(self.framework, self.round)

    def evidence(self, question_id: str) -> str:
        return self._evidence.get(question_id, "")

    def current(self, question_id: str) -> tuple[str | None, str]:
        r = self._mine.get(question_id)
        return (r.level, r.comment) if r else (None, "")

    def save(self, question_id: str, level: str | None, comment: str) -> bool:
        if not self.screen.sa.can_change():
            return False
        try:
            saved = rounds.rate(self.screen.sa.ws, self.round.id, self.rater.id, question_id, level, comment)
        except SelfAssessError as exc:
            self.screen.notify(exc.for_app(), title="Not saved", severity="error", timeout=10)
            return False
        if saved is None:
            self._mine.pop(question_id, None)
        else:
            self._mine[question_id] = saved
        return True


class RoundScreen(AppScreen):
    BINDINGS = [
        Binding("escape", "back", "Back", id="back"),
        Binding("t", "rate_in_turn", "Rate in turn", id="rate-in-turn"),
        Binding("o", "open_round", "Open a round", id="open-round"),
    ]

    def __init__(self, assessment_id: str):
        super().__init__()
        self.assessment_id = assessment_id
        self.round: rounds.Round | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield from self.banner()
        with Vertical(classes="page"):
            yield Static(id="round-title", classes="title")
            yield DataTable(id="spread", cursor_type="row", zebra_stripes=True)
            yield Static(id="round-waiting")
            yield Static(id="round-hint", classes="dim")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = "Rating round"
        table = self.query_one(DataTable)
        for label, key, width in (("Ref", "ref", 6), ("n", "n", 3), ("Ratings by level", "counts", 26),
                                  ("Median", "median", 18), ("Range", "range", 5), ("", "flag", 9)):
            table.add_column(label, key=key, width=width)
        self.refresh_data()
        table.focus()

    def on_screen_resume(self) -> None:
        self.refresh_data()

    def refresh_data(self) -> None:
        ws = self.sa.ws
        a = ws.assessment(self.assessment_id)
        self.sub_title = ws.organisation(a.organisation_id).name
        found = rounds.rounds_of(ws, a.id)
        self.round = found[-1] if found else None
        table = self.query_one(DataTable)
        table.clear()
        title = self.query_one("#round-title", Static)
        waiting = self.query_one("#round-waiting", Static)
        hint = self.query_one("#round-hint", Static)
        if self.round is None:
            title.update(plain(f"{a.period}: no rating round yet"))
            waiting.update("")
            hint.update(plain("o: open a round (name each rater) · or from the command line: "
                              "selfassess round open ASSESSMENT --rater \"Name|Role\" --out DIR · esc: back"))
            return
        r = self.round
        spread = rounds.spread(ws, r)
        framework = ws.framework(a)
        for q in spread.questions:
            scale = framework.scale_for(framework.question(q.question_id))
            counts = " ".join(f"{scale.digit_of(k)}{'●' * n}" for k, n in q.counts.items()) or "–"
            median = f"{scale.digit_of(q.median)} {scale.level(q.median).label}" if q.median else ""
            table.add_row(q.ref, str(q.n), counts, median, str(q.range) if q.n else "",
                          "divergent" if q.divergent else "", key=q.question_id)
        title.update(plain(f"{a.period}: {r.kind} rating round, {len(spread.returned)} of {len(r.active_raters)} "
                           f"rated" + (", anonymous" if r.anonymous else "") + (f", closes {r.closes}" if r.closes else "")
                           + f" · {len(spread.divergent())} divergent question(s), most divided first"))
        if spread.waiting:
            waiting.update(plain("Not yet rated: " + (f"{len(spread.waiting)} rater(s)" if r.anonymous
                                                       else ", ".join(w.name for w in spread.waiting))))
        else:
            waiting.update(plain("Every rater has rated."))
        hint.update(plain("Ratings by level: the level number, a dot per rater. Divergent: two levels apart or more, "
                          "or no level held by half the raters. t: rate in turn · esc: back"))

    def action_rate_in_turn(self) -> None:
        from ..dialogs import ChoiceDialog

        r = self.round
        if r is None:
            self.notify("Open a rating round first (o).", timeout=5)
            return
        choices = [(x.id, f"{x.name}" + (f" ({x.role})" if x.role else "")) for x in r.active_raters]
        self.app.push_screen(ChoiceDialog("Who is rating?", choices, "Pick your name: you will see only your own "
                                          "ratings."), self._rate_as)

    def _rate_as(self, rater_id: str | None) -> None:
        if rater_id is None or self.round is None:
            return
        ws = self.sa.ws
        a = ws.assessment(self.assessment_id)
        rater = self.round.rater(rater_id)
        evidence = {qid: ans.evidence for qid, ans in ws.answers(a.id).items()}
        self.app.push_screen(RatingScreen(InTurn(self, self.round, rater, ws.framework(a), evidence)))

    def action_open_round(self) -> None:
        from ..dialogs import InputDialog

        if not self.sa.can_change():
            return
        self.app.push_screen(InputDialog("Open a rating round", "Each rater as Name|Role, separated by ';' "
                                         "(for example: Margaret Ellison|Chair; Richard Osei|Chief Executive):"),
                             self._open)

    def _open(self, text: str | None) -> None:
        if not text:
            return
        people = self.sa.attempt(lambda: [rounds.parse_rater(p) for p in text.split(";") if p.strip()])
        if people is None:
            return
        if self.sa.attempt(rounds.open_round, self.sa.ws, self.assessment_id, people) is not None:
            self.notify(f"Round opened for {len(people)} rater(s). t: rate in turn.", timeout=5)
            self.refresh_data()

    def action_back(self) -> None:
        self.app.pop_screen()

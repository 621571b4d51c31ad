"""The annual-report section on the framework's subject (its title and opening are the framework's), drafted from the answers and actions.

Drafted once as a list of blocks (headings, paragraphs, bullets, a table); the Word and the
Markdown writers render the same blocks, so the two never say different things.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.figures import state_meanings
from ..core.indicators import GroupFigure, IndicatorFigures
from ..core.model import CLOSED_STATUSES
from .data import (
    ActionRow,
    DomainRow,
    ReportData,
    change_words,
    long_date,
    score_and_level,
    score_words,
)

KEY_ACTIONS = 8


@dataclass(frozen=True)
class Heading:
    text: str
    level: int


@dataclass(frozen=True)
class Para:
    parts: tuple[tuple[str, bool], ...]  # (text, is user/framework text)

    @classmethod
    def of(cls, *parts: str | tuple[str, bool]) -> Para:
        return cls(tuple(p if isinstance(p, tuple) else (p, False) for p in parts))


@dataclass(frozen=True)
class Bullets:
    items: tuple[Para, ...]


@dataclass(frozen=True)
class TableBlock:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


Block = Heading | Para | Bullets | TableBlock


def _list(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def title(data: ReportData) -> str:
    """The section's title: marked DRAFT until the board signs the assessment off."""
    return data.wording.annual_title + (" (DRAFT for the board)" if data.is_draft else "")


def draft(data: ReportData) -> list[Block]:
    f = data.figures
    blocks: list[Block] = [Heading(title(data), 1)]
    if data.is_draft:
        blocks.append(Para.of(
            "DRAFT for the board: drafted from an assessment the board has not yet signed off. The figures and "
            "words may change before it does."))
    signed = (f" The board signed off the assessment on {long_date(data.signoff_date)}"
              + (f" ({data.signoff_meeting})" if data.signoff_meeting else "") + "." if not data.is_draft else
              " The assessment has not yet been signed off by the board"
              + (f"; {f.drafts} answer{'s are' if f.drafts != 1 else ' is'} still draft" if f.drafts else "") + ".")
    # The framework's own opening (a legal duty, a contract requirement), then what the section reports.
    opening = data.wording.annual_opening_for(data.organisation)
    blocks.append(Para.of(
        *opening, (" " if opening else "") + "This section reports how the "
        + ("board assessed itself, where it stands and what it has committed to do." if not data.is_draft else
           "trust has assessed itself for the board, where it stands and what it proposes to do.")))
    blocks.append(Heading("How we assessed ourselves", 2))
    who = "the board assessed the trust" if not data.is_draft else "the trust is assessing itself, for the board,"
    answered = (f"{f.answered} of the {f.questions} questions are answered this year"
                + (f"; {f.awaiting_review} carried forward from {data.previous_period or 'last year'} await review"
                   if f.awaiting_review else "")
                + (f", {f.not_started} not started" if f.not_started else "") + ".")
    assurance = _list([f"{n} {label.lower()}" for label, n in f.assurance])
    blocks.append(Para.of(
        f"In {data.period} {who} against ", (data.framework_title, True),
        f" (version {data.framework_version}), which asks {f.questions} questions across {len(f.domains)} "
        f"domains. {answered} By state, the answers are: {f.states_text()}."
        + (f" Of the {f.rated} rated answers, {assurance}." if f.rated else "")
        + (f" {f.not_applicable} question{'s are' if f.not_applicable != 1 else ' is'} not applicable, each with a reason."
           if f.not_applicable else "") + signed))
    if f.awaiting_review:
        blocks.append(Para.of(
            f"{f.awaiting_review} answers carried forward from the previous year are still awaiting review: they are "
            "not this year's findings, so they are left out of the strengths and gaps below, and scores that still "
            "count them are marked provisional."))
    blocks.append(Heading("Where we stand", 2))
    overall = (f"Overall the trust scored {score_and_level(f.percent, f.level, f.provisional, lower=True)}"
               + (f", {change_words(f.change, data.previous_period)}" if data.previous_period else "") + "."
               if f.percent is not None else "The trust has no overall score yet, as no question has been rated this year.")
    ranking = f.strongest_weakest_text()
    blocks.append(Para.of(overall + (f" {ranking}" if ranking else "")))
    if f.total:  # the framework's own total and band (EDS 2022: out of 33), in its own words
        blocks.append(Para.of(f.total.text() + ".", *((" ", (f.total.meaning, True)) if f.total.meaning else ())))
    # Each answer state its own column, as `selfassess show` counts them, and a key under the table.
    states = tuple(label for label, _ in f.state_counts())
    blocks.append(TableBlock(
        ("Domain", "Score", "Level", "Change", *states),
        tuple((f"{d.ref} {d.title}", score_words(d.percent, d.provisional), d.level or "Not scored",
               change_words(d.change, data.previous_period) if data.previous_period else "first assessment",
               *(str(n) for _, n in fd.state_counts()))
              for d, fd in zip(data.domains, f.domains, strict=True))
        + (("All domains", score_words(f.percent, f.provisional), f.level or "Not scored",
            change_words(f.change, data.previous_period) if data.previous_period else "first assessment",
            *(str(n) for _, n in f.state_counts())),)))
    blocks.append(Para.of("Answers by state: " + "; ".join(
        f"{label}: {words}" for label, words in state_meanings(not data.is_draft)) + "."))
    for d in data.domains:
        blocks.append(Para.of(*_domain_sentences(d, data.previous_period)))
    blocks += stakeholder_blocks(data)
    blocks.append(Heading("Key actions", 2))
    open_actions = [a for a in data.actions if a.status not in CLOSED_STATUSES]
    if open_actions:
        plan = ("The board agreed an action plan of" if not data.is_draft else "The draft action plan put to the board has")
        blocks.append(Para.of(
            f"{plan} {f.actions_total} action{'s' if f.actions_total != 1 else ''}, each with a named owner and a due "
            f"date; {f.actions_open} {'are' if f.actions_open != 1 else 'is'} open. "
            + (f"{data.carried_on_text} " if data.carried_on else "")
            + f"The main {'ones are' if len(open_actions) != 1 else 'one is'}:"))
        # A public document: each action is attributed to the role that holds it, never to a person.
        blocks.append(Bullets(tuple(
            Para.of((a.title, True), " – ", *_role(a), f", by {long_date(a.current_due)} ({a.status_label.lower()})")
            for a in open_actions[:KEY_ACTIONS])))
    else:
        blocks.append(Para.of(f"There are no open actions ({f.actions_total} in the plan)."
                              + (f" {data.carried_on_text}" if data.carried_on else "")))
    blocks.append(Heading("Progress since last year", 2))
    if data.previous_period:
        done = data.done_actions
        improved = [d.title for d in data.domains if d.change is not None and d.change > 0]
        fell = [d.title for d in data.domains if d.change is not None and d.change < 0]
        text = f"Compared with {data.previous_period}, "
        text += (f"the trust improved in {_list([t.lower() for t in improved])}" if improved else "no domain improved")
        text += (f", and fell back in {_list([t.lower() for t in fell])}. " if fell else ". ")
        text += ("No actions have been completed yet this year." if done == 0 else
                 f"{done} action{'s' if done != 1 else ''} {'were' if done != 1 else 'was'} completed this year.")
        carried = sum(a.carried for a in data.actions)
        if carried:
            text += (f" {carried} action{'s were' if carried != 1 else ' was'} carried forward from last year's plan "
                     "and remain in this year's.")
        blocks.append(Para.of(text, *_overdue(data)))
    else:
        blocks.append(Para.of("This is the trust's first assessment against this framework; it sets the baseline "
                              "against which progress will be reported next year.", *_overdue(data)))
    blocks += indicator_blocks(data)
    return blocks


def stakeholder_blocks(data: ReportData) -> list[Block]:
    """Stakeholders' grades beside the organisation's own rating (EDS 2022 asks for both). Counts only: no names."""
    grades = data.stakeholders
    if grades is None or not grades.rows:
        return []
    return [
        Heading("What our stakeholders said", 3),
        Para.of(f"{grades.returned} of the {grades.raters} stakeholders asked graded {len(grades.rows)} "
                f"question{'s' if len(grades.rows) != 1 else ''} on their own. Beside each of our ratings is their "
                "median grade, how many graded it and how many chose each level, lowest first."),
        TableBlock(("Question", "Our rating", "Stakeholders"),
                   tuple((f"{r.ref} {r.question}", r.organisation, r.grades) for r in grades.rows)),
    ]


DIMENSION_TITLES = {"deprivation": "Deprivation (IMD quintile)", "ethnicity": "Ethnic group", "age": "Age", "sex": "Sex"}


def indicator_blocks(data: ReportData) -> list[Block]:
    """The statement on information on health inequalities: each indicator's table by breakdown, with the
    gap between the most and least deprived and the data-quality notes; 'not reported' with the reason."""
    if not data.indicators:
        return []
    blocks: list[Block] = [Heading("Information on health inequalities", 2)]
    reported = [f for f in data.indicators if f.reported]
    blocks.append(Para.of(
        "As NHS England's statement on information on health inequalities asks, these indicators are broken down by "
        f"deprivation, ethnicity, age and sex ({len(reported)} of the {len(data.indicators)} indicators of ",
        (data.indicator_set_title, True), " have data). Proportions have Wilson score 95% confidence intervals; "
        "age-standardised rates use the 2013 European Standard Population with Dobson intervals. Small numbers "
        "are suppressed to protect confidentiality."))
    for f in reported:
        ind = f.indicator
        blocks.append(Heading(f"{ind.title} ({f.period})", 3))
        rows: list[tuple[str, ...]] = [("All", "", *_figure_cells(f, f.total))]
        for b in f.breakdowns:
            for g in b.groups:
                rows.append((DIMENSION_TITLES.get(b.dimension, b.dimension), g.group, *_figure_cells(f, g)))
        blocks.append(TableBlock(("Breakdown", "Group", ind.measure_label, "95% interval", "Numerator", "Denominator"),
                                 tuple(rows)))
        sentences = []
        if f.gap_absolute is not None:
            rel = f" ({f.gap_relative:.2f} times)" if f.gap_relative is not None else ""
            sentences.append(f"Gap between the most and least deprived fifths (Q1 minus Q5): {f.gap_absolute:+.1f}{rel}"
                             + ("; this gap is wide." if f.gap_wide else "."))
        notes = f.quality_notes(data.not_stated_threshold)
        if notes:
            sentences.append("Data quality: " + "; ".join(notes) + ".")
        if sentences:
            blocks.append(Para.of(" ".join(sentences)))
    missing = [f for f in data.indicators if not f.reported]
    if missing:
        blocks.append(Para.of("Not reported:"))
        blocks.append(Bullets(tuple(Para.of((f.indicator.title, True), f" – {f.reason}.") for f in missing)))
    return blocks


def _figure_cells(f: IndicatorFigures, g: GroupFigure | None) -> tuple[str, str, str, str]:
    from ..core.indicators import interval_text, value_text

    if g is None:
        return "–", "", "", ""
    return (value_text(f.indicator, g), interval_text(f.indicator, g),
            "" if g.numerator is None else f"{g.numerator:,}", "" if g.denominator is None else f"{g.denominator:,}")


def _role(a: ActionRow) -> list[str | tuple[str, bool]]:
    return [("the " + a.owner_role if not a.owner_role.lower().startswith(("the ", "a ", "an ")) else a.owner_role, True)
            ] if a.owner_role else ["a named lead"]


def _overdue(data: ReportData) -> list[str | tuple[str, bool]]:
    """Overdue actions by the roles that hold them: a public document names no one."""
    n = data.figures.actions_overdue
    if not n:
        return []
    roles = list(dict.fromkeys(a.owner_role for a in data.actions if a.overdue and a.owner_role))
    unnamed = any(a.overdue and not a.owner_role for a in data.actions)
    parts: list[str | tuple[str, bool]] = [f" {n} action{'s are' if n != 1 else ' is'} overdue"]
    if roles:
        parts.append(", held by ")
        for i, role in enumerate(roles):
            if i:
                parts.append(" and " if i == len(roles) - 1 and not unnamed else ", ")
            parts.append((role if role.lower().startswith("the ") else "the " + role, True))
        if unnamed:
            parts.append(" and other leads")
    parts.append(".")
    return parts


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _domain_sentences(d: DomainRow, previous_period: str | None) -> list[str | tuple[str, bool]]:
    """A domain in complete sentences for every state. Questions are not quoted: the section says
    where the trust stands, in the board's words, not the framework's questions back."""
    change = f", {change_words(d.change, previous_period)}" if previous_period else ""
    if d.percent is None:
        why = (f"none of its {d.questions} questions has been rated this year" if not d.not_applicable else
               "every question answered is marked not applicable")
        out: list[str | tuple[str, bool]] = [(d.title, True), f": no score yet, as {why}."]
    else:
        out = [(d.title, True), f": {score_and_level(d.percent, d.level, d.provisional, lower=True)}{change}."]
    s, g = len(d.strengths), len(d.gaps)
    if s or g:
        out.append(f" Of this year's answers, {_count(s, 'is rated a strength', 'are rated strengths')} and "
                   f"{_count(g, 'a gap', 'gaps')}.")
    if d.awaiting_review:
        out.append(f" {d.awaiting_review} of its {d.questions} answers {'are' if d.awaiting_review != 1 else 'is'} "
                   "carried forward from last year and not yet reviewed.")
    return out

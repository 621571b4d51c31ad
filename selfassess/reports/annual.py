"""The annual-report section on health inequalities, drafted from the answers and actions.

Drafted once as a list of blocks (headings, paragraphs, bullets, a table); the Word and the
Markdown writers render the same blocks, so the two never say different things.
"""

from __future__ import annotations

from dataclasses import dataclass

from .data import ReportData, change_words, long_date, pct

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


def draft(data: ReportData) -> list[Block]:
    blocks: list[Block] = [Heading("Health inequalities", 1)]
    signed = (f" The board signed off the assessment on {long_date(data.signoff_date)}"
              + (f" ({data.signoff_meeting})" if data.signoff_meeting else "") + "." if data.signoff_date else
              " The assessment has not yet been signed off by the board.")
    blocks.append(Para.of(
        "The trust has a legal duty to have regard to the need to reduce inequalities in access to, and outcomes "
        "from, its services. This section reports how the board assessed itself, where it stands and what it "
        "has committed to do."))
    blocks.append(Heading("How we assessed ourselves", 2))
    assurance = _list([f"{n} {label.lower()}" for label, n in data.assurance_counts])
    blocks.append(Para.of(
        f"In {data.period} the board assessed the trust against ", (data.framework_title, True),
        f" (version {data.framework_version}), which asks {data.questions} questions across {len(data.domains)} "
        f"domains. {data.complete} of the {data.questions} questions are answered"
        + (f"; the answers are {assurance}" if assurance else "") + "." + signed))
    if data.needs_review:
        blocks.append(Para.of(f"{data.needs_review} answers carried forward from the previous year were still awaiting review."))
    blocks.append(Heading("Where we stand", 2))
    overall = (f"Overall the trust scored {pct(data.percent)}"
               + (f" ({data.level.lower()})" if data.level else "")
               + (f", {change_words(None if data.previous_percent is None or data.percent is None else data.percent - data.previous_percent, data.previous_period)}"
                  if data.previous_period else "") + ".")
    blocks.append(Para.of(overall))
    blocks.append(TableBlock(
        ("Domain", "Score", "Level", "Change"),
        tuple((f"{d.ref} {d.title}", pct(d.percent), d.level or "–",
               change_words(d.change, data.previous_period) if data.previous_period else "first assessment")
              for d in data.domains)))
    for d in data.domains:
        parts: list[str | tuple[str, bool]] = [
            f"{d.title}: {pct(d.percent)}" + (f" ({d.level.lower()})" if d.level else "")
            + (f", {change_words(d.change, data.previous_period)}" if data.previous_period else "") + "."]
        if d.strengths:
            best = max(d.strengths, key=lambda r: r.rating_number or 0)
            parts += [" Rated strongest: “", (best.question, True), f"” ({best.rating.lower()}"]
            if best.evidence:
                parts += ["; evidence: ", (best.evidence.strip().rstrip("."), True)]
            parts.append(").")
        if d.gaps:
            worst = min(d.gaps, key=lambda r: r.rating_number or 0)
            parts += [" Main gap: “", (worst.question, True), f"” ({worst.rating.lower()})."]
        blocks.append(Para.of(*parts))
    blocks.append(Heading("Key actions", 2))
    open_actions = [a for a in data.actions if a.status not in ("done", "dropped")]
    if open_actions:
        blocks.append(Para.of(
            f"The board agreed an action plan of {len(data.actions)} actions, each with a named owner and a due date; "
            f"{len(open_actions)} are open. The main ones are:"))
        blocks.append(Bullets(tuple(
            Para.of((a.title, True), " – ", (a.owner, True),
                    *([", ", (a.owner_role, True)] if a.owner_role else list[str | tuple[str, bool]]()),
                    f", by {long_date(a.current_due)} ({a.status_label.lower()})")
            for a in open_actions[:KEY_ACTIONS])))
    else:
        blocks.append(Para.of("There are no open actions."))
    blocks.append(Heading("Progress since last year", 2))
    if data.previous_period:
        done = data.done_actions
        improved = [d.title for d in data.domains if d.change is not None and d.change >= 0.5]
        fell = [d.title for d in data.domains if d.change is not None and d.change <= -0.5]
        text = f"Compared with {data.previous_period}, "
        text += (f"the trust improved in {_list([t.lower() for t in improved])}" if improved else "no domain improved")
        text += (f", and fell back in {_list([t.lower() for t in fell])}. " if fell else ". ")
        text += ("No actions have been completed yet" if done == 0 else
                 f"{done} action{'s' if done != 1 else ''} {'were' if done != 1 else 'was'} completed")
        carried = sum(a.carried for a in data.actions)
        if carried:
            text += f" and {carried} carried forward from last year's plan"
        text += "."
        if data.overdue_actions:
            owners = _list([f"{o} ({n})" for o, n in data.overdue_by_owner])
            text += f" {data.overdue_actions} action{'s are' if data.overdue_actions != 1 else ' is'} overdue: {owners}."
        blocks.append(Para.of(text))
    else:
        blocks.append(Para.of("This is the trust's first assessment against this framework; it sets the baseline "
                              "against which progress will be reported next year."))
    return blocks

"""Indicator sets: which measures a trust publishes by deprivation, ethnicity, age and sex, as data.

An indicator set is a YAML file beside the frameworks (frameworks/indicators/), checked with the
same strict reader and the same structure checker as a framework, so every problem is reported as
file:line:column. The published JSON Schema (frameworks/indicator-set.schema.json) is written from
the same description (`python -m selfassess.core.indicator_set`). Where NHS England's published
material leaves a definition unsure, the file says so (`definition_status: unsure` with a note) and
an author corrects the data, never the code.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import strict_yaml
from .errors import FrameworkError, NotFound, Problem
from .framework import content_hash
from .framework import plain as _plain
from .framework import position as _pos
from .framework_schema import (
    CITATION,
    ID,
    ID_PATTERN,
    SOURCE_DOC,
    Checker,
    ListOf,
    Num,
    Obj,
    Str,
    json_schema_of,
)
from .framework_schema import text_field as _text

FORMAT_VERSION = 1

# The four breakdowns the statement asks for at a minimum, and the groups each is reported in.
DEPRIVATION, ETHNICITY, AGE, SEX = "deprivation", "ethnicity", "age", "sex"
DIMENSIONS = (DEPRIVATION, ETHNICITY, AGE, SEX)
NOT_STATED, NOT_KNOWN = "Not stated", "Not known"

MEASURES = {
    "count": "Count",
    "proportion": "Proportion (%)",
    "crude_rate": "Crude rate",
    "dsr": "Directly age-standardised rate",
}
POLARITIES = ("lower_is_better", "higher_is_better", "no_judgement")

INDICATOR = Obj(
    "indicator",
    {
        "id": ID,
        "title": _text("Short title shown in tables and charts.", 200),
        "definition": _text("What the indicator measures, in words."),
        "numerator": _text("What is counted.", 2000),
        "denominator": _text("What it is counted out of (a population for rates).", 2000),
        "measure": Str("count, proportion (per cent, Wilson intervals), crude_rate or dsr (directly age-standardised "
                       "on the 2013 European Standard Population, Dobson intervals).", enum=tuple(MEASURES)),
        "per": Num("Rates are per this many of the denominator (default 100,000).", exclusive_minimum=0),
        "breakdowns": ListOf(Str("A dimension.", enum=DIMENSIONS), "Breakdowns the indicator must be reported by.", 1, 4),
        "polarity": Str("Whether a lower or a higher value is better, for reading the gap.", enum=POLARITIES),
        "area": _text("The Core20PLUS5 clinical area or statement heading it belongs to.", 200),
        "population": Str("adults or children_and_young_people (Core20PLUS5 has one list for each).",
                          enum=("adults", "children_and_young_people", "all")),
        "source": CITATION,
        "questions": ListOf(Str("A framework question id.", pattern=ID_PATTERN, max_length=80, is_id=True),
                            "Framework questions this indicator is evidence for: a wide gap suggests an action there.", 0, 20),
        "definition_status": Str("'confirmed' when the source defines it exactly; 'unsure' when the file's author had to "
                                 "interpret it (say how in the note).", enum=("confirmed", "unsure")),
        "note": _text("What is unsure or how the definition was read."),
    },
    required=("id", "title", "definition", "numerator", "denominator", "measure", "breakdowns", "polarity", "source",
              "definition_status"),
)
DISCLOSURE = Obj(
    "disclosure control",
    {
        "suppress_from": Num("Smallest count suppressed (default 1).", minimum=1, integer=True),
        "suppress_to": Num("Largest count suppressed (default 7).", minimum=0, integer=True),
    },
)
INDICATOR_SET = Obj(
    "indicator set",
    {
        "format": Num("The indicator set file format version; this is 1.", integer=True),
        "id": ID,
        "version": Str("Version of this set, such as '2024.1'. Quote it.", pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,39}$",
                       max_length=40, is_id=True),
        "title": _text("Title shown to users.", 300),
        "publisher": _text("Who publishes the set.", 300),
        "description": _text("What the set is for."),
        "framework": Str("Id of the framework whose questions the indicators link to.", pattern=ID_PATTERN, max_length=80,
                         is_id=True),
        "sources": ListOf(SOURCE_DOC, "The documents the indicators come from; indicators cite them.", 1, 200),
        "not_stated_flag_percent": Num("Flag a breakdown when more than this per cent is not stated or not known "
                                       "(default 5).", minimum=0),
        "gap_flag_ratio": Num("Suggest an action when quintile 1 is this many times worse than quintile 5 (default 1.2).",
                              exclusive_minimum=1),
        "age_groups": ListOf(Num("Lower bound of an age group in years.", minimum=0, integer=True),
                             "Age groups shown in breakdowns, by their lower bounds, rising from 0.", 2, 30),
        "disclosure": DISCLOSURE,
        "indicators": ListOf(INDICATOR, "The indicators, in the order reports show them.", 1, 500),
    },
    required=("format", "id", "version", "title", "publisher", "sources", "indicators"),
)


@dataclass(frozen=True)
class Indicator:
    id: str
    title: str
    definition: str
    numerator: str
    denominator: str
    measure: str
    per: float
    breakdowns: tuple[str, ...]
    polarity: str
    area: str
    population: str
    source_document: str
    source_section: str
    questions: tuple[str, ...]
    unsure: bool
    note: str

    @property
    def measure_label(self) -> str:
        if self.measure in ("crude_rate", "dsr"):
            return f"{MEASURES[self.measure]} per {self.per:,.0f}"
        return MEASURES[self.measure]


@dataclass(frozen=True)
class IndicatorSet:
    id: str
    version: str
    title: str
    publisher: str
    description: str
    framework: str
    sources: tuple[tuple[str, str, str, str], ...]  # (id, title, publisher, url)
    not_stated_flag_percent: float
    gap_flag_ratio: float
    age_groups: tuple[int, ...]
    suppress_from: int
    suppress_to: int
    indicators: tuple[Indicator, ...]
    content_hash: str
    origin: str
    data: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)  # as pinned in the store

    @property
    def key(self) -> str:
        return f"{self.id}@{self.version}"

    def indicator(self, indicator_id: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise NotFound(f"no indicator '{indicator_id}' in {self.title} ({self.key}), expected one of: "
                       + ", ".join(i.id for i in self.indicators))

    def source_title(self, document_id: str) -> str:
        for sid, title, publisher, _ in self.sources:
            if sid == document_id:
                return f"{publisher}: {title}" if publisher else title
        return document_id

    def age_group(self, age: int) -> str:
        """The label of the age group an age falls in: '0-17', '18-39', ..., '80+'."""
        bounds = self.age_groups
        for lo, hi in zip(bounds, bounds[1:], strict=False):
            if lo <= age < hi:
                return f"{lo}-{hi - 1}"
        return f"{bounds[-1]}+"

    def age_labels(self) -> list[str]:
        bounds = self.age_groups
        return [f"{lo}-{hi - 1}" for lo, hi in zip(bounds, bounds[1:], strict=False)] + [f"{bounds[-1]}+"]


def _check_meaning(data: Any, filename: str) -> list[Problem]:
    problems: list[Problem] = []

    def at(pos: strict_yaml.Pos | None, message: str) -> None:
        problems.append(Problem(filename, pos.line if pos else 1, pos.column if pos else 1, message))

    if not isinstance(data, dict):
        return problems
    if isinstance(data.get("format"), int) and data["format"] != FORMAT_VERSION:
        at(_pos(data, "format"), f"format is {data['format']}, expected {FORMAT_VERSION}")
    sources = {s.get("id") for s in data.get("sources", []) if isinstance(s, dict)} if isinstance(data.get("sources"), list) else set()
    ages = data.get("age_groups")
    if isinstance(ages, list) and all(isinstance(a, int) and not isinstance(a, bool) for a in ages):
        if ages and ages[0] != 0:
            at(_pos(data, "age_groups"), f"age_groups starts at {ages[0]}, expected the first group to start at 0")
        for i in range(1, len(ages)):
            if ages[i] <= ages[i - 1]:
                at(_pos(ages, i), f"age group {ages[i]} does not rise from {ages[i - 1]}, expected lower bounds in rising order")
    disclosure = data.get("disclosure")
    if isinstance(disclosure, dict):
        lo, hi = disclosure.get("suppress_from", 1), disclosure.get("suppress_to", 7)
        if isinstance(lo, int) and isinstance(hi, int) and hi and hi < lo:
            at(_pos(disclosure, "suppress_to"), f"suppress_to {hi} is below suppress_from {lo}, expected a range (or 0 for none)")
    seen: dict[str, strict_yaml.Pos | None] = {}
    indicators = data.get("indicators")
    for i, ind in enumerate(indicators if isinstance(indicators, list) else []):
        if not isinstance(ind, dict):
            continue
        iid = ind.get("id")
        if isinstance(iid, str) and (where := strict_yaml.seen_before(seen, iid, _pos(ind, "id"))) is not None:
            at(_pos(ind, "id"), f"duplicate indicator id '{iid}'{where}, expected each id once")
        src = ind.get("source")
        if isinstance(src, dict) and isinstance(src.get("document"), str) and src["document"] not in sources:
            at(_pos(src, "document"), f"unknown source document '{src['document']}', expected one of the set's sources: "
               + ", ".join(sorted(s for s in sources if isinstance(s, str))))
        breakdowns = ind.get("breakdowns")
        if isinstance(breakdowns, list) and len(set(map(str, breakdowns))) != len(breakdowns):
            at(_pos(ind, "breakdowns"), "a breakdown is named twice, expected each dimension once")
        if ind.get("definition_status") == "unsure" and not ind.get("note"):
            at(_pos(indicators, i), f"indicator '{iid}' is marked unsure but has no note, expected a note saying what is unsure")
        if "per" in ind and ind.get("measure") in ("count", "proportion"):
            at(_pos(ind, "per"), f"'per' applies to rates, expected no 'per' for a {ind.get('measure')}")
    return problems


def build(data: dict[str, Any], origin: str) -> IndicatorSet:
    disclosure = data.get("disclosure", {})
    return IndicatorSet(
        id=data["id"], version=data["version"], title=data["title"], publisher=data["publisher"],
        description=data.get("description", ""), framework=data.get("framework", ""),
        sources=tuple((s["id"], s["title"], s.get("publisher", ""), s.get("url", "")) for s in data["sources"]),
        not_stated_flag_percent=float(data.get("not_stated_flag_percent", 5)),
        gap_flag_ratio=float(data.get("gap_flag_ratio", 1.2)),
        age_groups=tuple(data.get("age_groups", (0, 18, 40, 65, 80))),
        suppress_from=int(disclosure.get("suppress_from", 1)), suppress_to=int(disclosure.get("suppress_to", 7)),
        indicators=tuple(
            Indicator(
                id=i["id"], title=i["title"], definition=i["definition"], numerator=i["numerator"],
                denominator=i["denominator"], measure=i["measure"],
                per=float(i.get("per", 100_000 if i["measure"] in ("crude_rate", "dsr") else 100)),
                breakdowns=tuple(i["breakdowns"]), polarity=i["polarity"], area=i.get("area", ""),
                population=i.get("population", "all"), source_document=i["source"]["document"],
                source_section=i["source"].get("section", ""), questions=tuple(i.get("questions", ())),
                unsure=i["definition_status"] == "unsure", note=i.get("note", ""),
            )
            for i in data["indicators"]
        ),
        content_hash=content_hash(data),
        origin=origin,
        data=copy.deepcopy(data),
    )


def parse(text: str | bytes, filename: str) -> IndicatorSet:
    """Read, check and build an indicator set; every problem is reported in one FrameworkError."""
    raw, problems = strict_yaml.read_document(text, filename)
    if raw is None:
        raise FrameworkError(problems)
    checker = Checker(filename)
    checker.check(raw, INDICATOR_SET, getattr(raw, "pos", None), "indicator set")
    problems += checker.problems + _check_meaning(raw, filename)
    if problems:
        raise FrameworkError(problems)
    return build(_plain(raw), filename)


def load_file(path: str | Path) -> IndicatorSet:
    path = Path(path)
    return parse(strict_yaml.read_source(path, "indicator set YAML file"), str(path))


def load_folder(folder: Path) -> list[IndicatorSet]:
    """Every indicator set in a folder (an unreadable one raises, naming every problem)."""
    if not folder.is_dir():
        return []
    return [load_file(p) for p in sorted(folder.iterdir()) if p.suffix.lower() in (".yaml", ".yml") and p.is_file()]


def from_store(data: dict[str, Any], expected_hash: str) -> IndicatorSet:
    """Rebuild a set from the copy pinned beside an assessment's indicator data; checked again if
    its content no longer matches the hash recorded."""
    if content_hash(data) != expected_hash:
        checker = Checker("store")
        checker.check(data, INDICATOR_SET, None, "indicator set")
        problems = checker.problems + _check_meaning(data, "store")
        if problems:
            raise FrameworkError(problems)
    return build(copy.deepcopy(data), "store")


def folders(home: Path, extra: Sequence[Path] = ()) -> list[Path]:
    """Where indicator sets are found: the bundled ones, the user's, and any named."""
    from .. import paths

    return [paths.bundled_frameworks_dir() / "indicators", paths.user_frameworks_dir(home) / "indicators", *extra]


def find(name: str | None, home: Path, framework_id: str = "", extra: Sequence[Path] = (),
         skipped: list[str] | None = None) -> IndicatorSet:
    """A set by id (or id@version); with no name, the one linked to the framework (else the only one).

    A file that does not load is left out (as a broken framework file is), its problems added to
    `skipped` for the caller to show; it is named in the refusal when no set matches."""
    found: list[IndicatorSet] = []
    broken: list[str] = []
    problems: list[Problem] = []
    for folder in folders(home, extra):
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() in (".yaml", ".yml") and path.is_file():
                try:
                    found.append(load_file(path))
                except FrameworkError as exc:
                    problems += exc.problems
                    broken.append(f"{path} was left out: " + "; ".join(str(problem) for problem in exc.problems[:3]))
    if skipped is not None:
        skipped += broken
    if name:
        matches = [s for s in found if name in (s.id, s.key)]
    else:
        matches = [s for s in found if s.framework == framework_id] or (found if len(found) == 1 else [])
    if not matches and broken:
        raise FrameworkError(problems)
    if not matches:
        known = ", ".join(sorted({s.key for s in found})) or "(none)"
        raise NotFound(f"no indicator set '{name}', expected one of: {known}" if name else
                       f"no indicator set is linked to the framework '{framework_id}', expected --set ID (one of: {known})")
    from .catalogue import version_key

    return max(matches, key=lambda s: version_key(s.version))


def json_schema() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://selfassess.invalid/schema/indicator-set-1.json",
        "title": "selfassess indicator set",
        **json_schema_of(INDICATOR_SET),
    }


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    import sys

    sys.stdout.write(json_schema_text())

"""Crosswalks: which questions of one framework say the same as (or part of) questions of another.

A crosswalk is a YAML file checked like a framework (file:line:column for every problem): each link
joins one or more questions of one framework to one or more of another, as `equal`, `subset`
(the first side asks part of what the second asks), `superset` or `intersects`. A link is kept
whole: a link from two questions to three is one link, never six pairs, so no part of it is lost.

Projecting an assessment across a crosswalk suggests, for each question of the other framework,
the level its linked answers point to, with where each suggestion came from. Suggestions are only
ever drafts to review: a board's answer to one framework is never its agreed answer to another.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import strict_yaml
from .errors import FrameworkError, NotFound, Problem
from .framework import Framework, Question
from .framework_schema import (
    ID,
    ID_PATTERN,
    Checker,
    ListOf,
    Num,
    Obj,
    Str,
    json_schema_of,
    text_field,
)
from .model import NEEDS_REVIEW, Answer

FORMAT_VERSION = 1
RELATIONS = ("equal", "subset", "superset", "intersects")
INVERSE = {"equal": "equal", "subset": "superset", "superset": "subset", "intersects": "intersects"}

QID = Str("Id of a question of that framework.", pattern=ID_PATTERN, max_length=80, is_id=True)
SIDE = Obj(
    "crosswalk side",
    {
        "framework": ID,
        "version": Str("The framework version whose question ids the links use. Quote it.",
                       pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,39}$", max_length=40, is_id=True),
    },
    required=("framework", "version"),
)
LINK = Obj(
    "crosswalk link",
    {
        "from": ListOf(QID, "Questions of the first framework (one or more).", 1, 50),
        "to": ListOf(QID, "Questions of the second framework (one or more).", 1, 50),
        "relation": Str("'equal'; 'subset' (the first side asks part of what the second asks); 'superset'; "
                        "or 'intersects' (they overlap).", enum=RELATIONS),
        "note": text_field("Why these questions are linked."),
    },
    required=("from", "to", "relation"),
)
CROSSWALK = Obj(
    "crosswalk",
    {
        "format": Num("The crosswalk file format version; this is 1.", integer=True),
        "id": ID,
        "title": text_field("What the crosswalk joins.", 300),
        "publisher": text_field("Who wrote it.", 300),
        "description": text_field("How the links were chosen."),
        "from": SIDE,
        "to": SIDE,
        "links": ListOf(LINK, "The links, each kept whole.", 1, 5000),
    },
    required=("format", "id", "title", "from", "to", "links"),
)


@dataclass(frozen=True)
class Link:
    sources: tuple[str, ...]  # question ids on the side projected from
    targets: tuple[str, ...]  # question ids on the side projected to
    relation: str  # of the sources to the targets
    note: str = ""


@dataclass(frozen=True)
class Crosswalk:
    id: str
    title: str
    from_framework: str
    from_version: str
    to_framework: str
    to_version: str
    links: tuple[Link, ...]
    origin: str = ""

    def joins(self, a: str, b: str) -> bool:
        return {a, b} == {self.from_framework, self.to_framework}

    def oriented(self, source_framework: str) -> tuple[Link, ...]:
        """The links read from source_framework's side: the other way round, subset is superset."""
        if source_framework == self.from_framework:
            return self.links
        return tuple(Link(x.targets, x.sources, INVERSE[x.relation], x.note) for x in self.links)


def _check(raw: Any, filename: str, frameworks: dict[str, Framework]) -> list[Problem]:
    checker = Checker(filename)
    checker.check(raw, CROSSWALK, getattr(raw, "pos", None), "crosswalk")
    problems = checker.problems
    if problems or not isinstance(raw, dict):
        return problems
    if raw["format"] != FORMAT_VERSION:
        checker.at(_pos(raw, "format"), f"format is {raw['format']}, expected {FORMAT_VERSION}")
    sides: dict[str, Framework | None] = {}
    for side in ("from", "to"):
        ref = raw[side]
        key = f"{ref['framework']}@{ref['version']}"
        found = frameworks.get(key)
        if found is None:
            checker.at(_pos(raw, side), f"crosswalk {side} names {key}, which is not a framework here, expected one of: "
                                        + (", ".join(sorted(frameworks)) or "(none)"))
        sides[side] = found
    seen: dict[tuple[frozenset[str], frozenset[str]], int] = {}
    for i, link in enumerate(raw["links"]):
        for side in ("from", "to"):
            framework = sides[side]
            ids = link[side]
            if framework is None:
                continue
            for j, qid in enumerate(ids):
                if not framework.has_question(qid):
                    checker.at(_pos(ids, j), f"link {i + 1} {side} '{qid}' is not a question of {framework.key}")
        key2 = (frozenset(link["from"]), frozenset(link["to"]))
        if key2 in seen:
            checker.at(_pos(raw["links"], i), f"link {i + 1} joins the same questions as link {seen[key2]}, "
                                              "expected each link once")
        else:
            seen[key2] = i + 1
    return checker.problems


def _pos(container: Any, key: Any) -> strict_yaml.Pos | None:
    if isinstance(container, strict_yaml.YMap):
        return container.value_pos.get(key, container.pos)
    if isinstance(container, strict_yaml.YList):
        return container.item_pos[key] if key < len(container.item_pos) else container.pos
    return None


def parse(text: str | bytes, filename: str, frameworks: dict[str, Framework]) -> Crosswalk:
    """Read and check a crosswalk against the frameworks it joins (keyed id@version)."""
    raw, problems = strict_yaml.read_document(text, filename)
    if raw is None:
        raise FrameworkError(problems)
    problems += _check(raw, filename, frameworks)
    if problems:
        raise FrameworkError(problems)
    return Crosswalk(
        id=raw["id"], title=raw["title"],
        from_framework=raw["from"]["framework"], from_version=raw["from"]["version"],
        to_framework=raw["to"]["framework"], to_version=raw["to"]["version"],
        links=tuple(Link(tuple(x["from"]), tuple(x["to"]), x["relation"], x.get("note", "")) for x in raw["links"]),
        origin=filename)


def load_folder(folder: Path, frameworks: dict[str, Framework]) -> tuple[list[Crosswalk], dict[str, list[Problem]]]:
    found: list[Crosswalk] = []
    failures: dict[str, list[Problem]] = {}
    if not folder.is_dir():
        return found, failures
    for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in (".yaml", ".yml") and p.is_file()):
        try:
            found.append(parse(strict_yaml.read_source(path, "crosswalk YAML file"), str(path), frameworks))
        except FrameworkError as exc:
            failures[str(path)] = exc.problems
    return found, failures


# --- projecting answers across -------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """One answer that points at a suggestion, and the link that carries it."""

    question_id: str
    ref: str
    rating: str  # the level's label
    position: float  # 0 (lowest) to 1 (highest) on its scale
    relation: str
    crosswalk: str
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"question": self.question_id, "ref": self.ref, "rating": self.rating, "relation": self.relation,
                "crosswalk": self.crosswalk, "note": self.note}


@dataclass(frozen=True)
class Suggestion:
    question_id: str
    ref: str
    level: str | None  # key of the suggested level, None when no linked answer is rated
    label: str | None
    equal: bool  # every link carrying it says equal
    evidence: tuple[Evidence, ...]

    def to_json(self) -> dict[str, Any]:
        return {"question": self.question_id, "ref": self.ref, "suggested_level": self.level, "label": self.label,
                "strength": None if self.level is None else ("equal" if self.equal else "partial"),
                "from": [e.to_json() for e in self.evidence]}

    def provenance(self) -> str:
        """'from 1.1 Established (equal, board-to-eds-2022)'."""
        return "; ".join(f"{e.ref} {e.rating} ({e.relation}, {e.crosswalk})" for e in self.evidence)


def project(source: Framework, answers: dict[str, Answer], target: Framework,
            crosswalks: Iterable[Crosswalk]) -> list[Suggestion]:
    """For each question of target, what the answers to source suggest: the level nearest the
    average position (on their own scales) of every linked rated answer, with each one named."""
    walks = [c for c in crosswalks if c.joins(source.id, target.id)]
    if not walks:
        raise NotFound(f"no crosswalk joins {source.id} and {target.id}")
    gathered: dict[str, list[Evidence]] = {}
    # A crosswalk names the framework's own question ids; a domain rated per service holds one
    # copy of each question per service, and every copy's answer speaks for the question.
    copies: dict[str, list[Question]] = {}
    for q in source.questions():
        copies.setdefault(q.framework_id, []).append(q)
    for walk in walks:
        for link in walk.oriented(source.id):
            found: list[Evidence] = []
            for q in (q for qid in link.sources for q in copies.get(qid, ())):
                a = answers.get(q.id)
                # Carried forward and not yet reviewed is not this year's view: it suggests nothing.
                if a is None or a.rating is None or a.state == NEEDS_REVIEW:
                    continue
                scale = source.scale_for(q)
                try:
                    level = scale.level(a.rating)
                except NotFound:
                    continue
                span = scale.max_score - scale.min_score
                found.append(Evidence(q.id, q.ref, level.label, (level.score - scale.min_score) / span if span else 1.0,
                                      link.relation, walk.id, link.note))
            for t in link.targets:
                gathered.setdefault(t, []).extend(found)
    out: list[Suggestion] = []
    for q in target.questions():
        evidence = tuple(gathered.get(q.framework_id, ()))
        if not evidence:
            out.append(Suggestion(q.id, q.ref, None, None, False, evidence))
            continue
        scale = target.scale_for(q)
        mean = sum(e.position for e in evidence) / len(evidence)
        span = scale.max_score - scale.min_score
        wanted = scale.min_score + mean * span
        level = min(scale.levels, key=lambda lv: (abs(lv.score - wanted), lv.score))
        out.append(Suggestion(q.id, q.ref, level.key, level.label, all(e.relation == "equal" for e in evidence),
                              evidence))
    return out


def json_schema_text() -> str:
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
              "$id": "https://selfassess.invalid/schema/crosswalk-1.json", "title": "selfassess crosswalk",
              **json_schema_of(CROSSWALK)}
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    import sys

    sys.stdout.write(json_schema_text())

"""Frameworks: what an assessment asks, loaded from YAML, checked, and then immutable.

A Framework is built from plain data that has passed every check; its content hash
is the SHA-256 of that data in canonical JSON, so reformatting or re-commenting a
file does not change it, and any change of content does.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .audit import canonical
from .errors import FrameworkError, Hint, NotFound, Problem

if TYPE_CHECKING:
    # Only reading a YAML file needs it (imported there): the app builds its frameworks from the store.
    from . import strict_yaml


@dataclass(frozen=True)
class Level:
    key: str
    label: str
    score: float
    description: str = ""


@dataclass(frozen=True)
class Scale:
    id: str
    title: str
    levels: tuple[Level, ...]
    description: str = ""
    gap_at_or_below: float | None = None
    show_scores: bool = False

    def level(self, key: str) -> Level:
        for level in self.levels:
            if level.key == key:
                return level
        raise NotFound(f"'{key}' is not a level of the scale '{self.id}', expected one of: {', '.join(self.level_keys())}")

    def level_keys(self) -> tuple[str, ...]:
        return self._keys

    @functools.cached_property
    def _keys(self) -> tuple[str, ...]:  # asked at every save (is the rating a key?): made once
        return tuple(level.key for level in self.levels)

    def key_of_label(self, label: str) -> str | None:
        """The key of the (first) level with this label, in any case."""
        return self._by_label.get(label.lower())

    @functools.cached_property
    def _by_label(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for level in self.levels:
            found.setdefault(level.label.lower(), level.key)
        return found

    def number_of(self, key: str) -> int:
        """The 1-based position of a level."""
        return self.level_keys().index(key) + 1

    @property
    def by_score(self) -> bool:
        """Digits name scores, not positions: a scale starting at 0 (EDS 2022's 0 to 3) is rated
        by its scores, so '0' is the lowest level and '3' the score 3, never the third level."""
        return self.min_score == 0 and all(lv.score == int(lv.score) and lv.score <= 9 for lv in self.levels)

    @functools.cached_property  # a frozen scale's levels never change
    def positions_are_scores(self) -> bool:
        """Scores 1, 2, 3... in order: a digit means the same as a position or as a score."""
        return all(lv.score == i for i, lv in enumerate(self.levels, start=1))

    def digit_of(self, key: str) -> int:
        """The digit key that picks a level: its score on a scale rated by score, else its position."""
        return int(self.level(key).score) if self.by_score else self.number_of(key)

    def level_by_digit(self, digit: int) -> Level | None:
        if self.by_score:
            return next((lv for lv in self.levels if lv.score == digit), None)
        return self.levels[digit - 1] if 1 <= digit <= len(self.levels) else None

    def level_for_score(self, value: float) -> Level:
        for level in self.levels:
            if level.score == value:
                return level
        scores = ", ".join(f"{_number(lv.score)} {lv.label}" for lv in self.levels)
        raise NotFound(f"{_number(value)} is not a score on the {self.title} scale, expected one of: {scores}")

    def label_of(self, key: str) -> str:
        """A level as documents write it: 'Achieving', or 'Achieving (2)' where the framework shows scores."""
        level = self.level(key)
        return f"{level.label} ({_number(level.score)})" if self.show_scores else level.label

    @functools.cached_property
    def min_score(self) -> float:  # kept: scoring asks it of every answer of every year on the home screen
        return min(level.score for level in self.levels)

    @functools.cached_property
    def max_score(self) -> float:
        return max(level.score for level in self.levels)

    def is_gap(self, key: str) -> bool:
        if self.gap_at_or_below is None:
            return self.level(key).score == self.min_score
        return self.level(key).score <= self.gap_at_or_below


def _number(value: float) -> str:
    """A score as people write it: 2, not 2.0; 2.5 stays 2.5."""
    return str(int(value)) if value == int(value) else f"{value:g}"


number_text = _number


@dataclass(frozen=True)
class Wording:
    """What the documents call themselves and how they open: the framework's words, not the code's."""

    report_title: str
    subject: str
    annual_title: str
    opening: str = ""
    annual_opening: str = ""  # {organisation} stands for the organisation's name
    total_meaning: str = ""

    def annual_opening_for(self, organisation: str) -> list[tuple[str, bool]]:
        """The annual-report opening as (text, is the user's own) parts: the name stays the user's."""
        parts: list[tuple[str, bool]] = []
        pieces = self.annual_opening.split("{organisation}")
        for i, piece in enumerate(pieces):
            if i:
                parts.append((organisation, True))
            if piece:
                parts.append((piece, False))
        return parts


@dataclass(frozen=True)
class Band:
    label: str
    at_least: float
    description: str = ""


@dataclass(frozen=True)
class Total:
    """The framework's overall total: the sum or mean of question scores, with named bands."""

    method: str  # "sum" or "mean"
    label: str
    domain_ids: tuple[str, ...]  # the domains whose questions count
    bands: tuple[Band, ...] = ()

    def band(self, value: float) -> Band | None:
        found = None
        for band in self.bands:
            if value >= band.at_least - 1e-9:
                found = band
        return found


@dataclass(frozen=True)
class SourceDocument:
    id: str
    title: str
    publisher: str = ""
    date: str = ""
    url: str = ""
    note: str = ""


@dataclass(frozen=True)
class Citation:
    document: str
    section: str = ""


@dataclass(frozen=True)
class Question:
    id: str
    ref: str
    text: str
    domain_id: str
    scale_id: str
    source: Citation
    guidance: str = ""
    evidence_expected: tuple[str, ...] = ()
    suggested_actions: tuple[str, ...] = ()
    level_descriptions: tuple[tuple[str, str], ...] = ()
    tags: tuple[str, ...] = ()
    weight: float = 1.0
    base_id: str = ""  # in a domain rated per service: the framework's own question id
    part: str = ""  # ...and the service (or site) this copy rates

    @property
    def framework_id(self) -> str:
        """The id the framework itself gives this question (the same unless rated per service)."""
        return self.base_id or self.id

    def level_description(self, key: str) -> str:
        return dict(self.level_descriptions).get(key, "")


@dataclass(frozen=True)
class Domain:
    id: str
    ref: str
    title: str
    questions: tuple[Question, ...]
    description: str = ""
    rated_per: str | None = None  # "service" or "site": held once per named part
    at_least: int = 1
    roll_up: str = "mean"  # "mean" or "lowest": a question's scores across parts, in the total
    base_id: str = ""  # in a copy for one part: the framework's own domain id
    part: str = ""

    @property
    def framework_id(self) -> str:
        return self.base_id or self.id


@dataclass(frozen=True)
class Retired:
    id: str
    replaced_by: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True, eq=False)
class Framework:
    id: str
    version: str
    title: str
    publisher: str
    description: str
    sources: tuple[SourceDocument, ...]
    scales: tuple[Scale, ...]
    default_scale: str
    na_allowed: bool
    na_scoring: str  # "exclude" or "lowest"
    domains: tuple[Domain, ...]
    retired: tuple[Retired, ...]
    content_hash: str
    origin: str  # the file it was read from, or "store" for a pinned copy
    _data: dict[str, Any] = field(repr=False)
    _questions: dict[str, Question] = field(repr=False)
    wording: Wording = Wording("", "", "")
    total: Total | None = None

    @property
    def key(self) -> str:
        """id@version: how users name one version of a framework."""
        return f"{self.id}@{self.version}"

    @functools.cached_property  # asked at every save; a framework is frozen
    def has_parts(self) -> bool:
        """Some domain is rated per service (or site)."""
        return any(d.rated_per for d in self.domains)

    @property
    def short_hash(self) -> str:
        return self.content_hash[:12]

    def data(self) -> dict[str, Any]:
        """The framework as plain data (a copy), as stored beside assessments."""
        return copy.deepcopy(self._data)

    def questions(self) -> Iterator[Question]:
        for domain in self.domains:
            yield from domain.questions

    @property
    def question_count(self) -> int:
        return len(self._questions)

    def has_question(self, question_id: str) -> bool:
        return question_id in self._questions

    def question(self, id_or_ref: str) -> Question:
        """A question by its id, or by its display ref as a convenience for typing."""
        found = self._questions.get(id_or_ref)
        if found:
            return found
        for q in self._questions.values():
            if q.ref == id_or_ref:
                return q
        raise NotFound(f"no question '{id_or_ref}' in {self.title} ({self.key})",
                       hint=Hint("see the question ids", command="selfassess frameworks --json"))

    def domain(self, domain_id: str) -> Domain:
        for d in self.domains:
            if d.id == domain_id or d.ref == domain_id:
                return d
        raise NotFound(f"no domain '{domain_id}' in {self.title} ({self.key})")

    def domain_of(self, question_id: str) -> Domain:
        return self.domain(self.question(question_id).domain_id)

    def action_domain(self, question_ids: Iterable[str]) -> Domain | None:
        """The domain an action belongs to: that of its first question this framework still asks."""
        for q in question_ids:
            if self.has_question(q):
                return self.domain_of(q)
        return None

    def scale(self, scale_id: str) -> Scale:
        for s in self.scales:
            if s.id == scale_id:
                return s
        raise NotFound(f"no scale '{scale_id}' in {self.key}")

    def scale_for(self, question: Question) -> Scale:
        return self.scale(question.scale_id)

    def source(self, document_id: str) -> SourceDocument:
        for s in self.sources:
            if s.id == document_id:
                return s
        raise NotFound(f"no source '{document_id}' in {self.key}")

    def successors(self, retired_id: str) -> tuple[str, ...]:
        """Current questions that a retired question's answer carries forward to."""
        for r in self.retired:
            if r.id == retired_id:
                return r.replaced_by
        return ()

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "publisher": self.publisher,
            "hash": self.content_hash,
            "origin": self.origin,
            "question_count": self.question_count,
            "domains": [
                {
                    "id": d.id,
                    "ref": d.ref,
                    "title": d.title,
                    "questions": [{"id": q.id, "ref": q.ref} for q in d.questions],
                }
                for d in self.domains
            ],
        }


def part_slug(name: str) -> str:
    """The id piece of a service's name: 'Maternity (Northgate)' -> 'maternity-northgate'."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "part"


def with_parts(framework: Framework, parts: dict[str, tuple[str, ...]]) -> Framework:
    """The framework as one assessment holds it: each domain rated per service (or site) once per
    service it names, as 'Commissioned or provided services: Maternity' (ref 1.1), its questions
    'eds.services.access:maternity' (ref 1A.1). Same content and hash: only the view differs."""
    if not any(d.rated_per for d in framework.domains) or any(d.base_id for d in framework.domains):
        return framework  # nothing rated per service, or already held per service
    domains: list[Domain] = []
    for d in framework.domains:
        if not d.rated_per:
            domains.append(d)
            continue
        names = parts.get(d.rated_per, ())
        if not names:  # none named yet: the domain is there, with nothing to rate until one is
            domains.append(dataclasses.replace(d, questions=()))
            continue
        for i, name in enumerate(names, start=1):
            slug = part_slug(name)
            did = f"{d.id}:{slug}"
            qs = tuple(dataclasses.replace(q, id=f"{q.id}:{slug}", ref=f"{q.ref}.{i}", domain_id=did, base_id=q.id,
                                           part=name) for q in d.questions)
            domains.append(dataclasses.replace(d, id=did, ref=f"{d.ref}.{i}", title=f"{d.title}: {name}",
                                               questions=qs, base_id=d.id, part=name))
    questions = {q.id: q for dom in domains for q in dom.questions}
    return dataclasses.replace(framework, domains=tuple(domains), _questions=questions)


canonical_json = canonical  # the audit chain's canonical JSON: one spelling of a framework's bytes


def content_hash(data: Any) -> str:
    return hashlib.sha256(canonical_json(data)).hexdigest()


def _plain(value: Any) -> Any:
    """Strip position bookkeeping: YMap/YList to dict/list."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if isinstance(k, str)}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _pos(container: Any, key: Any) -> strict_yaml.Pos | None:
    """Where a value of a mapping or list stands in the file (the container's position if unknown)."""
    from . import strict_yaml

    if isinstance(container, strict_yaml.YMap):
        return container.value_pos.get(key, container.pos)
    if isinstance(container, strict_yaml.YList):
        return container.item_pos[key] if key < len(container.item_pos) else container.pos
    return None


def _check_meaning(data: Any, filename: str) -> list[Problem]:
    """Cross-references the structure check cannot see: unique ids, known scales and sources."""
    from . import strict_yaml

    problems: list[Problem] = []

    def at(pos: strict_yaml.Pos | None, message: str) -> None:
        problems.append(Problem(filename, pos.line if pos else 1, pos.column if pos else 1, message))

    def items(container: Any, key: str) -> list[tuple[Any, strict_yaml.Pos | None]]:
        value = container.get(key) if isinstance(container, dict) else None
        if not isinstance(value, list):
            return []
        return [(v, _pos(value, i)) for i, v in enumerate(value) if isinstance(v, dict)]

    scales: dict[str, list[str]] = {}
    for scale, _ in items(data, "scales"):
        sid = scale.get("id")
        if isinstance(sid, str):
            if sid in scales:
                at(_pos(scale, "id"), f"duplicate scale id '{sid}', expected each scale id once")
            keys: list[str] = []
            for level, _ in items(scale, "levels"):
                k = level.get("key")
                if isinstance(k, str):
                    if k in keys:
                        at(_pos(level, "key"), f"duplicate level key '{k}' in scale '{sid}', expected each key once")
                    keys.append(k)
            scales[sid] = keys
            problems.extend(_check_scores(scale, sid, filename))
    default_scale = data.get("default_scale") if isinstance(data, dict) else None
    if isinstance(default_scale, str) and default_scale not in scales:
        at(_pos(data, "default_scale"), f"default_scale '{default_scale}' is not a defined scale, expected one of: {', '.join(scales) or '(none defined)'}")
    sources = set()
    for src, _ in items(data, "sources"):
        sid = src.get("id")
        if isinstance(sid, str):
            if sid in sources:
                at(_pos(src, "id"), f"duplicate source id '{sid}', expected each source id once")
            sources.add(sid)

    seen: dict[str, strict_yaml.Pos | None] = {}
    refs: dict[str, strict_yaml.Pos | None] = {}

    def claim(node: Any, what: str) -> None:
        nid = node.get("id")
        if isinstance(nid, str) and (where := strict_yaml.seen_before(seen, nid, _pos(node, "id"))) is not None:
            at(_pos(node, "id"), f"duplicate id '{nid}'{where}, expected ids unique across the file")
        ref = node.get("ref")
        if isinstance(ref, str) and (where := strict_yaml.seen_before(refs, f"{what}:{ref}", _pos(node, "ref"))) is not None:
            at(_pos(node, "ref"), f"duplicate {what} ref '{ref}'{where}, expected each {what} ref once")

    live_questions: set[str] = set()
    for domain, _ in items(data, "domains"):
        claim(domain, "domain")
        for key in ("at_least", "roll_up"):
            if key in domain and "rated_per" not in domain:
                at(_pos(domain, key), f"domain '{domain.get('id')}' has '{key}' but is not rated per service or site, "
                                      "expected 'rated_per: service' (or site) beside it")
        for q, _qpos in items(domain, "questions"):
            claim(q, "question")
            if isinstance(q.get("id"), str):
                live_questions.add(q["id"])
            scale_id = q.get("scale", default_scale if isinstance(default_scale, str) else None)
            if "scale" not in q and default_scale is None and len(scales) > 1:
                at(_pos(q, "id"), "question names no scale and the framework has no default_scale, expected a 'scale' key")
            if scale_id is None and len(scales) == 1:
                scale_id = next(iter(scales))
            if isinstance(scale_id, str) and "scale" in q and scale_id not in scales:
                at(_pos(q, "scale"), f"unknown scale '{scale_id}', expected one of: {', '.join(scales) or '(none defined)'}")
            levels = q.get("levels")
            if isinstance(levels, dict) and isinstance(scale_id, str) and scale_id in scales:
                for k in levels:
                    if isinstance(k, str) and k not in scales[scale_id]:
                        pos = levels.key_pos.get(k) if isinstance(levels, strict_yaml.YMap) else None
                        at(pos, f"'{k}' is not a level of scale '{scale_id}', expected one of: {', '.join(scales[scale_id])}")
            src = q.get("source")
            if isinstance(src, dict) and isinstance(src.get("document"), str) and src["document"] not in sources:
                at(_pos(src, "document"), f"unknown source document '{src['document']}', expected one of the framework's sources: {', '.join(sorted(sources)) or '(none)'}")
    problems.extend(_check_total(data, filename))
    problems.extend(_check_wording(data, filename))
    for r, _ in items(data, "retired"):
        claim(r, "retired")
        replaced = r.get("replaced_by")
        if isinstance(replaced, list):
            for i, target in enumerate(replaced):
                if isinstance(target, str) and target not in live_questions:
                    at(_pos(replaced, i), f"retired question '{r.get('id')}' is replaced by '{target}', which is not a current question")
    return problems


def _problem(filename: str, pos: strict_yaml.Pos | None, message: str) -> Problem:
    return Problem(filename, pos.line if pos else 1, pos.column if pos else 1, message)


def _score_of(level: Any) -> float | None:
    value = level.get("score") if isinstance(level, dict) else None
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _check_scores(scale: Any, sid: str, filename: str) -> list[Problem]:
    """Each level its own score (two levels scoring alike cannot be told apart by score), and a
    gap threshold that some level can reach and some level is above."""
    problems: list[Problem] = []
    levels = scale.get("levels")
    if not isinstance(levels, list):
        return problems
    seen: dict[float, str] = {}
    for level in levels:
        value = _score_of(level)
        if value is None:
            continue
        if value in seen:
            problems.append(_problem(filename, _pos(level, "score"),
                                     f"level '{level.get('key')}' scores {_number(value)}, as '{seen[value]}' does in scale "
                                     f"'{sid}', expected each level its own score"))
        else:
            seen[value] = str(level.get("key"))
    gap = scale.get("gap_at_or_below")
    if seen and isinstance(gap, (int, float)) and not isinstance(gap, bool):
        low, high = min(seen), max(seen)
        if not low <= gap < high:
            problems.append(_problem(filename, _pos(scale, "gap_at_or_below"),
                                     f"gap_at_or_below is {_number(gap)}, outside the scale '{sid}' "
                                     f"(scores {_number(low)} to {_number(high)}), expected at least {_number(low)} "
                                     f"and below {_number(high)}"))
    return problems


def _question_ranges(data: Any, domain_ids: set[str] | None) -> list[tuple[float, float]]:
    """(lowest, highest) score of each question in these domains (all when None), from raw data."""
    scales: dict[str, tuple[float, float]] = {}
    for scale in data.get("scales") or []:
        if isinstance(scale, dict) and isinstance(scale.get("id"), str):
            values = [v for v in (_score_of(lv) for lv in scale.get("levels") or []) if v is not None]
            if values:
                scales[scale["id"]] = (min(values), max(values))
    default = data.get("default_scale")
    if not isinstance(default, str) and scales:
        default = next(iter(scales))
    out: list[tuple[float, float]] = []
    for domain in data.get("domains") or []:
        if not isinstance(domain, dict) or (domain_ids is not None and domain.get("id") not in domain_ids):
            continue
        for q in domain.get("questions") or []:
            if isinstance(q, dict):
                found = scales.get(q.get("scale", default))
                if found:
                    out.append(found)
    return out


def total_range(method: str, ranges: list[tuple[float, float]]) -> tuple[float, float]:
    """The lowest and highest total a framework's questions can give."""
    if not ranges:
        return 0.0, 0.0
    if method == "sum":
        return sum(r[0] for r in ranges), sum(r[1] for r in ranges)
    return min(r[0] for r in ranges), max(r[1] for r in ranges)


def _check_total(data: Any, filename: str) -> list[Problem]:
    """Known domains, and bands in rising order that cover every total the questions can give."""
    problems: list[Problem] = []
    total = data.get("total") if isinstance(data, dict) else None
    if not isinstance(total, dict) or total.get("method") not in ("sum", "mean"):
        return problems
    known = {d.get("id") for d in data.get("domains") or [] if isinstance(d, dict)}
    wanted = total.get("domains")
    chosen: set[str] | None = None
    if isinstance(wanted, list):
        chosen = set()
        for i, did in enumerate(wanted):
            if isinstance(did, str):
                if did not in known:
                    problems.append(_problem(filename, _pos(wanted, i),
                                             f"total counts domain '{did}', which is not a domain of this framework, "
                                             f"expected one of: {', '.join(sorted(str(k) for k in known))}"))
                chosen.add(did)
    low, high = total_range(total["method"], _question_ranges(data, chosen))
    bands = total.get("bands")
    if not isinstance(bands, list):
        return problems
    previous: float | None = None
    labels: set[str] = set()
    for i, band in enumerate(bands):
        if not isinstance(band, dict):
            continue
        label, at_least = band.get("label"), _score_of({"score": band.get("at_least")})
        if isinstance(label, str):
            if label in labels:
                problems.append(_problem(filename, _pos(band, "label"), f"duplicate band '{label}', expected each band once"))
            labels.add(label)
        if at_least is None:
            continue
        where = _pos(band, "at_least")
        if not low <= at_least <= high:
            problems.append(_problem(filename, where,
                                     f"band '{label}' starts at {_number(at_least)}, outside the totals this framework "
                                     f"can give ({_number(low)} to {_number(high)}), expected a threshold within them"))
        elif i == 0 and at_least > low:
            problems.append(_problem(filename, where,
                                     f"the first band '{label}' starts at {_number(at_least)}, above the lowest possible "
                                     f"total {_number(low)}, expected it to start at {_number(low)} so every total has a band"))
        if previous is not None and at_least <= previous:
            problems.append(_problem(filename, where,
                                     f"band '{label}' starts at {_number(at_least)}, not above the band before it "
                                     f"({_number(previous)}), expected bands in rising order"))
        previous = at_least
    return problems


def _check_wording(data: Any, filename: str) -> list[Problem]:
    words = data.get("wording") if isinstance(data, dict) else None
    if not isinstance(words, dict):
        return []
    problems: list[Problem] = []
    for key, value in words.items():
        if not isinstance(value, str):
            continue
        allowed = {"organisation"} if key == "annual_opening" else set()
        for name in re.findall(r"\{([^{}]*)\}", value):
            if name not in allowed:
                problems.append(_problem(filename, _pos(words, key),
                                         f"wording {key} has '{{{name}}}', "
                                         + ("expected only {organisation}" if allowed else "expected plain text (no {placeholders})")))
    return problems


def build(data: dict[str, Any], origin: str, known_hash: str | None = None) -> Framework:
    """Build a Framework from plain data that has passed the checks (known_hash: its content hash,
    when the caller has just worked it out)."""
    scales = tuple(
        Scale(
            id=s["id"],
            title=s["title"],
            description=s.get("description", ""),
            gap_at_or_below=s.get("gap_at_or_below"),
            show_scores=bool(s.get("show_scores", False)),
            levels=tuple(Level(lv["key"], lv["label"], float(lv["score"]), lv.get("description", "")) for lv in s["levels"]),
        )
        for s in data["scales"]
    )
    default_scale = data.get("default_scale") or scales[0].id
    domains = []
    questions: dict[str, Question] = {}
    for d in data["domains"]:
        qs = []
        for q in d["questions"]:
            question = Question(
                id=q["id"],
                ref=q["ref"],
                text=q["text"],
                domain_id=d["id"],
                scale_id=q.get("scale", default_scale),
                source=Citation(q["source"]["document"], q["source"].get("section", "")),
                guidance=q.get("guidance", ""),
                evidence_expected=tuple(q.get("evidence_expected", ())),
                suggested_actions=tuple(q.get("suggested_actions", ())),
                level_descriptions=tuple((k, v) for k, v in q.get("levels", {}).items()),
                tags=tuple(q.get("tags", ())),
                weight=float(q.get("weight", 1)),
            )
            qs.append(question)
            questions[question.id] = question
        domains.append(Domain(d["id"], d["ref"], d["title"], tuple(qs), d.get("description", ""),
                              rated_per=d.get("rated_per"), at_least=int(d.get("at_least", 1)),
                              roll_up=d.get("roll_up", "mean")))
    na = data.get("not_applicable", {})
    words = data.get("wording", {})
    report_title = words.get("report_title", data["title"])
    wording = Wording(
        report_title=report_title, subject=words.get("subject", data["title"]),
        annual_title=words.get("annual_title", report_title), opening=words.get("opening", ""),
        annual_opening=words.get("annual_opening", ""), total_meaning=words.get("total_meaning", ""))
    total = None
    if "total" in data:
        t = data["total"]
        total = Total(
            method=t["method"], label=t.get("label", "Total"),
            domain_ids=tuple(t.get("domains", [d.id for d in domains])),
            bands=tuple(Band(b["label"], float(b["at_least"]), b.get("description", "")) for b in t.get("bands", ())))
    return Framework(
        id=data["id"],
        version=data["version"],
        title=data["title"],
        publisher=data["publisher"],
        description=data.get("description", ""),
        sources=tuple(SourceDocument(**{k: s.get(k, "") for k in ("id", "title", "publisher", "date", "url", "note")}) for s in data["sources"]),
        scales=scales,
        default_scale=default_scale,
        na_allowed=bool(na.get("allowed", True)),
        na_scoring=na.get("scoring", "exclude"),
        domains=tuple(domains),
        retired=tuple(Retired(r["id"], tuple(r.get("replaced_by", ())), r.get("note", "")) for r in data.get("retired", ())),
        content_hash=known_hash or content_hash(data),
        origin=origin,
        _data=data,
        _questions=questions,
        wording=wording,
        total=total,
    )


def parse(text: str | bytes, filename: str) -> Framework:
    """Read, check and build a framework; every problem is reported in one FrameworkError."""
    from . import strict_yaml
    from .framework_schema import check_structure

    raw, problems = strict_yaml.read_document(text, filename)
    if raw is None:
        raise FrameworkError(problems)
    problems += check_structure(raw, filename)
    problems += _check_meaning(raw, filename)
    if problems:
        raise FrameworkError(problems)
    return build(_plain(raw), filename)


def load_file(path: str | Path) -> Framework:
    from . import strict_yaml

    path = Path(path)
    return parse(strict_yaml.read_source(path, "framework YAML file"), str(path))


def from_store(data: dict[str, Any], expected_hash: str | None = None) -> Framework:
    """Rebuild a framework from the copy pinned beside an assessment.

    The copy was fully checked when it was pinned; if its content hash is still the one the
    assessment recorded, it is that same content, so the checks need not run again.
    """
    actual = content_hash(data)
    if expected_hash is None or actual != expected_hash:
        from .framework_schema import check_structure

        problems = check_structure(data, "store") + _check_meaning(data, "store")
        if problems:
            raise FrameworkError(problems)
    return build(copy.deepcopy(data), "store", known_hash=actual)  # a copy has the hash of what it copies


def from_outside(data: Any) -> Framework:
    """A framework copy someone else sent (inside a bundle): every check runs, whatever hash it
    claims, since the sender chose the hash too."""
    from .framework_schema import check_structure

    problems = check_structure(data, "framework.json")
    if not problems:  # cross-references are read only from a structure known to be sound
        problems = _check_meaning(data, "framework.json")
    if problems:
        raise FrameworkError(problems)
    return build(copy.deepcopy(data), "store")


# For the other YAML formats read the same way (indicator sets): their public names.
plain = _plain
position = _pos

"""Frameworks: what an assessment asks, loaded from YAML, checked, and then immutable.

A Framework is built from plain data that has passed every check; its content hash
is the SHA-256 of that data in canonical JSON, so reformatting or re-commenting a
file does not change it, and any change of content does.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import strict_yaml
from .audit import canonical
from .errors import FrameworkError, Hint, NotFound, Problem


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

    def level(self, key: str) -> Level:
        for level in self.levels:
            if level.key == key:
                return level
        raise NotFound(f"'{key}' is not a level of the scale '{self.id}', expected one of: {', '.join(self.level_keys())}")

    def level_keys(self) -> list[str]:
        return [level.key for level in self.levels]

    def number_of(self, key: str) -> int:
        """The 1-based position of a level: the number key that picks it."""
        return self.level_keys().index(key) + 1

    @property
    def min_score(self) -> float:
        return min(level.score for level in self.levels)

    @property
    def max_score(self) -> float:
        return max(level.score for level in self.levels)

    def is_gap(self, key: str) -> bool:
        if self.gap_at_or_below is None:
            return self.level(key).score == self.min_score
        return self.level(key).score <= self.gap_at_or_below


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

    def level_description(self, key: str) -> str:
        return dict(self.level_descriptions).get(key, "")


@dataclass(frozen=True)
class Domain:
    id: str
    ref: str
    title: str
    questions: tuple[Question, ...]
    description: str = ""


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

    @property
    def key(self) -> str:
        """id@version: how users name one version of a framework."""
        return f"{self.id}@{self.version}"

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
    if isinstance(container, strict_yaml.YMap):
        return container.value_pos.get(key, container.pos)
    if isinstance(container, strict_yaml.YList):
        return container.item_pos[key] if key < len(container.item_pos) else container.pos
    return None


def _check_meaning(data: Any, filename: str) -> list[Problem]:
    """Cross-references the structure check cannot see: unique ids, known scales and sources."""
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
        if isinstance(nid, str):
            if nid in seen:
                first = seen[nid]
                where = f" (first at line {first.line}, column {first.column})" if first else ""
                at(_pos(node, "id"), f"duplicate id '{nid}'{where}, expected ids unique across the file")
            else:
                seen[nid] = _pos(node, "id")
        ref = node.get("ref")
        if isinstance(ref, str):
            rkey = f"{what}:{ref}"
            if rkey in refs:
                first = refs[rkey]
                where = f" (first at line {first.line}, column {first.column})" if first else ""
                at(_pos(node, "ref"), f"duplicate {what} ref '{ref}'{where}, expected each {what} ref once")
            else:
                refs[rkey] = _pos(node, "ref")

    live_questions: set[str] = set()
    for domain, _ in items(data, "domains"):
        claim(domain, "domain")
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
    for r, _ in items(data, "retired"):
        claim(r, "retired")
        replaced = r.get("replaced_by")
        if isinstance(replaced, list):
            for i, target in enumerate(replaced):
                if isinstance(target, str) and target not in live_questions:
                    at(_pos(replaced, i), f"retired question '{r.get('id')}' is replaced by '{target}', which is not a current question")
    return problems


def build(data: dict[str, Any], origin: str) -> Framework:
    """Build a Framework from plain data that has passed the checks."""
    scales = tuple(
        Scale(
            id=s["id"],
            title=s["title"],
            description=s.get("description", ""),
            gap_at_or_below=s.get("gap_at_or_below"),
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
        domains.append(Domain(d["id"], d["ref"], d["title"], tuple(qs), d.get("description", "")))
    na = data.get("not_applicable", {})
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
        content_hash=content_hash(data),
        origin=origin,
        _data=data,
        _questions=questions,
    )


def parse(text: str | bytes, filename: str) -> Framework:
    """Read, check and build a framework; every problem is reported in one FrameworkError."""
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
    from ..files import NotReadable, read_limited

    path = Path(path)
    try:
        data = read_limited(path, strict_yaml.MAX_BYTES, "framework YAML file")
    except NotReadable as exc:
        raise FrameworkError([Problem(str(path), 1, 1, ('file ' if exc.reason.startswith('is ') else '') + exc.reason)]) from None
    return parse(data, str(path))


def from_store(data: dict[str, Any], expected_hash: str | None = None) -> Framework:
    """Rebuild a framework from the copy pinned beside an assessment.

    The copy was fully checked when it was pinned; if its content hash is still the one the
    assessment recorded, it is that same content, so the checks need not run again.
    """
    if expected_hash is None or content_hash(data) != expected_hash:
        from .framework_schema import check_structure

        problems = check_structure(data, "store") + _check_meaning(data, "store")
        if problems:
            raise FrameworkError(problems)
    return build(copy.deepcopy(data), "store")


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

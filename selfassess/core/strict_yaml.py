"""A strict, position-keeping YAML reader for framework files.

It reads YAML's event stream (libyaml when present) and builds plain dicts, lists
and scalars, remembering where each value stood so that every later complaint can
name file:line:column. It refuses what makes a framework ambiguous or unsafe:
anchors and aliases, merge keys, duplicate keys, non-standard tags, more than one
document and oversized files. It never constructs arbitrary objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from .errors import FrameworkError, Problem

MAX_BYTES = 5 * 1024 * 1024  # a framework of 2,000 questions is about 1.5 MB

_TAG = "tag:yaml.org,2002:"
# Only the YAML core types; anything else (!!python/object, !custom) is refused.
_ALLOWED_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null", "map", "seq")}


@cache
def _yaml() -> tuple[Any, Any, Any, Any]:
    """PyYAML, its fastest safe parser, a resolver and a safe constructor: imported when first needed,
    so that opening the app (which reads frameworks pinned in the store) never pays for it."""
    import yaml

    return yaml, getattr(yaml, "CSafeLoader", yaml.SafeLoader), yaml.resolver.Resolver(), yaml.constructor.SafeConstructor()


@dataclass(frozen=True)
class Pos:
    """Where a value stands: 1-based line and column, and the text as written."""

    line: int
    column: int
    raw: str | None = None  # the source text of a plain scalar, to explain YAML 1.1 surprises
    plain: bool = False


class YMap(dict[Any, Any]):
    """A mapping that remembers where its keys and values stand."""

    pos: Pos
    key_pos: dict[Any, Pos]
    value_pos: dict[Any, Pos]


class YList(list[Any]):
    """A sequence that remembers where each item stands."""

    pos: Pos
    item_pos: list[Pos]


def _pos(mark: Any, raw: str | None = None, plain: bool = False) -> Pos:
    return Pos(mark.line + 1, mark.column + 1, raw, plain)


def describe_scalar(value: Any) -> str:
    """How YAML read a plain scalar, in words, for error messages."""
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int):
        return f"a whole number ({value})"
    if isinstance(value, float):
        return f"a decimal number ({value!r})"
    return f"a {type(value).__name__}"


class _Builder:
    def __init__(self, filename: str):
        self.filename = filename
        self.problems: list[Problem] = []

    def problem(self, mark: Any, message: str) -> None:
        self.problems.append(Problem(self.filename, mark.line + 1, mark.column + 1, message))

    def _check_node_event(self, event: Any) -> None:
        if getattr(event, "anchor", None) is not None:
            self.problem(
                event.start_mark,
                f"YAML anchor '&{event.anchor}' is not allowed, expected every value written out in full",
            )
        tag = getattr(event, "tag", None)
        if tag not in (None, "!") and tag not in _ALLOWED_TAGS:
            self.problem(
                event.start_mark,
                f"YAML tag '{tag.replace(_TAG, '!!')}' is not allowed, expected plain YAML values (text, numbers, lists, mappings)",
            )

    def scalar(self, event: Any) -> Any:
        yaml, _, _resolver, _constructor = _yaml()
        self._check_node_event(event)
        plain_implicit = event.implicit[0]
        if event.tag in (None, "!") or event.tag not in _ALLOWED_TAGS:
            tag = _resolver.resolve(yaml.ScalarNode, event.value, event.implicit)
        else:
            tag = event.tag
        if tag == _TAG + "merge":
            self.problem(event.start_mark, "YAML merge key '<<' is not allowed, expected the keys written out")
            return event.value
        if tag == _TAG + "str" or tag not in _constructor.yaml_constructors:
            return event.value
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark)
        try:
            return _constructor.yaml_constructors[tag](_constructor, node)
        except Exception:  # a malformed timestamp or number: keep the text, the schema will say
            return event.value if plain_implicit else event.value


def read_document(text: str | bytes, filename: str) -> tuple[Any, list[Problem]]:
    """Parse one YAML document strictly. Returns (data, problems); data is None if unreadable."""
    if isinstance(text, bytes):
        raw = text
        if len(raw) > MAX_BYTES:
            return None, [Problem(filename, 1, 1, f"file is {len(raw):,} bytes, expected at most {MAX_BYTES:,} bytes")]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
            return None, [Problem(filename, line, col, "file is not valid UTF-8 text, expected UTF-8")]
    if len(text.encode("utf-8")) > MAX_BYTES:
        return None, [Problem(filename, 1, 1, f"file is larger than {MAX_BYTES:,} bytes, expected a smaller framework")]
    if text.startswith("\ufeff"):
        text = text[1:]

    yaml, loader, _, _ = _yaml()
    b = _Builder(filename)
    stack: list[tuple[Any, Any]] = []  # (container, pending key for mappings or a sentinel)
    root: Any = None
    documents = 0
    _NO_KEY = object()

    def attach(value: Any, pos: Pos, event: Any) -> None:
        nonlocal root
        if not stack:
            root = value
            return
        container, key = stack[-1]
        if isinstance(container, YList):
            container.append(value)
            container.item_pos.append(pos)
            return
        if key is _NO_KEY:  # this value is a key
            if isinstance(value, (YMap, YList)):
                b.problem(event.start_mark, "a mapping key must be plain text, expected a key such as 'title'")
                value = f"<complex key at line {pos.line}>"
            elif not isinstance(value, str):
                # keys are compared as written: 'no:' is the key "no", never False
                value = pos.raw if pos.raw is not None else str(value)
            if value in container:
                first = container.key_pos[value]
                b.problem(
                    event.start_mark,
                    f"duplicate key '{value}' (first at line {first.line}, column {first.column}), expected each key once",
                )
                value = (value, pos.line, pos.column)  # keep going, but never overwrite the first
            container.key_pos[value] = pos
            stack[-1] = (container, value)
        else:
            if not isinstance(key, tuple):
                container[key] = value
                container.value_pos[key] = pos
            stack[-1] = (container, _NO_KEY)

    try:
        for event in yaml.parse(text, Loader=loader):
            kind = type(event)
            if kind is yaml.ScalarEvent:
                value = b.scalar(event)
                attach(value, _pos(event.start_mark, event.value, event.implicit[0] and not event.style), event)
            elif kind is yaml.MappingStartEvent:
                b._check_node_event(event)
                m = YMap()
                m.pos, m.key_pos, m.value_pos = _pos(event.start_mark), {}, {}
                attach(m, m.pos, event)
                stack.append((m, _NO_KEY))
            elif kind is yaml.SequenceStartEvent:
                b._check_node_event(event)
                seq = YList()
                seq.pos, seq.item_pos = _pos(event.start_mark), []
                attach(seq, seq.pos, event)
                stack.append((seq, None))
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                stack.pop()
            elif kind is yaml.AliasEvent:
                b.problem(
                    event.start_mark,
                    f"YAML alias '*{event.anchor}' is not allowed, expected the value written out in full",
                )
                attach(None, _pos(event.start_mark), event)
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    b.problem(event.start_mark, "a second YAML document ('---') is not allowed, expected one framework per file")
                    break
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or "unreadable YAML"
        if exc.context:
            what = f"{what} {exc.context}"
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        b.problems.append(Problem(filename, line, col, f"YAML syntax error: {what}, expected valid YAML"))
        return None, b.problems
    except yaml.YAMLError as exc:  # reader errors (control characters) carry a position too
        mark = getattr(exc, "position", None)
        line = text[: mark].count("\n") + 1 if isinstance(mark, int) else 1
        col = (mark - (text.rfind("\n", 0, mark) + 1) + 1) if isinstance(mark, int) else 1
        b.problems.append(Problem(filename, line, col, f"YAML error: {exc}, expected plain UTF-8 YAML text"))
        return None, b.problems
    if documents == 0 or root is None:
        b.problems.append(Problem(filename, 1, 1, "file is empty, expected a framework mapping"))
        return None, b.problems
    return root, b.problems



def seen_before(seen: dict[str, Pos | None], key: str, pos: Pos | None) -> str | None:
    """None the first time `key` is met (where it stands is kept); after that, where it first stood, in
    words for a "duplicate" problem (' (first at line L, column C)', or '' when that is not known)."""
    if key not in seen:
        seen[key] = pos
        return None
    first = seen[key]
    return f" (first at line {first.line}, column {first.column})" if first else ""

def read_source(path: Path, what: str) -> bytes:
    """The bytes of a YAML source file (a framework, an indicator set, a crosswalk): a regular file,
    at most MAX_BYTES; one that cannot be read is a problem at its first line, as its content's are."""
    from ..files import NotReadable, read_limited

    try:
        return read_limited(path, MAX_BYTES, what)
    except NotReadable as exc:
        reason = ("file " if exc.reason.startswith("is ") else "") + exc.reason
        raise FrameworkError([Problem(str(path), 1, 1, reason)]) from None

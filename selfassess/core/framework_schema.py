"""The framework file format, written once.

The same description drives the loader's checks (with file:line:column for every
problem) and the published JSON Schema in frameworks/schema.json that editors use
to validate as authors type (`python -m selfassess.core.framework_schema` writes it).
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from .errors import Problem
from .strict_yaml import Pos, YMap, describe_scalar

FORMAT_VERSION = 1
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,79}$"
_ID_RE = re.compile(ID_PATTERN)
# Text may hold newlines and tabs, never other control characters (they break reports).
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_TEXT = 20_000
# No score, weight or threshold comes near this: a bigger number (10**400, 1e400 read as infinity) is
# an attack on the arithmetic that follows, which would overflow or give NaN.
MAX_NUMBER = 1e9


@dataclass(frozen=True)
class Str:
    description: str = ""
    pattern: str | None = None
    enum: tuple[str, ...] = ()
    max_length: int = MAX_TEXT
    is_id: bool = False  # ids and refs: explain YAML 1.1 traps such as `no` and `1.10`


@dataclass(frozen=True)
class Num:
    description: str = ""
    minimum: float | None = None
    exclusive_minimum: float | None = None
    integer: bool = False


@dataclass(frozen=True)
class Bool:
    description: str = ""


@dataclass(frozen=True)
class ListOf:
    item: Any
    description: str = ""
    min_items: int = 0
    max_items: int = 10_000


@dataclass(frozen=True)
class MapOf:
    """A mapping from free keys (checked elsewhere) to values of one kind."""

    value: Any
    description: str = ""


@dataclass(frozen=True)
class Obj:
    name: str
    fields: dict[str, Any]
    required: tuple[str, ...] = ()
    description: str = ""


def _text(desc: str, max_length: int = MAX_TEXT) -> Str:
    return Str(desc, max_length=max_length)


ID = Str("An immutable identifier that answers are keyed on; never reuse or change it.", pattern=ID_PATTERN, max_length=80, is_id=True)
REF = Str("A display reference such as '1.3'; may change between versions. Quote it.", max_length=20, is_id=True)

LEVEL = Obj(
    "scale level",
    {
        "key": Str("Stable key of the level, stored with each answer.", pattern=ID_PATTERN, max_length=80, is_id=True),
        "label": _text("Short label shown to users, such as 'Developing'.", 60),
        "score": Num("Score used for domain and overall scores."),
        "description": _text("What this level looks like in general."),
    },
    required=("key", "label", "score"),
)
SCALE = Obj(
    "scale",
    {
        "id": ID,
        "title": _text("Name of the scale.", 200),
        "description": _text("What the scale measures."),
        "gap_at_or_below": Num("Ratings scoring at or below this are gaps: the framework's suggested actions are offered. Within the scale's scores."),
        "show_scores": Bool("Whether documents show each rating's score beside its label, as in 'Achieving (2)'. When the lowest score is 0, the app's digit keys pick levels by score."),
        "levels": ListOf(LEVEL, "Levels from lowest to highest, each with its own score; number keys 1, 2, 3... pick them in this order (0, 1, 2... by score when the lowest score is 0).", 2, 9),
    },
    required=("id", "title", "levels"),
)
SOURCE_DOC = Obj(
    "source document",
    {
        "id": ID,
        "title": _text("Title of the document.", 500),
        "publisher": _text("Who published it.", 300),
        "date": _text("When it was published, as written on it.", 60),
        "url": _text("Where to find it.", 1000),
        "note": _text("What the framework takes from it."),
    },
    required=("id", "title"),
)
CITATION = Obj(
    "source citation",
    {
        "document": Str("Id of an entry in the framework's sources.", pattern=ID_PATTERN, max_length=80, is_id=True),
        "section": _text("The part of the document this draws on.", 500),
    },
    required=("document",),
)
QUESTION = Obj(
    "question",
    {
        "id": ID,
        "ref": REF,
        "text": _text("The question, as the board would ask it of itself.", 2000),
        "guidance": _text("What the question means and how to judge it."),
        "evidence_expected": ListOf(_text("One kind of evidence.", 1000), "The evidence a board would expect to see.", 0, 50),
        "suggested_actions": ListOf(_text("One action.", 1000), "Actions suggested when the rating is a gap.", 0, 50),
        "levels": MapOf(_text("What this level looks like for this question."), "Per-question level descriptions, keyed by level key."),
        "scale": Str("Id of the scale rating this question (default: the framework's default_scale).", pattern=ID_PATTERN, max_length=80, is_id=True),
        "source": CITATION,
        "tags": ListOf(Str("A tag such as 'Core20PLUS5' or 'CQC well-led'.", max_length=80), "Tags for filtering.", 0, 30),
        "weight": Num("Relative weight in the domain score (default 1).", exclusive_minimum=0),
    },
    required=("id", "ref", "text", "source"),
)
DOMAIN = Obj(
    "domain",
    {
        "id": ID,
        "ref": REF,
        "title": _text("Name of the domain.", 300),
        "description": _text("What the domain covers."),
        "rated_per": Str("Rate this domain once per service (or site) the assessment names, as EDS 2022's Domain 1 is.", enum=("service", "site")),
        "at_least": Num("With rated_per: the fewest services or sites an assessment must name (default 1).", minimum=1, integer=True),
        "roll_up": Str("With rated_per: how a question's scores across services make its score in the total: 'mean' (default) or 'lowest'.", enum=("mean", "lowest")),
        "questions": ListOf(QUESTION, "The questions in this domain, in order.", 1, 2000),
    },
    required=("id", "ref", "title", "questions"),
)
NOT_APPLICABLE = Obj(
    "not-applicable policy",
    {
        "allowed": Bool("Whether a question may be answered 'not applicable' (always with a written reason)."),
        "scoring": Str("'exclude' leaves N/A answers out of scores; 'lowest' scores them at the lowest level.", enum=("exclude", "lowest")),
    },
    required=("allowed",),
)
WORDING = Obj(
    "wording",
    {
        "report_title": _text("Title of the board report and of every document, such as 'Health inequalities: board self-assessment' (default: the framework's title).", 200),
        "subject": _text("What the documents are about, as it reads inside a sentence, such as 'health inequalities' (default: the framework's title).", 120),
        "opening": _text("A paragraph opening the board report's executive summary (default: none)."),
        "annual_title": _text("Heading of the annual-report section (default: the report title).", 200),
        "annual_opening": _text("The paragraph opening the annual-report section; {organisation} stands for the organisation's name (default: none)."),
        "total_meaning": _text("What the overall score or total means and how it is worked out, shown beside it in the documents."),
    },
)
BAND = Obj(
    "band",
    {
        "label": _text("Name of the band, such as 'Achieving'.", 60),
        "at_least": Num("The lowest total in this band; bands in rising order, the first at or below the lowest possible total."),
        "description": _text("What a total in this band means."),
    },
    required=("label", "at_least"),
)
TOTAL = Obj(
    "total",
    {
        "method": Str("'sum' adds the question scores; 'mean' averages them.", enum=("sum", "mean")),
        "label": _text("Name of the total, such as 'EDS 2022 score'.", 120),
        "domains": ListOf(Str("Id of a domain.", pattern=ID_PATTERN, max_length=80, is_id=True), "Domains whose questions count (default: all).", 1, 200),
        "bands": ListOf(BAND, "Named bands of the total, lowest first.", 0, 20),
    },
    required=("method",),
)
RETIRED = Obj(
    "retired question",
    {
        "id": ID,
        "replaced_by": ListOf(Str("Id of a current question.", pattern=ID_PATTERN, max_length=80, is_id=True), "Current questions that carry its answers forward.", 0, 20),
        "note": _text("Why it was retired."),
    },
    required=("id",),
)
FRAMEWORK = Obj(
    "framework",
    {
        "format": Num("The framework file format version; this is 1.", integer=True),
        "id": ID,
        "version": Str("Version of this framework, such as '2025.1'. Quote it.", pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,39}$", max_length=40, is_id=True),
        "title": _text("Title shown to users.", 300),
        "publisher": _text("Who publishes the framework.", 300),
        "description": _text("What the framework is for."),
        "sources": ListOf(SOURCE_DOC, "The documents the framework draws on; questions cite them.", 1, 200),
        "scales": ListOf(SCALE, "Rating scales, defined once and referenced by questions.", 1, 20),
        "default_scale": Str("Id of the scale used by questions that do not name one.", pattern=ID_PATTERN, max_length=80, is_id=True),
        "not_applicable": NOT_APPLICABLE,
        "wording": WORDING,
        "total": TOTAL,
        "domains": ListOf(DOMAIN, "Domains (or sections), in order.", 1, 200),
        "retired": ListOf(RETIRED, "Questions removed since earlier versions, and where their answers go.", 0, 2000),
    },
    required=("format", "id", "version", "title", "publisher", "sources", "scales", "domains"),
)


@dataclass
class Checker:
    filename: str
    problems: list[Problem] = field(default_factory=list)

    def at(self, pos: Pos | None, message: str) -> None:
        line, col = (pos.line, pos.column) if pos else (1, 1)
        self.problems.append(Problem(self.filename, line, col, message))

    def check(self, value: Any, spec: Any, pos: Pos | None, where: str) -> None:
        """Check value against spec; where names it in messages ('question.text')."""
        if isinstance(spec, Obj):
            self._obj(value, spec, pos, where)
        elif isinstance(spec, ListOf):
            if not isinstance(value, list):
                self.at(pos, f"{where} is {_kind(value)}, expected a list")
                return
            if len(value) < spec.min_items:
                self.at(pos, f"{where} has {len(value)} item(s), expected at least {spec.min_items}")
            if len(value) > spec.max_items:
                self.at(pos, f"{where} has {len(value)} items, expected at most {spec.max_items}")
            item_pos = getattr(value, "item_pos", [None] * len(value))
            for item, ipos in zip(value, item_pos, strict=False):
                self.check(item, spec.item, ipos, f"{where} item")
        elif isinstance(spec, MapOf):
            if not isinstance(value, dict):
                self.at(pos, f"{where} is {_kind(value)}, expected a mapping")
                return
            vpos = getattr(value, "value_pos", {})
            for k, v in value.items():
                if isinstance(k, str):
                    self.check(v, spec.value, vpos.get(k, pos), f"{where}.{k}")
        elif isinstance(spec, Str):
            self._str(value, spec, pos, where)
        elif isinstance(spec, Num):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.at(pos, f"{where} is {_kind(value)}, expected a number")
            elif value != value or not -MAX_NUMBER <= value <= MAX_NUMBER:  # NaN is not equal to itself
                what = "not a finite number" if value != value or abs(value) == float("inf") else "a number too large"
                self.at(pos, f"{where} is {what}, expected a number between {-MAX_NUMBER:,.0f} and {MAX_NUMBER:,.0f}")
            elif spec.integer and not isinstance(value, int):
                self.at(pos, f"{where} is {value!r}, expected a whole number")
            elif spec.minimum is not None and value < spec.minimum:
                self.at(pos, f"{where} is {value}, expected at least {spec.minimum}")
            elif spec.exclusive_minimum is not None and value <= spec.exclusive_minimum:
                self.at(pos, f"{where} is {value}, expected more than {spec.exclusive_minimum}")
        elif isinstance(spec, Bool) and not isinstance(value, bool):
            self.at(pos, f"{where} is {_kind(value)}, expected true or false")

    def _str(self, value: Any, spec: Str, pos: Pos | None, where: str) -> None:
        if not isinstance(value, str):
            if spec.is_id and pos is not None and pos.plain and pos.raw is not None and value is not None:
                self.at(pos, f"{where} '{pos.raw}' is read by YAML as {describe_scalar(value)}, expected text: quote it as \"{pos.raw}\"")
            else:
                self.at(pos, f"{where} is {_kind(value)}, expected text")
            return
        if not value.strip():
            self.at(pos, f"{where} is blank, expected text")
            return
        if len(value) > spec.max_length:
            self.at(pos, f"{where} is {len(value):,} characters long, expected at most {spec.max_length:,}")
        bad = _CONTROL_RE.search(value)
        if bad:
            self.at(pos, f"{where} contains the control character U+{ord(bad.group()):04X}, expected printable text")
        if spec.enum and value not in spec.enum:
            self.at(pos, f"{where} is '{value}', expected one of: {', '.join(spec.enum)}")
        if spec.pattern and not re.match(spec.pattern, value):
            self.at(pos, f"{where} '{value}' is not a valid identifier, expected letters, digits and . _ : - (starting with a letter or digit, at most 80 characters)")

    def _obj(self, value: Any, spec: Obj, pos: Pos | None, where: str) -> None:
        if not isinstance(value, dict):
            self.at(pos, f"{where} is {_kind(value)}, expected a {spec.name} (a mapping of keys such as {', '.join(list(spec.fields)[:3])})")
            return
        key_pos = getattr(value, "key_pos", {})
        value_pos = getattr(value, "value_pos", {})
        for key in value:
            if not isinstance(key, str):
                continue
            if key not in spec.fields:
                close = difflib.get_close_matches(key, spec.fields, n=1)
                hint = f"did you mean '{close[0]}'?" if close else f"expected one of: {', '.join(spec.fields)}"
                self.at(key_pos.get(key, pos), f"unknown key '{key}' in {spec.name}, {hint}")
        for name in spec.required:
            if name not in value:
                self.at(pos, f"{spec.name} is missing '{name}', expected a '{name}' key")
        for name, sub in spec.fields.items():
            if name in value:
                self.check(value[name], sub, value_pos.get(name, pos), f"{spec.name} {name}")


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the text '{value[:40]}'"
    return describe_scalar(value)


def check_structure(data: Any, filename: str) -> list[Problem]:
    checker = Checker(filename)
    checker.check(data, FRAMEWORK, getattr(data, "pos", None), "framework")
    if isinstance(data, dict) and isinstance(data.get("format"), int) and data["format"] != FORMAT_VERSION:
        checker.at(data.value_pos.get("format") if isinstance(data, YMap) else None,
                   f"format is {data['format']}, expected {FORMAT_VERSION} (this version of selfassess reads format {FORMAT_VERSION})")
    return checker.problems


# --- JSON Schema -----------------------------------------------------------------------------


def _json_schema(spec: Any) -> dict[str, Any]:
    if isinstance(spec, Obj):
        out: dict[str, Any] = {
            "type": "object",
            "properties": {k: _json_schema(v) for k, v in spec.fields.items()},
            "additionalProperties": False,
        }
        if spec.required:
            out["required"] = list(spec.required)
        if spec.description:
            out["description"] = spec.description
        return out
    if isinstance(spec, ListOf):
        out = {"type": "array", "items": _json_schema(spec.item)}
        if spec.min_items:
            out["minItems"] = spec.min_items
        out["maxItems"] = spec.max_items
        if spec.description:
            out["description"] = spec.description
        return out
    if isinstance(spec, MapOf):
        return {"type": "object", "additionalProperties": _json_schema(spec.value), "description": spec.description}
    if isinstance(spec, Str):
        out = {"type": "string", "minLength": 1, "maxLength": spec.max_length}
        if spec.pattern:
            out["pattern"] = spec.pattern
        if spec.enum:
            out["enum"] = list(spec.enum)
        if spec.description:
            out["description"] = spec.description
        return out
    if isinstance(spec, Num):
        out = {"type": "integer" if spec.integer else "number"}
        if spec.minimum is not None:
            out["minimum"] = spec.minimum
        if spec.exclusive_minimum is not None:
            out["exclusiveMinimum"] = spec.exclusive_minimum
        if spec.description:
            out["description"] = spec.description
        return out
    if isinstance(spec, Bool):
        return {"type": "boolean", "description": spec.description}
    raise TypeError(spec)


# For the other formats described the same way (indicator sets, crosswalks): their public names.
text_field = _text
json_schema_of = _json_schema


def json_schema() -> dict[str, Any]:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://selfassess.invalid/schema/framework-1.json",
        "title": "selfassess framework",
        **_json_schema(FRAMEWORK),
    }
    return schema


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    import sys

    sys.stdout.write(json_schema_text())

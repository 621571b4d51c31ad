"""The audit trail: every change is an event in a SHA-256 hash chain.

An event records its sequence number, time, actor, action, a one-line summary, the
changed records before and after, and the previous event's hash. The chain is also
the store's write-ahead log: replaying it from the start rebuilds the whole state,
which is how `audit verify` proves that the stored state is what the chain recorded.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

GENESIS = "0" * 64
FORMAT = 1
_FORMAT_BYTES = str(FORMAT).encode()


@dataclass(frozen=True)
class Change:
    table: str
    id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    def to_json(self) -> dict[str, Any]:
        return {"table": self.table, "id": self.id, "before": self.before, "after": self.after}


# json.dumps with these options builds a new encoder per call; one kept makes the same bytes.
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))
_encode = _CANONICAL.encode
# The C encoder JSONEncoder.encode builds at each call, built once (c_make_encoder is CPython's;
# elsewhere JSONEncoder.encode itself). No circular check: what is hashed is records read from
# JSON or made from dataclasses, never a structure that holds itself.
_c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
_chunks = (_c_make_encoder(None, _CANONICAL.default, json.encoder.encode_basestring, None, ":", ",", True, False, True)
           if _c_make_encoder is not None else None)


def canonical(data: Any) -> bytes:
    if _chunks is None:  # pragma: no cover - not CPython
        return _encode(data).encode("utf-8")
    return "".join(_chunks(data, 0)).encode("utf-8")


# What _encode gives for a str (JSONEncoder.encode's own shortcut, without ensure_ascii): an
# event's strings are encoded by it directly, one call each instead of three.
_encode_str = json.encoder.encode_basestring


def _text(s: Any) -> bytes:
    return _encode_str(s).encode("utf-8") if type(s) is str else canonical(s)


def event_hash(event: dict[str, Any]) -> str:
    body = {k: v for k, v in event.items() if k != "hash"}
    return hashlib.sha256(canonical(body)).hexdigest()


def make_event(seq: int, prev: str, time: str, actor: str, action: str, summary: str,
               changes: Iterable[Change]) -> dict[str, Any]:
    return make_line(seq, prev, time, actor, action, summary, changes)[0]


def make_line(seq: int, prev: str, time: str, actor: str, action: str, summary: str,
              changes: Iterable[Change]) -> tuple[dict[str, Any], bytes]:
    """A new event and its line in the log (encode(event)), the event encoded once, not twice."""
    changes = list(changes)
    event, line, _ = make_line_reusing(seq, prev, time, actor, action, summary, changes, [None] * len(changes))
    return event, line


def make_line_reusing(seq: int, prev: str, time: str, actor: str, action: str, summary: str,
                      changes: Sequence[Change], known_before: Sequence[bytes | None]
                      ) -> tuple[dict[str, Any], bytes, list[bytes]]:
    """make_line, given the canonical bytes of records the caller encoded before (the record a save
    replaces is usually the one an earlier save wrote): those are not encoded again. Also returns
    each change's `after` as encoded, for the caller to keep. The same line as make_line, byte for
    byte: the body is the canonical encoding assembled in its sorted key order (a test holds them equal)."""
    afters: list[bytes] = []
    parts: list[bytes] = []
    for c, before in zip(changes, known_before, strict=True):
        after = canonical(c.after)
        afters.append(after)
        parts.append(b"".join((b'{"after":', after, b',"before":', before if before is not None else canonical(c.before),
                               b',"id":', _text(c.id), b',"table":', _text(c.table), b"}")))
    event = {"v": FORMAT, "seq": seq, "time": time, "actor": actor, "action": action, "summary": summary,
             "changes": [c.to_json() for c in changes], "prev": prev}
    # Each piece joined once (not a chain of +, each copying the line so far); the hash fed head then tail.
    head = b"".join((b'{"action":', _text(action), b',"actor":', _text(actor), b',"changes":[', b",".join(parts), b"]"))
    tail = b"".join((b',"prev":', _text(prev), b',"seq":', str(seq).encode() if type(seq) is int else canonical(seq),
                     b',"summary":', _text(summary), b',"time":', _text(time), b',"v":', _FORMAT_BYTES, b"}"))
    digest = hashlib.sha256(head)
    digest.update(tail)
    event["hash"] = hexdigest = digest.hexdigest()
    # The hash in its sorted place: after the changes, before prev.
    return event, b"".join((head, b',"hash":"', hexdigest.encode(), b'"', tail, b"\n")), afters


def encode(event: dict[str, Any]) -> bytes:
    """One line of the log. Canonical, so the same event is always the same bytes."""
    return canonical(event) + b"\n"


@dataclass
class VerifyReport:
    """What checking a store's chain found: what `audit verify` prints and the app shows."""

    events: int
    head: str
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # worth knowing, not failures: an unfinished last save

    @property
    def ok(self) -> bool:
        return not self.problems


class ChainError(Exception):
    def __init__(self, seq: int | None, line: int, reason: str):
        self.seq, self.line, self.reason = seq, line, reason
        super().__init__(f"line {line}" + (f" (event {seq})" if seq is not None else "") + f": {reason}")


def check_link(event: dict[str, Any], expected_seq: int, expected_prev: str, line: int,
               body_hash: str | None = None) -> None:
    """Raise ChainError unless this event follows the previous one and its hash is its own.

    body_hash: the event's hash as already computed (examine gives it), not computed again."""
    if not isinstance(event, dict) or not {"seq", "prev", "hash", "changes"} <= event.keys():
        raise ChainError(None, line, "not an audit event")
    if event["seq"] != expected_seq:
        raise ChainError(event.get("seq"), line, f"sequence {event['seq']} where {expected_seq} was expected (an event was removed or inserted)")
    if event["prev"] != expected_prev:
        raise ChainError(event["seq"], line, "does not link to the previous event's hash (an earlier event was changed or removed)")
    if (body_hash if body_hash is not None else event_hash(event)) != event["hash"]:
        raise ChainError(event["seq"], line, "its content does not match its hash (the event was edited)")


class Examined(NamedTuple):
    """What one line of the log says, from one encoding of the event it holds."""

    canonical: bool  # the line is byte for byte the canonical encoding of its event
    body_hash: str  # the hash of the event without its "hash": what its "hash" must be
    afters: list[bytes] | None  # each change's fingerprint(after), when the event has the usual shape


_EVENT_KEYS = frozenset({"v", "seq", "time", "actor", "action", "summary", "changes", "prev", "hash"})
_CHANGE_KEYS = frozenset({"table", "id", "before", "after"})


def examine(line: bytes, event: dict[str, Any]) -> Examined:
    """Check a line of the log (without its end of line) against the event parsed from it.

    canonical(event) is put together from the encodings of its parts, in the order json.dumps with
    sorted keys writes them: so one encoding of each change's before and after gives the whole
    line to compare, the body to hash (the same parts without "hash") and each after's
    fingerprint. An event of any other shape is checked the plain way (canonical, event_hash)."""
    e = event
    if e.keys() != _EVENT_KEYS or type(e["changes"]) is not list or type(e["seq"]) is not int or type(e["v"]) is not int:
        return _examined_plainly(line, event)
    front = [('{"action":' + _encode(e["action"]) + ',"actor":' + _encode(e["actor"]) + ',"changes":[').encode("utf-8")]
    afters = []
    for i, change in enumerate(e["changes"]):
        if type(change) is not dict or change.keys() != _CHANGE_KEYS:
            return _examined_plainly(line, event)
        after = _encode(change["after"]).encode("utf-8")
        afters.append(hashlib.sha256(after).digest())
        front += ((',{"after":' if i else '{"after":').encode(), after,
                  (',"before":' + _encode(change["before"]) + ',"id":' + _encode(change["id"])
                   + ',"table":' + _encode(change["table"]) + "}").encode("utf-8"))
    front.append(b"]")
    hash_part = (',"hash":' + _encode(e["hash"])).encode("utf-8")
    back = (',"prev":' + _encode(e["prev"]) + ',"seq":' + int.__repr__(e["seq"]) + ',"summary":' + _encode(e["summary"])
            + ',"time":' + _encode(e["time"]) + ',"v":' + int.__repr__(e["v"]) + "}").encode("utf-8")
    body = hashlib.sha256()
    for part in front:
        body.update(part)
    body.update(back)
    front.append(hash_part)
    front.append(back)
    return Examined(b"".join(front) == line, body.hexdigest(), afters)


def _examined_plainly(line: bytes, event: dict[str, Any]) -> Examined:
    return Examined(canonical(event) == line, event_hash(event), None)


def apply(state: dict[str, dict[str, Any]], event: dict[str, Any]) -> None:
    """Apply one event's changes to a {table: {id: record}} state."""
    for change in event["changes"]:
        table = state.setdefault(change["table"], {})
        if change["after"] is None:
            table.pop(change["id"], None)
        else:
            table[change["id"]] = change["after"]


Fingerprints = dict[str, dict[str, bytes]]  # {table: {id: fingerprint of the record}}


def fingerprint(record: Any) -> bytes:
    """What verify keeps of a record: the SHA-256 of its canonical encoding. A state of twenty years
    fits in a few bytes a record, and two copies of a record match exactly when their bytes do."""
    return hashlib.sha256(canonical(record)).digest()


def apply_fingerprints(state: Fingerprints, event: dict[str, Any], afters: list[bytes] | None = None) -> None:
    """apply, keeping each record's fingerprint; afters: the fingerprints examine gave, if it did."""
    for i, change in enumerate(event["changes"]):
        table = state.setdefault(change["table"], {})
        if change["after"] is None:
            table.pop(change["id"], None)
        else:
            table[change["id"]] = afters[i] if afters is not None else fingerprint(change["after"])


def fingerprinted(records: Iterable[tuple[str, str, Any]]) -> Iterator[tuple[str, str, bytes]]:
    """(table, id, record) as (table, id, fingerprint), one at a time."""
    for table, rid, record in records:
        yield table, rid, fingerprint(record)


def records_of(tables: dict[str, dict[str, Any]]) -> Iterator[tuple[str, str, Any]]:
    for table, records in tables.items():
        for rid, record in records.items():
            yield table, rid, record


def fingerprints_of(tables: dict[str, dict[str, Any]]) -> Fingerprints:
    return {table: {rid: fingerprint(record) for rid, record in records.items()} for table, records in tables.items()}


class Difference(NamedTuple):
    table: str
    id: str
    how: str  # "missing" (from the stored state), "extra" (never recorded), "changed", "twice" (stored twice)


def differences(expected: Fingerprints, stored: Iterable[tuple[str, str, bytes]]) -> list[Difference]:
    """How a stored state, given record by record as (table, id, fingerprint) from wherever it is kept,
    differs from the state the chain records; sorted by table and id."""
    out: list[Difference] = []
    seen: dict[str, set[str]] = {}
    for table, rid, fp in stored:
        ids = seen.setdefault(table, set())
        if rid in ids:
            out.append(Difference(table, rid, "twice"))
            continue
        ids.add(rid)
        want = expected.get(table, {}).get(rid)
        if want != fp:
            out.append(Difference(table, rid, "extra" if want is None else "changed"))
    for table, records in expected.items():
        ids = seen.get(table, set())
        if len(ids) != len(records) or not ids.issuperset(records):
            out += [Difference(table, rid, "missing") for rid in records if rid not in ids]
    return sorted(out)


def describe(difference: Difference, expected: Any = None, stored: Any = None) -> str:
    """One difference in words; for a changed record, with both versions at hand, the fields that differ."""
    table, rid, how = difference
    name = f"{table} record {rid[:8]}"
    if how == "missing":
        return f"{name} is missing from the stored state"
    if how == "extra":
        return f"{name} is in the stored state but was never recorded in the audit chain"
    if how == "twice":
        return f"{name} is stored twice"
    if isinstance(expected, dict) and isinstance(stored, dict):
        fields = sorted(k for k in expected.keys() | stored.keys()
                        if k not in expected or k not in stored or canonical(expected[k]) != canonical(stored[k]))
        if fields:
            return f"{name} differs from the audit chain in: {', '.join(fields)}"
    return f"{name} differs from the audit chain"

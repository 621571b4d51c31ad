"""The audit trail: every change is an event in a SHA-256 hash chain.

An event records its sequence number, time, actor, action, a one-line summary, the
changed records before and after, and the previous event's hash. The chain is also
the store's write-ahead log: replaying it from the start rebuilds the whole state,
which is how `audit verify` proves that the stored state is what the chain recorded.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

GENESIS = "0" * 64
FORMAT = 1


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


def canonical(data: Any) -> bytes:
    return _CANONICAL.encode(data).encode("utf-8")


def event_hash(event: dict[str, Any]) -> str:
    body = {k: v for k, v in event.items() if k != "hash"}
    return hashlib.sha256(canonical(body)).hexdigest()


def make_event(seq: int, prev: str, time: str, actor: str, action: str, summary: str,
               changes: Iterable[Change]) -> dict[str, Any]:
    return make_line(seq, prev, time, actor, action, summary, changes)[0]


_PREV = b',"prev":"'


def make_line(seq: int, prev: str, time: str, actor: str, action: str, summary: str,
              changes: Iterable[Change]) -> tuple[dict[str, Any], bytes]:
    """A new event and its line in the log (encode(event)), the event encoded once, not twice.

    The line is the hashed body with the hash put in its sorted place, just before the top-level
    "prev": the last ',"prev":"' in the body (one inside a string would be escaped, and what
    follows prev is seq, summary, time and v, whose quotes are escaped too)."""
    event = {
        "v": FORMAT,
        "seq": seq,
        "time": time,
        "actor": actor,
        "action": action,
        "summary": summary,
        "changes": [c.to_json() for c in changes],
        "prev": prev,
    }
    body = canonical(event)
    event["hash"] = digest = hashlib.sha256(body).hexdigest()
    at = body.rindex(_PREV)
    return event, body[:at] + b',"hash":"' + digest.encode() + b'"' + body[at:] + b"\n"


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


def check_link(event: dict[str, Any], expected_seq: int, expected_prev: str, line: int) -> None:
    """Raise ChainError unless this event follows the previous one and its hash is its own."""
    if not isinstance(event, dict) or not {"seq", "prev", "hash", "changes"} <= event.keys():
        raise ChainError(None, line, "not an audit event")
    if event["seq"] != expected_seq:
        raise ChainError(event.get("seq"), line, f"sequence {event['seq']} where {expected_seq} was expected (an event was removed or inserted)")
    if event["prev"] != expected_prev:
        raise ChainError(event["seq"], line, "does not link to the previous event's hash (an earlier event was changed or removed)")
    if event_hash(event) != event["hash"]:
        raise ChainError(event["seq"], line, "its content does not match its hash (the event was edited)")


def apply(state: dict[str, dict[str, Any]], event: dict[str, Any]) -> None:
    """Apply one event's changes to a {table: {id: record}} state."""
    for change in event["changes"]:
        table = state.setdefault(change["table"], {})
        if change["after"] is None:
            table.pop(change["id"], None)
        else:
            table[change["id"]] = change["after"]


def diff_states(expected: dict[str, dict[str, Any]], actual: dict[str, dict[str, Any]]) -> list[str]:
    """What differs between two states, one line per record, in words."""
    out: list[str] = []
    for table in sorted(set(expected) | set(actual)):
        e, a = expected.get(table, {}), actual.get(table, {})
        for rid in sorted(set(e) | set(a)):
            if rid not in a:
                out.append(f"{table} record {rid[:8]} is missing from the stored state")
            elif rid not in e:
                out.append(f"{table} record {rid[:8]} is in the stored state but was never recorded in the audit chain")
            elif e[rid] != a[rid]:
                fields = sorted(k for k in set(e[rid]) | set(a[rid]) if e[rid].get(k) != a[rid].get(k))
                out.append(f"{table} record {rid[:8]} differs from the audit chain in: {', '.join(fields)}")
    return out

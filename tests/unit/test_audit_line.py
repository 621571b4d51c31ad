"""The log line a save writes is encode(event), byte for byte, though the event is encoded once."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from selfassess.core import audit
from selfassess.core.audit import Change

# Text that looks like the line's own structure, where a careless splice would go wrong.
_TRICKY = st.sampled_from(['","prev":"', ',"prev":"x"', '"hash":"', "\\", '"', "\n", "é", "\u2028", ""])
_TEXT = st.lists(st.one_of(_TRICKY, st.text(max_size=20)), max_size=4).map("".join)
_VALUE = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), _TEXT),
                      lambda inner: st.one_of(st.lists(inner, max_size=3),
                                              st.dictionaries(st.one_of(_TRICKY, _TEXT), inner, max_size=3)),
                      max_leaves=8)
_RECORD = st.one_of(st.none(), st.dictionaries(st.one_of(st.sampled_from(["prev", "hash", "seq", "v"]), _TEXT), _VALUE,
                                               max_size=5))


@settings(max_examples=300, deadline=None)
@given(seq=st.integers(1, 10**9), summary=_TEXT, actor=_TEXT, action=_TEXT,
       changes=st.lists(st.builds(Change, table=_TEXT, id=_TEXT, before=_RECORD, after=_RECORD), max_size=3))
def test_the_line_is_the_canonical_event_with_its_hash(seq, summary, actor, action, changes):
    event, line = audit.make_line(seq, "a" * 64, "2026-01-02T03:04:05Z", actor, action, summary, changes)
    assert line == audit.encode(event)
    assert event["hash"] == audit.event_hash(event)
    audit.check_link(event, seq, "a" * 64, 1)
    assert audit.make_event(seq, "a" * 64, "2026-01-02T03:04:05Z", actor, action, summary, changes) == event


def test_a_record_with_its_own_prev_does_not_move_the_hash():
    changes = [Change("answers", "id-1", {"a": 1, "prev": "x"}, {"hash": "h", "prev": '","prev":"'})]
    event, line = audit.make_line(7, "b" * 64, "2026-01-02T03:04:05Z", "me", "answer.set", ',"prev":"zz"', changes)
    assert line == audit.encode(event)


@settings(max_examples=200, deadline=None)
@given(seq=st.integers(1, 10**9), summary=_TEXT, changes=st.lists(st.builds(Change, table=_TEXT, id=_TEXT, before=_RECORD,
                                                                             after=_RECORD), max_size=3),
       reuse=st.lists(st.booleans(), min_size=3, max_size=3))
def test_a_line_reusing_known_bytes_is_the_same_line(seq, summary, changes, reuse):
    """The bytes of a `before` the caller kept stand in for encoding it again: the same line."""
    known = [audit.canonical(c.before) if use else None for c, use in zip(changes, reuse[:len(changes)], strict=True)]
    event, line, afters = audit.make_line_reusing(seq, "a" * 64, "2026-01-02T03:04:05Z", "me", "x", summary, changes, known)
    assert line == audit.encode(event)
    assert (event, line) == audit.make_line(seq, "a" * 64, "2026-01-02T03:04:05Z", "me", "x", summary, changes)
    assert afters == [audit.canonical(c.after) for c in changes]


def test_saves_of_one_record_write_canonical_lines_and_a_replaced_record_is_encoded_afresh(tmp_path):
    """The store reuses the bytes it wrote for a record only while that record is what it stores."""
    import json

    from selfassess.storage.store import LOG, Store

    store = Store(tmp_path / "s")
    first = {"id": "r1", "evidence": "é first", "score": 1.5, "ok": True}
    store.commit("x.set", "me", "one", [Change("answers", "r1", None, first)], "2026-01-01T00:00:00Z")
    second = {**store.get("answers", "r1"), "evidence": "second"}
    store.commit("x.set", "me", "two", [Change("answers", "r1", store.get("answers", "r1"), second)], "2026-01-01T00:00:01Z")
    # A before that only looks like the stored record (1 == True, 1.0 == 1) must not take its bytes.
    lookalike = {"id": "r1", "evidence": "second", "score": 1.5, "ok": 1}
    assert lookalike == store.get("answers", "r1")
    store.commit("x.set", "me", "three", [Change("answers", "r1", lookalike, {**second, "evidence": "third"})],
                 "2026-01-01T00:00:02Z")
    lines = (tmp_path / "s" / LOG).read_bytes().splitlines(keepends=True)
    events = [json.loads(raw) for raw in lines]
    assert [audit.encode(e) for e in events] == lines
    assert events[1]["changes"][0]["before"] == first
    assert b'"before":{"evidence":"second","id":"r1","ok":1,"score":1.5}' in lines[2]
    assert store.verify().ok
    store.close()

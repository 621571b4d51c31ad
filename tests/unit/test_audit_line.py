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

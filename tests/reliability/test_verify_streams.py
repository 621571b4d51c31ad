"""audit verify streams: one encoding per event, one fingerprint per record, memory flat in the log's length."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest

from selfassess.core import audit
from selfassess.core.audit import GENESIS, Change, Difference, encode, make_event
from selfassess.storage import store as store_module
from selfassess.storage.store import Store, verify_files

WHEN = "2026-11-23T10:00:00Z"


@pytest.fixture
def folder(tmp_path):
    return tmp_path / "store"


def put(store: Store, rid: str, **fields) -> None:
    before = store.get("things", rid)
    store.commit("thing.put", "tester", f"put {rid}", [Change("things", rid, before, {"id": rid, **fields})], WHEN)


def written(folder: Path, records: int, edits: int, size: int) -> Path:
    """A store as selfassess writes one (log, then a checkpoint at its last event), built directly: no fsyncs."""
    folder.mkdir(parents=True)
    tables: dict[str, dict[str, dict]] = {"things": {}}
    seq, head, offset = 0, GENESIS, 0
    with open(folder / "audit.log", "wb") as f:
        def commit(change: Change) -> None:
            nonlocal seq, head, offset
            seq += 1
            event = make_event(seq, head, WHEN, "tester", "thing.put", "put", [change])
            line = encode(event)
            f.write(line)
            offset, head = offset + len(line), event["hash"]
            tables[change.table][change.id] = change.after  # type: ignore[assignment]

        for i in range(records):
            commit(Change("things", f"r{i}", None, {"id": f"r{i}", "text": "x" * size, "n": 0}))
        for j in range(edits):
            rid = f"r{j % records}"
            commit(Change("things", rid, tables["things"][rid], {**tables["things"][rid], "n": j + 1}))
    checkpoint = {"seq": seq, "hash": head, "offset": offset, "time": WHEN}
    (folder / "state.json").write_bytes(store_module.state_document("test-store", checkpoint, tables))
    return folder


def verify_peak(folder: Path) -> int:
    """Bytes verify_files allocates at most (after one warm-up call: caches filled at first use are not the log's)."""
    verify_files(folder)
    tracemalloc.start()
    try:
        report = verify_files(folder)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert report.ok, report.problems
    return peak


# --- memory ------------------------------------------------------------------------------------

def test_verify_memory_stays_flat_as_the_log_grows_tenfold(tmp_path):
    short = verify_peak(written(tmp_path / "short", records=20, edits=200, size=2000))
    long = verify_peak(written(tmp_path / "long", records=20, edits=2000, size=2000))  # ten times the log
    assert long < short * 1.5, (short, long)


def test_verify_keeps_a_fingerprint_per_record_not_the_records(tmp_path, monkeypatch):
    """At most the one parse of state.json, let go before the walk of the log; the walk holds a
    fingerprint per record, not the records (nor the stored and replayed states side by side)."""
    store = written(tmp_path / "wide", records=300, edits=300, size=3000)
    state_bytes = (store / "state.json").stat().st_size
    peaks: list[int] = []  # up to the walk of the log, then the walk itself
    real = store_module._LogSnapshot.lines

    def lines(self, upto=None):
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.reset_peak()
        yield from real(self, upto)
        peaks.append(tracemalloc.get_traced_memory()[1])

    monkeypatch.setattr(store_module._LogSnapshot, "lines", lines)
    verify_peak(store)
    before, walk = peaks[-2:]
    assert before < 3 * state_bytes and walk < state_bytes / 4, (before, walk, state_bytes)


# --- one encoding per event: the same verdicts as encoding it whole ------------------------------

def _events() -> list[dict]:
    usual = make_event(7, "ab" * 32, WHEN, "Zoë O'Brien", "answer.save", "1.1 — “good” \u2028 é 🙂",
                       [Change("answers", "a1", None, {"id": "a1", "rating": 2, "score": 1.0, "tiny": 1e-300,
                                                       "neg": -0.0, "big": 10**40, "ok": True, "none": None,
                                                       "list": [1, "two", {"z": 1, "a": [None]}], "": "empty key"}),
                        Change("answers", "a2", {"id": "a2", "hash": "x", "prev": ',"hash":"'}, None),
                        Change("evidence", "e1", {"id": "e1"}, {"id": "e1", "hash": ',"hash":"' + "0" * 64 + '"',
                                                                "nested": {"changes": [], "seq": 1}})])
    empty = make_event(1, GENESIS, WHEN, "a", "store.restore", "", [])
    odd_values = dict(make_event(2, GENESIS, WHEN, "a", "x", "s", []), actor={"name": "x"}, summary=None, time=3)
    odd_values["hash"] = audit.event_hash(odd_values)
    extra_key = dict(usual, extra={"hash": "y"})
    extra_key["hash"] = audit.event_hash(extra_key)
    change_extra = json.loads(json.dumps(usual))
    change_extra["changes"][0]["note"] = "extra"
    change_short = json.loads(json.dumps(usual))
    del change_short["changes"][1]["before"]
    bool_seq = dict(usual, seq=True)
    float_v = dict(usual, v=1.0)
    changes_not_list = dict(usual, changes={"table": "t"})
    change_not_dict = dict(usual, changes=["t"])
    wrong_hash = dict(usual, hash="0" * 64)
    hash_not_text = dict(usual, hash=12)
    return [usual, empty, odd_values, extra_key, change_extra, change_short, bool_seq, float_v, changes_not_list,
            change_not_dict, wrong_hash, hash_not_text]


def _lines(event: dict) -> list[bytes]:
    as_written = encode(event)[:-1]
    return [as_written,
            json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode(),  # not sorted
            json.dumps(event, sort_keys=True).encode(),  # spaces, \u escapes
            as_written + b" "]


@pytest.mark.parametrize("n", range(len(_events())))
def test_examining_a_line_says_what_encoding_the_whole_event_says(n):
    event = _events()[n]
    for line in _lines(event):
        seen = audit.examine(line, event)
        assert seen.canonical == (audit.canonical(event) == line)
        assert seen.body_hash == audit.event_hash(event)
        if seen.afters is not None:
            assert seen.afters == [audit.fingerprint(c["after"]) for c in event["changes"]]
    # The usual shape takes the one-encoding way (else this test would check nothing of it).
    assert (audit.examine(encode(event)[:-1], event).afters is not None) == (n in (0, 1, 2, 10, 11))


def test_any_one_byte_changed_in_a_line_is_caught(folder):
    """Every byte of an event, changed: the line no longer verifies, and the problem names it."""
    with Store(folder) as s:
        put(s, "r0", value=0, text="Zoë — “quoted”")
        put(s, "r0", value=1, text="Zoë — “quoted”")
        put(s, "r1", value=2)
    original = (folder / "audit.log").read_bytes()
    lines = original.splitlines(keepends=True)
    start = len(lines[0])
    for i in range(start, start + len(lines[1]) - 1):
        changed = bytearray(original)
        changed[i] = ord("0") if changed[i] != ord("0") else ord("1")
        (folder / "audit.log").write_bytes(bytes(changed))
        report = verify_files(folder)
        assert not report.ok, i
        assert any(p.startswith("audit.log line 2") for p in report.problems), (i, report.problems)


# --- state.json: checksum and fingerprints from one encoding of each record -----------------------

@pytest.mark.parametrize("fmt", [1, 2])
@pytest.mark.parametrize("log_start", [None, {"seq": 3, "hash": "cd" * 32, "note": "restored"}])
def test_the_checksum_taken_record_by_record_is_state_digest(fmt, log_start):
    tables = {"things": {"b": {"id": "b", "text": "Zoë 🙂", "n": 1.5}, "a": {"id": "a", "list": [1, {"k": None}]}},
              "empty": {}, "Ärger": {"x": {"id": "x"}}}
    data = {"format": fmt, "store_id": "s-1", "checkpoint": {"seq": 9, "hash": "ab" * 32, "offset": 1234, "time": WHEN},
            "tables": tables}
    if log_start:
        data["log_start"] = log_start
    digest, fingerprints = store_module._fingerprint_state(data)
    assert digest == store_module.state_digest(data)
    assert fingerprints == audit.fingerprints_of(tables)


# --- comparing the stored state with the chain, a fingerprint a record ----------------------------

def test_differences_name_every_record_added_removed_changed_or_stored_twice():
    expected = audit.fingerprints_of({"things": {"same": {"v": 1}, "gone": {"v": 2}, "edited": {"v": 3}},
                                      "empty": {}, "others": {"o": {"v": 4}}})
    stored = [("things", "same", {"v": 1}), ("things", "edited", {"v": 3.0}), ("things", "new", {"v": 5}),
              ("others", "o", {"v": 4}), ("others", "o", {"v": 4}), ("empty2", "e", {"v": 6})]
    assert audit.differences(expected, audit.fingerprinted(stored)) == [
        Difference("empty2", "e", "extra"), Difference("others", "o", "twice"),
        Difference("things", "edited", "changed"), Difference("things", "gone", "missing"),
        Difference("things", "new", "extra")]
    assert audit.differences(expected, audit.fingerprinted(audit.records_of(
        {"things": {"same": {"v": 1}, "gone": {"v": 2}, "edited": {"v": 3}}, "others": {"o": {"v": 4}}, "x": {}}))) == []


def test_a_changed_record_is_described_by_the_fields_that_differ():
    d = Difference("things", "r1234567890", "changed")
    assert audit.describe(d, {"a": 1, "b": 2, "c": None}, {"a": 1.0, "b": 2, "d": None}) == \
        "things record r1234567 differs from the audit chain in: a, c, d"
    assert audit.describe(d, None, {"a": 1}) == "things record r1234567 differs from the audit chain"
    assert audit.describe(Difference("t", "x", "twice")) == "t record x is stored twice"


def test_a_stored_number_of_another_type_is_a_difference(folder):
    """1 and 1.0 are equal in Python but not the same bytes: the fingerprint tells them apart."""
    with Store(folder) as s:
        put(s, "r1", value=1)
    data = json.loads((folder / "state.json").read_text())
    data["tables"]["things"]["r1"]["value"] = 1.0
    data["digest"] = store_module.state_digest(data)
    (folder / "state.json").write_text(json.dumps(data))
    assert verify_files(folder).problems == ["state.json: things record r1 differs from the audit chain in: value"]


def test_records_added_to_or_removed_from_the_stored_state_are_named(folder):
    with Store(folder) as s:
        put(s, "r1", value=1)
        put(s, "r2", value=2)
    data = json.loads((folder / "state.json").read_text())
    del data["tables"]["things"]["r1"]
    data["tables"]["things"]["r9"] = {"id": "r9", "value": 9}
    data["digest"] = store_module.state_digest(data)
    (folder / "state.json").write_text(json.dumps(data))
    assert verify_files(folder).problems == [
        "state.json: things record r1 is missing from the stored state",
        "state.json: things record r9 is in the stored state but was never recorded in the audit chain"]


def test_a_record_the_chain_has_from_a_restored_backup_is_described_field_by_field(folder):
    """After a restore from a backup whose log was lost, a record last set before the log starts is
    described from base.json."""
    for i in range(3):
        with Store(folder) as s:
            put(s, f"round{i}", value=i)
    newest = Store(folder, writer=False).backups()[0]
    (folder / "state.json").unlink()
    (folder / "audit.log").unlink()
    Store.restore(folder, backup=newest.path.name)
    with Store(folder) as s:
        put(s, "after", value=1)
    data = json.loads((folder / "state.json").read_text())
    data["tables"]["things"]["round0"]["value"] = 42
    data["digest"] = store_module.state_digest(data)
    (folder / "state.json").write_text(json.dumps(data))
    assert verify_files(folder).problems == ["state.json: things record round0 differs from the audit chain in: value"]


def test_a_state_json_replaced_before_it_is_read_again_is_not_described_from_the_new_one(folder, monkeypatch):
    """The fields that differ are read again from state.json; a checkpoint written meanwhile is a
    different file, so the record is named without fields rather than with someone else's."""
    with Store(folder) as s:
        put(s, "r1", value=1, note="a")
    data = json.loads((folder / "state.json").read_text())
    data["tables"]["things"]["r1"]["value"] = 2
    data["digest"] = store_module.state_digest(data)
    (folder / "state.json").write_text(json.dumps(data))
    later = dict(data, tables={"things": {"r1": {"id": "r1", "value": 3, "note": "b"}}})
    real, reads = store_module.io.read_bytes, []

    def read_bytes(path):
        reads.append(path)
        return real(path) if len(reads) == 1 else json.dumps(later).encode()

    monkeypatch.setattr(store_module.io, "read_bytes", read_bytes)
    assert verify_files(folder).problems == ["state.json: things record r1 differs from the audit chain"]
    assert len(reads) == 2


def test_an_open_store_whose_records_drifted_from_the_chain_is_named(folder):
    """Store.verify (the app's) compares what it holds in memory with the chain at its own event."""
    with Store(folder) as s:
        put(s, "r1", value=1)
        put(s, "r2", value=2)
    reader = Store(folder, writer=False)
    with Store(folder) as writer:
        put(writer, "r3", value=3)  # lands after the reader looked: compared at the reader's event, not this one
    reader._tables["things"]["r1"]["value"] = 7
    del reader._tables["things"]["r2"]
    assert reader.verify().problems == ["current state: things record r1 differs from the audit chain in: value",
                                        "current state: things record r2 is missing from the stored state"]
    reader.close()


def test_audit_verify_does_not_open_a_sound_store(run, home, monkeypatch):
    """The command checks the files; it loads the store (every record) only to say why a damaged one will not open."""
    folder = home / "store"
    with Store(folder) as s:
        put(s, "r1", value=1)
    opened = []
    real = Store.__init__

    def counting(self, *a, **k):
        opened.append(a)
        real(self, *a, **k)

    monkeypatch.setattr(Store, "__init__", counting)
    res = run("audit", "verify")
    assert res.exit_code == 0 and res.stdout.startswith("OK: 1 event(s)"), res
    assert opened == []
    (folder / "state.json").write_text("{}")
    res = run("audit", "verify")
    assert res.exit_code == 1 and "cannot be opened" in res.stderr and len(opened) == 1, res

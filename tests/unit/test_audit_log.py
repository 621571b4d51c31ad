"""`selfassess audit log`: the history shown as it is read, and its latest lines read from the end,
so twenty years of history (a log of hundreds of MB) is never held at once."""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from selfassess.core.text import json_text
from selfassess.storage import store as store_module
from selfassess.storage.store import read_events, read_last_events
from tests.unit.test_cli_assessments import demo  # noqa: F401  # the fixture


def _event(seq: int, width: int) -> bytes:
    return json.dumps({"seq": seq, "summary": "x" * width}).encode() + b"\n"


lines = st.lists(st.one_of(
    st.builds(_event, st.integers(1, 10**6), st.integers(0, 300)),  # some longer than the block read below
    st.sampled_from([b"\n", b"not an event\n", b'{"torn": \n']),
), max_size=12)


@settings(max_examples=200, deadline=None)
@given(body=lines, torn=st.sampled_from([b"", b'{"seq": 9, "unfinis']), count=st.integers(0, 15),
       block=st.sampled_from([7, 64, 65536]))
def test_the_last_lines_are_the_lines_read_from_the_start_and_a_problem_names_its_line(tmp_path_factory, body, torn,
                                                                                        count, block):
    folder = tmp_path_factory.mktemp("store")
    (folder / "audit.log").write_bytes(b"".join(body) + torn)
    expected = [(n if problem else None, event, problem) for n, event, problem in read_events(folder)]
    real = store_module._lines_back
    with pytest.MonkeyPatch.context() as patch:  # small blocks: lines across block edges
        patch.setattr(store_module, "_lines_back", lambda fd, end: real(fd, end, block))
        assert read_last_events(folder, count) == (expected[-count:] if count else [])


def _bytes_read() -> int:
    """What this process has read from files so far, as the kernel counts it."""
    return int(next(line for line in open("/proc/self/io") if line.startswith("rchar:")).split()[1])


@pytest.mark.skipif(not os.path.exists("/proc/self/io"), reason="counts bytes read through Linux's /proc/self/io")
def test_the_latest_lines_cost_what_is_shown_not_the_whole_history(tmp_path):
    folder = tmp_path / "store"
    folder.mkdir()
    (folder / "audit.log").write_bytes(b"".join(_event(i, 200) for i in range(1, 20_001)))  # 4.5 MB
    before = _bytes_read()
    shown = read_last_events(folder, 3)
    assert _bytes_read() - before < 300_000  # a few blocks from the end, not 4.5 MB
    assert [event["seq"] for _, event, _ in shown] == [19_998, 19_999, 20_000]
    assert [n for n, _, _ in shown] == [None] * 3  # an event's seq names it: no line counted
    # A problem among them names its line: counted from the start, for that line only.
    with (folder / "audit.log").open("ab") as f:
        f.write(b'{"seq": 20001, "unfinis')
    *_, (n, event, problem) = read_last_events(folder, 2)
    assert (n, event, problem) == (20_001, None, "is an unfinished save (no end of line)")


@pytest.mark.parametrize("limit", [0, 1, 3])
def test_the_json_printed_event_by_event_is_the_document_it_always_was(run, home, demo, limit):  # noqa: F811
    current = demo["2026/27"]["id"][:8]
    for n in range(3):  # the demo is one event: a few more, with text a terminal must not see raw
        assert run("answer", current, "1.1", "--notes", f"note {n}: \u202e bidi, \x1b[2J and ünïcode").exit_code == 0
    printed = run("audit", "log", "--json", *(["--limit", str(limit)] if limit else [])).stdout
    events = [e for _, e, _ in read_events(home / "store")]
    assert len(events) == 4
    assert printed == json_text({"events": events[-limit:] if limit else events}) + "\n"


def test_a_limit_of_none_is_refused_not_read_as_no_limit(run, home):
    shown = run("audit", "log", "--limit", "0")
    assert shown.exit_code != 0 and "0 is not in the range x>=1" in shown.stderr and not shown.stdout


def test_a_store_with_no_history_prints_an_empty_list(run, home):
    assert run("audit", "log", "--json").stdout == json_text({"events": []}) + "\n"
    assert run("audit", "log", "--json", "--limit", "5").stdout == json_text({"events": []}) + "\n"


@pytest.mark.parametrize("limit", [[], ["--limit", "4"]])
def test_a_damaged_line_of_any_json_shape_is_named_not_an_unexpected_problem(run, home, limit):
    folder = home / "store"
    folder.mkdir(parents=True)
    (folder / "audit.log").write_bytes(b'{"seq": 1, "time": "t", "actor": "a", "action": "x", "summary": "ok"}\n'
                                       b'[1, 2]\n5\n"text"\n{"seq": 2, "actor": 7}\n')
    shown = run("audit", "log", *limit)
    assert shown.exit_code == 0 and "unexpected" not in shown.stdout + shown.stderr
    assert "line 3: is not a readable event" in shown.stdout and "line 4: is not a readable event" in shown.stdout
    assert shown.stdout.splitlines()[-1].split() == ["2", "?", "7", "?", "?"]  # as the line has it; verify checks it

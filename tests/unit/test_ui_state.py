"""The resume position: never fsynced, written at most every few seconds and on exit, never half-written."""

from __future__ import annotations

import json
import os

from selfassess.storage import ui_state


def test_the_position_is_kept_without_an_fsync_and_at_most_every_few_seconds(tmp_path, monkeypatch):
    def no_fsync(fd):
        raise AssertionError("ui-state.json must not be fsynced")

    monkeypatch.setattr(os, "fsync", no_fsync)
    monkeypatch.setattr(os, "fdatasync", no_fsync)
    keeper = ui_state.Keeper(tmp_path, every=3600)
    keeper.keep({"question": "q1"})  # the first is written at once
    keeper.keep({"question": "q2"})  # the next waits for the interval...
    assert ui_state.load(tmp_path) == {"question": "q1"}
    keeper.flush()  # ...or the exit
    assert ui_state.load(tmp_path) == {"question": "q2"}
    assert not list(tmp_path.glob(".*.tmp"))  # renamed into place: never half a file
    assert json.loads((tmp_path / ui_state.FILE).read_text()) == {"question": "q2"}
    assert (tmp_path / ui_state.FILE).stat().st_mode & 0o777 == 0o600


def test_a_half_written_position_means_start_fresh(tmp_path):
    (tmp_path / ui_state.FILE).write_text('{"question": "q')
    assert ui_state.load(tmp_path) == {}

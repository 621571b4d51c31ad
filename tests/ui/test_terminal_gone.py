"""The app in a real pseudo-terminal that goes away with no hangup signal (an SSH link dropped, a
terminal emulator killed): it saves what was typed and ends, not reading end of file for ever."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time

import pytest

from selfassess.storage.store import Store
from tests.ui.conftest import make_demo

pytestmark = pytest.mark.skipif(not hasattr(select, "poll") or sys.platform == "win32", reason="a POSIX terminal")


def _read_until(master: int, marker: bytes, timeout: float) -> bytes:
    seen, deadline = b"", time.monotonic() + timeout
    while marker not in seen:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"{marker!r} never painted; last output: {seen[-300:]!r}")
        if select.select([master], [], [], left)[0]:
            try:
                seen += os.read(master, 65536)
            except OSError:
                break
    return seen


def test_the_app_ends_and_keeps_what_was_typed_when_its_terminal_goes_away(tmp_path):
    home = tmp_path / "home"
    make_demo(home)
    env = dict(os.environ, SELFASSESS_HOME=str(home), SELFASSESS_ACTOR="Priya Raman", TERM="xterm-256color",
               SELFASSESS_TODAY="2026-11-23")
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    # A session of its own with no controlling terminal: closing the terminal sends it no SIGHUP.
    proc = subprocess.Popen([sys.executable, "-m", "selfassess"], stdin=slave, stdout=slave, stderr=slave, env=env,
                            close_fds=True, start_new_session=True)
    os.close(slave)
    try:
        _read_until(master, b"Riverside", 30)
        os.write(master, b"\r")  # this year's assessment, at its first question
        _read_until(master, b"/43", 15)
        time.sleep(0.5)
        os.write(master, b"e")
        time.sleep(0.3)
        os.write(master, b"Typed as the line dropped")
        time.sleep(0.2)
        os.close(master)  # the terminal goes: no hangup signal reaches the app
        master = -1
        start = time.process_time()
        proc.wait(timeout=15)  # before: it ran on at 100% of a core, for ever
        assert time.process_time() - start < 5
    finally:
        if master >= 0:
            os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    store = Store(home / "store", writer=False)
    try:
        assert any("Typed as the line dropped" in (a.get("evidence") or "") for a in store.all("answers"))
        assert store.verify().ok
    finally:
        store.close()

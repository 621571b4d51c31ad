"""Cold start of `selfassess` on the demo store to its first painted screen, against a bare
Textual app that paints one label, both in a real pseudo-terminal (80x24), in the same run.

Also: median time from a key press (n, next question) to the next question painted.
Targets: ratio <= 1.5; key to paint under 50 ms.
Run: python bench/startup.py [--runs N] [--keys N]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import re
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import contextlib

from _common import ratio_line  # noqa: E402

BARE = """
from textual.app import App
from textual.widgets import Label

class Bare(App):
    def compose(self):
        yield Label("bare-app-ready")

Bare().run()
"""


class Terminal:
    """A program running in a pseudo-terminal, with its output read as it paints."""

    def __init__(self, argv: list[str], env: dict[str, str]):
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.start = time.perf_counter()
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True,
                                     start_new_session=True)
        os.close(slave)
        self.buffer = b""

    def wait_for(self, marker: bytes, timeout: float = 30.0) -> float:
        """Seconds from now until marker appears in new output."""
        t0 = time.perf_counter()
        seen_from = len(self.buffer)
        while True:
            if marker in self.buffer[seen_from:]:
                return time.perf_counter() - t0
            remaining = timeout - (time.perf_counter() - t0)
            if remaining <= 0:
                raise TimeoutError(f"{marker!r} never painted; last output: {self.buffer[-400:]!r}")
            ready, _, _ = select.select([self.master], [], [], remaining)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    raise RuntimeError(f"program ended before painting {marker!r}: {self.buffer[-400:]!r}")
                # Keep a little overlap so a marker split across reads is still found.
                seen_from = max(seen_from, len(self.buffer) - len(marker))
                self.buffer += chunk

    def drain(self) -> None:
        """Read whatever has been painted so far."""
        while select.select([self.master], [], [], 0.05)[0]:
            chunk = os.read(self.master, 65536)
            if not chunk:
                return
            self.buffer += chunk

    def since_start(self, marker: bytes) -> float:
        self.wait_for(marker)
        return time.perf_counter() - self.start

    def press(self, key: bytes) -> None:
        os.write(self.master, key)

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
        os.close(self.master)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keys", type=int, default=30)
    args = parser.parse_args()
    exe = shutil.which("selfassess") or str(Path(sys.executable).with_name("selfassess"))
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        env = dict(os.environ, SELFASSESS_HOME=str(home), TERM="xterm-256color", COLUMNS="80", LINES="24")
        # As on a user's machine: compiled bytecode is cached (pip compiles installed packages; this
        # lets an editable checkout cache too). The first, uncached run of each is not counted.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        subprocess.run([exe, "demo"], env=env, check=True, capture_output=True)
        bare_file = Path(tmp) / "bare.py"
        bare_file.write_text(BARE)
        ours_times, bare_times = [], []
        for warm in [True] + [False] * args.runs:  # interleaved, so both see the same machine
            (home / "ui-state.json").unlink(missing_ok=True)
            t = Terminal([exe], env)
            ours = t.since_start(b"Acute trust")
            t.close()
            t = Terminal([sys.executable, str(bare_file)], env)
            bare = t.since_start(b"bare-app-ready")
            t.close()
            if not warm:
                ours_times.append(ours)
                bare_times.append(bare)
        # Key to paint: open the assessment, then press n and time until the next question's position
        # ("28/43") is painted in the question header.
        (home / "ui-state.json").unlink(missing_ok=True)
        t = Terminal([exe], env)
        t.wait_for(b"Acute trust")
        t.press(b"\r")
        t.wait_for(b"/43")
        time.sleep(0.5)
        t.drain()
        index = int(re.findall(rb"(\d+)/43", t.buffer)[-1])
        key_times = []
        for _ in range(min(args.keys, 42 - index)):
            index += 1
            t.press(b"n")
            key_times.append(t.wait_for(f"{index}/43".encode(), timeout=5))
            time.sleep(0.05)
        t.close()
    ours, floor = statistics.median(ours_times), statistics.median(bare_times)
    print(f"cold start to first paint, median of {args.runs}: selfassess {ours * 1000:.0f} ms, bare Textual app {floor * 1000:.0f} ms")
    if key_times:
        print(f"key press (n) to next question painted, median of {len(key_times)}: {statistics.median(key_times) * 1000:.1f} ms "
              f"(max {max(key_times) * 1000:.1f} ms; target under 50 ms)")
    print(ratio_line(ours, floor, "ms"))


if __name__ == "__main__":
    main()

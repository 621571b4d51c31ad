"""Cold start of `selfassess` on a store of realistic age to its first painted screen, against a
bare Textual app that paints one label, both in a real pseudo-terminal (80x24), interleaved.

Also: key press (n, next question) to the next question painted, against the bare app repainting
its label on n (presses alternate between the two). Median, p99 and max of each.
Store: bench/build_store.py --years N (cached; the app runs on a copy).
Targets: first paint <= 1.5x the bare app at 1 year, <= 2x at 20; key to paint <= 50 ms median.
Run: python bench/startup.py [--years N] [--runs N] [--keys N]
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

from _common import add_years, load_note, ratio_line, spread  # noqa: E402
from build_store import build, describe, working_copy  # noqa: E402

BARE = """
import sys
from textual.app import App
from textual.widgets import Label

class Bare(App):
    # The floor for a key press: a bare app that repaints one label on "n".
    BINDINGS = [("n", "next", "Next")]
    position = 1

    def compose(self):
        yield Label("bare-app-ready 1/43", id="where")

    def action_next(self):
        self.position += 1
        self.query_one("#where", Label).update(f"bare-app-ready {self.position}/43")

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


def open_assessment(t: Terminal) -> int:
    """Open this year's assessment from home (newest first); the question number it shows."""
    t.wait_for(b"Acute trust")
    t.press(b"\r")
    t.wait_for(b"/43")
    time.sleep(0.5)
    t.drain()
    return int(re.findall(rb"(\d+)/43", t.buffer)[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_years(parser)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--keys", type=int, default=40)
    parser.add_argument("--only", choices=["paint", "keys"], default=None,
                        help="Measure only first paint, or only key n to the next question painted.")
    args = parser.parse_args()
    built = build(args.years, edits_per_year=args.edits_per_year)
    print(describe(built))
    # The app installed beside this Python (this checkout's), not whichever is first on PATH.
    beside = Path(sys.executable).with_name("selfassess")
    exe = str(beside) if beside.exists() else shutil.which("selfassess") or "selfassess"
    with tempfile.TemporaryDirectory() as tmp:
        # A copy: the app opens the store for writing (the cache stays as built).
        home = working_copy(built, Path(tmp) / "home")
        env = dict(os.environ, SELFASSESS_HOME=str(home), TERM="xterm-256color", COLUMNS="80", LINES="24")
        # As on a user's machine: compiled bytecode is cached (pip compiles installed packages; this
        # lets an editable checkout cache too). The first, uncached run of each is not counted.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        bare_file = Path(tmp) / "bare.py"
        bare_file.write_text(BARE)
        ours_times: list[float] = []
        bare_times: list[float] = []
        paint_runs = 0 if args.only == "keys" else args.runs
        for warm in [True] + [False] * paint_runs:  # interleaved, so both see the same machine
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
        # Key to paint: in this year's assessment, press n and time until the next question's
        # position ("28/43") is painted; the bare app repaints its label on n. Presses alternate.
        (home / "ui-state.json").unlink(missing_ok=True)
        t = Terminal([exe], env)
        index = open_assessment(t)
        bare = Terminal([sys.executable, str(bare_file)], env)
        bare.wait_for(b"bare-app-ready")
        bare_index = 1
        key_times: list[float] = []
        bare_keys: list[float] = []
        while len(key_times) < (0 if args.only == "paint" else args.keys):
            if index >= 43:  # at the last question: start again from the first (p goes back)
                (home / "ui-state.json").unlink(missing_ok=True)
                t.close()
                t = Terminal([exe], env)
                index = open_assessment(t)
                if index >= 43:
                    break
            index += 1
            t.drain()
            t.press(b"n")
            key_times.append(t.wait_for(f"{index}/43".encode(), timeout=10))
            time.sleep(0.05)
            bare_index += 1
            bare.drain()
            bare.press(b"n")
            bare_keys.append(bare.wait_for(f"{bare_index}/43".encode(), timeout=10))
            time.sleep(0.05)
        t.close()
        bare.close()
    print(load_note())
    if ours_times:
        print(spread("first paint, selfassess", ours_times))
        print(spread("first paint, bare Textual app", bare_times))
    if key_times:
        print(spread("key n to next question painted, selfassess", key_times))
        print(spread("key n to label repainted, bare Textual app", bare_keys))
    if args.only == "keys":  # the key press against the bare app's repaint
        print(ratio_line(statistics.median(key_times), statistics.median(bare_keys), "ms"))
    else:
        print(ratio_line(statistics.median(ours_times), statistics.median(bare_times), "ms"))


if __name__ == "__main__":
    main()

"""Killed at random moments, two processes at once: every acknowledged write survives."""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from selfassess.storage.store import Store

CHILD = Path(__file__).with_name("writer_child.py")
REPO = Path(__file__).resolve().parents[2]
KILLS = int(os.environ.get("SELFASSESS_KILLS", "200"))


def spawn(folder: Path, prefix: str, count: int, mode: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen([sys.executable, str(CHILD), str(folder), prefix, str(count), mode],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=REPO)


def read_lines(proc: subprocess.Popen, deadline: float, until: str | None = None) -> list[str]:
    """Lines the child printed before the deadline, or up to the line `until`."""
    out: list[str] = []
    buf = b""
    fd = proc.stdout.fileno()
    while until not in out:
        timeout = deadline - time.monotonic()
        if timeout <= 0:
            break
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            break
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        buf += chunk
        *lines, buf = buf.split(b"\n")
        out += [ln.decode() for ln in lines]
    return out


def test_kill_nine_at_random_moments_loses_no_acknowledged_write(tmp_path):
    folder = tmp_path / "store"
    rng = random.Random(20261123)
    acked: set[str] = set()
    for round_ in range(KILLS):
        proc = spawn(folder, f"r{round_}", 100_000, "crash")
        # Wait until it is open, then let it write for a random while and kill it mid-flight.
        lines = read_lines(proc, time.monotonic() + 60, until="open")
        assert "open" in lines, proc.stderr.read().decode()
        lines += read_lines(proc, time.monotonic() + rng.uniform(0.0, 0.04))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        lines += [ln.decode() for ln in proc.stdout.read().split(b"\n") if ln]
        acked |= {ln[4:] for ln in lines if ln.startswith("ack ")}
        assert proc.stderr.read() == b""
    store = Store(folder, writer=False)  # the store always opens...
    have = {r["id"] for r in store.all("records")}
    missing = acked - have
    assert not missing, f"{len(missing)} acknowledged writes lost, e.g. {sorted(missing)[:5]}"
    assert len(acked) > KILLS  # the kills landed while writes were under way
    report = store.verify()  # ...and the chain verifies
    assert report.ok, report.problems
    with Store(folder) as writer:  # and a writer can carry on
        assert writer.verify().ok


def test_two_processes_writing_at_once_lose_nothing(tmp_path):
    folder = tmp_path / "store"
    a = spawn(folder, "a", 40, "sessions")
    b = spawn(folder, "b", 40, "sessions")
    out_a, err_a = a.communicate(timeout=300)
    out_b, err_b = b.communicate(timeout=300)
    assert a.returncode == 0 and b.returncode == 0, (err_a, err_b)
    acked = {ln[4:] for ln in (out_a + out_b).decode().splitlines() if ln.startswith("ack ")}
    assert len(acked) == 80
    store = Store(folder, writer=False)
    assert {r["id"] for r in store.all("records")} == acked
    report = store.verify()
    assert report.ok and report.events == 80

"""`audit verify` while another copy writes: a true answer every time, never a crash or a false alarm."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from selfassess.storage.store import Store, verify_files
from tests.reliability.test_crash import CHILD, REPO, read_lines

SECONDS = float(os.environ.get("SELFASSESS_VERIFY_SECONDS", "20"))


def test_verify_beside_a_writer_never_cries_wolf(tmp_path):
    home = tmp_path / "home"
    folder = home / "store"
    env = dict(os.environ, PYTHONPATH=str(REPO), SELFASSESS_HOME=str(home))
    # One long writer session: saves of 10 bytes to 40 kB, a checkpoint every 7 (state.json replaced
    # under verify's feet), until killed.
    writer = subprocess.Popen([sys.executable, str(CHILD), str(folder), "w", "100000000", "crash"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=REPO)
    try:
        assert "open" in read_lines(writer, time.monotonic() + 60, until="open")
        checked, cli_runs, largest = 0, 0, 0
        false: list[str] = []
        deadline = time.monotonic() + SECONDS
        last_chance = deadline + 4 * SECONDS  # a loaded machine gets longer to reach the counts, never fewer runs
        next_cli = time.monotonic()
        while time.monotonic() < deadline or ((checked < 20 or cli_runs < 3) and time.monotonic() < last_chance):
            read_lines(writer, time.monotonic() + 0.001)  # keep the writer's pipe drained
            if time.monotonic() >= next_cli:  # the real command, now and then
                res = subprocess.run([sys.executable, "-m", "selfassess", "audit", "verify"], env=env, cwd=REPO,
                                     capture_output=True, text=True, timeout=120)
                cli_runs += 1
                if res.returncode != 0 or not res.stdout.startswith("OK: "):
                    false.append(f"CLI exit {res.returncode}: {res.stdout[-300:]} {res.stderr[-600:]}")
                next_cli = time.monotonic() + SECONDS / 5
                continue
            # As the CLI does it (a reader opens, then verifies against what it loaded), and on the files alone.
            report = Store(folder, writer=False).verify() if checked % 2 else verify_files(folder)
            checked += 1
            largest = max(largest, report.events)
            if not report.ok:
                false.append("; ".join(report.problems))
        assert writer.poll() is None, writer.stderr.read() if writer.stderr else ""
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    print(f"verify beside a writer: {checked} in-process + {cli_runs} CLI runs, up to {largest} events")
    assert not false, f"{len(false)} false result(s) in {checked + cli_runs} runs, e.g. {false[:3]}"
    assert checked >= 20 and cli_runs >= 3 and largest > 100  # verify really ran beside a busy writer (even on a loaded machine)
    # After the kill: the store still verifies, and the next writer carries on.
    assert verify_files(folder).ok
    with Store(folder) as s:
        assert s.verify().ok

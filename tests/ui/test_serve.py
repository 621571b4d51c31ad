"""`selfassess serve`: the app in a real browser (Debian's Chromium, driven by Playwright), after the
README's plain install: the server is started as the README says, with no virtual environment on PATH."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from selfassess.cli import Context, app_command
from selfassess.core.clock import Clock
from selfassess.session import load_frameworks, open_session
from tests.helpers import TODAY
from tests.ui.conftest import make_demo

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def answers(home: Path, assessment_id: str) -> dict[str, tuple[str | None, str]]:
    s = open_session(home, load_frameworks(home), "Checker", writer=False, clock=Clock(TODAY))
    try:
        return {q: (a.rating, a.state) for q, a in s.workspace.answers(assessment_id).items()}
    finally:
        s.close()


def test_each_browser_runs_this_python_on_this_data_folder(tmp_path):
    """No `textual` command, no venv on PATH: the page runs sys.executable -m selfassess, on the folder served."""
    c = Context(tmp_path / "my data", (tmp_path / "fw",), "Priya Raman", 2.0)
    command = app_command(c, demo=False)
    assert command.startswith(f"{sys.executable} -m selfassess --home ")
    assert f"'{tmp_path / 'my data'}'" in command and "--actor 'Priya Raman'" in command and "--frameworks" in command
    assert app_command(c, demo=True).endswith(" --demo")


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install -y chromium): "
                                              "the browser test needs a real browser")
def test_a_question_answered_in_a_browser_is_saved_to_the_store(tmp_path):
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")
    home = tmp_path / "home"
    _, current = make_demo(home)
    before = answers(home, current)
    port = free_port()
    log = (tmp_path / "server.log").open("wb")
    # As after `pip install .`: the command of the venv by its path, and a PATH without the venv.
    selfassess = Path(sys.executable).with_name("selfassess")
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "SELFASSESS_HOME")}
    env.update(PATH="/usr/bin:/bin", SELFASSESS_TODAY=TODAY.isoformat())
    server = subprocess.Popen([str(selfassess), "--home", str(home), "--actor", "Browser User", "serve",
                               "--host", "127.0.0.1", "--port", str(port)],
                              env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)

    def server_output() -> str:
        return (tmp_path / "server.log").read_text(errors="replace")[-1500:]

    try:
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch_persistent_context(
                str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                viewport={"width": 1200, "height": 800})
            try:
                page = browser.new_page()
                # The page paints the terminal on a canvas: what the app sent it is read off its websocket.
                painted: list[bytes] = []

                def watch(ws: object) -> None:
                    ws.on("framereceived", lambda data: painted.append(data if isinstance(data, bytes) else data.encode()))

                page.on("websocket", watch)

                def wait_for(text: str, seconds: float) -> None:
                    deadline = time.monotonic() + seconds
                    while text.encode() not in b"".join(painted) and time.monotonic() < deadline:
                        page.wait_for_timeout(200)
                    assert text.encode() in b"".join(painted), (text, b"".join(painted)[-800:], server_output())

                for _ in range(100):  # the server takes a moment to listen
                    try:
                        page.goto(f"http://127.0.0.1:{port}/")
                        break
                    except playwright.Error:
                        time.sleep(0.2)
                wait_for("Acute trust", 60)  # Home, painted in the page
                page.locator("#terminal").click()  # the terminal takes the keys
                painted.clear()
                page.keyboard.press("Enter")  # open this year's assessment
                wait_for("Evidence", 30)
                page.keyboard.press("u")  # to the next question still to do (carried forward or not started)
                page.keyboard.press("1")  # rate it 1, then 4: a change whatever it said before
                page.keyboard.press("4")
                deadline = time.monotonic() + 30
                after = answers(home, current)
                while [r for r, _ in after.values()].count("leading") == [r for r, _ in before.values()].count("leading") \
                        and time.monotonic() < deadline:
                    page.wait_for_timeout(300)
                    after = answers(home, current)
                assert b"Traceback" not in b"".join(painted)
            finally:
                browser.close()
    finally:
        server.terminate()
        server.wait(timeout=15)
        log.close()
    out = server_output()
    changed = {q: (before.get(q), after[q]) for q in after if before.get(q) != after[q]}
    assert len(changed) == 1, (changed, out[-1500:])
    (_, (rating, state)), = changed.values()
    assert (rating, state) == ("leading", "draft"), changed  # 4 on the board's scale; a rating typed is a draft

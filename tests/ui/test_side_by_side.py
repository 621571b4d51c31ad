"""The app open all day while a script or the command line writes the same store: both work, the app
shows what the other wrote within a poll, and says so when it was the answer on screen."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

from selfassess.storage import store as store_module
from selfassess.submission.keys import fingerprint, trusted_key
from selfassess.ui import app as app_module
from selfassess.ui.screens.assessment import AssessmentScreen

REPO = Path(__file__).resolve().parents[2]


def cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    """`selfassess ARGS` in a process of its own, as a script in another terminal runs it."""
    env = dict(os.environ, SELFASSESS_HOME=str(home), PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "selfassess", "--actor", "Jo Script", *args],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=120)


def messages(app) -> list[str]:
    return [n.message for n in app._notifications]


async def open_question(app, pilot) -> AssessmentScreen:
    await pilot.press("enter")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, AssessmentScreen)
    return screen


async def test_the_command_line_writes_while_the_app_is_open_and_the_app_shows_it(demo_home, new_app):
    app = new_app(demo_home)
    key = fingerprint(bytes(range(32)))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_question(app, pilot)
        ref, qid = screen.question.ref, screen.question_id
        answered = cli(demo_home, "answer", screen.assessment_id[:8], ref, "--rating", "1", "--evidence", "From the script")
        assert answered.returncode == 0, answered.stderr
        trusted = cli(demo_home, "keys", "trust", key, "--name", "Regional regulator")
        assert trusted.returncode == 0, trusted.stderr
        for _ in range(40):  # the poll fires by itself, once a second
            await pilot.pause(0.1)
            if screen.answers.get(qid) and screen.answers[qid].evidence == "From the script":
                break
        assert screen.answers[qid].evidence == "From the script" and screen.answers[qid].updated_by == "Jo Script"
        assert "From the script" in screen.query_one("#evidence").text
        assert f"{ref} was changed from another window by Jo Script; showing it" in messages(app)
        assert trusted_key(app.ws, key) is not None  # the key landed too, and the app sees it
        await pilot.press("3")  # and the app still saves, after the others' events
        assert screen.answers[qid].rating is not None and screen.answers[qid].updated_by == "Priya Raman"
    verify = cli(demo_home, "audit", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr


async def test_when_both_change_the_same_answer_the_later_wins_and_the_app_says_which(demo_home, new_app, monkeypatch):
    monkeypatch.setattr(app_module, "POLL_SECONDS", 3600)  # polled by hand: the order is the test's
    app = new_app(demo_home)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_question(app, pilot)
        ref, qid, aid = screen.question.ref, screen.question_id, screen.assessment_id[:8]
        # The app first, the script later: the script's answer stands and the app shows it.
        await pilot.press("2")
        assert cli(demo_home, "answer", aid, ref, "--evidence", "Script, later").returncode == 0
        app.poll_store()
        await pilot.pause()
        assert screen.answers[qid].evidence == "Script, later"
        assert messages(app)[-1] == f"{ref} was changed from another window by Jo Script; showing it"
        # The script first, the app later (before its poll): the app's answer stands, and it says so.
        assert cli(demo_home, "answer", aid, ref, "--evidence", "Script, earlier").returncode == 0
        await pilot.press("4")
        app.poll_store()
        await pilot.pause()
        assert messages(app)[-1] == f"{ref} was also changed from another window by Jo Script; your later change is kept"
        mine = screen.answers[qid]
        assert mine.updated_by == "Priya Raman" and mine.evidence == "Script, earlier"  # its field, my rating
    shown = cli(demo_home, "audit", "log", "--json")
    assert shown.returncode == 0
    verify = cli(demo_home, "audit", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr


async def test_a_store_on_read_only_media_opens_read_only_with_a_banner(demo_home, new_app, monkeypatch):
    real_open = store_module.io.open

    def read_only_disk(path, flags, *args):
        if flags & (os.O_WRONLY | os.O_RDWR):
            raise OSError(errno.EROFS, "Read-only file system")
        return real_open(path, flags, *args)

    monkeypatch.setattr(store_module.io, "open", read_only_disk)
    before = (demo_home / "store" / "audit.log").read_bytes()
    app = new_app(demo_home)
    async with app.run_test(size=(100, 30)) as pilot:
        banner = str(app.screen.query_one("#banner").render())
        assert banner.startswith("READ-ONLY: this store cannot be changed here: the disk is read-only")
        screen = await open_question(app, pilot)
        was = screen.answers.get(screen.question_id)
        await pilot.press("1")
        assert screen.answers.get(screen.question_id) == was
        assert any(m.startswith("This window is read-only: this store cannot be changed here") for m in messages(app))
    assert (demo_home / "store" / "audit.log").read_bytes() == before

"""Shared fixtures: every test gets its own data folder, and the CLI is driven in-process."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent
BUNDLED = REPO / "frameworks"
BOARD = BUNDLED / "board-health-inequalities.yaml"
WHAT_WORKS = BUNDLED / "what-works-evidence.yaml"


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A fresh data folder, named in SELFASSESS_HOME as a user would."""
    folder = tmp_path / "home"
    monkeypatch.setenv("SELFASSESS_HOME", str(folder))
    monkeypatch.setenv("SELFASSESS_ACTOR", "Test Runner")
    monkeypatch.setenv("SELFASSESS_EXPORTS", str(tmp_path / "exports"))
    # The command line's today, as the other tests' clock (tests.helpers.TODAY): a date in a test
    # (a due date, a target) must not become past, and the test fail, as the calendar moves on.
    monkeypatch.setenv("SELFASSESS_TODAY", "2026-11-23")
    return folder


class Result:
    def __init__(self, exit_code: int, stdout: str, stderr: str):
        self.exit_code, self.stdout, self.stderr = exit_code, stdout, stderr

    def __repr__(self) -> str:
        return f"Result(exit={self.exit_code}, stdout={self.stdout[:400]!r}, stderr={self.stderr[:400]!r})"


@pytest.fixture
def run(home):
    """Run `selfassess ARGS...` in-process; returns exit code, stdout and stderr."""
    from selfassess.cli import cli

    def _run(*args: str, input: str | None = None) -> Result:
        runner = CliRunner()
        res = runner.invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False,
                            env={"SELFASSESS_HOME": os.environ["SELFASSESS_HOME"]})
        return Result(res.exit_code, res.stdout, res.stderr)

    return _run

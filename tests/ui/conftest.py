"""UI fixtures: a data folder holding the demo trust, and the app built as the CLI builds it."""

from __future__ import annotations

from pathlib import Path

import pytest

from selfassess.core.clock import Clock
from selfassess.core.demo import create_demo
from selfassess.session import load_frameworks, open_session
from selfassess.ui.app import make_app
from tests.helpers import TODAY


def make_demo(home: Path) -> tuple[str, str]:
    session = open_session(home, load_frameworks(home), "Priya Raman", clock=Clock(TODAY))
    try:
        last, current = create_demo(session.workspace)
    finally:
        session.close()
    return last.id, current.id


@pytest.fixture
def demo_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("SELFASSESS_HOME", str(home))
    make_demo(home)
    return home


@pytest.fixture
def new_app():
    def build(home: Path, actor: str = "Priya Raman"):
        return make_app(home, actor=actor, clock=Clock(TODAY, "2026-11-23T09:30:00Z"), blink=False)

    return build

"""Builders shared by tests: a store and workspace in a temporary folder, on a fixed date."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from selfassess.core.catalogue import Catalogue, load_catalogue
from selfassess.core.clock import Clock
from selfassess.core.workspace import Workspace
from selfassess.storage.store import Store
from tests.conftest import BUNDLED

TODAY = date(2026, 11, 23)
BOARD_ID = "board-health-inequalities"

_catalogue: Catalogue | None = None


def bundled_catalogue() -> Catalogue:
    global _catalogue
    if _catalogue is None:
        _catalogue = load_catalogue(BUNDLED, [])
    return _catalogue


def open_workspace(folder: Path, *, writer: bool = True, today: date = TODAY, actor: str = "Priya Raman",
                   catalogue: Catalogue | None = None) -> tuple[Store, Workspace]:
    store = Store(folder, writer=writer)
    return store, Workspace(store, catalogue or bundled_catalogue(), actor, Clock(today))

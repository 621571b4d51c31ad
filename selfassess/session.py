"""Open a store and the workspace over it: the one way in, for the app, the CLI and the tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import paths
from .core.catalogue import Catalogue, load_catalogue
from .core.clock import Clock, system_clock
from .core.workspace import Workspace
from .storage.store import Store, StoreLocked


def load_frameworks(home: Path, extra_dirs: list[Path] | None = None) -> Catalogue:
    return load_catalogue(paths.bundled_frameworks_dir(), [paths.user_frameworks_dir(home), *(extra_dirs or [])])


@dataclass
class Session:
    store: Store
    workspace: Workspace
    notices: list[str] = field(default_factory=list)
    locked_by_other: str | None = None  # the lock message, when we fell back to read-only

    def close(self) -> str | None:
        return self.store.close()


def open_session(home: Path, catalogue: Catalogue, actor: str, *, writer: bool = True, wait: float = 0.0,
                 fall_back_to_read_only: bool = False, clock: Clock | None = None, command: str = "selfassess") -> Session:
    """Open the store in home. With fall_back_to_read_only, a store locked by another copy opens read-only."""
    folder = paths.store_dir(home)
    locked = None
    try:
        store = Store(folder, writer=writer, wait=wait, command=command)
    except StoreLocked as exc:
        if not fall_back_to_read_only:
            raise
        locked = (f"{exc.holder} is changing this store. You can look and export here; "
                  "close the other copy to make changes.")
        store = Store(folder, writer=False)
    ws = Workspace(store, catalogue, actor, clock or system_clock())
    return Session(store, ws, list(store.notices), locked)

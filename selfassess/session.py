"""Open a store and the workspace over it: the one way in, for the app, the CLI and the tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import paths
from .core.catalogue import Catalogue, load_catalogue
from .core.clock import Clock, system_clock
from .core.workspace import Workspace
from .storage.store import Store, StoreLocked, StoreNotWritable


def load_frameworks(home: Path, extra_dirs: list[Path] | None = None) -> Catalogue:
    return load_catalogue(paths.bundled_frameworks_dir(), [paths.user_frameworks_dir(home), *(extra_dirs or [])])


@dataclass
class Session:
    store: Store
    workspace: Workspace
    notices: list[str] = field(default_factory=list)  # found at open, to tell the user once
    read_only_reason: str | None = None  # why this session cannot change the store, for a banner
    _told: int = 0  # how many of the store's notices have been handed out

    def __post_init__(self) -> None:
        self._told = len(self.store.notices)

    def new_notices(self) -> list[str]:
        """Notices the store found since open (or since the last call): a checkpoint that failed, a torn save set aside."""
        new = self.store.notices[self._told:]
        self._told = len(self.store.notices)
        return new

    def close(self) -> str | None:
        warning = self.store.close()
        said = [*self.new_notices(), *([warning] if warning else [])]
        return "; ".join(dict.fromkeys(said)) or None


def open_session(home: Path, catalogue: Catalogue, actor: str, *, writer: bool = True, wait: float = 0.0,
                 fall_back_to_read_only: bool = False, clock: Clock | None = None, command: str = "selfassess") -> Session:
    """Open the store in home. Other copies may have it open too: each save takes the lock for a moment.

    With fall_back_to_read_only, a store that cannot be written here (read-only media, no permission)
    or that stayed busy for longer than a save ever takes opens read-only, with the reason.
    """
    folder = paths.store_dir(home)
    reason = None
    try:
        store = Store(folder, writer=writer, wait=wait, command=command)
    except StoreNotWritable as exc:
        if not fall_back_to_read_only:
            raise
        reason = (f"this store cannot be changed here: {exc.why} ({folder}). You can look and export; "
                  "to make changes, copy the data folder to a disk you can write and set SELFASSESS_HOME to it.")
        store = Store(folder, writer=False)
    except StoreLocked as exc:
        if not fall_back_to_read_only:
            raise
        reason = (f"{exc.holder} kept the store busy for longer than a save takes when this window opened. "
                  "You can look and export here; close and reopen this window to make changes.")
        store = Store(folder, writer=False)
    ws = Workspace(store, catalogue, actor, clock or system_clock())
    return Session(store, ws, list(store.notices), reason)

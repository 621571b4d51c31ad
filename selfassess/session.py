"""Open a store and the workspace over it: the one way in, for the app, the CLI and the tests;
and the few things done to a store as a whole (status, verify, the log, backups, restore)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import paths
from .core.audit import VerifyReport
from .core.catalogue import Catalogue, load_catalogue
from .core.clock import Clock, system_clock
from .core.workspace import Workspace
from .storage.store import (
    Backup,
    ChangedMeanwhile,
    SaveFailed,
    Store,
    StoreLocked,
    StoreNotWritable,
    list_backups,
    read_events,
    read_last_events,
    verify_files,
)
from .storage.store import (
    StoreDamaged as StoreDamaged,  # the app names it (the UI imports no storage)
)


def load_frameworks(home: Path, extra_dirs: list[Path] | None = None) -> Catalogue:
    return load_catalogue(paths.bundled_frameworks_dir(), [paths.user_frameworks_dir(home), *(extra_dirs or [])])


@dataclass
class Session:
    store: Store
    workspace: Workspace
    notices: list[str] = field(default_factory=list)  # found at open, to tell the user once
    read_only_reason: str | None = None  # why this session cannot change the store, for a banner
    _told: int = 0  # how many of the store's notices have been handed out
    throwaway: Path | None = None  # a demo's own data folder: removed when the session closes

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
        if self.throwaway is not None:
            shutil.rmtree(self.throwaway, ignore_errors=True)
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
    if store.writer:
        _upgrade(store, ws)
    return Session(store, ws, list(store.notices), reason)


def _upgrade(store: Store, ws: Workspace) -> None:
    """Bring records written by an earlier version to today's shape, once, as one audit event.

    Until it is done the old shape still reads the same, so a store busy now, or another copy
    upgrading it at the same moment, only puts it off to the next open."""
    try:
        ws.upgrade()
        ws.close_finished_years()
    except (StoreLocked, ChangedMeanwhile):
        pass
    except SaveFailed as exc:
        store.notices.append(f"the store's records could not be upgraded to this version's shape ({exc}); "
                             "everything reads as before, and it is tried again next time")


DEMO_PREFIX = "selfassess-demo-"


def open_demo_session(catalogue: Catalogue, actor: str, *, clock: Clock | None = None) -> Session:
    """The demo trust in a data folder of its own, made for it in the system's temporary folder and
    removed when the session closes: whatever is tried in the demo never touches a real store."""
    from .core.demo import create_demo

    folder = Path(tempfile.mkdtemp(prefix=DEMO_PREFIX))  # owner-only (0700)
    try:
        session = open_session(folder, catalogue, actor, clock=clock, command="selfassess (demo)")
        try:
            create_demo(session.workspace)
        except BaseException:
            session.close()
            raise
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    session.throwaway = folder
    return session


# --- the store itself, for `audit` and `store`: each opens what it needs and closes it -----------


@dataclass(frozen=True)
class StoreStatus:
    folder: Path
    events: int
    head: str
    backups: int


def store_status(home: Path) -> StoreStatus:
    folder = paths.store_dir(home)
    store = Store(folder, writer=False)
    try:
        seq, head = store.head
        return StoreStatus(folder, seq, head, len(store.backups()))
    finally:
        store.close()


@dataclass
class StoreCheck:
    report: VerifyReport
    unopened: str | None = None  # why the store would not open (the report then is never OK)
    notices: list[str] = field(default_factory=list)  # what opening it recovered, to say once


def verify_store(home: Path) -> StoreCheck:
    """Check the chain and the stored state, from the files: the store is not opened (that would load
    every record beside verify's own walk of the chain), unless the check fails, to say whether it
    still opens and, if not, how to recover it."""
    folder = paths.store_dir(home)
    report = verify_files(folder)
    if report.ok:
        return StoreCheck(report)
    try:
        store = Store(folder, writer=False)
    except StoreDamaged as exc:
        return StoreCheck(report, str(exc))
    store.close()
    return StoreCheck(report, None, list(store.notices))


def audit_events(home: Path, last: int = 0) -> Iterator[tuple[int | None, dict[str, Any] | None, str | None]]:
    """Every line of the audit log as (line number, event or None, problem or None), or only the
    last lines (read from the end: there an event's line number is None); opens no store."""
    if last:
        return iter(read_last_events(paths.store_dir(home), last))
    return read_events(paths.store_dir(home))


def store_backups(home: Path) -> list[Backup]:
    return list_backups(paths.store_dir(home))


def restore_store(home: Path, *, backup: str | None, from_log: bool, wait: float) -> str:
    return Store.restore(paths.store_dir(home), backup=backup, from_log=from_log, wait=wait)

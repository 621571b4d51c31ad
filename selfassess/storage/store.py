"""The store: the one module that imports TinyDB, and the only code that writes user data.

Layout of a store folder:
    state.json    checkpoint of every table (TinyDB's data), with the audit-chain position it holds
    audit.log     the audit hash chain, one JSON event per line, append-only: the write-ahead log
    lock          held exclusively by the one writer; lock.json says who holds it
    backups/      rotated copies of state.json
    recovered/    bytes set aside during recovery (a torn last line, a damaged store's files)

A save appends one event to audit.log and fsyncs it (about the cost of one SQLite commit),
then applies it to the in-memory tables. state.json is rewritten atomically (temp file,
fsync, rename, directory fsync) only at checkpoints, so a save never rewrites years of data.
Opening reads the checkpoint and replays the events after it.
"""

from __future__ import annotations

import contextlib
import copy
import errno
import hashlib
import json
import os
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Table

from ..core import audit
from ..core.audit import Change
from ..core.errors import SelfAssessError

STATE, LOG, LOCK, LOCK_INFO = "state.json", "audit.log", "lock", "lock.json"
BACKUPS, RECOVERED = "backups", "recovered"
FORMAT = 1
CHECKPOINT_EVERY = 2000  # events replayed at open stay cheap; checkpoints stay rare
KEEP_BACKUPS = 10


class StoreError(SelfAssessError):
    """Something about the store on disk."""


class StoreLocked(StoreError):
    exit_code = 3

    def __init__(self, message: str, holder: str = "another copy of selfassess"):
        super().__init__(message)
        self.holder = holder  # who holds the store, in words, for a short banner


class StoreDamaged(StoreError):
    exit_code = 4


class StoreReadOnly(StoreError):
    exit_code = 3


class SaveFailed(StoreError):
    exit_code = 5


class _IO:
    """Every call the store makes to the disk, in one place: tests inject failures here."""

    open = staticmethod(os.open)
    write = staticmethod(os.write)
    fsync = staticmethod(os.fsync)
    # The log append needs its data and size durable, not its timestamps: what fdatasync gives.
    fdatasync = staticmethod(getattr(os, "fdatasync", os.fsync))
    close = staticmethod(os.close)
    replace = staticmethod(os.replace)
    ftruncate = staticmethod(os.ftruncate)
    unlink = staticmethod(os.unlink)
    mkdir = staticmethod(os.makedirs)

    @staticmethod
    def read_bytes(path: Path) -> bytes:
        with open(path, "rb") as f:
            return f.read()

    @staticmethod
    def read_from(path: Path, offset: int) -> bytes:
        with open(path, "rb") as f:
            f.seek(offset)
            return f.read()


io = _IO()


def _why(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    if exc.errno == errno.EDQUOT:
        return "the disk quota is used up"
    if exc.errno in (errno.EACCES, errno.EPERM) or isinstance(exc, PermissionError):
        return "permission was denied"
    if exc.errno == errno.EROFS:
        return "the disk is read-only"
    if exc.errno == errno.EIO:
        return "the disk reported an input/output error"
    return exc.strerror or str(exc)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = io.write(fd, view)
        if n <= 0:
            raise OSError(errno.EIO, "short write")
        view = view[n:]


def fsync_dir(folder: Path) -> None:
    fd = io.open(folder, os.O_RDONLY)
    try:
        io.fsync(fd)
    finally:
        io.close(fd)


def atomic_write(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Replace path with data so that a crash leaves either the old file or the new, never half."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    fd = io.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        try:
            _write_all(fd, data)
            io.fsync(fd)
        finally:
            io.close(fd)
        io.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            io.unlink(tmp)
        raise
    fsync_dir(path.parent)


def tables_digest(tables: dict[str, Any]) -> str:
    return hashlib.sha256(audit.canonical(tables)).hexdigest()


class LockTimeout(Exception):
    pass


class ExclusiveLock:
    """One writer per store: an OS lock on a file, released by the OS if the process dies.

    flock on POSIX (cheap to import, never stale); the filelock package elsewhere.
    """

    def __init__(self, path: Path):
        self.path = path
        self._fd: int | None = None
        self._other: Any = None

    def acquire(self, wait: float) -> None:
        if os.name != "posix":  # pragma: no cover - Windows
            import filelock

            self._other = filelock.FileLock(str(self.path), timeout=wait)
            try:
                self._other.acquire()
            except filelock.Timeout:
                raise LockTimeout() from None
            return
        import fcntl

        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._fd = fd
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise LockTimeout() from None
                time.sleep(0.05)
            except OSError:
                os.close(fd)
                raise

    def release(self) -> None:
        if self._other is not None:  # pragma: no cover - Windows
            self._other.release()
            self._other = None
        if self._fd is not None:
            import fcntl

            with contextlib.suppress(OSError):
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


# --- TinyDB: tables keyed by the records' UUIDs, held in memory between checkpoints ------------


class _UUIDTable(Table):
    document_id_class = str  # type: ignore[assignment]  # record ids are UUIDs, never TinyDB's counters

    def _get_next_id(self) -> str:  # pragma: no cover - every insert names its id
        return str(uuid.uuid4())


class _State(Storage):
    """TinyDB's storage: the tables in memory. Durability comes from the log and checkpoints."""

    def __init__(self, data: dict[str, Any]):
        self.data = data

    def read(self) -> dict[str, Any]:
        return self.data

    def write(self, data: dict[str, Any]) -> None:
        self.data = data


class _DB(TinyDB):
    table_class = _UUIDTable


@dataclass
class VerifyReport:
    events: int
    head: str
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Backup:
    path: Path
    seq: int
    time: str
    size: int


class Store:
    """One store folder, opened for writing (exclusively) or for reading."""

    def __init__(self, folder: Path, *, writer: bool = True, wait: float = 0.0, command: str = "selfassess"):
        self.folder = Path(folder)
        self.writer = writer
        self.notices: list[str] = []  # things recovered at open, to tell the user once
        self._lock: Any = None
        self._fd: int | None = None
        self._broken: str | None = None
        self._tail = 0
        if writer:
            self._take_lock(wait, command)
        try:
            self._load()
        except BaseException:
            self._release()
            raise

    # --- opening ------------------------------------------------------------------------------

    @property
    def readonly(self) -> bool:
        return not self.writer

    def _take_lock(self, wait: float, command: str) -> None:
        try:
            io.mkdir(self.folder, mode=0o700, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the store folder {self.folder}: {_why(exc)}") from None
        lock = ExclusiveLock(self.folder / LOCK)
        try:
            lock.acquire(wait)
        except LockTimeout:
            who = self._holder()
            raise StoreLocked(f"the store at {self.folder} is in use by {who}. Only one copy of selfassess can change "
                              "the store at a time: close the other copy, or retry with --wait SECONDS. "
                              "Read-only commands (assessments, actions, export, audit verify) still work.", who) from None
        except OSError as exc:
            raise StoreError(f"cannot lock the store {self.folder}: {_why(exc)}") from None
        self._lock = lock
        info = {"user": _user(), "host": socket.gethostname(), "pid": os.getpid(),
                "since": time.strftime("%Y-%m-%d %H:%M:%S"), "command": command}
        with contextlib.suppress(OSError):  # who holds the lock is a courtesy; a full disk must not stop opening
            atomic_write(self.folder / LOCK_INFO, json.dumps(info).encode(), 0o644)

    def _holder(self) -> str:
        """Who holds the lock, from the note the holder left: user, host, process, command, since."""
        try:
            info = json.loads((self.folder / LOCK_INFO).read_text(encoding="utf-8"))
            return (f"{info.get('user', '?')} on {info.get('host', '?')} (process {info.get('pid', '?')}, "
                    f"running '{info.get('command', 'selfassess')}', since {info.get('since', '?')})")
        except (OSError, ValueError, AttributeError):
            return "another copy of selfassess"

    def _load(self) -> None:
        state_path, log_path = self.folder / STATE, self.folder / LOG
        if self.writer:
            self._clean_temp_files()
        log_exists = log_path.exists() and log_path.stat().st_size > 0
        if not state_path.exists():
            if log_exists:
                raise StoreDamaged(self._damaged(f"{STATE} is missing but {LOG} holds the history",
                                                 "selfassess store restore --from-log"))
            self.store_id = str(uuid.uuid4())
            self._checkpoint: dict[str, Any] = {"seq": 0, "hash": audit.GENESIS, "offset": 0, "time": ""}
            tables: dict[str, Any] = {}
        else:
            tables = self._read_state(state_path)
        self._db = _DB(storage=_State, data=tables)
        self._indexes: dict[tuple[str, str], dict[Any, set[str]]] = {}
        self._seq, self._head = self._checkpoint["seq"], self._checkpoint["hash"]
        self._log_size = self._checkpoint["offset"]
        self._replay_tail(log_path)
        if self.writer:
            try:
                self._fd = io.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                if not state_path.exists():
                    self.checkpoint()
                    fsync_dir(self.folder)
            except OSError as exc:
                raise StoreError(f"cannot open the store {self.folder} for writing: {_why(exc)}") from None
            if self._tail >= CHECKPOINT_EVERY:
                self._try_checkpoint()

    def _clean_temp_files(self) -> None:
        for p in self.folder.glob(".*.tmp"):
            with contextlib.suppress(OSError):
                io.unlink(p)

    def _damaged(self, what: str, fix: str) -> str:
        backups = self.backups()
        offer = f" or restore the newest backup ({backups[0].time}): selfassess store restore --backup {backups[0].path.name}" if backups else ""
        return (f"the store at {self.folder} cannot be opened: {what}. Nothing has been changed or discarded. "
                f"To recover, run: {fix}{offer}. To see what differs: selfassess audit verify")

    def _read_state(self, path: Path) -> dict[str, Any]:
        try:
            raw = io.read_bytes(path)
        except OSError as exc:
            raise StoreDamaged(self._damaged(f"{STATE} cannot be read ({_why(exc)})", "selfassess store restore --from-log")) from None
        if not raw.strip():
            raise StoreDamaged(self._damaged(f"{STATE} is empty ({len(raw)} bytes)", "selfassess store restore --from-log"))
        try:
            data = json.loads(raw)
            tables = data["tables"]
            checkpoint = data["checkpoint"]
            assert isinstance(tables, dict) and isinstance(checkpoint, dict)
            assert {"seq", "hash", "offset"} <= checkpoint.keys()
        except (ValueError, KeyError, TypeError, AssertionError):
            raise StoreDamaged(self._damaged(f"{STATE} is not a selfassess store file (unreadable JSON or missing parts)",
                                             "selfassess store restore --from-log")) from None
        if data.get("format", 1) > FORMAT:
            raise StoreError(f"the store at {self.folder} was written by a newer selfassess (store format "
                             f"{data['format']}); upgrade selfassess to open it")
        if data.get("digest") != tables_digest(tables):
            raise StoreDamaged(self._damaged(f"{STATE} was changed outside selfassess (its content no longer matches its checksum)",
                                             "selfassess store restore --from-log"))
        self.store_id = data.get("store_id") or str(uuid.uuid4())
        self._checkpoint = checkpoint
        return tables

    def _replay_tail(self, log_path: Path) -> None:
        """Apply the events after the checkpoint. A torn last line was never acknowledged: set it aside."""
        if not log_path.exists():
            if self._log_size:
                raise StoreDamaged(self._damaged(f"{LOG} is missing", "selfassess store restore --backup NAME"))
            return
        size = log_path.stat().st_size
        if size < self._log_size:
            raise StoreDamaged(self._damaged(f"{LOG} is shorter than the last checkpoint expects (it was truncated or replaced)",
                                             "selfassess store restore --from-log"))
        data = io.read_from(log_path, self._log_size) if size > self._log_size else b""
        good = 0
        lines = data.split(b"\n")
        complete, torn = lines[:-1], lines[-1]
        for i, line in enumerate(complete):
            try:
                event = json.loads(line)
                audit.check_link(event, self._seq + 1, self._head, 0)
            except (ValueError, audit.ChainError) as exc:
                if all(not ln.strip(b"\0 \t\r") for ln in complete[i + 1:]) and not torn.strip(b"\0"):
                    torn = b"\n".join(complete[i:]) + b"\n" + torn  # damage only at the very end: a torn write
                    break
                line_no = self._line_number(log_path, self._log_size + good)
                reason = exc.reason if isinstance(exc, audit.ChainError) else "is not a readable event"
                raise StoreDamaged(self._damaged(f"{LOG} line {line_no} {reason}", "selfassess store restore --from-log")) from None
            self._apply(event)
            self._seq, self._head = event["seq"], event["hash"]
            good += len(line) + 1
            self._tail += 1
        self._log_size += good
        if self.writer and size > self._log_size:
            if torn.strip(b"\0"):
                self.notices.append(f"an unfinished save ({len(torn)} bytes) was found at the end of {LOG}; "
                                    f"it was never confirmed, and has been set aside in {self.folder / RECOVERED}")
            self._set_aside_torn_tail(log_path, data[good:])

    def _line_number(self, path: Path, offset: int) -> int:
        with open(path, "rb") as f:
            return f.read(offset).count(b"\n") + 1

    def _set_aside_torn_tail(self, log_path: Path, torn: bytes) -> None:
        try:
            rec = self.folder / RECOVERED
            io.mkdir(rec, mode=0o700, exist_ok=True)
            atomic_write(rec / f"torn-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}.log", torn)
            fd = io.open(log_path, os.O_WRONLY)
            try:
                io.ftruncate(fd, self._log_size)
                io.fsync(fd)
            finally:
                io.close(fd)
        except OSError as exc:
            raise StoreError(f"cannot tidy an unfinished save at the end of {log_path}: {_why(exc)}") from None

    @property
    def _tables(self) -> dict[str, Any]:
        """TinyDB's data: every table, as held in memory."""
        return cast(_State, self._db.storage).data

    # --- reading ------------------------------------------------------------------------------

    def get(self, table: str, record_id: str) -> dict[str, Any] | None:
        doc = self._tables.get(table, {}).get(record_id)  # by UUID: O(1), as TinyDB's get(doc_id=...) would be
        return dict(doc) if doc is not None else None

    def all(self, table: str) -> list[dict[str, Any]]:
        return [dict(d) for d in self._db.table(table).all()]

    def find(self, table: str, **equal: Any) -> list[dict[str, Any]]:
        """Records whose fields equal the values given, through an in-memory index (no table scan)."""
        if not equal:
            return self.all(table)
        raw = self._tables.get(table, {})
        candidates: set[str] | None = None
        for key, value in equal.items():
            ids = self._index(table, key).get(_hashable(value), set())
            candidates = ids if candidates is None else candidates & ids
            if not candidates:
                return []
        return [dict(raw[i]) for i in sorted(candidates or ()) if all(raw[i].get(k) == v for k, v in equal.items())]

    def _index(self, table: str, key: str) -> dict[Any, set[str]]:
        index = self._indexes.get((table, key))
        if index is None:
            index = {}
            for rid, rec in self._tables.get(table, {}).items():
                index.setdefault(_hashable(rec.get(key)), set()).add(rid)
            self._indexes[(table, key)] = index
        return index

    def tables(self) -> dict[str, dict[str, Any]]:
        return {name: dict(self._tables.get(name, {})) for name in self._tables}

    @property
    def head(self) -> tuple[int, str]:
        return self._seq, self._head

    # --- writing ------------------------------------------------------------------------------

    def _require_writer(self) -> None:
        if not self.writer:
            raise StoreReadOnly(f"the store at {self.folder} is open read-only (another copy of selfassess is "
                                "changing it); nothing was saved")
        if self._fd is None:
            raise StoreError("the store is closed; nothing was saved")
        if self._broken:
            raise SaveFailed(f"saving is paused because an earlier save could not be undone cleanly ({self._broken}); "
                             "close and reopen selfassess. Nothing was saved.")

    def commit(self, action: str, actor: str, summary: str, changes: list[Change], when: str) -> dict[str, Any]:
        """Make changes durable: append one audit event and fsync it, then apply it."""
        self._require_writer()
        event = audit.make_event(self._seq + 1, self._head, when, actor, action, summary, changes)
        line = audit.encode(event)
        assert self._fd is not None
        try:
            _write_all(self._fd, line)
            io.fdatasync(self._fd)
        except OSError as exc:
            try:  # never leave half an event in front of the next whole one
                io.ftruncate(self._fd, self._log_size)
                io.fsync(self._fd)
            except OSError as exc2:
                self._broken = _why(exc2)
            raise SaveFailed(f"could not save ({summary}): {_why(exc)} while writing {self.folder / LOG}. "
                             "Nothing was saved; what was saved before is intact.") from None
        self._log_size += len(line)
        self._seq, self._head = event["seq"], event["hash"]
        self._apply(event)
        self._tail += 1
        if self._tail >= CHECKPOINT_EVERY:
            self._try_checkpoint()
        return event

    def _apply(self, event: dict[str, Any]) -> None:
        # Straight into TinyDB's storage dict: O(1) per record, where Table.insert rebuilds the table.
        data = self._tables
        for change in event["changes"]:
            table, rid = change["table"], change["id"]
            records = data.setdefault(table, {})
            old = records.pop(rid, None)
            if change["after"] is not None:
                records[rid] = change["after"]
            for (t, key), index in self._indexes.items():
                if t != table:
                    continue
                if old is not None:
                    index.get(_hashable(old.get(key)), set()).discard(rid)
                if change["after"] is not None:
                    index.setdefault(_hashable(change["after"].get(key)), set()).add(rid)
            self._db.table(table).clear_cache()

    def checkpoint(self) -> None:
        """Write every table to state.json atomically, marking how much of the log it holds."""
        self._require_writer()
        tables = self._tables
        checkpoint = {"seq": self._seq, "hash": self._head, "offset": self._log_size,
                      "time": time.strftime("%Y-%m-%dT%H:%M:%S")}
        data = {"format": FORMAT, "store_id": self.store_id, "checkpoint": checkpoint,
                "digest": tables_digest(tables), "tables": tables}
        atomic_write(self.folder / STATE, json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
        self._checkpoint = checkpoint
        self._tail = 0

    def _try_checkpoint(self) -> str | None:
        try:
            self.checkpoint()
            return None
        except OSError as exc:
            return (f"could not write a checkpoint of the store ({_why(exc)}); every change is still safe in "
                    f"{self.folder / LOG} and will be replayed next time")

    def close(self) -> str | None:
        """Checkpoint, back up and release the lock. Returns a warning if the checkpoint failed."""
        warning = None
        if self.writer and self._fd is not None:
            if self._seq != self._checkpoint["seq"] and not self._broken:
                warning = self._try_checkpoint()
                if warning is None:
                    self._backup()
            with contextlib.suppress(OSError):
                io.close(self._fd)
            self._fd = None
        self._release()
        return warning

    def _release(self) -> None:
        if self._lock is not None:
            with contextlib.suppress(Exception):
                self._lock.release()
            self._lock = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # --- files received from outside ---------------------------------------------------------

    def keep_received(self, kind: str, name: str, data: bytes) -> None:
        """Keep a file exactly as it was received (store/<kind>/<name>), for the record."""
        self._require_writer()
        folder = self.folder / Path(kind).name
        try:
            io.mkdir(folder, mode=0o700, exist_ok=True)
            atomic_write(folder / Path(name).name, data, 0o600)
        except OSError as exc:
            raise SaveFailed(f"could not keep {name} in {folder}: {_why(exc)}") from None

    # --- backups ------------------------------------------------------------------------------

    def _backup(self) -> None:
        folder = self.folder / BACKUPS
        with contextlib.suppress(OSError):
            io.mkdir(folder, mode=0o700, exist_ok=True)
            atomic_write(folder / f"state-{time.strftime('%Y%m%d-%H%M%S')}-e{self._seq:08d}.json",
                         io.read_bytes(self.folder / STATE))
            for old in self.backups()[KEEP_BACKUPS:]:
                io.unlink(old.path)

    def backups(self) -> list[Backup]:
        return list_backups(self.folder)

    # --- the audit chain ----------------------------------------------------------------------

    def events(self) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
        return read_events(self.folder)

    def verify(self) -> VerifyReport:
        """Check the whole chain, and that state.json and the open state hold exactly what it recorded."""
        return verify_files(self.folder, self.tables(), self._seq)

    # --- recovery -----------------------------------------------------------------------------

    @staticmethod
    def restore(folder: Path, *, backup: str | None = None, from_log: bool = False, wait: float = 0.0) -> str:
        """Rebuild a damaged store from its audit log or a backup. Damaged files are kept, never deleted."""
        folder = Path(folder)
        lock = ExclusiveLock(folder / LOCK)
        try:
            lock.acquire(wait)
        except LockTimeout:
            raise StoreLocked(f"the store at {folder} is in use; close selfassess before restoring") from None
        try:
            return _restore(folder, backup, from_log)
        finally:
            lock.release()


def list_backups(folder: Path) -> list[Backup]:
    """Backups of a store folder, newest first."""
    out = []
    for p in (folder / BACKUPS).glob("state-*-e*.json"):
        try:
            stamp, seq = p.stem[len("state-"):].rsplit("-e", 1)
            day, clock = stamp.split("-")
            nice = f"{day[:4]}-{day[4:6]}-{day[6:]} {clock[:2]}:{clock[2:4]}:{clock[4:]}"
            out.append(Backup(p, int(seq), nice, p.stat().st_size))
        except (ValueError, OSError):
            continue
    return sorted(out, key=lambda b: (b.time, b.seq), reverse=True)


def read_events(folder: Path) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """Every line of a store's audit log as (line number, event or None, problem or None)."""
    path = folder / LOG
    if not path.exists():
        return
    with open(path, "rb") as f:
        for n, line in enumerate(f, start=1):
            if not line.endswith(b"\n"):
                yield n, None, "is an unfinished save (no end of line)"
                continue
            try:
                yield n, json.loads(line), None
            except ValueError:
                yield n, None, "is not a readable event"


def verify_files(folder: Path, current: dict[str, Any] | None = None, current_seq: int = 0) -> VerifyReport:
    """Check a store folder's chain, and that state.json (and an open state) hold exactly what it recorded.

    Works on a store too damaged to open, so the user can see what is wrong with it.
    """
    report = VerifyReport(0, audit.GENESIS)
    stored: dict[str, Any] | None = None
    cp_seq, cp_hash = 0, audit.GENESIS
    state_path = folder / STATE
    if state_path.exists():
        try:
            data = json.loads(io.read_bytes(state_path))
            stored, cp_seq, cp_hash = data["tables"], data["checkpoint"]["seq"], data["checkpoint"]["hash"]
            if data.get("digest") != tables_digest(stored):
                report.problems.append(f"{STATE} does not match its own checksum (it was edited outside selfassess)")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            report.problems.append(f"{STATE} cannot be read ({type(exc).__name__})")
            stored = None
    expected: dict[str, dict[str, Any]] = {}
    snapshot: dict[str, Any] | None = {} if cp_seq == 0 else None
    seq, head = 0, audit.GENESIS
    try:
        raw_lines: list[bytes] | None = (folder / LOG).read_bytes().splitlines(keepends=True)
    except OSError:
        raw_lines = None
    for n, event, problem in read_events(folder):
        if problem or event is None:
            report.problems.append(f"{LOG} line {n} {problem}")
            return report
        try:
            audit.check_link(event, seq + 1, head, n)
        except audit.ChainError as exc:
            report.problems.append(f"{LOG} {exc}")
            return report
        if raw_lines is not None and audit.encode(event) != raw_lines[n - 1]:
            report.problems.append(f"{LOG} line {n} (event {event['seq']}): not byte for byte as selfassess wrote it (it was edited)")
            return report
        audit.apply(expected, event)
        seq, head = event["seq"], event["hash"]
        if seq == cp_seq:
            snapshot = copy.deepcopy(expected)
            if head != cp_hash:
                report.problems.append(f"{STATE} checkpoint does not match event {cp_seq} in {LOG}")
    report.events, report.head = seq, head
    if stored is not None:
        if snapshot is None:
            report.problems.append(f"{STATE} records event {cp_seq}, which is not in {LOG} (events were removed)")
        else:
            report.problems += [f"{STATE}: {line}" for line in audit.diff_states(_nonempty(snapshot), _nonempty(stored))]
    if seq < current_seq:
        report.problems.append(f"{LOG} ends at event {seq} but this store has seen event {current_seq} (events were removed)")
    if current is not None:
        report.problems += [f"current state: {line}" for line in audit.diff_states(_nonempty(expected), _nonempty(current))]
    return report


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _nonempty(tables: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in tables.items() if v}


def _user() -> str:
    try:
        import getpass

        return getpass.getuser()
    except Exception:
        return "unknown"


def _restore(folder: Path, backup: str | None, from_log: bool) -> str:
    if not (backup or from_log):
        raise StoreError("say what to restore from: --from-log, or --backup NAME (see: selfassess store backups)")
    log_path, state_path = folder / LOG, folder / STATE
    keep = folder / RECOVERED / f"damaged-{time.strftime('%Y%m%d-%H%M%S')}"
    io.mkdir(keep, mode=0o700, exist_ok=True)
    for p in (state_path, log_path):
        if p.exists():
            atomic_write(keep / p.name, io.read_bytes(p))
    tables: dict[str, dict[str, Any]] = {}
    start_seq, start_head = 0, audit.GENESIS
    store_id = str(uuid.uuid4())
    if backup:
        path = folder / BACKUPS / Path(backup).name
        try:
            data = json.loads(io.read_bytes(path))
            tables, cp = data["tables"], data["checkpoint"]
        except (OSError, ValueError, KeyError) as exc:
            raise StoreError(f"backup {path} cannot be read ({exc})") from None
        if data.get("digest") != tables_digest(tables):
            raise StoreError(f"backup {path} does not match its checksum; choose another backup")
        start_seq, start_head, store_id = cp["seq"], cp["hash"], data.get("store_id", store_id)
    # Walk the log: events up to the backup must be intact; later ones are replayed while they link.
    good_bytes, seq, head, replayed, stopped = 0, 0, audit.GENESIS, 0, ""
    if log_path.exists():
        with open(log_path, "rb") as f:
            for n, line in enumerate(f, start=1):
                try:
                    if not line.endswith(b"\n"):
                        raise ValueError("unfinished")
                    event = json.loads(line)
                    audit.check_link(event, seq + 1, head, n)
                except (ValueError, audit.ChainError) as exc:
                    stopped = f"line {n} ({exc})"
                    break
                if event["seq"] > start_seq:
                    audit.apply(tables, event)
                    replayed += 1
                seq, head = event["seq"], event["hash"]
                good_bytes += len(line)
    if backup and (seq < start_seq or (seq >= start_seq and start_seq and not _chain_has(log_path, start_seq, start_head))):
        raise StoreError(f"the audit log does not hold the history up to the backup (event {start_seq}); "
                         "try an older backup or --from-log")
    data = {
        "format": FORMAT, "store_id": store_id,
        "checkpoint": {"seq": seq, "hash": head, "offset": good_bytes, "time": time.strftime("%Y-%m-%dT%H:%M:%S")},
        "digest": tables_digest(tables), "tables": tables,
    }
    if log_path.exists() and log_path.stat().st_size > good_bytes:
        fd = io.open(log_path, os.O_WRONLY)
        try:
            io.ftruncate(fd, good_bytes)
            io.fsync(fd)
        finally:
            io.close(fd)
    atomic_write(state_path, json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    msg = f"restored the store at {folder} to event {seq}"
    msg += f" from backup {Path(backup).name} plus {replayed} later event(s) from the audit log" if backup else f" by replaying {replayed} event(s) from the audit log"
    if stopped:
        msg += f"; the audit log was unreadable from {stopped}, and what followed was set aside"
    return msg + f". The damaged files were kept in {keep}."


def _chain_has(log_path: Path, seq: int, head: str) -> bool:
    with open(log_path, "rb") as f:
        for line in f:
            try:
                event = json.loads(line)
            except ValueError:
                return False
            if event.get("seq") == seq:
                return event.get("hash") == head
    return False

"""The store: the one module that imports TinyDB, and the only code that writes user data.

Layout of a store folder:
    state.json    checkpoint of every table (TinyDB's data), with the audit-chain position it holds
    audit.log     the audit hash chain, one JSON event per line, append-only: the write-ahead log
    lock          held by a writer for one commit at a time (and for checkpoints, backups, restore);
                  lock.json says who holds it (cleared on release)
    backups/      rotated backups of state.json: hard links to checkpoints written at close (state.json
                  is only ever replaced whole, so a link keeps its bytes), copies where links fail
    evidence/     evidence files, each named by its SHA-256 and kept as added: `evidence` records name
                  them by their sha256; audit verify rehashes every one
    recovered/    bytes set aside during recovery (a torn last line, a damaged store's files)
    base.json     only after restoring a backup whose log was lost: the backup the log starts from
    closed/       records of finished years, out of the checkpoint: each file holds the records of one
                  table whose key (a progress note's action) is one of the values state.json lists for
                  it, is named by its SHA-256 and never changes; read only when a read asks for them

A save appends one event to audit.log and fsyncs it (about the cost of one SQLite commit),
then applies it to the in-memory tables. Several copies (the app, a script, the command line)
write the same store: each takes the lock for one commit only, first replays the events other
copies appended since it last looked (each must link to its head), then appends its own, so the
chain orders every save of every copy. state.json is rewritten atomically (temp file,
fsync, rename, directory fsync) only at checkpoints, so a save never rewrites years of data;
the checkpoint a save asks for is written by a thread beside the saves (see _start_checkpoint).
Opening reads the checkpoint and replays the events after it. What finished years hold (their
actions' progress notes, most of a store's bytes after a few years) is kept in closed/ files that
state.json lists: opening does not read them, and a read that needs them brings them in. The audit
chain covers them as it covers the rest: verify compares the chain with state.json and every closed file.

Store files are never read or written through symbolic links, and everything is created
owner-only (folders 0700, files 0600) whatever the umask.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import gc
import hashlib
import json
import operator
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Table

from .. import collector
from ..core import audit
from ..core.audit import Change, VerifyReport
from ..core.errors import SelfAssessError
from ..core.model import ATOM_TYPES
from ..files import NOFOLLOW, WriteFailed, atomic_write, fsync_dir, write_all
from ..files import disk as io  # the store's disk calls: tests inject failures through store.io
from ..files import why as _why
from ..paths import login_name, make_private_dir

if os.name == "posix":
    import fcntl  # imported once: a commit takes and lets go of the lock

STATE, LOG, LOCK, LOCK_INFO = "state.json", "audit.log", "lock", "lock.json"
BACKUPS, RECOVERED = "backups", "recovered"
BASE = "base.json"  # after a restore from a backup without its log: the backup the log starts from
EVIDENCE = "evidence"  # the folder of evidence files, and the table of records that name them by "sha256"
CLOSED = "closed"  # the folder of finished years' records (see Store.close_records)
STORE_FILES = (STATE, LOG, LOCK, LOCK_INFO, BACKUPS, RECOVERED, BASE, EVIDENCE, CLOSED)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# Format 2: state.json's digest covers the checkpoint's position (seq, hash, offset) as well as
# the tables, so moving the offset is caught. Format 3: it also covers the list of closed files
# (records kept out of state.json). Format 1 and 2 stores still open, and are written as format 3
# at their next checkpoint (an older selfassess then refuses the store rather than miss records).
FORMAT = 3
CHECKPOINT_EVERY = 2000  # events replayed at open stay cheap; checkpoints stay rare
# How long a writer waits for the lock when not told (--wait): a commit holds it for milliseconds,
# a checkpoint or backup for well under a second, so a few seconds means something is wrong.
COMMIT_WAIT = 3.0
ENCODED_KEPT = 512  # saved records whose log bytes are kept for the next save of each (see Store._known_before)
NOTE_SIZE = 512  # lock.json is rewritten in place at this size (or its longest note): never a torn tail
KEEP_BACKUPS = 10


# The cyclic garbage collector and a store of realistic age. The tables hold tens of thousands of
# records, and each collection of the oldest generation walks every one of them (25 ms at twenty
# years): a save that happens to trigger one waits for it. Records are plain and acyclic, freed by
# reference counting alone, so once loaded they are moved out of the collector's reach
# (gc.freeze). A small store is left alone: its walk costs nothing.
FREEZE_AT = 10_000  # records


def _freeze_tables(tables: dict[str, dict[str, Any]]) -> None:
    """After loading a large store: collect what is garbage now, then freeze everything alive.

    What is frozen is never collected as a cycle, only freed by reference counting: collecting
    first means nothing already garbage is kept; an object alive now that later becomes part of
    a garbage cycle is kept for the life of the process (bounded by what is alive at an open)."""
    if sum(len(t) for t in tables.values()) >= FREEZE_AT:
        gc.collect()
        gc.freeze()


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


class ChangedMeanwhile(StoreError):
    """Another copy changed a record this save changes, after it was read and before the save: nothing saved."""


class SaveFailed(StoreError, WriteFailed):
    """Anything that could not be written: saving, opening for writing, a checkpoint, a restore."""

    exit_code = 5


class StoreNotWritable(SaveFailed):
    """The store's folder cannot be written at all (read-only media, no permission): it can still be read."""

    def __init__(self, message: str, why: str):
        super().__init__(message)
        self.why = why  # in words: "the disk is read-only", "permission was denied"


_NOT_WRITABLE = (errno.EROFS, errno.EACCES, errno.EPERM)


def _cannot_write(what: str, folder: Path, exc: OSError) -> SaveFailed:
    """Read-only media or no permission is StoreNotWritable (a reader still works); anything else a failure."""
    message = f"{what} {folder}: {_why(exc)}"
    if exc.errno in _NOT_WRITABLE or isinstance(exc, PermissionError):
        return StoreNotWritable(message, _why(exc))
    return SaveFailed(message)


def tables_digest(tables: dict[str, Any]) -> str:
    return hashlib.sha256(audit.canonical(tables)).hexdigest()


def state_digest(data: dict[str, Any]) -> str:
    """The checksum a state.json (or a backup of one) carries.

    Format 1 covered only the tables; format 2 also covers where the checkpoint stands in the log
    (and where the log starts, after a restore from a backup without its log).
    """
    if data.get("format", 1) < 2:
        return tables_digest(data["tables"])
    cp = data["checkpoint"]
    covered = {"format": data["format"], "store_id": data.get("store_id"), "log_start": data.get("log_start"),
               "checkpoint": {"seq": cp["seq"], "hash": cp["hash"], "offset": cp["offset"]}, "tables": data["tables"]}
    if data["format"] >= 3:
        covered["closed"] = data.get("closed", [])
    return hashlib.sha256(audit.canonical(covered)).hexdigest()


def _covered_prefix(fmt: int, store_id: Any, checkpoint: dict[str, Any], log_start: Any, closed: list[Any]) -> bytes:
    """The bytes the digest covers before the tables: canonical form puts the keys in this order."""
    cp = {"seq": checkpoint["seq"], "hash": checkpoint["hash"], "offset": checkpoint["offset"]}
    return (b'{"checkpoint":' + audit.canonical(cp) + (b',"closed":' + audit.canonical(closed) if fmt >= 3 else b"")
            + b',"format":' + str(fmt).encode() + b',"log_start":' + audit.canonical(log_start or None)
            + b',"store_id":' + audit.canonical(store_id) + b',"tables":')


def state_intact(raw: bytes, data: dict[str, Any]) -> bool:
    """Whether a state.json matches its own checksum.

    write_state writes the tables in canonical form, so the bytes of the file are the bytes the
    digest covers: hashing them (a fraction of a second for years of records) stands in for
    encoding every record again. A file whose tables are not laid out that way (an older writer,
    an edit by hand) is checked the long way, record by record."""
    digest = data.get("digest")
    if not isinstance(digest, str):
        return False
    fmt = data.get("format", 1)
    if fmt >= 2 and list(data)[-2:] == ["tables", "digest"]:
        head = {k: v for k, v in data.items() if k not in ("tables", "digest")}
        lead = json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1].encode("utf-8") + b',"tables":'
        tail = b',"digest":"' + digest.encode() + b'"}'
        if raw.startswith(lead) and raw.endswith(tail):
            prefix = _covered_prefix(fmt, data.get("store_id"), data["checkpoint"], data.get("log_start"),
                                     data.get("closed", []))
            if hashlib.sha256(prefix + raw[len(lead):len(raw) - len(tail)] + b"}").hexdigest() == digest:
                return True
    return digest == state_digest(data)


def state_document(store_id: str, checkpoint: dict[str, Any], tables: dict[str, Any],
                   log_start: dict[str, Any] | None = None, closed: list[dict[str, Any]] | None = None) -> bytes:
    """The bytes of a state.json, in the current format."""
    data: dict[str, Any] = {"format": FORMAT, "store_id": store_id, "checkpoint": checkpoint, "closed": closed or []}
    if log_start:
        data["log_start"] = log_start
    data["tables"] = tables
    data["digest"] = state_digest(data)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))
_CHUNK = 256  # records serialised between writes: a checkpoint in the background lets a save in between
_PAUSE = 0.0005  # and sleeps this long there: a thread only giving up the interpreter often takes it straight back


def write_state(fd: int, store_id: str, checkpoint: dict[str, Any], tables: dict[str, dict[str, Any]],
                log_start: dict[str, Any] | None = None, closed: list[dict[str, Any]] | None = None, *,
                yielding: bool = False) -> None:
    """Write a state.json (current format) to fd record by record, its digest hashed on the way.

    The same document state_document makes, but never held in memory whole, and with the tables in
    canonical form (sorted keys and ids), so the bytes written are the bytes the digest covers:
    one pass. yielding: let other threads run between chunks (a background checkpoint must not
    hold up a save for longer than a chunk takes)."""
    log_start = log_start or None
    closed = closed or []
    digest = hashlib.sha256()
    digest.update(_covered_prefix(FORMAT, store_id, checkpoint, log_start, closed))
    head = {"format": FORMAT, "store_id": store_id, "checkpoint": checkpoint, "closed": closed}
    if log_start:
        head["log_start"] = log_start
    out = [json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1].encode("utf-8") + b',"tables":']
    size = 0

    def emit(part: str) -> None:
        nonlocal size
        data = part.encode("utf-8")
        digest.update(data)
        out.append(data)
        size += 1
        if size >= _CHUNK:
            flush()

    def flush() -> None:
        nonlocal size
        write_all(fd, b"".join(out))
        out.clear()
        size = 0
        if yielding:
            time.sleep(_PAUSE)

    emit("{")
    for t, name in enumerate(sorted(tables)):
        records = tables[name]
        emit(("," if t else "") + _CANONICAL.encode(name) + ":{")
        first = True
        # Sorted in pieces by first character (the same order as one sort of every id): a sort of a
        # hundred thousand ids holds the interpreter for tens of milliseconds, a piece for a few.
        buckets: dict[str, list[str]] = {}
        for rid in records:
            buckets.setdefault(rid[:1], []).append(rid)
        for key in sorted(buckets):
            for rid in sorted(buckets[key]):
                emit(("" if first else ",") + _CANONICAL.encode(rid) + ":" + _CANONICAL.encode(records[rid]))
                first = False
            if yielding:
                time.sleep(_PAUSE)
        emit("}")
    emit("}")
    tail = b"}"
    digest.update(tail)
    out.append(b',"digest":"' + digest.hexdigest().encode() + b'"}')
    flush()


def parse_state(raw: bytes | str) -> dict[str, Any]:
    """A state.json's content, checked for shape (ValueError if it is not one). The digest is checked by callers."""
    try:
        data = json.loads(raw)
        tables, cp = data["tables"], data["checkpoint"]
        fmt = data.get("format", 1)
        log_start = data.get("log_start")
        closed = data.get("closed", [])
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError("unreadable JSON or missing parts") from exc
    if not (isinstance(tables, dict) and all(isinstance(t, dict) for t in tables.values()) and isinstance(cp, dict)
            and isinstance(fmt, int) and not isinstance(fmt, bool)
            and _count(cp.get("seq")) and _count(cp.get("offset")) and isinstance(cp.get("hash"), str)
            and (log_start is None or (isinstance(log_start, dict) and _count(log_start.get("seq"))
                                       and isinstance(log_start.get("hash"), str)))
            and isinstance(closed, list) and all(_closed_entry(e) for e in closed)):
        raise ValueError("missing or malformed parts")
    return cast(dict[str, Any], data)


def _closed_entry(entry: Any) -> bool:
    """One closed file as state.json lists it: its SHA-256, the table and key it holds, the key's values."""
    return (isinstance(entry, dict) and isinstance(entry.get("sha256"), str) and bool(_SHA256.match(entry["sha256"]))
            and isinstance(entry.get("table"), str) and isinstance(entry.get("key"), str)
            and isinstance(entry.get("values"), list) and all(isinstance(v, str) for v in entry["values"])
            and _count(entry.get("records")) and isinstance(entry.get("label", ""), str))


def with_closed(folder: Path, data: dict[str, Any]) -> dict[str, Any]:
    """A parsed state.json's tables with the records of every closed file it lists put back in.
    ValueError names the first closed file that cannot be used."""
    tables: dict[str, Any] = data["tables"]
    for entry in data.get("closed", []):
        records = read_closed(folder, entry)
        live = tables.setdefault(entry["table"], {})
        both = live.keys() & records.keys()
        if both:
            raise ValueError(f"{CLOSED}/{entry['sha256']}.json holds {len(both)} record(s) that {STATE} holds too")
        live.update(records)
    return tables


def closed_path(folder: Path, entry: dict[str, Any]) -> Path:
    return folder / CLOSED / f"{entry['sha256']}.json"


def closed_document(table: str, key: str, records: dict[str, Any]) -> bytes:
    """The bytes of a closed file: canonical, so the same records always make the same file (and name)."""
    return audit.canonical({"format": FORMAT, "key": key, "records": records, "table": table})


def read_closed(folder: Path, entry: dict[str, Any]) -> dict[str, Any]:
    """The records of one closed file, checked against its name, the entry state.json keeps for it,
    and the values it lists. ValueError says, in words, what is wrong with it."""
    path = closed_path(folder, entry)
    what = f"{CLOSED}/{path.name} (the {entry['table']} records of {entry.get('label') or 'a finished year'})"
    if path.is_symlink():
        raise ValueError(f"{what} is a symbolic link: selfassess does not read store files through links")
    try:
        raw = io.read_bytes(path)
    except FileNotFoundError:
        raise ValueError(f"{what} is missing") from None
    except OSError as exc:
        raise ValueError(f"{what} cannot be read ({_why(exc)})") from None
    if hashlib.sha256(raw).hexdigest() != entry["sha256"]:
        raise ValueError(f"{what} was changed outside selfassess (its content no longer matches its name)")
    try:
        data = json.loads(raw)
        records = data["records"]
        ok = (data.get("table"), data.get("key")) == (entry["table"], entry["key"]) and isinstance(records, dict)
    except (ValueError, KeyError, TypeError):
        ok = False
    if not ok or len(records) != entry["records"]:
        raise ValueError(f"{what} is not the file state.json lists")
    values = set(entry["values"])
    if not all(isinstance(r, dict) and r.get(entry["key"]) in values for r in records.values()):
        raise ValueError(f"{what} holds records that are not among the ones state.json lists for it")
    return cast(dict[str, Any], records)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def linked_files(folder: Path) -> list[str]:
    """Store files (and backups) that are symbolic links: never read or written through."""
    out = [name for name in STORE_FILES if (folder / name).is_symlink()]
    if BACKUPS not in out:
        with contextlib.suppress(OSError):
            out += [f"{BACKUPS}/{p.name}" for p in sorted((folder / BACKUPS).iterdir()) if p.is_symlink()]
    return out


def _target(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"


def _links_refused(folder: Path, names: list[str]) -> str:
    where = ", ".join(f"{n} (to {_target(folder / n)})" for n in names)
    return (f"the store at {folder} cannot be opened: {where} is a symbolic link. selfassess never reads or writes "
            "store files through links, which could put your data outside the data folder. Replace each link with "
            "the file it points to (or move that file into the store folder), then try again. Nothing was changed.")


class LockTimeout(Exception):
    pass


class ExclusiveLock:
    """One writer at a time: an OS lock on a file, released by the OS if the process dies.

    flock on POSIX (cheap to import, never stale); the filelock package elsewhere. The file stays
    open between acquisitions (a store takes the lock once per commit); close() lets it go.
    """

    def __init__(self, path: Path):
        self.path = path
        self._fd: int | None = None
        self._held = False
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
        if self._fd is None:
            self._fd = io.open(self.path, os.O_RDWR | os.O_CREAT | NOFOLLOW, 0o600)
        deadline = time.monotonic() + wait
        pause = 0.001  # another commit is over in milliseconds: look again soon, then less often
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                if os.fstat(self._fd).st_nlink == 0:
                    # The lock file was deleted (someone took it for a stale lock) or replaced: a copy
                    # opened since locks the file at the path, so that is the one to hold.
                    os.close(self._fd)
                    self._fd = io.open(self.path, os.O_RDWR | os.O_CREAT | NOFOLLOW, 0o600)
                    continue
                self._held = True
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockTimeout() from None
                time.sleep(pause)
                pause = min(pause * 2, 0.05)
            except OSError:
                self.close()
                raise

    def release(self) -> None:
        if self._other is not None:  # pragma: no cover - Windows
            self._other.release()
            self._other = None
        if self._fd is not None and self._held:
            with contextlib.suppress(OSError):
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._held = False

    def close(self) -> None:
        self.release()
        if self._fd is not None:
            with contextlib.suppress(OSError):
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


@dataclass(frozen=True)
class Backup:
    path: Path
    seq: int
    time: str
    size: int


class Store:
    """One store folder, opened for writing or for reading.

    Any number of copies may have it open for writing: the lock is held for one commit (or
    checkpoint, backup, restore) at a time, and each commit first replays what the others wrote.
    """

    def __init__(self, folder: Path, *, writer: bool = True, wait: float = 0.0, command: str = "selfassess"):
        self.folder = Path(folder)
        self._log_path = self.folder / LOG  # looked at before every commit
        self.writer = writer
        self.notices: list[str] = []  # things recovered at open or found while saving, to tell the user once
        self._lock: ExclusiveLock | None = None
        self._held = 0  # how many holds of the lock are open (_take_lock): it is taken once, at the outermost
        self._wait = wait if wait > 0 else COMMIT_WAIT
        self._command = command
        self._note_fd: int | None = None  # lock.json, kept open: rewritten in place at every commit
        self._note_size = 0
        self._who: str | None = None  # the lock note's user, host and command, looked up once (getpwuid is slow)
        self._notes: tuple[int, bytes, bytes] | None = None  # this second's two lock notes (see _lock_notes)
        self._released_note = b""  # the note _let_go writes: built with the one written on taking the lock
        # The records this copy saved last, as encoded in the log: the next save of one names it as its
        # `before`, which then is not encoded again (see _known_before).
        self._encoded: dict[tuple[str, str], tuple[dict[str, Any], bytes]] = {}
        self._fd: int | None = None
        self._broken: str | None = None
        self._tail = 0
        self._seen_size = -1  # the log's size when last looked at: an unchanged size costs one lseek
        self._others: list[dict[str, Any]] = []  # events other copies wrote, replayed here, not yet taken
        self._log_start: dict[str, Any] | None = None
        # A checkpoint due after a save is written by a thread of its own (see _start_checkpoint):
        # this mutex keeps it and this copy's commits from holding the lock at once.
        self._mutex = threading.Lock()
        self._job: threading.Thread | None = None
        # The closed files' bookkeeping is read by this copy's reads and commits and updated by its
        # checkpoint thread once a checkpoint is renamed into place: one at a time.
        self._closed_guard = threading.RLock()
        self._generation = 0  # moves on whenever the tables are read again from disk (a restore by another copy)
        self._changed: dict[str, int] = {}  # changes applied to each table since the tables were read (see version)
        self._log_id: tuple[int, int] | None = None  # (device, inode) of the log open for appending
        self._replaced_kept: Path | None = None  # where _keep_replaced_log copied the log it lost
        linked = linked_files(self.folder)
        if linked:
            raise StoreDamaged(_links_refused(self.folder, linked))
        if why := _not_a_folder(self.folder):
            raise StoreDamaged(why)
        # Looked for before this open leaves its own lock note, and only when there is no state to open.
        self._used = None if (self.folder / STATE).exists() else evidence_of_use(self.folder)
        try:
            if writer:
                try:
                    io.mkdir(self.folder, mode=0o700, exist_ok=True)
                except OSError as exc:
                    raise _cannot_write("cannot create the store folder", self.folder, exc) from None
                self._lock = ExclusiveLock(self.folder / LOCK)
                with self._locked():
                    self._load()
            else:
                self._load()
        except BaseException:
            if self._fd is not None:
                with contextlib.suppress(OSError):
                    io.close(self._fd)
                self._fd = None
            self._close_files()
            raise

    # --- opening ------------------------------------------------------------------------------

    @property
    def readonly(self) -> bool:
        return not self.writer

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the writer lock for one commit, checkpoint or backup (re-entrant within this store)."""
        self._take_lock()
        try:
            yield
        finally:
            self._let_go()

    def _take_lock(self) -> None:
        """Take the writer lock, or count one more hold of it (re-entrant): _let_go undoes each.
        A commit calls the pair itself, as _locked does, without a generator per save."""
        if self._held:
            self._held += 1
            return
        lock = self._lock
        if lock is None:
            raise SaveFailed("the store is closed; nothing was saved")
        if not self._mutex.acquire(timeout=self._wait):  # a checkpoint thread holds it for a rename
            raise StoreLocked(f"the store at {self.folder} is busy: this copy's own checkpoint has held it for more "
                              f"than {self._wait:g} seconds. Nothing was changed. Try again in a moment.", "this copy")
        try:
            lock.acquire(self._wait)
        except LockTimeout:
            self._mutex.release()
            who = self._holder()
            raise StoreLocked(f"the store at {self.folder} is busy: {who} has held it for more than {self._wait:g} "
                              "seconds, though a save takes milliseconds. Nothing was changed. Try again in a moment, "
                              "or retry with --wait SECONDS; if it stays busy, that copy may be stuck: close it. "
                              "Read-only commands (assessments, actions, export, audit verify) still work.", who) from None
        except OSError as exc:
            self._mutex.release()
            raise _cannot_write("cannot lock the store", self.folder, exc) from None
        self._held = 1
        held, self._released_note = self._lock_notes()
        try:
            self._write_note(held)
        except BaseException:
            self._let_go()
            raise

    def _let_go(self) -> None:
        if self._held > 1:
            self._held -= 1
            return
        self._held = 0
        # Cleared while still held: a copy that fails to take the lock never names one that has let go.
        self._write_note(self._released_note)
        lock = self._lock
        if lock is not None:
            lock.release()
        self._mutex.release()

    def _lock_notes(self) -> tuple[bytes, bytes]:
        """The note written on taking the lock and the one on letting go, padded to the note's size:
        built once a second (only the time in them changes), not twice for every save."""
        now = int(time.time())
        if self._notes is None or self._notes[0] != now:
            if self._who is None:  # the note's fixed part, as JSON: only the process and the time change
                self._who = (f'{{"user": {json.dumps(login_name())}, "host": {json.dumps(socket.gethostname())}, '
                             f'"command": {json.dumps(self._command)}, ')
            since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now))
            held = f'{self._who}"pid": {os.getpid()}, "since": "{since}"}}'.encode()
            released = f'{{"released": "{since}", "pid": {os.getpid()}}}'.encode()
            size = max(NOTE_SIZE, len(held), len(released))
            self._notes = (now, held.ljust(size), released.ljust(size))
        return self._notes[1], self._notes[2]

    def _write_note(self, data: bytes) -> None:
        """Who holds the lock, for a copy kept waiting to name. A courtesy: a full disk must not stop a save.

        Written twice per commit, so in place (one pwrite over the same bytes, padded with spaces, which
        JSON ignores) rather than a new file renamed over the old: no new blocks for a journal commit to
        wait on. No fsync: a note lost in a crash names a process that is gone, which _holder checks.
        Straight to os, not through io: whether it lands never changes what a save claims.
        """
        try:
            if self._note_fd is None:
                self._note_fd = os.open(self.folder / LOCK_INFO, os.O_WRONLY | os.O_CREAT | NOFOLLOW, 0o600)
                os.ftruncate(self._note_fd, 0)
                self._note_size = 0
            self._note_size = max(self._note_size, len(data), NOTE_SIZE)
            os.pwrite(self._note_fd, data.ljust(self._note_size), 0)
        except OSError:
            pass

    def _holder(self) -> str:
        """Who holds the lock, from the note the holder left: user, host, process, command, since.

        The holder writes its note just after taking the lock and clears it just before letting go,
        so between two holders the note may be the last one's, or cleared: a note naming a process
        on this machine that is no longer running is not believed.
        """
        info = _live_holder(self.folder)
        if info is None:
            return "another copy of selfassess"
        return (f"{info.get('user', '?')} on {info.get('host', '?')} (process {info['pid']}, "
                f"running '{info.get('command', 'selfassess')}', since {info.get('since', '?')})")

    def _load(self) -> None:
        state_path, log_path = self.folder / STATE, self.folder / LOG
        self._generation += 1
        self._changed = {}
        if self._held:  # no other writer is between a temp file and its rename now
            self._clean_temp_files()
        log_exists = log_path.exists() and log_path.stat().st_size > 0
        if not state_path.exists():
            if log_exists:
                raise StoreDamaged(self._damaged(f"{STATE} is missing but {LOG} holds the history",
                                                 "selfassess store restore --from-log"))
            if self._used:
                raise StoreDamaged(self._both_missing(self._used))
            self.store_id = str(uuid.uuid4())
            self._checkpoint: dict[str, Any] = {"seq": 0, "hash": audit.GENESIS, "offset": 0, "time": ""}
            self._closed: list[dict[str, Any]] = []
            tables: dict[str, Any] = {}
        else:
            tables = self._read_state(state_path)
        self._db = _DB(storage=_State, data=tables)
        self._indexes: dict[tuple[str, str], dict[Any, set[str]]] = {}
        # Closed files (see close_records): state.json's list, the values each holds, those not read
        # yet, the ids of those read (kept out of the next checkpoint), and those a change reopened
        # (their records go back into state.json at the next checkpoint).
        self._values = {e["sha256"]: frozenset(e["values"]) for e in self._closed}
        self._unread = {e["sha256"]: e for e in self._closed}
        self._read_ids: dict[str, set[str]] = {}
        self._reopened: set[str] = set()
        self._closed_changed()
        self._seq, self._head = self._checkpoint["seq"], self._checkpoint["hash"]
        self._log_size = self._checkpoint["offset"]
        self._replay_tail(log_path)
        if self.writer:  # the store that saves, kept open for a session (a reader is mostly opened for a moment)
            _freeze_tables(self._tables)
        if self.writer:
            try:
                self._fd = io.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | NOFOLLOW, 0o600)
                st = os.fstat(self._fd)
                self._log_id = (st.st_dev, st.st_ino)  # the file appended to: refresh checks the path still names it
                if not state_path.exists():
                    self.checkpoint()
                    fsync_dir(self.folder)
            except OSError as exc:
                error = _cannot_write("cannot open for writing the store", self.folder, exc)
                raise type(error)(f"{error}. Nothing was changed.", *([error.why] if isinstance(error, StoreNotWritable) else [])) from None
            self._seen_size = self._log_size
            if self._tail >= CHECKPOINT_EVERY:
                self._start_checkpoint()  # opening does not wait for it either

    def _both_missing(self, evidence: str) -> str:
        backups = self._sound_backups()
        if backups:
            fix = (f"restore the newest backup ({backups[0].time}, event {backups[0].seq}): "
                   f"selfassess store restore --backup {backups[0].path.name} (selfassess store backups lists them all)")
        else:
            fix = ("if you are sure its history is gone, start it again empty with: selfassess store restore --from-log")
        return (f"the store at {self.folder} cannot be opened: {STATE} and {LOG} are both missing, but this store "
                f"was used before ({evidence}). It is not started afresh, so nothing is silently lost. To recover, {fix}.")

    def _clean_temp_files(self) -> None:
        for p in self.folder.glob(".*.tmp"):
            with contextlib.suppress(OSError):
                io.unlink(p)

    def _damaged(self, what: str, fix: str, *, doing: str = "opened", backups: bool = True) -> str:
        """backups: offer the newest backup too (not for a closed file: every backup lists the same one)."""
        sound = self._sound_backups() if backups else []
        offer = f" or restore the newest backup ({sound[0].time}): selfassess store restore --backup {sound[0].path.name}" if sound else ""
        return (f"the store at {self.folder} cannot be {doing}: {what}. Nothing has been changed or discarded. "
                f"To recover, run: {fix}{offer}. To see what differs: selfassess audit verify")

    def _read_state(self, path: Path) -> dict[str, Any]:
        try:
            raw = io.read_bytes(path)
        except OSError as exc:
            raise StoreDamaged(self._damaged(f"{STATE} cannot be read ({_why(exc)})", "selfassess store restore --from-log")) from None
        if not raw.strip():
            raise StoreDamaged(self._damaged(f"{STATE} is empty ({len(raw)} bytes)", "selfassess store restore --from-log"))
        try:
            data = parse_state(raw)
        except ValueError:
            raise StoreDamaged(self._damaged(f"{STATE} is not a selfassess store file (unreadable JSON or missing parts)",
                                             "selfassess store restore --from-log")) from None
        if data.get("format", 1) > FORMAT:
            raise StoreError(f"the store at {self.folder} was written by a newer selfassess (store format "
                             f"{data['format']}); upgrade selfassess to open it")
        if not state_intact(raw, data):
            raise StoreDamaged(self._damaged(f"{STATE} was changed outside selfassess (its content no longer matches its checksum)",
                                             "selfassess store restore --from-log"))
        self.store_id = data.get("store_id") or str(uuid.uuid4())
        self._checkpoint = data["checkpoint"]
        self._log_start = data.get("log_start")
        self._closed = list(data.get("closed", []))
        return cast(dict[str, Any], data["tables"])

    def _replay_tail(self, log_path: Path, others: list[dict[str, Any]] | None = None) -> None:
        """Apply the events after what this store has seen (the checkpoint, at open).

        Every complete line must be the next event of the chain: one that hashes and links is
        replayed (it may have been acknowledged, or written by another copy), one that does not
        stops the store as damage. A last line without its end of line is set aside only under
        the lock (then no one is writing it: it is a write that never returned); without the lock
        it may be another copy's save under way, and is left for later.
        """
        if not log_path.exists():
            if self._log_size:
                raise StoreDamaged(self._damaged(f"{LOG} is missing", "selfassess store restore --backup NAME"))
            return
        size = log_path.stat().st_size
        if size < self._log_size:
            raise StoreDamaged(self._damaged(f"{LOG} is shorter than the last checkpoint expects (it was truncated or replaced)",
                                             "selfassess store restore --from-log"))
        try:
            data = io.read_from(log_path, self._log_size) if size > self._log_size else b""
        except OSError as exc:
            raise StoreDamaged(self._damaged(f"{LOG} cannot be read ({_why(exc)})", "selfassess store restore --from-log")) from None
        *complete, torn = data.split(b"\n")
        for line in complete:
            try:
                event = json.loads(line)
                audit.check_link(event, self._seq + 1, self._head, 0)
            except (ValueError, audit.ChainError) as exc:
                line_no = self._line_number(log_path, self._log_size)
                reason = exc.reason if isinstance(exc, audit.ChainError) else "is not a readable event"
                raise StoreDamaged(self._damaged(f"{LOG} line {line_no} {reason}", "selfassess store restore --from-log")) from None
            self._apply(event)
            self._seq, self._head = event["seq"], event["hash"]
            self._log_size += len(line) + 1  # as each event is applied: a failure later leaves a true position
            self._tail += 1
            if others is not None:
                others.append(event)
        if self.writer and self._held and torn:
            if torn.strip(b"\0"):
                self.notices.append(f"an unfinished save ({len(torn)} bytes) was found at the end of {LOG}; "
                                    f"it was never confirmed, and has been set aside in {self.folder / RECOVERED}")
            self._set_aside_torn_tail(log_path, torn)

    def _line_number(self, path: Path, offset: int) -> int:
        with os.fdopen(os.open(path, os.O_RDONLY | NOFOLLOW), "rb") as f:
            return f.read(offset).count(b"\n") + 1

    def _set_aside_torn_tail(self, log_path: Path, torn: bytes) -> None:
        try:
            rec = self.folder / RECOVERED
            io.mkdir(rec, mode=0o700, exist_ok=True)
            atomic_write(rec / f"torn-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}.log", torn)
            fd = io.open(log_path, os.O_WRONLY | NOFOLLOW)
            try:
                io.ftruncate(fd, self._log_size)
                io.fsync(fd)
            finally:
                io.close(fd)
        except OSError as exc:
            raise SaveFailed(f"cannot tidy an unfinished save at the end of {log_path}: {_why(exc)}. "
                             "Nothing was changed; it is tried again next time.") from None

    @property
    def _tables(self) -> dict[str, Any]:
        """TinyDB's data: every table, as held in memory."""
        return cast(_State, self._db.storage).data

    # --- what other copies wrote ----------------------------------------------------------------

    def refresh(self) -> int:
        """Replay the events other copies appended since this store last looked; how many there were.

        Cheap when nothing changed: one lseek (or stat, for a reader; under the lock, the one stat
        that also shows whether the log was replaced). A complete line another copy appended is an
        event like any other; an unfinished last line is left alone unless the lock is held (see
        _replay_tail). If the log became shorter (another copy restored the store), everything is
        read again from state.json.
        """
        log_path = self._log_path
        at_path = None
        if self._held and self._fd is not None:
            try:  # noqa: SIM105 - once per save: not a context manager built for it
                at_path = os.stat(log_path, follow_symlinks=False)
            except OSError:
                pass  # missing or unreadable: _replay_tail says which
        if at_path is not None and (at_path.st_dev, at_path.st_ino) == self._log_id:
            size = at_path.st_size  # the very file open here: its length without an lseek as well
            if size == self._log_size and self._seen_size == size:
                # Under the lock, the file at the path the one open, exactly as long as what was
                # applied: nothing to replay and no unfinished tail to set aside.
                return 0
        elif at_path is not None:
            size = self._follow_replaced_log(log_path)
        else:
            try:
                size = _end(self._fd) if self._fd is not None else log_path.stat().st_size
            except FileNotFoundError:
                size = 0
            except OSError as exc:
                raise StoreDamaged(self._damaged(f"{LOG} cannot be read ({_why(exc)})",
                                                 "selfassess store restore --from-log")) from None
            if size == self._seen_size and not self._held:
                return 0
        before = len(self._others)
        if size < self._log_size:
            self._reload()
        else:
            self._replay_tail(log_path, self._others)
        self._seen_size = size
        return len(self._others) - before

    def _follow_replaced_log(self, log_path: Path) -> int:
        """Under the lock, the file at the log's path is not the one open for appending: something
        replaced it (a sync tool, a copy put back). A save appended to the old one would be lost with
        it, so the new file is opened instead, if it holds this store's history as far as it was
        applied (its line there is this store's last event); then its length. Else damage, named."""
        try:
            fd = io.open(log_path, os.O_WRONLY | os.O_APPEND | NOFOLLOW)
        except OSError as exc:
            raise StoreDamaged(self._damaged(f"{LOG} was replaced while open, and the new file cannot be opened "
                                             f"({_why(exc)})", "selfassess store restore --from-log", doing="read")) from None
        try:
            st = os.fstat(fd)
            size = st.st_size
            holds = size >= self._log_size and _line_ends(log_path, self._log_size, self._seq, self._head)
        except OSError:
            holds = False
        if not holds:
            io.close(fd)
            # Not "restore --from-log": that would rebuild the store from the file that replaced it.
            kept = self._keep_replaced_log()
            where = (f"The log this store was writing is kept in {kept}: put it back as {LOG}" if kept
                     else f"Put back the {LOG} it replaced")
            raise StoreDamaged(
                f"the store at {self.folder} cannot be saved to: {LOG} was replaced while open by a file that does "
                f"not hold this store's history as saved so far (up to event {self._seq}), so nothing more is saved "
                f"to it. Nothing was changed. {where} (moving the new one aside first), then open selfassess again. "
                "To see what differs: selfassess audit verify")
        if self._fd is not None:  # the file no longer at the path: nothing more goes to it
            with contextlib.suppress(OSError):
                io.close(self._fd)
        self._fd, self._log_id = fd, (st.st_dev, st.st_ino)
        self._seen_size = -1  # read what the new file holds beyond what was applied
        return size

    def _keep_replaced_log(self) -> Path | None:
        """The log this store was appending to, no longer at its path: copied into recovered/ while it
        is still open here (through /proc on Linux), so the saves only it holds can be put back. Once
        per store; None where it cannot be read."""
        if self._replaced_kept is not None or self._fd is None:
            return self._replaced_kept
        rec = self.folder / RECOVERED
        dest = rec / f"replaced-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}.log"
        try:
            src = io.open(f"/proc/self/fd/{self._fd}", os.O_RDONLY)  # a link by nature: no NOFOLLOW
        except OSError:
            return None
        try:
            io.mkdir(rec, mode=0o700, exist_ok=True)
            out = io.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW, 0o600)
            try:
                while chunk := os.read(src, 1 << 20):
                    write_all(out, chunk)
                io.fsync(out)
            finally:
                io.close(out)
            fsync_dir(rec)
        except OSError:
            with contextlib.suppress(OSError):
                io.unlink(dest)
            return None
        finally:
            io.close(src)
        self._replaced_kept = dest
        return dest

    def _reload(self) -> None:
        """Read the store again from disk, as at open: another copy restored it."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                io.close(self._fd)
            self._fd = None
        self._tail = 0
        self._load()
        self._others.append({"seq": self._seq, "actor": "another copy of selfassess", "action": "store.restore",
                             "summary": "restored the store", "changes": []})

    def take_others(self) -> list[dict[str, Any]]:
        """The events other copies wrote that this store has replayed since the last call (oldest first)."""
        self.refresh()
        taken, self._others = self._others, []
        return taken

    def _fresh(self) -> None:
        # A writer reads the latest: a check made before a save (is it frozen? which version?) must see
        # what other copies saved. One lseek per read; reading and replaying only when the log grew.
        if self._fd is not None and not self._held and _end(self._fd) != self._seen_size:
            with contextlib.suppress(StoreError):  # damage is for a save or the app's poll to report, not a read
                self.refresh()

    def _keep_warning(self, warning: str | None) -> None:
        if warning and warning not in self.notices:
            self.notices.append(warning)

    # --- reading ------------------------------------------------------------------------------

    def get(self, table: str, record_id: str) -> dict[str, Any] | None:
        self._fresh()
        doc = self._tables.get(table, {}).get(record_id)  # by UUID: O(1), as TinyDB's get(doc_id=...) would be
        if doc is None and self._unread:
            self._bring_in(table)
            doc = self._tables.get(table, {}).get(record_id)
        return dict(doc) if doc is not None else None

    def all(self, table: str) -> list[dict[str, Any]]:
        self._fresh()
        self._bring_in(table)
        return [dict(d) for d in self._db.table(table).all()]

    def find(self, table: str, **equal: Any) -> list[dict[str, Any]]:
        """Records whose fields equal the values given, through an in-memory index (no table scan)."""
        if not equal:
            return self.all(table)
        self._fresh()
        self._bring_in(table, equal)
        raw = self._tables.get(table, {})
        candidates: set[str] | frozenset[str] | None = None
        for key, value in equal.items():
            ids = self._index(table, key).get(_hashable(value), _NO_IDS)
            candidates = ids if candidates is None else candidates & ids
            if not candidates:
                return []
        found = []
        for i in sorted(candidates or ()):  # a loop, not all() over a generator: a save looks up one answer
            record = raw[i]
            for key, value in equal.items():
                if record.get(key) != value:
                    break
            else:
                found.append(dict(record))
        return found

    def _index(self, table: str, key: str) -> dict[Any, set[str]]:
        index = self._indexes.get((table, key))
        if index is None:
            index = {}
            for rid, rec in self._tables.get(table, {}).items():
                index.setdefault(_hashable(rec.get(key)), set()).add(rid)
            self._indexes[(table, key)] = index
        return index

    def tables(self) -> dict[str, dict[str, Any]]:
        self._fresh()
        for table in {e["table"] for e in self._unread.values()}:
            self._bring_in(table)
        return {name: dict(self._tables.get(name, {})) for name in self._tables}

    # --- finished years, in files of their own --------------------------------------------------

    def _closed_changed(self) -> None:
        """The tables with closed files, and with closed files not read yet: every read and save asks,
        so each asks a set, not the list of every year closed."""
        self._closed_tables = frozenset(e["table"] for e in self._closed)
        self._unread_tables = frozenset(e["table"] for e in self._unread.values())

    def _bring_in(self, table: str, equal: dict[str, Any] | None = None) -> None:
        """Read the closed files a read of `table` needs: those whose values hold what `equal` asks
        for on their key, or all of the table's when the read does not name a key value."""
        if table not in self._unread_tables:
            return
        with self._closed_guard:
            for sha, entry in list(self._unread.items()):
                if entry["table"] != table:
                    continue
                if equal is not None and entry["key"] in equal and _hashable(equal[entry["key"]]) not in self._values[sha]:
                    continue
                try:
                    records = read_closed(self.folder, entry)
                except ValueError as exc:
                    raise StoreDamaged(self._damaged(str(exc), "selfassess store restore --from-log", doing="read",
                                                     backups=False)) from None
                del self._unread[sha]
                self._closed_changed()
                live = self._tables.setdefault(table, {})
                self._changed[table] = self._changed.get(table, 0) + 1  # what a read of the table gives has grown
                for rid, rec in records.items():
                    if rid not in live:  # a record changed since it was closed is live already, and newer
                        live[rid] = rec
                        for (t, key), index in self._indexes.items():
                            if t == table:
                                index.setdefault(_hashable(rec.get(key)), set()).add(rid)
                self._read_ids[sha] = set(records)
                self._db.table(table).clear_cache()

    def _reopen_touched(self, change: dict[str, Any]) -> None:
        """Before a change to a table with closed files: read those it may touch (by the key value
        of the record before and after), and reopen those it does touch: a closed file holds every
        record of its values as it was closed, and never changes."""
        with self._closed_guard:
            table, rid = change["table"], change["id"]
            entries = [e for e in self._closed if e["table"] == table and e["sha256"] not in self._reopened]
            if not entries:
                return
            sides = [r for r in (change.get("before"), change["after"]) if isinstance(r, dict)]
            if rid not in self._tables.get(table, {}) and self._unread:
                for e in entries:
                    values = {r.get(e["key"]) for r in sides}
                    if not sides or None in values:
                        self._bring_in(table)  # which file could hold it is not known: every one of the table
                        break
                    if e["sha256"] in self._unread and values & self._values[e["sha256"]]:
                        self._bring_in(table, {e["key"]: next(iter(values & self._values[e["sha256"]]))})
            for e in entries:
                sha = e["sha256"]
                if sha in self._read_ids and (rid in self._read_ids[sha] or any(r.get(e["key"]) in self._values[sha] for r in sides)):
                    self._reopened.add(sha)

    def close_records(self, table: str, key: str, groups: list[tuple[str, list[str]]]) -> int:
        """Keep the records of `table` whose `key` is one of each group's values in a closed file of
        their own, out of state.json, read again only when a read asks for them; one checkpoint for
        every group. Values already closed are left as they are. How many records were closed.

        A layout of the store, not a change to what it holds: no audit event, and audit verify
        compares the chain with state.json and the closed files together. The closed file is written
        whole before the checkpoint that lists it (the commit point): a crash between them leaves an
        unlisted file, which nothing reads. If the checkpoint fails, everything stays as it was."""
        self._require_writer()
        self.settle()
        with self._locked():
            self.refresh()
            done = self.closed_values(table, key)
            live = self._tables.get(table, {})
            index = self._index(table, key)
            made: list[tuple[dict[str, Any], dict[str, Any]]] = []
            for label, values in groups:
                todo = sorted({v for v in values if isinstance(v, str)} - done)
                records = {rid: live[rid] for v in todo for rid in index.get(v, ())}
                if not records:
                    continue
                body = closed_document(table, key, records)
                entry: dict[str, Any] = {"sha256": hashlib.sha256(body).hexdigest(), "table": table, "key": key,
                                         "values": todo, "records": len(records), "label": label}
                try:
                    io.mkdir(self.folder / CLOSED, mode=0o700, exist_ok=True)
                    atomic_write(closed_path(self.folder, entry), body)
                except OSError as exc:
                    self._keep_warning(f"could not keep a finished year's records in a file of their own "
                                       f"({_why(exc)}); they stay in {STATE}, and it is tried again next time")
                    break
                made.append((entry, records))
            if not made:
                return 0
            before = (list(self._closed), dict(self._values), dict(self._read_ids))
            for entry, records in made:
                self._closed.append(entry)
                self._values[entry["sha256"]] = frozenset(entry["values"])
                self._read_ids[entry["sha256"]] = set(records)
            self._closed_changed()
            try:
                self.checkpoint()
            except SaveFailed as exc:
                self._closed, self._values, self._read_ids = before
                self._closed_changed()
                self._keep_warning(str(exc))
                return 0
            # Written: they need not be in memory either until a read asks for them.
            for entry, records in made:
                del self._read_ids[entry["sha256"]]
                self._unread[entry["sha256"]] = entry
                for rid, rec in records.items():
                    del live[rid]
                    for (t, k), idx in self._indexes.items():
                        if t == table:
                            idx.get(_hashable(rec.get(k)), set()).discard(rid)
            self._closed_changed()
            self._db.table(table).clear_cache()
            return sum(len(records) for _, records in made)

    def closed_values(self, table: str, key: str) -> frozenset[str]:
        """The values of `key` whose records of `table` are kept in closed files."""
        with self._closed_guard:
            out: set[str] = set()
            for e in self._closed:
                if (e["table"], e["key"]) == (table, key) and e["sha256"] not in self._reopened:
                    out |= self._values[e["sha256"]]
            return frozenset(out)

    def closed_labels(self, table: str) -> frozenset[str]:
        """The labels of the groups of `table` kept in closed files (close_records)."""
        with self._closed_guard:
            return frozenset(e.get("label", "") for e in self._closed if e["table"] == table and e["sha256"] not in self._reopened)

    def _checkpoint_view(self) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]], set[str]]:
        """What a checkpoint writes: every table less the records of closed files that were read
        (they are in their files), the closed files still closed, and the reopened ones it lets go."""
        with self._closed_guard:
            reopened = set(self._reopened)
            keep_out: dict[str, set[str]] = {}
            for sha, ids in self._read_ids.items():
                if sha not in reopened:
                    table = next(e["table"] for e in self._closed if e["sha256"] == sha)
                    keep_out.setdefault(table, set()).update(ids)
            tables = {name: ({rid: r for rid, r in records.items() if rid not in keep_out[name]} if name in keep_out
                             else dict(records)) for name, records in self._tables.items()}
            closed = [e for e in self._closed if e["sha256"] not in reopened]
            return tables, closed, reopened

    def _checkpoint_written(self, checkpoint: dict[str, Any], reopened: set[str]) -> None:
        with self._closed_guard:
            self._checkpoint = checkpoint
            self._closed = [e for e in self._closed if e["sha256"] not in reopened]
            self._closed_changed()
            for sha in reopened:
                self._read_ids.pop(sha, None)
                self._values.pop(sha, None)
            self._reopened -= reopened

    @property
    def head(self) -> tuple[int, str]:
        self._fresh()
        return self._seq, self._head

    def version(self, table: str) -> tuple[int, int]:
        """Where one table stands: it moves on with every change to that table (this copy's or
        another's) and whenever the tables are read again, and with nothing else. What is built from
        a table can be kept while its version stands, whatever the other tables do."""
        self._fresh()
        return self._generation, self._changed.get(table, 0)

    # --- writing ------------------------------------------------------------------------------

    def _require_writer(self) -> None:
        if not self.writer:
            raise StoreReadOnly(f"the store at {self.folder} is open read-only; nothing was saved")
        if self._fd is None:
            raise SaveFailed("the store is closed; nothing was saved")
        if self._broken:
            raise SaveFailed(f"saving is paused because an earlier save could not be undone cleanly ({self._broken}); "
                             "close and reopen selfassess. Nothing was saved.")

    def commit(self, action: str, actor: str, summary: str, changes: list[Change], when: str) -> dict[str, Any]:
        """Make changes durable: under the lock, replay what other copies wrote, append one audit event
        and fdatasync it, then apply it."""
        self._require_writer()
        self._take_lock()
        try:
            self._require_writer()  # the wait for the lock may have been long
            seen = len(self._others)
            self.refresh()  # under the lock: nothing more can land before this event
            raced = _overlap(self._others[seen:], changes) if len(self._others) > seen else None
            if raced:
                raise ChangedMeanwhile(
                    f"{raced['actor']} changed the same record from another window a moment before this save "
                    f"('{raced['summary']}'), so this change was not saved: look at it again and redo it if it is still wanted")
            return self._append(action, actor, summary, changes, when)
        finally:
            self._let_go()

    def _append(self, action: str, actor: str, summary: str, changes: list[Change], when: str) -> dict[str, Any]:
        event, line, afters = audit.make_line_reusing(self._seq + 1, self._head, when, actor, action, summary,
                                                      changes, [self._known_before(c) for c in changes])
        if self._fd is None:  # _require_writer checked it; a closed store never appends
            raise SaveFailed("the store is closed; nothing was saved")
        try:
            write_all(self._fd, line)
            io.fdatasync(self._fd)
        except OSError as exc:
            try:  # never leave half an event in front of the next whole one
                io.ftruncate(self._fd, self._log_size)
                io.fsync(self._fd)
            except OSError as exc2:
                # The line may be on disk whole: if so it hashes and links, and is replayed at the next open.
                self._broken = _why(exc2)
                raise SaveFailed(f"could not save ({summary}): {_why(exc)} while writing {self.folder / LOG}, and "
                                 f"undoing the unfinished save failed too ({self._broken}). This change may or may not "
                                 "have been kept: it is checked the next time the store is opened (a whole, correctly "
                                 "chained save is kept; an unfinished one is set aside). What was saved before is intact. "
                                 "Saving is paused: close and reopen selfassess.") from None
            raise SaveFailed(f"could not save ({summary}): {_why(exc)} while writing {self.folder / LOG}. "
                             "Nothing was saved; what was saved before is intact.") from None
        self._log_size += len(line)
        self._seen_size = self._log_size
        self._seq, self._head = event["seq"], event["hash"]
        self._apply(event)
        self._keep_encoded(changes, afters)
        self._tail += 1
        if self._tail >= CHECKPOINT_EVERY:
            self._start_checkpoint()  # written beside the saves, never in their way
        return event

    def _known_before(self, change: Change) -> bytes | None:
        """The bytes this copy wrote for the record a change replaces, if it is still the stored record
        and the change's before holds the very values it holds (a copy of it, as reads give): the same
        objects encode to the same bytes. Else None: it is encoded again."""
        if change.before is None:
            return None
        kept = self._encoded.get((change.table, change.id))
        if kept is None:
            return None
        record, data = kept
        before = change.before
        # The same keys in the same order, each value the very object: compared in C (map), not a
        # generator per save. A copy in another order is only encoded again.
        if (self._tables.get(change.table, {}).get(change.id) is not record or len(before) != len(record)
                or not all(map(operator.is_, before, record)) or not all(map(operator.is_, before.values(), record.values()))):
            return None
        return data

    def _keep_encoded(self, changes: list[Change], afters: list[bytes]) -> None:
        """Keep the bytes of flat records just saved (only values that never change in place), the
        most recent few hundred."""
        kept = self._encoded
        for c, data in zip(changes, afters, strict=True):
            key = (c.table, c.id)
            kept.pop(key, None)
            if c.after is not None and ATOM_TYPES.issuperset(map(type, c.after.values())):
                kept[key] = (c.after, data)
        while len(kept) > ENCODED_KEPT:
            del kept[next(iter(kept))]  # the oldest: dicts keep insertion order

    def _apply(self, event: dict[str, Any]) -> None:
        # Straight into TinyDB's storage dict: O(1) per record, where Table.insert rebuilds the table.
        data = self._tables
        changed = self._changed
        for change in event["changes"]:
            table, rid = change["table"], change["id"]
            changed[table] = changed.get(table, 0) + 1
            if table in self._closed_tables:
                self._reopen_touched(change)
            records = data.setdefault(table, {})
            # Replaced in place, not popped and put back: a table without holes is copied in one
            # block for a checkpoint (_start_checkpoint), one with a hole record by record.
            old = records.get(rid)
            if change["after"] is not None:
                records[rid] = change["after"]
            elif old is not None:
                del records[rid]
            after = change["after"]
            for (t, key), index in self._indexes.items():
                if t != table:
                    continue
                if old is not None and after is not None and old.get(key) == after.get(key):
                    continue  # indexed under the same value still (an answer's assessment and question never move)
                if old is not None:
                    index.get(_hashable(old.get(key)), set()).discard(rid)
                if after is not None:
                    index.setdefault(_hashable(after.get(key)), set()).add(rid)
        # No TinyDB cache to clear: its query cache serves Table.search only, which the store never
        # calls (reads go through get, all and the indexes above).

    def checkpoint(self) -> None:
        """Write every table to state.json atomically, marking how much of the log it holds."""
        self._require_writer()
        if not self._held:
            self.settle()
        with self._locked():  # under the lock, after the others' events: it covers the whole log
            self.refresh()
            checkpoint = {"seq": self._seq, "hash": self._head, "offset": self._log_size,
                          "time": time.strftime("%Y-%m-%dT%H:%M:%S")}
            tmp = None
            tables, closed, reopened = self._checkpoint_view()
            try:
                tmp = self._write_temp_state(checkpoint, tables, self._log_start, closed, yielding=False)
                io.replace(tmp, self.folder / STATE)
                tmp = None
                fsync_dir(self.folder)
            except OSError as exc:
                raise SaveFailed(_checkpoint_failed(self.folder, exc)) from None
            finally:
                if tmp is not None:
                    with contextlib.suppress(OSError):
                        io.unlink(tmp)
            self._checkpoint_written(checkpoint, reopened)
            self._tail = 0

    def _write_temp_state(self, checkpoint: dict[str, Any], tables: dict[str, dict[str, Any]],
                          log_start: dict[str, Any] | None, closed: list[dict[str, Any]], *, yielding: bool) -> Path:
        """A new state.json beside the old, written and fsynced, ready to be renamed over it."""
        tmp = self.folder / f".{STATE}.{uuid.uuid4().hex[:8]}.tmp"
        fd = io.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW, 0o600)
        try:
            try:
                write_state(fd, self.store_id, checkpoint, tables, log_start, closed, yielding=yielding)
                io.fsync(fd)
            finally:
                io.close(fd)
        except BaseException:
            with contextlib.suppress(OSError):
                io.unlink(tmp)
            raise
        return tmp

    def _start_checkpoint(self) -> None:
        """Start writing a checkpoint in the background, of the tables as they stand after this event.

        The save that asks for it pays only for a shallow copy of each table (records are replaced,
        never changed in place, so the copy stays as it was). The thread serialises and fsyncs a new
        state.json without the lock, then takes the lock only to check the log still holds the event
        it covers and to rename it over the old: a commit waits at most for that rename. Until the
        rename, state.json is the old checkpoint, and every save is in the log: a crash loses nothing."""
        if self._job is not None and self._job.is_alive():
            return  # one at a time; the next save past the mark asks again
        big = sum(len(t) for t in self._tables.values()) >= FREEZE_AT
        if big:
            collector.pause()
        try:
            # In a box the thread empties: its arguments stay referenced until it ends, the copy need not.
            tables, closed, reopened = self._checkpoint_view()
            box = [tables]
            del tables
            checkpoint = {"seq": self._seq, "hash": self._head, "offset": self._log_size,
                          "time": time.strftime("%Y-%m-%dT%H:%M:%S")}
            self._job = threading.Thread(target=self._background_checkpoint, name="selfassess-checkpoint", daemon=True,
                                         args=(box, closed, reopened, checkpoint, self._log_start, self._generation, big))
            self._job.start()
        except BaseException:
            if big:
                collector.resume()
            raise

    def _background_checkpoint(self, box: list[dict[str, dict[str, Any]]], closed: list[dict[str, Any]],
                               reopened: set[str], checkpoint: dict[str, Any], log_start: dict[str, Any] | None,
                               generation: int, paused: bool = False) -> None:
        tmp: Path | None = None
        try:
            try:
                tables = box.pop()
                tmp = self._write_temp_state(checkpoint, tables, log_start, closed, yielding=True)
            finally:
                tables = {}  # the copy goes before the collector comes back
                if paused:
                    collector.resume()
            with self._mutex:
                lock = self._lock
                if (lock is None or self._fd is None or generation != self._generation
                        or checkpoint["seq"] <= self._checkpoint["seq"]):
                    return  # closed, read again from disk, or a newer checkpoint was written meanwhile
                try:
                    lock.acquire(self._wait)
                except LockTimeout:
                    return  # another copy is busy: the next save past the mark tries again
                try:
                    if not _line_ends(self.folder / LOG, checkpoint["offset"], checkpoint["seq"], checkpoint["hash"]):
                        return  # another copy restored the store meanwhile: this state is no longer the log's
                    io.replace(tmp, self.folder / STATE)
                    tmp = None
                    fsync_dir(self.folder)
                    self._checkpoint_written(checkpoint, reopened)
                    self._tail = self._seq - checkpoint["seq"]
                finally:
                    lock.release()
        except FileNotFoundError:
            pass  # its temp file was tidied away by another copy opening the store: tried again later
        except OSError as exc:
            self._keep_warning(_checkpoint_failed(self.folder, exc))  # the saves stand; told once
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    io.unlink(tmp)

    def settle(self) -> None:
        """Wait for a checkpoint being written in the background, if there is one."""
        job = self._job
        if job is not None:
            job.join()
            self._job = None

    def _try_checkpoint(self) -> str | None:
        try:
            self.checkpoint()
            return None
        except SaveFailed as exc:
            return str(exc)

    def close(self) -> str | None:
        """Checkpoint, back up and release the lock. Returns a warning if the checkpoint failed."""
        warning = None
        self.settle()
        if self.writer and self._fd is not None:
            if self._seq != self._checkpoint["seq"] and not self._broken:
                try:
                    with self._locked():
                        warning = self._try_checkpoint()
                        if warning is None:
                            self._backup()
                except StoreLocked:
                    pass  # every save is in the log; the next copy to close checkpoints it
                except (SaveFailed, StoreDamaged) as exc:  # damage found at the last moment: said, files still let go
                    warning = str(exc)
            with contextlib.suppress(OSError):
                io.close(self._fd)
            self._fd = None
        self._close_files()
        return warning

    def _close_files(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None
        if self._note_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._note_fd)
            self._note_fd = None

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
            make_private_dir(folder)
            if folder.is_symlink():
                raise SaveFailed(f"could not keep {name}: {folder} is a symbolic link, which selfassess does not follow")
            atomic_write(folder / Path(name).name, data, 0o600)
        except OSError as exc:
            raise SaveFailed(f"{_why(exc)} (writing {folder / Path(name).name})") from None

    def read_received(self, kind: str, name: str) -> bytes | None:
        """A file kept as received, or None if it is not there."""
        from ..files import read_limited

        path = self.folder / Path(kind).name / Path(name).name
        try:
            return read_limited(path, 256 * 1024 * 1024, "kept file")
        except SelfAssessError:  # missing, or not a regular file: nothing to read
            return None

    # --- evidence files -----------------------------------------------------------------------

    def keep_evidence(self, sha256: str, data: bytes) -> None:
        """Keep an evidence file as evidence/<sha256>: written whole or not at all (temp file, fsync,
        rename, folder fsync), owner-only. A file already kept with these bytes is left as it is."""
        self._require_writer()
        if not _SHA256.match(sha256) or hashlib.sha256(data).hexdigest() != sha256:
            raise SaveFailed("an evidence file must be kept under the SHA-256 of its bytes; nothing was saved")
        folder = self.folder / EVIDENCE
        path = folder / sha256
        try:
            make_private_dir(folder)
            if folder.is_symlink():
                raise SaveFailed(f"could not keep the evidence file: {folder} is a symbolic link, which selfassess does not follow")
            if path.is_symlink() or (path.exists() and (not path.is_file() or _hash_file(path) != sha256)):
                # Not what was kept under this name (changed or replaced): set it aside, never lose it.
                io.mkdir(self.folder / RECOVERED, mode=0o700, exist_ok=True)
                aside = self.folder / RECOVERED / f"evidence-{sha256[:16]}-{time.strftime('%Y%m%d-%H%M%S')}"
                io.replace(path, aside)
                self.notices.append(f"{EVIDENCE}/{sha256} was not the file kept under that name (it was changed "
                                    f"outside selfassess): it was set aside as {aside}, and the file added kept in its place")
            elif path.exists():
                return
            atomic_write(path, data, 0o600)
        except OSError as exc:
            raise SaveFailed(f"{_why(exc)} (writing {path}); nothing was recorded") from None

    def read_evidence(self, sha256: str) -> bytes | None:
        """An evidence file's bytes, or None if it is missing (or not a regular file). Not checked
        against its hash here: the workspace does that, and audit verify checks every one."""
        from ..files import read_limited

        if not _SHA256.match(sha256):
            return None
        try:
            return read_limited(self.folder / EVIDENCE / sha256, 256 * 1024 * 1024, "evidence file", follow_links=False)
        except SelfAssessError:
            return None

    # --- backups ------------------------------------------------------------------------------

    def _backup(self) -> None:
        """Keep the checkpoint just written as a backup: a hard link to it, not a copy.

        state.json is only ever replaced whole (a new file renamed over it), never written in place,
        so the linked file keeps this checkpoint's bytes once the next checkpoint replaces state.json.
        Where links cannot be made (some file systems), a copy. A state.json damaged in place
        would damage the newest backup with it: its checksum says so, and the offer to restore
        names the newest backup that is not state.json itself (see _sound_backups)."""
        folder = self.folder / BACKUPS
        with contextlib.suppress(OSError):
            io.mkdir(folder, mode=0o700, exist_ok=True)
            path = folder / f"state-{time.strftime('%Y%m%d-%H%M%S')}-e{self._seq:08d}.json"
            try:
                os.link(self.folder / STATE, path, follow_symlinks=False)
                fsync_dir(folder)
            except FileExistsError:
                pass  # the same second and event: already kept
            except OSError:
                atomic_write(path, io.read_bytes(self.folder / STATE))
            for old in self.backups()[KEEP_BACKUPS:]:
                io.unlink(old.path)

    def _sound_backups(self) -> list[Backup]:
        """Backups to offer when state.json is damaged: not the newest if it is state.json itself (a link)."""
        backups = self.backups()
        with contextlib.suppress(OSError):
            state = (self.folder / STATE).stat()
            backups = [b for b in backups if (b.path.stat().st_ino, b.path.stat().st_dev) != (state.st_ino, state.st_dev)]
        return backups

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
        if not folder.is_dir():
            raise StoreError(f"there is no store at {folder} to restore")
        if (folder / LOCK).is_symlink():
            raise StoreDamaged(_links_refused(folder, [LOCK]))
        lock = ExclusiveLock(folder / LOCK)
        try:
            lock.acquire(wait if wait > 0 else COMMIT_WAIT)
        except LockTimeout:
            who = _live_holder(folder)
            name = f"process {who['pid']} on {who.get('host', '?')}" if who else "another copy of selfassess"
            raise StoreLocked(f"the store at {folder} is busy: {name} has held it for more than a few seconds; "
                              "try again in a moment, or close that copy, then restore") from None
        except OSError as exc:
            raise SaveFailed(f"cannot lock the store {folder} to restore it: {_why(exc)}") from None
        try:
            return _restore(folder, backup, from_log)
        except OSError as exc:
            raise SaveFailed(f"could not restore the store at {folder}: {_why(exc)}. The damaged files are kept "
                             f"in {folder / RECOVERED}; free some space (or fix the permissions) and run it again") from None
        finally:
            lock.close()


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


def evidence_of_use(folder: Path) -> str | None:
    """Signs that a store folder has held a store, in words; None for a folder never used."""
    signs = []
    n = len(list_backups(folder))
    if n:
        signs.append(f"{n} backup(s) in {BACKUPS}/")
    with contextlib.suppress(OSError):
        if any((folder / RECOVERED).iterdir()):
            signs.append(f"files set aside in {RECOVERED}/")
    with contextlib.suppress(OSError):
        if any(_SHA256.match(p.name) for p in (folder / EVIDENCE).iterdir()):
            signs.append(f"evidence files in {EVIDENCE}/")
    if (folder / LOCK_INFO).exists() and not _live_holder(folder):
        # A live holder's note is no sign of use: it may be a first writer still setting up.
        signs.append(f"{LOCK_INFO} shows it was opened for writing")
    return ", ".join(signs) or None


def _live_holder(folder: Path) -> dict[str, Any] | None:
    """The lock note, if it names a holder that has not let go and, on this machine, is still running."""
    try:
        info = json.loads(io.read_bytes(folder / LOCK_INFO))
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or "released" in info or not isinstance(info.get("pid"), int):
        return None
    if info.get("host") == socket.gethostname() and not _running(info["pid"]):
        return None
    return info


def _running(pid: int) -> bool:
    if os.name != "posix":  # pragma: no cover - os.kill(pid, 0) would end the process on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, as someone else
        return True
    return True


def read_events(folder: Path) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """Every line of a store's audit log as (line number, event or None, problem or None)."""
    fd = _open_log_to_read(folder)
    if fd is None:
        return
    with os.fdopen(fd, "rb") as f:
        for n, line in enumerate(f, start=1):
            yield (n, *_read_line(line))


def read_last_events(folder: Path, count: int) -> list[tuple[int | None, dict[str, Any] | None, str | None]]:
    """The last `count` lines of a store's audit log, oldest first, as read_events gives them. Read
    from the end, so showing the latest changes costs the lines shown, not twenty years of history.
    A problem line's number is counted from the start (it names the line to look at); an event's is
    None, not counted: its seq names it."""
    fd = _open_log_to_read(folder)
    if fd is None:
        return []
    try:
        found: list[tuple[int, dict[str, Any] | None, str | None]] = []
        for start, line in _lines_back(fd, os.fstat(fd).st_size):
            if len(found) >= count:
                break
            found.append((start, *_read_line(line)))
        found.reverse()
        shown: list[tuple[int | None, dict[str, Any] | None, str | None]] = []
        first = None
        for i, (start, event, problem) in enumerate(found):
            if problem is not None and first is None:
                first = _lines_before(fd, start) - i  # the line number of found[0], less one
            shown.append((first + i + 1 if problem is not None and first is not None else None, event, problem))
        return shown
    finally:
        os.close(fd)


def _open_log_to_read(folder: Path) -> int | None:
    path = folder / LOG
    if path.is_symlink():
        raise StoreDamaged(_links_refused(folder, [LOG]))
    if not path.exists():
        return None
    try:
        return os.open(path, os.O_RDONLY | NOFOLLOW)
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {_why(exc)}") from None


def _read_line(line: bytes) -> tuple[dict[str, Any] | None, str | None]:
    if not line.endswith(b"\n"):
        return None, "is an unfinished save (no end of line)"
    try:
        event = json.loads(line)
    except ValueError:
        event = None
    return (event, None) if isinstance(event, dict) else (None, "is not a readable event")


def _lines_back(fd: int, end: int, block: int = 65536) -> Iterator[tuple[int, bytes]]:
    """The lines of the file open at fd up to byte `end`, last first, each as (where it starts, its bytes
    with its end of line; the last may have none). Read backwards in blocks: an event's line can be long."""
    stop = end
    while stop > 0:
        start = stop - 1  # the line's own end of line is not looked at
        while start > 0:  # back to the end of the line before it, or the start of the file
            low = max(0, start - block)
            cut = os.pread(fd, start - low, low).rfind(b"\n")
            if cut >= 0:
                start = low + cut + 1
                break
            start = low
        yield start, os.pread(fd, stop - start, start)
        stop = start


def _lines_before(fd: int, offset: int, block: int = 1 << 20) -> int:
    """How many lines end before byte offset: counted in blocks, memory flat in the log's size."""
    lines, at = 0, 0
    while at < offset:
        chunk = os.pread(fd, min(block, offset - at), at)
        if not chunk:
            break
        lines += chunk.count(b"\n")
        at += len(chunk)
    return lines


class _LogSnapshot:
    """The log up to the size it had when verify began, read line by line: memory stays flat in the
    log's size (a store of twenty years holds a log of gigabytes)."""

    def __init__(self, path: Path):
        self.size = 0
        self._file: Any = None
        if path.exists():
            self._file = os.fdopen(os.open(path, os.O_RDONLY | NOFOLLOW), "rb")
            self.size = os.fstat(self._file.fileno()).st_size
        self.torn = b""  # an unfinished last line, once the lines have been read

    def lines(self, upto: int | None = None) -> Iterator[bytes]:
        """Each complete line (with its end of line), from the start, up to the size fixed at the start
        (or to byte `upto`, reading again the part of the log already checked)."""
        if self._file is None:
            return
        self._file.seek(0)
        left = self.size if upto is None else min(upto, self.size)
        while left > 0:
            line = self._file.readline(left)
            if not line:
                break  # shorter than it was (a restore): what was read is what there is
            left -= len(line)
            if not line.endswith(b"\n"):
                if upto is None:
                    self.torn = line
                break
            yield line

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


@dataclass
class _Stored:
    """What verify keeps of a state.json: where it stands in the log, whether its checksum holds, and one
    fingerprint per record (the records themselves are let go as soon as these are taken)."""

    format: int
    checkpoint: dict[str, Any]
    log_start: dict[str, Any] | None
    sound: bool  # it matches its own checksum
    fingerprints: audit.Fingerprints
    evidence: dict[str, Any]  # the evidence records, whole: few, and evidence_problems names them
    problems: list[str]  # closed files it lists that cannot be used, in words
    unread: set[str] = dataclasses.field(default_factory=set)  # tables some of whose records are in such a file

    def records(self) -> Iterator[tuple[str, str, bytes]]:
        """The stored state record by record, as (table, id, fingerprint): what audit.differences compares.
        The records of the closed files state.json lists are among them (a record stored twice is named)."""
        for table, records in self.fingerprints.items():
            for rid, fp in records.items():
                yield table, rid, fp


def _stored(folder: Path, data: dict[str, Any]) -> _Stored:
    fmt = data.get("format", 1)
    if fmt > FORMAT:  # a newer selfassess's file: nothing more is read of it
        return _Stored(fmt, data["checkpoint"], None, True, {}, {}, [])
    digest, fingerprints = _fingerprint_state(data)
    stored = _Stored(fmt, data["checkpoint"], data.get("log_start"), data.get("digest") == digest, fingerprints,
                     dict(data["tables"].get(EVIDENCE, {})), [])
    for entry in data.get("closed", []):  # one file at a time, each let go once its fingerprints are taken
        try:
            records = read_closed(folder, entry)
        except ValueError as exc:
            stored.problems.append(f"{STATE} lists a closed file that cannot be used: {exc}")
            stored.unread.add(entry["table"])
            continue
        kept = fingerprints.setdefault(entry["table"], {})
        twice = kept.keys() & records.keys()
        if twice:
            stored.problems.append(f"{CLOSED}/{entry['sha256']}.json holds {len(twice)} record(s) that {STATE} holds too")
        for rid, rec in records.items():
            kept[rid] = audit.fingerprint(rec)
    return stored


def _fingerprint_state(data: dict[str, Any]) -> tuple[str, audit.Fingerprints]:
    """state_digest(data), and each record's fingerprint, from one encoding of each record.

    The checksum covers canonical JSON: the tables in sorted order, record by record, so it is
    hashed piece by piece as state_digest would hash the whole (never holding all of it encoded)."""
    tables: dict[str, dict[str, Any]] = data["tables"]
    if data.get("format", 1) < 2:
        digest = hashlib.sha256(b"{")
    else:
        cp = data["checkpoint"]
        digest = hashlib.sha256(_covered_prefix(data["format"], data.get("store_id"), cp, data.get("log_start"),
                                                data.get("closed", [])) + b"{")  # "tables" sorts last
    fingerprints: audit.Fingerprints = {}
    for t, name in enumerate(sorted(tables)):
        digest.update((("," if t else "") + _CANONICAL.encode(name) + ":{").encode("utf-8"))
        records, kept = tables[name], fingerprints.setdefault(name, {})
        for i, rid in enumerate(sorted(records)):
            record = _CANONICAL.encode(records[rid]).encode("utf-8")
            digest.update((("," if i else "") + _CANONICAL.encode(rid) + ":").encode("utf-8"))
            digest.update(record)
            kept[rid] = hashlib.sha256(record).digest()
        digest.update(b"}")
    digest.update(b"}" if data.get("format", 1) < 2 else b"}}")
    return digest.hexdigest(), fingerprints


def _text_of(raw: bytes) -> str:
    """Bytes of JSON as text, decoded as json.loads would: the bytes are let go before the parse."""
    return raw.decode(json.detect_encoding(raw), "surrogatepass")


def _snapshot_of(folder: Path, report: VerifyReport) -> tuple[bool, _Stored | None, _LogSnapshot]:
    """state.json and the log as one consistent pair, without any lock: whether there is a state.json,
    what verify keeps of it (None if it cannot be read), and the log.

    state.json first, then the log up to its size at that moment: a checkpoint only ever covers
    events already in the log, so the log holds at least what that state.json records. A writer
    may append meanwhile (ignored: beyond the size fixed) or replace state.json (not re-read).
    Only a restore shortens the log; if the checkpoint lies beyond the log's size, look again.
    """
    state_path, log_path = folder / STATE, folder / LOG
    problems: list[str] = []
    log = _LogSnapshot(Path("/nonexistent"))
    found, stored = False, None
    for _attempt in range(3):
        problems = []
        log.close()
        found, stored = state_path.exists(), None
        try:
            stored = _stored(folder, parse_state(_text_of(io.read_bytes(state_path)))) if found else None
        except OSError as exc:
            problems.append(f"{STATE} cannot be read ({_why(exc)})")
            found = False
        except ValueError:
            pass  # found, but not a store file: _verify says so
        try:
            log = _LogSnapshot(log_path)
        except OSError as exc:
            problems.append(f"{LOG} cannot be read ({_why(exc)})")
            log = _LogSnapshot(Path("/nonexistent"))
        if (stored.checkpoint["offset"] if stored else 0) <= log.size:
            break
    report.problems += problems
    return found, stored, log


def _base_tables(folder: Path, seq: int, head: str, report: VerifyReport) -> dict[str, Any]:
    """The tables a log that starts after event `seq` builds on: the backup kept in base.json."""
    try:
        data = parse_state(io.read_bytes(folder / BASE))
        if data.get("digest") != state_digest(data) or (data["checkpoint"]["seq"], data["checkpoint"]["hash"]) != (seq, head):
            raise ValueError("it is not the backup the log starts from")
        return with_closed(folder, data)
    except (OSError, ValueError) as exc:
        report.problems.append(f"{BASE}, the backup {LOG} starts from, cannot be used ({exc})")
        return {}


def verify_files(folder: Path, current: dict[str, Any] | None = None, current_seq: int = 0) -> VerifyReport:
    """Check a store folder's chain, and that state.json (and an open state) hold exactly what it recorded.

    Works on a store too damaged to open, so the user can see what is wrong with it; reads one
    consistent snapshot while another copy writes; names every problem it finds, not just the first.
    `current` is an open store's tables as of event `current_seq`. Streams the log: what it keeps is
    one fingerprint per record (see audit.fingerprint), whatever the log's length.
    """
    report = VerifyReport(0, audit.GENESIS)
    if why := _not_a_folder(folder):
        report.problems.append(why)
        return report
    linked = linked_files(folder)
    if linked:
        report.problems += [f"{name} is a symbolic link: selfassess does not read or write store files through links"
                            for name in linked]
        return report
    found, stored, log = _snapshot_of(folder, report)
    try:
        evidence = _verify(folder, report, found, stored, log, current, current_seq)
    finally:
        log.close()
    report.problems += evidence_problems(folder, current.get(EVIDENCE, {}) if current is not None else evidence)
    return report


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with os.fdopen(io.open(path, os.O_RDONLY | NOFOLLOW), "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def evidence_problems(folder: Path, records: dict[str, Any]) -> list[str]:
    """Every evidence file rehashed against the name it was kept under, and every record's file found.

    A file that changed after it was added no longer proves what the board saw: named with the
    record(s) that point to it, so the user knows which document to look at."""
    problems: list[str] = []
    named: dict[str, list[dict[str, Any]]] = {}
    for rec in records.values():
        if isinstance(rec, dict) and isinstance(rec.get("sha256"), str):
            named.setdefault(rec["sha256"], []).append(rec)

    def which(sha: str) -> str:
        recs = named.get(sha, [])
        if not recs:
            return f"{EVIDENCE}/{sha} (no record names it)"
        return f"{EVIDENCE}/{sha} (" + "; ".join(
            f"'{r.get('title', '')}', {r.get('file_name', '')}, added {str(r.get('added_at', ''))[:10]}" for r in recs[:3]) + ")"

    evidence = folder / EVIDENCE
    if evidence.is_symlink():
        return [f"{EVIDENCE} is a symbolic link: selfassess does not read or write store files through links"]
    present: set[str] = set()
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        for p in sorted(evidence.iterdir()):
            if p.name.startswith(".") and p.name.endswith(".tmp"):
                continue  # a save under way, or one cut off before its rename: never recorded
            if not _SHA256.match(p.name):
                problems.append(f"{EVIDENCE}/{p.name} is not an evidence file selfassess kept (its name is not a SHA-256)")
                continue
            present.add(p.name)
            if p.is_symlink() or not p.is_file():
                problems.append(f"evidence file {which(p.name)} is not a regular file (a link or a folder was put in its place)")
                continue
            try:
                actual = _hash_file(p)
            except OSError as exc:
                problems.append(f"evidence file {which(p.name)} cannot be read ({_why(exc)})")
                continue
            if actual != p.name:
                problems.append(f"evidence file {which(p.name)} changed after it was added: its SHA-256 is now "
                                f"{actual[:16]}..., so it is no longer the file the record holds")
    for sha in sorted(set(named) - present):
        problems.append(f"evidence file {which(sha)} is missing from the store's {EVIDENCE} folder")
    return problems


def _verify(folder: Path, report: VerifyReport, found: bool, stored: _Stored | None, log: _LogSnapshot,
            current: dict[str, Any] | None, current_seq: int) -> dict[str, Any]:
    """Walk the chain, comparing state.json at its checkpoint and `current` at its event with what the
    chain records there; the evidence records to check, as the chain (or else state.json) holds them."""
    cp_seq, cp_hash, cp_offset = 0, audit.GENESIS, 0
    start_seq, start_hash = 0, audit.GENESIS
    if stored is None:
        if found:
            report.problems.append(f"{STATE} cannot be read (it is not a selfassess store file)")
        elif not report.problems:
            used = evidence_of_use(folder)
            if log.size:
                report.problems.append(f"{STATE} is missing (the store cannot be opened; {LOG} holds the history)")
            elif used:
                report.problems.append(f"{STATE} and {LOG} are both missing, but this store was used before ({used})")
    else:
        if stored.format > FORMAT:
            report.problems.append(f"{STATE} was written by a newer selfassess (store format {stored.format}); "
                                   "upgrade selfassess to check it")
            return stored.evidence
        cp = stored.checkpoint
        cp_seq, cp_hash, cp_offset = cp["seq"], cp["hash"], cp["offset"]
        if stored.log_start:
            start_seq, start_hash = stored.log_start["seq"], stored.log_start["hash"]
            report.notes.append(f"{LOG} starts after event {start_seq}: the history before it was lost, and the "
                                f"store was restored from a backup ({stored.log_start.get('note', '')})")
        if not stored.sound:
            report.problems.append(f"{STATE} does not match its own checksum (it was edited outside selfassess)")
        report.problems += stored.problems
    expected: audit.Fingerprints = {}  # the state the chain records, one fingerprint a record
    evidence: dict[str, Any] = {}  # and its evidence records, whole
    if start_seq:
        base = _base_tables(folder, start_seq, start_hash, report)
        expected, evidence = audit.fingerprints_of(base), dict(base.get(EVIDENCE, {}))
        del base
    cp_found: tuple[str, int] | None = None  # the hash and end of the event the checkpoint names, as found in the log
    cp_differs: list[audit.Difference] = []
    cp_kept: dict[tuple[str, str], bytes] = {}  # state.json's fingerprints of the records that differ
    now_found: int | None = None  # where the event `current` stands at ends in the log
    now_differs: list[audit.Difference] = []
    seq, head = start_seq, start_hash
    resync = False  # after a line that could not be read, pick up the chain at the next event
    offset = 0
    chain: list[str] = []  # problems of the chain itself, every one, in order

    def reached() -> None:
        """Compare what is stored as of this event, while the chain is sound so far (else it is no yardstick)."""
        nonlocal cp_found, cp_differs, cp_kept, now_found, now_differs
        if seq == cp_seq and stored is not None:
            cp_found = (head, offset)
            if not chain:
                cp_differs = audit.differences(expected, stored.records())
                # Records of a closed file that cannot be used are missing because of it (said once above),
                # not one by one.
                cp_differs = [d for d in cp_differs if not (d.how == "missing" and d.table in stored.unread)]
                cp_kept = {(d.table, d.id): stored.fingerprints[d.table][d.id] for d in cp_differs if d.how == "changed"}
            stored.fingerprints = {}  # compared: let them go
        if seq == current_seq and current is not None:
            now_found = offset
            if not chain:
                now_differs = audit.differences(expected, audit.fingerprinted(audit.records_of(current)))

    reached()
    n = 0
    for n, raw in enumerate(log.lines(), start=1):
        line, offset = raw[:-1], offset + len(raw)
        try:
            event = json.loads(line)
        except ValueError:
            chain.append(f"{LOG} line {n} is not a readable event")
            resync = True
            continue
        if not (isinstance(event, dict) and _count(event.get("seq")) and {"prev", "hash", "changes"} <= event.keys()):
            chain.append(f"{LOG} line {n} is not an audit event")
            resync = True
            continue
        report.events += 1
        seen = audit.examine(line, event)  # one encoding: canonical bytes, the body's hash, each record's fingerprint
        try:
            if resync:
                audit.check_link(event, event["seq"], event["prev"], n, seen.body_hash)
            else:
                audit.check_link(event, seq + 1, head, n, seen.body_hash)
            if not seen.canonical:
                chain.append(f"{LOG} line {n} (event {event['seq']}): not byte for byte as selfassess wrote it (it was edited)")
        except audit.ChainError as exc:
            chain.append(f"{LOG} {exc}")
        resync = False
        try:
            audit.apply_fingerprints(expected, event, seen.afters)
            for change in event["changes"]:
                if change["table"] == EVIDENCE:
                    if change["after"] is None:
                        evidence.pop(change["id"], None)
                    else:
                        evidence[change["id"]] = change["after"]
        except (TypeError, KeyError, AttributeError):
            chain.append(f"{LOG} line {n} (event {event['seq']}): its changes cannot be read")
        seq, head = event["seq"], event["hash"]
        reached()
    torn = log.torn
    if torn:
        report.notes.append(f"{LOG} line {n + 1} is an unfinished save ({len(torn)} bytes, no end of line): "
                            "a save under way, or one cut off by a crash; it was never confirmed, and is set aside the "
                            "next time the store is opened for writing")
    report.head = head
    report.problems[:0] = chain
    if stored is not None:
        if cp_found is None:
            report.problems.append(f"{STATE} records event {cp_seq}, which is not in {LOG} (events were removed)")
        elif chain:  # a broken chain is no yardstick for the stored state
            report.notes.append("the stored state was not compared with the chain, because the chain itself has problems")
        else:
            if cp_found[0] != cp_hash:
                report.problems.append(f"{STATE} checkpoint does not match event {cp_seq} in {LOG}")
            if cp_found[1] != cp_offset:
                report.problems.append(f"{STATE} says its checkpoint (event {cp_seq}) ends at byte {cp_offset} of {LOG}, "
                                       f"but that event ends at byte {cp_found[1]} (the checkpoint was changed outside selfassess)")
            report.problems += [f"{STATE}: {line}" for line in _described(
                folder, log, stored, cp_found[1], cp_differs, lambda keys: _stored_records(folder, {k: cp_kept[k] for k in keys}))]
    if seq < current_seq:
        report.problems.append(f"{LOG} ends at event {seq} but this store has seen event {current_seq} (events were removed)")
    elif current is not None and now_found is not None and not chain:
        report.problems += [f"current state: {line}" for line in _described(
            folder, log, stored, now_found, now_differs,
            lambda keys: {k: current[k[0]][k[1]] for k in keys})]
    return evidence if report.events or stored is None else stored.evidence


def _described(folder: Path, log: _LogSnapshot, stored: _Stored | None, upto: int, found: list[audit.Difference],
               stored_records: Callable[[set[tuple[str, str]]], dict[tuple[str, str], Any]]) -> list[str]:
    """The differences in words; for a changed record, the fields that differ, from the record as the
    chain has it (read again from the log: this is only ever done when something is wrong) and as stored."""
    changed = {(d.table, d.id) for d in found if d.how == "changed"}
    chain = _chain_records(folder, log, stored, upto, changed) if changed else {}
    kept = stored_records(changed) if changed else {}
    return [audit.describe(d, chain.get((d.table, d.id)), kept.get((d.table, d.id))) for d in found]


def _chain_records(folder: Path, log: _LogSnapshot, stored: _Stored | None, upto: int,
                   wanted: set[tuple[str, str]]) -> dict[tuple[str, str], Any]:
    """These records as the chain has them at byte `upto` of the log (from base.json too, after a restore)."""
    records: dict[tuple[str, str], Any] = {}
    if stored is not None and stored.log_start:
        base = _base_tables(folder, stored.log_start["seq"], stored.log_start["hash"], VerifyReport(0, audit.GENESIS))
        records = {(t, rid): base[t][rid] for t, rid in wanted if rid in base.get(t, {})}
    # Only lines that name one of the records are read: looked for as they are written, quoted.
    names = [_CANONICAL.encode(rid).encode("utf-8") for rid in {rid for _, rid in wanted}]
    for raw in log.lines(upto):
        if len(names) <= 32 and not any(name in raw for name in names):
            continue
        with contextlib.suppress(ValueError, TypeError, KeyError, AttributeError):  # the chain was checked: no such line
            for change in json.loads(raw)["changes"]:
                key = (change["table"], change["id"])
                if key in wanted:
                    if change["after"] is None:
                        records.pop(key, None)
                    else:
                        records[key] = change["after"]
    return records


def _stored_records(folder: Path, kept: dict[tuple[str, str], bytes]) -> dict[tuple[str, str], Any]:
    """These records as state.json holds them, read again; only those still the ones verify compared
    (a checkpoint written meanwhile may have replaced the file)."""
    try:
        tables = parse_state(io.read_bytes(folder / STATE))["tables"]
    except (OSError, ValueError):
        return {}
    out: dict[tuple[str, str], Any] = {}
    for (table, rid), fp in kept.items():
        record = tables.get(table, {}).get(rid)
        if record is not None and audit.fingerprint(record) == fp:
            out[(table, rid)] = record
    return out


def _not_a_folder(folder: Path) -> str:
    """Why a store path that exists but is no folder cannot be a store (a file put in its place, say):
    read as an empty store it would show nothing saved, and a save would start afresh beside the loss."""
    if not folder.exists() or folder.is_dir():
        return ""
    return (f"the store folder {folder} is a file, not a folder: the store that was there has been moved or "
            "replaced. Nothing was read or changed. Put the store folder back (or restore one from a copy), "
            "or move this file aside to start an empty store there")


def _checkpoint_failed(folder: Path, exc: OSError) -> str:
    return (f"could not write a checkpoint of the store ({_why(exc)}); every change is still safe in "
            f"{folder / LOG} and will be replayed next time")


def _line_ends(path: Path, offset: int, seq: int, head: str) -> bool:
    """Whether the log still holds the event seq, hashing to head, as the line that ends at offset
    (its hash, through the chain, vouches for every event before it). At offset 0 there is nothing
    before to vouch for: a new log, or one restarted by a restore without it (see log_start)."""
    if not offset:
        return True
    fd = io.open(path, os.O_RDONLY | NOFOLLOW)
    try:
        _, line = next(_lines_back(fd, offset))
    finally:
        io.close(fd)
    try:
        event = json.loads(line)
    except ValueError:
        return False
    return (isinstance(event, dict) and line.endswith(b"\n") and event.get("seq") == seq
            and event.get("hash") == head and audit.event_hash(event) == head)


def _end(fd: int) -> int:
    """The length of the log open at fd, as other copies left it: lseek to its end (the log's writes
    are O_APPEND, so its offset is never relied on). Asked before every read: an int, where fstat
    builds a whole stat result at several times the cost."""
    return os.lseek(fd, 0, os.SEEK_END)


def _overlap(events: list[dict[str, Any]], changes: list[Change]) -> dict[str, Any] | None:
    """The last of these events (other copies') that changed a record these changes change, if any."""
    mine = {(c.table, c.id) for c in changes}
    for i in range(len(events) - 1, -1, -1):
        event: dict[str, Any] = events[i]
        if event["action"] == "store.restore" or any((c["table"], c["id"]) in mine for c in event["changes"]):
            return event
    return None


_NO_IDS: frozenset[str] = frozenset()


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value




def _restore(folder: Path, backup: str | None, from_log: bool) -> str:
    if not (backup or from_log):
        raise StoreError("say what to restore from: --from-log, or --backup NAME (see: selfassess store backups)")
    linked = linked_files(folder)
    if linked:
        raise StoreDamaged(_links_refused(folder, linked))
    log_path, state_path = folder / LOG, folder / STATE
    tables: dict[str, dict[str, Any]] = {}
    start_seq, start_head = 0, audit.GENESIS
    store_id = str(uuid.uuid4())
    log_start: dict[str, Any] | None = None
    if backup:
        path = folder / BACKUPS / Path(backup).name
        try:
            data = parse_state(io.read_bytes(path))
        except OSError as exc:
            raise StoreError(f"backup {path} cannot be read ({_why(exc)}); see: selfassess store backups") from None
        except ValueError:
            raise StoreError(f"backup {path} is not a selfassess store file; choose another backup") from None
        if data.get("format", 1) > FORMAT:
            raise StoreError(f"backup {path} was written by a newer selfassess; upgrade selfassess to restore it")
        if data.get("digest") != state_digest(data):
            raise StoreError(f"backup {path} does not match its checksum; choose another backup")
        try:
            tables = with_closed(folder, data)  # written back whole: the next open closes finished years again
        except ValueError as exc:
            raise StoreError(f"backup {path} cannot be restored: {exc}; choose another backup") from None
        cp = data["checkpoint"]
        start_seq, start_head, store_id = cp["seq"], cp["hash"], data.get("store_id") or store_id
        log_start = data.get("log_start")
    log_missing = not log_path.exists() or log_path.stat().st_size == 0
    if from_log and not backup and log_missing and (state_path.exists() or list_backups(folder)):
        raise StoreError(f"there is no audit log in {folder} to replay, so --from-log would leave the store empty; "
                         "restore a backup instead: selfassess store restore --backup NAME (see: selfassess store backups)")
    keep = folder / RECOVERED / f"damaged-{time.strftime('%Y%m%d-%H%M%S')}"
    io.mkdir(keep, mode=0o700, exist_ok=True)
    for p in (state_path, log_path):
        if p.exists():
            atomic_write(keep / p.name, io.read_bytes(p))
    if backup and log_missing and start_seq:
        # The log is gone: the backup's tables are all there is. The log starts again after its event,
        # from a copy of the backup kept as base.json, and state.json says so: verify checks the chain
        # from there, and tells the user why.
        atomic_write(folder / BASE, io.read_bytes(path))
        log_start = {"seq": start_seq, "hash": start_head, "digest": data["digest"],
                     "note": f"backup {path.name}, restored {time.strftime('%Y-%m-%d %H:%M:%S')} without its audit log"}
    # Walk the log: events up to the backup must be intact; later ones are replayed while they link.
    first_seq, first_head = (log_start["seq"], log_start["hash"]) if log_start else (0, audit.GENESIS)
    good_bytes, seq, head, replayed, stopped = 0, first_seq, first_head, 0, ""
    if not log_missing:
        with os.fdopen(io.open(log_path, os.O_RDONLY | NOFOLLOW), "rb") as f:
            for n, line in enumerate(f, start=1):
                try:
                    if not line.endswith(b"\n"):
                        raise ValueError("unfinished")
                    event = json.loads(line)
                    audit.check_link(event, seq + 1, head, n)
                except (ValueError, audit.ChainError) as exc:
                    if n == 1 and isinstance(exc, audit.ChainError) and exc.seq and exc.seq > 1:
                        raise StoreError(f"{LOG} starts at event {exc.seq} (the history before it was lost in an "
                                         "earlier restore), so it cannot rebuild the store alone: restore a backup "
                                         "instead (see: selfassess store backups)") from None
                    stopped = f"line {n} ({exc})"
                    break
                if event["seq"] > start_seq:
                    audit.apply(tables, event)
                    replayed += 1
                seq, head = event["seq"], event["hash"]
                good_bytes += len(line)
    if backup and not log_start and (seq < start_seq or (start_seq and not _chain_has(log_path, start_seq, start_head))):
        raise StoreError(f"the audit log does not hold the history up to the backup (event {start_seq}); "
                         "try an older backup or --from-log")
    checkpoint = {"seq": seq, "hash": head, "offset": good_bytes, "time": time.strftime("%Y-%m-%dT%H:%M:%S")}
    if log_path.exists() and log_path.stat().st_size > good_bytes:
        fd = io.open(log_path, os.O_WRONLY | NOFOLLOW)
        try:
            io.ftruncate(fd, good_bytes)
            io.fsync(fd)
        finally:
            io.close(fd)
    atomic_write(state_path, state_document(store_id, checkpoint, tables, log_start))
    msg = f"restored the store at {folder} to event {seq}"
    msg += f" from backup {Path(backup).name} plus {replayed} later event(s) from the audit log" if backup else f" by replaying {replayed} event(s) from the audit log"
    if backup and log_missing and start_seq:
        msg += f" (the audit log was missing: the history before event {start_seq} is lost, and audit verify will say so)"
    if stopped:
        msg += f"; the audit log was unreadable from {stopped}, and what followed was set aside"
    return msg + f". The damaged files were kept in {keep}."


def _chain_has(log_path: Path, seq: int, head: str) -> bool:
    with os.fdopen(os.open(log_path, os.O_RDONLY | NOFOLLOW), "rb") as f:
        for line in f:
            try:
                event = json.loads(line)
            except ValueError:
                return False
            if isinstance(event, dict) and event.get("seq") == seq:
                return bool(event.get("hash") == head)
    return False

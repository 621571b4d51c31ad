"""Files: reading what comes from outside, and writing so that a crash never leaves half a file.

Neutral on purpose (no store, no UI), so every door reads outside input the same way and every
writer (the store, exports, keys, submissions, feedback) writes the same way. Reading takes
only a regular file, and never more than its limit. A device such as /dev/zero has a
size of 0 by stat and never ends, and opening a FIFO waits for a writer, so the size is
taken from the opened file and the read itself stops at the limit plus one byte.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import uuid
from pathlib import Path

from .core.errors import InvalidInput, SelfAssessError
from .paths import make_private_dir

NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class WriteFailed(SelfAssessError):
    """A file that could not be written (a full disk, no permission): the store's SaveFailed is one."""

    exit_code = 5


class NotReadable(SelfAssessError):
    """A path that is not a readable regular file, or one larger than it may be.

    str() names the path; .reason says the same without it, for file:line:column messages."""

    def __init__(self, path: Path, reason: str):
        self.path, self.reason = path, reason
        super().__init__(f"{path} {reason}" if reason.startswith("is ") else f"{path}: {reason}")


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"


def read_limited(path: str | os.PathLike[str], limit: int, what: str = "file", *, follow_links: bool = True) -> bytes:
    """The bytes of a regular file at path, refusing anything else or anything over limit bytes.

    A symlink the user named is followed (that is what they meant), unless follow_links is False
    (a file to be kept for the record: the link, not its target, is what was named); what it leads
    to must be a regular file. O_NONBLOCK makes opening a FIFO return at once instead of waiting for a writer;
    the type is then checked with fstat on the opened descriptor, so nothing can swap it in between.
    """
    path = Path(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    if not follow_links:
        if path.is_symlink():
            raise NotReadable(path, f"is a symbolic link, expected the {what} itself (give the path it points to)")
        flags |= NOFOLLOW  # and if it became one since: ELOOP below
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise NotReadable(path, f"no such file, expected a {what}") from None
    except IsADirectoryError:
        raise NotReadable(path, f"is not a regular file (a folder), expected a {what}") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow_links:
            raise NotReadable(path, f"is a symbolic link, expected the {what} itself (give the path it points to)") from None
        if exc.errno == errno.ENXIO:  # a FIFO or socket with no one at the other end
            raise NotReadable(path, f"is not a regular file (a FIFO or socket), expected a {what}") from None
        raise NotReadable(path, f"cannot be read: {exc.strerror or exc}, expected a readable {what}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotReadable(path, f"is not a regular file ({_kind(info.st_mode)}), expected a {what}")
        if info.st_size > limit:
            raise NotReadable(path, f"is more than {limit:,} bytes ({info.st_size:,}), more than a {what} can be")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)  # a regular file: reads are ordinary from here
        chunks: list[bytes] = []
        total = 0
        while total <= limit:  # the file may grow after fstat: stop one byte past the limit
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise NotReadable(path, f"is more than {limit:,} bytes, more than a {what} can be")
        return b"".join(chunks)
    except OSError as exc:
        raise NotReadable(path, f"cannot be read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def is_regular(path: Path) -> bool:
    """Whether path is (or links to) a regular file, without opening it: for listing folders."""
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


_NOT_IN_A_NAME = re.compile(r"[^A-Za-z0-9_-]+")


def safe_name(text: str, fallback: str = "file", max_length: int = 100) -> str:
    """A file name (without its suffix) made from user text, such as an ODS code or a period:
    only ASCII letters, digits, '-' and '_', so never a path separator, '..', a dot file or a
    control character. Anything else becomes '-'; nothing left means the fallback."""
    name = _NOT_IN_A_NAME.sub("-", text).strip("-_")[:max_length].strip("-_")
    return name or fallback


def inside(folder: str | os.PathLike[str], name: str) -> Path:
    """folder / name, refusing a name that would land anywhere but directly inside folder."""
    folder = Path(folder)
    path = folder / name
    if (not name or name in (".", "..") or Path(name).name != name or "/" in name or os.sep in name
            or Path(os.path.normpath(path)).parent != Path(os.path.normpath(folder))):
        raise InvalidInput(f"'{name}' is not a file name inside {folder}, expected a plain name")
    return path


class DiskCalls:
    """Every low-level call a write makes to the disk, in one place: tests inject failures here
    (storage.store.io is this same object, so a failure injected there reaches every writer)."""

    open = staticmethod(os.open)
    write = staticmethod(os.write)
    fsync = staticmethod(os.fsync)
    # The log append needs its data and size durable, not its timestamps: what fdatasync gives.
    fdatasync = staticmethod(getattr(os, "fdatasync", os.fsync))
    close = staticmethod(os.close)
    replace = staticmethod(os.replace)
    ftruncate = staticmethod(os.ftruncate)
    unlink = staticmethod(os.unlink)

    @staticmethod
    def mkdir(path: Path, mode: int = 0o700, exist_ok: bool = True) -> None:
        make_private_dir(Path(path), mode)

    @staticmethod
    def read_bytes(path: Path) -> bytes:
        with os.fdopen(os.open(path, os.O_RDONLY | NOFOLLOW), "rb") as f:
            return f.read()

    @staticmethod
    def read_from(path: Path, offset: int) -> bytes:
        with os.fdopen(os.open(path, os.O_RDONLY | NOFOLLOW), "rb") as f:
            f.seek(offset)
            return f.read()


disk = DiskCalls()


def why(exc: OSError) -> str:
    """What went wrong with a file, in words, for a message that goes on to say what happened."""
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
    if exc.errno == errno.ELOOP:
        return "it is a symbolic link, which selfassess does not follow"
    return exc.strerror or str(exc)


def write_all(fd: int, data: bytes) -> None:
    """All of data to fd: os.write may write less than it was given."""
    view: bytes | memoryview = data
    while view:
        n = disk.write(fd, view)
        if n <= 0:
            raise OSError(errno.EIO, "short write")
        # Nearly always all of it, in one write: a view is made only for the rest of a short one.
        view = memoryview(view)[n:] if n < len(view) else b""


def fsync_dir(folder: Path) -> None:
    fd = disk.open(folder, os.O_RDONLY)
    try:
        disk.fsync(fd)
    finally:
        disk.close(fd)


def atomic_write(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Replace path with data so that a crash leaves either the old file or the new, never half."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    fd = disk.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW, mode)
    try:
        try:
            write_all(fd, data)
            disk.fsync(fd)
        finally:
            disk.close(fd)
        disk.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            disk.unlink(tmp)
        raise
    fsync_dir(path.parent)

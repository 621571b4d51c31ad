"""Where the user left off (screen, assessment, question), and typed text a save refused (a NUL
character, text over the limit) until it is fixed and saved: a small file beside the store.

Not part of the audited data: moving between questions changes nothing a board signs.
Written to a temporary file and renamed into place, so a crash never leaves it half-written
(unreadable means 'start fresh'). Never fsynced, and written at most every few seconds (and on
exit): a move is made on every key press, and a file rename per key press makes the save beside
it wait on the disk too. A crash or power cut costs the last few seconds of position, never an answer.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
import uuid
from pathlib import Path
from typing import Any

from ..core.errors import SelfAssessError
from ..files import read_limited
from ..paths import make_private_dir

FILE = "ui-state.json"
MAX_BYTES = 16 * 1024 * 1024  # a position, and refused text: a few fields over the 100,000-character limit
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
EVERY_SECONDS = 2.0  # how stale the resume position on disk may be after a crash


def load(home: Path) -> dict[str, Any]:
    try:
        data = json.loads(read_limited(home / FILE, MAX_BYTES, "resume file").decode("utf-8"))
        return data if isinstance(data, dict) else {}
    except (SelfAssessError, OSError, ValueError):
        return {}


def save(home: Path, data: dict[str, Any]) -> None:
    path = home / FILE
    tmp = path.with_name(f".{FILE}.{uuid.uuid4().hex[:8]}.tmp")
    with contextlib.suppress(OSError):  # losing a resume position must never cost the user an answer
        make_private_dir(home)  # owner-only, whatever the umask
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW, 0o600)
            try:
                view = memoryview(json.dumps(data, ensure_ascii=False).encode("utf-8"))
                while view:
                    view = view[os.write(fd, view):]
            finally:
                os.close(fd)
            os.replace(tmp, path)  # the old position or the new, never half of one
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


class Keeper:
    """The resume position, written at most every EVERY_SECONDS; flush() writes what is still pending."""

    def __init__(self, home: Path, every: float = EVERY_SECONDS):
        self.home, self.every = home, every
        self._written = -math.inf
        self._pending: dict[str, Any] | None = None

    def keep(self, data: dict[str, Any], *, now: bool = False) -> None:
        """now: written at once (typed text a save refused), not after a few seconds."""
        if now or time.monotonic() - self._written >= self.every:
            self._write(data)
        else:
            self._pending = data

    def flush(self) -> None:
        if self._pending is not None:
            self._write(self._pending)

    def _write(self, data: dict[str, Any]) -> None:
        save(self.home, data)
        self._written, self._pending = time.monotonic(), None

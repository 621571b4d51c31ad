"""Where the user left off (screen, assessment, question): a small file beside the store.

Not part of the audited data: moving between questions changes nothing a board signs.
Written to a temporary file and renamed into place, so a crash never leaves it half-written
(unreadable means 'start fresh'). Never fsynced: it is written on every move, and a power cut
that loses the last position costs a key press, where an fsync per key press would double the
cost of every save.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from pathlib import Path
from typing import Any

from ..core.errors import SelfAssessError
from ..files import read_limited
from ..paths import make_private_dir

FILE = "ui-state.json"
MAX_BYTES = 1024 * 1024  # a screen, an assessment and a question: far smaller
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


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

"""Where the user left off (screen, assessment, question): a small file beside the store.

Not part of the audited data: moving between questions changes nothing a board signs.
Written atomically, so a closed window never leaves it half-written; unreadable means 'start fresh'.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from ..core.errors import SelfAssessError
from ..files import atomic_write, read_limited
from ..paths import make_private_dir

FILE = "ui-state.json"
MAX_BYTES = 1024 * 1024  # a screen, an assessment and a question: far smaller


def load(home: Path) -> dict[str, Any]:
    try:
        data = json.loads(read_limited(home / FILE, MAX_BYTES, "resume file").decode("utf-8"))
        return data if isinstance(data, dict) else {}
    except (SelfAssessError, OSError, ValueError):
        return {}


def save(home: Path, data: dict[str, Any]) -> None:
    with contextlib.suppress(OSError):  # losing a resume position must never cost the user an answer
        make_private_dir(home)  # owner-only, whatever the umask
        atomic_write(home / FILE, json.dumps(data, ensure_ascii=False).encode("utf-8"))

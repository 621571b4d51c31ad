"""Where the user left off (screen, assessment, question): a small file beside the store.

Not part of the audited data: moving between questions changes nothing a board signs.
Written atomically, so a closed window never leaves it half-written; unreadable means 'start fresh'.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from ..paths import make_private_dir
from .store import atomic_write

FILE = "ui-state.json"


def load(home: Path) -> dict[str, Any]:
    try:
        data = json.loads((home / FILE).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def save(home: Path, data: dict[str, Any]) -> None:
    with contextlib.suppress(OSError):  # losing a resume position must never cost the user an answer
        make_private_dir(home)  # owner-only, whatever the umask
        atomic_write(home / FILE, json.dumps(data, ensure_ascii=False).encode("utf-8"))

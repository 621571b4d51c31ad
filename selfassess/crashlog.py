"""The last line of defence: an unexpected failure is written to a log, and the user is told where."""

from __future__ import annotations

import os
import time
from pathlib import Path


def write_crash_log(home: Path, exc: BaseException) -> str:
    """Write the details to <home>/logs, owner-only, and return the path (or say it could not be written)."""
    import traceback

    from .paths import make_private_dir

    try:
        folder = make_private_dir(home / "logs")
        path = folder / f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.txt"
        # 0600 whatever the umask; never through a link left in logs/.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write("".join(traceback.format_exception(exc)))
        return str(path)
    except OSError:
        return "(could not write a crash log)"

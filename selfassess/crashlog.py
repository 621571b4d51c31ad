"""The last line of defence: an unexpected failure is written to a log, and the user is told where."""

from __future__ import annotations

import os
import time
from pathlib import Path


def write_crash_log(home: Path, exc: BaseException) -> str:
    """Write the details to <home>/logs and return the path (or say it could not be written)."""
    import traceback

    try:
        folder = home / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.txt"
        path.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
        return str(path)
    except OSError:
        return "(could not write a crash log)"

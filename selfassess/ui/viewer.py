"""Open a file with the system's own viewer (xdg-open, open, or Windows' default program).

The viewer gets a read-only copy in a private temporary folder, named as the file was when it was
added, never the store's own file: a viewer that saves in place cannot change the evidence, and the
name's extension tells the system which program to use.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from ..files import safe_name

STARTED_WAIT = 1.5  # seconds to wait for the opener to fail; a viewer that opens keeps running


def viewing_copy(data: bytes, file_name: str) -> Path:
    """A read-only copy of data, named like the original, in a new owner-only temporary folder."""
    folder = Path(tempfile.mkdtemp(prefix="selfassess-evidence-"))  # 0700
    stem, suffix = os.path.splitext(Path(file_name).name)
    path = folder / (safe_name(stem, "evidence") + (suffix if suffix[1:].isalnum() else ""))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return path


def command_for(path: Path) -> list[str] | None:
    """The opener for this platform, or None on Windows (os.startfile)."""
    if sys.platform == "darwin":
        return ["open", str(path)]
    if os.name == "nt":  # pragma: no cover - Windows
        return None
    return ["xdg-open", str(path)]


def launch(path: Path) -> str | None:
    """Ask the system to open path. None when it did; otherwise what went wrong, in words."""
    cmd = command_for(path)
    if cmd is None:  # pragma: no cover - Windows
        try:
            os.startfile(path)  # type: ignore[attr-defined]  # Windows only
        except OSError as exc:
            return f"Windows could not open it ({exc.strerror or exc})"
        return None
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
    except OSError as exc:
        return f"{cmd[0]} could not be run ({exc.strerror or exc}): this system has no viewer selfassess can start"
    try:
        code = proc.wait(timeout=STARTED_WAIT)
    except subprocess.TimeoutExpired:
        return None  # still running: the viewer is open
    if code:
        return f"{cmd[0]} could not open it (exit {code}): is there a program for this kind of file?"
    return None


def open_in_viewer(data: bytes, file_name: str) -> str | None:
    """Open a copy of data with the system viewer. None when it opened; otherwise the reason, in words."""
    try:
        path = viewing_copy(data, file_name)
    except OSError as exc:
        return f"could not make a copy to open ({exc.strerror or exc})"
    return launch(path)

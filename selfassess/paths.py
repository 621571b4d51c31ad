"""Where selfassess keeps things, and who is using it. Nothing here creates a folder at import time."""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "SELFASSESS_HOME"
EXPORTS_ENV = "SELFASSESS_EXPORTS"


def login_name() -> str:
    """Who is at the keyboard, by their login: the default actor, and the name on a store's lock."""
    try:
        import getpass

        return getpass.getuser()
    except Exception:  # no user database in some containers
        return "unknown"


def home() -> Path:
    """The data folder: $SELFASSESS_HOME, or the platform's user data folder."""
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_path("selfassess", appauthor=False))


def store_dir(base: Path | None = None) -> Path:
    return (base or home()) / "store"


def user_frameworks_dir(base: Path | None = None) -> Path:
    return (base or home()) / "frameworks"


def keys_dir(base: Path | None = None) -> Path:
    return (base or home()) / "keys"


def bundled_frameworks_dir() -> Path:
    """The frameworks shipped with selfassess: inside the wheel, or frameworks/ in a checkout."""
    package = Path(__file__).resolve().parent
    installed = package / "_bundled" / "frameworks"
    if installed.is_dir():
        return installed
    return package.parent / "frameworks"


def exports_dir() -> Path:
    """Where exported documents land: $SELFASSESS_EXPORTS, or exports/ in the current folder."""
    override = os.environ.get(EXPORTS_ENV)
    return Path(override).expanduser() if override else Path.cwd() / "exports"


def make_private_dir(path: Path, mode: int = 0o700) -> Path:
    """Create a folder and any missing parents owner-only (0700), whatever the umask.

    os.makedirs gives only the last folder the mode asked for (parents get 0777 less the umask),
    and mkdir's mode is itself masked by the umask: so each folder made here is chmod-ed too.
    Folders that already exist are left as their owner set them.
    """
    path = Path(path)
    missing: list[Path] = []
    p = path
    while not os.path.lexists(p) and p.parent != p:
        missing.append(p)
        p = p.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, mode)
        except FileExistsError:
            continue
        os.chmod(folder, mode)
    if not path.is_dir():
        raise NotADirectoryError(20, "Not a directory", str(path))
    return path

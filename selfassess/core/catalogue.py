"""Where frameworks come from: the bundled ones, the user's folder, and folders named on the command line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from . import framework as fw
from .errors import FrameworkError, NotFound, Problem

if TYPE_CHECKING:
    # Read with the frameworks, after the app's first paint (see load_catalogue): not imported before.
    from .crosswalk import Crosswalk

FRAMEWORK_SUFFIXES = (".yaml", ".yml")


class Catalogue:
    """Every framework found, keyed by id@version, and every file that failed with why.

    Loading is deferred until something asks: opening the app reads the frameworks pinned
    beside its assessments, so it need not parse YAML before the first screen is painted.
    """

    def __init__(self, loader: Callable[[Catalogue], None] | None = None):
        self._frameworks: dict[str, fw.Framework] = {}
        self._kinds: dict[str, str] = {}  # id@version -> "bundled" | "user"
        self._failures: dict[str, list[Problem]] = {}
        self._crosswalks: list[Crosswalk] = []
        self._loader = loader

    def _ensure(self) -> None:
        if self._loader is not None:
            loader, self._loader = self._loader, None
            loader(self)

    @property
    def frameworks(self) -> dict[str, fw.Framework]:
        self._ensure()
        return self._frameworks

    @property
    def kinds(self) -> dict[str, str]:
        self._ensure()
        return self._kinds

    @property
    def failures(self) -> dict[str, list[Problem]]:
        self._ensure()
        return self._failures

    @property
    def crosswalks(self) -> list[Crosswalk]:
        """Crosswalks between frameworks here, each checked against the frameworks it joins."""
        self._ensure()
        return self._crosswalks

    def add_crosswalk(self, crosswalk: Crosswalk) -> None:
        self._ensure()
        self._crosswalks.append(crosswalk)

    def add(self, framework: fw.Framework, kind: str) -> None:
        self._ensure()
        existing = self._frameworks.get(framework.key)
        if existing is not None and existing.content_hash != framework.content_hash:
            # Same id and version, different content: an author forgot to bump the version.
            self._failures.setdefault(framework.origin, []).append(
                Problem(framework.origin, 1, 1,
                        f"framework {framework.key} is already defined by {existing.origin} with different content, "
                        "expected a new version number for changed content"))
            return
        if existing is None:
            self._frameworks[framework.key] = framework
            self._kinds[framework.key] = kind

    def get(self, name: str) -> fw.Framework:
        """A framework by id@version, or by id alone (its highest version)."""
        if name in self.frameworks:
            return self.frameworks[name]
        matches = [f for f in self.frameworks.values() if f.id == name]
        if not matches:
            known = ", ".join(sorted({f.id for f in self.frameworks.values()})) or "(none)"
            raise NotFound(f"no framework '{name}', expected one of: {known}")
        return max(matches, key=lambda f: _version_key(f.version))

    def latest(self) -> list[fw.Framework]:
        return sorted((self.get(i) for i in {f.id for f in self.frameworks.values()}), key=lambda f: f.title)


def _version_key(version: str) -> tuple[tuple[int, object], ...]:
    parts: list[tuple[int, object]] = []
    for piece in version.replace("-", ".").split("."):
        # ASCII digits only and not too many: int() refuses '²' and digit strings past its limit
        parts.append((0, int(piece)) if piece.isascii() and piece.isdigit() and len(piece) < 30 else (1, piece))
    return tuple(parts)


def framework_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in FRAMEWORK_SUFFIXES and p.is_file())


def load_catalogue(bundled: Path, user_dirs: list[Path]) -> Catalogue:
    """The frameworks in these folders, read when first asked for."""

    def load(cat: Catalogue) -> None:
        from .crosswalk import load_folder as load_crosswalks

        for kind, folders in (("bundled", [bundled]), ("user", user_dirs)):
            for folder in folders:
                for path in framework_files(folder):
                    try:
                        cat.add(fw.load_file(path), kind)
                    except FrameworkError as exc:
                        cat._failures[str(path)] = exc.problems
        # Crosswalks (in a crosswalks folder beside the frameworks) are read once the frameworks are.
        for folder in [bundled, *user_dirs]:
            found, failures = load_crosswalks(folder / "crosswalks", cat._frameworks)
            cat._crosswalks += found
            cat._failures.update(failures)

    return Catalogue(load)


version_key = _version_key  # the one ordering of versions, for indicator sets too

"""Where frameworks come from: the bundled ones, the user's folder, and folders named on the command line."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import framework as fw
from .errors import FrameworkError, NotFound, Problem

FRAMEWORK_SUFFIXES = (".yaml", ".yml")


@dataclass
class Catalogue:
    """Every framework found, keyed by id@version, and every file that failed with why."""

    frameworks: dict[str, fw.Framework] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)  # id@version -> "bundled" | "user"
    failures: dict[str, list[Problem]] = field(default_factory=dict)

    def add(self, framework: fw.Framework, kind: str) -> None:
        existing = self.frameworks.get(framework.key)
        if existing is not None and existing.content_hash != framework.content_hash:
            # Same id and version, different content: an author forgot to bump the version.
            self.failures.setdefault(framework.origin, []).append(
                Problem(framework.origin, 1, 1,
                        f"framework {framework.key} is already defined by {existing.origin} with different content, "
                        "expected a new version number for changed content"))
            return
        if existing is None:
            self.frameworks[framework.key] = framework
            self.kinds[framework.key] = kind

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


def _version_key(version: str) -> tuple:
    parts: list[tuple[int, object]] = []
    for piece in version.replace("-", ".").split("."):
        parts.append((0, int(piece)) if piece.isdigit() else (1, piece))
    return tuple(parts)


def framework_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in FRAMEWORK_SUFFIXES and p.is_file())


def load_catalogue(bundled: Path, user_dirs: list[Path]) -> Catalogue:
    cat = Catalogue()
    for kind, folders in (("bundled", [bundled]), ("user", user_dirs)):
        for folder in folders:
            for path in framework_files(folder):
                try:
                    cat.add(fw.load_file(path), kind)
                except FrameworkError as exc:
                    cat.failures[str(path)] = exc.problems
    return cat

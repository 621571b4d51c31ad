"""Errors a user can act on.

Every error raised on purpose is a SelfAssessError: its message is complete and is
shown as it is. The CLI and the app never show a traceback for one. What to do next, where
it is a step in one of the doors, is a Hint: the words, plus how each door says it (the CLI
as a command, the app as a key), so the core's messages carry no door's syntax.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Hint:
    """What to do about an error: in words, and as the CLI command and the app key that do it."""

    words: str  # "reopen it as a new version, with a reason"
    command: str | None = None  # for the CLI: "selfassess reopen 1a2b3c4d --reason TEXT"
    key: str | None = None  # for the app: "Ctrl+R (Reopen as a new version) on the home screen"

    def for_cli(self) -> str:
        return f"{self.words}: {self.command}" if self.command else self.words

    def for_app(self) -> str:
        return f"{self.words}: {self.key}" if self.key else self.words


class SelfAssessError(Exception):
    """An error whose message tells the user what is wrong, and its hint what to do."""

    exit_code = 1
    hint: Hint | None = None

    def __init__(self, *args: object, hint: Hint | None = None):
        super().__init__(*args)
        if hint is not None:
            self.hint = hint

    def for_cli(self) -> str:
        return f"{str(self).rstrip('.')}. {_capital(self.hint.for_cli())}" if self.hint else str(self)

    def for_app(self) -> str:
        return f"{str(self).rstrip('.')}. {_capital(self.hint.for_app())}" if self.hint else str(self)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


class InvalidInput(SelfAssessError):
    """The user asked for something that does not fit (a bad date, an unknown rating)."""


class NotFound(SelfAssessError):
    """An id, ref or name that matches nothing."""


class Refused(SelfAssessError):
    """The request is understood but not allowed now (a signed-off assessment, say)."""


class RationaleNeeded(Refused):
    """An agreed rating away from the raters' median, given without a reason: the app asks for one."""


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in a file, in the editor-style form file:line:column: message."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class FrameworkError(SelfAssessError):
    """A framework file that cannot be used, with every problem found in one pass."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))

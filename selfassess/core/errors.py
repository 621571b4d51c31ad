"""Errors a user can act on.

Every error raised on purpose is a SelfAssessError: its message is complete and is
shown as it is. The CLI and the app never show a traceback for one.
"""

from __future__ import annotations

from dataclasses import dataclass


class SelfAssessError(Exception):
    """An error whose message tells the user what is wrong and what to do."""

    exit_code = 1


class InvalidInput(SelfAssessError):
    """The user asked for something that does not fit (a bad date, an unknown rating)."""


class NotFound(SelfAssessError):
    """An id, ref or name that matches nothing."""


class Refused(SelfAssessError):
    """The request is understood but not allowed now (a signed-off assessment, say)."""


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

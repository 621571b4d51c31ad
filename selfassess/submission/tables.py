"""Where a regulator's installation keeps what it received: the table names, and the one question
the app asks at start (is this a regulator's store?), without importing the review service and
the schema library behind it."""

from __future__ import annotations

from ..core.workspace import Workspace

SUBMISSIONS, REMOVED_TABLE, MARKS, SENT = ("submissions", "removed_submissions", "review_marks", "review_feedback_sent")


def has_submissions(ws: Workspace) -> bool:
    """Whether any submission was imported here: a regulator's installation."""
    return bool(ws.repo.all(SUBMISSIONS))

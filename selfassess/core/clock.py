"""Today and now. SELFASSESS_TODAY pins the date so demos, tests and screenshots are stable."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime

TODAY_ENV = "SELFASSESS_TODAY"


@dataclass(frozen=True)
class Clock:
    fixed_today: date | None = None
    fixed_now: str | None = None  # for screenshots: a time that never moves

    def today(self) -> date:
        return self.fixed_today or date.today()

    def now(self) -> str:
        """The current time as an ISO 8601 UTC timestamp, to the second."""
        if self.fixed_now:
            return self.fixed_now
        return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def system_clock() -> Clock:
    pinned = os.environ.get(TODAY_ENV)
    if pinned:
        try:
            return Clock(date.fromisoformat(pinned))
        except ValueError:
            pass  # a bad override is ignored rather than stopping the app
    return Clock()

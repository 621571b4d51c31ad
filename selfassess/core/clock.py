"""Today and now. SELFASSESS_TODAY pins the date so demos, tests and screenshots are stable."""

from __future__ import annotations

import os
import time
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
        global _stamp
        second = int(time.time())  # the clock datetime.now reads
        if _stamp[0] != second:  # a save stamps each event: the text is made once a second, not per save
            _stamp = (second, datetime.fromtimestamp(second, UTC).isoformat().replace("+00:00", "Z"))
        return _stamp[1]


_stamp: tuple[int, str] = (-1, "")


def system_clock() -> Clock:
    pinned = os.environ.get(TODAY_ENV)
    if pinned:
        try:
            return Clock(date.fromisoformat(pinned))
        except ValueError:
            pass  # a bad override is ignored rather than stopping the app
    return Clock()

"""When a message may go: sending hours, the per-council rate window, backoff after a failure. No I/O.

Every function takes the instant it reasons about (``as_of``), so a pass run for any instant
(``POST /v1/notifications/run``) decides exactly as the timer does with the current time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.common.clock import parse_daily_hours, stamp


@dataclass(frozen=True)
class SendingHours:
    """``HH:MM-HH:MM`` local to the council; an end before the start spans midnight (``22:00-06:00``)."""

    start: int  # minutes after midnight
    end: int

    @classmethod
    def parse(cls, text: str) -> SendingHours:
        """Read ``NOTIFICATIONS_SENDING_HOURS`` (``24:00`` is the end of the day); ValueError if bad."""
        return cls(*parse_daily_hours(text))

    def allow(self, as_of: datetime, timezone: str) -> bool:
        """Whether mail to people may leave at ``as_of``, where the council is."""
        local = as_of.astimezone(ZoneInfo(timezone))
        minute = local.hour * 60 + local.minute
        if self.start <= self.end:
            return self.start <= minute < self.end
        return minute >= self.start or minute < self.end


def rate_window(as_of: datetime) -> str:
    """The minute ``as_of`` falls in: the per-council rate limit counts mails per such window."""
    return stamp(as_of.replace(second=0, microsecond=0))[:16]


def backoff_seconds(attempts: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base * 2**(attempts - 1))]."""
    ceiling = min(cap, base * 2 ** max(attempts - 1, 0))
    return (rng or random).uniform(0, ceiling)


def session_reminder_window(session_day: date, timezone: str) -> tuple[str, str]:
    """(not before, expires at) of the reminder of a session: from the council's midnight before
    the day before it, until the session's day begins there."""
    starts = datetime.combine(session_day, time(0), ZoneInfo(timezone))
    return stamp(starts - timedelta(days=1)), stamp(starts)

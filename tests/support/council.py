"""The test councils' calendar: they are registered with the registry's default time zone (Toronto), and
every date rule of theirs (a cohort's last day, 09:00 sends) runs on their local date, not the
machine's: between 00:00 UTC and midnight in Toronto the two differ by a day."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

COUNCIL_TIMEZONE = ZoneInfo("America/Toronto")


def council_today() -> date:
    """Today in the test councils' time zone."""
    return datetime.now(COUNCIL_TIMEZONE).date()

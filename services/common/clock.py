"""Time as we store it: RFC 3339 UTC text with milliseconds (``2026-11-21T20:33:41.228Z``).

Stored times are text, not BSON dates: fixed-width UTC text sorts and compares chronologically in
MongoDB and in nx-27017 alike, while nx-27017 0.8.1 turns a date written by ``$set`` into a
string of another format (docs/storage.md lists the divergences).
"""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

EPOCH = "1970-01-01T00:00:00.000Z"
_TIME_OF_DAY = re.compile(r"(?P<hours>[01][0-9]|2[0-3]):(?P<minutes>[0-5][0-9])")


def now() -> datetime:
    """The current instant, timezone-aware UTC."""
    return datetime.now(UTC)


def stamp(moment: datetime | None = None) -> str:
    """``moment`` (default now) as stored text; naive datetimes are taken as UTC."""
    moment = moment or now()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_stamp(text: str) -> datetime:
    """Stored text back to an aware datetime; text without an offset is taken as UTC, as ``stamp``
    takes a naive datetime (so two parsed stamps always compare)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def stamp_after(seconds: float, moment: datetime | None = None) -> str:
    """The stamp ``seconds`` after ``moment`` (default now)."""
    return stamp((moment or now()) + timedelta(seconds=seconds))


def local_day(moment: datetime, timezone: str) -> date:
    """The calendar day ``moment`` falls on in a council's IANA time zone (its "today" at ``moment``)."""
    return moment.astimezone(ZoneInfo(timezone)).date()


def parse_daily_hours(text: str) -> tuple[int, int]:
    """``HH:MM-HH:MM`` (``24:00`` may end it) as (start, end) in minutes after midnight; an end
    before the start spans midnight. Raises ``ValueError`` for anything else."""
    first, _, last = text.partition("-")
    start, end = _TIME_OF_DAY.fullmatch(first), _TIME_OF_DAY.fullmatch(last)
    if start is None or (end is None and last != "24:00"):
        raise ValueError(f"expected HH:MM-HH:MM from 00:00 to 24:00, got {text!r}")
    return _minutes(start), (_minutes(end) if end else 24 * 60)


def _minutes(time_of_day: re.Match) -> int:
    return int(time_of_day["hours"]) * 60 + int(time_of_day["minutes"])

"""Time as we store it: RFC 3339 UTC text with milliseconds (``2026-11-21T20:33:41.228Z``).

Stored times are text, not BSON dates: fixed-width UTC text sorts and compares chronologically in
MongoDB and in nx-27017 alike, while nx-27017 0.8.1 turns a date written by ``$set`` into a
string of another format (docs/storage.md lists the divergences).
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

EPOCH = "1970-01-01T00:00:00.000Z"


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
    """Stored text back to an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def stamp_after(seconds: float, moment: datetime | None = None) -> str:
    """The stamp ``seconds`` after ``moment`` (default now)."""
    return stamp((moment or now()) + timedelta(seconds=seconds))


def local_day(moment: datetime, timezone: str) -> date:
    """The calendar day ``moment`` falls on in a council's IANA time zone (its "today" at ``moment``)."""
    return moment.astimezone(ZoneInfo(timezone)).date()

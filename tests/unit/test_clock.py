"""Stored times: RFC 3339 text in UTC, read back as aware datetimes that always compare."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from services.common.clock import local_day, parse_stamp, stamp


def test_a_stamp_reads_back_as_the_same_instant():
    moment = datetime(2026, 11, 21, 23, 30, 0, 123000, tzinfo=UTC)
    assert stamp(moment) == "2026-11-21T23:30:00.123Z"
    assert parse_stamp(stamp(moment)) == moment


@pytest.mark.parametrize("text", ["2026-11-21T23:30:00Z", "2026-11-21T23:30:00+00:00",
                                  "2026-11-21T18:30:00-05:00", "2026-11-21T23:30:00"])
def test_every_way_of_writing_one_instant_parses_aware_and_equal(text):
    parsed = parse_stamp(text)
    assert parsed.tzinfo is not None
    assert parsed == datetime(2026, 11, 21, 23, 30, tzinfo=UTC)


def test_a_councils_day_is_its_own_not_utcs():
    late_evening_in_toronto = datetime(2026, 11, 22, 0, 30, tzinfo=UTC)
    assert local_day(late_evening_in_toronto, "America/Toronto") == date(2026, 11, 21)
    in_tokyo = late_evening_in_toronto.astimezone(timezone(timedelta(hours=9)))
    assert local_day(in_tokyo, "UTC") == date(2026, 11, 22)  # the instant, not the offset it is written in

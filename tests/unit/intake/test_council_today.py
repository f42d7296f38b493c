"""Intake's "today" is the council's calendar day in its time zone, not the UTC one: in a Toronto
evening, when UTC is on the next day already, a match planned to end tomorrow there is accepted and
the dates of things done default to the day it still is there."""
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from marshmallow import ValidationError

from services.intake import service
from services.intake.mentoring_schemas import MatchSchema
from services.intake.org_change_schemas import AssessmentSchema, CertificationSchema

TORONTO_EVENING = datetime(2026, 5, 11, 1, 30, tzinfo=UTC)  # 21:30 on 10 May in Toronto (EDT)
EVENING_DAY, NEXT_DAY = "2026-05-10", "2026-05-11"


def council_in(timezone: str) -> SimpleNamespace:
    """What ``IntakeService._today`` reads of its worker: the council's time zone."""
    return SimpleNamespace(council=SimpleNamespace(timezone=timezone))


def test_the_service_takes_today_in_the_councils_time_zone(monkeypatch):
    monkeypatch.setattr(service, "now", lambda: TORONTO_EVENING)
    assert service.IntakeService._today(council_in("America/Toronto")) == EVENING_DAY
    assert service.IntakeService._today(council_in("America/Vancouver")) == EVENING_DAY
    assert service.IntakeService._today(council_in("America/Halifax")) == EVENING_DAY  # 22:30 there
    assert service.IntakeService._today(council_in("UTC")) == NEXT_DAY


def test_in_a_toronto_evening_a_match_may_end_tomorrow_there_but_not_today():
    body = {"mentor_id": "par_mentor", "mentee_id": "par_mentee"}
    assert MatchSchema(today=EVENING_DAY).load({**body, "planned_end": NEXT_DAY})["planned_end"] == NEXT_DAY
    with pytest.raises(ValidationError) as refused:
        MatchSchema(today=EVENING_DAY).load({**body, "planned_end": EVENING_DAY})
    assert refused.value.messages == {"planned_end": [f"Must be after today ({EVENING_DAY})."]}


def test_in_a_toronto_evening_dates_done_default_to_the_day_it_is_there():
    recommendation = {"area": "mentoring", "text": "Start a mentoring circle."}
    assert AssessmentSchema(today=EVENING_DAY).load({"recommendations": [recommendation]})[
        "delivered_on"] == EVENING_DAY
    assert CertificationSchema(today=EVENING_DAY).load({"kind": "trainer"})["certified_on"] == EVENING_DAY

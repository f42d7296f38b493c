"""What the surveys integration tests share: intake played by publishing its events, the invitations
as the API lists them, the due-work pass run ``as_of`` a chosen instant, and what surveys published."""
from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta

from services.common.clock import stamp
from services.common.envelope import new_event
from tests.support.amqp import publish_event
from tests.support.council import COUNCIL_TIMEZONE, council_today
from tests.support.http import Api
from tests.support.waiting import eventually

ENDED_ON = council_today() + timedelta(days=20)  # in the future: due at the start of that day in Toronto


class Intake:
    """Plays the intake service: publishes its events as its outbox relay would."""

    def __init__(self, amqp_uri: str, tenant_id: str, survey_db):
        self.amqp_uri, self.tenant_id, self.db = amqp_uri, tenant_id, survey_db

    def publish(self, event_type: str, data: dict, at: datetime | None = None) -> dict:
        """Publish ``event_type`` with ``data``, stamped ``at`` (now unless told)."""
        event = new_event("intake", event_type, self.tenant_id, data, at=at)
        publish_event(self.amqp_uri, "intake", event)
        return event

    def register(self, surveys_consent: bool = True, language: str = "en", role: str = "newcomer") -> str:
        """A participant, registered and known to surveys."""
        participant_id = f"p{secrets.token_hex(4)}"
        self.publish("participant.registered", {
            "participant_id": participant_id, "role": role, "employer_id": "e1", "occupation_noc": "21231",
            "years_in_canada": 3, "preferred_language": language,
            "consent": {"surveys": surveys_consent, "research": True, "contact": True}})
        eventually(lambda: self.db["participants"].find_one({"_id": participant_id}), what="the projection")
        return participant_id

    def complete_cohort(self, participant_ids: list[str], ended_on: date = ENDED_ON) -> dict:
        cohort_id = f"c{secrets.token_hex(4)}"
        return self.publish("cohort.completed", {
            "cohort_id": cohort_id, "program_kind": "caip", "ended_on": ended_on.isoformat(),
            "program_id": "prg1", "employer_ids": ["e1"], "sessions_planned": 4,
            "enrolments": [{"participant_id": pid, "role": "newcomer", "sessions_attended": 4,
                            "completed": True} for pid in participant_ids]})

    def handled(self, event: dict) -> None:
        """Wait until surveys has processed ``event``."""
        eventually(lambda: self.db["processed_events"].find_one({"event_id": event["id"]}),
                   what=f"{event['type']} handled")


def invitations(api: Api, **filters) -> list[dict]:
    answer = api.get("/v1/invitations", params=filters)
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def wait_for_invitations(api: Api, cohort_id: str, count: int, wave: str = "post") -> list[dict]:
    return eventually(lambda: len(found := invitations(api, cohort_id=cohort_id, wave=wave)) == count
                      and found, what=f"{count} invitations")


def nine_in_toronto(day: date) -> datetime:
    """09:00 on ``day`` where the test councils are: when surveys sends."""
    return datetime.combine(day, time(9), COUNCIL_TIMEZONE)


def run_pass(api: Api, moment: datetime) -> dict:
    """Run the due-work pass as of ``moment``; returns what it did."""
    answer = api.post("/v1/scheduler/run", {"as_of": stamp(moment)})
    assert answer.status_code == 200, answer.text
    return answer.json()


def outbox_events(survey_db, event_type: str) -> list[dict]:
    """The ``event_type`` events surveys committed to its outbox."""
    return [entry["event"] for entry in survey_db["outbox"].find({"type": event_type})]


def submitted_events(survey_db) -> list[dict]:
    """The data of the ``response.submitted`` events surveys committed to its outbox."""
    return [event["data"] for event in outbox_events(survey_db, "response.submitted")]


def token_of(link: str) -> str:
    """The respondent's token in a survey link (``.../r/<token>``)."""
    return link.split("/r/")[1]

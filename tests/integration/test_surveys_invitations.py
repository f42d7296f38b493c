"""Surveys over real RabbitMQ and the Mongo server: invitations from intake's events, and the due-work pass.

Intake is played by publishing its events; time is moved by running the due-work pass over HTTP
``as_of`` the instant a test needs. Every test has its own tenant, so tests never see each other.
"""
from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.common.clock import now, parse_stamp, stamp
from services.common.envelope import new_event
from services.surveys.service import SurveysService
from tests.support.amqp import publish_event
from tests.support.council import council_today
from tests.support.http import Api
from tests.support.nameko import start_service
from tests.support.waiting import eventually

ENDED_ON = council_today() + timedelta(days=20)  # in the future: due at the start of that day in Toronto


@pytest.fixture
def intake(amqp_uri, tenant, survey_db):
    return Intake(amqp_uri, tenant["id"], survey_db)


class Intake:
    """Plays the intake service: publishes its events as its outbox relay would."""

    def __init__(self, amqp_uri: str, tenant_id: str, survey_db):
        self.amqp_uri, self.tenant_id, self.db = amqp_uri, tenant_id, survey_db

    def publish(self, event_type: str, data: dict) -> dict:
        event = new_event("intake", event_type, self.tenant_id, data)
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


def invitations(api: Api, **filters) -> list[dict]:
    answer = api.get("/v1/invitations", params=filters)
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def wait_for_invitations(api: Api, cohort_id: str, count: int, wave: str = "post") -> list[dict]:
    return eventually(lambda: len(found := invitations(api, cohort_id=cohort_id, wave=wave)) == count
                      and found, what=f"{count} invitations")


def nine_in_toronto(day: date) -> datetime:
    return datetime.combine(day, time(9), ZoneInfo("America/Toronto"))


def run_pass(api: Api, moment) -> dict:
    answer = api.post("/v1/scheduler/run", {"as_of": stamp(moment)})
    assert answer.status_code == 200, answer.text
    return answer.json()


def outbox_events(db, event_type: str) -> list[dict]:
    return [entry["event"] for entry in db["outbox"].find({"type": event_type})]


def scheduled_one(surveys: Api, intake: Intake, **participant) -> dict:
    """One participant, their cohort completed: their post invitation, scheduled."""
    participant_id = intake.register(**participant)
    cohort = intake.complete_cohort([participant_id])
    return wait_for_invitations(surveys, cohort["data"]["cohort_id"], 1)[0]


def test_a_completed_cohort_schedules_one_post_invitation_per_enrolment(surveys, intake, survey_db):
    people = [intake.register(), intake.register(language="fr")]
    cohort = intake.complete_cohort(people)
    found = wait_for_invitations(surveys, cohort["data"]["cohort_id"], 2)
    assert {each["participant_id"] for each in found} == set(people)
    assert {(each["wave"], each["status"], each["instrument_key"]) for each in found} == {
        ("post", "scheduled", "caip_post")}
    # a cohort ending later: due at 09:00 in the council's time zone on its last day; open 30 days
    assert found[0]["due_at"] == stamp(nine_in_toronto(ENDED_ON))
    assert parse_stamp(found[0]["closes_at"]) == nine_in_toronto(ENDED_ON + timedelta(days=30))
    events = [e for e in outbox_events(survey_db, "invitation.scheduled") if e["data"]["wave"] == "post"]
    assert {event["data"]["participant_id"] for event in events} == set(people)
    assert events[0]["data"]["role"] == "newcomer" and events[0]["data"]["program_kind"] == "caip"


def test_a_cohort_completed_twice_still_gives_one_invitation_each(surveys, intake, survey_db):
    people = [intake.register(), intake.register()]
    first = intake.complete_cohort(people)
    cohort_id = first["data"]["cohort_id"]
    publish_event(intake.amqp_uri, "intake", first)  # the same event redelivered
    again = intake.publish("cohort.completed", first["data"])  # and announced again under a new id
    processed = survey_db["processed_events"]
    eventually(lambda: processed.find_one({"event_id": again["id"]}), what="the second announcement handled")
    assert len(wait_for_invitations(surveys, cohort_id, 2)) == 2
    assert len(outbox_events(survey_db, "invitation.scheduled")) == 6  # post, fu3, fu12 each


def test_a_cohort_that_ended_in_the_past_is_due_now(surveys, intake):
    participant_id = intake.register()
    cohort = intake.complete_cohort([participant_id], ended_on=council_today() - timedelta(days=3))
    before = now()
    invitation = wait_for_invitations(surveys, cohort["data"]["cohort_id"], 1)[0]
    assert before - timedelta(seconds=5) <= parse_stamp(invitation["due_at"]) <= now()


def test_the_invitation_is_sent_on_the_due_day_and_not_before(surveys, intake, survey_db):
    invitation = scheduled_one(surveys, intake)
    due = parse_stamp(invitation["due_at"])
    assert run_pass(surveys, due - timedelta(minutes=1))["sent"] == 0
    assert run_pass(surveys, due)["sent"] == 1
    [sent] = invitations(surveys, participant_id=invitation["participant_id"], wave="post")
    assert sent["status"] == "sent"
    [event] = outbox_events(survey_db, "invitation.due")
    assert event["data"]["attempt"] == 0
    assert event["data"]["link"].split("/r/")[1].startswith(f"{intake.tenant_id}.")
    assert event["data"]["instrument_key"] == "caip_post"
    assert event["data"]["closes_at"] == invitation["closes_at"]
    assert run_pass(surveys, due + timedelta(hours=1))["sent"] == 0  # sent once


def test_the_invitation_list_never_shows_a_token(surveys, intake, survey_db):
    invitation = scheduled_one(surveys, intake)
    run_pass(surveys, parse_stamp(invitation["due_at"]))
    [event] = outbox_events(survey_db, "invitation.due")
    token = event["data"]["link"].split("/r/")[1]
    listing = surveys.get("/v1/invitations", params={"status": "sent"}).text
    assert token not in listing and token.split(".")[1] not in listing


def test_a_participant_who_gave_no_survey_consent_is_cancelled_when_due(surveys, intake, survey_db):
    invitation = scheduled_one(surveys, intake, surveys_consent=False)
    result = run_pass(surveys, parse_stamp(invitation["due_at"]))
    assert (result["sent"], result["cancelled"]) == (0, 1)  # only the post wave has fallen due
    [cancelled] = invitations(surveys, participant_id=invitation["participant_id"], wave="post")
    assert (cancelled["status"], cancelled["reason"]) == ("cancelled", "consent")
    assert [e["data"]["reason"] for e in outbox_events(survey_db, "invitation.cancelled")] == ["consent"]
    assert outbox_events(survey_db, "invitation.due") == []


def test_consent_withdrawn_after_scheduling_cancels_every_open_wave_at_once(surveys, intake, survey_db):
    invitation = scheduled_one(surveys, intake)
    change = intake.publish("consent.changed", {"participant_id": invitation["participant_id"],
                                                "surveys": False, "research": False, "contact": True})
    eventually(lambda: intake.db["processed_events"].find_one({"event_id": change["id"]}), what="the change")
    found = invitations(surveys, participant_id=invitation["participant_id"])
    assert {(each["wave"], each["status"], each["reason"]) for each in found} == {
        ("post", "cancelled", "consent"), ("fu3", "cancelled", "consent"), ("fu12", "cancelled", "consent")}
    assert run_pass(surveys, parse_stamp(invitation["due_at"]))["sent"] == 0


def test_an_invitation_for_a_participant_not_yet_known_waits(surveys, intake):
    cohort = intake.complete_cohort(["p-not-yet-registered"])
    invitation = wait_for_invitations(surveys, cohort["data"]["cohort_id"], 1)[0]
    due = parse_stamp(invitation["due_at"])
    assert run_pass(surveys, due)["waiting"] == 1
    assert invitations(surveys, cohort_id=invitation["cohort_id"])[0]["status"] == "scheduled"


def test_reminders_go_out_at_seven_and_fourteen_days_and_no_more(surveys, intake, survey_db):
    due = parse_stamp(scheduled_one(surveys, intake)["due_at"])
    run_pass(surveys, due)
    day = ENDED_ON
    assert run_pass(surveys, nine_in_toronto(day + timedelta(days=7)) - timedelta(minutes=1))["due"] == 0
    assert run_pass(surveys, nine_in_toronto(day + timedelta(days=7)))["reminded"] == 1
    assert run_pass(surveys, nine_in_toronto(day + timedelta(days=14)))["reminded"] == 1
    assert run_pass(surveys, nine_in_toronto(day + timedelta(days=21)))["reminded"] == 0
    attempts = sorted(e["data"]["attempt"] for e in outbox_events(survey_db, "invitation.due"))
    assert attempts == [0, 1, 2]
    links = {e["data"]["link"] for e in outbox_events(survey_db, "invitation.due")}
    assert len(links) == 3
    # every link of the invitation still opens the form
    for link in links:
        assert surveys.with_key(None).get("/r/" + link.split("/r/")[1]).status_code == 200


def test_no_reminder_is_sent_after_a_response(surveys, intake, survey_db):
    due = parse_stamp(scheduled_one(surveys, intake)["due_at"])
    run_pass(surveys, due)
    [event] = outbox_events(survey_db, "invitation.due")
    token = event["data"]["link"].split("/r/")[1]
    answer = surveys.with_key(None).post(f"/r/{token}", {"satisfaction": 5, "knowledge_increased": 4})
    assert answer.status_code == 200, answer.text
    assert run_pass(surveys, nine_in_toronto(ENDED_ON + timedelta(days=7)))["reminded"] == 0
    assert len(outbox_events(survey_db, "invitation.due")) == 1


def test_an_unanswered_invitation_expires_after_thirty_days_and_its_link_is_gone(surveys, intake, survey_db):
    invitation = scheduled_one(surveys, intake)
    due = parse_stamp(invitation["due_at"])
    run_pass(surveys, due)
    assert run_pass(surveys, due + timedelta(days=29, hours=23))["expired"] == 0
    assert run_pass(surveys, due + timedelta(days=30))["expired"] == 1
    [expired] = invitations(surveys, participant_id=invitation["participant_id"], wave="post")
    assert expired["status"] == "expired"
    assert [e["data"]["invitation_id"] for e in outbox_events(survey_db, "invitation.expired")] == [
        invitation["id"]]
    first_link = next(e for e in outbox_events(survey_db, "invitation.due") if e["data"]["attempt"] == 0)
    page = surveys.with_key(None).get("/r/" + first_link["data"]["link"].split("/r/")[1])
    assert page.status_code == 410
    assert "This survey link can no longer be used" in page.text


def test_a_withdrawn_participant_s_open_invitation_is_cancelled(surveys, intake, survey_db):
    invitation = scheduled_one(surveys, intake)
    intake.publish("participant.withdrawn", {"participant_id": invitation["participant_id"],
                                             "cohort_id": invitation["cohort_id"], "reason": "moved"})
    eventually(lambda: {each["status"] for each in invitations(
        surveys, participant_id=invitation["participant_id"])} == {"cancelled"}, what="the cancellation")
    events = {e["data"]["wave"]: e["data"] for e in outbox_events(survey_db, "invitation.cancelled")}
    assert set(events) == {"post", "fu3", "fu12"}
    assert events["post"] == {"invitation_id": invitation["id"], "reason": "withdrawn", "wave": "post",
                              "participant_id": invitation["participant_id"],
                              "cohort_id": invitation["cohort_id"]}
    assert run_pass(surveys, parse_stamp(invitation["due_at"]))["sent"] == 0


def test_a_withdrawal_that_arrives_before_the_completion_prevents_the_invitation(surveys, intake):
    stays, leaves = intake.register(), intake.register()
    cohort_id = f"c{secrets.token_hex(4)}"
    withdrawal = intake.publish("participant.withdrawn", {"participant_id": leaves, "cohort_id": cohort_id,
                                                          "reason": "new job"})
    eventually(lambda: intake.db["processed_events"].find_one({"event_id": withdrawal["id"]}))
    enrolments = [{"participant_id": pid, "role": "newcomer"} for pid in (stays, leaves)]
    intake.publish("cohort.completed", {"cohort_id": cohort_id, "program_kind": "caip",
                                        "ended_on": ENDED_ON.isoformat(), "enrolments": enrolments})
    assert [each["participant_id"] for each in wait_for_invitations(surveys, cohort_id, 1)] == [stays]


def test_passes_running_at_once_send_each_invitation_once(surveys, intake, survey_db):
    people = [intake.register() for _ in range(8)]
    cohort = intake.complete_cohort(people)
    due = parse_stamp(wait_for_invitations(surveys, cohort["data"]["cohort_id"], 8)[0]["due_at"])
    with ThreadPoolExecutor(4) as pool:  # four passes at once: each reads all eight as due
        results = list(pool.map(lambda _: run_pass(surveys, due), range(4)))
    assert sum(result["sent"] for result in results) == 8
    sent_for = [e["data"]["invitation_id"] for e in outbox_events(survey_db, "invitation.due")]
    assert len(sent_for) == len(set(sent_for)) == 8


def test_the_timer_runs_the_pass_as_of_now(service_env, container_factory, amqp_uri, tenant, survey_db):
    service_env.setenv("SCHEDULER_INTERVAL_SECONDS", "0.5")
    # a dedicated instance: the timer need not walk every tenant that other tests registered
    service_env.setenv("SERVED_TENANTS", tenant["id"])
    surveys = Api(start_service(container_factory, SurveysService, amqp_uri), tenant["admin"])
    intake = Intake(amqp_uri, tenant["id"], survey_db)
    participant_id = intake.register()
    intake.complete_cohort([participant_id], ended_on=council_today() - timedelta(days=1))  # due now
    eventually(lambda: invitations(surveys, participant_id=participant_id, status="sent"), what="the send")
    eventually(lambda: outbox_events(survey_db, "invitation.due"), what="the event")
    assert [e["data"]["attempt"] for e in outbox_events(survey_db, "invitation.due")] == [0]


def test_only_an_admin_may_run_the_scheduler_and_as_of_must_be_rfc3339(surveys, tenant):
    assert surveys.with_key(tenant["staff"]).post("/v1/scheduler/run", {"as_of": stamp()}).status_code == 403
    answer = surveys.post("/v1/scheduler/run", {"as_of": "tomorrow"})
    assert answer.status_code == 400 and "as_of" in answer.json()["fields"]


def test_invitations_page_with_limit_and_after(surveys, intake):
    people = [intake.register() for _ in range(3)]
    cohort_id = intake.complete_cohort(people)["data"]["cohort_id"]
    wait_for_invitations(surveys, cohort_id, 3)
    first = surveys.get("/v1/invitations", params={"cohort_id": cohort_id, "wave": "post", "limit": 2}).json()
    assert len(first["items"]) == 2 and first["next"] == first["items"][1]["id"]
    rest = surveys.get("/v1/invitations", params={"cohort_id": cohort_id, "wave": "post", "limit": 2,
                                                   "after": first["next"]})
    assert len(rest.json()["items"]) == 1 and rest.json()["next"] is None
    assert {each["participant_id"] for each in first["items"] + rest.json()["items"]} == set(people)

"""Surveys over real RabbitMQ and the Mongo server: invitations from intake's events, and the due-work pass.

Intake is played by publishing its events; time is moved by running the due-work pass over HTTP
``as_of`` the instant a test needs. Every test has its own tenant, so tests never see each other.
"""
from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from prometheus_client import REGISTRY

from services.common.clock import now, parse_stamp, stamp
from services.surveys.service import SurveysService
from tests.integration.surveys_support import (
    ENDED_ON,
    Intake,
    invitations,
    nine_in_toronto,
    outbox_events,
    run_pass,
    token_of,
    wait_for_invitations,
)
from tests.support.amqp import publish_event
from tests.support.council import council_today
from tests.support.http import Api
from tests.support.nameko import start_service
from tests.support.waiting import eventually


def scheduled_one(surveys: Api, intake_events: Intake, **participant) -> dict:
    """One participant, their cohort completed: their post invitation, scheduled."""
    participant_id = intake_events.register(**participant)
    cohort = intake_events.complete_cohort([participant_id])
    return wait_for_invitations(surveys, cohort["data"]["cohort_id"], 1)[0]


def test_a_completed_cohort_schedules_one_post_invitation_per_enrolment(surveys, intake_events, survey_db):
    people = [intake_events.register(), intake_events.register(language="fr")]
    cohort = intake_events.complete_cohort(people)
    intake_events.handled(cohort)  # the whole effect, outbox included (nx-27017 shows uncommitted writes)
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


def duplicate_completions() -> float:
    """How many cohort.completed events surveys (in this process) acked as already processed."""
    labels = {"service": "surveys", "event_type": "cohort.completed", "outcome": "duplicate"}
    return REGISTRY.get_sample_value("iec_events_consumed_total", labels) or 0.0


def test_a_cohort_completed_twice_still_gives_one_invitation_each(surveys, intake_events, survey_db):
    people = [intake_events.register(), intake_events.register()]
    first = intake_events.complete_cohort(people)
    cohort_id = first["data"]["cohort_id"]
    duplicates = duplicate_completions()
    publish_event(intake_events.amqp_uri, "intake", first)  # the same event redelivered
    again = intake_events.publish("cohort.completed", first["data"])  # and announced again under a new id
    eventually(lambda: duplicate_completions() == duplicates + 1, what="the redelivered copy acked")
    intake_events.handled(again)
    assert len(wait_for_invitations(surveys, cohort_id, 2)) == 2
    assert len(outbox_events(survey_db, "invitation.scheduled")) == 6  # post, fu3, fu12 each


def test_a_cohort_that_ended_in_the_past_is_due_now(surveys, intake_events):
    participant_id = intake_events.register()
    cohort = intake_events.complete_cohort([participant_id], ended_on=council_today() - timedelta(days=3))
    before = now()
    invitation = wait_for_invitations(surveys, cohort["data"]["cohort_id"], 1)[0]
    assert before - timedelta(seconds=5) <= parse_stamp(invitation["due_at"]) <= now()


def test_the_invitation_is_sent_on_the_due_day_and_not_before(surveys, intake_events, survey_db):
    invitation = scheduled_one(surveys, intake_events)
    due = parse_stamp(invitation["due_at"])
    assert run_pass(surveys, due - timedelta(minutes=1))["sent"] == 0
    assert run_pass(surveys, due)["sent"] == 1
    [sent] = invitations(surveys, participant_id=invitation["participant_id"], wave="post")
    assert sent["status"] == "sent"
    [event] = outbox_events(survey_db, "invitation.due")
    assert event["data"]["attempt"] == 0
    assert token_of(event["data"]["link"]).startswith(f"{intake_events.tenant_id}.")
    assert event["data"]["instrument_key"] == "caip_post"
    assert event["data"]["closes_at"] == invitation["closes_at"]
    assert run_pass(surveys, due + timedelta(hours=1))["sent"] == 0  # sent once


def test_the_invitation_list_never_shows_a_token(surveys, intake_events, survey_db):
    invitation = scheduled_one(surveys, intake_events)
    run_pass(surveys, parse_stamp(invitation["due_at"]))
    [event] = outbox_events(survey_db, "invitation.due")
    token = token_of(event["data"]["link"])
    listing = surveys.get("/v1/invitations", params={"status": "sent"}).text
    assert token not in listing and token.split(".")[1] not in listing


def test_a_participant_who_gave_no_survey_consent_is_cancelled_when_due(surveys, intake_events, survey_db):
    invitation = scheduled_one(surveys, intake_events, surveys_consent=False)
    result = run_pass(surveys, parse_stamp(invitation["due_at"]))
    assert (result["sent"], result["cancelled"]) == (0, 1)  # only the post wave has fallen due
    [cancelled] = invitations(surveys, participant_id=invitation["participant_id"], wave="post")
    assert (cancelled["status"], cancelled["reason"]) == ("cancelled", "consent")
    assert [e["data"]["reason"] for e in outbox_events(survey_db, "invitation.cancelled")] == ["consent"]
    assert outbox_events(survey_db, "invitation.due") == []


def test_consent_withdrawn_after_scheduling_cancels_every_open_wave_at_once(
        surveys, intake_events, survey_db):
    invitation = scheduled_one(surveys, intake_events)
    change = intake_events.publish("consent.changed", {
        "participant_id": invitation["participant_id"], "surveys": False, "research": False, "contact": True})
    intake_events.handled(change)
    found = invitations(surveys, participant_id=invitation["participant_id"])
    assert {(each["wave"], each["status"], each["reason"]) for each in found} == {
        ("post", "cancelled", "consent"), ("fu3", "cancelled", "consent"), ("fu12", "cancelled", "consent")}
    assert run_pass(surveys, parse_stamp(invitation["due_at"]))["sent"] == 0


def test_an_invitation_for_a_participant_not_yet_known_waits(surveys, intake_events):
    cohort = intake_events.complete_cohort(["p-not-yet-registered"])
    invitation = wait_for_invitations(surveys, cohort["data"]["cohort_id"], 1)[0]
    due = parse_stamp(invitation["due_at"])
    assert run_pass(surveys, due)["waiting"] == 1
    assert invitations(surveys, cohort_id=invitation["cohort_id"])[0]["status"] == "scheduled"


def test_reminders_go_out_at_seven_and_fourteen_days_and_no_more(surveys, intake_events, survey_db):
    due = parse_stamp(scheduled_one(surveys, intake_events)["due_at"])
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
        assert surveys.with_key(None).get("/r/" + token_of(link)).status_code == 200


def test_no_reminder_is_sent_after_a_response(surveys, intake_events, survey_db):
    due = parse_stamp(scheduled_one(surveys, intake_events)["due_at"])
    run_pass(surveys, due)
    [event] = outbox_events(survey_db, "invitation.due")
    token = token_of(event["data"]["link"])
    answer = surveys.with_key(None).post(f"/r/{token}", {"satisfaction": 5, "knowledge_increased": 4})
    assert answer.status_code == 200, answer.text
    assert run_pass(surveys, nine_in_toronto(ENDED_ON + timedelta(days=7)))["reminded"] == 0
    assert len(outbox_events(survey_db, "invitation.due")) == 1


def test_an_unanswered_invitation_expires_after_thirty_days_and_its_link_is_gone(
        surveys, intake_events, survey_db):
    invitation = scheduled_one(surveys, intake_events)
    due = parse_stamp(invitation["due_at"])
    run_pass(surveys, due)
    assert run_pass(surveys, due + timedelta(days=29, hours=23))["expired"] == 0
    assert run_pass(surveys, due + timedelta(days=30))["expired"] == 1
    [expired] = invitations(surveys, participant_id=invitation["participant_id"], wave="post")
    assert expired["status"] == "expired"
    assert [e["data"]["invitation_id"] for e in outbox_events(survey_db, "invitation.expired")] == [
        invitation["id"]]
    first_link = next(e for e in outbox_events(survey_db, "invitation.due") if e["data"]["attempt"] == 0)
    page = surveys.with_key(None).get("/r/" + token_of(first_link["data"]["link"]))
    assert page.status_code == 410
    assert "This survey link can no longer be used" in page.text


def test_a_withdrawn_participant_s_open_invitation_is_cancelled(surveys, intake_events, survey_db):
    invitation = scheduled_one(surveys, intake_events)
    intake_events.publish("participant.withdrawn", {
        "participant_id": invitation["participant_id"], "cohort_id": invitation["cohort_id"],
        "reason": "moved"})
    eventually(lambda: {each["status"] for each in invitations(
        surveys, participant_id=invitation["participant_id"])} == {"cancelled"}, what="the cancellation")
    events = {e["data"]["wave"]: e["data"] for e in outbox_events(survey_db, "invitation.cancelled")}
    assert set(events) == {"post", "fu3", "fu12"}
    assert events["post"] == {"invitation_id": invitation["id"], "reason": "withdrawn", "wave": "post",
                              "participant_id": invitation["participant_id"],
                              "cohort_id": invitation["cohort_id"]}
    assert run_pass(surveys, parse_stamp(invitation["due_at"]))["sent"] == 0


def test_a_withdrawal_that_arrives_before_the_completion_prevents_the_invitation(surveys, intake_events):
    stays, leaves = intake_events.register(), intake_events.register()
    cohort_id = f"c{secrets.token_hex(4)}"
    withdrawal = intake_events.publish("participant.withdrawn", {
        "participant_id": leaves, "cohort_id": cohort_id, "reason": "new job"})
    intake_events.handled(withdrawal)
    enrolments = [{"participant_id": pid, "role": "newcomer"} for pid in (stays, leaves)]
    intake_events.publish("cohort.completed", {
        "cohort_id": cohort_id, "program_kind": "caip", "ended_on": ENDED_ON.isoformat(),
        "enrolments": enrolments})
    assert [each["participant_id"] for each in wait_for_invitations(surveys, cohort_id, 1)] == [stays]


def test_passes_running_at_once_send_each_invitation_once(surveys, intake_events, survey_db):
    people = [intake_events.register() for _ in range(8)]
    cohort = intake_events.complete_cohort(people)
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
    intake_events = Intake(amqp_uri, tenant["id"], survey_db)
    participant_id = intake_events.register()
    intake_events.complete_cohort([participant_id], ended_on=council_today() - timedelta(days=1))  # due now
    eventually(lambda: invitations(surveys, participant_id=participant_id, status="sent"), what="the send")
    eventually(lambda: outbox_events(survey_db, "invitation.due"), what="the event")
    assert [e["data"]["attempt"] for e in outbox_events(survey_db, "invitation.due")] == [0]


def test_only_an_admin_may_run_the_scheduler_and_as_of_must_be_rfc3339(surveys, tenant):
    assert surveys.with_key(tenant["staff"]).post("/v1/scheduler/run", {"as_of": stamp()}).status_code == 403
    answer = surveys.post("/v1/scheduler/run", {"as_of": "tomorrow"})
    assert answer.status_code == 400
    assert answer.json() == {"error": "VALIDATION_ERROR", "message": "the request is not valid",
                             "fields": {"as_of": ["Not a valid datetime."]}}


def test_invitations_page_with_limit_and_after(surveys, intake_events):
    people = [intake_events.register() for _ in range(3)]
    cohort_id = intake_events.complete_cohort(people)["data"]["cohort_id"]
    wait_for_invitations(surveys, cohort_id, 3)
    first = surveys.get("/v1/invitations", params={"cohort_id": cohort_id, "wave": "post", "limit": 2}).json()
    assert len(first["items"]) == 2 and first["next"] == first["items"][1]["id"]
    rest = surveys.get("/v1/invitations", params={"cohort_id": cohort_id, "wave": "post", "limit": 2,
                                                   "after": first["next"]})
    assert len(rest.json()["items"]) == 1 and rest.json()["next"] is None
    assert {each["participant_id"] for each in first["items"] + rest.json()["items"]} == set(people)

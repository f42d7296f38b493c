"""Withdrawing from a cohort over HTTP, real RabbitMQ and the Mongo server:
POST /v1/participants/{id}/withdraw, and what a withdrawal changes for attendance and completion.
"""
from __future__ import annotations

import secrets

import pytest
import requests

from services.common.tenancy import database_name
from tests.support.http import Api

INVALID = {"error": "VALIDATION_ERROR", "message": "the request is not valid"}
MISSING = ["Missing data for required field."]
NOT_ENROLLED = {"cohort_id": ["The participant is not enrolled in this cohort."]}
SME_DATES = ["2026-03-03", "2026-03-10", "2026-03-17", "2026-03-24"]


def created(answer: requests.Response) -> dict:
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def sme_cohort(api: Api) -> dict:
    program = created(api.post("/v1/programs", {"name": "SME", "kind": "caip_sme", "sessions_planned": 4}))
    return created(api.post("/v1/cohorts", {
        "program_id": program["id"], "name": "Spring 2026", "employer_ids": [], "start_date": "2026-03-01",
        "end_date": "2026-03-31", "delivery": "virtual", "facilitated_by": "council",
        "sessions": [{"date": day, "topic": f"Session {i + 1}"} for i, day in enumerate(SME_DATES)]}))


def participant(api: Api) -> dict:
    return created(api.post("/v1/participants", {
        "given_name": "Li", "family_name": "Wei", "email": f"li.{secrets.token_hex(4)}@example.org",
        "preferred_language": "en", "role": "newcomer", "occupation_noc": "21231",
        "consent": {"version": "2026-01", "surveys": True, "research": True, "contact": True}}))


def enrolled(api: Api, cohort: dict, count: int) -> list[dict]:
    people = [participant(api) for _ in range(count)]
    for person in people:
        created(api.post(f"/v1/cohorts/{cohort['id']}/enrolments",
                         {"participant_id": person["id"], "role": "newcomer"}))
    return people


def attend(api: Api, cohort: dict, session_index: int, people: list[dict]) -> requests.Response:
    return api.post(f"/v1/cohorts/{cohort['id']}/attendance",
                    {"session_index": session_index, "present": [person["id"] for person in people]})


def withdraw(api: Api, participant_id: str, cohort_id: str, reason: str = "employment") -> requests.Response:
    return api.post(f"/v1/participants/{participant_id}/withdraw", {"cohort_id": cohort_id, "reason": reason})


def outbox(mongo_client, tenant_id: str, event_type: str) -> list[dict]:
    entries = mongo_client[database_name(tenant_id, "intake")]["outbox"].find({"type": event_type})
    return [entry["event"] for entry in entries]


def enrolment_documents(mongo_client, tenant_id: str) -> list[dict]:
    return list(mongo_client[database_name(tenant_id, "intake")]["enrolments"].find({}, sort=[("_id", 1)]))


def assert_refused(answer: requests.Response, fields: dict) -> None:
    assert answer.status_code == 400, answer.text
    assert answer.json() == {**INVALID, "fields": fields}


def assert_conflict(answer: requests.Response, message: str) -> None:
    assert answer.status_code == 409, answer.text
    assert answer.json() == {"error": "CONFLICT", "message": message, "fields": {}}


def test_a_participant_withdraws_from_a_cohort_and_intake_tells_the_other_services(
        intake, mongo_client, tenant):
    cohort = sme_cohort(intake)
    leaving, staying = enrolled(intake, cohort, 2)
    answer = withdraw(intake, leaving["id"], cohort["id"], "relocation")
    assert answer.status_code == 200, answer.text
    withdrawal = answer.json()
    shown = ("participant_id", "cohort_id", "role", "status", "withdrawal_reason")
    assert {k: withdrawal[k] for k in shown} == {
        "participant_id": leaving["id"], "cohort_id": cohort["id"], "role": "newcomer", "status": "withdrawn",
        "withdrawal_reason": "relocation"}
    assert withdrawal["id"].startswith("enr_") and withdrawal["withdrawn_at"] >= withdrawal["enrolled_at"]
    [event] = outbox(mongo_client, tenant["id"], "participant.withdrawn")
    assert event["data"] == {"participant_id": leaving["id"], "cohort_id": cohort["id"],
                             "reason": "relocation"}
    assert event["subject"] == leaving["id"]
    listed = intake.get(f"/v1/cohorts/{cohort['id']}").json()["enrolments"]
    assert [(e["participant_id"], e.get("status")) for e in listed] == [
        (leaving["id"], "withdrawn"), (staying["id"], None)]


def test_attendance_cannot_be_recorded_for_someone_who_withdrew(intake, tenant):
    cohort = sme_cohort(intake)
    leaving, staying = enrolled(intake, cohort, 2)
    created(attend(intake, cohort, 0, [leaving, staying]))
    created(withdraw(intake, leaving["id"], cohort["id"]))
    assert_refused(attend(intake, cohort, 1, [leaving, staying]),
                   {"present": [f"Not enrolled in this cohort: {leaving['id']}."]})
    created(attend(intake, cohort, 1, [staying]))
    sessions = intake.get(f"/v1/cohorts/{cohort['id']}").json()["enrolments"]
    assert [e["sessions_attended"] for e in sessions] == [1, 2]  # what they attended before still happened


def test_someone_who_withdrew_does_not_complete_whatever_they_attended(intake, mongo_client, tenant):
    cohort = sme_cohort(intake)
    leaving, staying = enrolled(intake, cohort, 2)
    for session_index in range(4):
        created(attend(intake, cohort, session_index, [leaving, staying]))
    created(withdraw(intake, leaving["id"], cohort["id"], "other"))
    completed = created(intake.post(f"/v1/cohorts/{cohort['id']}/complete", {}))
    assert completed["completers"] == [staying["id"]]
    [event] = outbox(mongo_client, tenant["id"], "cohort.completed")
    assert event["data"]["enrolments"] == [
        {"participant_id": leaving["id"], "role": "newcomer", "sessions_attended": 4, "completed": False,
         "withdrawn": True},
        {"participant_id": staying["id"], "role": "newcomer", "sessions_attended": 4, "completed": True}]


@pytest.mark.parametrize(("body", "fields"), [
    ({}, {"cohort_id": MISSING, "reason": MISSING}),
    ({"cohort_id": 7, "reason": "moved away with her family"},
     {"cohort_id": ["Not a valid string."],
      "reason": ["Must be one of: employment, schedule, relocation, health, personal, program_fit, no_show, "
                 "other."]}),
])
def test_a_bad_withdrawal_is_refused_naming_each_field_and_nothing_is_written(
        intake, mongo_client, tenant, body, fields):
    cohort = sme_cohort(intake)
    [person] = enrolled(intake, cohort, 1)
    before = enrolment_documents(mongo_client, tenant["id"])
    assert_refused(intake.post(f"/v1/participants/{person['id']}/withdraw", body), fields)
    assert enrolment_documents(mongo_client, tenant["id"]) == before
    assert outbox(mongo_client, tenant["id"], "participant.withdrawn") == []


def test_only_a_cohort_the_participant_is_enrolled_in_can_be_left(
        intake, mongo_client, tenant, other_council):
    cohort, elsewhere = sme_cohort(intake), sme_cohort(intake)
    [person] = enrolled(intake, cohort, 1)
    theirs = Api(intake.base_url, other_council["staff"])
    their_cohort = sme_cohort(theirs)
    before = enrolment_documents(mongo_client, tenant["id"])
    for cohort_id in (elsewhere["id"], their_cohort["id"], "coh_nope"):
        assert_refused(withdraw(intake, person["id"], cohort_id), NOT_ENROLLED)
    assert enrolment_documents(mongo_client, tenant["id"]) == before
    assert outbox(mongo_client, tenant["id"], "participant.withdrawn") == []


def test_an_unknown_or_another_councils_participant_is_not_found(intake, mongo_client, tenant, other_council):
    cohort = sme_cohort(intake)
    theirs = Api(intake.base_url, other_council["staff"])
    [stranger] = enrolled(theirs, sme_cohort(theirs), 1)
    for participant_id in ("par_nope", stranger["id"]):
        answer = withdraw(intake, participant_id, cohort["id"])
        assert answer.status_code == 404
        assert answer.json() == {"error": "NOT_FOUND", "message": f"no participant {participant_id}",
                                 "fields": {}}
    assert outbox(mongo_client, tenant["id"], "participant.withdrawn") == []
    assert outbox(mongo_client, other_council["id"], "participant.withdrawn") == []


def test_withdrawing_twice_or_from_a_completed_cohort_is_a_conflict(intake, mongo_client, tenant):
    cohort, finished = sme_cohort(intake), sme_cohort(intake)
    [person] = enrolled(intake, cohort, 1)
    created(intake.post(f"/v1/cohorts/{finished['id']}/enrolments",
                        {"participant_id": person["id"], "role": "newcomer"}))
    created(intake.post(f"/v1/cohorts/{finished['id']}/complete", {}))
    created(withdraw(intake, person["id"], cohort["id"]))
    before = enrolment_documents(mongo_client, tenant["id"])
    assert_conflict(withdraw(intake, person["id"], cohort["id"], "health"),
                    "the participant has withdrawn from this cohort already")
    assert_conflict(withdraw(intake, person["id"], finished["id"]), "the cohort is completed")
    assert enrolment_documents(mongo_client, tenant["id"]) == before
    assert len(outbox(mongo_client, tenant["id"], "participant.withdrawn")) == 1


def test_only_staff_record_a_withdrawal(intake, tenant):
    cohort = sme_cohort(intake)
    [person] = enrolled(intake, cohort, 1)
    assert withdraw(intake.with_key(tenant["analyst"]), person["id"], cohort["id"]).status_code == 403
    assert withdraw(intake.with_key(tenant["admin"]), person["id"], cohort["id"]).status_code == 200

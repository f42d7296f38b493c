"""Withdrawing from a cohort over HTTP, real RabbitMQ and the Mongo server:
POST /v1/participants/{id}/withdraw, and what a withdrawal changes for attendance and completion.
"""
from __future__ import annotations

import pytest
import requests

from tests.integration.intake_support import (
    MISSING,
    assert_conflict,
    assert_not_found,
    assert_refused,
    attend,
    created,
    enrol,
    intake_db,
    outbox_events,
    participant,
    sme_cohort,
)
from tests.support.http import Api

NOT_ENROLLED = {"cohort_id": ["The participant is not enrolled in this cohort."]}


def enrolled(api: Api, cohort: dict, count: int) -> list[dict]:
    people = [participant(api) for _ in range(count)]
    for person in people:
        created(enrol(api, cohort["id"], person["id"]))
    return people


def present(api: Api, cohort: dict, session_index: int, people: list[dict]) -> requests.Response:
    return attend(api, cohort["id"], session_index, [person["id"] for person in people])


def withdraw(api: Api, participant_id: str, cohort_id: str, reason: str = "employment") -> requests.Response:
    return api.post(f"/v1/participants/{participant_id}/withdraw", {"cohort_id": cohort_id, "reason": reason})


def enrolment_documents(mongo_client, tenant_id: str) -> list[dict]:
    return list(intake_db(mongo_client, tenant_id)["enrolments"].find({}, sort=[("_id", 1)]))


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
    [event] = outbox_events(mongo_client, tenant["id"], "participant.withdrawn")
    assert event["data"] == {"participant_id": leaving["id"], "cohort_id": cohort["id"],
                             "reason": "relocation"}
    assert event["subject"] == leaving["id"]
    listed = intake.get(f"/v1/cohorts/{cohort['id']}").json()["enrolments"]
    assert [(e["participant_id"], e.get("status")) for e in listed] == [
        (leaving["id"], "withdrawn"), (staying["id"], None)]


def test_attendance_cannot_be_recorded_for_someone_who_withdrew(intake, tenant):
    cohort = sme_cohort(intake)
    leaving, staying = enrolled(intake, cohort, 2)
    created(present(intake, cohort, 0, [leaving, staying]), 200)
    created(withdraw(intake, leaving["id"], cohort["id"]), 200)
    assert_refused(present(intake, cohort, 1, [leaving, staying]),
                   {"present": [f"Not enrolled in this cohort: {leaving['id']}."]})
    created(present(intake, cohort, 1, [staying]), 200)
    sessions = intake.get(f"/v1/cohorts/{cohort['id']}").json()["enrolments"]
    assert [e["sessions_attended"] for e in sessions] == [1, 2]  # what they attended before still happened


def test_someone_who_withdrew_does_not_complete_whatever_they_attended(intake, mongo_client, tenant):
    cohort = sme_cohort(intake)
    leaving, staying = enrolled(intake, cohort, 2)
    for session_index in range(4):
        created(present(intake, cohort, session_index, [leaving, staying]), 200)
    created(withdraw(intake, leaving["id"], cohort["id"], "other"), 200)
    completed = created(intake.post(f"/v1/cohorts/{cohort['id']}/complete", {}), 200)
    assert completed["completers"] == [staying["id"]]
    [event] = outbox_events(mongo_client, tenant["id"], "cohort.completed")
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
    assert outbox_events(mongo_client, tenant["id"], "participant.withdrawn") == []


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
    assert outbox_events(mongo_client, tenant["id"], "participant.withdrawn") == []


def test_an_unknown_or_another_councils_participant_is_not_found(intake, mongo_client, tenant, other_council):
    cohort = sme_cohort(intake)
    theirs = Api(intake.base_url, other_council["staff"])
    [stranger] = enrolled(theirs, sme_cohort(theirs), 1)
    for participant_id in ("par_nope", stranger["id"]):
        assert_not_found(withdraw(intake, participant_id, cohort["id"]), "participant", participant_id)
    assert outbox_events(mongo_client, tenant["id"], "participant.withdrawn") == []
    assert outbox_events(mongo_client, other_council["id"], "participant.withdrawn") == []


def test_withdrawing_twice_or_from_a_completed_cohort_is_a_conflict(intake, mongo_client, tenant):
    cohort, finished = sme_cohort(intake), sme_cohort(intake)
    [person] = enrolled(intake, cohort, 1)
    created(enrol(intake, finished["id"], person["id"]))
    created(intake.post(f"/v1/cohorts/{finished['id']}/complete", {}), 200)
    created(withdraw(intake, person["id"], cohort["id"]), 200)
    before = enrolment_documents(mongo_client, tenant["id"])
    assert_conflict(withdraw(intake, person["id"], cohort["id"], "health"),
                    "the participant has withdrawn from this cohort already")
    assert_conflict(withdraw(intake, person["id"], finished["id"]), "the cohort is completed")
    assert enrolment_documents(mongo_client, tenant["id"]) == before
    assert len(outbox_events(mongo_client, tenant["id"], "participant.withdrawn")) == 1


def test_only_staff_record_a_withdrawal(intake, tenant):
    cohort = sme_cohort(intake)
    [person] = enrolled(intake, cohort, 1)
    assert withdraw(intake.with_key(tenant["analyst"]), person["id"], cohort["id"]).status_code == 403
    assert withdraw(intake.with_key(tenant["admin"]), person["id"], cohort["id"]).status_code == 200

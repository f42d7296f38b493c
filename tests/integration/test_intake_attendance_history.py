"""A participant's attendance history over HTTP and the Mongo server:
GET /v1/participants/{id}/attendance.
"""
from __future__ import annotations

import secrets

import requests

from tests.support.http import Api

SME_DATES = ["2026-03-03", "2026-03-10", "2026-03-17", "2026-03-24"]


def created(answer: requests.Response) -> dict:
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def sme_cohort(api: Api, name: str) -> dict:
    program = created(api.post("/v1/programs", {"name": "SME", "kind": "caip_sme", "sessions_planned": 4}))
    return created(api.post("/v1/cohorts", {
        "program_id": program["id"], "name": name, "employer_ids": [], "start_date": "2026-03-01",
        "end_date": "2026-03-31", "delivery": "virtual", "facilitated_by": "council",
        "sessions": [{"date": day, "topic": f"Session {i + 1}"} for i, day in enumerate(SME_DATES)]}))


def participant(api: Api) -> dict:
    return created(api.post("/v1/participants", {
        "given_name": "Li", "family_name": "Wei", "email": f"li.{secrets.token_hex(4)}@example.org",
        "preferred_language": "en", "role": "newcomer", "occupation_noc": "21231",
        "consent": {"version": "2026-01", "surveys": True, "research": True, "contact": True}}))


def enrol(api: Api, cohort: dict, person: dict) -> None:
    body = {"participant_id": person["id"], "role": "newcomer"}
    created(api.post(f"/v1/cohorts/{cohort['id']}/enrolments", body))


def attend(api: Api, cohort: dict, session_index: int, people: list[dict]) -> None:
    created(api.post(f"/v1/cohorts/{cohort['id']}/attendance",
                     {"session_index": session_index, "present": [person["id"] for person in people]}))


def test_a_participants_history_lists_each_cohort_with_the_sessions_they_attended(intake, tenant):
    spring, autumn = sme_cohort(intake, "Spring 2026"), sme_cohort(intake, "Autumn 2026")
    amina, other = participant(intake), participant(intake)
    for cohort in (spring, autumn):
        enrol(intake, cohort, amina)
    enrol(intake, spring, other)
    attend(intake, spring, 2, [amina, other])
    attend(intake, spring, 0, [amina])
    attend(intake, spring, 1, [other])
    attend(intake, autumn, 0, [amina])
    created(intake.post(f"/v1/participants/{amina['id']}/withdraw", {"cohort_id": autumn["id"],
                                                                      "reason": "schedule"}))
    answer = intake.with_key(tenant["analyst"]).get(f"/v1/participants/{amina['id']}/attendance")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"next": None, "items": [
        {"cohort_id": spring["id"], "cohort_name": "Spring 2026", "sessions_planned": 4,
         "sessions_attended": 2, "present_at": [0, 2], "withdrawn": False},
        {"cohort_id": autumn["id"], "cohort_name": "Autumn 2026", "sessions_planned": 4,
         "sessions_attended": 1, "present_at": [0], "withdrawn": True}]}


def test_someone_enrolled_nowhere_has_an_empty_history(intake):
    newcomer = participant(intake)
    assert intake.get(f"/v1/participants/{newcomer['id']}/attendance").json() == {"items": [], "next": None}


def test_an_unknown_or_another_councils_participant_has_no_history_here(intake, other_council):
    stranger = participant(Api(intake.base_url, other_council["staff"]))
    for participant_id in ("par_nope", stranger["id"]):
        answer = intake.get(f"/v1/participants/{participant_id}/attendance")
        assert answer.status_code == 404
        assert answer.json() == {"error": "NOT_FOUND", "message": f"no participant {participant_id}",
                                 "fields": {}}


def test_reading_a_history_needs_a_key(intake):
    newcomer = participant(intake)
    assert intake.with_key(None).get(f"/v1/participants/{newcomer['id']}/attendance").status_code == 401

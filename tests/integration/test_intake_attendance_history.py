"""A participant's attendance history over HTTP and the Mongo server:
GET /v1/participants/{id}/attendance.
"""
from __future__ import annotations

from tests.integration.intake_support import assert_not_found, attend, created, enrol, participant, sme_cohort
from tests.support.http import Api


def test_a_participants_history_lists_each_cohort_with_the_sessions_they_attended(intake, tenant):
    spring, autumn = sme_cohort(intake, "Spring 2026"), sme_cohort(intake, "Autumn 2026")
    amina, other = participant(intake), participant(intake)
    for cohort in (spring, autumn):
        created(enrol(intake, cohort["id"], amina["id"]))
    created(enrol(intake, spring["id"], other["id"]))
    for cohort, session_index, people in [(spring, 2, [amina, other]), (spring, 0, [amina]),
                                          (spring, 1, [other]), (autumn, 0, [amina])]:
        created(attend(intake, cohort["id"], session_index, [person["id"] for person in people]), 200)
    created(intake.post(f"/v1/participants/{amina['id']}/withdraw", {"cohort_id": autumn["id"],
                                                                      "reason": "schedule"}), 200)
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
        assert_not_found(intake.get(f"/v1/participants/{participant_id}/attendance"), "participant",
                         participant_id)


def test_reading_a_history_needs_a_key(intake):
    newcomer = participant(intake)
    assert intake.with_key(None).get(f"/v1/participants/{newcomer['id']}/attendance").status_code == 401

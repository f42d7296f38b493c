"""intake over HTTP, real RabbitMQ and the Mongo server: cohorts, enrolment, attendance, completion.

Every test makes its own council (the ``tenant`` fixture), so tests never see each other's data.
"""
from __future__ import annotations

import pytest

from tests.integration.intake_support import (
    MISSING,
    SME_DATES,
    assert_conflict,
    assert_not_found,
    assert_refused,
    attend,
    created,
    employer,
    enrol,
    participant,
    sme_cohort,
    stored,
)
from tests.support.http import Api


def program(api: Api, kind: str = "caip_sme", sessions: int = 4) -> dict:
    return created(api.post("/v1/programs", {"name": f"Program {kind}", "kind": kind,
                                             "sessions_planned": sessions}))


def cohort_body(program_id: str, employer_ids: list[str], **changes) -> dict:
    return {"program_id": program_id, "name": "Spring 2026", "employer_ids": employer_ids,
            "start_date": "2026-03-01", "end_date": "2026-03-31", "delivery": "virtual",
            "sessions": [{"date": day, "topic": f"Session {i + 1}"} for i, day in enumerate(SME_DATES)],
            "facilitated_by": "council", **changes}


# --- opening a cohort ---------------------------------------------------------------------------

def test_staff_open_a_cohort_of_a_program_at_an_employer(intake, tenant):
    sme, acme = program(intake), employer(intake)
    body = cohort_body(sme["id"], [acme["id"]])
    cohort = created(intake.post("/v1/cohorts", body))
    assert cohort["id"].startswith("coh_")
    assert {k: cohort[k] for k in body} == body
    assert (cohort["status"], cohort["program_kind"], cohort["sessions_planned"]) == ("open", "caip_sme", 4)
    assert (cohort["enrolments"], cohort["attendance"], cohort["completers"], cohort["ended_on"]) == (
        [], [], [], None)
    assert intake.with_key(tenant["analyst"]).get(f"/v1/cohorts/{cohort['id']}").json() == cohort


@pytest.mark.parametrize(("changes", "fields"), [
    ({"program_id": None, "employer_ids": "emp_1", "sessions": []},
     {"program_id": ["Field may not be null."], "employer_ids": ["Not a valid list."],
      "sessions": ["Shorter than minimum length 1."]}),
    ({"start_date": "1 March", "delivery": "by_post", "facilitated_by": "consultant"},
     {"start_date": ["Not a valid date."], "delivery": ["Must be one of: virtual, in_person, hybrid."],
      "facilitated_by": ["Must be one of: council, internal_trainer."]}),
    ({"end_date": "2026-02-28"}, {"end_date": ["Must not be before start_date."]}),
    ({"sessions": [{"date": "2026-03-03"}, {"topic": 4}]},
     {"sessions": {"0": {"topic": MISSING}, "1": {"date": MISSING, "topic": ["Not a valid string."]}}}),
])
def test_a_badly_formed_cohort_is_refused_naming_each_field_and_nothing_is_written(
        intake, mongo_client, tenant, changes, fields):
    assert_refused(intake.post("/v1/cohorts", {**cohort_body("prg_x", []), **changes}), fields)
    assert stored(mongo_client, tenant["id"], "cohorts") == 0


def test_a_cohort_must_name_a_program_and_employers_of_this_council(
        intake, mongo_client, tenant, other_council):
    theirs = Api(intake.base_url, other_council["staff"])
    their_program, their_employer = program(theirs), employer(theirs)
    mine = employer(intake)
    answer = intake.post("/v1/cohorts", cohort_body(their_program["id"], [mine["id"], their_employer["id"],
                                                                        "emp_nope"]))
    assert_refused(answer, {"program_id": ["Unknown program."],
                            "employer_ids": [f"Unknown employer: {their_employer['id']}.",
                                             "Unknown employer: emp_nope."]})
    assert stored(mongo_client, tenant["id"], "cohorts") == 0
    assert stored(mongo_client, tenant["id"], "outbox") == 1  # the employer's registration only


def test_a_cohort_has_as_many_sessions_as_its_program_plans_and_an_sme_cohort_is_virtual(intake):
    sme, acme = program(intake), employer(intake)
    body = cohort_body(sme["id"], [acme["id"]], delivery="in_person")
    body["sessions"] = body["sessions"][:3]
    assert_refused(intake.post("/v1/cohorts", body), {
        "sessions": ["The program plans 4 sessions; 3 given."],
        "delivery": ["A caip_sme cohort is delivered virtual."]})
    mentoring = program(intake, "mentoring", 1)
    body = cohort_body(mentoring["id"], [], delivery="in_person", facilitated_by="internal_trainer",
                       sessions=[{"date": "2026-03-03", "topic": "Kick-off"}])
    assert created(intake.post("/v1/cohorts", body))["program_kind"] == "mentoring"


def test_an_unknown_or_another_councils_cohort_is_not_found(intake, other_council):
    theirs = sme_cohort(Api(intake.base_url, other_council["staff"]))
    for cohort_id in ("coh_nope", theirs["id"]):
        assert_not_found(intake.get(f"/v1/cohorts/{cohort_id}"), "cohort", cohort_id)


# --- enrolment ----------------------------------------------------------------------------------

def test_staff_enrol_participants_and_the_cohort_lists_them(intake):
    cohort = sme_cohort(intake, employer_ids=[employer(intake)["id"]])
    manager = participant(intake, role="manager", employer_id=cohort["employer_ids"][0])
    answer = enrol(intake, cohort["id"], manager["id"], "manager")
    enrolment = created(answer)
    assert enrolment["id"].startswith("enr_")
    assert {k: enrolment[k] for k in ("cohort_id", "participant_id", "role")} == {
        "cohort_id": cohort["id"], "participant_id": manager["id"], "role": "manager"}
    listed = intake.get(f"/v1/cohorts/{cohort['id']}").json()["enrolments"]
    assert listed == [{**enrolment, "sessions_attended": 0, "completed": None}]


def test_enrolling_someone_enrolled_already_is_a_conflict(intake, mongo_client, tenant):
    cohort, newcomer = sme_cohort(intake), participant(intake)
    created(enrol(intake, cohort["id"], newcomer["id"]))
    assert_conflict(enrol(intake, cohort["id"], newcomer["id"], "mentee"),
                    "the participant is enrolled in this cohort already",
                    {"participant_id": ["Already enrolled."]})
    assert stored(mongo_client, tenant["id"], "enrolments") == 1


def test_a_bad_enrolment_is_refused_and_an_unknown_cohort_is_not_found(intake, mongo_client, tenant,
                                                                       other_council):
    cohort, newcomer = sme_cohort(intake), participant(intake)
    stranger = participant(Api(intake.base_url, other_council["staff"]))
    path = f"/v1/cohorts/{cohort['id']}/enrolments"
    assert_refused(intake.post(path, {"role": "boss"}), {
        "participant_id": MISSING,
        "role": ["Must be one of: newcomer, manager, hr_leader, senior_leader, trainer, mentor, mentee."]})
    assert_refused(enrol(intake, cohort["id"], stranger["id"]), {"participant_id": ["Unknown participant."]})
    assert_not_found(enrol(intake, "coh_nope", newcomer["id"]), "cohort", "coh_nope")
    assert stored(mongo_client, tenant["id"], "enrolments") == 0


# --- attendance ---------------------------------------------------------------------------------

def test_recording_a_session_again_replaces_who_was_present(intake):
    cohort = sme_cohort(intake)
    first, second = participant(intake), participant(intake)
    for someone in (first, second):
        created(enrol(intake, cohort["id"], someone["id"]))
    path = f"/v1/cohorts/{cohort['id']}/attendance"
    answer = intake.post(path, {"session_index": 0, "present": [first["id"], second["id"]]})
    assert answer.status_code == 200
    assert {k: answer.json()[k] for k in ("cohort_id", "session_index", "present")} == {
        "cohort_id": cohort["id"], "session_index": 0, "present": [first["id"], second["id"]]}
    again = intake.post(path, {"session_index": 0, "present": [second["id"]]}).json()
    seen = intake.get(f"/v1/cohorts/{cohort['id']}").json()
    assert seen["attendance"] == [again]
    assert [(e["participant_id"], e["sessions_attended"]) for e in seen["enrolments"]] == [
        (first["id"], 0), (second["id"], 1)]


def test_bad_attendance_is_refused_naming_each_field(intake, mongo_client, tenant):
    cohort, enrolled, outsider = sme_cohort(intake), participant(intake), participant(intake)
    created(enrol(intake, cohort["id"], enrolled["id"]))
    path = f"/v1/cohorts/{cohort['id']}/attendance"
    assert_refused(intake.post(path, {"session_index": "0", "present": "all"}),
                   {"session_index": ["Not a valid integer."], "present": ["Not a valid list."]})
    assert_refused(intake.post(path, {"session_index": 4, "present": [enrolled["id"], outsider["id"]]}),
                   {"session_index": ["Must be between 0 and 3."],
                    "present": [f"Not enrolled in this cohort: {outsider['id']}."]})
    assert_not_found(attend(intake, "coh_nope", 0, []), "cohort", "coh_nope")
    assert stored(mongo_client, tenant["id"], "attendance") == 0


# --- completion ---------------------------------------------------------------------------------

def test_completing_a_cohort_names_who_attended_three_quarters_of_its_sessions(intake, tenant):
    cohort = sme_cohort(intake)
    every, three, two = (participant(intake) for _ in range(3))
    for someone in (every, three, two):
        created(enrol(intake, cohort["id"], someone["id"]))
    a, b, c = every["id"], three["id"], two["id"]
    for index, present in enumerate([[a, b, c], [a, b], [a, b, c], [a]]):
        created(attend(intake, cohort["id"], index, present), 200)
    answer = intake.post(f"/v1/cohorts/{cohort['id']}/complete")  # no body: every field is optional
    assert answer.status_code == 200
    done = answer.json()
    assert (done["status"], done["ended_on"], done["completers"]) == ("completed", "2026-03-31", [a, b])
    assert [(e["participant_id"], e["sessions_attended"], e["completed"]) for e in done["enrolments"]] == [
        (a, 4, True), (b, 3, True), (c, 2, False)]
    assert intake.with_key(tenant["analyst"]).get(f"/v1/cohorts/{cohort['id']}").json() == done


def test_a_cohort_may_end_earlier_than_planned_but_not_before_it_started(intake):
    cohort = sme_cohort(intake)
    path = f"/v1/cohorts/{cohort['id']}/complete"
    assert_refused(intake.post(path, {"ended_on": "2026-02-01"}),
                   {"ended_on": ["Must not be before the start_date 2026-03-01."]})
    assert_refused(intake.post(path, {"ended_on": 20260320}), {"ended_on": ["Not a valid date."]})
    assert intake.post(path, {"ended_on": "2026-03-20"}).json()["ended_on"] == "2026-03-20"


def test_a_completed_cohort_cannot_be_completed_again_nor_enrolled_in_nor_attended(
        intake, mongo_client, tenant):
    cohort, late = sme_cohort(intake), participant(intake)
    path = f"/v1/cohorts/{cohort['id']}"
    assert intake.post(f"{path}/complete", {}).json()["completers"] == []
    assert_conflict(intake.post(f"{path}/complete", {}), "the cohort is completed already")
    assert_conflict(enrol(intake, cohort["id"], late["id"]), "the cohort is completed")
    assert_conflict(intake.post(f"{path}/attendance", {"session_index": 0, "present": []}),
                    "the cohort is completed")
    assert stored(mongo_client, tenant["id"], "enrolments") == 0
    assert stored(mongo_client, tenant["id"], "attendance") == 0


def test_completing_an_unknown_or_another_councils_cohort_is_not_found(intake, other_council):
    theirs = sme_cohort(Api(intake.base_url, other_council["staff"]))
    for cohort_id in ("coh_nope", theirs["id"]):
        assert_not_found(intake.post(f"/v1/cohorts/{cohort_id}/complete", {}), "cohort", cohort_id)
    still = Api(intake.base_url, other_council["staff"]).get(f"/v1/cohorts/{theirs['id']}").json()
    assert still["status"] == "open"

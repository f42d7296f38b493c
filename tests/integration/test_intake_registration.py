"""intake over HTTP, real RabbitMQ and the Mongo server: employers, programs, participants, consent.

Every test makes its own council (the ``tenant`` fixture), so tests never see each other's data.
"""
from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.integration.intake_support import (
    CONSENT,
    EMPLOYER,
    MISSING,
    assert_conflict,
    assert_not_found,
    assert_refused,
    participant_body,
    stored,
)


def nothing_written(mongo_client, tenant_id: str, collection: str) -> bool:
    """Neither ``collection`` nor the outbox holds anything for the tenant."""
    return stored(mongo_client, tenant_id, collection) == stored(mongo_client, tenant_id, "outbox") == 0


# --- employers ----------------------------------------------------------------------------------

def test_staff_register_an_employer_whose_size_class_comes_from_its_head_count(intake, tenant):
    answer = intake.post("/v1/employers", EMPLOYER)
    assert answer.status_code == 201
    employer = answer.json()
    assert employer["id"].startswith("emp_")
    assert {k: v for k, v in employer.items() if k not in ("id", "created_at")} == {
        **EMPLOYER, "size_class": "medium", "assessments": [], "changes": [], "certified_trainers": []}
    assert intake.with_key(tenant["analyst"]).get(f"/v1/employers/{employer['id']}").json() == employer


def test_an_employer_may_be_registered_by_size_class_alone(intake):
    answer = intake.post("/v1/employers", {"name": "Big Bank", "sector": "Finance", "size_class": "large",
                                           "city": "Toronto"})
    assert answer.status_code == 201
    assert (answer.json()["size_class"], answer.json()["employee_count"]) == ("large", None)


@pytest.mark.parametrize(("body", "fields"), [
    ({}, {"name": MISSING, "sector": MISSING, "city": MISSING}),
    ({**EMPLOYER, "employee_count": "240", "name": 7},
     {"employee_count": ["Not a valid integer."], "name": ["Not a valid string."]}),
    ({**EMPLOYER, "size_class": "small"},
     {"size_class": ["Does not match employee_count 240, which is medium."]}),
    ({"name": "X", "sector": "Y", "city": "Z"}, {"size_class": ["Give size_class or employee_count."]}),
    ({**EMPLOYER, "size_class": "huge", "employees": 3},
     {"size_class": ["Must be one of: small, medium, large."], "employees": ["Unknown field."]}),
])
def test_a_bad_employer_is_refused_naming_each_field_and_nothing_is_written(
        intake, mongo_client, tenant, body, fields):
    assert_refused(intake.post("/v1/employers", body), fields)
    assert nothing_written(mongo_client, tenant["id"], "employers")


def test_an_unknown_employer_and_another_councils_employer_are_not_found(intake, other_council):
    theirs = intake.with_key(other_council["staff"]).post("/v1/employers", EMPLOYER).json()
    for employer_id in ("emp_0000000000000000", theirs["id"]):
        assert_not_found(intake.get(f"/v1/employers/{employer_id}"), "employer", employer_id)


def test_an_analyst_may_read_but_not_register(intake, tenant):
    answer = intake.with_key(tenant["analyst"]).post("/v1/employers", EMPLOYER)
    assert answer.status_code == 403
    assert answer.json()["error"] == "FORBIDDEN"


# --- programs -----------------------------------------------------------------------------------

def test_staff_create_programs_of_each_kind(intake, tenant):
    sme = intake.post("/v1/programs", {"name": "CAIP for SMEs", "kind": "caip_sme", "sessions_planned": 4})
    assert sme.status_code == 201
    assert {k: v for k, v in sme.json().items() if k not in ("id", "created_at")} == {
        "name": "CAIP for SMEs", "kind": "caip_sme", "sessions_planned": 4, "train_the_trainer": False}
    caip2 = intake.post("/v1/programs", {"name": "CAIP 2.0", "kind": "caip_2", "sessions_planned": 8,
                                         "train_the_trainer": True}).json()
    assert caip2["id"].startswith("prg_") and caip2["train_the_trainer"] is True
    assert intake.with_key(tenant["analyst"]).get(f"/v1/programs/{caip2['id']}").json() == caip2


@pytest.mark.parametrize(("body", "fields"), [
    ({}, {"name": MISSING, "kind": MISSING, "sessions_planned": MISSING}),
    ({"name": "P", "kind": "bootcamp", "sessions_planned": 0, "train_the_trainer": "yes"},
     {"kind": ["Must be one of: caip, caip_2, caip_sme, mentoring."],
      "sessions_planned": ["Must be greater than or equal to 1 and less than or equal to 200."],
      "train_the_trainer": ["Not a valid boolean."]}),
    ({"name": "P", "kind": "caip", "sessions_planned": 2.5}, {"sessions_planned": ["Not a valid integer."]}),
    ({"name": "SME", "kind": "caip_sme", "sessions_planned": 6},
     {"sessions_planned": ["A caip_sme program has 4 sessions."]}),
])
def test_a_bad_program_is_refused_naming_each_field_and_nothing_is_written(
        intake, mongo_client, tenant, body, fields):
    assert_refused(intake.post("/v1/programs", body), fields)
    assert nothing_written(mongo_client, tenant["id"], "programs")


def test_another_councils_program_is_not_found(intake, other_council):
    theirs = intake.with_key(other_council["staff"]).post(
        "/v1/programs", {"name": "CAIP", "kind": "caip", "sessions_planned": 6}).json()
    for program_id in (theirs["id"], "prg_nope"):
        assert_not_found(intake.get(f"/v1/programs/{program_id}"), "program", program_id)


# --- participants -------------------------------------------------------------------------------

def test_staff_register_a_participant_with_consent_and_read_it_back(intake, tenant):
    employer = intake.post("/v1/employers", EMPLOYER).json()
    body = participant_body(employer_id=employer["id"])
    answer = intake.post("/v1/participants", body)
    assert answer.status_code == 201
    participant = answer.json()
    assert participant["id"].startswith("par_")
    assert {k: v for k, v in participant.items() if k not in ("id", "created_at", "consent")} == {
        k: v for k, v in body.items() if k != "consent"}
    assert participant["consent"] == {**CONSENT, "updated_at": participant["created_at"]}
    read = intake.with_key(tenant["analyst"]).get(f"/v1/participants/{participant['id']}")
    assert read.json() == participant


def test_a_participant_without_employer_phone_or_years_is_registered(intake):
    body = participant_body()
    for optional in ("phone", "years_in_canada"):
        del body[optional]
    participant = intake.post("/v1/participants", body).json()
    assert participant["employer_id"] is participant["phone"] is participant["years_in_canada"] is None


@pytest.mark.parametrize(("changes", "fields"), [
    ({"occupation_noc": 21231, "years_in_canada": "3", "preferred_language": "es"},
     {"occupation_noc": ["Not a valid string."], "years_in_canada": ["Not a valid integer."],
      "preferred_language": ["Must be one of: en, fr."]}),
    ({"occupation_noc": "2123", "years_in_canada": 81, "email": "amina-at-example.org"},
     {"occupation_noc": ["Must be a NOC code of 5 digits."], "email": ["Not a valid email address."],
      "years_in_canada": ["Must be greater than or equal to 0 and less than or equal to 80."]}),
    ({"role": "intern", "consent": {"surveys": 1, "research": False}},
     {"role": ["Must be one of: newcomer, manager, hr_leader, senior_leader, trainer, mentor, mentee."],
      "consent": {"version": MISSING, "surveys": ["Not a valid boolean."], "contact": MISSING}}),
    ({"given_name": None, "consent": None},
     {"given_name": ["Field may not be null."], "consent": ["Field may not be null."]}),
    ({"employer_id": "emp_0000000000000000"}, {"employer_id": ["Unknown employer."]}),
])
def test_a_bad_participant_is_refused_naming_each_field_and_nothing_is_written(
        intake, mongo_client, tenant, changes, fields):
    assert_refused(intake.post("/v1/participants", participant_body(**changes)), fields)
    assert nothing_written(mongo_client, tenant["id"], "participants")


def test_another_councils_employer_is_unknown_to_a_participant(intake, other_council):
    theirs = intake.with_key(other_council["staff"]).post("/v1/employers", EMPLOYER).json()
    assert_refused(intake.post("/v1/participants", participant_body(employer_id=theirs["id"])),
                   {"employer_id": ["Unknown employer."]})


def test_an_email_registered_already_in_the_council_is_a_conflict_whatever_its_case(
        intake, mongo_client, tenant):
    first = intake.post("/v1/participants", participant_body(email="Sam.Lee@Example.org"))
    assert first.status_code == 201
    again = intake.post("/v1/participants", participant_body(email="sam.lee@example.ORG"))
    assert_conflict(again, "a participant with this email is registered already",
                    {"email": ["Already registered."]})
    assert stored(mongo_client, tenant["id"], "participants") == 1


def test_the_same_email_may_register_in_another_council(intake, other_council):
    email = f"shared.{secrets.token_hex(3)}@example.org"
    assert intake.post("/v1/participants", participant_body(email=email)).status_code == 201
    theirs = intake.with_key(other_council["staff"]).post("/v1/participants", participant_body(email=email))
    assert theirs.status_code == 201


def test_of_concurrent_registrations_of_one_email_exactly_one_wins(intake, mongo_client, tenant):
    body = participant_body()
    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = sorted(pool.map(lambda _: intake.post("/v1/participants", body).status_code, range(6)))
    assert statuses == [201, 409, 409, 409, 409, 409]
    assert stored(mongo_client, tenant["id"], "participants") == 1


def test_an_unknown_or_another_councils_participant_is_not_found(intake, other_council):
    theirs = intake.with_key(other_council["staff"]).post("/v1/participants", participant_body()).json()
    for participant_id in ("par_nope", theirs["id"]):
        assert_not_found(intake.get(f"/v1/participants/{participant_id}"), "participant", participant_id)


# --- consent ------------------------------------------------------------------------------------

def test_staff_record_a_change_of_consent(intake, tenant):
    participant = intake.post("/v1/participants", participant_body()).json()
    answer = intake.put(f"/v1/participants/{participant['id']}/consent",
                        {"surveys": False, "research": True, "contact": True})
    assert answer.status_code == 200
    consent = answer.json()["consent"]
    assert {k: consent[k] for k in ("version", "surveys", "research", "contact")} == {
        "version": "2026-01", "surveys": False, "research": True, "contact": True}
    assert consent["updated_at"] > participant["consent"]["updated_at"]
    assert intake.get(f"/v1/participants/{participant['id']}").json()["consent"] == consent


def test_a_bad_consent_change_is_refused_and_changes_nothing(intake, other_council):
    participant = intake.post("/v1/participants", participant_body()).json()
    path = f"/v1/participants/{participant['id']}/consent"
    assert_refused(intake.put(path, {"surveys": "no", "research": False}),
                   {"surveys": ["Not a valid boolean."], "contact": MISSING})
    assert intake.get(f"/v1/participants/{participant['id']}").json()["consent"] == participant["consent"]
    choices = {"surveys": False, "research": False, "contact": False}
    assert intake.put("/v1/participants/par_nope/consent", choices).status_code == 404
    assert intake.with_key(other_council["staff"]).put(path, choices).status_code == 404


def test_intake_answers_operators_without_a_key(intake):
    bare = intake.with_key(None)
    assert bare.get("/health").json() == {"status": "ok", "service": "intake"}
    assert bare.get("/ready").json() == {"status": "ready", "service": "intake"}
    intake.post("/v1/employers", EMPLOYER)
    text = bare.get("/metrics").text
    sample = 'iec_entrypoint_calls_total{entrypoint="register_employer",outcome="success",service="intake"}'
    assert sample in text

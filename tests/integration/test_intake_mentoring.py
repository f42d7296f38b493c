"""Mentoring over HTTP, real RabbitMQ and the Mongo server: suggestions, matches, their end, and the
events they publish (read from intake's outbox, where they are committed with the change).

Every test makes its own council (the ``tenant`` fixture), so tests never see each other's data.
"""
from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests

from tests.integration.intake_support import (
    CONSENT,
    EVENING_DAY,
    MISSING,
    NEXT_DAY,
    TORONTO_EVENING,
    assert_not_found,
    assert_refused,
    created,
    employer,
    intake_clock_at,
    intake_db,
    participant,
    published,
    written,
)
from tests.support.council import council_today
from tests.support.http import Api

TODAY = council_today()
PLANNED_END = (TODAY + timedelta(days=180)).isoformat()
NOT_A_MENTEE = {"mentee_id": ["Not a mentee of this council."]}
PERSONAL = ("Amina", "Haddad", "example.org", "555 0101")  # participant_body's personal data
MENTORING = ("mentoring_matches", "mentor_loads")  # what mentoring writes, besides the outbox


def someone(api: Api, role: str, noc: str = "21231", language: str = "fr", **more) -> dict:
    """A registered participant of ``role``, with this occupation and language."""
    return participant(api, role=role, occupation_noc=noc, preferred_language=language, **more)


def suggest(api: Api, mentee_id: str, **query) -> requests.Response:
    return api.get("/v1/mentoring/suggestions", params={"mentee_id": mentee_id, **query})


def match(api: Api, mentor_id: str, mentee_id: str, planned_end: str = PLANNED_END) -> requests.Response:
    return api.post("/v1/mentoring/matches", {"mentor_id": mentor_id, "mentee_id": mentee_id,
                                              "planned_end": planned_end})


# --- suggestions --------------------------------------------------------------------------------

def test_mentors_are_suggested_closest_occupation_first_then_language_with_reasons_and_no_names(intake):
    own, other = employer(intake)["id"], employer(intake)["id"]
    mentee = someone(intake, "mentee", "21231", "fr", employer_id=own)
    colleague = someone(intake, "mentor", "21231", "fr", employer_id=own)
    none_fr, broad_en = someone(intake, "mentor", "64100", "fr"), someone(intake, "mentor", "22310", "en")
    major_fr, unit_en = someone(intake, "mentor", "21300", "fr"), someone(intake, "mentor", "21231", "en")
    unit_fr = someone(intake, "mentor", "21231", "fr", employer_id=other)
    someone(intake, "mentee", "21231", "fr")  # a mentee is never suggested as a mentor

    answer = suggest(intake, mentee["id"])
    assert answer.status_code == 200
    suggestions = answer.json()["items"]
    assert [(s["mentor_id"], s["score"]) for s in suggestions] == [
        (unit_fr["id"], 100), (unit_en["id"], 80), (major_fr["id"], 75), (broad_en["id"], 30),
        (none_fr["id"], 20)]
    assert colleague["id"] not in answer.text
    assert suggestions[0]["reasons"] == [
        {"code": "same_noc_unit_group", "text": "Same occupation (NOC 21231)"},
        {"code": "same_language", "text": "Same preferred language (French)"}]
    assert suggestions[2]["reasons"] == [
        {"code": "same_noc_major_group", "text": "Same occupational major group (NOC 21)"},
        {"code": "same_language", "text": "Same preferred language (French)"}]
    assert answer.json()["scoring"] == {"same_noc_unit_group": 80, "same_noc_major_group": 55,
                                        "same_noc_broad_category": 30, "same_language": 20}
    assert not any(personal in answer.text for personal in PERSONAL)
    assert [s["mentor_id"] for s in suggest(intake, mentee["id"], limit=2).json()["items"]] == [
        unit_fr["id"], unit_en["id"]]


def test_a_mentor_at_capacity_is_not_suggested_and_of_equals_the_less_busy_comes_first(intake):
    single, pair = someone(intake, "mentor"), someone(intake, "mentor", mentor_capacity=2)
    busy_pair = someone(intake, "mentor", mentor_capacity=2)
    for mentor in (single, busy_pair):
        created(match(intake, mentor["id"], someone(intake, "mentee")["id"]))
    mentee = someone(intake, "mentee")
    ranked = [s["mentor_id"] for s in suggest(intake, mentee["id"]).json()["items"]]
    assert ranked == [pair["id"], busy_pair["id"]]


def test_equal_mentors_are_suggested_in_a_stable_order(intake):
    mentors = sorted(someone(intake, "mentor")["id"] for _ in range(3))
    mentee = someone(intake, "mentee")
    assert [s["mentor_id"] for s in suggest(intake, mentee["id"]).json()["items"]] == mentors


THE_MENTEE = object()  # stands for the id of the test's mentee


@pytest.mark.parametrize(("query", "fields"), [
    ({"limit": "5"}, {"mentee_id": MISSING}),
    ({"mentee_id": "par_0000000000000000"}, NOT_A_MENTEE),
    ({"mentee_id": THE_MENTEE, "limit": "0"},
     {"limit": ["Must be greater than or equal to 1 and less than or equal to 50."]}),
    ({"mentee_id": THE_MENTEE, "limit": "51"},
     {"limit": ["Must be greater than or equal to 1 and less than or equal to 50."]}),
    ({"mentee_id": THE_MENTEE, "limit": "ten", "sort": "name"},
     {"limit": ["Not a valid integer."], "sort": ["Unknown field."]}),
])
def test_suggestions_need_a_mentee_and_a_sensible_limit(intake, query, fields):
    mentee = someone(intake, "mentee")
    params = {name: mentee["id"] if value is THE_MENTEE else value for name, value in query.items()}
    assert_refused(intake.get("/v1/mentoring/suggestions", params=params), fields)


def test_suggestions_are_for_a_mentee_of_this_council_only(intake, other_council):
    theirs = someone(intake.with_key(other_council["staff"]), "mentee")
    mentor = someone(intake, "mentor")
    for not_a_mentee in (theirs["id"], mentor["id"]):
        assert_refused(suggest(intake, not_a_mentee), NOT_A_MENTEE)


def test_an_analyst_may_not_see_suggestions(intake, tenant):
    mentee = someone(intake, "mentee")
    assert suggest(intake.with_key(tenant["analyst"]), mentee["id"]).status_code == 403


# --- matches ------------------------------------------------------------------------------------

def test_staff_match_a_mentor_and_a_mentee_and_the_match_is_published(intake, mongo_client, tenant):
    mentor, mentee = someone(intake, "mentor", "21300", "en"), someone(intake, "mentee", "21231", "fr")
    answer = match(intake, mentor["id"], mentee["id"])
    made = created(answer)
    assert made["id"].startswith("mat_")
    assert {k: v for k, v in made.items() if k not in ("id", "created_at")} == {
        "mentor_id": mentor["id"], "mentee_id": mentee["id"], "occupation_noc": "21231", "score": 55,
        "planned_end": PLANNED_END, "status": "active"}
    assert intake.with_key(tenant["analyst"]).get(f"/v1/mentoring/matches/{made['id']}").json() == made
    assert published(mongo_client, tenant["id"], "mentorship.matched") == [{
        "match_id": made["id"], "mentor_id": mentor["id"], "mentee_id": mentee["id"],
        "occupation_noc": "21231", "score": 55, "planned_end": PLANNED_END}]
    assert not any(personal in str(published(mongo_client, tenant["id"], "mentorship.matched"))
                   for personal in PERSONAL)


def test_a_match_of_unknown_or_wrong_participants_is_refused_and_nothing_is_written(
        intake, mongo_client, tenant, other_council):
    mentor, mentee = someone(intake, "mentor"), someone(intake, "mentee")
    theirs = someone(intake.with_key(other_council["staff"]), "mentor")
    cases = [
        ({}, {"mentor_id": MISSING, "mentee_id": MISSING, "planned_end": MISSING}),
        ({"mentor_id": "par_0000000000000000", "mentee_id": mentee["id"], "planned_end": PLANNED_END},
         {"mentor_id": ["Unknown participant."]}),
        ({"mentor_id": theirs["id"], "mentee_id": mentee["id"], "planned_end": PLANNED_END},
         {"mentor_id": ["Unknown participant."]}),
        ({"mentor_id": mentee["id"], "mentee_id": mentor["id"], "planned_end": PLANNED_END},
         {"mentor_id": ["Not a mentor of this council."], "mentee_id": ["Not a mentee of this council."]}),
        ({"mentor_id": mentor["id"], "mentee_id": mentee["id"], "planned_end": TODAY.isoformat()},
         {"planned_end": [f"Must be after today ({TODAY.isoformat()})."]}),
        ({"mentor_id": mentor["id"], "mentee_id": mentee["id"], "planned_end": "2027-02-30"},
         {"planned_end": ["Not a valid date."]}),
        ({"mentor_id": 7, "mentee_id": mentee["id"], "planned_end": PLANNED_END, "notes": "x"},
         {"mentor_id": ["Not a valid string."], "notes": ["Unknown field."]}),
    ]
    before = written(mongo_client, tenant["id"], *MENTORING)
    for body, fields in cases:
        assert_refused(intake.post("/v1/mentoring/matches", body), fields)
    assert written(mongo_client, tenant["id"], *MENTORING) == before


def test_a_mentor_at_capacity_or_a_mentee_matched_already_is_a_conflict_that_writes_nothing(
        intake, mongo_client, tenant):
    mentor, mentee = someone(intake, "mentor"), someone(intake, "mentee")
    other_mentor, other_mentee = someone(intake, "mentor"), someone(intake, "mentee")
    created(match(intake, mentor["id"], mentee["id"]))
    before = written(mongo_client, tenant["id"], *MENTORING)
    full = match(intake, mentor["id"], other_mentee["id"])
    assert (full.status_code, full.json()["error"]) == (409, "CONFLICT")
    assert full.json()["fields"] == {"mentor_id": ["Mentors 1 mentee(s) already, as many as they take."]}
    taken = match(intake, other_mentor["id"], mentee["id"])
    assert (taken.status_code, taken.json()["fields"]) == (
        409, {"mentee_id": ["Has an active match already."]})
    assert written(mongo_client, tenant["id"], *MENTORING) == before


def test_a_mentor_who_takes_two_mentees_can_be_matched_twice(intake, mongo_client, tenant):
    mentor = someone(intake, "mentor", mentor_capacity=2)
    assert intake.get(f"/v1/participants/{mentor['id']}").json()["mentor_capacity"] == 2
    for _ in range(2):
        created(match(intake, mentor["id"], someone(intake, "mentee")["id"]))
    assert match(intake, mentor["id"], someone(intake, "mentee")["id"]).status_code == 409
    loads = intake_db(mongo_client, tenant["id"])["mentor_loads"]
    assert loads.find_one({"_id": mentor["id"]})["active"] == 2


def test_of_simultaneous_matches_for_a_mentor_with_one_place_exactly_one_wins(intake, mongo_client, tenant):
    mentor = someone(intake, "mentor")
    mentees = [someone(intake, "mentee")["id"] for _ in range(6)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = pool.map(lambda mentee_id: match(intake, mentor["id"], mentee_id), mentees)
        statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201, 409, 409, 409, 409, 409]
    db = intake_db(mongo_client, tenant["id"])
    assert db["mentoring_matches"].count_documents({"mentor_id": mentor["id"]}) == 1
    assert db["mentor_loads"].find_one({"_id": mentor["id"]})["active"] == 1
    assert len(published(mongo_client, tenant["id"], "mentorship.matched")) == 1


def test_of_simultaneous_matches_for_one_mentee_exactly_one_wins(intake, mongo_client, tenant):
    mentee = someone(intake, "mentee")
    mentors = [someone(intake, "mentor")["id"] for _ in range(6)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = pool.map(lambda mentor_id: match(intake, mentor_id, mentee["id"]), mentors)
        statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201, 409, 409, 409, 409, 409]
    db = intake_db(mongo_client, tenant["id"])
    assert db["mentoring_matches"].count_documents({"mentee_id": mentee["id"]}) == 1
    assert sum(load["active"] for load in db["mentor_loads"].find()) == 1


def test_an_analyst_may_not_match(intake, tenant):
    mentor, mentee = someone(intake, "mentor"), someone(intake, "mentee")
    assert match(intake.with_key(tenant["analyst"]), mentor["id"], mentee["id"]).status_code == 403


# --- the end of a match -------------------------------------------------------------------------

def end(api: Api, match_id: str, body: object) -> requests.Response:
    return api.post(f"/v1/mentoring/matches/{match_id}/end", body)


def test_ending_a_match_is_published_and_frees_the_mentor_and_the_mentee(intake, mongo_client, tenant):
    mentor, mentee = someone(intake, "mentor"), someone(intake, "mentee")
    made = created(match(intake, mentor["id"], mentee["id"]))
    answer = end(intake, made["id"], {"reason": "completed", "planned_end_reached": True})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {**made, "status": "ended", "reason": "completed", "planned_end_reached": True,
                             "ended_on": TODAY.isoformat()}
    assert intake.get(f"/v1/mentoring/matches/{made['id']}").json() == answer.json()
    assert published(mongo_client, tenant["id"], "mentorship.ended") == [{
        "match_id": made["id"], "reason": "completed", "planned_end_reached": True,
        "mentee_id": mentee["id"], "ended_on": TODAY.isoformat()}]
    assert [s["mentor_id"] for s in suggest(intake, mentee["id"]).json()["items"]] == [mentor["id"]]
    created(match(intake, mentor["id"], mentee["id"]))


def test_in_a_toronto_evening_today_is_the_councils_day_not_the_utc_one(
        intake, monkeypatch, mongo_client, tenant):
    intake_clock_at(monkeypatch, TORONTO_EVENING)
    mentor, mentee = someone(intake, "mentor"), someone(intake, "mentee")
    assert_refused(match(intake, mentor["id"], mentee["id"], planned_end=EVENING_DAY),
                   {"planned_end": [f"Must be after today ({EVENING_DAY})."]})
    made = created(match(intake, mentor["id"], mentee["id"], planned_end=NEXT_DAY))  # tomorrow there
    answer = end(intake, made["id"], {"reason": "completed", "planned_end_reached": False})
    assert answer.status_code == 200, answer.text
    assert answer.json()["ended_on"] == EVENING_DAY
    assert [data["ended_on"] for data in published(mongo_client, tenant["id"], "mentorship.ended")] == [
        EVENING_DAY]


def test_a_match_ends_once(intake, mongo_client, tenant):
    made = created(match(intake, someone(intake, "mentor")["id"], someone(intake, "mentee")["id"]))
    first = end(intake, made["id"], {"reason": "mentee_employed", "planned_end_reached": False})
    assert first.status_code == 200
    before = written(mongo_client, tenant["id"], *MENTORING)
    again = end(intake, made["id"], {"reason": "completed", "planned_end_reached": True})
    assert (again.status_code, again.json()["error"]) == (409, "CONFLICT")
    assert written(mongo_client, tenant["id"], *MENTORING) == before
    assert intake.get(f"/v1/mentoring/matches/{made['id']}").json()["planned_end_reached"] is False


@pytest.mark.parametrize(("body", "fields"), [
    ({}, {"reason": MISSING, "planned_end_reached": MISSING}),
    ({"reason": "bored", "planned_end_reached": "yes"},
     {"reason": ["Must be one of: completed, mentee_employed, mentee_withdrew, mentor_withdrew, poor_fit, "
                 "other."], "planned_end_reached": ["Not a valid boolean."]}),
])
def test_an_end_without_a_coded_reason_and_a_yes_or_no_is_refused(intake, mongo_client, tenant, body, fields):
    made = created(match(intake, someone(intake, "mentor")["id"], someone(intake, "mentee")["id"]))
    before = written(mongo_client, tenant["id"], *MENTORING)
    assert_refused(end(intake, made["id"], body), fields)
    assert written(mongo_client, tenant["id"], *MENTORING) == before


def test_an_unknown_or_another_councils_match_is_not_found(intake, other_council, tenant):
    theirs_api = intake.with_key(other_council["staff"])
    mentor, mentee = someone(theirs_api, "mentor"), someone(theirs_api, "mentee")
    theirs = created(match(theirs_api, mentor["id"], mentee["id"]))
    for match_id in ("mat_0000000000000000", theirs["id"]):
        assert_not_found(end(intake, match_id, {"reason": "completed", "planned_end_reached": True}),
                         "match", match_id)
        assert_not_found(intake.get(f"/v1/mentoring/matches/{match_id}"), "match", match_id)
    assert theirs_api.get(f"/v1/mentoring/matches/{theirs['id']}").json()["status"] == "active"


# --- mentor capacity at registration ------------------------------------------------------------

def test_only_a_mentor_states_a_capacity_and_it_is_at_least_one(intake, mongo_client, tenant):
    base = {"given_name": "Z", "family_name": "O", "preferred_language": "en", "occupation_noc": "21231",
            "consent": CONSENT}
    participants = intake_db(mongo_client, tenant["id"])["participants"]
    before = participants.count_documents({})
    for role, capacity, fields in [
            ("mentee", 2, {"mentor_capacity": ["Only a mentor has a mentor capacity."]}),
            ("mentor", 0, {"mentor_capacity": [
                "Must be greater than or equal to 1 and less than or equal to 20."]}),
            ("mentor", "2", {"mentor_capacity": ["Not a valid integer."]})]:
        body = {**base, "email": f"{secrets.token_hex(4)}@example.org", "role": role,
                "mentor_capacity": capacity}
        assert_refused(intake.post("/v1/participants", body), fields)
    assert participants.count_documents({}) == before

"""Organisational change over HTTP, real RabbitMQ and the Mongo server: assessments delivered to an
employer, changes it adopted, trainers certified, the employer as staff then read it, and the
events published (read from intake's outbox, where they are committed with the change).

Every test makes its own council (the ``tenant`` fixture), so tests never see each other's data.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from tests.integration.intake_support import (
    EMPLOYER,
    EVENING_DAY,
    MISSING,
    NEXT_DAY,
    TORONTO_EVENING,
    assert_not_found,
    assert_refused,
    created,
    employer,
    intake_clock_at,
    participant,
    published,
    written,
)
from tests.support.council import council_today
from tests.support.http import Api

TODAY = council_today()
TOMORROW = (TODAY + timedelta(days=1)).isoformat()
DELIVERED_ON = (TODAY - timedelta(days=30)).isoformat()
AREAS = ("Must be one of: policy, promotion_criteria, leader_training, mentoring, resource_group, "
         "continued_program, other.")
ASSESSMENT = {
    "delivered_on": DELIVERED_ON,
    "interviews": [{"role": "hr_leader", "date": (TODAY - timedelta(days=40)).isoformat()},
                   {"role": "senior_leader", "date": (TODAY - timedelta(days=35)).isoformat()}],
    "gaps": ["Promotion criteria are not written down."],
    "recommendations": [{"area": "promotion_criteria", "text": "Publish the promotion criteria."},
                        {"area": "leader_training", "text": "Train managers in career conversations."}]}


ORG_CHANGE = ("assessments", "org_changes", "certifications")  # what it writes, besides the outbox


def leader(api: Api, **more) -> dict:
    """A registered HR leader (of an employer, when ``employer_id`` is given)."""
    return participant(api, role="hr_leader", occupation_noc="11200", preferred_language="en", **more)


def assess(api: Api, employer_id: str, body: object = None) -> requests.Response:
    return api.post(f"/v1/employers/{employer_id}/assessments", ASSESSMENT if body is None else body)


def change(api: Api, employer_id: str, **body) -> requests.Response:
    return api.post(f"/v1/employers/{employer_id}/changes", {"kind": "policy", "adopted_on": DELIVERED_ON,
                                                             **body})


def certify(api: Api, participant_id: str, body: object = None) -> requests.Response:
    return api.post(f"/v1/participants/{participant_id}/certifications", body or {"kind": "trainer"})


# --- assessments --------------------------------------------------------------------------------

def test_an_assessment_is_delivered_with_an_id_for_each_recommendation_and_published(
        intake, mongo_client, tenant):
    employer_id = employer(intake)["id"]
    assessment = created(assess(intake, employer_id))
    assert assessment["id"].startswith("asm_")
    assert [r["id"][:4] for r in assessment["recommendations"]] == ["rec_", "rec_"]
    assert len({r["id"] for r in assessment["recommendations"]}) == 2
    assert {k: v for k, v in assessment.items() if k not in ("id", "created_at", "recommendations")} == {
        "employer_id": employer_id, "delivered_on": DELIVERED_ON, "interviews": ASSESSMENT["interviews"],
        "gaps": ASSESSMENT["gaps"]}
    assert [{k: r[k] for k in ("area", "text")} for r in assessment["recommendations"]] == (
        ASSESSMENT["recommendations"])
    assert published(mongo_client, tenant["id"], "assessment.delivered") == [{
        "employer_id": employer_id, "assessment_id": assessment["id"], "delivered_on": DELIVERED_ON,
        "recommendations": [{"recommendation_id": r["id"], "area": r["area"]}
                            for r in assessment["recommendations"]]}]
    # the free text stays in intake
    assert "Publish" not in str(published(mongo_client, tenant["id"], "assessment.delivered"))


def test_an_assessment_is_delivered_today_unless_staff_say_when(intake):
    body = {"recommendations": [{"area": "mentoring", "text": "Start a mentoring circle."}]}
    assessment = created(assess(intake, employer(intake)["id"], body))
    assert (assessment["delivered_on"], assessment["interviews"], assessment["gaps"]) == (
        TODAY.isoformat(), [], [])


def test_in_a_toronto_evening_dates_done_default_to_and_stop_at_the_councils_day(
        intake, monkeypatch, mongo_client, tenant):
    intake_clock_at(monkeypatch, TORONTO_EVENING)
    employer_id = employer(intake)["id"]
    body = {"recommendations": [{"area": "mentoring", "text": "Start a mentoring circle."}]}
    assert created(assess(intake, employer_id, body))["delivered_on"] == EVENING_DAY
    trainer = leader(intake, employer_id=employer_id)
    assert created(certify(intake, trainer["id"]))["certified_on"] == EVENING_DAY
    assert created(change(intake, employer_id, adopted_on=EVENING_DAY))["adopted_on"] == EVENING_DAY
    assert_refused(change(intake, employer_id, adopted_on=NEXT_DAY),
                   {"adopted_on": [f"Must not be after today ({EVENING_DAY})."]})
    [delivered] = published(mongo_client, tenant["id"], "assessment.delivered")
    [certified] = published(mongo_client, tenant["id"], "trainer.certified")
    assert (delivered["delivered_on"], certified["certified_on"]) == (EVENING_DAY, EVENING_DAY)


@pytest.mark.parametrize(("body", "fields"), [
    ({}, {"recommendations": MISSING}),
    ({"recommendations": []}, {"recommendations": ["Shorter than minimum length 1."]}),
    ({**ASSESSMENT, "delivered_on": TOMORROW, "interviews": []},
     {"delivered_on": [f"Must not be after today ({TODAY.isoformat()})."]}),
    ({**ASSESSMENT, "interviews": [{"role": "hr_leader", "date": TOMORROW}]},
     {"interviews": {"0": {"date": [f"Must not be after delivered_on ({DELIVERED_ON})."]}}}),
    ({**ASSESSMENT, "interviews": [{"role": "ceo"}], "gaps": [""],
      "recommendations": [{"area": "pay", "text": "More."}], "summary": "x"},
     {"interviews": {"0": {"role": ["Must be one of: hr_leader, senior_leader."], "date": MISSING}},
      "gaps": {"0": ["Length must be between 1 and 2000."]}, "recommendations": {"0": {"area": [AREAS]}},
      "summary": ["Unknown field."]}),
    ({**ASSESSMENT, "delivered_on": "2026-13-01"}, {"delivered_on": ["Not a valid date."]}),
])
def test_a_bad_assessment_is_refused_naming_each_field_and_nothing_is_written(
        intake, mongo_client, tenant, body, fields):
    employer_id = employer(intake)["id"]
    before = written(mongo_client, tenant["id"], *ORG_CHANGE)
    assert_refused(assess(intake, employer_id, body), fields)
    assert written(mongo_client, tenant["id"], *ORG_CHANGE) == before


def test_an_assessment_for_an_unknown_or_another_councils_employer_is_not_found(
        intake, mongo_client, tenant, other_council):
    theirs = employer(intake.with_key(other_council["staff"]))["id"]
    before = written(mongo_client, tenant["id"], *ORG_CHANGE)
    for employer_id in ("emp_0000000000000000", theirs):
        for answer in (assess(intake, employer_id), change(intake, employer_id),
                       intake.get(f"/v1/employers/{employer_id}")):
            assert_not_found(answer, "employer", employer_id)
    assert written(mongo_client, tenant["id"], *ORG_CHANGE) == before


# --- adopted changes ----------------------------------------------------------------------------

def test_a_change_answering_a_recommendation_is_recorded_and_published(intake, mongo_client, tenant):
    employer_id = employer(intake)["id"]
    recommendation = created(assess(intake, employer_id))["recommendations"][0]
    recorded = created(change(intake, employer_id, kind="promotion_criteria", adopted_on=TODAY.isoformat(),
                              recommendation_id=recommendation["id"]))
    assert recorded["id"].startswith("chg_")
    assert {k: v for k, v in recorded.items() if k not in ("id", "created_at")} == {
        "employer_id": employer_id, "kind": "promotion_criteria", "recommendation_id": recommendation["id"],
        "adopted_on": TODAY.isoformat()}
    assert published(mongo_client, tenant["id"], "org_change.recorded") == [{
        "employer_id": employer_id, "change_id": recorded["id"], "kind": "promotion_criteria",
        "recommendation_id": recommendation["id"], "adopted_on": TODAY.isoformat()}]


def test_a_change_may_answer_no_recommendation(intake, mongo_client, tenant):
    employer_id = employer(intake)["id"]
    recorded = created(change(intake, employer_id, kind="resource_group", adopted_on="2025-01-15"))
    assert recorded["recommendation_id"] is None
    [data] = published(mongo_client, tenant["id"], "org_change.recorded")
    assert (data["change_id"], data["recommendation_id"], data["kind"]) == (recorded["id"], None,
                                                                              "resource_group")


def test_a_change_naming_a_recommendation_not_made_to_this_employer_is_refused(
        intake, mongo_client, tenant, other_council):
    employer_id, elsewhere = employer(intake)["id"], employer(intake)["id"]
    theirs_api = intake.with_key(other_council["staff"])
    recommendations = [created(assess(intake, elsewhere))["recommendations"][0]["id"],
                       created(assess(theirs_api, employer(theirs_api)["id"]))["recommendations"][0]["id"],
                       "rec_0000000000000000"]
    before = written(mongo_client, tenant["id"], *ORG_CHANGE)
    for recommendation_id in recommendations:
        assert_refused(change(intake, employer_id, recommendation_id=recommendation_id),
                       {"recommendation_id": ["Not a recommendation made to this employer."]})
    assert written(mongo_client, tenant["id"], *ORG_CHANGE) == before


@pytest.mark.parametrize(("body", "fields"), [
    ({"kind": None, "adopted_on": None},
     {"kind": ["Field may not be null."], "adopted_on": ["Field may not be null."]}),
    ({"kind": "pay", "adopted_on": TOMORROW},
     {"kind": [AREAS], "adopted_on": [f"Must not be after today ({TODAY.isoformat()})."]}),
    ({"adopted_on": "yesterday", "recommendation_id": 5},
     {"adopted_on": ["Not a valid date."], "recommendation_id": ["Not a valid string."]}),
])
def test_a_bad_change_is_refused_naming_each_field_and_nothing_is_written(
        intake, mongo_client, tenant, body, fields):
    employer_id = employer(intake)["id"]
    before = written(mongo_client, tenant["id"], *ORG_CHANGE)
    assert_refused(change(intake, employer_id, **body), fields)
    assert written(mongo_client, tenant["id"], *ORG_CHANGE) == before


def test_a_change_cannot_predate_the_assessment_that_recommended_it(intake, mongo_client, tenant):
    employer_id = employer(intake)["id"]
    recommendation = created(assess(intake, employer_id))["recommendations"][1]
    before = written(mongo_client, tenant["id"], *ORG_CHANGE)
    early = (TODAY - timedelta(days=31)).isoformat()
    assert_refused(change(intake, employer_id, recommendation_id=recommendation["id"], adopted_on=early),
                   {"adopted_on": [f"Must not be before the assessment that recommended it "
                                   f"(delivered on {DELIVERED_ON})."]})
    assert written(mongo_client, tenant["id"], *ORG_CHANGE) == before


# --- trainer certification ----------------------------------------------------------------------

def test_a_participant_of_an_employer_is_certified_as_a_trainer_once(intake, mongo_client, tenant):
    employer_id = employer(intake)["id"]
    trainer = leader(intake, employer_id=employer_id)
    certification = created(certify(intake, trainer["id"]))
    assert {k: v for k, v in certification.items() if k not in ("id", "created_at")} == {
        "participant_id": trainer["id"], "employer_id": employer_id, "kind": "trainer",
        "certified_on": TODAY.isoformat()}
    assert published(mongo_client, tenant["id"], "trainer.certified") == [{
        "participant_id": trainer["id"], "employer_id": employer_id, "certification_id": certification["id"],
        "certified_on": TODAY.isoformat()}]
    before = written(mongo_client, tenant["id"], *ORG_CHANGE)
    again = certify(intake, trainer["id"])
    assert (again.status_code, again.json()["error"]) == (409, "CONFLICT")
    assert written(mongo_client, tenant["id"], *ORG_CHANGE) == before


def test_a_certification_may_be_dated_in_the_past(intake):
    trainer = leader(intake, employer_id=employer(intake)["id"])
    assert created(certify(intake, trainer["id"], {"kind": "trainer", "certified_on": DELIVERED_ON}))[
        "certified_on"] == DELIVERED_ON


def test_a_participant_without_an_employer_cannot_be_certified(intake, mongo_client, tenant):
    loner = leader(intake)
    before = written(mongo_client, tenant["id"], *ORG_CHANGE)
    assert_refused(certify(intake, loner["id"]),
                   {"participant_id": ["Has no employer to be a certified trainer for."]})
    assert written(mongo_client, tenant["id"], *ORG_CHANGE) == before


def test_a_bad_certification_is_refused_and_an_unknown_participant_is_not_found(
        intake, mongo_client, tenant, other_council):
    trainer = leader(intake, employer_id=employer(intake)["id"])
    theirs = leader(intake.with_key(other_council["staff"]))
    before = written(mongo_client, tenant["id"], *ORG_CHANGE)
    assert_refused(certify(intake, trainer["id"], {"kind": "coach", "certified_on": TOMORROW}),
                   {"kind": ["Must be one of: trainer."],
                    "certified_on": [f"Must not be after today ({TODAY.isoformat()})."]})
    assert_refused(certify(intake, trainer["id"], {"level": 2}),
                   {"kind": MISSING, "level": ["Unknown field."]})
    for participant_id in ("par_0000000000000000", theirs["id"]):
        assert_not_found(certify(intake, participant_id), "participant", participant_id)
    assert written(mongo_client, tenant["id"], *ORG_CHANGE) == before


# --- the employer as staff read it, and who may write ------------------------------------------

def test_an_employer_reads_with_its_assessments_changes_and_certified_trainers(intake, tenant):
    employer_id = employer(intake)["id"]
    assessment = created(assess(intake, employer_id))
    recorded = created(change(intake, employer_id, recommendation_id=assessment["recommendations"][0]["id"],
                              kind="promotion_criteria", adopted_on=TODAY.isoformat()))
    trainer = leader(intake, employer_id=employer_id)
    certification = created(certify(intake, trainer["id"]))
    seen = intake.with_key(tenant["analyst"]).get(f"/v1/employers/{employer_id}").json()
    assert (seen["id"], seen["name"]) == (employer_id, EMPLOYER["name"])
    assert (seen["assessments"], seen["changes"]) == ([assessment], [recorded])
    assert seen["certified_trainers"] == [{"participant_id": trainer["id"],
                                           "certification_id": certification["id"],
                                           "certified_on": TODAY.isoformat()}]


def test_an_analyst_may_read_but_not_record_organisational_change(intake, tenant):
    employer_id = employer(intake)["id"]
    analyst = intake.with_key(tenant["analyst"])
    trainer = leader(intake, employer_id=employer_id)
    assert assess(analyst, employer_id).status_code == 403
    assert change(analyst, employer_id).status_code == 403
    assert certify(analyst, trainer["id"]).status_code == 403

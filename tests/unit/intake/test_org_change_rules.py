"""Organisational change: what an assessment, an adopted change and a certification must be."""
from itertools import count

import pytest
from marshmallow import ValidationError

from services.intake.org_change import (
    employer_view,
    new_assessment,
    problems_with_assessment,
    problems_with_change,
)
from services.intake.org_change_schemas import AssessmentSchema, CertificationSchema, ChangeSchema

TODAY = "2026-05-10"
RECOMMENDATION = {"area": "promotion_criteria", "text": "Publish the promotion criteria."}


def assessment(**changes) -> dict:
    return {"delivered_on": "2026-05-01", "interviews": [{"role": "hr_leader", "date": "2026-04-20"}],
            "gaps": [], "recommendations": [RECOMMENDATION], **changes}


def test_an_assessment_delivered_after_its_interviews_and_not_in_the_future_is_sound():
    assert problems_with_assessment(assessment(), TODAY) == {}
    assert problems_with_assessment(assessment(delivered_on=TODAY), TODAY) == {}


def test_an_assessment_may_not_be_delivered_in_the_future_or_before_an_interview_it_reports():
    interviews = [{"role": "hr_leader", "date": "2026-04-20"},
                  {"role": "senior_leader", "date": "2026-05-12"}]
    assert problems_with_assessment(assessment(delivered_on="2026-05-11", interviews=interviews), TODAY) == {
        "delivered_on": ["Must not be after today (2026-05-10)."],
        "interviews": {1: {"date": ["Must not be after delivered_on (2026-05-11)."]}}}


def test_each_recommendation_gets_its_own_id():
    ids = (f"rec_{n}" for n in count())
    made = new_assessment("asm_1", "emp_1", assessment(recommendations=[RECOMMENDATION, RECOMMENDATION]),
                          ids, "2026-05-01T12:00:00.000Z")
    assert [r["id"] for r in made["recommendations"]] == ["rec_0", "rec_1"]
    assert (made["id"], made["employer_id"], made["recommendations"][0]["area"]) == (
        "asm_1", "emp_1", "promotion_criteria")


def test_a_change_may_answer_no_recommendation():
    assert problems_with_change({"recommendation_id": None, "adopted_on": "2020-01-01"}, None) == {}


def test_a_change_naming_a_recommendation_not_made_to_its_employer_is_refused():
    change = {"recommendation_id": "rec_x", "adopted_on": "2026-06-01"}
    assert problems_with_change(change, None) == {
        "recommendation_id": ["Not a recommendation made to this employer."]}


def test_a_change_cannot_be_adopted_before_the_assessment_that_recommended_it():
    recommending = {"delivered_on": "2026-05-01"}
    on_the_day, before = ({"recommendation_id": "rec_1", "adopted_on": day}
                          for day in ("2026-05-01", "2026-04-30"))
    assert problems_with_change(on_the_day, recommending) == {}
    assert problems_with_change(before, recommending) == {
        "adopted_on": ["Must not be before the assessment that recommended it (delivered on 2026-05-01)."]}


def test_an_employer_reads_with_its_assessments_changes_and_trainers_in_date_order():
    def dated(record_id, field, day, **more):
        return {"id": record_id, field: day, "created_at": f"{day}T00:00:00.000Z", **more}
    view = employer_view(
        {"id": "emp_1", "name": "Maple"},
        [dated("asm_2", "delivered_on", "2026-03-01"), dated("asm_1", "delivered_on", "2026-01-01")],
        [dated("chg_1", "adopted_on", "2026-04-01")],
        [dated("crt_2", "certified_on", "2026-02-02", participant_id="par_2", kind="trainer"),
         dated("crt_1", "certified_on", "2026-02-01", participant_id="par_1", kind="trainer")])
    assert [a["id"] for a in view["assessments"]] == ["asm_1", "asm_2"]
    assert [c["id"] for c in view["changes"]] == ["chg_1"]
    assert view["certified_trainers"] == [
        {"participant_id": "par_1", "certification_id": "crt_1", "certified_on": "2026-02-01"},
        {"participant_id": "par_2", "certification_id": "crt_2", "certified_on": "2026-02-02"}]
    assert view["name"] == "Maple"


def test_an_assessment_is_delivered_on_the_councils_today_unless_staff_say_when():
    loaded = AssessmentSchema(today=TODAY).load({"recommendations": [RECOMMENDATION]})
    assert loaded == {"delivered_on": TODAY, "interviews": [], "gaps": [],
                      "recommendations": [RECOMMENDATION]}
    with pytest.raises(ValidationError) as refused:
        AssessmentSchema(today=TODAY).load({"delivered_on": "2026-05-11", "interviews": [],
                                            "recommendations": [RECOMMENDATION]})
    assert refused.value.messages == {"delivered_on": ["Must not be after today (2026-05-10)."]}


def test_an_assessment_needs_a_recommendation_from_the_known_areas():
    with pytest.raises(ValidationError) as refused:
        AssessmentSchema(today=TODAY).load({"recommendations": [{"area": "pay", "text": ""}], "gaps": [7]})
    assert refused.value.messages == {
        "recommendations": {0: {"area": ["Must be one of: policy, promotion_criteria, leader_training, "
                                         "mentoring, resource_group, continued_program, other."],
                                "text": ["Length must be between 1 and 2000."]}},
        "gaps": {0: ["Not a valid string."]}}


def test_a_change_or_certification_cannot_be_dated_after_the_councils_today():
    future = ["Must not be after today (2026-05-10)."]
    assert ChangeSchema(today=TODAY).load({"kind": "policy", "adopted_on": TODAY})["adopted_on"] == TODAY
    with pytest.raises(ValidationError) as refused:
        ChangeSchema(today=TODAY).load({"kind": "policy", "adopted_on": "2026-05-11"})
    assert refused.value.messages == {"adopted_on": future}
    with pytest.raises(ValidationError) as refused:
        CertificationSchema(today=TODAY).load({"kind": "trainer", "certified_on": "2026-05-11"})
    assert refused.value.messages == {"certified_on": future}


def test_a_certification_is_dated_on_the_councils_today_unless_staff_say_when():
    assert CertificationSchema(today=TODAY).load({"kind": "trainer"}) == {"kind": "trainer",
                                                                          "certified_on": TODAY}


def test_a_schema_of_dates_done_loads_nothing_without_the_councils_today():
    bodies = ((AssessmentSchema(), {"recommendations": [RECOMMENDATION]}),
              (ChangeSchema(), {"kind": "policy", "adopted_on": TODAY}),
              (CertificationSchema(), {"kind": "trainer", "certified_on": TODAY}))
    for schema, body in bodies:
        with pytest.raises(TypeError, match="today="):
            schema.load(body)

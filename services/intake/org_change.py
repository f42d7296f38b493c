"""Organisational change at employer partners: the assessment a council delivers (interviews with
leaders, gaps found, recommendations by area), the changes an employer adopts, and the internal
trainers certified to deliver the program themselves (CAIP 2.0, train-the-trainer). No I/O.

INDICATORS.md I11 counts employers with a change adopted after their assessment, I12 employers
whose certified trainer went on to facilitate a cohort; the dates here are what those compare.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

# The areas a recommendation and an adopted change fall in: those of the fu12 `org_changes` item, and other.
AREAS = ("policy", "promotion_criteria", "leader_training", "mentoring", "resource_group",
         "continued_program", "other")
INTERVIEWEE_ROLES = ("hr_leader", "senior_leader")
TRAINER = "trainer"
CERTIFICATION_KINDS = (TRAINER,)
MAX_TEXT = 2000


def problems_with_assessment(assessment: Mapping, today: str) -> dict:
    """What makes an assessment's dates impossible, by field: delivered in the future, or before an
    interview it reports on (ISO dates compare as text)."""
    delivered_on = assessment["delivered_on"]
    problems: dict = {}
    if delivered_on > today:
        problems["delivered_on"] = [f"Must not be after today ({today})."]
    late = {index: {"date": [f"Must not be after delivered_on ({delivered_on})."]}
            for index, interview in enumerate(assessment["interviews"]) if interview["date"] > delivered_on}
    if late:
        problems["interviews"] = late
    return problems


def not_after_today(day: str, today: str) -> list[str]:
    """The messages for a date of something done (adopted, certified) that lies in the future."""
    return [f"Must not be after today ({today})."] if day > today else []


def new_assessment(assessment_id: str, employer_id: str, fields: Mapping, recommendation_ids: Iterator[str],
                   created_at: str) -> dict:
    """A delivered assessment; each recommendation gets an id that adopted changes can name."""
    recommendations = [{"id": next(recommendation_ids), **recommendation}
                       for recommendation in fields["recommendations"]]
    return {"id": assessment_id, "employer_id": employer_id, **fields, "recommendations": recommendations,
            "created_at": created_at}


def problems_with_change(change: Mapping, recommending: Mapping | None) -> dict[str, list[str]]:
    """What keeps a change from answering the recommendation it names, by field.

    ``recommending`` is this employer's assessment that holds ``change["recommendation_id"]`` (None:
    no such recommendation was made to this employer).
    """
    if change["recommendation_id"] is None:
        return {}
    if recommending is None:
        return {"recommendation_id": ["Not a recommendation made to this employer."]}
    if change["adopted_on"] < recommending["delivered_on"]:
        return {"adopted_on": [f"Must not be before the assessment that recommended it "
                               f"(delivered on {recommending['delivered_on']})."]}
    return {}


def new_change(change_id: str, employer_id: str, fields: Mapping, created_at: str) -> dict:
    """A change an employer adopted."""
    return {"id": change_id, "employer_id": employer_id, "kind": fields["kind"],
            "recommendation_id": fields["recommendation_id"], "adopted_on": fields["adopted_on"],
            "created_at": created_at}


def new_certification(certification_id: str, participant: Mapping, fields: Mapping, created_at: str) -> dict:
    """A participant's certification (as a trainer) for the employer they work for."""
    return {"id": certification_id, "participant_id": participant["id"],
            "employer_id": participant["employer_id"], "kind": fields["kind"],
            "certified_on": fields["certified_on"], "created_at": created_at}


def employer_view(employer: Mapping, assessments: Sequence[Mapping], changes: Sequence[Mapping],
                  certifications: Sequence[Mapping]) -> dict:
    """What staff see of an employer: with its assessments, adopted changes and certified trainers,
    each in date order."""
    trainers = [{"participant_id": c["participant_id"], "certification_id": c["id"],
                 "certified_on": c["certified_on"]}
                for c in _by_date(certifications, "certified_on") if c["kind"] == TRAINER]
    return {**employer, "assessments": _by_date(assessments, "delivered_on"),
            "changes": _by_date(changes, "adopted_on"), "certified_trainers": trainers}


def _by_date(records: Sequence[Mapping], date_field: str) -> list[dict]:
    ordered = sorted(records, key=lambda record: (record[date_field], record["created_at"], record["id"]))
    return [dict(record) for record in ordered]

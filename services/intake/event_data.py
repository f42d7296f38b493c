"""The ``data`` of every event intake publishes (EVENTS.md, docs/events.md). No I/O.

The one place that decides what leaves intake in an event: ids and coded facts only, never a
participant's name, email or phone (those go out only through the ``get_contact`` RPC).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from services.intake.participants import consent_choices


def employer_registered(employer: Mapping) -> dict:
    """``employer.registered``."""
    return {"employer_id": employer["id"], "name": employer["name"], "sector": employer["sector"],
            "size_class": employer["size_class"], "city": employer["city"]}


def program_created(program: Mapping) -> dict:
    """``program.created``."""
    return {"program_id": program["id"], "kind": program["kind"], "name": program["name"],
            "sessions_planned": program["sessions_planned"],
            "train_the_trainer": program["train_the_trainer"]}


def cohort_opened(cohort: Mapping) -> dict:
    """``cohort.opened`` (+ ``sessions`` [{date, topic}]: notifications reminds participants of them)."""
    return {"cohort_id": cohort["id"], "program_id": cohort["program_id"],
            "program_kind": cohort["program_kind"], "employer_ids": list(cohort["employer_ids"]),
            "start_date": cohort["start_date"], "end_date": cohort["end_date"],
            "sessions_planned": cohort["sessions_planned"], "facilitated_by": cohort["facilitated_by"],
            "sessions": [{"date": session["date"], "topic": session["topic"]}
                         for session in cohort.get("sessions", [])]}


def participant_registered(participant: Mapping) -> dict:
    """``participant.registered``: the participant's coded profile, no personal data."""
    return {"participant_id": participant["id"], "role": participant["role"],
            "employer_id": participant["employer_id"], "occupation_noc": participant["occupation_noc"],
            "years_in_canada": participant["years_in_canada"],
            "preferred_language": participant["preferred_language"],
            "consent": consent_choices(participant["consent"])}


def participant_enrolled(enrolment: Mapping, cohort: Mapping, participant: Mapping) -> dict:
    """``participant.enrolled`` (+ ``program_id``)."""
    return {"participant_id": enrolment["participant_id"], "cohort_id": cohort["id"],
            "role": enrolment["role"], "program_kind": cohort["program_kind"],
            "employer_id": participant["employer_id"], "program_id": cohort["program_id"]}


def attendance_recorded(cohort_id: str, session_index: int, present: Sequence[str]) -> dict:
    """``attendance.recorded``: the whole list of who was present (a re-recording replaces it)."""
    return {"cohort_id": cohort_id, "session_index": session_index, "present": list(present)}


def cohort_completed(cohort: Mapping, ended_on: str, results: Sequence[Mapping]) -> dict:
    """``cohort.completed`` (+ ``program_id``, ``employer_ids``, ``sessions_planned``)."""
    return {"cohort_id": cohort["id"], "program_kind": cohort["program_kind"], "ended_on": ended_on,
            "enrolments": [dict(result) for result in results], "program_id": cohort["program_id"],
            "employer_ids": list(cohort["employer_ids"]), "sessions_planned": cohort["sessions_planned"]}


def consent_changed(participant_id: str, consent: Mapping) -> dict:
    """``consent.changed``: the participant's choices after the change."""
    return {"participant_id": participant_id, **consent_choices(consent)}


def participant_withdrawn(participant_id: str, cohort_id: str, reason: str) -> dict:
    """``participant.withdrawn``: the reason is a code (``enrolments.WITHDRAWAL_REASONS``)."""
    return {"participant_id": participant_id, "cohort_id": cohort_id, "reason": reason}


def mentorship_matched(match: Mapping) -> dict:
    """``mentorship.matched``."""
    return {"match_id": match["id"], "mentor_id": match["mentor_id"], "mentee_id": match["mentee_id"],
            "occupation_noc": match["occupation_noc"], "score": match["score"],
            "planned_end": match["planned_end"]}


def mentorship_ended(match: Mapping) -> dict:
    """``mentorship.ended`` (+ ``mentee_id``, ``ended_on``); the reason is a code, never free text."""
    return {"match_id": match["id"], "reason": match["reason"],
            "planned_end_reached": match["planned_end_reached"], "mentee_id": match["mentee_id"],
            "ended_on": match["ended_on"]}


def assessment_delivered(assessment: Mapping) -> dict:
    """``assessment.delivered`` (+ ``assessment_id``, ``delivered_on``): areas only, not the texts."""
    recommendations = [{"recommendation_id": recommendation["id"], "area": recommendation["area"]}
                       for recommendation in assessment["recommendations"]]
    return {"employer_id": assessment["employer_id"], "recommendations": recommendations,
            "assessment_id": assessment["id"], "delivered_on": assessment["delivered_on"]}


def org_change_recorded(change: Mapping) -> dict:
    """``org_change.recorded`` (``recommendation_id`` null when the change answers none)."""
    return {"employer_id": change["employer_id"], "change_id": change["id"], "kind": change["kind"],
            "recommendation_id": change["recommendation_id"], "adopted_on": change["adopted_on"]}


def trainer_certified(certification: Mapping) -> dict:
    """``trainer.certified`` (+ ``certification_id``, ``certified_on``)."""
    return {"participant_id": certification["participant_id"], "employer_id": certification["employer_id"],
            "certification_id": certification["id"], "certified_on": certification["certified_on"]}


def participant_erased(participant_id: str) -> dict:
    """``participant.erased``: the id only; every service removes or anonymises what it holds."""
    return {"participant_id": participant_id}

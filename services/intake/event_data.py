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
    """``cohort.opened``."""
    return {"cohort_id": cohort["id"], "program_id": cohort["program_id"],
            "program_kind": cohort["program_kind"], "employer_ids": list(cohort["employer_ids"]),
            "start_date": cohort["start_date"], "end_date": cohort["end_date"],
            "sessions_planned": cohort["sessions_planned"], "facilitated_by": cohort["facilitated_by"]}


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

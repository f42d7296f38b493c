"""Joining the projections into the facts `compute.py` counts. No I/O.

Each projection is stored on its own as its events arrive, in any order; the join happens here, at
query time, so a response that arrived before its cohort or its participant is counted with them as
soon as they are there. What is still unknown stays None, and a breakdown on it does not match.

Where two projections can say the same thing, the more specific one wins: the role a response was
given in over the role of the enrolment over the participant's; the employer of the enrolment over
the participant's; the cohort's program over the enrolment's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.reporting.projection import CANCELLED_AT, EXPIRED_AT, RESPONDED_AT, SENT_AT

Doc = Mapping[str, Any]
_EMPTY: Doc = {}

# An invitation's status from the times recorded on it, most decisive first: a response counts even
# if a cancellation followed it; a cancelled invitation is out of the response rate even if it expired.
_STATUS_BY_TIME = (("responded", RESPONDED_AT), ("cancelled", CANCELLED_AT), ("expired", EXPIRED_AT),
                   ("sent", SENT_AT))
SCHEDULED = "scheduled"


@dataclass(frozen=True)
class Snapshot:
    """The projections of one tenant as read at one moment, indexed for the join."""

    employers: Mapping[str, Doc] = field(default_factory=dict)
    programs: Mapping[str, Doc] = field(default_factory=dict)
    cohorts: Mapping[str, Doc] = field(default_factory=dict)
    participants: Mapping[str, Doc] = field(default_factory=dict)
    enrolments: Mapping[tuple[str, str], Doc] = field(default_factory=dict)  # by (cohort_id, participant_id)
    invitations: Sequence[Doc] = ()
    responses: Sequence[Doc] = ()


def by_id(docs: Iterable[Doc]) -> dict[str, Doc]:
    """Documents indexed by their `_id`."""
    return {doc["_id"]: doc for doc in docs}


def by_enrolment(docs: Iterable[Doc]) -> dict[tuple[str, str], Doc]:
    """Enrolment documents indexed by (cohort_id, participant_id)."""
    return {(doc.get("cohort_id"), doc.get("participant_id")): doc for doc in docs}


def invitation_status(invitation: Doc) -> str:
    """`responded`, `cancelled`, `expired`, `sent` or `scheduled`, whatever order its events came in."""
    for status, time_field in _STATUS_BY_TIME:
        if invitation.get(time_field):
            return status
    return SCHEDULED


def _first(*values: Any) -> Any:
    """The first value that is not None (None when all are)."""
    return next((value for value in values if value is not None), None)


def _context(snapshot: Snapshot, own: Doc) -> dict[str, Any]:
    """What a response or invitation is about: its cohort, program, employer and participant."""
    participant_id, cohort_id = own.get("participant_id"), own.get("cohort_id")
    cohort = snapshot.cohorts.get(cohort_id, _EMPTY)
    enrolment = snapshot.enrolments.get((cohort_id, participant_id), _EMPTY)
    participant = snapshot.participants.get(participant_id, _EMPTY)
    program_id = _first(cohort.get("program_id"), enrolment.get("program_id"))
    employer_id = _first(enrolment.get("employer_id"), participant.get("employer_id"))
    program = snapshot.programs.get(program_id, _EMPTY)
    return {
        "participant_id": participant_id,
        "cohort_id": cohort_id,
        "program_id": program_id,
        "program_kind": _first(cohort.get("program_kind"), enrolment.get("program_kind"),
                               program.get("kind"), own.get("program_kind")),
        "employer_id": employer_id,
        "employer_size": snapshot.employers.get(employer_id, _EMPTY).get("size_class"),
        "role": _first(own.get("role"), enrolment.get("role"), participant.get("role")),
        "wave": own.get("wave"),
        "cohort_ended_on": cohort.get("ended_on"),
        "years_in_canada": participant.get("years_in_canada"),
        "occupation_noc": participant.get("occupation_noc"),
        "preferred_language": participant.get("preferred_language"),
    }


def response_facts(snapshot: Snapshot) -> list[dict[str, Any]]:
    """One fact per response: its coded answers in the context `compute` and `filter_facts` cut on."""
    return [{**_context(snapshot, response), "response_id": response["_id"],
             "invitation_id": response.get("invitation_id"), "answers": response.get("answers") or {},
             "submitted_at": response.get("submitted_at")}
            for response in snapshot.responses]


def invitation_facts(snapshot: Snapshot) -> list[dict[str, Any]]:
    """One fact per invitation: its status in the same context as the responses."""
    return [{**_context(snapshot, invitation), "invitation_id": invitation["_id"],
             "status": invitation_status(invitation)}
            for invitation in snapshot.invitations]

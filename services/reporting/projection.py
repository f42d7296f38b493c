"""What each event received changes in reporting's projections, declared as data. No I/O.

Events of different types arrive in any order (each handler has its own queue), so every projection
document is merged from the events that name it, field by field: an event only sets the fields it
carries (never a None over a known value) and records its own time under its own name. Nothing is
derived at write time; the invitation status, for one, is read from which of these times are there
(`units.invitation_status`). Replaying the event log through `changes_for` rebuilds the projections.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema

from services.reporting import schemas

EMPLOYERS, PROGRAMS, COHORTS = "employers", "programs", "cohorts"
PARTICIPANTS, ENROLMENTS = "participants", "enrolments"
INVITATIONS, RESPONSES = "invitations", "responses"
MATCHES, ASSESSMENTS, CHANGES, CERTIFICATIONS = "matches", "assessments", "org_changes", "certifications"
EVENT_LOG = "event_log"
# The event's own id, offered to `Target.key` for documents one per event (an assessment, a change).
EVENT_ID = "event_id"
# What a participant's erasure removes (the quasi-identifiers): from the projection and the event log.
QUASI_IDENTIFIERS = ("preferred_language", "occupation_noc", "years_in_canada")
ERASED = "erased"

# Where the time of each invitation event is kept; `units.invitation_status` reads these.
SCHEDULED_AT, SENT_AT = "scheduled_at", "last_sent_at"
CANCELLED_AT, EXPIRED_AT, RESPONDED_AT = "cancelled_at", "expired_at", "responded_at"
# Fields of an event's data never written to the event log: credentials reporting has no use for.
_NOT_LOGGED = frozenset({"link"})


@dataclass(frozen=True)
class Target:
    """One document an event updates: in `collection`, named by the `key` fields of the event's data.

    `fields` are the data fields copied onto it (None: every field the schema loaded); `time_as`
    names the field that receives the event's time.
    """

    collection: str
    key: tuple[str, ...]
    fields: tuple[str, ...] | None = None
    time_as: str | None = None


@dataclass(frozen=True)
class Projection:
    """How one event type is read (`schema`) and which documents it updates (`targets`)."""

    schema: type[Schema]
    targets: tuple[Target, ...]


@dataclass(frozen=True)
class Change:
    """Set `fields` on the document `doc_id` of `collection`, creating it if it does not exist."""

    collection: str
    doc_id: str
    fields: dict[str, Any]


_INVITATION_CONTEXT = ("participant_id", "cohort_id", "wave", "role")

PROJECTIONS: dict[str, Projection] = {
    "employer.registered": Projection(
        schemas.EmployerRegistered, (Target(EMPLOYERS, ("employer_id",)),)),
    "program.created": Projection(schemas.ProgramCreated, (Target(PROGRAMS, ("program_id",)),)),
    "cohort.opened": Projection(
        schemas.CohortOpened, (Target(COHORTS, ("cohort_id",), time_as="opened_at"),)),
    "cohort.completed": Projection(
        schemas.CohortCompleted, (Target(COHORTS, ("cohort_id",), time_as="completed_at"),)),
    "participant.registered": Projection(
        schemas.ParticipantRegistered, (Target(PARTICIPANTS, ("participant_id",), time_as="registered_at"),)),
    "participant.enrolled": Projection(
        schemas.ParticipantEnrolled,
        (Target(ENROLMENTS, ("cohort_id", "participant_id"), time_as="enrolled_at"),)),
    "participant.withdrawn": Projection(
        schemas.ParticipantWithdrawn,
        (Target(ENROLMENTS, ("cohort_id", "participant_id"), time_as="withdrawn_at"),)),
    "mentorship.matched": Projection(
        schemas.MentorshipMatched, (Target(MATCHES, ("match_id",), time_as="matched_at"),)),
    "mentorship.ended": Projection(
        schemas.MentorshipEnded, (Target(MATCHES, ("match_id",), time_as="ended_at"),)),
    "assessment.delivered": Projection(
        schemas.AssessmentDelivered, (Target(ASSESSMENTS, (EVENT_ID,), time_as="delivered_at"),)),
    "org_change.recorded": Projection(
        schemas.OrgChangeRecorded, (Target(CHANGES, (EVENT_ID,), time_as="recorded_at"),)),
    "trainer.certified": Projection(
        schemas.TrainerCertified, (Target(CERTIFICATIONS, (EVENT_ID,), time_as="certified_at"),)),
    "invitation.scheduled": Projection(
        schemas.InvitationScheduled, (Target(INVITATIONS, ("invitation_id",), time_as=SCHEDULED_AT),)),
    # Reminders are invitation.due too: the time kept is the last sending's.
    "invitation.due": Projection(
        schemas.InvitationDue, (Target(INVITATIONS, ("invitation_id",), time_as=SENT_AT),)),
    "invitation.cancelled": Projection(
        schemas.InvitationCancelled, (Target(INVITATIONS, ("invitation_id",), time_as=CANCELLED_AT),)),
    "invitation.expired": Projection(
        schemas.InvitationExpired, (Target(INVITATIONS, ("invitation_id",), time_as=EXPIRED_AT),)),
    "response.submitted": Projection(schemas.ResponseSubmitted, (
        Target(INVITATIONS, ("invitation_id",), fields=_INVITATION_CONTEXT, time_as=RESPONDED_AT),
        Target(RESPONSES, ("response_id",), time_as="submitted_at"),
    )),
}


def changes_for(event: Mapping[str, Any]) -> list[Change]:
    """The projection changes an event makes; [] for an event reporting does not project.

    Raises marshmallow's ValidationError when the event's data lacks what reporting needs.
    """
    projection = PROJECTIONS.get(event["type"])
    if projection is None:
        return []
    data = {**projection.schema().load(event["data"]), EVENT_ID: event["id"]}
    return [_change(target, data, event["time"]) for target in projection.targets]


def _change(target: Target, data: Mapping[str, Any], time: str) -> Change:
    names = [name for name in data if name != EVENT_ID] if target.fields is None else target.fields
    values = {name: data[name] for name in names if data.get(name) is not None}
    if target.time_as:
        values[target.time_as] = time
    return Change(target.collection, ":".join(data[part] for part in target.key), values)


def log_entry(event: Mapping[str, Any]) -> dict[str, Any]:
    """The event-log document of a received event: the envelope as received, less credentials."""
    data = {name: value for name, value in event["data"].items() if name not in _NOT_LOGGED}
    return {**event, "_id": event["id"], "data": data}


def erased_ids(event: Mapping[str, Any]) -> list[str]:
    """The participants an event is about whose quasi-identifiers an erasure removes."""
    data = event.get("data") or {}
    return [data[name] for name in ("participant_id", "mentee_id") if isinstance(data.get(name), str)]


def redacted(event: Mapping[str, Any]) -> dict[str, Any]:
    """The event without the quasi-identifiers of its participant (an erased one's)."""
    data = {name: value for name, value in (event.get("data") or {}).items() if name not in QUASI_IDENTIFIERS}
    return {**event, "data": data}

"""Marshmallow schemas at the surveys service's boundaries: requests, and intake's events we consume.

Instruments have their own schema (``instruments.InstrumentSchema``); answers are checked by
``answers.validate_answers`` against the instrument. Event schemas take the fields we use and
leave the rest (events grow additively), so a newer intake never breaks us.
"""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from services.common.paging import after_field, limit_field
from services.surveys.instruments import ROLES, WAVES
from services.surveys.invitations import STATUSES


def _id(**kwargs) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=100), **kwargs)


class SchedulerRunSchema(Schema):
    """``POST /v1/scheduler/run``."""

    as_of = fields.AwareDateTime(required=True, format="iso")


class InvitationQuerySchema(Schema):
    """``GET /v1/invitations`` query: filters and paging."""

    participant_id = _id()
    cohort_id = _id()
    wave = fields.String(validate=validate.OneOf(WAVES))
    status = fields.String(validate=validate.OneOf(STATUSES))
    limit = limit_field(maximum=500)
    after = after_field(load_default=None)


class PaperResponseSchema(Schema):
    """``POST /v1/responses``: staff entering a paper response."""

    invitation_id = _id(required=True)
    answers = fields.Dict(keys=fields.String(), required=True)


class _EventData(Schema):
    class Meta:
        unknown = EXCLUDE


class ConsentSchema(_EventData):
    surveys = fields.Boolean(required=True)
    research = fields.Boolean(load_default=False)
    contact = fields.Boolean(load_default=False)


class ParticipantRegisteredSchema(_EventData):
    participant_id = _id(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    preferred_language = fields.String(load_default="en", validate=validate.OneOf(("en", "fr")))
    consent = fields.Nested(ConsentSchema, required=True)


class ConsentChangedSchema(ConsentSchema):
    participant_id = _id(required=True)


class EnrolmentSchema(_EventData):
    participant_id = _id(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    withdrawn = fields.Boolean(load_default=False)


class ParticipantEnrolledSchema(_EventData):
    participant_id = _id(required=True)
    cohort_id = _id(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    program_kind = fields.String(load_default="")


class CohortOpenedSchema(_EventData):
    cohort_id = _id(required=True)
    program_kind = fields.String(load_default="")
    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)


class MentorshipMatchedSchema(_EventData):
    match_id = _id(required=True)
    mentee_id = _id(required=True)


class MentorshipEndedSchema(_EventData):
    match_id = _id(required=True)
    mentee_id = _id(load_default=None)
    ended_on = fields.Date(load_default=None)


class ParticipantErasedSchema(_EventData):
    participant_id = _id(required=True)


class CohortCompletedSchema(_EventData):
    cohort_id = _id(required=True)
    program_kind = fields.String(load_default="")
    ended_on = fields.Date(required=True)
    enrolments = fields.List(fields.Nested(EnrolmentSchema), required=True)


class ParticipantWithdrawnSchema(_EventData):
    participant_id = _id(required=True)
    cohort_id = _id(required=True)
    reason = fields.String(load_default="")

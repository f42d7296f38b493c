"""Marshmallow schemas at the surveys service's boundaries: requests, answers, and intake's events.

Instruments have their own schema (``instrument_schema.InstrumentSchema``); a respondent's answers
are checked by ``answers.validate_answers`` against the instrument. Event schemas take the fields we
use and leave the rest (events grow additively), so a newer intake never breaks us.

The answer schemas describe what the service sends, for its OpenAPI document only (``@api(...,
answer=...)``): a field is ``required`` when it is always there, ``allow_none`` when it can be null,
and a schema refuses fields it does not name; tests/integration/test_surveys_openapi.py checks every
answer against them.
"""
from __future__ import annotations

from marshmallow import EXCLUDE, INCLUDE, Schema, fields, validate

from services.common.openapi import Page
from services.common.paging import PageAnswer, after_field, limit_field
from services.surveys.instrument_schema import InstrumentSchema
from services.surveys.instruments import LANGUAGES, ROLES, WAVES
from services.surveys.invitations import REASONS, STATUSES


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


class RespondentAnswersSchema(Schema):
    """``POST /r/{token}``: ``{item_id: value}``, as JSON or as the form's fields (a multi item repeats
    its name); checked against the invitation's instrument (``answers.validate_answers``)."""

    class Meta:
        unknown = INCLUDE


# --- answers -------------------------------------------------------------------------------------

class RunAnswer(Schema):
    """``POST /v1/scheduler/run``: what the pass did (``due.summary``)."""

    due = fields.Integer(required=True)  # invitation.due events emitted: first links and reminders
    sent = fields.Integer(required=True)
    reminded = fields.Integer(required=True)
    expired = fields.Integer(required=True)
    cancelled = fields.Integer(required=True)
    waiting = fields.Integer(required=True)  # due, but their participant is not known yet


class InstrumentAnswer(InstrumentSchema):
    """An instrument as listed or just added: ``standard`` says whether it is one of the platform's."""

    standard = fields.Boolean(required=True)


class InstrumentsAnswer(PageAnswer):
    """``GET /v1/instruments``: the standard instruments, then the council's own (one page)."""

    items = fields.List(fields.Nested(InstrumentAnswer), required=True)


class InvitationAnswer(Schema):
    """An invitation as listed (``invitations.public_view``): never its links."""

    id = fields.String(required=True)
    participant_id = fields.String(required=True)
    cohort_id = fields.String(required=True)
    wave = fields.String(required=True, validate=validate.OneOf(WAVES))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    program_kind = fields.String(required=True)
    instrument_key = fields.String(required=True)
    instrument_version = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    due_at = fields.DateTime(required=True)
    closes_at = fields.DateTime(required=True)
    reminders = fields.Integer(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(("", *REASONS)))
    created_at = fields.DateTime(required=True)
    sent_at = fields.DateTime()
    responded_at = fields.DateTime()
    ended_at = fields.DateTime()  # expired or cancelled


class InvitationsAnswer(PageAnswer):
    """``GET /v1/invitations``: one page."""

    items = fields.List(fields.Nested(InvitationAnswer), required=True)


class PaperResponseAnswer(Schema):
    """``POST /v1/responses`` 201: the response and its clean answers."""

    id = fields.String(required=True)
    invitation_id = fields.String(required=True)
    answers = fields.Dict(keys=fields.String(), required=True)


class SubmittedAnswer(Schema):
    """``POST /r/{token}`` from a JSON client: the response recorded."""

    response_id = fields.String(required=True)


class SubmittedPage(Page):
    """``POST /r/{token}``: the thank-you page, or for a JSON request ``SubmittedAnswer``."""

    json = SubmittedAnswer


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
    preferred_language = fields.String(load_default="en", validate=validate.OneOf(LANGUAGES))
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

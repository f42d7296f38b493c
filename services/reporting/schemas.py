"""The boundaries of reporting: the data of the events it projects, and the query of GET /v1/indicators.

Event schemas declare only the fields reporting keeps (unknown fields are excluded, so producers can
add fields freely, EVENTS.md); the raw event stays whole in the event log. They check shapes, not
vocabularies: a role or size class reporting does not know yet is kept, not dead-lettered, and simply
matches no indicator.
"""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from services.reporting import indicators
from services.reporting.compute import BreakdownSchema

_ID = {"required": True, "validate": validate.Length(min=1)}


def _text() -> fields.String:
    return fields.String(allow_none=True)


class _EventData(Schema):
    class Meta:
        unknown = EXCLUDE


class EmployerRegistered(_EventData):
    employer_id = fields.String(**_ID)
    size_class = _text()
    sector = _text()
    city = _text()


class ProgramCreated(_EventData):
    program_id = fields.String(**_ID)
    kind = _text()
    name = _text()


class CohortOpened(_EventData):
    cohort_id = fields.String(**_ID)
    program_id = _text()
    program_kind = _text()
    employer_ids = fields.List(fields.String(), allow_none=True)
    start_date = _text()
    end_date = _text()  # planned; `ended_on` of cohort.completed is the end the indicators use
    facilitated_by = _text()


class CohortCompleted(_EventData):
    cohort_id = fields.String(**_ID)
    program_id = _text()
    program_kind = _text()
    employer_ids = fields.List(fields.String(), allow_none=True)
    ended_on = _text()


class ParticipantRegistered(_EventData):
    participant_id = fields.String(**_ID)
    role = _text()
    employer_id = _text()
    years_in_canada = fields.Integer(allow_none=True)
    occupation_noc = _text()
    preferred_language = _text()


class ParticipantEnrolled(_EventData):
    participant_id = fields.String(**_ID)
    cohort_id = fields.String(**_ID)
    role = _text()
    program_kind = _text()
    program_id = _text()
    employer_id = _text()


class InvitationScheduled(_EventData):
    invitation_id = fields.String(**_ID)
    participant_id = _text()
    cohort_id = _text()
    wave = _text()
    role = _text()
    program_kind = _text()
    instrument_key = _text()
    due_at = _text()
    closes_at = _text()


class InvitationDue(_EventData):
    # `link` is deliberately absent: it is the respondent's credential and reporting has no use for it.
    invitation_id = fields.String(**_ID)
    participant_id = _text()
    cohort_id = _text()
    wave = _text()
    instrument_key = _text()
    closes_at = _text()
    attempt = fields.Integer(allow_none=True)


class InvitationCancelled(_EventData):
    invitation_id = fields.String(**_ID)
    reason = _text()


class InvitationExpired(_EventData):
    invitation_id = fields.String(**_ID)


class ResponseSubmitted(_EventData):
    response_id = fields.String(**_ID)
    invitation_id = fields.String(**_ID)
    participant_id = _text()
    cohort_id = _text()
    role = _text()
    wave = _text()
    instrument_key = _text()
    instrument_version = fields.Raw(allow_none=True)
    answers = fields.Dict(keys=fields.String(), required=True)


class IndicatorIds(fields.Field):
    """A comma-separated list of survey-based indicator ids (`I2,I3`), loaded as a tuple of ids."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> tuple[str, ...]:
        if not isinstance(value, str):
            raise ValidationError("Must be a comma-separated list of indicator ids.")
        wanted = [part.strip() for part in value.split(",") if part.strip()]
        available = {defn.id for defn in indicators.survey_based()}
        unknown = [ident for ident in wanted if ident not in available]
        if unknown or not wanted:
            raise ValidationError(
                f"Unknown or not yet available: {', '.join(unknown) or '(none given)'}. "
                f"Available: {', '.join(defn.id for defn in indicators.survey_based())}.")
        return tuple(dict.fromkeys(wanted))  # dedupe, keep the caller's order


class IndicatorsQuerySchema(BreakdownSchema):
    """The query of GET /v1/indicators: any breakdown, `suppress_below`, and `indicator` to pick rows."""

    indicator = IndicatorIds()

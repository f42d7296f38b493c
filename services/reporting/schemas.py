"""The boundaries of reporting: the data of the events it projects, and the query of GET /v1/indicators.

Event schemas declare only the fields reporting keeps (unknown fields are excluded, so producers can
add fields freely, EVENTS.md); the raw event stays whole in the event log. They check shapes, not
vocabularies: a role or size class reporting does not know yet is kept, not dead-lettered, and simply
matches no indicator.
"""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from services.common.tenancy import TENANT_ID_RE
from services.reporting import indicators, subscribers
from services.reporting.breakdowns import BreakdownSchema
from services.reporting.figures import FLOOR

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


class EnrolmentResult(_EventData):
    participant_id = fields.String(**_ID)
    role = _text()
    completed = fields.Boolean(allow_none=True)
    withdrawn = fields.Boolean(allow_none=True)


class CohortCompleted(_EventData):
    cohort_id = fields.String(**_ID)
    program_id = _text()
    program_kind = _text()
    employer_ids = fields.List(fields.String(), allow_none=True)
    ended_on = _text()
    enrolments = fields.List(fields.Nested(EnrolmentResult), allow_none=True)


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


class ParticipantWithdrawn(_EventData):
    participant_id = fields.String(**_ID)
    cohort_id = fields.String(**_ID)
    reason = _text()


class MentorshipMatched(_EventData):
    match_id = fields.String(**_ID)
    mentor_id = _text()
    mentee_id = _text()
    planned_end = _text()


class MentorshipEnded(_EventData):
    match_id = fields.String(**_ID)
    mentee_id = _text()
    reason = _text()
    planned_end_reached = fields.Boolean(allow_none=True)
    ended_on = _text()


class AssessmentDelivered(_EventData):
    employer_id = fields.String(**_ID)
    assessment_id = _text()
    delivered_on = _text()


class OrgChangeRecorded(_EventData):
    employer_id = fields.String(**_ID)
    change_id = _text()
    kind = _text()
    recommendation_id = _text()
    adopted_on = _text()


class TrainerCertified(_EventData):
    participant_id = _text()
    employer_id = fields.String(**_ID)
    certified_on = _text()


class ParticipantErased(_EventData):
    participant_id = fields.String(**_ID)


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
    """A comma-separated list of indicator ids (`I2,I3`), loaded as a tuple of ids."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> tuple[str, ...]:
        if not isinstance(value, str):
            raise ValidationError("Must be a comma-separated list of indicator ids.")
        wanted = [part.strip() for part in value.split(",") if part.strip()]
        available = [defn.id for defn in indicators.INDICATORS]
        unknown = [ident for ident in wanted if ident not in available]
        if unknown or not wanted:
            raise ValidationError(
                f"Unknown: {', '.join(unknown) or '(none given)'}. Available: {', '.join(available)}.")
        return tuple(dict.fromkeys(wanted))  # dedupe, keep the caller's order


class IndicatorsQuerySchema(BreakdownSchema):
    """The query of GET /v1/indicators: any breakdown, `suppress_below`, and `indicator` to pick rows."""

    indicator = IndicatorIds()
    suppress_below = fields.Integer(validate=validate.Range(min=0))


class IndicatorRowSchema(Schema):
    """One row of GET /v1/indicators (`figures.row`): an indicator's figures over the query's cells.

    Described for the OpenAPI document only, exactly as sent: `numerator` is I8's median (a number) or a
    count, null when suppressed; survey-based rows carry `invited` and `response_rate`, others null."""

    id = fields.String(required=True)
    name = fields.String(required=True)
    numerator = fields.Float(allow_none=True, required=True)
    denominator = fields.Integer(required=True)
    rate = fields.Float(allow_none=True, required=True)
    ci95 = fields.List(fields.Float(), allow_none=True, required=True, validate=validate.Length(equal=2))
    invited = fields.Integer(allow_none=True, required=True)
    response_rate = fields.Float(allow_none=True, required=True)
    suppressed = fields.Boolean(required=True)


class IndicatorsAnswerSchema(Schema):
    """The answer of GET /v1/indicators (`figures.indicators_answer`)."""

    indicators = fields.List(fields.Nested(IndicatorRowSchema), required=True)
    as_of = fields.String(required=True)


class FunderIndicatorsAnswerSchema(IndicatorsAnswerSchema):
    """The answer of GET /v1/funder/indicators (`figures.funder_answer`): also the councils summed."""

    tenants = fields.List(fields.String(), required=True)


class TenantIds(fields.Field):
    """A comma-separated list of council ids (`toronto,calgary`), loaded as a tuple."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> tuple[str, ...]:
        wanted = [part.strip() for part in value.split(",") if part.strip()] if isinstance(value, str) else []
        bad = [ident for ident in wanted if not TENANT_ID_RE.match(ident)]
        if bad or not wanted:
            raise ValidationError(f"Must be a comma-separated list of council ids; not: {', '.join(bad)}.")
        return tuple(dict.fromkeys(wanted))


class FunderQuerySchema(IndicatorsQuerySchema):
    """The query of GET /v1/funder/indicators: as GET /v1/indicators, over `tenants` (default all
    granted); `suppress_below` may raise the threshold, never lower it below 5."""

    tenants = TenantIds()
    suppress_below = fields.Integer(validate=validate.Range(min=FLOOR))


# --- outcomes for other systems: subscribers (services/reporting/subscribers.py) ---------------------

class SubscriberSchema(Schema):
    """The body of POST /v1/subscribers."""

    name = fields.String(required=True, validate=validate.Regexp(
        subscribers.NAME_RE, error=f"Must be {subscribers.NAME_RULE}."))


class SubscriberCreatedSchema(Schema):
    """The answer of POST /v1/subscribers (the password is shown once)."""

    name = fields.String()
    username = fields.String()
    password = fields.String()
    amqp_url = fields.String()
    exchange = fields.String()
    binding_prefix = fields.String()
    queue_prefix = fields.String()


# --- the insights report (services/reporting/insights.py) ------------------------------------------

REPORT_FORMATS = ("json", "csv", "html")


class InsightsQuerySchema(IndicatorsQuerySchema):
    """The query of GET /v1/reports/insights: the breakdowns of GET /v1/indicators, and `format`."""

    class Meta:
        exclude = ("indicator",)  # the report chooses its own figures

    format = fields.String(validate=validate.OneOf(REPORT_FORMATS))


class ReportFormatSchema(Schema):
    """The query of GET /v1/reports/{id}: `format`."""

    format = fields.String(validate=validate.OneOf(REPORT_FORMATS))


class InsightsPublishSchema(IndicatorsQuerySchema):
    """The body of POST /v1/reports/insights/publish: which report to publish (its breakdowns)."""

    class Meta:
        exclude = ("indicator",)


class ReportPublishedSchema(Schema):
    """The answer of POST /v1/reports/insights/publish (also the data of `report.published`)."""

    report_id = fields.String()
    kind = fields.String()
    scope = fields.Dict()
    url = fields.String()


class InsightsFigureSchema(Schema):
    """One figure of the insights report: the indicator's published row, its label and its base in words."""

    indicator_id = fields.String(required=True)
    label = fields.String(required=True)
    base = fields.String(required=True)
    available = fields.Boolean(required=True)
    numerator = fields.Float(allow_none=True, required=True)
    denominator = fields.Integer(allow_none=True, required=True)
    rate = fields.Float(allow_none=True, required=True)
    ci95 = fields.List(fields.Float(), allow_none=True, required=True)
    invited = fields.Integer(allow_none=True, required=True)
    response_rate = fields.Float(allow_none=True, required=True)
    suppressed = fields.Boolean(required=True)


class InsightsReportSchema(Schema):
    """The insights report as JSON (GET /v1/reports/insights)."""

    kind = fields.String(required=True)
    council = fields.String(allow_none=True, required=True)
    scope = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    as_of = fields.String(required=True)
    suppress_below = fields.Integer(allow_none=True, required=True)
    figures = fields.List(fields.Nested(InsightsFigureSchema), required=True)


class PublishedReportSchema(InsightsReportSchema):
    """A published report as JSON (GET /v1/reports/{id}): the report as it was, its id and time."""

    report_id = fields.String(required=True)
    published_at = fields.String(required=True)

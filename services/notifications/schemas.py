"""The notifications service's marshmallow schemas: what crosses its boundaries, checked on the way."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates

from services.common.paging import after_field, limit_field
from services.notifications import webhooks
from services.notifications.rules import STORED_STATUSES

WAVES = ("baseline", "post", "fu3", "fu12")
MAX_PAGE = 200  # entries of a delivery log a page


class InvitationDueSchema(Schema):
    """``invitation.due`` data from surveys (EVENTS.md, and docs/events.md for the additive fields)."""

    class Meta:
        unknown = EXCLUDE  # data grows additively; fields we do not use are not our business

    invitation_id = fields.String(required=True, validate=validate.Length(min=1))
    participant_id = fields.String(required=True, validate=validate.Length(min=1))
    wave = fields.String(required=True, validate=validate.OneOf(WAVES))
    link = fields.Url(required=True, require_tld=False)
    attempt = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    closes_at = fields.String(required=True, validate=validate.Length(min=1))
    cohort_id = fields.String(load_default=None)
    instrument_key = fields.String(load_default=None)


class _EventData(Schema):
    class Meta:
        unknown = EXCLUDE  # data grows additively; fields we do not use are not our business



class ResponseSubmittedSchema(_EventData):
    """``response.submitted`` data from surveys: who answered which wave (the answers are not ours)."""

    response_id = fields.String(required=True, validate=validate.Length(min=1))
    participant_id = fields.String(required=True, validate=validate.Length(min=1))
    invitation_id = fields.String(load_default=None, allow_none=True)
    cohort_id = fields.String(load_default=None, allow_none=True)
    wave = fields.String(required=True, validate=validate.OneOf(WAVES))


class MentorshipMatchedSchema(_EventData):
    """``mentorship.matched`` data from intake."""

    match_id = fields.String(required=True, validate=validate.Length(min=1))
    mentor_id = fields.String(required=True, validate=validate.Length(min=1))
    mentee_id = fields.String(required=True, validate=validate.Length(min=1))
    planned_end = fields.String(load_default=None, allow_none=True)


class SessionSchema(_EventData):
    date = fields.Date(required=True, format="iso")
    topic = fields.String(load_default="")


class CohortOpenedSchema(_EventData):
    """``cohort.opened`` data from intake, with its additive ``sessions``."""

    cohort_id = fields.String(required=True, validate=validate.Length(min=1))
    sessions = fields.List(fields.Nested(SessionSchema), load_default=list)


class ParticipantEnrolledSchema(_EventData):
    """``participant.enrolled`` data from intake."""

    participant_id = fields.String(required=True, validate=validate.Length(min=1))
    cohort_id = fields.String(required=True, validate=validate.Length(min=1))


class ParticipantWithdrawnSchema(ParticipantEnrolledSchema):
    """``participant.withdrawn`` data from intake."""


class ParticipantErasedSchema(_EventData):
    """``participant.erased`` data from intake."""

    participant_id = fields.String(required=True, validate=validate.Length(min=1))


class ReplayRequestSchema(_EventData):
    """``webhook.redelivery_requested``: a dead webhook delivery handed back by ``iec dlq replay``."""

    delivery_id = fields.String(required=True, validate=validate.Length(min=1))


class RunSchema(Schema):
    """``POST /v1/notifications/run``: the instant the sending pass runs as of (RFC 3339)."""

    as_of = fields.AwareDateTime(required=True, format="iso")


class RunAnswer(Schema):
    """What one sending pass did."""

    as_of = fields.String()
    email = fields.Dict(keys=fields.String(), values=fields.Integer())
    webhook = fields.Dict(keys=fields.String(), values=fields.Integer())


class WebhookSchema(Schema):
    """``POST /v1/webhooks``."""

    url = fields.Url(required=True, require_tld=False, schemes={"http", "https"},
                     validate=validate.Length(max=2000))
    event_types = fields.List(fields.String(validate=validate.OneOf(webhooks.EVENT_TYPES)), required=True,
                              validate=validate.Length(min=1, max=len(webhooks.EVENT_TYPES)))
    secret = fields.String(validate=validate.Length(min=16, max=200))

    @validates("event_types")
    def _distinct(self, value: list[str], **_: object) -> None:
        if len(set(value)) != len(value):
            raise ValidationError("Each event type once.")


class WebhookAnswer(Schema):
    """A subscription as its council sees it; ``secret`` only in the answer that generated it."""

    id = fields.String(attribute="_id")
    url = fields.String()
    event_types = fields.List(fields.String())
    state = fields.String()
    created_at = fields.String()
    secret = fields.String()


class DeliveryQuerySchema(Schema):
    """``GET /v1/webhooks/{id}/deliveries`` paging."""

    limit = limit_field(maximum=MAX_PAGE)
    after = after_field()


class DeliverySchema(Schema):
    """One delivery of a subscription's log."""

    delivery_id = fields.String(attribute="_id")
    event_id = fields.String()
    event_type = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    error = fields.String()
    last_status_code = fields.Integer()
    created_at = fields.String()
    updated_at = fields.String()
    delivered_at = fields.String()
    not_before = fields.String()


class ConsentSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    surveys = fields.Boolean(load_default=False)
    research = fields.Boolean(load_default=False)
    contact = fields.Boolean(load_default=False)


class ContactSchema(Schema):
    """The answer of ``intake.get_contact`` (docs/events.md, RPC); a missing consent means none."""

    class Meta:
        unknown = EXCLUDE

    participant_id = fields.String(required=True)
    given_name = fields.String(required=True)
    family_name = fields.String(load_default="")
    email = fields.String(required=True, validate=validate.Length(min=3))
    preferred_language = fields.String(load_default="en")
    consent = fields.Nested(ConsentSchema, load_default=dict)


class NotificationQuerySchema(Schema):
    """``GET /v1/notifications`` query: filters and paging."""

    participant_id = fields.String(validate=validate.Length(min=1, max=100))
    status = fields.String(validate=validate.OneOf(STORED_STATUSES))
    limit = limit_field(maximum=MAX_PAGE)
    after = after_field()


class NotificationSchema(Schema):
    """One entry of the delivery log as callers see it: delivery facts and ids, no address or name."""

    notification_id = fields.String(attribute="_id")
    channel = fields.String()
    template = fields.String()
    participant_id = fields.String()
    invitation_id = fields.String()
    attempt = fields.Integer()
    wave = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    error = fields.String()
    lang = fields.String()
    created_at = fields.String()
    updated_at = fields.String()
    sent_at = fields.String()
    not_before = fields.String()

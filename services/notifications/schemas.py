"""The notifications service's marshmallow schemas: what crosses its boundaries, checked on the way.

The answer schemas describe what the service sends, for its OpenAPI document (``@api(...,
answer=...)``); the log's item schemas also name the stored fields a page reads (``projection``).
A field is ``required`` when it is always there, and a schema refuses fields it does not name;
tests/integration/test_notifications_openapi.py checks every answer against them.
"""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates

from services.common.fields import IsoDate
from services.common.paging import PageAnswer, after_field, limit_field
from services.notifications import webhooks
from services.notifications.rules import STORED_STATUSES

WAVES = ("baseline", "post", "fu3", "fu12")
MAX_PAGE = 200  # entries of a delivery log a page


def projection(schema: type[Schema]) -> dict[str, int]:
    """The stored fields ``schema`` shows: the projection that reads what it dumps."""
    return {each.attribute or name: 1 for name, each in schema().fields.items()}


class _EventData(Schema):
    class Meta:
        unknown = EXCLUDE  # data grows additively; fields we do not use are not our business


class InvitationDueSchema(_EventData):
    """``invitation.due`` data from surveys (EVENTS.md, and docs/events.md for the additive fields)."""

    invitation_id = fields.String(required=True, validate=validate.Length(min=1))
    participant_id = fields.String(required=True, validate=validate.Length(min=1))
    wave = fields.String(required=True, validate=validate.OneOf(WAVES))
    link = fields.Url(required=True, require_tld=False)
    attempt = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    closes_at = fields.String(required=True, validate=validate.Length(min=1))
    cohort_id = fields.String(load_default=None)
    instrument_key = fields.String(load_default=None)


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
    date = IsoDate(required=True)
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

    as_of = fields.String(required=True)
    email = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    webhook = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


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

    id = fields.String(attribute="_id", required=True)
    url = fields.String(required=True)
    event_types = fields.List(fields.String(), required=True)
    state = fields.String(required=True)
    created_at = fields.String(required=True)
    secret = fields.String()


class ListedWebhook(WebhookAnswer):
    """A subscription as listed: never its secret."""

    class Meta:
        exclude = ("secret",)


class WebhooksAnswer(PageAnswer):
    """``GET /v1/webhooks``: every subscription of the council (one page)."""

    items = fields.List(fields.Nested(ListedWebhook), required=True)


class DeliveryQuerySchema(Schema):
    """``GET /v1/webhooks/{id}/deliveries`` paging."""

    limit = limit_field(maximum=MAX_PAGE)
    after = after_field()


class DeliverySchema(Schema):
    """One delivery of a subscription's log."""

    delivery_id = fields.String(attribute="_id", required=True)
    event_id = fields.String(required=True)
    event_type = fields.String(required=True)
    status = fields.String(required=True)
    attempts = fields.Integer(required=True)
    error = fields.String(required=True)
    last_status_code = fields.Integer(required=True)
    created_at = fields.String(required=True)
    updated_at = fields.String(required=True)
    delivered_at = fields.String(required=True)  # "" until delivered
    not_before = fields.String(required=True)


class DeliveriesAnswer(PageAnswer):
    """``GET /v1/webhooks/{id}/deliveries``: one page of the log."""

    items = fields.List(fields.Nested(DeliverySchema), required=True)


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

    notification_id = fields.String(attribute="_id", required=True)
    channel = fields.String(required=True)
    template = fields.String(required=True)
    participant_id = fields.String(required=True)
    invitation_id = fields.String(required=True)  # "" for a mail of no invitation
    attempt = fields.Integer(required=True)
    wave = fields.String(required=True)
    status = fields.String(required=True)
    attempts = fields.Integer(required=True)
    error = fields.String(required=True)
    lang = fields.String(required=True)  # "" until claimed
    created_at = fields.String(required=True)
    updated_at = fields.String(required=True)
    sent_at = fields.String()  # once sent
    not_before = fields.String(required=True)


class NotificationsAnswer(PageAnswer):
    """``GET /v1/notifications``: one page of the delivery log."""

    items = fields.List(fields.Nested(NotificationSchema), required=True)


class OneClickSchema(Schema):
    """``POST /u/{token}``: what the page's button and a mail client's one-click POST send (RFC 8058)."""

    one_click = fields.String(data_key="List-Unsubscribe", validate=validate.Equal("One-Click"))

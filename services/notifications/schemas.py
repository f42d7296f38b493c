"""The notifications service's marshmallow schemas: what crosses its boundaries, checked on the way."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from services.notifications.rules import STORED_STATUSES

WAVES = ("baseline", "post", "fu3", "fu12")


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
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    after = fields.String(validate=validate.Length(min=1, max=100))


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

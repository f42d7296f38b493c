"""The CloudEvents 1.0 envelope every event travels in (DESIGN.md, Events).

Publishing goes only through ``new_event``; consuming only through ``parse_event``, so an event
that does not fit the envelope never reaches domain code.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.common.clock import stamp

EVENT_TYPE_RE = r"^[a-z][a-z_]*\.[a-z][a-z_]*$"
# The durable topic exchange of outcome events for other systems, routing key `<tenant>.<type>`
# (DESIGN.md, Events). Here, in the light envelope module, so that a subscriber need not import nameko.
OUTCOMES_EXCHANGE = "iec.outcomes"


class CloudEventSchema(Schema):
    """CloudEvents 1.0 structured JSON, with our required extensions (``tenantid``)."""

    specversion = fields.String(required=True, validate=validate.Equal("1.0"))
    id = fields.UUID(required=True)
    source = fields.String(required=True, validate=validate.Regexp(r"^/services/[a-z]+$"))
    type = fields.String(required=True, validate=validate.Regexp(EVENT_TYPE_RE))
    time = fields.AwareDateTime(required=True, format="iso")
    subject = fields.String(required=True, allow_none=True)
    tenantid = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9-]{1,30}$"))
    dataschema = fields.String(required=True, validate=validate.Regexp(r"^iec:[a-z_.]+:v[0-9]+$"))
    datacontenttype = fields.String(load_default="application/json")
    data = fields.Dict(required=True)

    @validates_schema
    def _schema_names_type(self, event: dict, **_: object) -> None:
        expected_prefix = f"iec:{event.get('type')}:v"
        if not str(event.get("dataschema", "")).startswith(expected_prefix):
            raise ValidationError(f"must be {expected_prefix}<N>", "dataschema")


_SCHEMA = CloudEventSchema()


def new_event(service: str, event_type: str, tenant_id: str, data: dict, *,
              subject: str | None = None, version: int = 1, at: datetime | None = None) -> dict:
    """Build a validated envelope for ``event_type`` on behalf of ``service``."""
    event = {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": f"/services/{service}",
        "type": event_type,
        "time": stamp(at),
        "subject": subject,
        "tenantid": tenant_id,
        "dataschema": f"iec:{event_type}:v{version}",
        "datacontenttype": "application/json",
        "data": data,
    }
    errors = _SCHEMA.validate(event)
    if errors:
        raise ValidationError(errors)
    return event


def parse_event(body: object) -> dict:
    """Validate a received envelope; returns it as received (JSON types). Raises ValidationError."""
    if not isinstance(body, dict):
        raise ValidationError("an event must be a JSON object")
    errors = _SCHEMA.validate(body)
    if errors:
        raise ValidationError(errors)
    return body

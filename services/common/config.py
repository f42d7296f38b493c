"""Service settings, read from the environment and validated once at start.

nameko's own keys (``AMQP_URI``, ``WEB_SERVER_ADDRESS``) live in each service's ``config.yaml``
with environment substitution; everything of ours is read here so that a bad value stops the
service at start with a message naming the variable, not at the first request.
"""
from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from marshmallow import Schema, ValidationError, fields, validate

from services.common.clock import parse_daily_hours

DEFAULT_MONGO_URI = "mongodb://127.0.0.1:27017/?directConnection=true"
DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"
# The broker's own limit on deliveries of one message, for a process that dies on every delivery (it
# never reaches our explicit dead-lettering). A constant, not a setting: queue arguments cannot change
# once a queue exists, so a different value would stop the next deployment from declaring its queues
# (PRECONDITION_FAILED). EVENT_DELIVERY_LIMIT, our handlers' retry count, stays below it.
BROKER_DELIVERY_LIMIT = 20
MASTER_KEY_VARIABLE = "IEC_MASTER_KEY"
MASTER_KEY_BYTES = 32
HOW_TO_MAKE_A_MASTER_KEY = ('make one with: python -c "import base64, os; '
                            'print(base64.b64encode(os.urandom(32)).decode())"')


class ConfigError(RuntimeError):
    """Raised when the environment does not describe a runnable service."""


class _MasterKey(fields.Field):
    """The base64 of 32 bytes (surrounding white space ignored), loaded as the bytes."""

    def _deserialize(self, value, attr, data, **kwargs) -> bytes:
        try:
            key = base64.b64decode(str(value).strip(), validate=True)
        except binascii.Error:
            key = b""
        if len(key) != MASTER_KEY_BYTES:
            # a whole sentence naming the variable (see load_settings)
            raise ValidationError(f"{MASTER_KEY_VARIABLE} must be the base64 of {MASTER_KEY_BYTES} bytes; "
                                  f"{HOW_TO_MAKE_A_MASTER_KEY}")
        return key


def _daily_hours(value: str) -> None:
    """Sending hours as the notifications service reads them (``clock.parse_daily_hours``)."""
    try:
        parse_daily_hours(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


class _EnvSchema(Schema):
    MONGO_URI = fields.String(load_default=DEFAULT_MONGO_URI,
                              validate=validate.Regexp(r"^mongodb(\+srv)?://"))
    SERVED_TENANTS = fields.String(load_default="*",
                                   validate=validate.Regexp(r"^(\*|[a-z][a-z0-9-]{1,30}(,[a-z][a-z0-9-]{1,30})*)$"))
    SMTP_HOST = fields.String(load_default="127.0.0.1")
    SMTP_PORT = fields.Integer(load_default=1025, validate=validate.Range(1, 65535))
    SMTP_STARTTLS = fields.Boolean(load_default=False)
    SMTP_USERNAME = fields.String(load_default=None, allow_none=True)
    SMTP_PASSWORD = fields.String(load_default=None, allow_none=True)
    SMTP_FROM = fields.Email(load_default="no-reply@iec.example.org")
    PUBLIC_BASE_URL = fields.Url(load_default="http://127.0.0.1:8002", require_tld=False)
    SCHEDULER_INTERVAL_SECONDS = fields.Float(load_default=60.0, validate=validate.Range(min=0.1))
    OUTBOX_POLL_SECONDS = fields.Float(load_default=0.5, validate=validate.Range(min=0.01))
    OUTBOX_SWEEP_SECONDS = fields.Float(load_default=5.0, validate=validate.Range(min=0.1))
    EVENT_DELIVERY_LIMIT = fields.Integer(load_default=5,
                                          validate=validate.Range(1, BROKER_DELIVERY_LIMIT - 1))
    EVENT_RETRY_DELAY_SECONDS = fields.Float(load_default=0.2, validate=validate.Range(min=0))
    MAX_BODY_BYTES = fields.Integer(load_default=1_048_576, validate=validate.Range(min=1024))
    # intake: the key that wraps each council's data keys; optional here, required by intake (keys.py)
    IEC_MASTER_KEY = _MasterKey(load_default=None, allow_none=True)
    # reporting: outcome-event subscribers (RabbitMQ users made through the management API)
    RABBITMQ_MANAGEMENT_URL = fields.Url(load_default="http://guest:guest@127.0.0.1:15672", require_tld=False)
    PUBLIC_AMQP_URL = fields.String(load_default="amqp://127.0.0.1:5672/",
                                    validate=validate.Regexp(r"^amqps?://"))
    REPORTING_PUBLIC_URL = fields.Url(load_default="http://127.0.0.1:8003", require_tld=False)
    # notifications: the mail queue and webhooks
    NOTIFICATIONS_SENDING_HOURS = fields.String(load_default="08:00-20:00", validate=_daily_hours)
    NOTIFICATIONS_PER_MINUTE = fields.Integer(load_default=60, validate=validate.Range(min=1))
    NOTIFICATIONS_MAX_ATTEMPTS = fields.Integer(load_default=6, validate=validate.Range(1, 50))
    NOTIFICATIONS_RETRY_BASE_SECONDS = fields.Float(load_default=30.0, validate=validate.Range(min=0))
    NOTIFICATIONS_RETRY_CAP_SECONDS = fields.Float(load_default=3600.0, validate=validate.Range(min=0))
    NOTIFICATIONS_SEND_LEASE_SECONDS = fields.Float(load_default=120.0, validate=validate.Range(min=1))
    WEBHOOK_TIMEOUT_SECONDS = fields.Float(load_default=10.0, validate=validate.Range(min=0.1, max=120))
    NOTIFICATIONS_TEMPLATE_DIR = fields.String(load_default=None, allow_none=True)
    NOTIFICATIONS_PUBLIC_URL = fields.Url(load_default="http://127.0.0.1:8004", require_tld=False)


@dataclass(frozen=True)
class Settings:
    """Our part of a service's configuration (see ``docs/configuration.md``)."""

    mongo_uri: str
    served_tenants: str
    smtp_host: str
    smtp_port: int
    smtp_starttls: bool
    smtp_username: str | None
    smtp_password: str | None
    smtp_from: str
    public_base_url: str
    scheduler_interval_seconds: float
    outbox_poll_seconds: float
    outbox_sweep_seconds: float
    event_delivery_limit: int
    event_retry_delay_seconds: float
    max_body_bytes: int
    rabbitmq_management_url: str
    public_amqp_url: str
    reporting_public_url: str
    notifications_sending_hours: str
    notifications_per_minute: int
    notifications_max_attempts: int
    notifications_retry_base_seconds: float
    notifications_retry_cap_seconds: float
    notifications_send_lease_seconds: float
    webhook_timeout_seconds: float
    notifications_template_dir: str | None = None
    notifications_public_url: str = "http://127.0.0.1:8004"
    iec_master_key: bytes | None = field(default=None, repr=False)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate our settings from ``environ`` (default: the process environment).

    Raises ``ConfigError`` naming every bad variable.
    """
    environ = os.environ if environ is None else environ
    known = {key: environ[key] for key in _EnvSchema().fields if environ.get(key, "") != ""}
    try:
        loaded = _EnvSchema().load(known)
    except ValidationError as exc:
        problems = "; ".join(_problem(key, msgs) for key, msgs in sorted(exc.messages.items()))
        raise ConfigError(f"invalid configuration: {problems}") from None
    return Settings(**{key.lower(): value for key, value in loaded.items()})


def _problem(key: str, messages: list[str]) -> str:
    text = " ".join(messages)
    return text if text.startswith(key) else f"{key}: {text}"

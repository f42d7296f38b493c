"""The notifications service's nameko dependency beyond the kernel's: the post room.

``PostRoom`` hands a worker a ``Post``: the SMTP server and sender, the sending rules from the
settings (hours, rate, attempts, backoff, lease), the council's templates, and where unsubscribe
links point. The council itself (name, time zone, languages, reply-to) is the kernel's
``services.common.council.Council``.
"""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path
from typing import Any

from nameko.extensions import DependencyProvider

from services.common.config import Settings
from services.common.council import CouncilView
from services.common.runtime import Runtime
from services.notifications import mail, rendering
from services.notifications.schedule import SendingHours


class Post:
    """What a worker needs to send a mail on behalf of its council (``service``: whose metrics count it)."""

    def __init__(self, settings: Settings, public_url: str, tenant_id: str | None, amqp_uri: str,
                 service: str):
        self._settings, self.public_url = settings, public_url.rstrip("/")
        self.tenant_id, self.amqp_uri, self.service = tenant_id, amqp_uri, service
        self.webhook_timeout = settings.webhook_timeout_seconds
        self.sender = settings.smtp_from
        self.hours = SendingHours.parse(settings.notifications_sending_hours)
        self.per_minute = settings.notifications_per_minute
        self.max_attempts = settings.notifications_max_attempts
        self.retry_base = settings.notifications_retry_base_seconds
        self.retry_cap = settings.notifications_retry_cap_seconds
        self.lease_seconds = settings.notifications_send_lease_seconds
        self._template_dir = settings.notifications_template_dir

    @property
    def domain(self) -> str:
        """The domain of the sender address, for Message-IDs."""
        return self.sender.rpartition("@")[2]

    def render(self, template: str, lang: str, context: dict[str, Any],
               council: CouncilView) -> rendering.RenderedMail:
        """Render in the participant's language, with the council's own templates first if it has any."""
        overrides = None
        if self._template_dir and self.tenant_id:
            overrides = Path(self._template_dir) / self.tenant_id
        return rendering.render(template, lang, context, tenant_languages=council.languages,
                                overrides=overrides)

    def unsubscribe_url(self, token: str) -> str:
        """The public address of the unsubscribe page of ``token``."""
        return f"{self.public_url}/u/{token}"

    def send(self, message: EmailMessage) -> None:
        """Hand ``message`` to the SMTP server; raises ``mail.DeliveryError``."""
        settings = self._settings
        mail.send(message, mail.SmtpSettings(host=settings.smtp_host, port=settings.smtp_port,
                                             starttls=settings.smtp_starttls, username=settings.smtp_username,
                                             password=settings.smtp_password))


class PostRoom(DependencyProvider):
    """Gives each worker a ``Post`` for the tenant in its context data."""

    runtime = Runtime()

    def get_dependency(self, worker_ctx) -> Post:
        settings = self.runtime.settings
        return Post(settings, settings.notifications_public_url, worker_ctx.context_data.get("tenant_id"),
                    self.runtime.amqp_uri, self.runtime.service_name)

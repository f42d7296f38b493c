"""Where reporting's outcomes leave the service: the broker accounts of subscribers, and public URLs.

`Outlets` is the nameko dependency; a worker gets an `Outlet` built from the settings
(`RABBITMQ_MANAGEMENT_URL`, `PUBLIC_AMQP_URL`, `REPORTING_PUBLIC_URL`) and the container's broker
(`AMQP_URI`: subscribers are made on the vhost where the outbox publishes `iec.outcomes`).
"""

from __future__ import annotations

from nameko.extensions import DependencyProvider

from services.common.config import Settings
from services.common.rabbitmq import ManagementApi
from services.common.runtime import Runtime
from services.reporting import subscribers


class Outlet:
    """What a worker needs to hand outcomes to other systems; `management` is the broker's management
    HTTP API."""

    def __init__(self, settings: Settings, amqp_uri: str, management: ManagementApi):
        self._settings, self.management = settings, management
        self.vhost = subscribers.vhost_of(amqp_uri)

    def subscriber_url(self, username: str, password: str) -> str:
        """The AMQP URL a subscriber connects with."""
        return subscribers.subscriber_url(self._settings.public_amqp_url, self.vhost, username, password)

    def report_url(self, report_id: str) -> str:
        """Where a published report is read."""
        return f"{self._settings.reporting_public_url.rstrip('/')}/v1/reports/{report_id}"


class Outlets(DependencyProvider):
    """Gives each worker an `Outlet`; the management API client is made once, at the first worker."""

    runtime = Runtime()
    _management: ManagementApi | None = None

    def get_dependency(self, worker_ctx) -> Outlet:
        if self._management is None:
            self._management = ManagementApi(self.runtime.settings.rabbitmq_management_url)
        return Outlet(self.runtime.settings, self.runtime.amqp_uri, self._management)

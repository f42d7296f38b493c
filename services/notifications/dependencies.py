"""The notifications service's nameko dependencies beyond the kernel's: the post room and a per-key lock.

``PostRoom`` hands a worker a ``Post``: the SMTP server and sender from the settings, the councils
of the tenant registry, and where unsubscribe links point. ``OneAtATime`` serialises the workers
of one container on a key: copies of the same event (see ``delivery``), and the writes to one
tenant's database (see ``storage``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from email.message import EmailMessage

from eventlet.semaphore import Semaphore
from nameko.extensions import DependencyProvider

from services.common.config import Settings
from services.common.runtime import Runtime
from services.common.tenancy import TenantRegistry
from services.notifications import mail
from services.notifications.rules import Council


class Post:
    """What a worker needs to send a mail on behalf of a council."""

    def __init__(self, settings: Settings, registry: TenantRegistry, public_url: str):
        self._settings, self._registry, self.public_url = settings, registry, public_url.rstrip("/")
        self.sender = settings.smtp_from
        self.delivery_limit = settings.event_delivery_limit

    @property
    def domain(self) -> str:
        """The domain of the sender address, for Message-IDs."""
        return self.sender.rpartition("@")[2]

    def council(self, tenant_id: str) -> Council | None:
        """The council registered as ``tenant_id``, or None."""
        entry = self._registry.get_tenant(tenant_id)
        if entry is None:
            return None
        return Council(name=entry["name"], timezone=entry.get("timezone") or "UTC",
                       languages=tuple(entry.get("languages") or ("en",)))

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
    """Gives each worker a ``Post``."""

    runtime = Runtime()

    def get_dependency(self, worker_ctx) -> Post:
        return Post(self.runtime.settings, self.runtime.registry, self._public_url())

    def _public_url(self) -> str:
        # A setting wins when the kernel has one; until then the service's own listening address,
        # which is right for local runs only (a deployment needs NOTIFICATIONS_PUBLIC_URL).
        configured = getattr(self.runtime.settings, "notifications_public_url", None)
        return configured or f"http://{self.container.config['WEB_SERVER_ADDRESS']}"


class OneAtATime(DependencyProvider):
    """``with self.one_at_a_time(key):`` lets one worker of this container at a time hold ``key``."""

    def setup(self) -> None:
        self._locks: dict[str, tuple[Semaphore, int]] = {}

    def get_dependency(self, worker_ctx) -> Callable[[str], AbstractContextManager[None]]:
        return self._hold

    @contextmanager
    def _hold(self, key: str) -> Iterator[None]:
        # Greenthreads switch only on I/O, so the bookkeeping below needs no lock of its own.
        lock, users = self._locks.get(key, (Semaphore(1), 0))
        self._locks[key] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

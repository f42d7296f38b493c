"""``Council``: the worker's council as the platform registry describes it, read at first use.

Every service that speaks for a council reads the same entry the same way: its name (pages,
mails, report titles), its IANA time zone (when a day starts there), its languages, and the
address replies go to. A tenant served but not in the registry is a fault, not a nameless
council: reading any of these raises ``LookupError``; ``registered`` asks without raising.
"""
from __future__ import annotations

from functools import cached_property

from nameko.extensions import DependencyProvider

from services.common.runtime import Runtime
from services.common.tenancy import DEFAULT_TIMEZONE


class CouncilView:
    """The registry entry of ``tenant_id``, read once, at first use."""

    def __init__(self, runtime: Runtime, tenant_id: str | None):
        self._runtime, self.tenant_id = runtime, tenant_id

    @cached_property
    def _found(self) -> dict | None:
        return self._runtime.registry.get_tenant(self.tenant_id) if self.tenant_id else None

    @property
    def _entry(self) -> dict:
        if self._found is None:
            raise LookupError(f"tenant {self.tenant_id!r} is not in the registry")
        return self._found

    @property
    def registered(self) -> bool:
        """Whether the registry has this council."""
        return self._found is not None

    @property
    def name(self) -> str:
        """The council's name, as participants and readers see it."""
        return self._entry["name"]

    @property
    def timezone(self) -> str:
        """The council's IANA time zone."""
        return self._entry.get("timezone") or DEFAULT_TIMEZONE

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages the council writes in (mails fall back to the first)."""
        return tuple(self._entry.get("languages") or ("en",))

    @property
    def reply_to(self) -> str:
        """Where replies to the council's mail go: its own address if registered, else ``SMTP_FROM``."""
        return self._entry.get("reply_to") or self._runtime.settings.smtp_from


class Council(DependencyProvider):
    """Gives each worker the ``CouncilView`` (``view``) of the tenant in its context data."""

    runtime = Runtime()
    view = CouncilView

    def get_dependency(self, worker_ctx) -> CouncilView:
        return self.view(self.runtime, worker_ctx.context_data.get("tenant_id"))

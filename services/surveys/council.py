"""``Council``: what a worker needs to know about its tenant from the platform registry.

The council's name heads the respondent's pages; its time zone says when a day starts (a wave
due "on the day the cohort ended" is due at midnight there); the public base URL makes links.
"""
from __future__ import annotations

from functools import cached_property

from nameko.extensions import DependencyProvider

from services.common.runtime import Runtime

DEFAULT_TIMEZONE = "America/Toronto"


class CouncilView:
    """The current tenant's registry entry, read at first use."""

    def __init__(self, runtime: Runtime, tenant_id: str | None):
        self._runtime, self.tenant_id = runtime, tenant_id

    @cached_property
    def _entry(self) -> dict:
        return (self._runtime.registry.get_tenant(self.tenant_id) if self.tenant_id else None) or {}

    @property
    def name(self) -> str:
        """The council's name, as respondents see it."""
        return self._entry.get("name", "")

    @property
    def timezone(self) -> str:
        """The council's IANA time zone."""
        return self._entry.get("timezone") or DEFAULT_TIMEZONE

    @property
    def base_url(self) -> str:
        """Where respondents reach this service (``PUBLIC_BASE_URL``)."""
        return self._runtime.settings.public_base_url


class Council(DependencyProvider):
    """Gives each worker the ``CouncilView`` of its tenant."""

    runtime = Runtime()

    def get_dependency(self, worker_ctx) -> CouncilView:
        return CouncilView(self.runtime, worker_ctx.context_data.get("tenant_id"))

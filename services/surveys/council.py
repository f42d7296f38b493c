"""``Council``: the kernel's view of the worker's council, and where respondents reach this service.

The council's name heads the respondent's pages; its time zone says when a day starts (a wave
due "on the day the cohort ended" is due at midnight there); the public base URL makes links.
"""
from __future__ import annotations

from services.common import council


class CouncilView(council.CouncilView):
    """The current tenant's registry entry (``services.common.council``), and ``base_url``."""

    @property
    def base_url(self) -> str:
        """Where respondents reach this service (``PUBLIC_BASE_URL``)."""
        return self._runtime.settings.public_base_url


class Council(council.Council):
    """Gives each worker the ``CouncilView`` of its tenant."""

    view = CouncilView

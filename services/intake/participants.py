"""Participants: who they are in a program, how to reach them, and what they consented to. No I/O."""
from __future__ import annotations

from collections.abc import Mapping

ROLES = ("newcomer", "manager", "hr_leader", "senior_leader", "trainer", "mentor", "mentee")
LANGUAGES = ("en", "fr")
NOC_PATTERN = r"^[0-9]{5}$"  # National Occupational Classification 2021: five digits
MAX_YEARS_IN_CANADA = 80
CONSENT_SCOPES = ("surveys", "research", "contact")


def email_key(email: str) -> str:
    """The form of an email that uniqueness is decided on: mail providers ignore case in practice."""
    return email.strip().lower()


def consent_choices(consent: Mapping) -> dict[str, bool]:
    """Only the yes/no choices of a consent record (no version, no time)."""
    return {scope: bool(consent[scope]) for scope in CONSENT_SCOPES}


def withdraw(consent: Mapping, scope: str, at: str) -> dict:
    """``consent`` with ``scope`` withdrawn at ``at``; ValueError for a scope we do not know."""
    if scope not in CONSENT_SCOPES:
        raise ValueError(f"unknown consent scope {scope!r}")
    return {**consent, scope: False, "updated_at": at}

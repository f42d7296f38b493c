"""The surveys service's projection of participants: role, language and consent, from intake's events.

``participant.registered`` and ``consent.changed`` travel on different queues, so either may come
first; consent follows the latest event time, whatever the order of arrival. This module does no I/O.
"""
from __future__ import annotations

CONSENT_SCOPES = ("surveys", "research", "contact")


ERASED = "erased"


def erased(participant_id: str, at: str) -> dict:
    """The tombstone of an erased participant: the pseudonymous id, nothing else about them."""
    return {"_id": participant_id, "state": ERASED, "registered": False, "erased_at": at}


def after_registration(current: dict | None, data: dict, at: str) -> dict:
    """The projection once ``participant.registered`` (at event time ``at``) is applied."""
    if (current or {}).get("state") == ERASED:
        return current  # a late event never brings an erased participant back
    doc = dict(current or {"_id": data["participant_id"]})
    doc.update({"role": data["role"], "preferred_language": data["preferred_language"], "registered": True})
    return _with_consent(doc, data["consent"], at)


def after_consent_change(current: dict | None, data: dict, at: str) -> dict:
    """The projection once ``consent.changed`` (at event time ``at``) is applied.

    A participant we have not seen registered yet is kept as not ``registered``: the due-work
    pass waits for their registration before sending anything.
    """
    if (current or {}).get("state") == ERASED:
        return current
    doc = dict(current or {"_id": data["participant_id"], "registered": False})
    return _with_consent(doc, data, at)


def _with_consent(doc: dict, consent: dict, at: str) -> dict:
    # Stamps compare as text; an older word on consent never overrides a newer one.
    if doc.get("consent_at", "") > at:
        return doc
    return {**doc, "consent": {scope: bool(consent.get(scope)) for scope in CONSENT_SCOPES}, "consent_at": at}


def language_of(participant: dict | None) -> str | None:
    """The participant's preferred language, if we know it."""
    return (participant or {}).get("preferred_language")

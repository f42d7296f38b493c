"""Webhook rules, with no I/O: what may be subscribed, how a delivery is signed, when it is retried.

A delivery is the event's CloudEvents envelope as JSON, the same bytes on every attempt, signed
``X-IEC-Signature: sha256=<hex HMAC-SHA256 of the body under the subscription's secret>``.
Receivers deduplicate by the envelope's ``id`` (a delivery is at least once: see ``webhook_sending``).

An attempt's outcome: a 2xx answer delivers; a timeout, a connection error, 408, 429 or a 5xx is
retried after an exponential backoff with full jitter, up to ``NOTIFICATIONS_MAX_ATTEMPTS``, then
the delivery is dead-lettered with the last error; any other answer (3xx: redirects are not
followed; other 4xx: the receiver refuses it) fails it at once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from typing import Any

from services.notifications import leases

# What a council may subscribe to: the events this service consumes, and its own consent.withdrawn.
# Never notification.*: a delivery announces itself with one, which would be delivered in turn.
# Never invitation.due: its link is a participant's personal key to their survey.
EVENT_TYPES = ("cohort.opened", "participant.enrolled", "participant.withdrawn", "cohort.completed",
               "mentorship.matched", "mentorship.ended", "response.submitted", "consent.withdrawn")
SIGNATURE_HEADER = "X-IEC-Signature"
CONTENT_TYPE = "application/cloudevents+json"

DELIVERED, RETRY, REFUSED = "delivered", "retry", "refused"
QUEUED, SENDING, DEAD, FAILED = leases.QUEUED, leases.SENDING, "dead_lettered", "failed"


def new_secret() -> str:
    """A signing secret for a subscription that did not bring its own."""
    return secrets.token_urlsafe(32)


def body_of(event: Mapping[str, Any]) -> bytes:
    """The bytes every attempt of a delivery sends."""
    return json.dumps(event, separators=(",", ":"), sort_keys=True).encode()


def signature(secret: str, body: bytes) -> str:
    """The value of ``X-IEC-Signature``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def headers(secret: str, body: bytes, event_type: str, delivery_id: str) -> dict[str, str]:
    """The request headers of a delivery."""
    return {"Content-Type": CONTENT_TYPE, SIGNATURE_HEADER: signature(secret, body),
            "X-IEC-Event-Type": event_type, "X-IEC-Delivery": delivery_id}


def outcome(status_code: int | None) -> str:
    """``DELIVERED``, ``RETRY`` or ``REFUSED`` for an HTTP answer (None: no answer, a timeout or a
    connection error)."""
    if status_code is None or status_code in (408, 429) or status_code >= 500:
        return RETRY
    return DELIVERED if 200 <= status_code < 300 else REFUSED


def new_subscription(subscription_id: str, url: str, event_types: list[str], secret: str, at: str) -> dict:
    """A stored subscription (the secret is kept to sign with; it is never shown again)."""
    return {"_id": subscription_id, "url": url, "event_types": sorted(set(event_types)), "secret": secret,
            "state": "active", "created_at": at}


def new_delivery(delivery_id: str, subscription: Mapping[str, Any], event: Mapping[str, Any],
                 at: str) -> dict:
    """A queued delivery of ``event`` to ``subscription``."""
    return {"_id": delivery_id, "subscription_id": subscription["_id"], "event_id": event["id"],
            "event_type": event["type"], "body": body_of(event).decode(), "status": QUEUED, "attempts": 0,
            "error": "", "not_before": at, "lease_until": "", "claim": "", "dead_letter": "none",
            "created_at": at, "updated_at": at, "delivered_at": "", "last_status_code": 0}


def announcement(delivery: Mapping[str, Any]) -> leases.Announcement:
    """``notification.sent`` / ``notification.failed`` for a delivery attempt (channel ``webhook``)."""
    ids = {"notification_id": delivery["_id"], "channel": "webhook", "template": delivery["event_type"],
           "participant_id": None, "invitation_id": None, "subscription_id": delivery["subscription_id"],
           "event_id": delivery["event_id"]}
    return leases.announcement(delivery, ids, delivered=delivery["status"] == DELIVERED)

"""The rules of a notification, with no I/O: which mail, who may get it, and how each attempt ends.

A notification is one message caused by one thing: it is identified by (template, recipient,
cause), a unique index. The cause is the id of the event that asked for it, except a session
reminder, whose cause is the session itself (``<cohort id>#<session index>``), because either of
two events (``cohort.opened``, ``participant.enrolled``) may be the one that completes it.

Every email waits in the queue (the ``notifications`` collection) until a sending pass takes it.
Its ``status`` moves

    queued -> sending -> sent                     the SMTP server took the mail
                      -> queued (later)           a transient refusal, attempts left (backoff)
                      -> failed                   a permanent refusal, or no attempts left
    queued -> skipped                             no consent at send time: nothing is sent
    queued -> failed                              intake knows no such participant
    queued -> cancelled                           erased, withdrawn, or too late (the session passed)
    sending, lease expired -> uncertain           a worker died mid-send: never resent

``sent``, ``failed`` and ``uncertain`` are announced with ``notification.sent`` /
``notification.failed`` (``final``); a retry is announced with a non-final ``notification.failed``
(``leases.announcement``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from services.notifications import leases

if TYPE_CHECKING:
    from services.common.council import CouncilView

EMAIL = "email"
QUEUED, SENDING = leases.QUEUED, leases.SENDING
SENT, SKIPPED, FAILED, UNCERTAIN, CANCELLED = "sent", "skipped", "failed", "uncertain", "cancelled"
STORED_STATUSES = (QUEUED, SENDING, SENT, SKIPPED, FAILED, UNCERTAIN, CANCELLED)

INVITATION, REMINDER = "survey_invitation", "survey_reminder"
MENTOR_MATCH, SESSION_REMINDER, THANK_YOU = "mentor_match", "session_reminder", "thank_you"
# Survey mail needs the participant's consent to surveys as well as to being contacted.
SURVEY_TEMPLATES = frozenset({INVITATION, REMINDER, THANK_YOU})

UNKNOWN_PARTICIPANT = "unknown participant"
INTERRUPTED = "interrupted while sending; not resent to avoid a duplicate"
ERASED, WITHDRAWN = "participant erased", "withdrawn from the cohort"
TOO_LATE = "too late: the session has passed"

_ADDRESS = re.compile(r"<?[^\s<>@]+@[^\s<>@]+>?")


def template_for(attempt: int) -> str:
    """The first mail of an invitation is the invitation; every later one is a reminder."""
    return INVITATION if attempt == 0 else REMINDER


def new_notification(notification_id: str, template: str, participant_id: str, cause: str, at: str, *,
                     context: Mapping[str, Any] | None = None, not_before: str = "", expires_at: str = "",
                     invitation_id: str = "", attempt: int = 0) -> dict:
    """A queued email: ids and template values only (contact data is fetched when it is sent)."""
    return {
        "_id": notification_id, "channel": EMAIL, "template": template, "participant_id": participant_id,
        "cause_event_id": cause, "invitation_id": invitation_id, "attempt": attempt,
        "wave": (context or {}).get("wave", ""), "context": dict(context or {}), "status": QUEUED,
        "attempts": 0, "error": "", "lang": "", "created_at": at, "updated_at": at,
        "not_before": not_before or at, "expires_at": expires_at, "lease_until": "", "claim": "",
    }


def may_mail(template: str, contact: Mapping[str, Any]) -> bool:
    """Consent to contact for every mail; survey mail also needs consent to surveys."""
    consent = contact.get("consent") or {}
    # bool(): a boolean may come back from storage as 1/0
    if not bool(consent.get("contact")):
        return False
    return template not in SURVEY_TEMPLATES or bool(consent.get("surveys"))


def mail_context(notification: Mapping[str, Any], contact: Mapping[str, Any], council: CouncilView,
                 unsubscribe_url: str, other: Mapping[str, Any] | None = None) -> dict:
    """The template context: the stored values, the recipient's name, the council, the link out."""
    context = {**notification["context"], "given_name": contact["given_name"],
               "family_name": contact.get("family_name") or "", "council_name": council.name,
               "timezone": council.timezone, "unsubscribe_url": unsubscribe_url,
               "attempt": notification["attempt"]}
    if other is not None:
        context["other"] = {"given_name": other["given_name"], "family_name": other.get("family_name") or "",
                            "email": other["email"]}
    return context


def other_party(notification: Mapping[str, Any]) -> str | None:
    """The participant a mail introduces (a mentor-match introduction names the other side)."""
    return notification["context"].get("other_id")


def full_name(contact: Mapping[str, Any]) -> str:
    """The name the To header shows."""
    return " ".join(part for part in (contact.get("given_name"), contact.get("family_name")) if part)


def gives_up(transient: bool, attempts: int, limit: int) -> bool:
    """Whether a refusal ends the notification: a permanent one at once, a transient one when
    ``NOTIFICATIONS_MAX_ATTEMPTS`` are used up."""
    return not transient or attempts >= limit


def redact(detail: str) -> str:
    """An SMTP reply without the addresses it may quote: the log and the events hold no emails."""
    return _ADDRESS.sub("<address>", detail)


def announcement(notification: Mapping[str, Any]) -> leases.Announcement | None:
    """(event type, data) announcing how an attempt ended (``queued``: a retry); None for skipped or
    cancelled, which no attempt ended."""
    if notification["status"] in (SKIPPED, CANCELLED):
        return None
    ids = {key: notification.get(key) for key in ("channel", "template", "participant_id", "invitation_id",
                                                   "attempt")}
    ids["notification_id"] = notification["_id"]
    return leases.announcement(notification, ids, delivered=notification["status"] == SENT)

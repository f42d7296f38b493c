"""The rules of a survey notification, with no I/O: which mail, to whom, and how each attempt ends.

A notification is one mail caused by one event: it is identified by (template, participant id,
cause event id). Its ``status`` moves

    new -> sending -> sent                      the SMTP server took the mail
                   -> pending -> sending ...    a transient refusal; the event is retried
                   -> failed                    a permanent refusal, or transient ones too many times
    new -> skipped                              no consent: nothing is sent
    new -> failed                               intake knows no such participant
    sending (found again) -> uncertain          a worker died mid-send: never resent

``new`` is never stored. The finished statuses are announced by an event (``announcement``),
except ``skipped``, which is an ordinary outcome of consent and not a delivery.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

EMAIL = "email"
NEW, PENDING, SENDING = "new", "pending", "sending"
SENT, SKIPPED, FAILED, UNCERTAIN = "sent", "skipped", "failed", "uncertain"
STORED_STATUSES = (PENDING, SENDING, SENT, SKIPPED, FAILED, UNCERTAIN)
FINISHED = frozenset({SENT, SKIPPED, FAILED, UNCERTAIN})

INVITATION, REMINDER = "survey_invitation", "survey_reminder"
UNKNOWN_PARTICIPANT = "unknown participant"
INTERRUPTED = "interrupted while sending; not resent to avoid a duplicate"

_ADDRESS = re.compile(r"<?[^\s<>@]+@[^\s<>@]+>?")


@dataclass(frozen=True)
class Council:
    """What a mail says about the council that sends it (from the tenant registry)."""

    name: str
    timezone: str
    languages: tuple[str, ...]


def template_for(attempt: int) -> str:
    """The first mail of an invitation is the invitation; every later one is a reminder."""
    return INVITATION if attempt == 0 else REMINDER


def new_notification(notification_id: str, template: str, due: Mapping[str, Any], cause_event_id: str,
                     at: str) -> dict:
    """A notification not stored yet, for the ``invitation.due`` data ``due``."""
    return {
        "_id": notification_id, "channel": EMAIL, "template": template,
        "participant_id": due["participant_id"], "cause_event_id": cause_event_id,
        "invitation_id": due["invitation_id"], "attempt": due["attempt"], "wave": due["wave"],
        "status": NEW, "attempts": 0, "error": "", "lang": "", "created_at": at,
    }


def may_mail(contact: Mapping[str, Any]) -> bool:
    """A survey mail needs consent to surveys and to being contacted: nothing is sent without both."""
    consent = contact.get("consent") or {}
    # bool(): a boolean may come back from storage as 1/0
    return bool(consent.get("surveys")) and bool(consent.get("contact"))


def mail_context(due: Mapping[str, Any], contact: Mapping[str, Any], council: Council,
                 unsubscribe_url: str) -> dict:
    """The template context of ``services.notifications.mail.render`` for a survey mail."""
    return {
        "given_name": contact["given_name"], "council_name": council.name, "wave": due["wave"],
        "link": due["link"], "closes_at": due["closes_at"], "timezone": council.timezone,
        "unsubscribe_url": unsubscribe_url, "attempt": due["attempt"],
    }


def full_name(contact: Mapping[str, Any]) -> str:
    """The name the To header shows."""
    return " ".join(part for part in (contact.get("given_name"), contact.get("family_name")) if part)


def gives_up(transient: bool, attempts: int, limit: int) -> bool:
    """Whether a refusal ends the notification: a permanent one at once, a transient one when the
    event's deliveries (``EVENT_DELIVERY_LIMIT``) are used up, so the log says ``failed`` rather
    than leaving the notification ``pending`` behind a dead letter."""
    return not transient or attempts >= limit


def redact(detail: str) -> str:
    """An SMTP reply without the addresses it may quote: the log and the events hold no emails."""
    return _ADDRESS.sub("<address>", detail)


def conclude(notification: dict, status: str, error: str = "", at: str = "") -> tuple[str, dict] | None:
    """Give ``notification`` its final ``status``; returns the event that announces it, if any."""
    notification.update(status=status, error=error, updated_at=at)
    if status == SENT:
        notification["sent_at"] = at
    return announcement(notification)


def announcement(notification: Mapping[str, Any]) -> tuple[str, dict] | None:
    """(event type, data) announcing a finished notification; None for a skipped one."""
    data = {key: notification[key] for key in ("channel", "template", "participant_id", "invitation_id",
                                               "attempt")}
    data["notification_id"] = notification["_id"]
    if notification["status"] == SENT:
        return "notification.sent", data
    if notification["status"] in (FAILED, UNCERTAIN):
        return "notification.failed", {**data, "error": notification["error"],
                                       "attempts": notification["attempts"], "final": True}
    return None

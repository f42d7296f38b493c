"""The sending pass over one council's mail queue, for an instant ``as_of``.

The timer runs it with the current time; ``POST /v1/notifications/run`` with any instant, so
tests and operators control time. One pass:

1. reconciles mails left ``sending`` past their lease (``queue``): ``uncertain``, never resent;
2. holds every mail outside the council's sending hours (``NOTIFICATIONS_SENDING_HOURS``, in the
   council's time zone from the tenant registry);
3. takes due mails oldest first until the council's rate window (``NOTIFICATIONS_PER_MINUTE``) is
   used up: for each, contact data and consent from intake by RPC now (never stored), render,
   claim (durable before sending), send, conclude.

A transient SMTP refusal re-queues the mail after an exponential backoff with full jitter; a
permanent one, or ``NOTIFICATIONS_MAX_ATTEMPTS`` transient ones, fail it for good.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from services.common.clock import stamp, stamp_after
from services.common.council import CouncilView
from services.common.metrics import NOTIFICATIONS
from services.common.tokens import new_public_token
from services.notifications import mail, rendering, rules, schedule
from services.notifications.dependencies import Post
from services.notifications.leases import ClaimLost
from services.notifications.queue import MailQueue, RateLimited
from services.notifications.schemas import ContactSchema
from services.notifications.storage import token_document

_BATCH = 50


class Intake(Protocol):
    """The part of intake's RPC interface we use (docs/events.md, RPC)."""

    def get_contact(self, participant_id: str) -> dict | None: ...


class Skip(Exception):
    """This mail ends without being sent: ``status`` and why."""

    def __init__(self, status: str, error: str = "") -> None:
        super().__init__(error)
        self.status, self.error = status, error


def run_mail_pass(as_of: datetime, *, queue: MailQueue, intake: Intake, post: Post,
                  council: CouncilView) -> Counter:
    """Send what is due at ``as_of``; returns counts by outcome (and ``held``). LookupError if the
    council is not in the tenant registry."""
    counts: Counter = Counter()
    for stuck in queue.expired_leases(stamp()):
        _conclude(queue, stuck, rules.UNCERTAIN, rules.INTERRUPTED, counts, post, expect=rules.SENDING)
    if not post.hours.allow(as_of, council.timezone):
        counts["held"] += queue.count_due(stamp(as_of))
        return counts
    seen: set[str] = set()
    try:
        while batch := [n for n in queue.due(stamp(as_of), _BATCH + len(seen)) if n["_id"] not in seen]:
            for notification in batch:
                seen.add(notification["_id"])
                _send_one(notification, as_of, queue=queue, intake=intake, post=post, council=council,
                          counts=counts)
    except RateLimited:
        counts["held"] += queue.count_due(stamp(as_of))
    return counts


def _send_one(notification: dict, as_of: datetime, *, queue: MailQueue, intake: Intake, post: Post,
              council: CouncilView, counts: Counter) -> None:
    try:
        message = _prepare(notification, as_of, intake, post, council)
    except Skip as skip:
        _conclude(queue, notification, skip.status, skip.error, counts, post)
        return
    token, message = message
    try:
        queue.claim(notification, lease_until=stamp_after(post.lease_seconds), claim=uuid.uuid4().hex,
                    window=schedule.rate_window(as_of), per_minute=post.per_minute, token_doc=token)
    except ClaimLost:
        return
    try:
        post.send(message)
    except mail.DeliveryError as refusal:
        _after_refusal(queue, notification, refusal, as_of, post, counts)
        return
    _conclude(queue, notification, rules.SENT, "", counts, post, expect=rules.SENDING)


def _prepare(notification: dict, as_of: datetime, intake: Intake, post: Post,
             council: CouncilView) -> tuple[dict, Any]:
    """Everything before the claim: still current? who, may we, what exactly. Raises ``Skip``."""
    if notification["expires_at"] and notification["expires_at"] <= stamp(as_of):
        raise Skip(rules.CANCELLED, rules.TOO_LATE)
    contact = _contact(intake, notification["participant_id"])
    if not rules.may_mail(notification["template"], contact):
        raise Skip(rules.SKIPPED)
    other_id = rules.other_party(notification)
    other = _contact(intake, other_id) if other_id else None
    token = new_public_token(post.tenant_id)
    url = post.unsubscribe_url(token)
    try:
        rendered = post.render(notification["template"], contact["preferred_language"],
                               rules.mail_context(notification, contact, council, url, other), council)
    except rendering.RenderError as exc:
        raise Skip(rules.FAILED, f"cannot render: {exc}") from None
    message = mail.compose(rendered, to_addr=contact["email"], to_name=rules.full_name(contact),
                           from_addr=post.sender, from_name=council.name, reply_to=council.reply_to,
                           unsubscribe_url=url, message_id_domain=post.domain,
                           notification_id=notification["_id"])
    return token_document(token, notification["participant_id"], notification["_id"], rendered.lang), message


def _contact(intake: Intake, participant_id: str) -> Mapping[str, Any]:
    raw = intake.get_contact(participant_id)
    if raw is None:
        raise Skip(rules.FAILED, rules.UNKNOWN_PARTICIPANT)
    return ContactSchema().load(raw)


def _after_refusal(queue: MailQueue, notification: dict, refusal: mail.DeliveryError, as_of: datetime,
                   post: Post, counts: Counter) -> None:
    error = rules.redact(refusal.detail)
    if rules.gives_up(refusal.transient, notification["attempts"], post.max_attempts):
        _conclude(queue, notification, rules.FAILED, error, counts, post, expect=rules.SENDING)
        return
    delay = schedule.backoff_seconds(notification["attempts"], post.retry_base, post.retry_cap)
    _conclude(queue, notification, rules.QUEUED, error, counts, post, expect=rules.SENDING,
              not_before=stamp(as_of + timedelta(seconds=delay)))


def _conclude(queue: MailQueue, notification: dict, status: str, error: str, counts: Counter, post: Post, *,
              expect: str = rules.QUEUED, not_before: str | None = None) -> None:
    try:
        queue.conclude(notification, status, error, expect=expect, not_before=not_before)
    except ClaimLost:
        return
    outcome = "retried" if status == rules.QUEUED else status
    counts[outcome] += 1
    NOTIFICATIONS.labels(post.service, rules.EMAIL, outcome).inc()

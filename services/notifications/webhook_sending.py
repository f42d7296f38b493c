"""The webhook part of the sending pass: deliver what is due, retry, dead-letter, for an instant ``as_of``.

Webhooks go to systems, not people: sending hours and the mail rate limit do not apply.
A delivery that used up ``NOTIFICATIONS_MAX_ATTEMPTS`` is dead-lettered: its status says so with
the last error, and a message goes to the kernel's dead-letter queue (``iec.dead-letters``) naming
this service's replay queue, so that ``iec dlq list`` shows it with the error and
``iec dlq replay <id>`` hands it back to ``on_webhook_replay``, which queues the delivery again.
The dead-letter message is published after the status commits; a crash between, or a broker
that cannot take it, leaves the delivery marked ``dead_letter: pending``, and a later pass publishes
it. A broker away never stops the pass: the mail part still runs.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from datetime import datetime, timedelta

import requests

from services.common import deadletter
from services.common.clock import stamp, stamp_after
from services.common.envelope import new_event
from services.common.events import queue_name
from services.common.metrics import NOTIFICATIONS
from services.notifications import schedule, webhooks
from services.notifications.dependencies import Post
from services.notifications.leases import ClaimLost
from services.notifications.webhook_store import Webhooks

REPLAY_EVENT, REPLAY_HANDLER = "webhook.redelivery_requested", "on_webhook_replay"
REPLAY_QUEUE = queue_name("notifications", REPLAY_EVENT, "notifications", REPLAY_HANDLER)
_BATCH = 100
_log = logging.getLogger(__name__)


def run_webhook_pass(as_of: datetime, *, hooks: Webhooks, post: Post, tenant_id: str) -> Counter:
    """Attempt every delivery due at ``as_of``; returns counts by outcome."""
    counts: Counter = Counter()
    for dead in hooks.awaiting_dead_letter():
        _dead_letter(dead, post, tenant_id, hooks)
    for delivery in hooks.due(stamp(as_of), stamp(), _BATCH):
        subscription = hooks.subscription(delivery["subscription_id"])
        try:
            hooks.claim(delivery, lease_until=stamp_after(post.lease_seconds), claim=uuid.uuid4().hex)
            status = _attempt(delivery, subscription, as_of, hooks, post)
        except ClaimLost:
            continue
        counts[status] += 1
        NOTIFICATIONS.labels(post.service, "webhook", status).inc()
        if status == webhooks.DEAD:
            _dead_letter(delivery, post, tenant_id, hooks)
    return counts


def _attempt(delivery: dict, subscription: dict, as_of: datetime, hooks: Webhooks, post: Post) -> str:
    body = delivery["body"].encode()
    signed = webhooks.headers(subscription["secret"], body, delivery["event_type"], delivery["_id"])
    code, error = post_once(subscription["url"], body, signed, post.webhook_timeout)
    verdict = webhooks.outcome(code)
    if verdict == webhooks.DELIVERED:
        hooks.conclude(delivery, webhooks.DELIVERED, status_code=code or 0)
        return webhooks.DELIVERED
    if verdict == webhooks.REFUSED:
        hooks.conclude(delivery, webhooks.FAILED, error=error, status_code=code or 0)
        return webhooks.FAILED
    if delivery["attempts"] >= post.max_attempts:
        hooks.conclude(delivery, webhooks.DEAD, error=error, status_code=code or 0)
        return webhooks.DEAD
    delay = schedule.backoff_seconds(delivery["attempts"], post.retry_base, post.retry_cap)
    hooks.conclude(delivery, webhooks.QUEUED, error=error, status_code=code or 0,
                   not_before=stamp(as_of + timedelta(seconds=delay)))
    return "retried"


def post_once(url: str, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int | None, str]:
    """One POST: (status code or None, error text; empty on a 2xx)."""
    try:
        answer = requests.post(url, data=body, headers=headers, timeout=timeout, allow_redirects=False)
    except requests.Timeout:
        return None, f"no answer within {timeout:g}s"
    except requests.RequestException as exc:
        return None, f"cannot reach the receiver: {type(exc).__name__}"
    error = "" if 200 <= answer.status_code < 300 else f"HTTP {answer.status_code}: {answer.text[:200]}"
    return answer.status_code, error


def _dead_letter(delivery: dict, post: Post, tenant_id: str, hooks: Webhooks) -> None:
    """Hand a dead delivery to the kernel's dead-letter queue (as a handler's last attempt would); if
    the broker cannot take it, it stays pending for the next pass."""
    event = new_event("notifications", REPLAY_EVENT, tenant_id,
                      {"delivery_id": delivery["_id"], "subscription_id": delivery["subscription_id"],
                       "event_id": delivery["event_id"], "event_type": delivery["event_type"]},
                      subject=delivery["_id"])
    try:
        deadletter.dead_letter_event(post.amqp_uri, event, queue=REPLAY_QUEUE, service=post.service,
                                     error=f"webhook delivery failed: {delivery['error']}",
                                     attempts=delivery["attempts"])
    except Exception:  # noqa: BLE001 - the broker is away: keep it pending, let the pass (and mail) go on
        _log.exception("could not dead-letter webhook delivery %s; a later pass tries again",
                       delivery["_id"])
        return
    hooks.dead_lettered(delivery["_id"])

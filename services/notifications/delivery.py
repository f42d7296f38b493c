"""An ``invitation.due`` event becomes at most one mail: the exactly-once effect of a survey notification.

The steps, and why they are split across writes the way they are:

1. The notification's identity is (template, participant id, cause event id), a unique index. If
   the log already holds it finished (sent, skipped, failed, uncertain), a redelivered event does
   nothing more.
2. Found ``sending``: an earlier worker began to send and never recorded how it ended (a crash, or
   the database went away after the SMTP server took the mail). We cannot know whether the mail
   left, and a second copy is worse than none, so it is marked ``uncertain`` and announced with a
   final ``notification.failed``; it is never resent.
3. Contact data comes from intake by RPC at send time (never stored here). Unknown participant:
   ``failed``; no consent to surveys or to contact: ``skipped``, no mail.
4. The mail is rendered and the unsubscribe token stored; then the notification is marked
   ``sending`` with a single-document write committed *before* the mail leaves.
5. The SMTP outcome is stored in ONE transaction with its event.

Why step 4 is not a ``transaction()``: in an event-triggered worker the kernel records the event
id in EVERY transaction (services/common/mongo.py), and a recorded event is never handled again.
A transaction before sending would make the event "processed" before its outcome is known, so
after a transient SMTP refusal the retry would be dropped as a duplicate and the mail never sent.
The pre-send mark is therefore a plain single-document write (atomic and durable on its own),
and the event id is recorded only by the final transaction, together with the outcome and its
``notification.sent`` / ``notification.failed`` event. A transient refusal puts the notification
back to ``pending`` and re-raises, so the reliable handler retries the event and the retry may send.

Two copies of one event handled at once by the same container would see each other's
``sending`` mark; ``OneAtATime`` (keyed by event id) makes them take turns, so the second copy
finds the first one's outcome. Copies handled at the same moment by two replicas remain possible
in principle (the outbox publishes at least once); the second then reports ``uncertain`` while
the first sends: the safe direction, one mail and never two.
"""

from __future__ import annotations

from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any, Protocol

from bson import ObjectId

from services.common.clock import stamp
from services.notifications import mail, rules
from services.notifications.dependencies import Post
from services.notifications.schemas import ContactSchema, InvitationDueSchema
from services.notifications.storage import NotificationLog, UnsubscribeTokens
from services.notifications.unsubscribe import new_token


class Intake(Protocol):
    """The part of intake's RPC interface we use (docs/events.md, RPC)."""

    def get_contact(self, participant_id: str) -> dict | None: ...


def deliver_invitation(event: Mapping[str, Any], *, log: NotificationLog, tokens: UnsubscribeTokens,
                       intake: Intake, post: Post) -> str:
    """Handle one ``invitation.due`` envelope; returns the notification's status afterwards."""
    due = InvitationDueSchema().load(event["data"])
    template = rules.template_for(due["attempt"])
    notification = log.find(template, due["participant_id"], event["id"]) or rules.new_notification(
        str(ObjectId()), template, due, event["id"], stamp())
    if notification["status"] in rules.FINISHED:
        return notification["status"]
    if notification["status"] == rules.SENDING:
        return _finish(log, notification, rules.UNCERTAIN, rules.INTERRUPTED)
    raw_contact = intake.get_contact(due["participant_id"])
    if raw_contact is None:
        return _finish(log, notification, rules.FAILED, rules.UNKNOWN_PARTICIPANT)
    contact = ContactSchema().load(raw_contact)
    if not rules.may_mail(contact):
        return _finish(log, notification, rules.SKIPPED)
    message = _prepare(notification, due, contact, event["tenantid"], tokens, post)
    log.claim(notification)
    return _send(message, notification, log, post)


def _prepare(notification: dict, due: Mapping[str, Any], contact: Mapping[str, Any], tenant_id: str,
             tokens: UnsubscribeTokens, post: Post) -> EmailMessage:
    """Render and compose the mail; its unsubscribe token is stored before anything is sent."""
    council = post.council(tenant_id)
    if council is None:
        raise LookupError(f"tenant {tenant_id!r} is not in the registry")
    token = new_token(tenant_id)
    url = post.unsubscribe_url(token)
    rendered = mail.render(notification["template"], contact["preferred_language"],
                           rules.mail_context(due, contact, council, url), tenant_languages=council.languages)
    tokens.save(token, due["participant_id"], notification["_id"], rendered.lang)
    notification["lang"] = rendered.lang
    return mail.compose(rendered, to_addr=contact["email"], to_name=rules.full_name(contact),
                        from_addr=post.sender, from_name=council.name, reply_to=post.sender,
                        unsubscribe_url=url, message_id_domain=post.domain,
                        notification_id=notification["_id"])


def _send(message: EmailMessage, notification: dict, log: NotificationLog, post: Post) -> str:
    """Send, then store the outcome; a transient refusal with deliveries left is retried by raising."""
    try:
        post.send(message)
    except mail.DeliveryError as refusal:
        error = rules.redact(refusal.detail)
        if rules.gives_up(refusal.transient, notification["attempts"], post.delivery_limit):
            return _finish(log, notification, rules.FAILED, error)
        log.release(notification, error)
        # re-raised without the original, whose text may quote the address: it goes to logs and dead letters
        raise mail.DeliveryError(True, error, refusal.code) from None
    return _finish(log, notification, rules.SENT)


def _finish(log: NotificationLog, notification: dict, status: str, error: str = "") -> str:
    log.finish(notification, rules.conclude(notification, status, error, stamp()))
    return status

"""The notifications service's Mongo reads and writes: the delivery log and the unsubscribe tokens.

Two kinds of write, on purpose (see ``delivery`` for why):
- ``claim`` and ``release`` are single-document writes straight to the collection, committed when
  they return and outside the kernel's unit of work, so they do not record the triggering event
  as processed: a ``sending`` mark must be durable before the mail leaves, yet a transient SMTP
  refusal must leave the event free to be retried.
- ``finish`` is the one transaction of a notification's outcome: status, announcing event (outbox)
  and, in an event-triggered worker, the event's idempotency record commit together.

Only ids and delivery facts are stored: no name or email address is ever written here.

Every write goes through ``serialised`` (one writer per tenant database in this container). On
MongoDB that costs little and changes nothing; on nx-27017 0.8.1 it is needed: all sessions of a
database share one SQLite connection there, so a transaction that starts while another is open
becomes a savepoint inside it, and the first one's commit or abort takes the second with it
("no such savepoint", or a later "Cross-database transactions are not supported" on that session),
and a plain write made meanwhile joins the open transaction. Invitations of a cohort fall due
together, so overlapping writes are the normal case here, not a corner.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.errors import DuplicateKeyError

from services.common.clock import stamp
from services.common.mongo import TenantStore
from services.notifications.rules import NEW, PENDING, SENDING

NOTIFICATIONS, UNSUBSCRIBE_TOKENS = "notifications", "unsubscribe_tokens"
ACTIVE, USED = "active", "used"

INDEXES: dict[str, list[IndexModel]] = {
    NOTIFICATIONS: [
        # The identity of a notification: one mail per template, participant and cause event.
        IndexModel([("template", ASCENDING), ("participant_id", ASCENDING), ("cause_event_id", ASCENDING)],
                   unique=True, name="one_per_cause"),
        # (not compound with _id: nx-27017 0.8.1 then fails every insert with "JSON path error near '_id'")
        IndexModel([("participant_id", ASCENDING)]),
        IndexModel([("status", ASCENDING)]),
    ],
    UNSUBSCRIBE_TOKENS: [IndexModel([("participant_id", ASCENDING)])],
}

_LOG_FIELDS = ("channel", "template", "participant_id", "invitation_id", "attempt", "wave", "status",
               "attempts", "error", "lang", "created_at", "updated_at", "sent_at")


Serialiser = Callable[[str], AbstractContextManager[Any]]


def _unserialised(key: str) -> AbstractContextManager[None]:
    return nullcontext()


class ClaimLost(Exception):
    """Another worker changed the notification between our read and our claim: retry the event."""


class NotificationLog:
    """The delivery log of the current tenant."""

    def __init__(self, store: TenantStore, serialised: Serialiser = _unserialised):
        self._store = store
        self._serialised = lambda: serialised(f"writes:{store.tenant_id}")

    def find(self, template: str, participant_id: str, cause_event_id: str) -> dict | None:
        """The notification of that identity, if one was stored."""
        return self._store[NOTIFICATIONS].find_one(
            {"template": template, "participant_id": participant_id, "cause_event_id": cause_event_id})

    def claim(self, notification: dict) -> None:
        """Mark ``notification`` ``sending`` (durably, now) and count the attempt; raises ``ClaimLost``."""
        previous, at = notification["status"], stamp()
        notification.update(status=SENDING, attempts=notification["attempts"] + 1, updated_at=at)
        with self._serialised():
            if previous == NEW:
                self._insert_new(notification)
                return
            changed = self._store[NOTIFICATIONS].update_one(
                {"_id": notification["_id"], "status": PENDING},
                {"$set": {"status": SENDING, "updated_at": at}, "$inc": {"attempts": 1}})
        if changed.modified_count != 1:
            raise ClaimLost(notification["_id"])

    def _insert_new(self, notification: dict) -> None:
        try:
            self._store[NOTIFICATIONS].insert_one(notification)
        except DuplicateKeyError:  # another copy of the event stored it first
            raise ClaimLost(notification["_id"]) from None

    def release(self, notification: dict, error: str) -> None:
        """Back to ``pending`` after a transient refusal, so that the event's retry may send."""
        notification.update(status=PENDING, error=error, updated_at=stamp())
        with self._serialised():
            self._store[NOTIFICATIONS].update_one(
                {"_id": notification["_id"], "status": SENDING},
                {"$set": {"status": PENDING, "error": error, "updated_at": notification["updated_at"]}})

    def finish(self, notification: dict, announcement: tuple[str, dict] | None) -> None:
        """Store the outcome and its event in one transaction (which also records the cause event)."""
        fields = {key: value for key, value in notification.items() if key != "_id"}
        with self._serialised(), self._store.transaction() as tx:
            tx[NOTIFICATIONS].update_one({"_id": notification["_id"]}, {"$set": fields}, upsert=True)
            if announcement is not None:
                event_type, data = announcement
                tx.emit(event_type, data, subject=notification["_id"])

    def page(self, participant_id: str | None = None, status: str | None = None, limit: int = 50,
             after: str | None = None) -> dict:
        """``{"items", "next"}``, oldest first (ids grow with time), filtered as asked."""
        query: dict[str, Any] = {}
        if participant_id:
            query["participant_id"] = participant_id
        if status:
            query["status"] = status
        if after:
            query["_id"] = {"$gt": after}
        projection = dict.fromkeys(_LOG_FIELDS, 1)
        cursor = self._store[NOTIFICATIONS].find(query, projection).sort("_id", ASCENDING)
        found = list(cursor.limit(limit + 1))
        items = found[:limit]
        return {"items": items, "next": items[-1]["_id"] if len(found) > limit else None}


def token_digest(token: str) -> str:
    """What is stored of an unsubscribe token: its SHA-256 (a long random token needs no slow KDF)."""
    return hashlib.sha256(token.encode()).hexdigest()


class UnsubscribeTokens:
    """Unsubscribe links of the current tenant, stored hashed, each with its participant."""

    def __init__(self, store: TenantStore, serialised: Serialiser = _unserialised):
        self._store = store
        self._serialised = lambda: serialised(f"writes:{store.tenant_id}")

    def save(self, token: str, participant_id: str, notification_id: str, lang: str) -> None:
        """Remember a token before the mail that carries it leaves."""
        with self._serialised():
            self._store[UNSUBSCRIBE_TOKENS].insert_one(
                {"_id": token_digest(token), "participant_id": participant_id,
                 "notification_id": notification_id, "lang": lang, "state": ACTIVE, "created_at": stamp()})

    def find(self, token: str) -> dict | None:
        """The stored token, or None."""
        return self._store[UNSUBSCRIBE_TOKENS].find_one({"_id": token_digest(token)})

    def use(self, token_doc: dict) -> bool:
        """Withdraw contact consent with this token: True the first time, False if it was used already."""
        with self._serialised(), self._store.transaction() as tx:
            changed = tx[UNSUBSCRIBE_TOKENS].update_one({"_id": token_doc["_id"], "state": ACTIVE},
                                                        {"$set": {"state": USED, "used_at": stamp()}})
            if changed.modified_count != 1:
                return False
            tx.emit("consent.withdrawn", {"participant_id": token_doc["participant_id"], "scope": "contact"},
                    subject=token_doc["participant_id"])
        return True

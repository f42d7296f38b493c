"""The outgoing-mail queue of one council, which is also its delivery log (``notifications``).

Record before send (see ``sending``; the lease is ``leases``):
- ``enqueue`` writes queued mails in the transaction of the event that caused them (with the
  event's idempotency record), so a redelivered event queues nothing twice;
- ``claim`` moves one mail ``queued -> sending`` with a lease, counts it against the council's
  rate window and stores its unsubscribe link, in one transaction committed BEFORE the mail leaves;
  a claim only succeeds on a mail still ``queued``, so two instances never both send it;
- ``conclude`` stores how the attempt ended with the event announcing it, in one transaction,
  and only if this claim still holds the mail;
- ``expired_leases`` are mails left ``sending`` past their lease (a process died mid-send): nobody
  can know whether the SMTP server took them, and a second copy is worse than none, so the pass
  concludes them ``uncertain`` with a final ``notification.failed``, never resent.
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING

from services.common import paging
from services.common.clock import stamp
from services.common.mongo import TenantStore, UnitOfWork
from services.notifications import leases, rules
from services.notifications.leases import ClaimLost
from services.notifications.schemas import NotificationSchema, projection
from services.notifications.storage import NOTIFICATIONS, RATE_WINDOWS, UNSUBSCRIBE_TOKENS, is_erased

_LOG_FIELDS = projection(NotificationSchema)


class RateLimited(Exception):
    """The council's mails of this minute are used up: the rest wait for the next window."""


def enqueue(tx: UnitOfWork, notifications: list[dict]) -> None:
    """Queue ``notifications`` inside the caller's transaction.

    A participant who was erased gets nothing; a notification whose identity is queued already
    (a session reminder reached from both of its events) is not queued again.
    """
    for notification in notifications:
        if is_erased(tx, notification["participant_id"]) or tx[NOTIFICATIONS].find_one(
                {key: notification[key] for key in ("template", "participant_id", "cause_event_id")}):
            continue
        tx[NOTIFICATIONS].insert_one(notification)


def cancel_queued(tx: UnitOfWork, query: dict[str, Any], reason: str) -> None:
    """Cancel the queued mails matching ``query`` (erasure, withdrawal)."""
    cancelled = {"status": rules.CANCELLED, "error": reason, "updated_at": stamp()}
    tx[NOTIFICATIONS].update_many({**query, "status": rules.QUEUED}, {"$set": cancelled})


class MailQueue:
    """The current tenant's queue of emails."""

    def __init__(self, store: TenantStore):
        self._store = store

    def due(self, as_of: str, limit: int) -> list[dict]:
        """Queued mails whose time has come, oldest first."""
        cursor = self._store[NOTIFICATIONS].find(_due(as_of))
        return list(cursor.sort([("not_before", ASCENDING), ("_id", ASCENDING)]).limit(limit))

    def count_due(self, as_of: str) -> int:
        """How many queued mails' time has come."""
        return self._store[NOTIFICATIONS].count_documents(_due(as_of))

    def expired_leases(self, now: str) -> list[dict]:
        """Mails left ``sending`` by a worker whose lease ran out."""
        return list(self._store[NOTIFICATIONS].find({"status": rules.SENDING, "lease_until": {"$lt": now}}))

    def sent_in_window(self, window: str) -> int:
        """How many mails were claimed in the rate window ``window``."""
        found = self._store[RATE_WINDOWS].find_one({"_id": f"email:{window}"})
        return int(found["count"]) if found else 0

    def claim(self, notification: dict, *, lease_until: str, claim: str, window: str, per_minute: int,
              token_doc: dict) -> None:
        """``queued -> sending`` durably, now; raises ``ClaimLost`` or ``RateLimited``."""
        with self._store.transaction() as tx:
            if is_erased(tx, notification["participant_id"]):
                raise ClaimLost(notification["_id"])
            counter = tx[RATE_WINDOWS].find_one({"_id": f"email:{window}"})
            if counter is not None and int(counter["count"]) >= per_minute:
                raise RateLimited(window)
            taken = leases.claim(tx, NOTIFICATIONS, notification, expect={"status": rules.QUEUED},
                                 lease_until=lease_until, claim=claim, also={"lang": token_doc["lang"]})
            if counter is None:
                tx[RATE_WINDOWS].insert_one({"_id": f"email:{window}", "count": 1})
            else:
                tx[RATE_WINDOWS].update_one({"_id": f"email:{window}"}, {"$inc": {"count": 1}})
            tx[UNSUBSCRIBE_TOKENS].insert_one(token_doc)
        notification.update(taken)

    def conclude(self, notification: dict, status: str, error: str = "", *, expect: str = rules.QUEUED,
                 not_before: str | None = None) -> None:
        """End an attempt: the new status and its announcement, if this worker still holds the mail.

        ``expect`` is the status the mail must still have (``sending`` under our claim, or
        ``queued`` for a mail decided without sending); ``not_before`` re-queues it for later.
        """
        at = stamp()
        fields: dict[str, Any] = {"status": status, "error": error, "updated_at": at}
        if status == rules.SENT:
            fields["sent_at"] = at
        if not_before is not None:
            fields["not_before"] = not_before
        still = {"status": expect}
        if expect == rules.SENDING:
            still["claim"] = notification["claim"]
        leases.conclude(self._store, NOTIFICATIONS, notification, fields, expect=still,
                        announce=rules.announcement)

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
        cursor = self._store[NOTIFICATIONS].find(query, _LOG_FIELDS).sort("_id", ASCENDING)
        return paging.page(list(cursor.limit(limit + 1)), limit)


def _due(as_of: str) -> dict:
    return {"status": rules.QUEUED, "not_before": {"$lte": as_of}}

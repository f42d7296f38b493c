"""Webhook subscriptions and their deliveries, stored per council.

A delivery is queued in the transaction of the event it carries (``fan_out``), claimed with a
lease before its request goes out, and concluded with the event announcing its outcome (both
``leases``). A delivery left ``sending`` past its lease is simply attempted again: receivers
deduplicate by the CloudEvents ``id``, so webhooks are at least once, unlike emails (``queue``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING

from services.common import paging
from services.common.clock import stamp
from services.common.mongo import TenantStore, UnitOfWork
from services.notifications import leases, webhooks
from services.notifications.schemas import DeliverySchema, projection
from services.notifications.storage import DELIVERIES, WEBHOOKS

_DELIVERY_FIELDS = projection(DeliverySchema)


def fan_out(tx: UnitOfWork, event: Mapping[str, Any]) -> None:
    """Queue a delivery of ``event`` to every active subscription of its type."""
    if event["type"] not in webhooks.EVENT_TYPES:
        return
    at = stamp()
    for subscription in list(tx[WEBHOOKS].find({"state": "active", "event_types": event["type"]})):
        tx[DELIVERIES].insert_one(webhooks.new_delivery(str(ObjectId()), subscription, event, at))


class Webhooks:
    """The current council's subscriptions and deliveries."""

    def __init__(self, store: TenantStore):
        self._store = store

    def subscribe(self, url: str, event_types: list[str], secret: str) -> dict:
        """Store a subscription; returns it."""
        subscription = webhooks.new_subscription(str(ObjectId()), url, event_types, secret, stamp())
        with self._store.transaction() as tx:
            tx[WEBHOOKS].insert_one(subscription)
        return subscription

    def subscription(self, subscription_id: str) -> dict | None:
        """A subscription of this council, or None."""
        return self._store[WEBHOOKS].find_one({"_id": subscription_id})

    def subscriptions(self) -> list[dict]:
        """Every subscription of this council, oldest first."""
        return list(self._store[WEBHOOKS].find({}).sort("_id", ASCENDING))

    def deliveries(self, subscription_id: str, limit: int = 50, after: str | None = None) -> dict:
        """The delivery log of one subscription: ``{"items", "next"}``, oldest first."""
        query: dict[str, Any] = {"subscription_id": subscription_id}
        if after:
            query["_id"] = {"$gt": after}
        found = self._store[DELIVERIES].find(query, _DELIVERY_FIELDS).sort("_id", ASCENDING)
        return paging.page(list(found.limit(limit + 1)), limit)

    def due(self, as_of: str, now: str, limit: int) -> list[dict]:
        """Queued deliveries whose time has come, and those left ``sending`` past their lease."""
        queued = self._store[DELIVERIES].find({"status": webhooks.QUEUED, "not_before": {"$lte": as_of}})
        stuck = self._store[DELIVERIES].find({"status": webhooks.SENDING, "lease_until": {"$lt": now}})
        return (list(stuck.limit(limit)) + list(queued.sort("not_before", ASCENDING).limit(limit)))[:limit]

    def claim(self, delivery: dict, *, lease_until: str, claim: str) -> None:
        """Take ``delivery`` for one attempt; raises ``ClaimLost`` if another worker has it."""
        with self._store.transaction() as tx:
            taken = leases.claim(tx, DELIVERIES, delivery, lease_until=lease_until, claim=claim,
                                 expect={"status": delivery["status"], "claim": delivery["claim"]})
        delivery.update(taken)

    def conclude(self, delivery: dict, status: str, *, error: str = "", status_code: int = 0,
                 not_before: str | None = None) -> None:
        """Store an attempt's outcome with its announcement, if our claim still holds."""
        at = stamp()
        fields: dict[str, Any] = {"status": status, "error": error, "last_status_code": status_code,
                                  "updated_at": at}
        if status == webhooks.DELIVERED:
            fields["delivered_at"] = at
        if not_before is not None:
            fields["not_before"] = not_before
        if status == webhooks.DEAD:
            fields["dead_letter"] = "pending"  # published to the dead-letter queue after this commits
        leases.conclude(self._store, DELIVERIES, delivery, fields, announce=webhooks.announcement,
                        expect={"status": webhooks.SENDING, "claim": delivery["claim"]})

    def awaiting_dead_letter(self) -> list[dict]:
        """Dead deliveries not yet handed to the dead-letter queue (a crash came between)."""
        return list(self._store[DELIVERIES].find({"dead_letter": "pending"}))

    def dead_lettered(self, delivery_id: str) -> None:
        """Remember that the dead letter of ``delivery_id`` is in the queue."""
        with self._store.transaction() as tx:
            tx[DELIVERIES].update_one({"_id": delivery_id}, {"$set": {"dead_letter": "published"}})

    def replay(self, tx: UnitOfWork, delivery_id: str) -> None:
        """A dead delivery queued again for a fresh round of attempts (``iec dlq replay``)."""
        tx[DELIVERIES].update_one(
            {"_id": delivery_id, "status": webhooks.DEAD},
            {"$set": {"status": webhooks.QUEUED, "attempts": 0, "not_before": stamp(), "dead_letter": "none",
                      "claim": "", "updated_at": stamp()}})

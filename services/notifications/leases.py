"""How one attempt at a queued message is taken and ended: the same for a mail and a webhook delivery.

- ``claim`` moves the message to ``sending`` with a lease (``lease_until``) and a claim id and counts
  the attempt, in the caller's transaction, only if it is still as the caller read it: two workers
  never both hold it;
- ``conclude`` stores how the attempt ended with the event announcing it, in one transaction, only
  if the message is still as expected (under our claim): a worker whose lease was taken over
  changes nothing;
- ``announcement``: ``notification.sent`` for a delivered message, otherwise ``notification.failed``
  with its error and attempts, final unless the message is queued again (a retry).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from services.common.clock import stamp
from services.common.mongo import TenantStore, UnitOfWork

QUEUED, SENDING = "queued", "sending"

Announcement = tuple[str, dict]


class ClaimLost(Exception):
    """Another worker took or changed the message between our read and our write."""


def claim(tx: UnitOfWork, collection: str, item: Mapping[str, Any], *, expect: Mapping[str, Any],
          lease_until: str, claim: str, also: Mapping[str, Any] | None = None) -> dict:
    """Take ``item`` for one attempt in ``tx`` if it still matches ``expect``; raises ``ClaimLost``.

    ``also`` is stored with it. Returns what changed, for the caller to apply to ``item`` once
    ``tx`` commits.
    """
    fields = {"status": SENDING, "lease_until": lease_until, "claim": claim, "updated_at": stamp(),
              **(also or {})}
    changed = tx[collection].update_one({"_id": item["_id"], **expect},
                                        {"$set": fields, "$inc": {"attempts": 1}})
    if changed.modified_count != 1:
        raise ClaimLost(item["_id"])
    return {"status": SENDING, "claim": claim, "attempts": item["attempts"] + 1, **(also or {})}


def conclude(store: TenantStore, collection: str, item: dict, fields: Mapping[str, Any], *,
             expect: Mapping[str, Any], announce: Callable[[Mapping[str, Any]], Announcement | None]) -> None:
    """Store ``fields`` (the new ``status`` among them) on ``item`` with ``announce(item)``, if ``item``
    still matches ``expect``; raises ``ClaimLost``."""
    item.update(fields)
    announced = announce(item)
    with store.transaction() as tx:
        changed = tx[collection].update_one({"_id": item["_id"], **expect}, {"$set": dict(fields)})
        if changed.modified_count != 1:
            raise ClaimLost(item["_id"])
        if announced is not None:
            tx.emit(announced[0], announced[1], subject=item["_id"])


def announcement(item: Mapping[str, Any], ids: Mapping[str, Any], *, delivered: bool) -> Announcement:
    """``notification.sent`` with ``ids``, or ``notification.failed`` with the attempt's error."""
    if delivered:
        return "notification.sent", dict(ids)
    return "notification.failed", {**ids, "error": item["error"], "attempts": item["attempts"],
                                   "final": item["status"] != QUEUED}

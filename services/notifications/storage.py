"""The notifications service's collections, and the small stores beside the queue.

Every write is a ``TenantStore.transaction()``: on MongoDB they are isolated; on the embedded
nx-27017 the kernel runs them one at a time per database across processes (docs/storage.md), so
a plain write can never slip into another worker's open transaction. Only ids and delivery facts
are stored: no name or email address is ever written here.
"""

from __future__ import annotations

from collections.abc import Callable

from pymongo import ASCENDING, IndexModel

from services.common.clock import stamp
from services.common.mongo import TenantStore, UnitOfWork
from services.common.tokens import token_digest

NOTIFICATIONS, UNSUBSCRIBE_TOKENS = "notifications", "unsubscribe_tokens"
COHORTS, ERASED, RATE_WINDOWS = "cohorts", "erased_participants", "rate_windows"
WEBHOOKS, DELIVERIES = "webhooks", "webhook_deliveries"
ACTIVE, USED = "active", "used"

# (not compound with _id: nx-27017 0.8.1 then fails every insert with "JSON path error near '_id'")
INDEXES: dict[str, list[IndexModel]] = {
    NOTIFICATIONS: [
        # The identity of a notification: one mail per template, recipient and cause.
        IndexModel([("template", ASCENDING), ("participant_id", ASCENDING), ("cause_event_id", ASCENDING)],
                   unique=True, name="one_per_cause"),
        IndexModel([("participant_id", ASCENDING)]),
        IndexModel([("status", ASCENDING), ("not_before", ASCENDING)]),
    ],
    UNSUBSCRIBE_TOKENS: [IndexModel([("participant_id", ASCENDING)])],
    COHORTS: [],
    ERASED: [],
    RATE_WINDOWS: [],
    WEBHOOKS: [IndexModel([("state", ASCENDING)])],
    DELIVERIES: [
        IndexModel([("subscription_id", ASCENDING), ("event_id", ASCENDING)], unique=True,
                   name="one_per_event"),
        IndexModel([("status", ASCENDING), ("not_before", ASCENDING)]),
        IndexModel([("dead_letter", ASCENDING)]),
    ],
}


def token_document(token: str, participant_id: str, notification_id: str, lang: str) -> dict:
    """The stored form of an unsubscribe link, written with the claim of the mail that carries it."""
    return {"_id": token_digest(token), "participant_id": participant_id, "notification_id": notification_id,
            "lang": lang, "state": ACTIVE, "created_at": stamp()}


class UnsubscribeTokens:
    """Unsubscribe links of the current tenant, stored hashed, each with its participant."""

    def __init__(self, store: TenantStore):
        self._store = store

    def find(self, token: str) -> dict | None:
        """The stored token, or None."""
        return self._store[UNSUBSCRIBE_TOKENS].find_one({"_id": token_digest(token)})

    def use(self, token_doc: dict, also: Callable[[UnitOfWork, dict], object] | None = None) -> bool:
        """Withdraw contact consent with this token: True the first time, False if it was used already.

        ``consent.withdrawn`` goes out with the change (and ``also(tx, event)`` runs in the same
        transaction); intake owns consent and applies it.
        """
        with self._store.transaction() as tx:
            changed = tx[UNSUBSCRIBE_TOKENS].update_one({"_id": token_doc["_id"], "state": ACTIVE},
                                                        {"$set": {"state": USED, "used_at": stamp()}})
            if changed.modified_count != 1:
                return False
            participant_id = token_doc["participant_id"]
            event = tx.emit("consent.withdrawn", {"participant_id": participant_id, "scope": "contact"},
                            subject=participant_id)
            if also is not None:
                also(tx, event)
        return True


def is_erased(tx: UnitOfWork | TenantStore, participant_id: str) -> bool:
    """Whether ``participant.erased`` was seen for this participant: nothing is ever sent to them."""
    return tx[ERASED].find_one({"_id": participant_id}) is not None


def record_erasure(tx: UnitOfWork, participant_id: str) -> None:
    """Remember an erased participant (a pseudonymous id only) and forget their unsubscribe links."""
    if not is_erased(tx, participant_id):
        tx[ERASED].insert_one({"_id": participant_id, "at": stamp()})
    tx[UNSUBSCRIBE_TOKENS].delete_many({"participant_id": participant_id})


class Cohorts:
    """What session reminders need of a cohort: its sessions (``cohort.opened``) and who is enrolled
    (``participant.enrolled``). The two events come in any order; both write the cohort's one
    document, so on MongoDB two handlers racing on it conflict and one retries, seeing the other."""

    def __init__(self, tx: UnitOfWork):
        self._tx = tx

    def opened(self, cohort_id: str, sessions: list[dict]) -> list[str]:
        """Store the sessions; returns the participants enrolled so far."""
        found = self._get(cohort_id)
        self._tx[COHORTS].update_one({"_id": cohort_id}, {"$set": {"sessions": sessions, "state": "opened"}})
        return list(found["participants"])

    def enrolled(self, cohort_id: str, participant_id: str) -> list[dict] | None:
        """Add the participant; returns the sessions if the cohort was opened already, else None."""
        found = self._get(cohort_id)
        if participant_id not in found["participants"]:
            self._tx[COHORTS].update_one({"_id": cohort_id}, {"$push": {"participants": participant_id}})
        return list(found["sessions"]) if found["state"] == "opened" else None

    def _get(self, cohort_id: str) -> dict:
        found = self._tx[COHORTS].find_one({"_id": cohort_id})
        if found is None:
            found = {"_id": cohort_id, "sessions": [], "participants": [], "state": "waiting"}
            self._tx[COHORTS].insert_one(dict(found))
        return found

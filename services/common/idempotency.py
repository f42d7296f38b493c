"""``Idempotency-Key`` on writes (API.md, Common): the same key and request within 24 hours returns
the first answer, and the effect happens once.

The key is recorded inside the unit of work's transaction (``TenantStore.transaction``), so two
requests with one key can never both commit; the answer is stored after the worker returns and
replayed to a retry. A retry whose first attempt committed but crashed before its answer was
stored gets a 409 saying so, rather than a second effect.

Records are kept for their 24 hours only: the outbox relay's sweep purges older ones
(``purge_expired``), and an erasure forgets at once those whose answer names the person (``forget``).
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import timedelta

from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError
from werkzeug.wrappers import Request, Response

from services.common.clock import now, stamp
from services.common.errors import BadRequest, Conflict


class KeyInUse(Conflict):
    """Another request with the same key holds it: this one's answer must not be stored as the key's."""


COLLECTION = "idempotency_keys"
HEADER = "Idempotency-Key"
WINDOW = timedelta(hours=24)
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_KEY_RE = re.compile(r"^[\x21-\x7e]{1,200}$")


def requested_key(request: Request) -> str | None:
    """The request's idempotency key, if a write carries one; 400 for a malformed key."""
    key = request.headers.get(HEADER)
    if key is None or request.method not in WRITE_METHODS:
        return None
    if not _KEY_RE.match(key):
        raise BadRequest("bad Idempotency-Key", fields={HEADER: ["1 to 200 printable ASCII characters."]})
    return key


def fingerprint(request: Request, body: bytes) -> str:
    """What makes two requests 'the same': method, path, query and body."""
    digest = hashlib.sha256()
    for part in (request.method, request.path, request.query_string.decode("latin-1")):
        digest.update(part.encode() + b"\n")
    digest.update(body)
    return digest.hexdigest()


class IdempotencyRecords:
    """The keys of one tenant database of one service."""

    def __init__(self, db: Database):
        self._records = db[COLLECTION]

    def replay(self, key: str, print_: str) -> Response | None:
        """The stored answer for ``key``, None if the key is new; Conflict if it cannot be replayed."""
        record = self._records.find_one({"_id": key})
        if record is None:
            return None
        if record["created_at"] < stamp(now() - WINDOW):
            self._records.delete_one({"_id": key, "created_at": record["created_at"]})
            return None
        if record["fingerprint"] != print_:
            raise Conflict(f"this {HEADER} was used for a different request")
        if record["state"] != "answered":
            raise KeyInUse(f"a request with this {HEADER} was applied; its answer is not available yet")
        answer = Response(record["body"], status=record["status"], mimetype=record["mimetype"])
        answer.headers["Idempotent-Replayed"] = "true"
        return answer

    @staticmethod
    def forget(records: Collection, predicate: Callable[[dict], bool]) -> int:
        """Delete the records for which ``predicate(record)`` is true; returns how many.

        ``records`` is the ``idempotency_keys`` collection as the caller's transaction sees it, so the
        records go with the change that makes them unwanted (an erasure). Each record is read whole:
        its answer is text, scanned in Python rather than with ``$regex``, which nx-27017 may not
        serve alike; there are no more than a day's worth.
        """
        doomed = [record["_id"] for record in records.find({}) if predicate(record)]
        if not doomed:
            return 0
        return records.delete_many({"_id": {"$in": doomed}}).deleted_count

    def remember(self, key: str, print_: str, answer: Response) -> None:
        """Store the answer to replay (server errors are not stored: the client should retry)."""
        if answer.status_code >= 500:
            return
        fields = {"state": "answered", "status": answer.status_code, "mimetype": answer.mimetype,
                  "body": answer.get_data(as_text=True)}
        if self._records.update_one({"_id": key, "fingerprint": print_}, {"$set": fields}).matched_count:
            return
        try:
            self._records.insert_one({"_id": key, "fingerprint": print_, "created_at": stamp(), **fields})
        except DuplicateKeyError:
            pass  # a concurrent request with this key committed first; its answer stands


def purge_expired(db: Database) -> int:
    """Delete the records of ``db`` older than the window; returns how many."""
    return db[COLLECTION].delete_many({"created_at": {"$lt": stamp(now() - WINDOW)}}).deleted_count


def mentions(*texts: str) -> Callable[[dict], bool]:
    """A ``forget`` predicate: the record's stored answer contains one of ``texts`` (ids)."""
    wanted = [text for text in texts if text]
    return lambda record: any(text in (record.get("body") or "") for text in wanted)


def record_applied(unit, key: str, print_: str) -> None:
    """In the unit of work's transaction: this key's effect is being committed (once, ever)."""
    try:
        unit[COLLECTION].insert_one({"_id": key, "fingerprint": print_, "state": "applied",
                                     "created_at": stamp()})
    except DuplicateKeyError:
        raise KeyInUse(f"a request with this {HEADER} is being applied") from None

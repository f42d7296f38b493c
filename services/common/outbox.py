"""The outbox relay: publishes committed outbox entries, with publisher confirms.

Entries are written by ``UnitOfWork.emit`` in the same transaction as the state change; the relay
publishes them and marks them published only after the broker confirmed. A crash between commit and
publish therefore loses nothing: the entry is still unpublished and goes out on the next pass.
Several replicas may run; each claims a batch with a lease, so an entry is published by one of them
(at least once; consumers are idempotent).

Where an entry goes (``destination``): a service's own events to ``<service>.events`` with the
routing key ``<type>``, ``mandatory``; public outcome events to ``iec.outcomes`` with the routing key
``<tenant>.<type>``, not ``mandatory`` (no subscriber bound is normal there).

An own event the broker returns as unroutable (no queue bound yet, e.g. a consumer not deployed) is
retried for ``UNROUTED_GRACE_SECONDS`` and then given up (state ``unrouted``) and counted in
``iec_events_unrouted_total``: an event nobody subscribes to must not block those behind it.

The relay's sweep of every tenant also purges the tenant's ``Idempotency-Key`` records older than
their 24-hour window (at most every ``IDEMPOTENCY_PURGE_SECONDS``): the answers they keep may hold
personal data, and nothing else would remove them.
"""
from __future__ import annotations

import logging
import time
import uuid

import eventlet
from kombu import Exchange
from nameko.amqp.publish import Publisher, UndeliverableMessage
from nameko.extensions import SharedExtension
from nameko.standalone.events import get_event_exchange
from pymongo import ASCENDING
from pymongo.database import Database

from services.common import idempotency
from services.common.clock import EPOCH, now, parse_stamp, stamp, stamp_after
from services.common.envelope import OUTCOMES_EXCHANGE
from services.common.metrics import EVENTS_PUBLISHED, EVENTS_UNROUTED, OUTBOX_BACKLOG, OUTBOX_OLDEST_AGE
from services.common.runtime import Runtime
from services.common.tenancy import database_name

_log = logging.getLogger(__name__)
OUTBOX = "outbox"
BATCH = 200
LEASE_SECONDS = 30.0
UNROUTED_GRACE_SECONDS = 60.0
UNROUTED_RETRY_SECONDS = 2.0
IDEMPOTENCY_PURGE_SECONDS = 600.0
PENDING, PUBLISHED, UNROUTED = "pending", "published", "unrouted"


# The public stream for other systems (DESIGN.md, Events): routing key `<tenant>.<type>`. Having no
# subscriber bound is normal there, so its messages are not `mandatory` (confirms still apply).
OUTCOMES = Exchange(OUTCOMES_EXCHANGE, type="topic", durable=True)


def outbox_entry(event: dict, public: bool = False) -> dict:
    """The outbox document for an event about to be committed with its cause.

    ``public`` events go to ``iec.outcomes`` instead of the service's own exchange.
    """
    return {"_id": event["id"], "event": event, "type": event["type"], "state": PENDING,
            "created_at": stamp(), "claim_expires_at": EPOCH, "attempts": 0, "public": public}


def destination(entry: dict, tenant_id: str, own: Exchange) -> tuple[Exchange, str, bool]:
    """Where an entry is published: (exchange, routing key, mandatory)."""
    if entry.get("public"):
        return OUTCOMES, f"{tenant_id}.{entry['type']}", False
    return own, entry["type"], True


class OutboxRelay(SharedExtension):
    """One relay greenthread per container, polling the outboxes of the served tenants."""

    runtime = Runtime()

    def __init__(self) -> None:
        super().__init__()
        self._running = False
        self._thread = None
        self.instance_id = uuid.uuid4().hex
        self._last_sweep = float("-inf")  # the first pass sweeps every tenant
        self._last_purge = float("-inf")  # and purges their expired idempotency records

    def setup(self) -> None:
        self.exchange = get_event_exchange(self.container.service_name, self.container.config)
        self.publisher = Publisher(self.runtime.amqp_uri, use_confirms=True, serializer="json")

    def start(self) -> None:
        self._running = True
        self._thread = self.container.spawn_managed_thread(self._run, identifier="outbox-relay")

    def stop(self) -> None:
        self._running = False
        self.runtime.wake_outbox()
        if self._thread is not None:
            self._thread.wait()

    def kill(self) -> None:
        self._running = False
        if self._thread is not None:
            self._thread.kill()

    def _run(self) -> None:
        failures = 0
        while self._running:
            try:
                published = self._relay_due()
                failures = 0
            except Exception:  # broker or database away: back off, keep the entries, try again
                failures += 1
                _log.exception("outbox relay pass failed (%d in a row)", failures)
                eventlet.sleep(min(30.0, 0.5 * 2 ** failures))
                continue
            if not published:
                self.runtime.wait_for_outbox(self.runtime.settings.outbox_poll_seconds)

    def relay_once(self) -> int:
        """One pass over every served tenant; returns how many entries were published."""
        self._last_sweep = time.monotonic()
        tenants = self.runtime.served_tenant_ids()
        published = sum(self._relay_tenant(tenant) for tenant in tenants)
        if self._last_sweep - self._last_purge >= IDEMPOTENCY_PURGE_SECONDS:
            self._last_purge = self._last_sweep
            for tenant_id in tenants:
                idempotency.purge_expired(self._database(tenant_id))
        return published

    def _relay_due(self) -> int:
        # The tenants this process committed for are relayed at once; a sweep of every tenant, every
        # OUTBOX_SWEEP_SECONDS (and at start), picks up what others left: a process that crashed
        # between commit and publish, or the CLI. A pass costs a query per tenant it visits.
        if time.monotonic() - self._last_sweep >= self.runtime.settings.outbox_sweep_seconds:
            self.runtime.take_dirty_tenants()
            return self.relay_once()
        published = 0
        for tenant_id in self.runtime.take_dirty_tenants():
            count = self._relay_tenant(tenant_id)
            if count >= BATCH:
                self.runtime.wake_outbox(tenant_id)  # more than one batch waiting: come back at once
            published += count
        return published

    def _database(self, tenant_id: str) -> Database:
        return self.runtime.client[database_name(tenant_id, self.container.service_name)]

    def _relay_tenant(self, tenant_id: str) -> int:
        db = self._database(tenant_id)
        published = 0
        for entry in self._claim(db):
            published += self._publish(db, tenant_id, entry)
        return published

    def _claim(self, db: Database) -> list[dict]:
        due = {"state": PENDING, "claim_expires_at": {"$lt": stamp()}}
        found = db[OUTBOX].find(due, {"_id": 1}).sort("created_at", ASCENDING).limit(BATCH)
        ids = [doc["_id"] for doc in found]
        if not ids:
            return []
        lease = {"claimed_by": self.instance_id, "claim_expires_at": stamp_after(LEASE_SECONDS)}
        db[OUTBOX].update_many({"_id": {"$in": ids}, **due}, {"$set": lease})
        mine = db[OUTBOX].find({"_id": {"$in": ids}, "claimed_by": self.instance_id, "state": PENDING})
        return sorted(mine, key=lambda entry: entry["created_at"])

    def _publish(self, db: Database, tenant_id: str, entry: dict) -> int:
        event = entry["event"]
        exchange, routing_key, mandatory = destination(entry, tenant_id, self.exchange)
        headers = {"nameko.tenant_id": tenant_id, "nameko.event_id": event["id"]}
        try:
            self.publisher.publish(event, exchange=exchange, routing_key=routing_key, mandatory=mandatory,
                                   declare=[exchange], message_id=event["id"], headers=headers)
        except UndeliverableMessage:
            return self._unrouted(db, entry)
        db[OUTBOX].update_one({"_id": entry["_id"]}, {"$set": {"state": PUBLISHED, "published_at": stamp()}})
        EVENTS_PUBLISHED.labels(self.container.service_name, event["type"]).inc()
        return 1

    def _unrouted(self, db: Database, entry: dict) -> int:
        event_type = entry["event"]["type"]
        if entry["created_at"] > stamp_after(-UNROUTED_GRACE_SECONDS):
            later = stamp_after(UNROUTED_RETRY_SECONDS)
            retry = {"$set": {"claim_expires_at": later}, "$inc": {"attempts": 1}}
            db[OUTBOX].update_one({"_id": entry["_id"]}, retry)
            return 0
        _log.warning("no queue is bound for %s events; giving up on %s", event_type, entry["_id"])
        db[OUTBOX].update_one({"_id": entry["_id"]}, {"$set": {"state": UNROUTED, "published_at": stamp()}})
        EVENTS_UNROUTED.labels(self.container.service_name, event_type).inc()
        return 1

    def observe_backlog(self) -> None:
        """Set the backlog gauges from the database (called when /metrics is scraped)."""
        service = self.container.service_name
        for tenant_id in self.runtime.served_tenant_ids():
            outbox = self._database(tenant_id)[OUTBOX]
            pending = outbox.find({"state": PENDING}, {"created_at": 1})
            oldest = list(pending.sort("created_at", ASCENDING).limit(1))
            OUTBOX_BACKLOG.labels(service, tenant_id).set(outbox.count_documents({"state": PENDING}))
            age = (now() - parse_stamp(oldest[0]["created_at"])).total_seconds() if oldest else 0.0
            OUTBOX_OLDEST_AGE.labels(service, tenant_id).set(age)

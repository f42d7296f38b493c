"""Tenant-bound storage: a worker reaches only its own tenant's database of its own service.

``TenantDatabase`` is the nameko dependency; it hands each worker a ``TenantStore`` for the tenant
in the worker's context data (``tenant_id``). There is no call that names another tenant.
A ``TenantStore.transaction()`` is the unit of work: documents written through it, the events it
emits (outbox entries) and, for a worker triggered by an event, that event's id (the idempotency
record) commit together or not at all.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import partial

from nameko.extensions import DependencyProvider
from pymongo import ASCENDING, IndexModel
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import CollectionInvalid, DuplicateKeyError, PyMongoError

from services.common import idempotency
from services.common.clock import stamp
from services.common.envelope import new_event
from services.common.errors import AlreadyProcessed, Forbidden, WriteConflict, is_write_conflict
from services.common.outbox import OUTBOX, OutboxRelay, outbox_entry
from services.common.runtime import Runtime
from services.common.tenancy import database_name

PROCESSED = "processed_events"
KERNEL_INDEXES: dict[str, list[IndexModel]] = {
    idempotency.COLLECTION: [IndexModel([("created_at", ASCENDING)])],  # the purge of expired records
    OUTBOX: [IndexModel([("state", ASCENDING), ("created_at", ASCENDING)])],
    PROCESSED: [IndexModel([("event_id", ASCENDING)])],
}


def processed_key(event_id: str, handler: str) -> str:
    """The idempotency record's ``_id``: one event is processed once *per handler*.

    Two handlers of one service may consume the same event (each on its own queue); keyed by the event
    id alone, the second would find the first's record and skip its own effect.
    """
    return f"{event_id}/{handler}"


class SessionCollection:
    """A collection whose every call runs inside the unit of work's session."""

    def __init__(self, collection: Collection, session):
        self._collection, self._session = collection, session

    def __getattr__(self, name: str):
        attr = getattr(self._collection, name)
        return partial(attr, session=self._session) if callable(attr) else attr


class UnitOfWork:
    """What a transaction body writes through: collections bound to the session, and ``emit``."""

    def __init__(self, store: TenantStore, session):
        self._store, self.session = store, session
        self.emitted: list[dict] = []

    def __getitem__(self, name: str) -> SessionCollection:
        if name not in self._store.collections:
            # A collection created inside a transaction is unsupported before MongoDB 4.4, and on
            # nx-27017 it lets another session's abort roll back this one's writes.
            raise LookupError(f"collection {name!r} is not declared in TenantDatabase(indexes=...)")
        return SessionCollection(self._store.db[name], self.session)

    def emit(self, event_type: str, data: dict, *, subject: str | None = None, version: int = 1,
             public: bool = False) -> dict:
        """Write an event to the outbox; the relay publishes it once the transaction commits.

        ``public`` events are outcome events for other systems, published on ``iec.outcomes``
        with the routing key ``<tenant>.<type>``.
        """
        event = new_event(self._store.service, event_type, self._store.tenant_id, data,
                          subject=subject, version=version)
        self[OUTBOX].insert_one(outbox_entry(event, public=public))
        self.emitted.append(event)
        return event

    def emit_many(self, events: Sequence[tuple[str, dict, str | None]]) -> list[dict]:
        """``emit`` for many events (``(event_type, data, subject)`` each) with one outbox insert:
        a bulk write emits thousands, and one insert each would be most of its time."""
        made = [new_event(self._store.service, event_type, self._store.tenant_id, data, subject=subject)
                for event_type, data, subject in events]
        if made:
            self[OUTBOX].insert_many([outbox_entry(event) for event in made])
            self.emitted.extend(made)
        return made


class TenantStore:
    """One tenant's database of one service, as a worker sees it."""

    def __init__(self, runtime: Runtime, tenant_id: str | None, service: str, event_id: str | None,
                 indexes: Mapping[str, Sequence[IndexModel]], idempotency_key: tuple[str, str] | None, *,
                 handler: str):
        if not handler:
            raise ValueError("a TenantStore needs the name of its worker's entrypoint (the handler)")
        self.tenant_id, self.service, self._event_id, self._handler = tenant_id, service, event_id, handler
        self._idempotency_key = idempotency_key
        self._runtime, self._indexes = runtime, {**KERNEL_INDEXES, **indexes}
        self._db: Database | None = None

    @property
    def collections(self) -> frozenset[str]:
        """The collections this service declared; the only ones a transaction may write."""
        return frozenset(self._indexes)

    @property
    def db(self) -> Database:
        """The tenant's database; resolved at first use, so workers that never touch it pay nothing."""
        if self._db is None:
            if not self._runtime.served.serves(self.tenant_id):
                # Reaching here means an entrypoint let through work for a tenant we do not serve.
                raise Forbidden(f"tenant {self.tenant_id!r} is not served by this instance")
            self._db = self._runtime.client[database_name(self.tenant_id, self.service)]
            self._ensure_collections(self._indexes)
        return self._db

    def __getitem__(self, name: str) -> Collection:
        return self.db[name]

    def already_processed(self) -> bool:
        """True if this worker's handler processed its triggering event before."""
        return bool(self._event_id) and self.db[PROCESSED].find_one(
            {"_id": processed_key(self._event_id, self._handler)}) is not None

    @contextmanager
    def transaction(self) -> Iterator[UnitOfWork]:
        """A multi-document transaction; commits on normal exit, aborts on an exception.

        In an event-triggered worker, it records the event id with the effect; a duplicate raises
        ``AlreadyProcessed`` and nothing of the body is committed. The record is written last, after the
        body: a reader that cannot isolate transactions (nx-27017 shows uncommitted writes) and sees
        the record then sees the whole effect too, so "the event is processed" means what it says.
        A transaction MongoDB aborts because a concurrent one wrote the same documents raises
        ``WriteConflict`` (409 to an HTTP caller).
        """
        try:
            with self._runtime.transaction_guard(self.db.name):
                if self.already_processed():
                    raise AlreadyProcessed(self._event_id)
                with self._runtime.client.start_session() as session, session.start_transaction():
                    unit = UnitOfWork(self, session)
                    self._record_idempotency_key(unit)
                    yield unit
                    self._record_event(unit)
        except PyMongoError as exc:
            if is_write_conflict(exc):
                raise WriteConflict() from exc
            raise
        if unit.emitted:
            self._runtime.wake_outbox(self.tenant_id)

    def _record_event(self, unit: UnitOfWork) -> None:
        if not self._event_id:
            return
        try:
            unit[PROCESSED].insert_one({"_id": processed_key(self._event_id, self._handler),
                                        "event_id": self._event_id, "handler": self._handler, "at": stamp()})
        except DuplicateKeyError:
            raise AlreadyProcessed(self._event_id) from None

    def _record_idempotency_key(self, unit: UnitOfWork) -> None:
        if self._idempotency_key is not None:
            idempotency.record_applied(unit, *self._idempotency_key)
            self._idempotency_key = None  # the worker's first transaction carries the effect

    def _ensure_collections(self, indexes: Mapping[str, Sequence[IndexModel]]) -> None:
        # Collections are created before any transaction: creating one inside a transaction is
        # not allowed on older MongoDB, and nx-27017 fails counts in databases born in an aborted one.
        db = self._db
        if self._runtime.indexes_ready(db.name):
            return
        existing = set(db.list_collection_names())
        for name, models in indexes.items():
            if name not in existing:
                try:
                    db.create_collection(name)
                except CollectionInvalid:
                    pass  # another worker made it first
            if models:
                db[name].create_indexes(list(models))
        self._runtime.mark_indexes_ready(db.name)


class TenantDatabase(DependencyProvider):
    """Gives a worker the ``TenantStore`` of the tenant in its context data.

    ``indexes`` maps collection names to the ``IndexModel``s the service needs; they are created
    the first time a process touches a tenant's database.
    """

    runtime = Runtime()
    relay = OutboxRelay()  # every service that stores also publishes what it stored

    def __init__(self, indexes: Mapping[str, Sequence[IndexModel]] | None = None):
        super().__init__()
        self.indexes = dict(indexes or {})

    def get_dependency(self, worker_ctx) -> TenantStore:
        # Only a worker started by an event records its id: context data also travels with RPC calls
        # that such a worker makes, and the callee must not record the caller's event.
        context, entrypoint = worker_ctx.context_data, worker_ctx.entrypoint
        event_id = context.get("event_id") if getattr(entrypoint, "records_event_id", False) else None
        key = None
        if getattr(entrypoint, "records_idempotency_key", False) and context.get("idempotency_key"):
            key = (context["idempotency_key"], context["idempotency_fingerprint"])
        return TenantStore(self.runtime, context.get("tenant_id"), self.runtime.service_name,
                           event_id, self.indexes, key, handler=entrypoint.method_name)


class FunderDatabases(DependencyProvider):
    """For a funder's worker: this service's databases of the tenants that granted the funder.

    The only way to read several tenants at once, and only for a funder's key, whose answers must be
    aggregates with small cells suppressed (INDICATORS.md): ``self.funder_dbs(requested)`` gives
    {tenant id: Database} for the granted (and served) tenants among ``requested`` (all if None).
    """

    runtime = Runtime()

    def get_dependency(self, worker_ctx):
        funder = worker_ctx.context_data.get("funder")

        def databases(requested: Sequence[str] | None = None) -> dict[str, Database]:
            if funder is None:
                raise Forbidden("only a funder's key reads several councils")
            granted = self.runtime.served.filter(self.runtime.registry.funder_tenants(funder))
            chosen = [t for t in granted if requested is None or t in requested]
            return {t: self.runtime.client[database_name(t, self.runtime.service_name)] for t in chosen}

        return databases

"""What every extension of a service container shares: settings, the Mongo client, the registry.

One instance per container (a nameko ``SharedExtension``). Clients are built at first use, never
at import; settings are validated in ``setup`` so that a bad environment stops the service at start.
"""
from __future__ import annotations

import time
from contextlib import AbstractContextManager, nullcontext

from eventlet.queue import Full, LightQueue
from nameko.extensions import SharedExtension
from pymongo import MongoClient
from pymongo.database import Database

from services.common.config import Settings, load_settings
from services.common.serial import SerialTransactions, lock_file
from services.common.tenancy import ServedTenants, TenantRegistry

_TENANT_CACHE_SECONDS = 2.0


def is_replica_set(client: MongoClient) -> bool:
    """True when ``client`` talks to a replica set, or to a ``mongos`` of a sharded cluster (made of
    replica sets): a deployment whose server isolates transactions. False for a standalone server,
    such as the embedded nx-27017 of tests and local runs."""
    hello = client.admin.command("hello")
    return "setName" in hello or hello.get("msg") == "isdbgrid"


def write_guard(db: Database, server: str | None = None) -> AbstractContextManager:
    """What writes to ``db`` made outside a service's workers (an ``iec`` command) run under: the guard
    of the workers' transactions on that database (``Runtime.transaction_guard``), so that on a server
    that does not isolate transactions they never land inside a worker's open one.

    ``server`` is the MONGO_URI the services run with (default: this process's settings'): the lock is
    one per server address and database, the workers' own.
    """
    if is_replica_set(db.client):
        return nullcontext()
    return SerialTransactions(lock_file(server or load_settings().mongo_uri, db.name))


class Runtime(SharedExtension):
    """Settings, Mongo client, tenant registry and the outbox wake-up signal of one container."""

    def __init__(self) -> None:
        super().__init__()
        self._settings: Settings | None = None
        self._client: MongoClient | None = None
        self._tenants: tuple[float, list[str]] = (0.0, [])
        self._outbox_wakeup: LightQueue = LightQueue(maxsize=1)
        self._ready_indexes: set[str] = set()
        self._dirty_tenants: set[str] = set()
        self._locks: dict[str, SerialTransactions] = {}
        self._serialize: bool | None = None

    def setup(self) -> None:
        self.settings  # noqa: B018 - validate the environment now, not at the first request

    def stop(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    @property
    def service_name(self) -> str:
        """The nameko service name, which is also our service's short name."""
        return self.container.service_name

    @property
    def amqp_uri(self) -> str:
        """The broker URI from nameko's config (``AMQP_URI``)."""
        return self.container.config["AMQP_URI"]

    @property
    def settings(self) -> Settings:
        """Our validated settings."""
        if self._settings is None:
            self._settings = load_settings()
        return self._settings

    @property
    def client(self) -> MongoClient:
        """The container's one MongoClient."""
        if self._client is None:
            self._client = MongoClient(self.settings.mongo_uri, tz_aware=True,
                                       serverSelectionTimeoutMS=5000, connectTimeoutMS=5000)
        return self._client

    @property
    def served(self) -> ServedTenants:
        """The tenants this instance serves (``SERVED_TENANTS``)."""
        return ServedTenants(self.settings.served_tenants)

    @property
    def registry(self) -> TenantRegistry:
        """The platform registry of tenants and keys."""
        return TenantRegistry(self.client)

    def served_tenant_ids(self) -> list[str]:
        """Registered tenants that this instance serves (cached for a couple of seconds)."""
        fetched_at, ids = self._tenants
        if time.monotonic() - fetched_at > _TENANT_CACHE_SECONDS:
            ids = self.served.filter(self.registry.tenant_ids())
            self._tenants = (time.monotonic(), ids)
        return ids

    def transaction_guard(self, database: str) -> AbstractContextManager:
        """What a transaction on ``database`` runs under.

        Against a replica set (MongoDB in production), nothing: the server isolates transactions.
        Against a server that is not one (the embedded nx-27017), concurrent transactions on one
        database are not isolated (an abort can undo another session's writes), so they run one
        at a time per database, across the processes of this machine (``services.common.serial``).
        """
        if self._serialize is None:
            self._serialize = not is_replica_set(self.client)
        if not self._serialize:
            return nullcontext()
        if database not in self._locks:
            self._locks[database] = SerialTransactions(lock_file(self.settings.mongo_uri, database))
        return self._locks[database]

    def indexes_ready(self, database: str) -> bool:
        """True once ``mark_indexes_ready(database)`` was called in this process."""
        return database in self._ready_indexes

    def mark_indexes_ready(self, database: str) -> None:
        """Remember that a tenant database has its collections and indexes."""
        self._ready_indexes.add(database)

    def wake_outbox(self, tenant_id: str | None = None) -> None:
        """Tell the outbox relay that ``tenant_id`` committed new entries (None: just wake it)."""
        if tenant_id is not None:
            self._dirty_tenants.add(tenant_id)
        try:
            self._outbox_wakeup.put_nowait(True)
        except Full:
            pass

    def take_dirty_tenants(self) -> set[str]:
        """The tenants that committed outbox entries in this process since the last call."""
        dirty, self._dirty_tenants = self._dirty_tenants, set()
        return dirty

    def wait_for_outbox(self, timeout: float) -> None:
        """Block until woken or ``timeout`` seconds pass."""
        try:
            self._outbox_wakeup.get(timeout=timeout)
        except Exception:  # eventlet.queue.Empty
            pass

"""Rebuilding a tenant's projections from its event log (`iec reporting rebuild <tenant>`).

The log holds every event reporting received (erased participants' quasi-identifiers already
removed); replaying it through `projector.apply` into emptied projections gives the figures the live
projections give, because the projections do not depend on the order events arrive in. No outcome
events are published by a rebuild. Safe to run again; run it while the service is quiet (events that
arrive meanwhile are in the log, and applying an event twice changes nothing).

Its writes are plain (no transaction), made under the guard of the workers' transactions on the
database (`services.common.runtime.write_guard`): on a server that does not isolate transactions
(nx-27017) they would otherwise land inside a worker's open one, and its abort would undo them.
"""

from __future__ import annotations

from pymongo.database import Database

from services.common.runtime import write_guard
from services.reporting import projector, storage
from services.reporting.storage import Db


def rebuild(db: Database) -> int:
    """Empty the projections of the tenant database `db` and replay its event log, while no worker's
    transaction is open on it; returns the count of events replayed."""
    with write_guard(db):
        return replay(db)


def replay(db: Db) -> int:
    """The rebuild itself, under the caller's guard: empty the projections, replay the log."""
    entries = storage.log_entries(db)
    storage.clear_projections(db)
    for entry in entries:
        projector.apply(db, entry, emit=None, log=False)
    return len(entries)

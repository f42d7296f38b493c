"""Rebuilding a tenant's projections from its event log (`iec reporting rebuild <tenant>`).

The log holds every event reporting received (erased participants' quasi-identifiers already
removed); replaying it through `projector.apply` into emptied projections gives the figures the live
projections give, because the projections do not depend on the order events arrive in. No outcome
events are published by a rebuild. Safe to run again; run it while the service is quiet (events that
arrive meanwhile are in the log, and applying an event twice changes nothing).
"""

from __future__ import annotations

from pymongo.database import Database

from services.reporting import projector, storage


def rebuild(db: Database) -> int:
    """Empty the projections of the tenant database `db` and replay its event log; returns the count."""
    entries = storage.log_entries(db)
    storage.clear_projections(db)
    for entry in entries:
        projector.apply(db, entry, emit=None, log=False)
    return len(entries)

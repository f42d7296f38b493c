"""Reporting's reads and writes in the tenant's database: the projections and the event log."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pymongo import ASCENDING, IndexModel

from services.common.mongo import TenantStore, UnitOfWork
from services.reporting.facts import Snapshot, by_enrolment, by_id
from services.reporting.projection import (
    COHORTS,
    EMPLOYERS,
    ENROLMENTS,
    EVENT_LOG,
    INVITATIONS,
    PARTICIPANTS,
    PROGRAMS,
    RESPONSES,
    Change,
)

# Every collection is listed, even without an index, so the kernel creates it before any transaction.
INDEXES: dict[str, list[IndexModel]] = {
    EVENT_LOG: [IndexModel([("time", ASCENDING)])],  # a rebuild replays the log in time order
    EMPLOYERS: [],
    PROGRAMS: [],
    COHORTS: [],
    PARTICIPANTS: [],
    ENROLMENTS: [],
    INVITATIONS: [IndexModel([("cohort_id", ASCENDING)])],
    RESPONSES: [IndexModel([("cohort_id", ASCENDING)])],
}


def record(tx: UnitOfWork, entry: Mapping[str, Any], changes: Iterable[Change]) -> None:
    """Log a received event and apply its changes, in the caller's transaction."""
    tx[EVENT_LOG].insert_one(dict(entry))
    for change in changes:
        if not change.fields:  # nothing known yet; an empty $set is an error in MongoDB
            continue
        tx[change.collection].update_one({"_id": change.doc_id}, {"$set": change.fields}, upsert=True)


def load_snapshot(db: TenantStore) -> Snapshot:
    """Every projection of the tenant, read for one join."""
    return Snapshot(
        employers=by_id(db[EMPLOYERS].find()),
        programs=by_id(db[PROGRAMS].find()),
        cohorts=by_id(db[COHORTS].find()),
        participants=by_id(db[PARTICIPANTS].find()),
        enrolments=by_enrolment(db[ENROLMENTS].find()),
        invitations=list(db[INVITATIONS].find()),
        responses=list(db[RESPONSES].find()),
    )

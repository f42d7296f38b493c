"""Reporting's reads and writes in the tenant's database: projections, units, cells and the event log.

Every function takes `db`: a transaction's unit of work (`tx`) in the service, or a plain pymongo
Database for a rebuild; both index collections by name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from pymongo import ASCENDING, IndexModel

from services.reporting.figures import Snapshot
from services.reporting.projection import (
    ASSESSMENTS,
    CERTIFICATIONS,
    CHANGES,
    COHORTS,
    EMPLOYERS,
    ENROLMENTS,
    ERASED,
    EVENT_LOG,
    INVITATIONS,
    MATCHES,
    PARTICIPANTS,
    PROGRAMS,
    QUASI_IDENTIFIERS,
    RESPONSES,
    Change,
    redacted,
)
from services.reporting.units import REFS

UNITS, CELLS, SCOPES = "units", "cells", "scope_totals"
_BY_EMPLOYER = [IndexModel([("employer_id", ASCENDING)])]
# Every collection is listed, even without an index, so the kernel creates it before any transaction.
INDEXES: dict[str, list[IndexModel]] = {
    EVENT_LOG: [IndexModel([("time", ASCENDING)])],  # a rebuild replays the log in time order
    EMPLOYERS: [],
    PROGRAMS: [],
    # No index on `employer_ids`: nx-27017 then answers no array-membership query (docs/storage.md).
    COHORTS: [],
    PARTICIPANTS: _BY_EMPLOYER,
    ENROLMENTS: [],
    INVITATIONS: [],
    RESPONSES: [IndexModel([("invitation_id", ASCENDING)]), IndexModel([("participant_id", ASCENDING)])],
    MATCHES: [IndexModel([("mentee_id", ASCENDING)])],
    ASSESSMENTS: _BY_EMPLOYER,
    CHANGES: _BY_EMPLOYER,
    CERTIFICATIONS: _BY_EMPLOYER,
    UNITS: [IndexModel([(ref, ASCENDING)]) for ref in REFS],
    CELLS: [],
    SCOPES: [],
}
# What a rebuild empties and refills (everything but the event log).
PROJECTIONS = tuple(name for name in INDEXES if name != EVENT_LOG)
STATE = "state"

Db = Any  # a UnitOfWork or a pymongo Database


def log(db: Db, entry: Mapping[str, Any]) -> None:
    """Keep a received event in the tenant's event log (what a rebuild replays); once per event id."""
    db[EVENT_LOG].replace_one({"_id": entry["_id"]}, dict(entry), upsert=True)


def log_entries(db: Db) -> list[dict[str, Any]]:
    """The event log in the order the events happened."""
    return list(db[EVENT_LOG].find().sort("time", ASCENDING))


def merge(db: Db, change: Change) -> None:
    """Set a change's fields on its document, creating it if it does not exist."""
    if change.fields:  # nothing known yet; an empty $set is an error in MongoDB
        db[change.collection].update_one({"_id": change.doc_id}, {"$set": change.fields}, upsert=True)


def get(db: Db, collection: str, doc_id: Any) -> dict[str, Any]:
    """A document by id, or {} (also for an unknown id)."""
    return (db[collection].find_one({"_id": doc_id}) or {}) if doc_id is not None else {}


def find(db: Db, collection: str, **where: Any) -> list[dict[str, Any]]:
    """The documents whose fields equal `where`."""
    return list(db[collection].find(where))


def is_erased(db: Db, participant_id: str) -> bool:
    """Whether the participant was erased (their later events are redacted on arrival)."""
    return get(db, PARTICIPANTS, participant_id).get(STATE) == ERASED


def erase(db: Db, participant_id: str) -> None:
    """Drop an erased participant's quasi-identifiers from the projection and the event log; the
    participant stays as an anonymous member of its cohorts (role and employer kept)."""
    participant = {key: value for key, value in get(db, PARTICIPANTS, participant_id).items()
                   if key not in QUASI_IDENTIFIERS}
    db[PARTICIPANTS].replace_one({"_id": participant_id},
                                 {**participant, "_id": participant_id, STATE: ERASED}, upsert=True)
    for field in ("data.participant_id", "data.mentee_id"):
        for entry in find(db, EVENT_LOG, **{field: participant_id}):
            if any(name in entry.get("data", {}) for name in QUASI_IDENTIFIERS):
                db[EVENT_LOG].replace_one({"_id": entry["_id"]}, redacted(entry))


# --- units, cells and scope totals -------------------------------------------------------------------

def unit(db: Db, unit_id: str) -> dict[str, Any] | None:
    """A unit's stored contribution, or None."""
    return db[UNITS].find_one({"_id": unit_id})


def unit_ids_referring_to(db: Db, ref: str, value: str) -> list[str]:
    """The units whose contribution reads the document `value` (a participant, cohort, employer...)."""
    return [doc["_id"] for doc in db[UNITS].find({ref: value}, {"_id": 1})]


def put_unit(db: Db, unit_id: str, doc: Mapping[str, Any] | None) -> None:
    """Store a unit's contribution (None: it counts for nothing any more)."""
    if doc is None:
        db[UNITS].delete_one({"_id": unit_id})
    else:
        db[UNITS].replace_one({"_id": unit_id}, {**doc, "_id": unit_id}, upsert=True)


def add_counts(db: Db, collection: str, doc_id: str, fields: Mapping[str, Any],
               counts: Mapping[str, int], sign: int) -> None:
    """Add (sign 1) or take away (sign -1) counts from a cell or scope total; one that falls to
    nothing is removed. Read, then replace: the kernel serialises a tenant's transactions."""
    current = get(db, collection, doc_id)
    summed = Counter(current.get("counts") or {})
    summed.update({key: sign * value for key, value in counts.items()})
    kept = {key: value for key, value in summed.items() if value}
    if not kept:
        db[collection].delete_one({"_id": doc_id})
        return
    db[collection].replace_one({"_id": doc_id}, {"_id": doc_id, **fields, "counts": kept}, upsert=True)


def counts_of(db: Db, collection: str, doc_id: str) -> dict[str, int]:
    """The counts of a cell or scope total ({} when there is none)."""
    return dict(get(db, collection, doc_id).get("counts") or {})


def load_snapshot(db: Db) -> Snapshot:
    """Every cell of the tenant: all a report reads."""
    return Snapshot(tuple(db[CELLS].find()))


def clear_projections(db: Db, names: Iterable[str] = PROJECTIONS) -> None:
    """Empty the projections (before a rebuild refills them from the event log)."""
    for name in names:
        db[name].delete_many({})

"""Published reports: snapshots of a report as it was published, kept so that its link keeps saying the same.

Not a projection: a rebuild of the projections from the event log leaves published reports alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pymongo import ASCENDING, IndexModel

from services.common.errors import NotFound

REPORTS = "published_reports"
INDEXES: dict[str, list[IndexModel]] = {REPORTS: [IndexModel([("published_at", ASCENDING)])]}


def keep(tx: Any, report_id: str, report: Mapping[str, Any], published_at: str) -> None:
    """Store a published report, with its id and time, in the caller's transaction."""
    tx[REPORTS].insert_one({"_id": report_id, **report, "report_id": report_id, "published_at": published_at})


def load(db: Any, report_id: str) -> dict[str, Any]:
    """The published report with this id; NotFound (also for another council's ids)."""
    found = db[REPORTS].find_one({"_id": report_id})
    if found is None:
        raise NotFound("no such report")
    found.pop("_id")
    return found

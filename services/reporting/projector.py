"""Applying one received event to reporting's projections, incrementally.

1. the event is logged (what a rebuild replays) and merged into the projection documents;
2. every unit whose contribution reads a changed document is recomputed (`units.py`);
3. the difference between its old and new contribution is added to its cells (what reports read)
   and to its scope totals (what `indicator.updated` compares, `outcomes.py`).
Applying an event twice, or events in any order, ends in the same cells: a unit's contribution is a
function of the documents, and the cells are the sum of the contributions. The same code rebuilds the
projections from the log (`rebuild.py`), with no outcome events.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from services.reporting import outcomes, projection, storage, units
from services.reporting.breakdowns import DIMENSIONS
from services.reporting.projection import (
    ASSESSMENTS,
    CERTIFICATIONS,
    CHANGES,
    COHORTS,
    EMPLOYERS,
    ENROLMENTS,
    INVITATIONS,
    MATCHES,
    PARTICIPANTS,
    PROGRAMS,
    RESPONSES,
)
from services.reporting.storage import CELLS, SCOPES, Db

Emit = Callable[[str, dict], Any]
# The document an event names, by event type: units that read it are recomputed.
_NAMES = {
    "participant.registered": "participant_id", "participant.enrolled": "participant_id",
    "participant.erased": "participant_id", "cohort.opened": "cohort_id", "cohort.completed": "cohort_id",
    "employer.registered": "employer_id", "program.created": "program_id",
}
_EMPLOYER_EVENTS = ("employer.registered", "assessment.delivered", "org_change.recorded", "trainer.certified")
_REDACTED_TYPES = ("participant.registered", "mentorship.matched")
_COHORT_KINDS = ("inv", "enr")
INTERNAL_TRAINER = "internal_trainer"


def apply(db: Db, event: Mapping[str, Any], emit: Emit | None = None, log: bool = True) -> None:
    """Apply one event (an envelope) to the projections; `emit` publishes outcome events (None: none)."""
    event = _redacted_if_erased(db, event)
    if log:
        storage.log(db, projection.log_entry(event))
    if event["type"] == "participant.erased":
        storage.erase(db, event["data"]["participant_id"])
    for change in projection.changes_for(event):
        storage.merge(db, change)
    scopes = _ScopeTracker(db)
    for unit_id in sorted(affected_units(db, event)):
        _recompute(db, unit_id, scopes, emit)
    if emit is not None:
        for data in scopes.updates():
            emit("indicator.updated", data)


def _redacted_if_erased(db: Db, event: Mapping[str, Any]) -> Mapping[str, Any]:
    if event["type"] not in _REDACTED_TYPES:
        return event
    if any(storage.is_erased(db, pid) for pid in projection.erased_ids(event)):
        return projection.redacted(event)
    return event


def affected_units(db: Db, event: Mapping[str, Any]) -> set[str]:
    """The ids of the units whose contribution may change with this event."""
    kind, data = event["type"], event["data"]
    found = set(_direct_units(db, kind, data))
    name = _NAMES.get(kind)
    if name and data.get(name):
        found.update(storage.unit_ids_referring_to(db, name, data[name]))
    return found


def _direct_units(db: Db, kind: str, data: Mapping[str, Any]) -> list[str]:
    if kind.startswith("invitation.") or kind == "response.submitted":
        return [f"inv:{data['invitation_id']}", *_leader_employer(db, kind, data)]
    if kind == "cohort.completed":
        return [f"enr:{data['cohort_id']}:{r['participant_id']}" for r in data.get("enrolments") or ()]
    if kind == "cohort.opened":
        return [f"emp:{employer}" for employer in data.get("employer_ids") or ()]
    if kind in ("participant.enrolled", "participant.withdrawn"):
        return [f"enr:{data['cohort_id']}:{data['participant_id']}", *_leader_employer(db, kind, data)]
    if kind == "participant.registered":
        return [f"mentee:{data['participant_id']}", *_leader_employer(db, kind, data)]
    if kind == "mentorship.matched":
        return [f"match:{data['match_id']}", f"mentee:{data.get('mentee_id')}"]
    if kind == "mentorship.ended":
        return [f"match:{data['match_id']}"]
    if kind in _EMPLOYER_EVENTS:
        return [f"emp:{data['employer_id']}"]
    return []


def _leader_employer(db: Db, kind: str, data: Mapping[str, Any]) -> list[str]:
    """A leader's fu12 answer can make their employer count for I11: that employer's unit."""
    participant = storage.get(db, PARTICIPANTS, data.get("participant_id"))
    employer_id = participant.get("employer_id") or data.get("employer_id")
    role = data.get("role") or participant.get("role")
    if kind == "response.submitted" and data.get("wave") not in units.ORG_CHANGES.waves:
        return []
    return [f"emp:{employer_id}"] if employer_id and role in units.ORG_CHANGES.roles else []


# --- one unit ----------------------------------------------------------------------------------------

def _recompute(db: Db, unit_id: str, scopes: _ScopeTracker, emit: Emit | None) -> None:
    old = storage.unit(db, unit_id)
    new = contribution(db, unit_id)
    doc = None if new.is_empty and not new.refs else _unit_doc(unit_id, new)
    if old is not None and doc is not None and {k: old.get(k) for k in doc} == doc:
        return
    kind = unit_id.partition(":")[0]
    if old is not None:
        _count(db, old["dims"], old["counts"], -1, kind, scopes)
    if doc is not None:
        _count(db, doc["dims"], doc["counts"], 1, kind, scopes)
    storage.put_unit(db, unit_id, doc)
    report = outcomes.advancement_reported((old or {}).get("advancement"), new.advancement)
    if emit is not None and report is not None:
        emit("advancement.reported", report)


def _unit_doc(unit_id: str, new: units.Contribution) -> dict[str, Any]:
    counts = {key: value for key, value in new.counts.items() if value}
    return {"kind": unit_id.partition(":")[0], "dims": new.dims, "counts": counts,
            "advancement": new.advancement, **new.refs}


def _count(db: Db, dims: Mapping[str, Any], counts: Mapping[str, int], sign: int, kind: str,
           scopes: _ScopeTracker) -> None:
    if not counts:
        return
    storage.add_counts(db, CELLS, cell_id(dims), {"dims": dict(dims)}, counts, sign)
    if kind in _COHORT_KINDS:
        for scope in outcomes.scopes_of(dims):
            scopes.touch(scope)
            storage.add_counts(db, SCOPES, outcomes.scope_id(scope), {"scope": scope}, counts, sign)


def cell_id(dims: Mapping[str, Any]) -> str:
    """A cell's id: its dimensions in a fixed order (blank when unknown)."""
    return "|".join(str(dims.get(name) or "") for name in DIMENSIONS)


class _ScopeTracker:
    """The scope totals an event touched, as they were before it (for `indicator.updated`)."""

    def __init__(self, db: Db):
        self._db, self._before = db, {}

    def touch(self, scope: dict[str, Any]) -> None:
        key = outcomes.scope_id(scope)
        if key not in self._before:
            self._before[key] = (scope, storage.counts_of(self._db, SCOPES, key))

    def updates(self) -> list[dict]:
        found = []
        for key, (scope, before) in self._before.items():
            found += outcomes.updates(scope, before, storage.counts_of(self._db, SCOPES, key))
        return found


# --- reading what a unit's contribution needs --------------------------------------------------------

def contribution(db: Db, unit_id: str) -> units.Contribution:
    """A unit's contribution from the projection documents as they are now."""
    kind, _, key = unit_id.partition(":")
    return _CONTRIBUTIONS[kind](db, key)


def _context(db: Db, own: Mapping[str, Any]) -> units.Context:
    cohort_id, participant_id = own.get("cohort_id"), own.get("participant_id")
    cohort = storage.get(db, COHORTS, cohort_id)
    enrolment = storage.get(db, ENROLMENTS, f"{cohort_id}:{participant_id}") if cohort_id else {}
    participant = storage.get(db, PARTICIPANTS, participant_id)
    program = storage.get(db, PROGRAMS, cohort.get("program_id") or enrolment.get("program_id"))
    ctx = units.Context(cohort, enrolment, participant, program)
    employer = storage.get(db, EMPLOYERS, units.employer_id_of(own, ctx))
    return units.Context(cohort, enrolment, participant, program, employer)


def _invitation(db: Db, invitation_id: str) -> units.Contribution:
    invitation = storage.get(db, INVITATIONS, invitation_id)
    responses = storage.find(db, RESPONSES, invitation_id=invitation_id)
    return units.invitation_unit(invitation, responses, _context(db, invitation))


def _enrolment(db: Db, key: str) -> units.Contribution:
    cohort_id, _, participant_id = key.partition(":")
    own = {"cohort_id": cohort_id, "participant_id": participant_id}
    return units.enrolment_unit(cohort_id, participant_id, _context(db, own))


def _dates(docs: list[dict], field: str, time_field: str) -> list[str]:
    return [doc.get(field) or (doc.get(time_field) or "")[:10] for doc in docs]


def _employer(db: Db, employer_id: str) -> units.Contribution:
    cohorts = storage.find(db, COHORTS, employer_ids=employer_id)
    return units.employer_unit(employer_id, units.EmployerFacts(
        employer=storage.get(db, EMPLOYERS, employer_id),
        assessed_on=_dates(storage.find(db, ASSESSMENTS, employer_id=employer_id), "delivered_on",
                           "delivered_at"),
        changed_on=_dates(storage.find(db, CHANGES, employer_id=employer_id), "adopted_on", "recorded_at"),
        leader_reported_change=_leader_reported_change(db, employer_id),
        certified_on=_dates(storage.find(db, CERTIFICATIONS, employer_id=employer_id), "certified_on",
                            "certified_at"),
        internal_cohorts_started_on=[c.get("start_date") for c in cohorts
                                     if c.get("facilitated_by") == INTERNAL_TRAINER and c.get("start_date")],
    ))


def _leader_reported_change(db: Db, employer_id: str) -> bool:
    leaders = [p["_id"] for p in storage.find(db, PARTICIPANTS, employer_id=employer_id)
               if p.get("role") in units.ORG_CHANGES.roles]
    return any(response.get("wave") in units.ORG_CHANGES.waves and units.leader_reports_change(response)
               for leader in leaders for response in storage.find(db, RESPONSES, participant_id=leader))


def _mentee(db: Db, participant_id: str) -> units.Contribution:
    participant = storage.get(db, PARTICIPANTS, participant_id)
    matches = storage.find(db, MATCHES, mentee_id=participant_id)
    matched = [match["matched_at"] for match in matches if match.get("matched_at")]
    return units.mentee_unit(participant, matched, storage.get(db, EMPLOYERS, participant.get("employer_id")))


def _match(db: Db, match_id: str) -> units.Contribution:
    match = storage.get(db, MATCHES, match_id)
    mentee = storage.get(db, PARTICIPANTS, match.get("mentee_id"))
    return units.match_unit(match, mentee, storage.get(db, EMPLOYERS, mentee.get("employer_id")))


_CONTRIBUTIONS: dict[str, Callable[[Db, str], units.Contribution]] = {
    "inv": _invitation, "enr": _enrolment, "emp": _employer, "mentee": _mentee, "match": _match,
}

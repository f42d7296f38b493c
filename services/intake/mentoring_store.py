"""Mentoring's MongoDB reads and writes: matches, and how many mentees each mentor has now.

Two rules must hold when two staff match at the same moment, so both are enforced by the database
inside the match's transaction rather than by a read before it:
- a mentee has at most one active match: the unique ``active_slot`` of ``mentoring_matches`` holds
  the mentee's id while the match is active and the match's own id once it ended;
- a mentor has at most ``capacity`` active mentees: ``mentor_loads`` keeps a counter per mentor,
  raised only by a conditional update (``active < capacity``). On MongoDB, two transactions raising
  one counter conflict, and the loser is aborted (409, try again).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from pymongo.errors import DuplicateKeyError

from services.common.errors import Conflict
from services.intake.mentoring import ACTIVE, ENDED
from services.intake.storage import (
    MENTOR_LOADS,
    MENTORING_MATCHES,
    PARTICIPANTS,
    Records,
    Writes,
    to_document,
    to_record,
)

# What ranking and matching read of a participant: never the personal (encrypted) fields.
PROFILE = {"_id": 1, "role": 1, "employer_id": 1, "occupation_noc": 1, "preferred_language": 1,
           "mentor_capacity": 1}
_INTERNAL = ("active_slot",)


def _match(document: Mapping) -> dict:
    match = to_record(document, _INTERNAL)
    if "planned_end_reached" in match:
        match["planned_end_reached"] = bool(match["planned_end_reached"])  # $set may store 1/0 (nx-27017)
    return match


def profile(records: Records, participant_id: str) -> dict | None:
    """The coded profile (role, employer, occupation, language, capacity) of a participant, or None."""
    if not isinstance(participant_id, str):
        return None
    document = records.collection(PARTICIPANTS).find_one({"_id": participant_id}, PROFILE)
    return None if document is None else to_record(document)


def mentors(records: Records) -> list[dict]:
    """The coded profiles of every mentor of the tenant."""
    found = records.collection(PARTICIPANTS).find({"role": "mentor"}, PROFILE)
    return [to_record(document) for document in found]


def active_mentees(records: Records, mentor_ids: Iterable[str]) -> dict[str, int]:
    """How many active mentees each of ``mentor_ids`` has (mentors never matched are absent)."""
    found = records.collection(MENTOR_LOADS).find({"_id": {"$in": list(mentor_ids)}})
    return {document["_id"]: document["active"] for document in found}


def find_match(records: Records, match_id: str) -> dict | None:
    """The match with this id, or None."""
    document = records.collection(MENTORING_MATCHES).find_one({"_id": match_id})
    return None if document is None else _match(document)


def add_match(tx: Writes, match: Mapping) -> None:
    """Insert an active match; Conflict (409) if its mentee has an active match already."""
    try:
        tx.collection(MENTORING_MATCHES).insert_one(to_document(match, active_slot=match["mentee_id"]))
    except DuplicateKeyError:
        raise Conflict("the mentee has an active match already",
                       fields={"mentee_id": ["Has an active match already."]}) from None


def take_mentor_place(tx: Writes, mentor_id: str, capacity: int) -> None:
    """Count one more active mentee for a mentor; Conflict (409) if the mentor is at capacity."""
    loads = tx.collection(MENTOR_LOADS)
    if loads.find_one({"_id": mentor_id}) is None:
        try:
            loads.insert_one({"_id": mentor_id, "active": 0})
        except DuplicateKeyError:  # another match of this mentor committed it meanwhile
            raise Conflict("another match of this mentor happened at the same time; try again") from None
    taken = loads.update_one({"_id": mentor_id, "active": {"$lt": capacity}}, {"$inc": {"active": 1}})
    if taken.matched_count == 0:
        raise Conflict("the mentor is at capacity",
                       fields={"mentor_id": [f"Mentors {capacity} mentee(s) already, as many as they take."]})


def end_match(tx: Writes, ended: Mapping) -> None:
    """Store an active match as ``ended`` reads, freeing its mentee and the mentor's place;
    Conflict (409) if it ended already (the condition on the status decides between two at once)."""
    change = {"$set": {"status": ENDED, "reason": ended["reason"], "ended_on": ended["ended_on"],
                       "planned_end_reached": ended["planned_end_reached"], "active_slot": ended["id"]}}
    closed = tx.collection(MENTORING_MATCHES).update_one({"_id": ended["id"], "status": ACTIVE}, change)
    if closed.matched_count == 0:
        raise Conflict("the match has ended already")
    tx.collection(MENTOR_LOADS).update_one({"_id": ended["mentor_id"], "active": {"$gt": 0}},
                                           {"$inc": {"active": -1}})

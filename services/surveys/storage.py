"""The surveys service's reads and writes in its tenant database.

Every function takes ``db``: the worker's ``TenantStore`` (plain reads) or a transaction's
``UnitOfWork`` (writes that commit with their events); both index collections by name.
State changes are conditional on the state they were read in, so two workers racing on one
invitation cannot both change it: the loser's update matches nothing.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pymongo import ASCENDING, IndexModel

from services.common.clock import stamp
from services.common.paging import page
from services.surveys.invitations import OPEN, SCHEDULED, SENT

PARTICIPANTS, INVITATIONS, TOKENS = "participants", "invitations", "tokens"
RESPONSES, INSTRUMENTS, WITHDRAWALS = "responses", "instruments", "withdrawals"
ENROLMENTS, COHORTS, MATCHES, SENDS = "enrolments", "cohorts", "matches", "sends"

INDEXES: dict[str, list[IndexModel]] = {
    PARTICIPANTS: [],
    INVITATIONS: [
        # one invitation per enrolment and wave, however often the cohort's completion arrives
        IndexModel([("participant_id", ASCENDING), ("cohort_id", ASCENDING), ("wave", ASCENDING)],
                   unique=True),
        IndexModel([("status", ASCENDING), ("due_at", ASCENDING)]),
        IndexModel([("status", ASCENDING), ("next_reminder_at", ASCENDING)]),
        IndexModel([("status", ASCENDING), ("closes_at", ASCENDING)]),
        IndexModel([("cohort_id", ASCENDING), ("wave", ASCENDING)]),
    ],
    TOKENS: [IndexModel([("invitation_id", ASCENDING)])],
    # one document per (invitation, attempt), written with its invitation.due: a second pass that
    # somehow got past the conditional update still cannot emit the same mail twice
    SENDS: [],
    ENROLMENTS: [IndexModel([("participant_id", ASCENDING)])],
    COHORTS: [],
    MATCHES: [],
    RESPONSES: [IndexModel([("invitation_id", ASCENDING)], unique=True),
                IndexModel([("participant_id", ASCENDING)])],
    INSTRUMENTS: [],
    WITHDRAWALS: [],
}

Db = Any  # a TenantStore or a UnitOfWork: both give collections by name


# --- participants --------------------------------------------------------------------------------

def participant(db: Db, participant_id: str) -> dict | None:
    """The participant projection, or None if no event about them has reached us."""
    return db[PARTICIPANTS].find_one({"_id": participant_id})


def save_participant(db: Db, doc: dict) -> None:
    """Write the whole projection of one participant."""
    db[PARTICIPANTS].replace_one({"_id": doc["_id"]}, doc, upsert=True)


# --- invitations ---------------------------------------------------------------------------------

def invitation(db: Db, invitation_id: str) -> dict | None:
    """One invitation, or None."""
    return db[INVITATIONS].find_one({"_id": invitation_id})


def invited_in_cohort(db: Db, cohort_id: str) -> set[tuple[str, str]]:
    """(participant, wave) pairs already invited in the cohort."""
    found = db[INVITATIONS].find({"cohort_id": cohort_id}, {"participant_id": 1, "wave": 1})
    return {(doc["participant_id"], doc["wave"]) for doc in found}


def invitations_of(db: Db, participant_id: str) -> list[dict]:
    """Every invitation of a participant, whatever its state."""
    return list(db[INVITATIONS].find({"participant_id": participant_id}))


def insert_invitations(db: Db, docs: list[dict]) -> None:
    """Store new invitations (a duplicate enrolment+wave raises DuplicateKeyError)."""
    if docs:
        db[INVITATIONS].insert_many(docs)


def open_invitations(db: Db, participant_id: str, cohort_id: str | None = None) -> list[dict]:
    """A participant's scheduled or sent invitations (in one cohort, if given)."""
    query: dict = {"participant_id": participant_id, "status": {"$in": list(OPEN)}}
    if cohort_id is not None:
        query["cohort_id"] = cohort_id
    return list(db[INVITATIONS].find(query))


def change_invitation(db: Db, doc: dict, changes: dict, *, match: Iterable[str] = ("status",)) -> bool:
    """Apply ``changes`` if the invitation still has the ``match`` fields it had when ``doc`` was read.

    Returns False when another worker changed it first.
    """
    query = {"_id": doc["_id"], **{field: doc[field] for field in match}}
    result = db[INVITATIONS].update_one(query, {"$set": {**changes, "updated_at": stamp()}})
    return result.modified_count == 1


def first_sends_due(db: Db, as_of: str, limit: int) -> list[dict]:
    """Scheduled invitations due by ``as_of`` whose window is still open."""
    query = {"status": SCHEDULED, "due_at": {"$lte": as_of}, "closes_at": {"$gt": as_of}}
    return list(db[INVITATIONS].find(query).sort("due_at", ASCENDING).limit(limit))


def reminders_due(db: Db, as_of: str, max_reminders: int, limit: int) -> list[dict]:
    """Sent, unanswered invitations whose next reminder is due by ``as_of`` and window still open."""
    query = {"status": SENT, "reminders": {"$lt": max_reminders}, "next_reminder_at": {"$lte": as_of},
             "closes_at": {"$gt": as_of}}
    return list(db[INVITATIONS].find(query).sort("next_reminder_at", ASCENDING).limit(limit))


def expiries_due(db: Db, as_of: str, limit: int) -> list[dict]:
    """Open invitations whose window closed by ``as_of``."""
    query = {"status": {"$in": list(OPEN)}, "closes_at": {"$lte": as_of}}
    return list(db[INVITATIONS].find(query).sort("closes_at", ASCENDING).limit(limit))


def invitation_page(db: Db, filters: dict, limit: int, after: str | None) -> dict:
    """A page (``{"items", "next"}``) of the invitations matching ``filters`` in id order, after the
    id ``after``; ``limit`` of them."""
    query = dict(filters)
    if after:
        query["_id"] = {"$gt": after}
    return page(list(db[INVITATIONS].find(query).sort("_id", ASCENDING).limit(limit + 1)), limit)


# --- tokens --------------------------------------------------------------------------------------

def add_token(db: Db, token_hash: str, invitation_id: str) -> None:
    """Remember one more link of an invitation (earlier links keep working)."""
    db[TOKENS].insert_one({"_id": token_hash, "invitation_id": invitation_id, "created_at": stamp()})


def record_send(db: Db, invitation_id: str, attempt: int, at: str) -> None:
    """The ledger of mails asked for; DuplicateKeyError if this attempt was asked for already."""
    db[SENDS].insert_one({"_id": f"{invitation_id}:{attempt}", "invitation_id": invitation_id,
                          "attempt": attempt, "at": at})


def delete_tokens(db: Db, invitation_ids: list[str]) -> int:
    """Forget every link of these invitations; returns how many."""
    return db[TOKENS].delete_many({"invitation_id": {"$in": invitation_ids}}).deleted_count


def invitation_by_token(db: Db, token_hash: str) -> dict | None:
    """The invitation a link belongs to, or None."""
    token = db[TOKENS].find_one({"_id": token_hash})
    return invitation(db, token["invitation_id"]) if token else None


# --- responses -----------------------------------------------------------------------------------

def insert_response(db: Db, doc: dict) -> None:
    """Store a response (all answers, free text included); one per invitation."""
    db[RESPONSES].insert_one(doc)


def responses_of(db: Db, participant_id: str) -> list[dict]:
    """Every response a participant gave."""
    return list(db[RESPONSES].find({"participant_id": participant_id}))


def replace_answers(db: Db, response_id: str, answers: dict, changes: dict) -> None:
    """Keep only ``answers`` in a response (erasure drops the free text), with other ``changes``."""
    db[RESPONSES].update_one({"_id": response_id}, {"$set": {"answers": answers, **changes}})


# --- instruments ---------------------------------------------------------------------------------

def own_instruments(db: Db) -> list[dict]:
    """The tenant's own instruments, as stored (``instrument`` holds the dumped definition)."""
    return list(db[INSTRUMENTS].find({}).sort([("key", ASCENDING), ("version", ASCENDING)]))


def own_instrument(db: Db, key: str, version: int) -> dict | None:
    """One of the tenant's own instruments, or None."""
    return db[INSTRUMENTS].find_one({"_id": f"{key}@{version}"})


def insert_instrument(db: Db, definition: dict) -> None:
    """Store a tenant instrument (DuplicateKeyError if that key and version exist)."""
    doc = {"_id": f"{definition['key']}@{definition['version']}", "key": definition["key"],
           "version": definition["version"], "instrument": definition, "created_at": stamp()}
    db[INSTRUMENTS].insert_one(doc)


# --- withdrawals ---------------------------------------------------------------------------------

def record_withdrawal(db: Db, participant_id: str, cohort_id: str, reason: str) -> None:
    """Remember that a participant left a cohort (their later invitations there are not made)."""
    key = f"{participant_id}:{cohort_id}"
    # the _id goes in the document too: nx-27017's replace_one(upsert) ignores the filter's (storage.md)
    doc = {"_id": key, "participant_id": participant_id, "cohort_id": cohort_id, "reason": reason,
           "at": stamp()}
    db[WITHDRAWALS].replace_one({"_id": key}, doc, upsert=True)


def withdrawn_from(db: Db, cohort_id: str) -> set[str]:
    """The participants who withdrew from the cohort."""
    return {doc["participant_id"] for doc in db[WITHDRAWALS].find({"cohort_id": cohort_id})}


def has_withdrawn(db: Db, participant_id: str, cohort_id: str) -> bool:
    """Whether the participant left the cohort."""
    return db[WITHDRAWALS].find_one({"_id": f"{participant_id}:{cohort_id}"}) is not None


# --- enrolments, cohorts and mentoring matches (what intake told us) -----------------------------

def save_enrolment(db: Db, participant_id: str, cohort_id: str, role: str) -> None:
    """The participant's role in the cohort, as last announced."""
    key = f"{participant_id}:{cohort_id}"
    doc = {"_id": key, "participant_id": participant_id, "cohort_id": cohort_id, "role": role}
    db[ENROLMENTS].replace_one({"_id": key}, doc, upsert=True)


def enrolment_role(db: Db, participant_id: str, cohort_id: str) -> str | None:
    """The participant's current role in the cohort, if announced."""
    doc = db[ENROLMENTS].find_one({"_id": f"{participant_id}:{cohort_id}"})
    return doc["role"] if doc else None


def cohort(db: Db, cohort_id: str) -> dict | None:
    """What we know of a cohort (planned dates from cohort.opened, ended_on once completed)."""
    return db[COHORTS].find_one({"_id": cohort_id})


def save_cohort(db: Db, cohort_id: str, changes: dict) -> None:
    """Merge facts about a cohort."""
    doc = {**(cohort(db, cohort_id) or {"_id": cohort_id}), **changes}
    db[COHORTS].replace_one({"_id": cohort_id}, doc, upsert=True)


def save_match(db: Db, match_id: str, mentee_id: str) -> None:
    """A mentoring match: whose follow-ups it anchors."""
    db[MATCHES].replace_one({"_id": match_id}, {"_id": match_id, "mentee_id": mentee_id}, upsert=True)


def match_mentee(db: Db, match_id: str) -> str | None:
    """The mentee of a match, if we saw it made."""
    doc = db[MATCHES].find_one({"_id": match_id})
    return doc["mentee_id"] if doc else None

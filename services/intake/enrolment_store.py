"""Enrolments' MongoDB reads and writes beyond a cohort's list (storage.py): one participant's
enrolments, bulk enrolment (the CSV import), withdrawal."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from pymongo import ASCENDING

from services.intake.storage import ENROLMENTS, Records, Writes, to_document, to_record


def enrolment(records: Records, cohort_id: str, participant_id: str) -> dict | None:
    """The participant's enrolment in the cohort (withdrawn or not), or None."""
    query = {"cohort_id": cohort_id, "participant_id": participant_id}
    found = records.collection(ENROLMENTS).find_one(query)
    return None if found is None else to_record(found)


def enrolments_of(records: Records, participant_id: str) -> list[dict]:
    """Every enrolment of a participant, oldest first."""
    found = records.collection(ENROLMENTS).find({"participant_id": participant_id})
    return [to_record(document) for document in found.sort("enrolled_at", ASCENDING)]


def add_enrolments(tx: Writes, enrolments: Sequence[Mapping]) -> None:
    """Insert enrolments of participants registered in the same transaction (none can exist yet)."""
    if enrolments:
        tx.collection(ENROLMENTS).insert_many([to_document(enrolment) for enrolment in enrolments])


def withdraw_enrolment(tx: Writes, withdrawn: Mapping) -> None:
    """Store an enrolment's withdrawal (``enrolments.withdrawn``): status, time and reason."""
    change = {key: withdrawn[key] for key in ("status", "withdrawn_at", "withdrawal_reason")}
    tx.collection(ENROLMENTS).update_one({"_id": withdrawn["id"]}, {"$set": change})

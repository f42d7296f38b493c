"""Organisational change's MongoDB reads and writes: assessments, adopted changes, certifications."""
from __future__ import annotations

from collections.abc import Mapping

from pymongo.errors import DuplicateKeyError

from services.common.errors import Conflict
from services.intake.storage import (
    ASSESSMENTS,
    CERTIFICATIONS,
    ORG_CHANGES,
    Records,
    Writes,
    to_document,
    to_record,
)


def _of_employer(records: Records, collection: str, employer_id: str) -> list[dict]:
    found = records.collection(collection).find({"employer_id": employer_id})
    return [to_record(document) for document in found]


def assessments(records: Records, employer_id: str) -> list[dict]:
    """The assessments delivered to an employer."""
    return _of_employer(records, ASSESSMENTS, employer_id)


def changes(records: Records, employer_id: str) -> list[dict]:
    """The changes an employer adopted."""
    return _of_employer(records, ORG_CHANGES, employer_id)


def certifications(records: Records, employer_id: str) -> list[dict]:
    """The certifications of an employer's people."""
    return _of_employer(records, CERTIFICATIONS, employer_id)


def recommending_assessment(records: Records, employer_id: str, recommendation_id: str) -> dict | None:
    """The employer's assessment that made the recommendation ``recommendation_id``, or None."""
    found = records.collection(ASSESSMENTS).find_one({"employer_id": employer_id,
                                                      "recommendations.id": recommendation_id})
    return None if found is None else to_record(found)


def is_certified(records: Records, participant_id: str, kind: str) -> bool:
    """Whether the participant holds a certification of ``kind``."""
    found = records.collection(CERTIFICATIONS).find_one({"participant_id": participant_id, "kind": kind})
    return found is not None


def add_assessment(tx: Writes, assessment: Mapping) -> None:
    """Insert a delivered assessment."""
    tx.collection(ASSESSMENTS).insert_one(to_document(assessment))


def add_change(tx: Writes, change: Mapping) -> None:
    """Insert an adopted change."""
    tx.collection(ORG_CHANGES).insert_one(to_document(change))


def add_certification(tx: Writes, certification: Mapping) -> None:
    """Insert a certification; Conflict (409) if the participant holds one of its kind already
    (the unique index decides between two made at once)."""
    try:
        tx.collection(CERTIFICATIONS).insert_one(to_document(certification))
    except DuplicateKeyError:
        raise Conflict(f"the participant is certified as a {certification['kind']} already") from None

"""Erasing a participant's personal data (``DELETE /v1/participants/{id}``, admin only).

What stays is what anonymous counts need, under the pseudonymous id: the participant's role,
employer and broad occupational category, and their enrolments and attendance. Names, email,
phone (sealed or not), the email index, language and years in Canada go. The remainder is a
tombstone in ``erased_participants``, not in ``participants``: nothing that reads participants
(the API, ``get_contact``, enrolment, consent) can meet it, and the unique email index never sees
a document without an email.

An erased participant no longer exists as such: a second DELETE, like any request naming them, is
a 404. ``participant.erased`` {participant_id} commits with the erasure, so that every service
removes or anonymises what it holds. The answers kept for ``Idempotency-Key`` replays that name
the participant are dropped too, at once: a registration's or consent change's answer holds their
name and email in clear, and the kernel would purge it only once its 24 hours are over.
"""
from __future__ import annotations

from collections.abc import Mapping

from services.common import idempotency
from services.common.clock import stamp
from services.common.errors import NotFound
from services.common.idempotency import IdempotencyRecords
from services.intake import event_data
from services.intake.participants import CONSENT_SCOPES
from services.intake.storage import ERASED_PARTICIPANTS, PARTICIPANTS, IntakeStore, Writes

# Everything else of the participant's document is dropped, whatever fields it has by then
# (sealed copies, index hashes): an allow-list cannot miss a field added later.
KEPT_FIELDS = ("role", "employer_id", "created_at")


def noc_category(noc: object) -> str | None:
    """The NOC broad occupational category (first digit) of a code, or None."""
    return noc[0] if isinstance(noc, str) and noc[:1].isdigit() else None


def tombstone(document: Mapping, erased_at: str) -> dict:
    """What is kept of a stored participant document once their personal data is erased."""
    kept = {field: document[field] for field in KEPT_FIELDS if field in document}
    consent = {scope: False for scope in CONSENT_SCOPES}
    return {"_id": document["_id"], **kept, "noc_category": noc_category(document.get("occupation_noc")),
            "consent": {**consent, "updated_at": erased_at}, "erased_at": erased_at}


def erase_participant(store: IntakeStore, participant_id: str) -> None:
    """Erase a participant's personal data; emits ``participant.erased``. NotFound if there is none
    in this tenant (never registered, another council's, or erased already)."""
    with store.transaction() as tx:
        document = _removed(tx, participant_id)
        if document is None:
            raise NotFound(f"no participant {participant_id}")
        tx.collection(ERASED_PARTICIPANTS).insert_one(tombstone(document, stamp()))
        _forget_answers_naming(tx, participant_id)
        tx.emit("participant.erased", event_data.participant_erased(participant_id), subject=participant_id)


def _removed(tx: Writes, participant_id: str) -> dict | None:
    """The participant's stored document, removed from ``participants``; None if there is none."""
    participants = tx.collection(PARTICIPANTS)
    document = participants.find_one({"_id": participant_id})
    # the delete is the condition: of two erasures at once, only one removes the document
    if document is None or participants.delete_one({"_id": participant_id}).deleted_count != 1:
        return None
    return document


def _forget_answers_naming(tx: Writes, participant_id: str) -> None:
    """Drop the stored answers of ``Idempotency-Key`` requests that name the participant (by id), in
    the erasure's transaction: the answer to their registration or a consent change holds their name
    and email in clear, which the kernel purges only after 24 hours (``idempotency.purge_expired``)."""
    IdempotencyRecords.forget(tx.collection(idempotency.COLLECTION), idempotency.mentions(participant_id))

"""Intake's MongoDB reads and writes, for the current worker's tenant only.

``IntakeDatabase`` is the nameko dependency: each worker gets an ``IntakeStore`` bound to its
tenant (through the kernel's ``TenantStore``), so another council's id is simply not found.
Reads answer records shaped as the API shows them (``id``, not ``_id``: ``to_record``, and
``to_document`` back, for every intake collection); writes go through ``IntakeStore.transaction()``,
whose ``Writes`` also emit events into the same transaction.

Intake's collections hold personal data (names, email, phone) only in the participant document, and
it passes only through ``_participant_document`` / ``_participant_record``, which seal and open it
with the tenant's ``FieldCipher`` (``crypto``, keys from ``keys``). The email's uniqueness is decided
on ``email_key``: the keyed hash of the normalised email (``participants.email_key``). The one copy
in clear is the kernel's: the answer to a registration or consent change sent with an
``Idempotency-Key``, kept for replays in ``idempotency_keys`` and purged after 24 hours
(``services.common.idempotency``); erasing the participant forgets it at once (``erasure``).
"""
from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.common.errors import Conflict, NotFound
from services.common.mongo import TenantDatabase, TenantStore, UnitOfWork
from services.intake.cohorts import COMPLETED, OPEN
from services.intake.crypto import FieldCipher
from services.intake.keys import KEYS, TenantKeys
from services.intake.participants import consent_choices, email_key

EMPLOYERS, PROGRAMS, COHORTS = "employers", "programs", "cohorts"
PARTICIPANTS, ENROLMENTS, ATTENDANCE = "participants", "enrolments", "attendance"
ERASED_PARTICIPANTS = "erased_participants"  # what erasure keeps of a participant (erasure.py)
MENTORING_MATCHES, MENTOR_LOADS = "mentoring_matches", "mentor_loads"  # mentoring_store.py
ASSESSMENTS, ORG_CHANGES, CERTIFICATIONS = "assessments", "org_changes", "certifications"  # org_change_store
INDEXES: dict[str, list[IndexModel]] = {
    EMPLOYERS: [],
    PROGRAMS: [],
    COHORTS: [],
    # unique: two concurrent registrations of one email cannot both commit
    PARTICIPANTS: [IndexModel([("email_key", ASCENDING)], unique=True, name="email_key_unique")],
    ENROLMENTS: [IndexModel([("cohort_id", ASCENDING), ("participant_id", ASCENDING)], unique=True,
                            name="cohort_participant_unique"),
                 IndexModel([("participant_id", ASCENDING)])],  # a participant's history (enrolment_store)
    ATTENDANCE: [IndexModel([("cohort_id", ASCENDING)])],
    KEYS: [],  # the tenant's wrapped data and index keys (services/intake/keys.py)
    ERASED_PARTICIPANTS: [],
    # unique: a mentee has one active match (active_slot: the mentee's id while active, the match's after)
    MENTORING_MATCHES: [IndexModel([("active_slot", ASCENDING)], unique=True, name="active_slot_unique")],
    MENTOR_LOADS: [],  # {_id: mentor id, active: n}, changed conditionally: capacity holds under concurrency
    ASSESSMENTS: [IndexModel([("employer_id", ASCENDING)])],
    ORG_CHANGES: [IndexModel([("employer_id", ASCENDING)])],
    CERTIFICATIONS: [IndexModel([("participant_id", ASCENDING), ("kind", ASCENDING)], unique=True,
                                name="participant_kind_unique"), IndexModel([("employer_id", ASCENDING)])],
}
# What encryption at rest covers: sealed in _participant_document, opened in _participant_record.
PERSONAL_FIELDS = ("given_name", "family_name", "email", "phone")
# What the API never shows of a record: the email index, the revision concurrent changes conflict on.
INTERNAL_FIELDS = ("email_key", "revision")


def to_record(document: Mapping, hidden: Collection[str] = ()) -> dict:
    """A stored document as the API shows it: ``id`` for ``_id``, without the ``hidden`` fields."""
    return {"id": document["_id"], **{k: v for k, v in document.items() if k != "_id" and k not in hidden}}


def to_document(record: Mapping, **extra: object) -> dict:
    """A record as stored: ``_id`` for ``id``, with the ``extra`` fields the API does not show."""
    return {"_id": record["id"], **{k: v for k, v in record.items() if k != "id"}, **extra}


def _participant_document(participant: Mapping, cipher: FieldCipher) -> dict:
    sealed = cipher.encrypt_fields(to_document(participant), PERSONAL_FIELDS)
    return {**sealed, "email_key": cipher.email_index(email_key(participant["email"]))}


def _participant_record(document: Mapping, cipher: FieldCipher) -> dict:
    record = cipher.decrypt_fields(to_record(document, INTERNAL_FIELDS), PERSONAL_FIELDS)
    # a boolean written by $set can come back as 1/0 (nx-27017)
    record["consent"] = {**record["consent"], **consent_choices(record["consent"])}
    return record


class Records:
    """Reads, through whatever gives collections: the tenant's database, or a transaction's session."""

    def __init__(self, collection: Callable[[str], Any], cipher: Callable[[], FieldCipher]):
        self._collection, self._cipher = collection, cipher

    def collection(self, name: str) -> Any:
        """A declared collection, as this reader sees it (in a transaction: bound to its session)."""
        return self._collection(name)

    def find(self, kind: str, record_id: str) -> dict | None:
        """The employer, program, cohort or participant (by collection name) with this id, or None."""
        document = self._collection(kind).find_one({"_id": record_id}) if isinstance(record_id, str) else None
        if document is None:
            return None
        if kind == PARTICIPANTS:
            return _participant_record(document, self._cipher())
        return to_record(document, INTERNAL_FIELDS)

    def get(self, kind: str, record_id: str) -> dict:
        """Like ``find``, but NotFound (404) when there is none in this tenant."""
        record = self.find(kind, record_id)
        if record is None:
            raise NotFound(f"no {kind[:-1]} {record_id}")
        return record

    def missing(self, kind: str, record_ids: Sequence[str]) -> list[str]:
        """Those of ``record_ids`` that name nothing of ``kind`` in this tenant, in the given order."""
        cursor = self._collection(kind).find({"_id": {"$in": list(record_ids)}}, {"_id": 1})
        found = {document["_id"] for document in cursor}
        return [record_id for record_id in record_ids if record_id not in found]

    def registered_emails(self, emails: Sequence[str]) -> set[str]:
        """Those of ``emails`` registered to a participant of this tenant (compared as the unique
        ``email_key`` compares them: normalised, then the tenant's keyed hash)."""
        cipher = self._cipher()
        by_key = {cipher.email_index(email_key(email)): email for email in emails}
        found = self._collection(PARTICIPANTS).find({"email_key": {"$in": list(by_key)}}, {"email_key": 1})
        return {by_key[document["email_key"]] for document in found}

    def enrolments(self, cohort_id: str) -> list[dict]:
        """A cohort's enrolments, oldest first."""
        found = self._collection(ENROLMENTS).find({"cohort_id": cohort_id}).sort("enrolled_at", ASCENDING)
        return [to_record(document) for document in found]

    def attendance(self, cohort_id: str) -> list[dict]:
        """A cohort's recorded sessions: ``{cohort_id, session_index, present, recorded_at}`` each."""
        found = self._collection(ATTENDANCE).find({"cohort_id": cohort_id})
        return [{k: d[k] for k in ("cohort_id", "session_index", "present", "recorded_at")} for d in found]


class Writes(Records):
    """A transaction's writes and reads; ``emit`` (``emit_many``) puts events in the outbox of the same
    transaction."""

    def __init__(self, unit: UnitOfWork, cipher: FieldCipher):
        super().__init__(unit.__getitem__, lambda: cipher)
        self.emit, self.emit_many = unit.emit, unit.emit_many

    def add(self, kind: str, record: Mapping) -> None:
        """Insert a new employer, program or cohort."""
        self._collection(kind).insert_one(to_document(record))

    def add_participant(self, participant: Mapping) -> None:
        """Insert a participant; Conflict (409) if the email is registered already in this tenant."""
        try:
            self._collection(PARTICIPANTS).insert_one(_participant_document(participant, self._cipher()))
        except DuplicateKeyError:
            raise Conflict("a participant with this email is registered already",
                           fields={"email": ["Already registered."]}) from None

    def add_participants(self, participants: Sequence[Mapping]) -> None:
        """Insert many participants at once (a bulk import); Conflict (409) if an email is registered."""
        documents = [_participant_document(participant, self._cipher()) for participant in participants]
        try:
            self._collection(PARTICIPANTS).insert_many(documents)
        except (DuplicateKeyError, BulkWriteError) as exc:
            duplicate = isinstance(exc, DuplicateKeyError) or any(
                error.get("code") == 11000 for error in exc.details.get("writeErrors", []))
            if not duplicate:
                raise
            raise Conflict("a participant with one of these emails is registered already") from None

    def add_enrolment(self, enrolment: Mapping) -> None:
        """Insert an enrolment; Conflict (409) if the participant is enrolled in the cohort already."""
        try:
            self._collection(ENROLMENTS).insert_one(to_document(enrolment))
        except DuplicateKeyError:
            raise Conflict("the participant is enrolled in this cohort already",
                           fields={"participant_id": ["Already enrolled."]}) from None

    def change_open_cohort(self, cohort_id: str) -> None:
        """Mark a change to an open cohort; Conflict (409) if it is completed.

        Writing the cohort document makes concurrent changes to one cohort conflict (a late
        attendance cannot slip past a completion that did not count it).
        """
        changed = self._collection(COHORTS).update_one({"_id": cohort_id, "status": OPEN},
                                                       {"$inc": {"revision": 1}})
        if changed.matched_count == 0:
            raise Conflict("the cohort is completed")

    def replace_attendance(self, cohort_id: str, session_index: int, present: Sequence[str],
                           recorded_at: str) -> None:
        """Record who was present at a session, replacing an earlier record of it."""
        # _id in the replacement too: nx-27017 does not take an upsert's _id from the filter
        key = f"{cohort_id}:{session_index}"
        document = {"_id": key, "cohort_id": cohort_id, "session_index": session_index,
                    "present": list(present), "recorded_at": recorded_at}
        self._collection(ATTENDANCE).replace_one({"_id": key}, document, upsert=True)

    def complete_cohort(self, cohort_id: str, ended_on: str, outcomes: list[dict],
                        completers: list[str]) -> None:
        """Close an open cohort with its results; Conflict (409) if it is completed already."""
        closed = self._collection(COHORTS).update_one(
            {"_id": cohort_id, "status": OPEN},
            {"$set": {"status": COMPLETED, "ended_on": ended_on, "outcomes": outcomes,
                      "completers": completers}, "$inc": {"revision": 1}})
        if closed.matched_count == 0:
            raise Conflict("the cohort is completed already")

    def set_consent(self, participant_id: str, consent: Mapping) -> None:
        """Replace a participant's consent record."""
        change = {"$set": {"consent": dict(consent)}}
        self._collection(PARTICIPANTS).update_one({"_id": participant_id}, change)


class IntakeStore(Records):
    """One tenant's intake data, as a worker sees it."""

    def __init__(self, tenant: TenantStore, keys: TenantKeys):
        super().__init__(tenant.__getitem__, lambda: keys.cipher(tenant))
        self._tenant = tenant

    @property
    def tenant_id(self) -> str | None:
        """The tenant of the current worker."""
        return self._tenant.tenant_id

    @contextmanager
    def transaction(self) -> Iterator[Writes]:
        """The unit of work (the kernel's): writes and emitted events commit together or not at all."""
        cipher = self._cipher()  # before the transaction: a tenant's first keys must persist whatever it does
        with self._tenant.transaction() as unit:
            yield Writes(unit, cipher)


class IntakeDatabase(TenantDatabase):
    """The nameko dependency: hands each worker the ``IntakeStore`` of its tenant."""

    keys = TenantKeys()  # checks IEC_MASTER_KEY when the container starts

    def __init__(self) -> None:
        super().__init__(indexes=INDEXES)

    def get_dependency(self, worker_ctx) -> IntakeStore:
        return IntakeStore(super().get_dependency(worker_ctx), self.keys)

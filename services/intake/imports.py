"""Use case: register participants from a CSV file (``POST /v1/imports/participants``).

Two passes, so that a body found too large at its end has written nothing:
1. the file is read row by row (``csv_rows``) and each row checked as a registration is: the
   participant schema, then the employer and cohort it names. The cells of good rows are spooled
   to a temporary file (in memory up to ``SPOOL_IN_MEMORY``, on disk beyond; never larger than the
   body, where the checked fields would be three times that): the body is never one string.
2. the good rows are loaded again from their cells and written ``BATCH`` at a time, each batch one
   transaction holding its participants, their enrolments and all their events, inserted in bulk
   (the embedded server writes ~12k documents/s in bulk, ~1.7k one by one).

Duplicates: a good row whose email is registered in the council already, or was on an earlier good
row of the same file, is skipped and counted in ``duplicates`` (not rejected), whatever its other
cells say: uploading a file again registers nobody twice. Whether an email is registered is read
inside the batch's transaction, and the unique email index backs it: a registration racing the
import makes the batch conflict, and the batch is read and written again. A batch that still
conflicts after ``ATTEMPTS`` makes the answer a 409: the batches before it stay written, and
uploading the file again completes the import (what was written comes back as duplicates).
"""
from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, TextIO

from services.common.clock import stamp
from services.common.errors import Conflict
from services.common.ids import new_id
from services.intake import enrolment_store, event_data
from services.intake.cohorts import COMPLETED
from services.intake.csv_rows import ParticipantRows, Row
from services.intake.participants import email_key
from services.intake.registration import new_participant
from services.intake.storage import COHORTS, EMPLOYERS, IntakeStore, Writes

MAX_BODY = 10 * 1024 * 1024
BATCH = 500  # rows per transaction: 500 participants, up to 500 enrolments, up to 1000 outbox entries
SPOOL_IN_MEMORY = 4 * 1024 * 1024
ATTEMPTS = 3
ENROLMENT_COLUMNS = ("cohort_id", "enrolment_role")
COMPLETED_COHORT = "The cohort is completed."


@dataclass
class Outcome:
    """What an import (or one batch of it) did."""

    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict] = field(default_factory=list)

    def reject(self, line: int, errors: dict) -> None:
        """Report the row starting on ``line`` as not written, with its errors by column."""
        self.rejected.append({"row": line, "errors": errors})

    def add(self, other: Outcome) -> None:
        """Count another batch's outcome in."""
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.rejected.extend(other.rejected)

    def answer(self) -> dict:
        """The 200 answer: ``{accepted, rejected [{row, errors}] (by row), duplicates}``."""
        rejected = sorted(self.rejected, key=lambda rejection: rejection["row"])
        return {"accepted": self.accepted, "rejected": rejected, "duplicates": self.duplicates}


def import_participants(store: IntakeStore, text: TextIO) -> dict:
    """Register (and enrol) the participants of a CSV file; 400 for a header that does not name the
    columns, 413 for a body over the limit (nothing written). Emits ``participant.registered``, and
    ``participant.enrolled`` for a row naming a cohort, for every row written."""
    rows = ParticipantRows(text)
    outcome = Outcome()
    with tempfile.SpooledTemporaryFile(SPOOL_IN_MEMORY, mode="w+", encoding="utf-8") as spool:
        _check_rows(store, rows, outcome, spool)
        spool.seek(0)
        for batch in _batches(rows, spool):
            outcome.add(_write_batch(store, batch))
    return outcome.answer()


def _check_rows(store: IntakeStore, rows: ParticipantRows, outcome: Outcome, spool: IO[str]) -> None:
    references, seen = _References(store), set()
    for row in rows:
        errors = row.errors or references.problems(row.fields)
        if errors:
            outcome.reject(row.line, errors)
            continue
        key = email_key(row.fields["email"])
        if key in seen:
            outcome.duplicates += 1
            continue
        seen.add(key)
        spool.write(json.dumps([row.line, row.cells]) + "\n")


class _References:
    """Checks the employer and cohort a row names; each id is looked up once per import."""

    def __init__(self, store: IntakeStore):
        self._store, self._found = store, {}

    def problems(self, fields: Mapping) -> dict[str, list[str]]:
        problems = {}
        if fields["employer_id"] is not None and self._find(EMPLOYERS, fields["employer_id"]) is None:
            problems["employer_id"] = ["Unknown employer."]
        if fields["cohort_id"] is not None:
            cohort = self._find(COHORTS, fields["cohort_id"])
            if cohort is None or cohort["status"] == COMPLETED:
                problems["cohort_id"] = ["Unknown cohort." if cohort is None else COMPLETED_COHORT]
        return problems

    def _find(self, kind: str, record_id: str) -> dict | None:
        if (kind, record_id) not in self._found:
            self._found[kind, record_id] = self._store.find(kind, record_id)
        return self._found[kind, record_id]


def _batches(rows: ParticipantRows, spool: IO[str]) -> Iterator[list[Row]]:
    batch = []
    for spooled in spool:
        batch.append(rows.load(*json.loads(spooled)))  # good in the first pass: good again
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _write_batch(store: IntakeStore, batch: list[Row]) -> Outcome:
    for _ in range(ATTEMPTS - 1):
        try:
            return _write_once(store, batch)
        except Conflict:
            # a registration or a completion committed between this batch's reads and its writes:
            # read again (what conflicted is then a duplicate or a completed cohort) and write again
            continue
    return _write_once(store, batch)


def _write_once(store: IntakeStore, batch: list[Row]) -> Outcome:
    with store.transaction() as tx:
        return _register(tx, batch)


def _register(tx: Writes, batch: list[Row]) -> Outcome:
    outcome, writes = Outcome(), _BatchWrites(stamp())
    registered = tx.registered_emails([row.fields["email"] for row in batch])
    cohorts = _open_cohorts(tx, {row.fields["cohort_id"] for row in batch} - {None})
    for row in batch:
        fields, cohort_id = row.fields, row.fields["cohort_id"]
        if fields["email"] in registered:
            outcome.duplicates += 1
        elif cohort_id is not None and cohort_id not in cohorts:
            outcome.reject(row.line, {"cohort_id": [COMPLETED_COHORT]})  # completed since the check
        else:
            writes.register(fields, cohorts.get(cohort_id))
    writes.commit_to(tx)
    outcome.accepted = len(writes.participants)
    return outcome


def _open_cohorts(tx: Writes, cohort_ids: Iterable[str]) -> dict[str, dict]:
    found = {cohort_id: tx.find(COHORTS, cohort_id) for cohort_id in cohort_ids}
    return {cohort_id: cohort for cohort_id, cohort in found.items()
            if cohort is not None and cohort["status"] != COMPLETED}


@dataclass
class _BatchWrites:
    """What one batch writes: participants, their enrolments, and the events of both
    (``(type, data, subject)``, for ``emit_many``)."""

    at: str
    participants: list[dict] = field(default_factory=list)
    enrolments: list[dict] = field(default_factory=list)
    events: list[tuple[str, dict, str]] = field(default_factory=list)

    def register(self, fields: Mapping, cohort: Mapping | None) -> None:
        """A row's participant, enrolled in ``cohort`` if it names one."""
        registration = {k: v for k, v in fields.items() if k not in ENROLMENT_COLUMNS}
        participant = new_participant(registration, self.at)
        self.participants.append(participant)
        self._event("participant.registered", event_data.participant_registered(participant), participant)
        if cohort is not None:
            enrolment = {"id": new_id("enr"), "cohort_id": cohort["id"], "participant_id": participant["id"],
                         "role": fields["enrolment_role"] or participant["role"], "enrolled_at": self.at}
            self.enrolments.append(enrolment)
            enrolled = event_data.participant_enrolled(enrolment, cohort, participant)
            self._event("participant.enrolled", enrolled, participant)

    def _event(self, event_type: str, data: dict, participant: Mapping) -> None:
        self.events.append((event_type, data, participant["id"]))

    def commit_to(self, tx: Writes) -> None:
        """Write it all in ``tx``, with one insert per collection."""
        for cohort_id in sorted({enrolment["cohort_id"] for enrolment in self.enrolments}):
            tx.change_open_cohort(cohort_id)  # conflicts with a completion of the cohort at the same time
        if self.participants:
            tx.add_participants(self.participants)
        enrolment_store.add_enrolments(tx, self.enrolments)
        tx.emit_many(self.events)

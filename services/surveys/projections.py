"""What intake's events do to the surveys service: each function is one event's whole effect.

Each runs in ONE transaction, so the effect, its events and the event id (idempotency) commit
together; a redelivered event raises ``AlreadyProcessed`` before anything is written.
The schedule is the invitations themselves: every wave an enrolment will get is stored, with the
moment it falls due, as soon as the event that fixes that moment arrives.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from services.common import idempotency
from services.common.clock import local_day, parse_stamp, stamp
from services.common.idempotency import IdempotencyRecords
from services.common.mongo import TenantStore, UnitOfWork
from services.surveys import catalog, storage
from services.surveys import invitations as rules
from services.surveys.answers import coded_answers
from services.surveys.invitations import Enrolment
from services.surveys.participants import after_consent_change, after_registration, erased

MENTORING = "mentoring"


def participant_registered(store: TenantStore, data: dict, at: str) -> None:
    """Learn a participant's role, language and consent."""
    with store.transaction() as tx:
        current = storage.participant(tx, data["participant_id"])
        storage.save_participant(tx, after_registration(current, data, at))


def consent_changed(store: TenantStore, data: dict, at: str, now: datetime) -> None:
    """Learn a participant's new consent; without survey consent their open invitations are cancelled."""
    with store.transaction() as tx:
        current = storage.participant(tx, data["participant_id"])
        updated = after_consent_change(current, data, at)
        storage.save_participant(tx, updated)
        if not bool(updated.get("consent", {}).get("surveys", True)):
            _cancel_all(tx, storage.open_invitations(tx, data["participant_id"]), rules.CONSENT, now)


def cohort_opened(store: TenantStore, data: dict) -> None:
    """Remember the cohort's planned dates (a baseline is not asked once it has ended)."""
    with store.transaction() as tx:
        storage.save_cohort(tx, data["cohort_id"], {"start_date": data["start_date"].isoformat(),
                                                    "end_date": data["end_date"].isoformat(),
                                                    "program_kind": data["program_kind"]})


def participant_enrolled(store: TenantStore, data: dict, timezone: str, now: datetime) -> None:
    """Schedule the baseline, due at once, unless the cohort has ended or the participant left it."""
    enrolment = Enrolment(data["participant_id"], data["cohort_id"], data["role"], data["program_kind"])
    with store.transaction() as tx:
        storage.save_enrolment(tx, enrolment.participant_id, enrolment.cohort_id, enrolment.role)
        if not rules.cohort_has_ended(storage.cohort(tx, enrolment.cohort_id), now, timezone):
            _schedule(tx, [enrolment], ("baseline",), local_day(now, timezone), timezone, now)


def cohort_completed(store: TenantStore, cohort: dict, timezone: str, now: datetime) -> None:
    """Schedule post (now), fu3 (end + 90 days) and fu12 (end + 365) for every enrolment not yet
    invited to them nor withdrawn; anchored on the day the cohort really ended."""
    cohort_id, kind = cohort["cohort_id"], cohort.get("program_kind", "")
    enrolments = [Enrolment(each["participant_id"], cohort_id, each["role"], kind)
                  for each in cohort["enrolments"] if not each.get("withdrawn")]
    with store.transaction() as tx:
        storage.save_cohort(tx, cohort_id, {"ended_on": cohort["ended_on"].isoformat(), "program_kind": kind})
        for each in enrolments:
            storage.save_enrolment(tx, each.participant_id, cohort_id, each.role)
        _schedule(tx, enrolments, rules.COMPLETION_WAVES, cohort["ended_on"], timezone, now)


def mentorship_matched(store: TenantStore, data: dict) -> None:
    """Remember whose match it is: its end anchors the mentee's follow-ups."""
    with store.transaction() as tx:
        storage.save_match(tx, data["match_id"], data["mentee_id"])


def mentorship_ended(store: TenantStore, data: dict, at: str, timezone: str, now: datetime) -> None:
    """Schedule the mentee's fu3 and fu12 after the match's end; the match id is their cohort id.

    The end is ``ended_on``, else the council's day at the event's time ``at`` (its "today" then)."""
    ended_on = data["ended_on"] or local_day(parse_stamp(at), timezone)
    with store.transaction() as tx:
        mentee_id = data.get("mentee_id") or storage.match_mentee(tx, data["match_id"])
        if mentee_id is None:
            raise LookupError(f"match {data['match_id']} ended before we saw it made: retried later")
        enrolment = Enrolment(mentee_id, data["match_id"], "mentee", MENTORING)
        storage.save_enrolment(tx, mentee_id, data["match_id"], "mentee")
        _schedule(tx, [enrolment], rules.FOLLOW_UPS, ended_on, timezone, now)


def participant_withdrawn(store: TenantStore, data: dict, now: datetime) -> None:
    """Cancel the participant's open invitations in the cohort."""
    with store.transaction() as tx:
        storage.record_withdrawal(tx, data["participant_id"], data["cohort_id"], data.get("reason", ""))
        found = storage.open_invitations(tx, data["participant_id"], data["cohort_id"])
        _cancel_all(tx, found, rules.WITHDRAWN, now)


def participant_erased(store: TenantStore, participant_id: str, now: datetime) -> None:
    """Erasure: cancel open invitations, forget their links, keep only coded answers, and keep no
    language or consent; the pseudonymous id stays as a tombstone so no late event revives them.
    The answers kept for ``Idempotency-Key`` replays that name their invitations or responses go too:
    a paper response's answer holds its free text."""
    with store.transaction() as tx:
        storage.save_participant(tx, erased(participant_id, stamp(now)))
        _cancel_all(tx, storage.open_invitations(tx, participant_id), rules.ERASED, now)
        invitation_ids = [each["_id"] for each in storage.invitations_of(tx, participant_id)]
        storage.delete_tokens(tx, invitation_ids)
        responses = storage.responses_of(tx, participant_id)
        for response in responses:
            instrument = catalog.find(tx, response["instrument_key"], response["instrument_version"])
            storage.replace_answers(tx, response["_id"], coded_answers(instrument, response["answers"]),
                                    {"language": "", "erased_at": stamp(now)})
        naming = idempotency.mentions(participant_id, *invitation_ids, *(each["_id"] for each in responses))
        IdempotencyRecords.forget(tx[idempotency.COLLECTION], naming)


def _schedule(tx: UnitOfWork, enrolments: Iterable[Enrolment], waves: Iterable[str], anchor: date,
              timezone: str, now: datetime) -> None:
    planned, seen, cohorts = [], set(), set()
    for enrolment in enrolments:
        if enrolment.cohort_id not in cohorts:
            cohorts.add(enrolment.cohort_id)
            seen |= {(pid, wave, enrolment.cohort_id)
                     for pid, wave in storage.invited_in_cohort(tx, enrolment.cohort_id)}
        if storage.has_withdrawn(tx, enrolment.participant_id, enrolment.cohort_id):
            continue
        for wave in waves:
            key = (enrolment.participant_id, wave, enrolment.cohort_id)
            if key in seen:
                continue
            seen.add(key)
            instrument = catalog.instrument_for(tx, wave, enrolment.role)
            due_at = rules.due_at_for(wave, anchor, timezone, now)
            invitation = rules.new_invitation(enrolment, wave, instrument, due_at, timezone)
            if invitation is not None:
                planned.append(invitation)
    # a concurrent duplicate raises DuplicateKeyError (unique participant+cohort+wave): the
    # transaction aborts and the event's retry sees the invitations already there
    storage.insert_invitations(tx, planned)
    for invitation in planned:
        tx.emit("invitation.scheduled", rules.scheduled_event(invitation), subject=invitation["_id"])


def _cancel_all(tx: UnitOfWork, found: list[dict], reason: str, now: datetime) -> None:
    for invitation in found:
        cancel(tx, invitation, reason, now)


def cancel(tx: UnitOfWork, invitation: dict, reason: str, now: datetime) -> bool:
    """Cancel one invitation in the transaction ``tx`` if it is still as read; emits the event."""
    changes = {"status": rules.CANCELLED, "reason": reason, "ended_at": stamp(now)}
    if not storage.change_invitation(tx, invitation, changes):
        return False
    tx.emit("invitation.cancelled", rules.cancelled_event(invitation, reason), subject=invitation["_id"])
    return True

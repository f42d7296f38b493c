"""What intake's events do to the surveys service: each function is one event's whole effect.

Each runs in ONE transaction, so the effect, its events and the event id (idempotency) commit
together; a redelivered event raises ``AlreadyProcessed`` before anything is written.
"""
from __future__ import annotations

from datetime import datetime

from services.common.clock import stamp
from services.common.mongo import TenantStore
from services.surveys import invitations as rules
from services.surveys import storage
from services.surveys.instruments import standard_instrument_for
from services.surveys.participants import after_consent_change, after_registration

POST_WAVE = "post"


def participant_registered(store: TenantStore, data: dict, at: str) -> None:
    """Learn a participant's role, language and consent."""
    with store.transaction() as tx:
        current = storage.participant(tx, data["participant_id"])
        storage.save_participant(tx, after_registration(current, data, at))


def consent_changed(store: TenantStore, data: dict, at: str) -> None:
    """Learn a participant's new consent; it counts when their next invitation falls due."""
    with store.transaction() as tx:
        current = storage.participant(tx, data["participant_id"])
        storage.save_participant(tx, after_consent_change(current, data, at))


def cohort_completed(store: TenantStore, cohort: dict, timezone: str, now: datetime) -> list[dict]:
    """Schedule the post-program invitation of every enrolment not yet invited nor withdrawn.

    Returns the invitations made (none when this completion was seen before under another id).
    """
    instrument = standard_instrument_for(POST_WAVE)
    due_at = rules.due_at_for(cohort["ended_on"], timezone, now)
    with store.transaction() as tx:
        skip = storage.invited_in_cohort(tx, cohort["cohort_id"], POST_WAVE)
        skip |= storage.withdrawn_from(tx, cohort["cohort_id"])
        planned = rules.plan_invitations(cohort, POST_WAVE, instrument, due_at, skip)
        # a concurrent duplicate raises DuplicateKeyError: the transaction aborts, the retry sees it
        storage.insert_invitations(tx, planned)
        for invitation in planned:
            tx.emit("invitation.scheduled", rules.scheduled_event(invitation), subject=invitation["_id"])
    return planned


def participant_withdrawn(store: TenantStore, data: dict, now: datetime) -> int:
    """Cancel the participant's open invitations in the cohort; returns how many."""
    with store.transaction() as tx:
        storage.record_withdrawal(tx, data["participant_id"], data["cohort_id"], data.get("reason", ""))
        found = storage.open_invitations(tx, data["participant_id"], data["cohort_id"])
        return sum(cancel(tx, invitation, "withdrawn", now) for invitation in found)


def cancel(tx, invitation: dict, reason: str, now: datetime) -> bool:
    """Cancel one invitation in the transaction ``tx`` if it is still as read; emits the event."""
    changes = {"status": rules.CANCELLED, "reason": reason, "ended_at": stamp(now)}
    if not storage.change_invitation(tx, invitation, changes):
        return False
    tx.emit("invitation.cancelled", {"invitation_id": invitation["_id"], "reason": reason},
            subject=invitation["_id"])
    return True

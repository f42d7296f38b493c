"""The due-work pass: send what fell due, remind who has not answered, expire what closed.

``run_due_pass(store, as_of)`` is all of it, as of one instant: the timer runs it with the current
time, ``POST /v1/scheduler/run`` with the instant an operator (or a test) names. Each invitation's
change commits with its event in its own transaction, and the change is conditional on the state
the pass read (status, reminders sent), so passes running at once never send anything twice:
the loser's update matches nothing (or, on MongoDB, its transaction hits a write conflict).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime

from pymongo.errors import DuplicateKeyError

from services.common.clock import stamp
from services.common.errors import WriteConflict
from services.common.mongo import TenantStore, UnitOfWork
from services.common.tokens import new_public_token, token_digest
from services.surveys import catalog, storage
from services.surveys import invitations as rules
from services.surveys.instruments import items_for_role
from services.surveys.links import respondent_link
from services.surveys.projections import cancel

BATCH = 500  # per step and pass; what is left goes out on the next tick


def run_due_pass(store: TenantStore, as_of: datetime, *, base_url: str, timezone: str) -> dict:
    """Run every step as of ``as_of``, on ``BATCH`` invitations each at most; returns the counts (see
    ``summary``). An invitation another pass dealt with first counts nowhere: that pass counts it."""
    at, done = stamp(as_of), []
    for invitation in storage.first_sends_due(store, at, BATCH):
        done.append(_guarded(_mail, store, invitation, as_of, base_url, timezone))
    for invitation in storage.reminders_due(store, at, rules.MAX_REMINDERS, BATCH):
        done.append(_guarded(_mail, store, invitation, as_of, base_url, timezone))
    for invitation in storage.expiries_due(store, at, BATCH):
        done.append(_guarded(_expire, store, invitation, as_of))
    return summary(Counter(outcome for outcome in done if outcome is not None))


def summary(outcomes: Counter) -> dict:
    """The pass's answer: ``due`` counts the ``invitation.due`` events emitted (first links and
    reminders), ``sent`` the invitations sent for the first time; the rest say what else happened."""
    sent, reminded = outcomes["sent"], outcomes["reminded"]
    return {"due": sent + reminded, "sent": sent, "reminded": reminded, "expired": outcomes["expired"],
            "cancelled": outcomes["cancelled"], "waiting": outcomes["waiting"]}


def _guarded(step: Callable[..., str | None], store: TenantStore, invitation: dict, *args) -> str | None:
    """The step's outcome; None when another pass dealt with the invitation first."""
    try:
        return step(store, invitation, *args)
    except DuplicateKeyError:
        return None  # the ledger already has this mail: another pass asked for it
    except WriteConflict:
        return None  # another pass changed this invitation first; it did the work


def _context(store: TenantStore, invitation: dict) -> rules.SendContext:
    participant_id, cohort_id = invitation["participant_id"], invitation["cohort_id"]
    return rules.SendContext(storage.participant(store, participant_id),
                             storage.has_withdrawn(store, participant_id, cohort_id),
                             storage.cohort(store, cohort_id))


def _mail(store: TenantStore, invitation: dict, as_of: datetime, base_url: str, timezone: str) -> str | None:
    """The first mail of a scheduled invitation, or the next reminder of a sent one; or, if what we
    know now says so, its cancellation."""
    decision = rules.send_decision(invitation, _context(store, invitation), as_of, timezone)
    if decision == rules.WAIT:
        return "waiting"
    with store.transaction() as tx:
        if decision != rules.SEND:
            return "cancelled" if cancel(tx, invitation, decision, as_of) else None
        if invitation["status"] == rules.SCHEDULED:
            changes = rules.sent_changes(as_of, timezone, _role_now(store, invitation))
            outcome = "sent"
        else:
            changes = rules.reminded_changes(invitation, as_of, timezone)
            outcome = "reminded"
        if not storage.change_invitation(tx, invitation, changes, match=("status", "reminders")):
            return None
        _send_link(tx, store.tenant_id, {**invitation, **changes}, base_url, changes["reminders"], as_of)
    return outcome


def _role_now(store: TenantStore, invitation: dict) -> str:
    """The participant's role in the cohort as intake last said, if the pinned instrument asks it anything."""
    role = storage.enrolment_role(store, invitation["participant_id"], invitation["cohort_id"])
    instrument = catalog.find(store, invitation["instrument_key"], invitation["instrument_version"])
    return role if role and items_for_role(instrument, role) else invitation["role"]


def _expire(store: TenantStore, invitation: dict, as_of: datetime) -> str | None:
    with store.transaction() as tx:
        if not storage.change_invitation(tx, invitation, {"status": rules.EXPIRED, "ended_at": stamp(as_of)}):
            return None
        tx.emit("invitation.expired", {"invitation_id": invitation["_id"]}, subject=invitation["_id"])
    return "expired"


def _send_link(tx: UnitOfWork, tenant_id: str, invitation: dict, base_url: str, attempt: int,
               as_of: datetime) -> None:
    # Each mail gets a fresh link; the earlier ones keep working until the invitation closes.
    storage.record_send(tx, invitation["_id"], attempt, stamp(as_of))
    token = new_public_token(tenant_id)
    storage.add_token(tx, token_digest(token), invitation["_id"])
    link = respondent_link(base_url, token)
    tx.emit("invitation.due", rules.due_event(invitation, link, attempt), subject=invitation["_id"])

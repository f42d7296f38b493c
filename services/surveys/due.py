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

from pymongo.errors import PyMongoError

from services.common.clock import stamp
from services.common.mongo import TenantStore, UnitOfWork
from services.surveys import invitations as rules
from services.surveys import storage
from services.surveys.links import new_token, respondent_link, token_hash
from services.surveys.projections import cancel

BATCH = 500  # per step and pass; what is left goes out on the next tick


def run_due_pass(store: TenantStore, as_of: datetime, *, base_url: str, limit: int = BATCH) -> dict:
    """Run every step as of ``as_of``; returns the counts (see ``summary``)."""
    at = stamp(as_of)
    outcomes: Counter = Counter()
    for invitation in storage.first_sends_due(store, at, limit):
        outcomes[_guarded(_first_send, store, invitation, as_of, base_url)] += 1
    for invitation in storage.reminders_due(store, at, rules.MAX_REMINDERS, limit):
        outcomes[_guarded(_remind, store, invitation, as_of, base_url)] += 1
    for invitation in storage.expiries_due(store, at, limit):
        outcomes[_guarded(_expire, store, invitation, as_of)] += 1
    return summary(outcomes)


def summary(outcomes: Counter) -> dict:
    """The pass's answer: ``due`` counts the ``invitation.due`` events emitted (first links and
    reminders), ``sent`` the invitations sent for the first time; the rest say what else happened."""
    sent, reminded = outcomes["sent"], outcomes["reminded"]
    return {"due": sent + reminded, "sent": sent, "reminded": reminded, "expired": outcomes["expired"],
            "cancelled": outcomes["cancelled"], "waiting": outcomes["waiting"]}


def _guarded(step: Callable[..., str], store: TenantStore, invitation: dict, *args) -> str:
    try:
        return step(store, invitation, *args)
    except PyMongoError as exc:
        if exc.has_error_label("TransientTransactionError"):
            return "lost"  # another pass changed this invitation first; it did the work
        raise


def _first_send(store: TenantStore, invitation: dict, as_of: datetime, base_url: str) -> str:
    decision = rules.send_decision(storage.participant(store, invitation["participant_id"]))
    if decision is rules.Decision.WAIT:
        return "waiting"
    with store.transaction() as tx:
        if decision is rules.Decision.CANCEL:
            return "cancelled" if cancel(tx, invitation, "consent", as_of) else "lost"
        if not storage.change_invitation(tx, invitation, rules.sent_changes(as_of)):
            return "lost"
        _send_link(tx, store.tenant_id, invitation, base_url, attempt=0)
    return "sent"


def _remind(store: TenantStore, invitation: dict, as_of: datetime, base_url: str) -> str:
    # A participant who withdrew survey consent after the first mail gets no reminder.
    decision = rules.send_decision(storage.participant(store, invitation["participant_id"]))
    with store.transaction() as tx:
        if decision is rules.Decision.CANCEL:
            return "cancelled" if cancel(tx, invitation, "consent", as_of) else "lost"
        changes = rules.reminded_changes(invitation, as_of)
        if not storage.change_invitation(tx, invitation, changes, match=("status", "reminders")):
            return "lost"
        _send_link(tx, store.tenant_id, invitation, base_url, attempt=changes["reminders"])
    return "reminded"


def _expire(store: TenantStore, invitation: dict, as_of: datetime) -> str:
    with store.transaction() as tx:
        if not storage.change_invitation(tx, invitation, {"status": rules.EXPIRED, "ended_at": stamp(as_of)}):
            return "lost"
        tx.emit("invitation.expired", {"invitation_id": invitation["_id"]}, subject=invitation["_id"])
    return "expired"


def _send_link(tx: UnitOfWork, tenant_id: str, invitation: dict, base_url: str, attempt: int) -> None:
    # Each mail gets a fresh link; the earlier ones keep working until the invitation closes.
    token = new_token(tenant_id)
    storage.add_token(tx, token_hash(token), invitation["_id"])
    link = respondent_link(base_url, token)
    tx.emit("invitation.due", rules.due_event(invitation, link, attempt), subject=invitation["_id"])

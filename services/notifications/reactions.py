"""What the notifications service does with each event it consumes, in one transaction per event.

The kernel records the event's id in that same transaction, so a redelivered event changes
nothing. Each reaction queues the emails the event causes (``causes``) and the webhook
deliveries of the councils' subscriptions to its type (``webhook_store.fan_out``); nothing is
sent here: the sending pass (``sending``, ``webhook_sending``) does that, under the sending rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bson import ObjectId

from services.common.clock import stamp
from services.common.mongo import TenantStore, UnitOfWork
from services.notifications import causes, queue, rules, webhook_store
from services.notifications.storage import Cohorts, record_erasure


def _new_id() -> str:
    return str(ObjectId())


def react(store: TenantStore, event: Mapping[str, Any],
          queued: Callable[[UnitOfWork, str], list[dict]] | None = None) -> None:
    """Queue what ``event`` causes (``queued(tx, at)``) and its webhook deliveries."""
    with store.transaction() as tx:
        if queued:
            queue.enqueue(tx, queued(tx, stamp()))
        webhook_store.fan_out(tx, event)


def invitation_due(store: TenantStore, event: Mapping[str, Any], due: Mapping[str, Any]) -> None:
    """``invitation.due``: the invitation or a reminder."""
    react(store, event, lambda tx, at: causes.invitation_due(event, due, _new_id, at))


def response_submitted(store: TenantStore, event: Mapping[str, Any], response: Mapping[str, Any]) -> None:
    """``response.submitted``: a thank-you."""
    react(store, event, lambda tx, at: causes.response_submitted(event, response, _new_id, at))


def mentorship_matched(store: TenantStore, event: Mapping[str, Any], match: Mapping[str, Any]) -> None:
    """``mentorship.matched``: an introduction to each side."""
    react(store, event, lambda tx, at: causes.mentorship_matched(event, match, _new_id, at))


def cohort_opened(store: TenantStore, event: Mapping[str, Any], cohort: Mapping[str, Any],
                  timezone: str) -> None:
    """``cohort.opened``: session reminders for whoever is enrolled already."""
    def queued(tx: UnitOfWork, at: str) -> list[dict]:
        enrolled = Cohorts(tx).opened(cohort["cohort_id"], list(cohort["sessions"]))
        return causes.session_reminders(cohort["cohort_id"], cohort["sessions"], enrolled, timezone,
                                        _new_id, at)
    react(store, event, queued)


def participant_enrolled(store: TenantStore, event: Mapping[str, Any], enrolment: Mapping[str, Any],
                         timezone: str) -> None:
    """``participant.enrolled``: session reminders, if the cohort's sessions are known."""
    def queued(tx: UnitOfWork, at: str) -> list[dict]:
        sessions = Cohorts(tx).enrolled(enrolment["cohort_id"], enrolment["participant_id"])
        if sessions is None:
            return []
        return causes.session_reminders(enrolment["cohort_id"], sessions, [enrolment["participant_id"]],
                                        timezone, _new_id, at)
    react(store, event, queued)


def participant_withdrawn(store: TenantStore, event: Mapping[str, Any],
                          withdrawal: Mapping[str, Any]) -> None:
    """``participant.withdrawn``: no more reminders of that cohort's sessions."""
    def queued(tx: UnitOfWork, at: str) -> list[dict]:
        queue.cancel_queued(tx, {"participant_id": withdrawal["participant_id"],
                                 "template": rules.SESSION_REMINDER,
                                 "context.cohort_id": withdrawal["cohort_id"]}, rules.WITHDRAWN)
        return []
    react(store, event, queued)


def participant_erased(store: TenantStore, event: Mapping[str, Any], erased: Mapping[str, Any]) -> None:
    """``participant.erased``: cancel their queued mail, forget their links, never mail them again."""
    participant_id = erased["participant_id"]

    def queued(tx: UnitOfWork, at: str) -> list[dict]:
        queue.cancel_queued(tx, {"participant_id": participant_id}, rules.ERASED)
        queue.cancel_queued(tx, {"context.other_id": participant_id}, rules.ERASED)  # introductions to them
        record_erasure(tx, participant_id)
        return []
    react(store, event, queued)

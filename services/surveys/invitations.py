"""Invitations: when a wave falls due and closes, what the due-work pass decides, what events say.

An invitation asks one enrolment (participant x cohort) to answer one wave's instrument. Its life:
``scheduled`` -> ``sent`` (first link out; up to 2 reminders, 7 days apart) -> ``responded``; or
``expired`` once its window closes; or ``cancelled`` (withdrawn, no survey consent, erased).
Times are aware datetimes here; storage keeps them as stamps. This module does no I/O.
"""
from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta
from enum import Enum
from zoneinfo import ZoneInfo

from services.common.clock import stamp
from services.surveys.instruments import Instrument, items_for_role

SCHEDULED, SENT, RESPONDED, EXPIRED, CANCELLED = "scheduled", "sent", "responded", "expired", "cancelled"
STATUSES = (SCHEDULED, SENT, RESPONDED, EXPIRED, CANCELLED)
OPEN = (SCHEDULED, SENT)
WINDOW_DAYS = {"baseline": 30, "post": 30, "fu3": 30, "fu12": 45}  # INDICATORS.md, Waves
MAX_REMINDERS = 2
REMINDER_INTERVAL = timedelta(days=7)


class Decision(Enum):
    """What the due-work pass does with an invitation whose moment has come."""

    WAIT = "wait"  # we do not know the participant yet: their registration has not reached us
    CANCEL = "cancel"  # no consent to be surveyed
    SEND = "send"


def start_of_day(day: date, timezone: str) -> datetime:
    """Midnight at the start of ``day`` in the council's time zone."""
    return datetime.combine(day, time(0), ZoneInfo(timezone))


def due_at_for(day: date, timezone: str, now: datetime) -> datetime:
    """When a wave dated ``day`` falls due: the start of that day locally, or now if that has passed."""
    return max(start_of_day(day, timezone), now)


def closes_at_for(due_at: datetime, wave: str) -> datetime:
    """The end of the wave's window (30 days; fu12 45)."""
    return due_at + timedelta(days=WINDOW_DAYS[wave])


def invitation_id() -> str:
    """A new invitation id (server-made, opaque)."""
    return f"inv_{secrets.token_hex(8)}"


def plan_invitations(cohort: dict, wave: str, instrument: Instrument, due_at: datetime,
                     skip: set[str]) -> list[dict]:
    """New invitations for the cohort's enrolments, one each, except participants in ``skip``.

    ``skip`` holds those already invited to this wave of the cohort and those who withdrew from it;
    a role the instrument has no items for is not invited.
    """
    closes_at = closes_at_for(due_at, wave)
    planned, seen = [], set(skip)
    for enrolment in cohort["enrolments"]:
        participant_id, role = enrolment["participant_id"], enrolment["role"]
        if participant_id in seen or not items_for_role(instrument, role):
            continue
        seen.add(participant_id)
        planned.append(_new_invitation(cohort, participant_id, role, wave, instrument, due_at, closes_at))
    return planned


def _new_invitation(cohort: dict, participant_id: str, role: str, wave: str, instrument: Instrument,
                    due_at: datetime, closes_at: datetime) -> dict:
    return {"_id": invitation_id(), "participant_id": participant_id, "cohort_id": cohort["cohort_id"],
            "wave": wave, "role": role, "program_kind": cohort.get("program_kind", ""),
            "instrument_key": instrument.key, "instrument_version": instrument.version,
            "status": SCHEDULED, "due_at": stamp(due_at), "closes_at": stamp(closes_at),
            "reminders": 0, "next_reminder_at": stamp(closes_at), "reason": "", "created_at": stamp()}


def send_decision(participant: dict | None) -> Decision:
    """Whether an invitation that fell due (or whose reminder did) goes out, waits or is cancelled.

    Consent is checked now rather than at scheduling: a consent change may arrive in any order
    with the cohort's completion, and only the latest word counts.
    """
    if participant is None or not bool(participant.get("registered")):
        return Decision.WAIT
    if not bool(participant.get("consent", {}).get("surveys")):
        return Decision.CANCEL
    return Decision.SEND


def sent_changes(as_of: datetime) -> dict:
    """What an invitation's first sending sets."""
    return {"status": SENT, "sent_at": stamp(as_of), "reminders": 0,
            "next_reminder_at": stamp(as_of + REMINDER_INTERVAL)}


def reminded_changes(invitation: dict, as_of: datetime) -> dict:
    """What one more reminder sets."""
    return {"reminders": invitation["reminders"] + 1, "next_reminder_at": stamp(as_of + REMINDER_INTERVAL)}


def is_open_at(invitation: dict, moment: datetime) -> bool:
    """Whether the invitation can still be answered at ``moment``."""
    return invitation["status"] in OPEN and invitation["closes_at"] > stamp(moment)


def scheduled_event(invitation: dict) -> dict:
    """``invitation.scheduled`` data (EVENTS.md plus role and program_kind, docs/events.md)."""
    keys = ("participant_id", "cohort_id", "wave", "instrument_key", "due_at", "closes_at", "role",
            "program_kind")
    return {"invitation_id": invitation["_id"], **{key: invitation[key] for key in keys}}


def due_event(invitation: dict, link: str, attempt: int) -> dict:
    """``invitation.due`` data: attempt 0 is the first mail, 1 and 2 the reminders."""
    keys = ("participant_id", "wave", "cohort_id", "closes_at", "instrument_key")
    return {"invitation_id": invitation["_id"], "link": link, "attempt": attempt,
            **{key: invitation[key] for key in keys}}


def public_view(invitation: dict) -> dict:
    """An invitation as the API shows it (no token ever leaves the service this way)."""
    keys = ("participant_id", "cohort_id", "wave", "role", "program_kind", "instrument_key",
            "instrument_version", "status", "due_at", "closes_at", "reminders", "reason", "created_at")
    view = {"id": invitation["_id"], **{key: invitation.get(key) for key in keys}}
    moments = ("sent_at", "responded_at", "ended_at")  # present once they happened
    view.update({key: invitation[key] for key in moments if key in invitation})
    return view

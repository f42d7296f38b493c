"""Invitations: when each wave falls due and closes, what the due-work pass decides, what events say.

An invitation asks one enrolment (participant x cohort, or mentee x match) to answer one wave's
instrument. Its life: ``scheduled`` -> ``sent`` (first link out; up to 2 reminders, 7 days apart)
-> ``responded``; or ``expired`` once its window closes; or ``cancelled`` (withdrawn, no survey
consent, erased, or a baseline whose cohort ended before it went out).

Time rules (INDICATORS.md, Waves; docs/surveys.md): the waves an event starts (``baseline`` at
enrolment, ``post`` at the cohort's completion) go out at once; a wave dated in the future
(``fu3`` at end + 90 days, ``fu12`` at end + 365, or a post for a cohort ending later) goes out at
09:00 on that day in the council's time zone, and so do reminders, 7 days after the previous mail.
Windows are counted in local days, so a window that crosses a DST change still closes at the same
wall-clock time. This module does no I/O.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.common.clock import local_day, parse_stamp, stamp
from services.common.ids import new_id
from services.surveys.instruments import Instrument, items_for_role

SCHEDULED, SENT, RESPONDED, EXPIRED, CANCELLED = "scheduled", "sent", "responded", "expired", "cancelled"
STATUSES = (SCHEDULED, SENT, RESPONDED, EXPIRED, CANCELLED)
OPEN = (SCHEDULED, SENT)
WAVE_OFFSET_DAYS = {"baseline": 0, "post": 0, "fu3": 90, "fu12": 365}  # INDICATORS.md, Waves
WINDOW_DAYS = {"baseline": 30, "post": 30, "fu3": 30, "fu12": 45}
IMMEDIATE_WAVES = ("baseline", "post")  # started by an event: sent as soon as their day has come
FOLLOW_UPS = ("fu3", "fu12")
COMPLETION_WAVES = ("post", "fu3", "fu12")
MAX_REMINDERS = 2
REMINDER_DAYS = 7
SEND_TIME = time(9, 0)

# why an invitation is cancelled (EVENTS.md; `cohort_ended` is ours, docs/events.md)
WITHDRAWN, CONSENT, ERASED, COHORT_ENDED = "withdrawn", "consent", "erased", "cohort_ended"
REASONS = (WITHDRAWN, CONSENT, ERASED, COHORT_ENDED)
WAIT = "wait"  # the participant's registration has not reached us: decide on a later pass
SEND = "send"


def send_moment(day: date, timezone: str) -> datetime:
    """09:00 on ``day`` in the council's time zone (zoneinfo makes it DST-correct)."""
    return datetime.combine(day, SEND_TIME, ZoneInfo(timezone))


def due_at_for(wave: str, anchor: date, timezone: str, now: datetime) -> datetime:
    """When ``wave`` of an enrolment anchored on ``anchor`` (enrolment day or end day) falls due."""
    day = anchor + timedelta(days=WAVE_OFFSET_DAYS[wave])
    if wave in IMMEDIATE_WAVES and day <= local_day(now, timezone):
        return now
    return max(send_moment(day, timezone), now)


def closes_at_for(due_at: datetime, wave: str, timezone: str) -> datetime:
    """The end of the wave's window: 30 local days after it fell due (fu12: 45)."""
    local = due_at.astimezone(ZoneInfo(timezone))
    # aware arithmetic keeps the wall-clock time, then the zone gives that day's offset
    return (local + timedelta(days=WINDOW_DAYS[wave])).astimezone(ZoneInfo(timezone))


def next_reminder_at(mailed_at: datetime, timezone: str) -> datetime:
    """09:00 local on the 7th day after a mail."""
    return send_moment(local_day(mailed_at, timezone) + timedelta(days=REMINDER_DAYS), timezone)


@dataclass(frozen=True)
class Enrolment:
    """Who is invited: a participant in a cohort (or a mentee in a match) with their role there."""

    participant_id: str
    cohort_id: str
    role: str
    program_kind: str = ""


def new_invitation(enrolment: Enrolment, wave: str, instrument: Instrument, due_at: datetime,
                   timezone: str) -> dict | None:
    """A scheduled invitation, or None when the instrument asks nothing of the enrolment's role."""
    if not items_for_role(instrument, enrolment.role):
        return None
    closes_at = closes_at_for(due_at, wave, timezone)
    return {"_id": new_id("inv"), "participant_id": enrolment.participant_id,
            "cohort_id": enrolment.cohort_id, "wave": wave, "role": enrolment.role,
            "program_kind": enrolment.program_kind, "instrument_key": instrument.key,
            "instrument_version": instrument.version, "status": SCHEDULED, "due_at": stamp(due_at),
            "closes_at": stamp(closes_at), "reminders": 0, "next_reminder_at": stamp(closes_at),
            "reason": "", "created_at": stamp()}


@dataclass(frozen=True)
class SendContext:
    """What the due pass reads at send time, never frozen at scheduling."""

    participant: dict | None
    withdrawn: bool = False
    cohort: dict | None = None


def send_decision(invitation: dict, context: SendContext, as_of: datetime, timezone: str) -> str:
    """``send``, ``wait``, or the reason to cancel, for an invitation (or reminder) whose moment came.

    Consent, withdrawal and erasure are read now: they may arrive in any order with the events
    that scheduled the invitation, and only the latest word counts.
    """
    participant = context.participant or {}
    if participant.get("state") == "erased":
        return ERASED
    if context.withdrawn:
        return WITHDRAWN
    if not bool(participant.get("registered")):
        return WAIT
    if not bool(participant.get("consent", {}).get("surveys")):
        return CONSENT
    if invitation["wave"] == "baseline" and invitation["status"] == SCHEDULED and \
            cohort_has_ended(context.cohort, as_of, timezone):
        return COHORT_ENDED
    return SEND


def cohort_has_ended(cohort: dict | None, moment: datetime, timezone: str) -> bool:
    """Whether the cohort's last day (the real one once completed, else the planned) has come by ``moment``.

    A baseline asked on or after the last day measures nothing: the post wave takes over.
    """
    last = (cohort or {}).get("ended_on") or (cohort or {}).get("end_date")  # the real end, else the plan
    return bool(last) and date.fromisoformat(last) <= local_day(moment, timezone)


def sent_changes(as_of: datetime, timezone: str, role: str) -> dict:
    """What an invitation's first sending sets (the role as read at send time)."""
    return {"status": SENT, "sent_at": stamp(as_of), "reminders": 0, "role": role,
            "next_reminder_at": stamp(next_reminder_at(as_of, timezone))}


def reminded_changes(invitation: dict, as_of: datetime, timezone: str) -> dict:
    """What one more reminder sets."""
    return {"reminders": invitation["reminders"] + 1,
            "next_reminder_at": stamp(next_reminder_at(as_of, timezone))}


def is_open_at(invitation: dict, moment: datetime) -> bool:
    """Whether the invitation can still be answered at ``moment``."""
    return invitation["status"] in OPEN and parse_stamp(invitation["closes_at"]) > moment


def scheduled_event(invitation: dict) -> dict:
    """``invitation.scheduled`` data (EVENTS.md plus role, program_kind, instrument_version)."""
    keys = ("participant_id", "cohort_id", "wave", "instrument_key", "due_at", "closes_at", "role",
            "program_kind", "instrument_version")
    return {"invitation_id": invitation["_id"], **{key: invitation[key] for key in keys}}


def due_event(invitation: dict, link: str, attempt: int) -> dict:
    """``invitation.due`` data: attempt 0 is the first mail, 1 and 2 the reminders."""
    keys = ("participant_id", "wave", "cohort_id", "closes_at", "instrument_key", "role", "program_kind")
    return {"invitation_id": invitation["_id"], "link": link, "attempt": attempt,
            **{key: invitation.get(key, "") for key in keys}}


def cancelled_event(invitation: dict, reason: str) -> dict:
    """``invitation.cancelled`` data (+ participant_id, cohort_id, wave for reporting's joins)."""
    return {"invitation_id": invitation["_id"], "reason": reason,
            **{key: invitation[key] for key in ("participant_id", "cohort_id", "wave")}}


def public_view(invitation: dict) -> dict:
    """An invitation as the API shows it (no token ever leaves the service this way)."""
    keys = ("participant_id", "cohort_id", "wave", "role", "program_kind", "instrument_key",
            "instrument_version", "status", "due_at", "closes_at", "reminders", "reason", "created_at")
    view = {"id": invitation["_id"], **{key: invitation.get(key) for key in keys}}
    moments = ("sent_at", "responded_at", "ended_at")  # present once they happened
    view.update({key: invitation[key] for key in moments if key in invitation})
    return view

"""Which emails an event asks for: the queued notifications it causes. No I/O.

Events carry ids only; what a mail needs about people (names, addresses, language, consent) is
fetched from intake when the mail is sent, never stored here. What is stored is what the
templates need besides: the survey link, the wave, the session's date and topic, the match's ids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from services.common.clock import parse_stamp
from services.notifications import rules, schedule

NewId = Callable[[], str]


def invitation_due(event: Mapping[str, Any], due: Mapping[str, Any], new_id: NewId, at: str) -> list[dict]:
    """``invitation.due``: the invitation (attempt 0) or a reminder, to the participant."""
    context = {key: due.get(key) for key in ("wave", "link", "closes_at", "cohort_id", "instrument_key")}
    return [rules.new_notification(new_id(), rules.template_for(due["attempt"]), due["participant_id"],
                                   event["id"], at, context=context, invitation_id=due["invitation_id"],
                                   attempt=due["attempt"])]


def response_submitted(event: Mapping[str, Any], response: Mapping[str, Any], new_id: NewId,
                       at: str) -> list[dict]:
    """``response.submitted``: a thank-you to the participant who answered."""
    context = {"wave": response["wave"], "cohort_id": response.get("cohort_id")}
    return [rules.new_notification(new_id(), rules.THANK_YOU, response["participant_id"], event["id"], at,
                                   context=context, invitation_id=response.get("invitation_id") or "")]


def mentorship_matched(event: Mapping[str, Any], match: Mapping[str, Any], new_id: NewId,
                       at: str) -> list[dict]:
    """``mentorship.matched``: an introduction to each side, naming the other."""
    mentor, mentee = match["mentor_id"], match["mentee_id"]
    sides = (("mentor", mentor, mentee), ("mentee", mentee, mentor))
    return [rules.new_notification(new_id(), rules.MENTOR_MATCH, recipient, event["id"], at,
                                   context={"role": role, "other_id": other, "match_id": match["match_id"],
                                            "planned_end": match.get("planned_end")})
            for role, recipient, other in sides]


def session_reminders(cohort_id: str, sessions: Iterable[Mapping[str, Any]], participant_ids: Iterable[str],
                      timezone: str, new_id: NewId, at: str) -> list[dict]:
    """A reminder the day before each session still to come, to each enrolled participant.

    A session whose day has begun by ``at`` gets none: a reminder after the fact helps nobody.
    """
    queued = []
    now = parse_stamp(at)
    for index, session in enumerate(sessions):
        day = date.fromisoformat(session["date"])
        not_before, expires_at = schedule.session_reminder_window(day, timezone)
        if parse_stamp(expires_at) <= now:
            continue
        context = {"cohort_id": cohort_id, "session_index": index, "session_date": session["date"],
                   "topic": session.get("topic") or ""}
        queued += [rules.new_notification(new_id(), rules.SESSION_REMINDER, participant_id,
                                          session_cause(cohort_id, index), at, context=context,
                                          not_before=not_before, expires_at=expires_at)
                   for participant_id in participant_ids]
    return queued


def session_cause(cohort_id: str, index: int) -> str:
    """The cause of a session reminder: the session, whichever event completed the picture."""
    return f"{cohort_id}#{index}"

"""Use cases of mentoring: suggesting mentors for a mentee, matching them, ending a match.

Each function takes the worker's ``IntakeStore`` and input already checked by ``mentoring_schemas``;
the ranking rule is ``mentoring``'s, the guarantees under concurrency ``mentoring_store``'s.
"""
from __future__ import annotations

from collections.abc import Mapping

from marshmallow import ValidationError

from services.common.clock import stamp
from services.common.errors import Conflict, NotFound
from services.common.ids import new_id
from services.intake import event_data, mentoring, mentoring_store
from services.intake.storage import IntakeStore


def suggestions(store: IntakeStore, mentee_id: str, limit: int) -> dict:
    """The best available mentors for a mentee, with score and reasons (ids only, no names)."""
    mentee = mentoring_store.profile(store, mentee_id)
    if mentee is None or mentee["role"] != "mentee":
        raise ValidationError({"mentee_id": ["Not a mentee of this council."]})
    mentors = mentoring_store.mentors(store)
    active = mentoring_store.active_mentees(store, [mentor["id"] for mentor in mentors])
    return {"mentee_id": mentee_id, "items": mentoring.suggest(mentee, mentors, active, limit),
            "scoring": mentoring.SCORING}


def match(store: IntakeStore, fields: Mapping) -> dict:
    """Match a mentor with a mentee (409: mentor at capacity, mentee matched already);
    emits ``mentorship.matched``."""
    mentor = mentoring_store.profile(store, fields["mentor_id"])
    mentee = mentoring_store.profile(store, fields["mentee_id"])
    problems = mentoring.problems_with_pair(mentor, mentee)
    if problems:
        raise ValidationError(problems)
    created = mentoring.new_match(new_id("mat"), mentor, mentee, fields["planned_end"], stamp())
    with store.transaction() as tx:
        mentoring_store.add_match(tx, created)
        mentoring_store.take_mentor_place(tx, mentor["id"], mentoring.capacity(mentor))
        tx.emit("mentorship.matched", event_data.mentorship_matched(created), subject=created["id"])
    return created


def end(store: IntakeStore, match_id: str, fields: Mapping, today: str) -> dict:
    """End an active match on ``today`` (the council's day; 409 if it ended already); emits
    ``mentorship.ended``."""
    active = get_match(store, match_id)
    if active["status"] != mentoring.ACTIVE:
        raise Conflict("the match has ended already")
    ended = mentoring.ended(active, fields["reason"], fields["planned_end_reached"], today)
    with store.transaction() as tx:
        mentoring_store.end_match(tx, ended)
        tx.emit("mentorship.ended", event_data.mentorship_ended(ended), subject=match_id)
    return ended


def get_match(store: IntakeStore, match_id: str) -> dict:
    """The match; NotFound (404) when there is none in this tenant."""
    found = mentoring_store.find_match(store, match_id)
    if found is None:
        raise NotFound(f"no match {match_id}")
    return found

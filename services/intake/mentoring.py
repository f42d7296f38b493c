"""Mentoring: which mentors to suggest for a mentee, in what order, and why. No I/O.

The ranking is lexicographic in what matters to a council: the closer the mentor's occupation to
the mentee's (NOC 2021: the 5-digit unit group, then the 2-digit major group, then the 1-digit broad
category), the higher; at equal closeness, a mentor with the mentee's preferred language comes
first; then the mentor with the fewest active mentees, then the id (so the order is deterministic).
``SCORING`` is that rule as data: its points are chosen so that no language bonus lifts a mentor
over one a level closer in occupation, and a perfect fit scores 100.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from marshmallow import ValidationError

DEFAULT_CAPACITY = 1  # mentees at a time, unless the mentor said more
MAX_CAPACITY = 20
ACTIVE, ENDED = "active", "ended"
END_REASONS = ("completed", "mentee_employed", "mentee_withdrew", "mentor_withdrew", "poor_fit", "other")
LANGUAGE_NAMES = {"en": "English", "fr": "French"}


@dataclass(frozen=True)
class Criterion:
    """One thing a mentor can share with a mentee, worth ``points`` of the 0..100 score."""

    code: str
    points: int
    text: str  # formatted with ``code`` (the shared NOC prefix) or ``language``
    noc_digits: int = 0  # for occupation: how many leading NOC digits must be equal


# Occupation levels from the closest; only the closest one a mentor reaches counts.
OCCUPATION = (
    Criterion("same_noc_unit_group", 80, "Same occupation (NOC {code})", noc_digits=5),
    Criterion("same_noc_major_group", 55, "Same occupational major group (NOC {code})", noc_digits=2),
    Criterion("same_noc_broad_category", 30, "Same broad occupational category (NOC {code})", noc_digits=1),
)
LANGUAGE = Criterion("same_language", 20, "Same preferred language ({language})")
SCORING = {criterion.code: criterion.points for criterion in (*OCCUPATION, LANGUAGE)}


def capacity(mentor: Mapping) -> int:
    """How many mentees a mentor takes at a time."""
    return mentor.get("mentor_capacity") or DEFAULT_CAPACITY


def check_capacity_holder(role: str, mentor_capacity: int | None) -> None:
    """Raise ValidationError if someone other than a mentor states a mentor capacity."""
    if mentor_capacity is not None and role != "mentor":
        raise ValidationError({"mentor_capacity": ["Only a mentor has a mentor capacity."]})


def check_planned_end(planned_end: str, today: str) -> None:
    """Raise ValidationError unless a match's planned end (ISO date) is after ``today``."""
    if planned_end <= today:  # ISO dates compare as text
        raise ValidationError(f"Must be after today ({today}).")


def fit(mentee: Mapping, mentor: Mapping) -> tuple[int, list[dict]]:
    """The score (0..100) of ``mentor`` for ``mentee`` and the reasons for it, closest first."""
    reasons = []
    occupation = _closest_occupation(mentee["occupation_noc"], mentor["occupation_noc"])
    if occupation is not None:
        shared = mentee["occupation_noc"][:occupation.noc_digits]
        reasons.append((occupation, occupation.text.format(code=shared)))
    if mentee["preferred_language"] == mentor["preferred_language"]:
        language = LANGUAGE_NAMES.get(mentee["preferred_language"], mentee["preferred_language"])
        reasons.append((LANGUAGE, LANGUAGE.text.format(language=language)))
    score = sum(criterion.points for criterion, _ in reasons)
    return score, [{"code": criterion.code, "text": text} for criterion, text in reasons]


def _closest_occupation(mentee_noc: str, mentor_noc: str) -> Criterion | None:
    for level in OCCUPATION:
        if mentee_noc[:level.noc_digits] == mentor_noc[:level.noc_digits]:
            return level
    return None


def available(mentee: Mapping, mentor: Mapping, active: int) -> bool:
    """Whether ``mentor`` may be suggested: below capacity, and not from the mentee's own employer."""
    employer_id = mentee.get("employer_id")
    same_employer = employer_id is not None and mentor.get("employer_id") == employer_id
    return active < capacity(mentor) and not same_employer and mentor["id"] != mentee["id"]


def suggest(mentee: Mapping, mentors: Iterable[Mapping], active: Mapping[str, int], limit: int) -> list[dict]:
    """The ``limit`` best available mentors for ``mentee``: ``{mentor_id, score, reasons}`` each.

    ``active`` is the number of active mentees per mentor id (absent: none).
    """
    ranked = []
    for mentor in mentors:
        load = active.get(mentor["id"], 0)
        if available(mentee, mentor, load):
            score, reasons = fit(mentee, mentor)
            ranked.append(((-score, load, mentor["id"]), {"mentor_id": mentor["id"], "score": score,
                                                          "reasons": reasons}))
    ranked.sort(key=lambda entry: entry[0])
    return [suggestion for _, suggestion in ranked[:limit]]


def new_match(match_id: str, mentor: Mapping, mentee: Mapping, planned_end: str, created_at: str) -> dict:
    """An active match of ``mentor`` and ``mentee``, scored as the suggestions would score it."""
    score, _ = fit(mentee, mentor)
    return {"id": match_id, "mentor_id": mentor["id"], "mentee_id": mentee["id"],
            "occupation_noc": mentee["occupation_noc"], "score": score, "planned_end": planned_end,
            "status": ACTIVE, "created_at": created_at}


def ended(match: Mapping, reason: str, planned_end_reached: bool, ended_on: str) -> dict:
    """``match`` as it reads once ended on ``ended_on``."""
    return {**match, "status": ENDED, "reason": reason, "planned_end_reached": planned_end_reached,
            "ended_on": ended_on}


def problems_with_pair(mentor: Mapping | None, mentee: Mapping | None) -> dict[str, list[str]]:
    """What keeps these two participants (None: unknown id) from being matched, by field."""
    problems = {}
    if mentor is None or mentor["role"] != "mentor":
        problems["mentor_id"] = ["Not a mentor of this council." if mentor else "Unknown participant."]
    if mentee is None or mentee["role"] != "mentee":
        problems["mentee_id"] = ["Not a mentee of this council." if mentee else "Unknown participant."]
    return problems

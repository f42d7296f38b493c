"""What one unit contributes to the figures: the cell it is counted in and its counts. No I/O.

A unit is what an indicator counts: an invitation (with its response) for the survey-based ones, an
enrolment in a completed cohort (I1), an employer (I11, I12), a mentee (M1), a match (M2). Its
contribution is recomputed from the projection documents whenever one of them changes, whatever order
the events came in, and the cells hold the sum of the contributions (projector.py); so a report sums
a few cells and never reads the responses again.

Counts are named `<indicator>_n` (numerator), `_d` (denominator), `_inv` (invited), `_resp`
(responded); I8 keeps its numbers as `I8_v_<number>` counts (the median needs them all); M1 keeps its
unmatched mentees as `M1_pending`, who join the denominator once registered 60 days (figures.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from services.common.clock import parse_stamp
from services.reporting import indicators, rules
from services.reporting.breakdowns import dims_of

Doc = Mapping[str, Any]
_EMPTY: Doc = MappingProxyType({})
MENTORING = "mentoring"
MATCH_WITHIN_DAYS = 60
# Invitations that reached the participant; scheduled ones have not yet, cancelled ones never will.
SENT_STATUSES = frozenset({"sent", "responded", "expired"})
# The invitation's times (projection.py) by the status they mean, most decisive first, a response aside.
_STATUS_BY_TIME = (("cancelled", "cancelled_at"), ("expired", "expired_at"), ("sent", "last_sent_at"))
REFS = ("participant_id", "cohort_id", "employer_id", "program_id")
# The indicator whose counted answers `advancement.reported` tells (its item and date item are read).
ADVANCED = indicators.get("I7")
# The indicator an employer's leaders' answers count for when they name a change (of its item, waves, roles).
ORG_CHANGES = indicators.get("I11")


@dataclass(frozen=True)
class Contribution:
    """A unit's cell (`dims`), its `counts`, the ids whose change recomputes it (`refs`), and, for a
    fu12 answer that counts for I7, what `advancement.reported` says (`advancement`)."""

    dims: dict[str, Any] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    refs: dict[str, Any] = field(default_factory=dict)
    advancement: dict[str, Any] | None = None

    @property
    def is_empty(self) -> bool:
        """True when the unit counts for nothing (yet)."""
        return not any(self.counts.values())


@dataclass(frozen=True)
class Context:
    """The projection documents a unit is joined with (any may still be missing)."""

    cohort: Doc = field(default_factory=dict)
    enrolment: Doc = field(default_factory=dict)
    participant: Doc = field(default_factory=dict)
    program: Doc = field(default_factory=dict)
    employer: Doc = field(default_factory=dict)


def _first(*values: Any) -> Any:
    return next((value for value in values if value is not None), None)


def joined(own: Doc, ctx: Context) -> dict[str, Any]:
    """What a unit is about, the more specific document first: the role of the response or invitation
    over the enrolment's over the participant's; the enrolment's employer over the participant's."""
    cohort, enrolment, participant = ctx.cohort, ctx.enrolment, ctx.participant
    return {
        "participant_id": _first(own.get("participant_id"), enrolment.get("participant_id")),
        "cohort_id": _first(own.get("cohort_id"), enrolment.get("cohort_id")),
        "program_id": _first(cohort.get("program_id"), enrolment.get("program_id")),
        "program_kind": _first(cohort.get("program_kind"), enrolment.get("program_kind"),
                               ctx.program.get("kind"), own.get("program_kind")),
        "employer_id": _first(enrolment.get("employer_id"), participant.get("employer_id")),
        "employer_size": ctx.employer.get("size_class"),
        "role": _first(own.get("role"), enrolment.get("role"), participant.get("role")),
        "wave": own.get("wave"),
        "cohort_ended_on": cohort.get("ended_on"),
        "years_in_canada": participant.get("years_in_canada"),
        "occupation_noc": participant.get("occupation_noc"),
        "preferred_language": participant.get("preferred_language"),
    }


def employer_id_of(own: Doc, ctx: Context) -> str | None:
    """The employer a unit is joined with (to find the employer document)."""
    return _first(ctx.enrolment.get("employer_id"), ctx.participant.get("employer_id"),
                  own.get("employer_id"))


def _refs(values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: values.get(name) for name in REFS if values.get(name) is not None}


def _time(value: Any) -> datetime | None:
    """An RFC 3339 time as an aware datetime (`clock.parse_stamp`); None when it is not a time."""
    try:
        return parse_stamp(value) if isinstance(value, str) else None
    except ValueError:
        return None


# --- survey-based indicators: one unit per invitation ------------------------------------------------

def in_window(response: Doc, invitation: Doc) -> bool:
    """A response counts when it was submitted by the invitation's close (INDICATORS.md, Dates),
    however late it was delivered; while the close is unknown it counts."""
    submitted, closes = _time(response.get("submitted_at")), _time(invitation.get("closes_at"))
    return submitted is None or closes is None or submitted <= closes


def invitation_status(invitation: Doc, answered: bool) -> str:
    """`responded`, `cancelled`, `expired`, `sent` or `scheduled`, whatever order its events came in.

    A response outside the window leaves the invitation as its other events say (it was sent).
    """
    if answered:
        return "responded"
    for status, time_field in _STATUS_BY_TIME:
        if invitation.get(time_field):
            return status
    return "sent" if invitation.get("responded_at") else "scheduled"


def invitation_unit(invitation: Doc, responses: Sequence[Doc], ctx: Context) -> Contribution:
    """The contribution of one invitation and its response (the first submitted in its window)."""
    counted = sorted((r for r in responses if in_window(r, invitation)),
                     key=lambda r: r.get("submitted_at") or "")
    response = counted[0] if counted else None
    values = joined(invitation, ctx)
    fact = {**values, "answers": (response or _EMPTY).get("answers") or {}}
    sent = invitation_status(invitation, response is not None) in SENT_STATUSES
    counts: Counter[str] = Counter()
    for defn in indicators.survey_based():
        if values["wave"] in defn.waves and values["role"] in defn.roles:
            counts[f"{defn.id}_inv"] += int(sent)
            if response is not None:
                counts[f"{defn.id}_resp"] += 1
                _count_answer(defn, fact, counts)
    advancement = _advancement(fact, counts, values)
    return Contribution(dims_of(values), dict(counts), _refs(values), advancement)


def _count_answer(defn: indicators.IndicatorDef, fact: Mapping[str, Any], counts: Counter) -> None:
    if defn.rule_name == "response_rate":
        counts[f"{defn.id}_n"] += 1
    elif defn.rule_name == "median":
        value = rules.number(rules.answer(fact, defn.item))
        if value is not None:
            counts[number_key(defn.id, value)] += 1
            counts[f"{defn.id}_d"] += 1
    else:
        result = rules.outcome(defn, fact)
        if result is not None:
            counts[f"{defn.id}_d"] += 1
            counts[f"{defn.id}_n"] += int(result)


def _advancement(fact: Mapping[str, Any], counts: Counter, values: Mapping[str, Any]) -> dict | None:
    if not counts.get(f"{ADVANCED.id}_n"):
        return None
    return {"participant_id": values["participant_id"], "cohort_id": values["cohort_id"],
            "kinds": rules.advancement_kinds(ADVANCED, fact),
            "days_after_end": rules.days_after_end(ADVANCED, fact)}


_NUMBER_PREFIX = "_v_"


def number_key(indicator_id: str, value: float) -> str:
    """The count name of one number answer: `I8_v_12p5` for 12.5 (no dots: counts are field names)."""
    text = repr(float(value)).replace(".", "p").replace("-", "m")
    return f"{indicator_id}{_NUMBER_PREFIX}{text}"


def numbers_in(indicator_id: str, counts: Mapping[str, int]) -> list[float]:
    """Every number answer kept in `counts` for an indicator, as many times as it was given."""
    prefix = f"{indicator_id}{_NUMBER_PREFIX}"
    found: list[float] = []
    for key, count in counts.items():
        if key.startswith(prefix):
            found += [float(key[len(prefix):].replace("p", ".").replace("m", "-"))] * count
    return found


# --- I1: one unit per enrolment of a completed cohort ------------------------------------------------

def enrolment_unit(cohort_id: str, participant_id: str, ctx: Context) -> Contribution:
    """Completion: an enrolment listed in its cohort's `cohort.completed` counts in the denominator,
    and in the numerator when it completed; a withdrawn enrolment is a non-completer."""
    results = ctx.cohort.get("enrolments") or ()
    result = next((r for r in results if r.get("participant_id") == participant_id), None)
    own = {"participant_id": participant_id, "cohort_id": cohort_id, "role": (result or _EMPTY).get("role")}
    values = joined(own, ctx)
    if result is None:
        return Contribution(refs=_refs(values))
    withdrawn = bool(result.get("withdrawn")) or bool(ctx.enrolment.get("withdrawn_at"))
    completed = bool(result.get("completed")) and not withdrawn
    return Contribution(dims_of(values), {"I1_d": 1, "I1_n": int(completed)}, _refs(values))


# --- I11, I12: one unit per employer -----------------------------------------------------------------

@dataclass(frozen=True)
class EmployerFacts:
    """What an employer's organisational indicators read."""

    employer: Doc = field(default_factory=dict)
    assessed_on: Sequence[str] = ()
    changed_on: Sequence[str] = ()
    leader_reported_change: bool = False
    certified_on: Sequence[str] = ()
    internal_cohorts_started_on: Sequence[str] = ()


def _any_after(dates: Sequence[str], start: str) -> bool:
    return any((rules.days_between(start, when) or 0) > 0 for when in dates)


def employer_unit(employer_id: str, facts: EmployerFacts) -> Contribution:
    """I11: an assessed employer changed when a change was adopted after its first assessment, or a
    leader's fu12 answer names one. I12: a certified employer sustains the program when a cohort
    facilitated by an internal trainer started after its first trainer certification."""
    counts: dict[str, int] = {}
    if facts.assessed_on:
        changed = _any_after(facts.changed_on, min(facts.assessed_on)) or facts.leader_reported_change
        counts.update(I11_d=1, I11_n=int(changed))
    if facts.certified_on:
        counts.update(I12_d=1, I12_n=int(_any_after(facts.internal_cohorts_started_on,
                                                     min(facts.certified_on))))
    values = {"employer_id": employer_id, "employer_size": facts.employer.get("size_class")}
    return Contribution(dims_of(values), counts, {"employer_id": employer_id})


def leader_reports_change(response: Doc) -> bool:
    """A leader's answer to I11's item (fu12 `org_changes`) names at least one change."""
    chosen = rules.options(rules.answer(response, ORG_CHANGES.item)) or []
    return any(option != rules.NONE for option in chosen)


# --- M1: one unit per mentee; M2: one unit per match -------------------------------------------------

def _mentee_values(participant: Doc, employer: Doc) -> dict[str, Any]:
    ctx = Context(participant=participant, employer=employer)
    return {**joined({"participant_id": participant.get("_id"), "role": "mentee"}, ctx),
            "program_kind": MENTORING}


def mentee_unit(participant: Doc, matched_at: Sequence[str], employer: Doc = _EMPTY) -> Contribution:
    """M1: a registered mentee, matched within 60 days of registering or not (yet)."""
    values = _mentee_values(participant, employer)
    registered = participant.get("registered_at")
    if participant.get("role") != "mentee" or not registered:
        return Contribution(refs=_refs(values))
    values["registered_on"] = registered[:10]
    if not matched_at:
        return Contribution(dims_of(values), {"M1_pending": 1}, _refs(values))
    days = rules.days_between(registered, min(matched_at))
    soon = days is not None and days <= MATCH_WITHIN_DAYS
    return Contribution(dims_of(values), {"M1_d": 1, "M1_n": int(soon)}, _refs(values))


def match_unit(match: Doc, mentee: Doc, employer: Doc = _EMPTY) -> Contribution:
    """M2: an ended match, completed when it ended with its planned end reached."""
    values = _mentee_values({**mentee, "_id": match.get("mentee_id")}, employer)
    if not match.get("ended_at"):
        return Contribution(refs=_refs(values))
    reached = bool(match.get("planned_end_reached"))
    return Contribution(dims_of(values), {"M2_d": 1, "M2_n": int(reached)}, _refs(values))

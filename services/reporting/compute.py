"""Computing an indicator from response and invitation facts, and cutting facts by a breakdown.

Plain functions over plain dicts (the projections' rows); no I/O. The row `compute` returns is the one
`GET /v1/indicators` publishes (API.md).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from functools import partial
from typing import Any, NamedTuple

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.reporting.indicators import (
    EMPLOYER_SIZES,
    LANGUAGES,
    LEADERS,
    PROGRAM_KINDS,
    ROLES,
    WAVES,
    IndicatorDef,
)
from services.reporting.stats import median, wilson_interval

Fact = Mapping[str, Any]

NA = "na"
NONE = "none"
LEADERS_ROLE = "leaders"
# Invitations that reached the participant; scheduled ones have not yet, cancelled ones never will.
SENT_STATUSES = frozenset({"sent", "responded", "expired"})
DAYS_IN_YEAR = 365
YEARS_BANDS: dict[str, tuple[int, int | None]] = {
    "0-2": (0, 2), "3-5": (3, 5), "6-10": (6, 10), "11+": (11, None),
}
NOC_CATEGORIES = tuple(str(digit) for digit in range(10))
DECIMALS = 4


# --- reading coded answers -------------------------------------------------------------------------

def _answer(fact: Fact, item: str | None) -> Any:
    """The coded answer `fact` gives to `item`, or None."""
    return (fact.get("answers") or {}).get(item)


def _is_valid(value: Any) -> bool:
    """Answered, not blank, not `na`."""
    if value is None or value == NA:
        return False
    if isinstance(value, (str, list, tuple)):
        return bool(value.strip() if isinstance(value, str) else value)
    return True


def _likert(value: Any) -> int | None:
    """The score of a valid likert5 answer (1..5), else None."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 1 <= value <= 5 else None


def _options(value: Any) -> list[str] | None:
    """The options chosen in a valid multi answer, else None."""
    if not isinstance(value, (list, tuple)):
        return None
    return [option for option in value if _is_valid(option)] or None


def _number(value: Any) -> float | None:
    """A valid number answer, else None (booleans and NaN are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value if math.isfinite(value) else None


def _as_date(value: Any) -> date | None:
    """An ISO date (or the date of an ISO datetime, or a date object); None when it is not one."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value[:10]) if isinstance(value, str) else None
    except ValueError:
        return None


# --- rules: each says whether a response counts (True/False), or None when it is not valid ----------

def _agree(defn: IndicatorDef, fact: Fact) -> bool | None:
    score = _likert(_answer(fact, defn.item))
    return None if score is None else score >= 4


def _any_except_none(defn: IndicatorDef, fact: Fact) -> bool | None:
    chosen = _options(_answer(fact, defn.item))
    return None if chosen is None else any(option != NONE for option in chosen)


def _equals(defn: IndicatorDef, fact: Fact) -> bool | None:
    value = _answer(fact, defn.item)
    return value == defn.rule_arg if _is_valid(value) else None


def _advanced_within_year(defn: IndicatorDef, fact: Fact) -> bool | None:
    chosen = _options(_answer(fact, defn.item))
    if chosen is None:
        return None
    kind = defn.rule_arg
    advanced = kind in chosen if kind else any(option != NONE for option in chosen)
    return advanced and _within_year_of_end(fact, _answer(fact, defn.date_item))


def _within_year_of_end(fact: Fact, happened_on: Any) -> bool:
    """Strictly after the cohort's end and at most 365 days after it."""
    ended, happened = _as_date(fact.get("cohort_ended_on")), _as_date(happened_on)
    if ended is None or happened is None:
        return False
    return 0 < (happened - ended).days <= DAYS_IN_YEAR


_OUTCOMES: dict[str, Callable[[IndicatorDef, Fact], bool | None]] = {
    "agree": _agree,
    "any_except_none": _any_except_none,
    "equals": _equals,
    "advancement_within_year": _advanced_within_year,
}


# --- figures -----------------------------------------------------------------------------------------

class _Figures(NamedTuple):
    numerator: float | int | None
    denominator: int
    rate: float | None
    ci95: list[float] | None


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, DECIMALS) if whole else None


def _proportion(successes: int, n: int) -> _Figures:
    # More responses than invitations means inconsistent facts; publish the figures, not an interval.
    interval = wilson_interval(successes, n) if successes <= n else None
    ci95 = [round(bound, DECIMALS) for bound in interval] if interval else None
    return _Figures(successes, n, _ratio(successes, n), ci95)


def _counted(defn: IndicatorDef, answered: list[Fact], invited: int) -> _Figures:
    outcomes = [_OUTCOMES[defn.rule_name](defn, fact) for fact in answered]
    valid = [outcome for outcome in outcomes if outcome is not None]
    return _proportion(sum(valid), len(valid))


def _median_of_numbers(defn: IndicatorDef, answered: list[Fact], invited: int) -> _Figures:
    numbers = [n for n in (_number(_answer(fact, defn.item)) for fact in answered) if n is not None]
    middle = median(numbers)
    return _Figures(None if middle is None else round(middle, DECIMALS), len(numbers), None, None)


def _responses_per_invited(defn: IndicatorDef, answered: list[Fact], invited: int) -> _Figures:
    return _proportion(len(answered), invited)


_FIGURES = {"median": _median_of_numbers, "response_rate": _responses_per_invited}


def _about(defn: IndicatorDef, fact: Fact) -> bool:
    """Whether a response or invitation is of this indicator's waves and roles."""
    return fact.get("wave") in defn.waves and fact.get("role") in defn.roles


def compute(
    defn: IndicatorDef, responses: Iterable[Fact], invitations: Iterable[Fact], suppress_below: int = 0
) -> dict[str, Any]:
    """The published row of one survey-based indicator over the given (already filtered) facts.

    Raises ValueError for an indicator computed from another projection (see `computed_from`).
    """
    if not defn.is_survey_based:
        raise ValueError(f"{defn.id} is computed from {defn.computed_from}, not from survey responses")
    answered = [fact for fact in responses if _about(defn, fact)]
    invited = sum(1 for fact in invitations if _about(defn, fact) and fact.get("status") in SENT_STATUSES)
    figures = _FIGURES.get(defn.rule_name, _counted)(defn, answered, invited)
    row = {"id": defn.id, "name": defn.name, **figures._asdict(), "invited": invited,
           "response_rate": _ratio(len(answered), invited), "suppressed": False}
    if figures.denominator < suppress_below:
        _suppress(row, defn)
    return row


def _suppress(row: dict[str, Any], defn: IndicatorDef) -> None:
    """Small cell: hide every figure that could reveal the numerator."""
    row.update(numerator=None, rate=None, ci95=None, suppressed=True)
    if defn.rule_name == "response_rate":  # here the response rate is the rate itself
        row["response_rate"] = None


# --- breakdowns --------------------------------------------------------------------------------------

def years_band(years: Any) -> str | None:
    """The band (`0-2`, `3-5`, `6-10`, `11+`) of a number of years in Canada, or None."""
    if isinstance(years, bool) or not isinstance(years, int):
        return None
    for band, (low, high) in YEARS_BANDS.items():
        if low <= years and (high is None or years <= high):
            return band
    return None


def noc_category(noc: Any) -> str | None:
    """The NOC broad occupational category of a NOC code: its first digit, or None."""
    return noc[0] if isinstance(noc, str) and noc[:1].isdigit() else None


def _field_is(field: str) -> Callable[[Any, Fact], bool]:
    return lambda wanted, fact: fact.get(field) == wanted


def _role_is(wanted: str, fact: Fact) -> bool:
    roles = LEADERS if wanted == LEADERS_ROLE else (wanted,)
    return fact.get("role") in roles


def _ended_on_or_after(wanted: Any, fact: Fact) -> bool:
    ended = _as_date(fact.get("cohort_ended_on"))
    return ended is not None and ended >= _as_date(wanted)


def _ended_on_or_before(wanted: Any, fact: Fact) -> bool:
    ended = _as_date(fact.get("cohort_ended_on"))
    return ended is not None and ended <= _as_date(wanted)


_MATCHERS: dict[str, Callable[[Any, Fact], bool]] = {
    **{field: _field_is(field) for field in (
        "program_kind", "program_id", "cohort_id", "employer_id", "employer_size", "wave",
        "preferred_language",
    )},
    "role": _role_is,
    "years_in_canada": lambda wanted, fact: years_band(fact.get("years_in_canada")) == wanted,
    "occupation": lambda wanted, fact: noc_category(fact.get("occupation_noc")) == wanted,
    "ended_from": _ended_on_or_after,
    "ended_to": _ended_on_or_before,
}
# Query parameters that are not cuts of the facts.
_NOT_BREAKDOWNS = frozenset({"suppress_below"})


def filter_facts(facts: Iterable[Fact], breakdown: Mapping[str, Any]) -> list[Fact]:
    """The facts that match every breakdown given (None values are ignored).

    A fact without the field a breakdown cuts on (say, no `cohort_ended_on`) does not match it.
    Raises ValueError naming any key that is not a breakdown.
    """
    unknown = set(breakdown) - set(_MATCHERS) - _NOT_BREAKDOWNS
    if unknown:
        raise ValueError(f"unknown breakdown: {', '.join(sorted(unknown))}")
    checks = [partial(_MATCHERS[key], wanted) for key, wanted in breakdown.items()
              if key in _MATCHERS and wanted is not None]
    return [fact for fact in facts if all(check(fact) for check in checks)]


class BreakdownSchema(Schema):
    """The query string of `GET /v1/indicators`: every field optional, unknown fields rejected."""

    program_kind = fields.String(validate=validate.OneOf(PROGRAM_KINDS))
    program_id = fields.String(validate=validate.Length(min=1))
    cohort_id = fields.String(validate=validate.Length(min=1))
    employer_id = fields.String(validate=validate.Length(min=1))
    employer_size = fields.String(validate=validate.OneOf(EMPLOYER_SIZES))
    role = fields.String(validate=validate.OneOf((*ROLES, LEADERS_ROLE)))
    wave = fields.String(validate=validate.OneOf(WAVES))
    years_in_canada = fields.String(validate=validate.OneOf(tuple(YEARS_BANDS)))
    occupation = fields.String(validate=validate.OneOf(NOC_CATEGORIES))
    preferred_language = fields.String(validate=validate.OneOf(LANGUAGES))
    ended_from = fields.Date()
    ended_to = fields.Date()
    suppress_below = fields.Integer(validate=validate.Range(min=0))

    @validates_schema
    def _period_in_order(self, data: dict[str, Any], **kwargs: Any) -> None:
        start, end = data.get("ended_from"), data.get("ended_to")
        if start and end and start > end:
            raise ValidationError({
                "ended_from": ["Must be on or before ended_to."],
                "ended_to": ["Must be on or after ended_from."],
            })

"""Reading coded answers, and the rules that say whether a response counts for an indicator. No I/O.

A rule answers True (counts in the numerator), False (counts in the denominator only) or None (the
answer is not valid: blank, `na`, or not of the item's type, so the response is not in the base).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from services.reporting.indicators import ADVANCEMENT_KINDS, IndicatorDef

Fact = Mapping[str, Any]
NA = "na"
NONE = "none"
DAYS_IN_YEAR = 365


def answer(fact: Fact, item: str | None) -> Any:
    """The coded answer `fact` gives to `item`, or None."""
    return (fact.get("answers") or {}).get(item)


def is_valid(value: Any) -> bool:
    """Answered, not blank, not `na`."""
    if value is None or value == NA:
        return False
    if isinstance(value, (str, list, tuple)):
        return bool(value.strip() if isinstance(value, str) else value)
    return True


def likert(value: Any) -> int | None:
    """The score of a valid likert5 answer (1..5), else None."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 1 <= value <= 5 else None


def options(value: Any) -> list[str] | None:
    """The options chosen in a valid multi answer, else None."""
    if not isinstance(value, (list, tuple)):
        return None
    return [option for option in value if is_valid(option)] or None


def number(value: Any) -> float | None:
    """A valid number answer, else None (booleans and NaN are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value if math.isfinite(value) else None


def as_date(value: Any) -> date | None:
    """An ISO date (or the date of an ISO datetime, or a date object); None when it is not one."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value[:10]) if isinstance(value, str) else None
    except ValueError:
        return None


def days_between(start: Any, end: Any) -> int | None:
    """Whole days from `start` to `end` (dates or ISO text); None when either is unknown."""
    first, last = as_date(start), as_date(end)
    return None if first is None or last is None else (last - first).days


def _agree(defn: IndicatorDef, fact: Fact) -> bool | None:
    score = likert(answer(fact, defn.item))
    return None if score is None else score >= 4


def _any_except_none(defn: IndicatorDef, fact: Fact) -> bool | None:
    chosen = options(answer(fact, defn.item))
    return None if chosen is None else any(option != NONE for option in chosen)


def _equals(defn: IndicatorDef, fact: Fact) -> bool | None:
    value = answer(fact, defn.item)
    return value == defn.rule_arg if is_valid(value) else None


def _advanced_within_year(defn: IndicatorDef, fact: Fact) -> bool | None:
    chosen = options(answer(fact, defn.item))
    if chosen is None:
        return None
    kind = defn.rule_arg
    advanced = kind in chosen if kind else any(option != NONE for option in chosen)
    return advanced and within_year_of_end(defn, fact)


def within_year_of_end(defn: IndicatorDef, fact: Fact) -> bool:
    """The date answered to `defn.date_item` is strictly after the cohort's end and at most 365 days
    after it."""
    days = days_after_end(defn, fact)
    return days is not None and 0 < days <= DAYS_IN_YEAR


def days_after_end(defn: IndicatorDef, fact: Fact) -> int | None:
    """Days from the cohort's end to the date answered to `defn.date_item` (I7: the advancement's);
    None while either is unknown."""
    return days_between(fact.get("cohort_ended_on"), answer(fact, defn.date_item))


def advancement_kinds(defn: IndicatorDef, fact: Fact) -> list[str]:
    """The kinds of advancement (promotion, wage_increase, new_role) answered to `defn.item`."""
    chosen = options(answer(fact, defn.item)) or []
    return [kind for kind in ADVANCEMENT_KINDS if kind in chosen]


OUTCOMES: dict[str, Callable[[IndicatorDef, Fact], bool | None]] = {
    "agree": _agree,
    "any_except_none": _any_except_none,
    "equals": _equals,
    "advancement_within_year": _advanced_within_year,
}


def outcome(defn: IndicatorDef, fact: Fact) -> bool | None:
    """Whether a response counts for a counted survey indicator (None: not a valid answer)."""
    return OUTCOMES[defn.rule_name](defn, fact)

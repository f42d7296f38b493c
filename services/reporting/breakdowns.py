"""Breakdowns (INDICATORS.md): the dimensions a unit is counted under, and which of them a query keeps.

A unit (an invitation, an enrolment, an employer, a mentee, a match) is counted in one cell, named by
its dimensions. Quasi-identifiers are kept only as the bands the breakdowns use (years in Canada as
`0-2`..`11+`, the NOC code as its broad category), never raw. No I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.reporting.indicators import EMPLOYER_SIZES, LANGUAGES, LEADERS, PROGRAM_KINDS, ROLES, WAVES
from services.reporting.rules import as_date

Dims = Mapping[str, Any]
LEADERS_ROLE = "leaders"
YEARS_BANDS: dict[str, tuple[int, int | None]] = {
    "0-2": (0, 2), "3-5": (3, 5), "6-10": (6, 10), "11+": (11, None),
}
NOC_CATEGORIES = tuple(str(digit) for digit in range(10))
# Every dimension of a cell, in a fixed order (the cell's key is made from them).
DIMENSIONS = ("program_kind", "program_id", "cohort_id", "cohort_ended_on", "employer_id",
              "employer_size", "role", "wave", "years_in_canada", "occupation", "preferred_language",
              "registered_on")


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


def dims_of(values: Mapping[str, Any]) -> dict[str, Any]:
    """A cell's dimensions from the joined values of a unit (raw years and NOC code become bands)."""
    dims = {name: values.get(name) for name in DIMENSIONS}
    dims["years_in_canada"] = years_band(values.get("years_in_canada"))
    dims["occupation"] = noc_category(values.get("occupation_noc"))
    return dims


def _field_is(field: str) -> Callable[[Any, Dims], bool]:
    return lambda wanted, dims: dims.get(field) == wanted


def _role_is(wanted: str, dims: Dims) -> bool:
    roles = LEADERS if wanted == LEADERS_ROLE else (wanted,)
    return dims.get("role") in roles


def _ended_on_or_after(wanted: Any, dims: Dims) -> bool:
    ended = as_date(dims.get("cohort_ended_on"))
    return ended is not None and ended >= as_date(wanted)


def _ended_on_or_before(wanted: Any, dims: Dims) -> bool:
    ended = as_date(dims.get("cohort_ended_on"))
    return ended is not None and ended <= as_date(wanted)


MATCHERS: dict[str, Callable[[Any, Dims], bool]] = {
    **{name: _field_is(name) for name in (
        "program_kind", "program_id", "cohort_id", "employer_id", "employer_size", "wave",
        "preferred_language", "years_in_canada", "occupation",
    )},
    "role": _role_is,
    "ended_from": _ended_on_or_after,
    "ended_to": _ended_on_or_before,
}


def matcher(query: Mapping[str, Any]) -> Callable[[Dims], bool]:
    """A test that a cell's dimensions match every breakdown of `query` (other keys are ignored).

    A cell without the dimension a breakdown cuts on (say, no cohort end yet) does not match it.
    """
    checks = [partial(MATCHERS[key], wanted) for key, wanted in query.items()
              if key in MATCHERS and wanted is not None]
    return lambda dims: all(check(dims) for check in checks)


class BreakdownSchema(Schema):
    """The breakdowns of a query string: every field optional, unknown fields rejected."""

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

    @validates_schema
    def _period_in_order(self, data: dict[str, Any], **kwargs: Any) -> None:
        start, end = data.get("ended_from"), data.get("ended_to")
        if start and end and start > end:
            raise ValidationError({
                "ended_from": ["Must be on or before ended_to."],
                "ended_to": ["Must be on or after ended_from."],
            })

"""The answer of GET /v1/indicators: the figures of a query, summed from the cells. No I/O.

`indicators_answer(snapshot, query, as_of)` is the function other parts of reporting call (the
insights report does): `snapshot` is `storage.load_snapshot(db)`, `query` a loaded
`IndicatorsQuerySchema` (breakdowns, `suppress_below`, `indicator`), `as_of` an RFC 3339 stamp.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any, NamedTuple

from services.reporting import indicators
from services.reporting.breakdowns import matcher
from services.reporting.indicators import IndicatorDef
from services.reporting.rules import as_date
from services.reporting.stats import median, wilson_interval
from services.reporting.units import MATCH_WITHIN_DAYS, numbers_in

# INDICATORS.md: a view for a funder, or any export marked public, suppresses a figure whose denominator
# is below FLOOR. A council's own view is neither: it shows every cell unless `suppress_below` asks.
DEFAULT_SUPPRESS_BELOW = 0
FLOOR = 5
DECIMALS = 4


class Snapshot(NamedTuple):
    """A tenant's cells as read at one moment: each {"dims": {...}, "counts": {...}}."""

    cells: tuple[Mapping[str, Any], ...] = ()


def totals(cells: Iterable[Mapping[str, Any]], query: Mapping[str, Any], as_of: str) -> Counter:
    """The counts of every cell that matches the breakdowns of `query`, summed.

    Unmatched mentees join M1's denominator once registered 60 days before `as_of`.
    """
    keep, cutoff = matcher(query), _cutoff(as_of)
    summed: Counter[str] = Counter()
    for cell in cells:
        dims = cell.get("dims") or {}
        if not keep(dims):
            continue
        counts = cell.get("counts") or {}
        summed.update({key: value for key, value in counts.items() if value})
        registered = as_date(dims.get("registered_on"))
        if counts.get("M1_pending") and registered and cutoff and registered <= cutoff:
            summed["M1_d"] += counts["M1_pending"]
    return summed


def _cutoff(as_of: str):
    day = as_date(as_of)
    return None if day is None else day - timedelta(days=MATCH_WITHIN_DAYS)


def _ratio(part: int, whole: int | None) -> float | None:
    return round(part / whole, DECIMALS) if whole else None


def row(defn: IndicatorDef, summed: Mapping[str, int], suppress_below: int = 0) -> dict[str, Any]:
    """The published row of one indicator from summed counts (API.md's shape)."""
    survey = defn.is_survey_based
    invited = summed.get(f"{defn.id}_inv", 0) if survey else None
    responded = summed.get(f"{defn.id}_resp", 0)
    if defn.rule_name == "median":
        numbers = numbers_in(defn.id, summed)
        middle = median(numbers)
        numerator, denominator = (None if middle is None else round(middle, DECIMALS)), len(numbers)
        rate, ci95 = None, None
    else:
        numerator, denominator = summed.get(f"{defn.id}_n", 0), summed.get(f"{defn.id}_d", 0)
        if defn.rule_name == "response_rate":
            denominator = invited
        rate, ci95 = _ratio(numerator, denominator), _interval(numerator, denominator)
    answer = {"id": defn.id, "name": defn.name, "numerator": numerator, "denominator": denominator,
              "rate": rate, "ci95": ci95, "invited": invited,
              "response_rate": _ratio(responded, invited) if survey else None, "suppressed": False}
    if denominator < suppress_below:
        _suppress(answer, defn)
    return answer


def _interval(successes: int, n: int) -> list[float] | None:
    # More successes than trials means inconsistent counts; publish the figures, not an interval.
    interval = wilson_interval(successes, n) if 0 <= successes <= n else None
    return [round(bound, DECIMALS) for bound in interval] if interval else None


def _suppress(answer: dict[str, Any], defn: IndicatorDef) -> None:
    """Small cell: hide every figure that could reveal the numerator."""
    answer.update(numerator=None, rate=None, ci95=None, suppressed=True)
    if defn.rule_name == "response_rate":  # here the response rate is the rate itself
        answer["response_rate"] = None


def wanted(query: Mapping[str, Any]) -> tuple[IndicatorDef, ...]:
    """The definitions a query asks for (`indicator`; default all), in catalogue order."""
    ids = set(query.get("indicator") or ())
    return tuple(defn for defn in indicators.INDICATORS if not ids or defn.id in ids)


def indicator_rows(snapshot: Snapshot, query: Mapping[str, Any], as_of: str) -> list[dict[str, Any]]:
    """One published row per indicator asked for, over the cells that match the query's breakdowns."""
    summed = totals(snapshot.cells, query, as_of)
    suppress_below = query.get("suppress_below", DEFAULT_SUPPRESS_BELOW)
    return [row(defn, summed, suppress_below) for defn in wanted(query)]


def indicators_answer(snapshot: Snapshot, query: Mapping[str, Any], as_of: str) -> dict[str, Any]:
    """`{"indicators": [...], "as_of": stamp}`: the figures over everything received up to `as_of`."""
    return {"indicators": indicator_rows(snapshot, query, as_of), "as_of": as_of}


def funder_answer(snapshots: Mapping[str, Snapshot], query: Mapping[str, Any], as_of: str) -> dict[str, Any]:
    """A funder's view: the cells of every granted council summed, never suppressed below FLOOR."""
    cells = tuple(cell for snapshot in snapshots.values() for cell in snapshot.cells)
    floored = {**query, "suppress_below": max(FLOOR, query.get("suppress_below", FLOOR))}
    return {**indicators_answer(Snapshot(cells), floored, as_of), "tenants": sorted(snapshots)}

"""The insights report: the figures a council publishes, each with its base. Plain data, no I/O.

Built from the answer of GET /v1/indicators (`figures.indicators_answer`), so the report and the
indicators never disagree: the report picks its headline indicators, says in words what each one
counts, and keeps every number that lets a reader check it (numerator, denominator, rate, 95%
interval, invited, response rate). Rendering (CSV, HTML with SVG charts) is `insights_render.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.common.ids import new_id
from services.reporting.breakdowns import MATCHERS
from services.reporting.figures import FLOOR

KIND = "insights"


@dataclass(frozen=True)
class Headline:
    """One figure of the report: which indicator, how it reads, and what its base is."""

    indicator_id: str
    label: str
    base: str


HEADLINES: tuple[Headline, ...] = (
    Headline("I2", "Satisfied with the program", "participants who answered at the end of the program"),
    Headline("I3", "Know more about how career advancement works here",
             "participants who answered at the end of the program"),
    Headline("I5", "Took new career actions", "participants who answered 3 months after the program"),
    Headline("I4", "Newcomers more confident navigating their career at 3 months",
             "newcomers who answered 3 months after the program"),
    Headline("I6", "Newcomers offered a new development opportunity",
             "newcomers who answered 3 months after the program"),
    Headline("I7", "Newcomers who advanced within a year",
             "newcomers who answered a year after the program; advancement after the program's end"),
    Headline("I9", "Managers more prepared to support newcomers' advancement",
             "managers who answered 3 months after the program"),
    Headline("I11", "Employers that made organisational changes",
             "employers that received an organisational assessment"),
)
FIGURE_FIELDS = ("numerator", "denominator", "rate", "ci95", "invited", "response_rate", "suppressed")


def indicators_query(query: Mapping[str, Any], public: bool = False) -> dict[str, Any]:
    """The GET /v1/indicators query the report needs: the caller's breakdowns and `suppress_below`, its
    headline indicators, and for a public export (INDICATORS.md) a threshold of at least `FLOOR`."""
    wanted = {key: value for key, value in query.items() if key in MATCHERS or key == "suppress_below"}
    if public:
        wanted["suppress_below"] = max(FLOOR, wanted.get("suppress_below") or 0)
    return {**wanted, "indicator": tuple(headline.indicator_id for headline in HEADLINES)}


def scope_of(query: Mapping[str, Any]) -> dict[str, Any]:
    """What the report is about: the breakdowns of `query` (those `breakdowns.MATCHERS` knows), as
    JSON values."""
    return {key: str(value) for key, value in sorted(query.items()) if key in MATCHERS and value is not None}


def build(answer: Mapping[str, Any], query: Mapping[str, Any], council: str | None = None) -> dict[str, Any]:
    """The report over an indicators answer (`{"indicators": [...], "as_of": ...}`) for `query`.

    An indicator the answer lacks (not computed yet) is listed with `available: false` and no numbers.
    """
    rows = {row["id"]: row for row in answer.get("indicators", [])}
    return {"kind": KIND, "council": council, "scope": scope_of(query), "as_of": answer.get("as_of"),
            "suppress_below": query.get("suppress_below"),
            "figures": [_figure(headline, rows.get(headline.indicator_id)) for headline in HEADLINES]}


def _figure(headline: Headline, row: Mapping[str, Any] | None) -> dict[str, Any]:
    figure = {"indicator_id": headline.indicator_id, "label": headline.label, "base": headline.base,
              "available": row is not None}
    figure.update({key: (row or {}).get(key) for key in FIGURE_FIELDS})
    if row is None:
        figure["suppressed"] = False
    return figure


def announcement(report: Mapping[str, Any], report_id: str, url: str) -> dict[str, Any]:
    """The data of `report.published` (EVENTS.md): which report, of what kind and scope, and where."""
    return {"report_id": report_id, "kind": report["kind"], "scope": dict(report["scope"]), "url": url}


def new_report_id() -> str:
    """The id of a published report (server-made, unguessable enough to share as a link)."""
    return new_id("rpt", separator="-")


def percent(rate: float | None) -> str:
    """A rate as people read it: `66.7%`; an em dash when there is none."""
    return "—" if rate is None else f"{rate * 100:.1f}%".replace(".0%", "%")

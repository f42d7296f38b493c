"""The answer of GET /v1/indicators, from a snapshot of the projections and a loaded query. No I/O."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.reporting import indicators
from services.reporting.compute import compute, filter_facts
from services.reporting.facts import Snapshot, invitation_facts, response_facts

# The council's own view shows every cell; funders and public exports pass a threshold (INDICATORS.md).
OWN_VIEW_SUPPRESS_BELOW = 0


def indicator_rows(snapshot: Snapshot, query: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One published row per survey-based indicator asked for (`indicator`; default all), in catalogue order.

    The other keys of `query` are the breakdown (see `compute.BreakdownSchema`) and `suppress_below`.
    """
    wanted = set(query.get("indicator") or ())
    definitions = [defn for defn in indicators.survey_based() if not wanted or defn.id in wanted]
    breakdown = {key: value for key, value in query.items() if key not in ("indicator", "suppress_below")}
    responses = filter_facts(response_facts(snapshot), breakdown)
    invitations = filter_facts(invitation_facts(snapshot), breakdown)
    suppress_below = query.get("suppress_below", OWN_VIEW_SUPPRESS_BELOW)
    return [compute(defn, responses, invitations, suppress_below) for defn in definitions]


def indicators_answer(snapshot: Snapshot, query: Mapping[str, Any], as_of: str) -> dict[str, Any]:
    """`{"indicators": [...], "as_of": stamp}`: the figures over everything received up to `as_of`."""
    return {"indicators": indicator_rows(snapshot, query), "as_of": as_of}

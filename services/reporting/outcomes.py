"""Outcome events for other systems (`iec.outcomes`), decided from counts. No I/O.

`indicator.updated` is published when a published figure of a scope changes. The scopes are two per
cohort-based unit (an invitation or an enrolment), which keeps the stream bounded (at most two scopes
times the cohort-based indicators per event received, and only the figures that changed):
- the program kind: `{program_kind, cohort_id: null, employer_size: null, role: null}`;
- the cohort:       `{program_kind, cohort_id, employer_size: null, role: null}`.
Figures are suppressed below 5, as any public export is (INDICATORS.md). I11, I12, M1 and M2 are not
streamed: they are not about a cohort, and M1's base grows with time, not with events.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.reporting import indicators
from services.reporting.figures import FLOOR, row

SCOPE_FIELDS = ("program_kind", "cohort_id", "employer_size", "role")
_PUBLISHED = ("numerator", "denominator", "rate", "suppressed")


def scopes_of(dims: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The scopes a cell of a cohort-based unit belongs to (none while its program kind is unknown)."""
    kind, cohort_id = dims.get("program_kind"), dims.get("cohort_id")
    if not kind or not cohort_id:
        return []
    blank = dict.fromkeys(SCOPE_FIELDS)
    return [{**blank, "program_kind": kind}, {**blank, "program_kind": kind, "cohort_id": cohort_id}]


def scope_id(scope: Mapping[str, Any]) -> str:
    """A scope's document id: its fields joined, blanks empty."""
    return "|".join(scope.get(name) or "" for name in SCOPE_FIELDS)


def updates(scope: Mapping[str, Any], before: Mapping[str, int], after: Mapping[str, int]) -> list[dict]:
    """The `indicator.updated` data for every cohort-based indicator whose published figures changed."""
    found = []
    for defn in indicators.cohort_based():
        old, new = row(defn, before, FLOOR), row(defn, after, FLOOR)
        if any(old[name] != new[name] for name in _PUBLISHED):
            found.append({"scope": dict(scope), "indicator_id": defn.id,
                          **{name: new[name] for name in _PUBLISHED}})
    return found


def advancement_reported(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> dict | None:
    """`advancement.reported` data when an answer starts to count as advancement within a year of the
    cohort's end (once: a redelivery or a later, unrelated event does not repeat it)."""
    return new if new and not old else None

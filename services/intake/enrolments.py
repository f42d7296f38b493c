"""Enrolments: enrolled in a cohort, or withdrawn from it. No I/O.

A withdrawn enrolment stays on record (the sessions attended before happened), but it no longer
counts as enrolled: attendance cannot be recorded for it and it does not complete the cohort.
An enrolment without a ``status`` is enrolled (enrolments were written before withdrawal existed,
and nx-27017 cannot be trusted to query for a missing field: the test is made here, in Python).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

WITHDRAWN = "withdrawn"
# A code, never staff's words: the reason travels in ``participant.withdrawn``, and free text about
# a person could name them (DESIGN.md: ids and coded facts only in events).
WITHDRAWAL_REASONS = ("employment", "schedule", "relocation", "health", "personal", "program_fit",
                      "no_show", "other")


def is_withdrawn(enrolment: Mapping) -> bool:
    """True if the participant withdrew from the cohort of this enrolment."""
    return enrolment.get("status") == WITHDRAWN


def still_enrolled(enrolments: Iterable[Mapping]) -> list[Mapping]:
    """The enrolments that still count as enrolled, in the given order."""
    return [enrolment for enrolment in enrolments if not is_withdrawn(enrolment)]


def withdrawn(enrolment: Mapping, reason: str, at: str) -> dict:
    """``enrolment`` as it reads once the participant withdrew at ``at`` for ``reason``."""
    return {**enrolment, "status": WITHDRAWN, "withdrawn_at": at, "withdrawal_reason": reason}

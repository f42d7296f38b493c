"""Who completed a cohort: a participant completes by attending at least 75% of the sessions,
rounded up (3 of 4 for CAIP for SMEs, 5 of 6, 8 of 10). No I/O.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from math import ceil

from services.intake.enrolments import is_withdrawn

COMPLETION_SHARE = Fraction(3, 4)  # exact, so that 75% of 4 is 3 and never 3.0000000001


def sessions_required(sessions_planned: int) -> int:
    """How many sessions a participant must attend to complete a cohort of ``sessions_planned``."""
    return ceil(COMPLETION_SHARE * sessions_planned)


def sessions_attended(present_lists: Iterable[Sequence[str]]) -> Counter:
    """Sessions attended per participant id, from each recorded session's list of who was present."""
    counts: Counter = Counter()
    for present in present_lists:
        counts.update(set(present))
    return counts


def outcomes(enrolments: Iterable[Mapping], present_lists: Iterable[Sequence[str]],
             sessions_planned: int) -> list[dict]:
    """Each enrolment's result: ``{participant_id, role, sessions_attended, completed}``; one the
    participant withdrew from did not complete, whatever they attended, and says ``withdrawn: true``."""
    attended = sessions_attended(present_lists)
    required = sessions_required(sessions_planned)
    return [_outcome(e, attended[e["participant_id"]], required) for e in enrolments]


def _outcome(enrolment: Mapping, attended: int, required: int) -> dict:
    result = {"participant_id": enrolment["participant_id"], "role": enrolment["role"],
              "sessions_attended": attended, "completed": attended >= required}
    if is_withdrawn(enrolment):
        result.update(completed=False, withdrawn=True)
    return result


def completers(results: Iterable[Mapping]) -> list[str]:
    """The participant ids of the results that completed, in enrolment order."""
    return [result["participant_id"] for result in results if result["completed"]]

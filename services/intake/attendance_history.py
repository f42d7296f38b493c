"""Use case: a participant's attendance, cohort by cohort (``GET /v1/participants/{id}/attendance``)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from services.intake.enrolment_store import enrolments_of
from services.intake.enrolments import is_withdrawn
from services.intake.storage import COHORTS, PARTICIPANTS, IntakeStore


def attendance_history(store: IntakeStore, participant_id: str) -> dict:
    """Every cohort the participant was enrolled in (oldest enrolment first), with the sessions
    they were present at; 404 for an unknown participant. One page: a person joins few cohorts."""
    store.get(PARTICIPANTS, participant_id)
    items = []
    for enrolment in enrolments_of(store, participant_id):
        cohort = store.get(COHORTS, enrolment["cohort_id"])
        items.append(history_item(cohort, enrolment, store.attendance(cohort["id"])))
    return {"items": items, "next": None}


def history_item(cohort: Mapping, enrolment: Mapping, attendance: Iterable[Mapping]) -> dict:
    """One cohort of the history: planned sessions, the indexes of those attended, and whether the
    participant withdrew (the sessions before a withdrawal still count as attended)."""
    participant_id = enrolment["participant_id"]
    present_at = sorted(record["session_index"] for record in attendance
                        if participant_id in record["present"])
    return {"cohort_id": cohort["id"], "cohort_name": cohort["name"],
            "sessions_planned": cohort["sessions_planned"], "sessions_attended": len(present_at),
            "present_at": present_at, "withdrawn": is_withdrawn(enrolment)}

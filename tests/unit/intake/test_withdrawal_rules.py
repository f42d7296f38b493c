"""Withdrawn enrolments: no longer enrolled, never completed; and a participant's attendance history."""
from __future__ import annotations

from services.intake.attendance_history import history_item
from services.intake.completion import outcomes
from services.intake.enrolments import is_withdrawn, still_enrolled, withdrawn

ENROLLED = {"id": "enr_a", "participant_id": "par_a", "role": "newcomer", "cohort_id": "coh_1"}


def test_a_withdrawal_keeps_the_enrolment_and_records_when_and_why():
    after = withdrawn(ENROLLED, "health", "2026-03-20T10:00:00.000Z")
    assert after == {**ENROLLED, "status": "withdrawn", "withdrawn_at": "2026-03-20T10:00:00.000Z",
                     "withdrawal_reason": "health"}
    assert is_withdrawn(after) and not is_withdrawn(ENROLLED)


def test_only_enrolments_not_withdrawn_still_count_as_enrolled():
    leaving = withdrawn({**ENROLLED, "participant_id": "par_b"}, "other", "2026-03-20T10:00:00.000Z")
    assert still_enrolled([ENROLLED, leaving]) == [ENROLLED]


def test_a_withdrawn_enrolment_does_not_complete_whatever_was_attended_and_says_so():
    leaving = withdrawn({**ENROLLED, "participant_id": "par_b"}, "other", "2026-03-20T10:00:00.000Z")
    attendance = [["par_a", "par_b"]] * 4
    assert outcomes([ENROLLED, leaving], attendance, 4) == [
        {"participant_id": "par_a", "role": "newcomer", "sessions_attended": 4, "completed": True},
        {"participant_id": "par_b", "role": "newcomer", "sessions_attended": 4, "completed": False,
         "withdrawn": True}]


def test_a_history_item_lists_the_sessions_attended_in_order():
    cohort = {"id": "coh_1", "name": "Spring", "sessions_planned": 4}
    attendance = [{"session_index": 3, "present": ["par_a"]}, {"session_index": 1, "present": ["par_x"]},
                  {"session_index": 0, "present": ["par_x", "par_a"]}]
    assert history_item(cohort, ENROLLED, attendance) == {
        "cohort_id": "coh_1", "cohort_name": "Spring", "sessions_planned": 4, "sessions_attended": 2,
        "present_at": [0, 3], "withdrawn": False}

"""Rules of a cohort: it fits its program, attendance names enrolled people, it ends after it starts."""

import pytest
from marshmallow import ValidationError

from services.intake import cohorts

SME = {"id": "prg_sme", "kind": "caip_sme", "sessions_planned": 4}
CAIP = {"id": "prg_caip", "kind": "caip", "sessions_planned": 2}


def _sessions(n):
    return [{"date": f"2026-03-0{i + 1}", "topic": f"Topic {i}"} for i in range(n)]


def test_a_cohort_with_as_many_sessions_as_its_program_plans_fits():
    assert cohorts.problems_with_program({"sessions": _sessions(2), "delivery": "hybrid"}, CAIP) == {}


def test_a_cohort_with_another_number_of_sessions_is_refused_naming_sessions():
    problems = cohorts.problems_with_program({"sessions": _sessions(3), "delivery": "in_person"}, CAIP)
    assert problems == {"sessions": ["The program plans 2 sessions; 3 given."]}


def test_an_sme_cohort_must_be_virtual():
    assert cohorts.problems_with_program({"sessions": _sessions(4), "delivery": "virtual"}, SME) == {}
    problems = cohorts.problems_with_program({"sessions": _sessions(4), "delivery": "in_person"}, SME)
    assert problems == {"delivery": ["A caip_sme cohort is delivered virtual."]}


def test_a_new_cohort_is_open_and_carries_its_programs_kind_and_sessions():
    cohort = cohorts.new_cohort("coh_1", {"name": "Spring"}, SME, "2026-01-01T00:00:00.000Z")
    assert (cohort["status"], cohort["program_kind"], cohort["sessions_planned"]) == ("open", "caip_sme", 4)
    assert cohort["completers"] == []


def test_attendance_for_a_session_that_does_not_exist_names_session_index():
    cohort = {"sessions_planned": 4}
    with pytest.raises(ValidationError) as refused:
        cohorts.check_attendance(cohort, 4, [], set())
    assert refused.value.messages == {"session_index": ["Must be between 0 and 3."]}


def test_attendance_of_someone_not_enrolled_names_them():
    with pytest.raises(ValidationError) as refused:
        cohorts.check_attendance({"sessions_planned": 4}, 0, ["par_in", "par_out"], {"par_in"})
    assert refused.value.messages == {"present": ["Not enrolled in this cohort: par_out."]}


def test_a_cohort_ends_on_its_end_date_unless_told_otherwise():
    cohort = {"start_date": "2026-03-01", "end_date": "2026-06-30"}
    assert cohorts.ended_on(cohort, None) == "2026-06-30"
    assert cohorts.ended_on(cohort, "2026-05-15") == "2026-05-15"


def test_a_cohort_cannot_end_before_it_started():
    with pytest.raises(ValidationError) as refused:
        cohorts.ended_on({"start_date": "2026-03-01", "end_date": "2026-06-30"}, "2026-02-28")
    assert refused.value.messages == {"ended_on": ["Must not be before the start_date 2026-03-01."]}


def test_the_view_counts_sessions_attended_per_enrolment():
    cohort = {"id": "coh_1", "sessions_planned": 2, "outcomes": []}
    enrolments = [{"participant_id": "par_a", "role": "newcomer"},
                  {"participant_id": "par_b", "role": "manager"}]
    attendance = [{"session_index": 1, "present": ["par_a"]},
                  {"session_index": 0, "present": ["par_a", "par_b"]}]
    view = cohorts.view(cohort, enrolments, attendance)
    assert [(e["participant_id"], e["sessions_attended"], e["completed"]) for e in view["enrolments"]] == [
        ("par_a", 2, None), ("par_b", 1, None)]
    assert [record["session_index"] for record in view["attendance"]] == [0, 1]
    assert "outcomes" not in view

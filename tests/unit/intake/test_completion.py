"""Completing a cohort: attending at least 75% of its sessions, rounded up."""

import pytest

from services.intake.completion import completers, outcomes, sessions_attended, sessions_required


@pytest.mark.parametrize(
    ("planned", "required"),
    [(1, 1), (2, 2), (3, 3), (4, 3), (5, 4), (6, 5), (8, 6), (10, 8), (12, 9)],
)
def test_sessions_required_is_three_quarters_rounded_up(planned, required):
    assert sessions_required(planned) == required


def test_an_sme_participant_completes_with_three_of_four_sessions_but_not_two():
    enrolments = [{"participant_id": "par_a", "role": "manager"},
                  {"participant_id": "par_b", "role": "newcomer"}]
    attendance = [["par_a", "par_b"], ["par_a", "par_b"], ["par_a"], []]
    assert outcomes(enrolments, attendance, 4) == [
        {"participant_id": "par_a", "role": "manager", "sessions_attended": 3, "completed": True},
        {"participant_id": "par_b", "role": "newcomer", "sessions_attended": 2, "completed": False},
    ]


def test_someone_enrolled_who_attended_nothing_has_zero_sessions_and_did_not_complete():
    results = outcomes([{"participant_id": "par_z", "role": "mentee"}], [["par_other"]], 1)
    assert results == [
        {"participant_id": "par_z", "role": "mentee", "sessions_attended": 0, "completed": False}]


def test_a_name_listed_twice_in_one_session_counts_once():
    assert sessions_attended([["par_a", "par_a"], ["par_a"]])["par_a"] == 2


def test_completers_are_the_ids_that_completed_in_enrolment_order():
    results = [{"participant_id": "par_b", "completed": True},
               {"participant_id": "par_a", "completed": False},
               {"participant_id": "par_c", "completed": True}]
    assert completers(results) == ["par_b", "par_c"]

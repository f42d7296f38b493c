"""How one response counts for an indicator: valid answers, agreement, choices, the advancement window."""
import pytest

from services.reporting.indicators import get
from services.reporting.rules import outcome


def fact(answers, ended="2025-06-30"):
    return {"answers": answers, "cohort_ended_on": ended}


@pytest.mark.parametrize(("value", "counts"), [
    (5, True), (4, True), (3, False), (1, False),
    ("na", None), (None, None), ("", None), (True, None), (6, None),
])
def test_agree_is_4_or_5_and_na_blank_or_odd_answers_are_not_valid(value, counts):
    assert outcome(get("I2"), fact({"satisfaction": value})) is counts


@pytest.mark.parametrize(("value", "counts"), [
    (["networking"], True), (["none"], False), (["none", "other"], True), ([], None), ("na", None),
])
def test_a_choice_other_than_none_counts(value, counts):
    assert outcome(get("I5"), fact({"actions_taken": value})) is counts


@pytest.mark.parametrize(("status", "counts"), [
    ("in_field_full_time", True), ("in_field_part_time", False), ("na", None),
])
def test_m3_counts_mentees_in_their_field_full_time(status, counts):
    assert outcome(get("M3"), fact({"employment_status": status})) is counts


@pytest.mark.parametrize(("happened", "ended", "counts"), [
    ("2025-06-30", "2025-06-30", False),  # on the end day: not after it
    ("2025-07-01", "2025-06-30", True),
    ("2026-06-30", "2025-06-30", True),  # day 365
    ("2026-07-01", "2025-06-30", False),  # day 366
    ("2025-07-01", None, False),  # the end is not known yet
    (None, "2025-06-30", False),
])
def test_advancement_counts_strictly_after_the_cohort_end_and_within_365_days(happened, ended, counts):
    answers = {"advancement": ["promotion"], "advancement_date": happened}
    assert outcome(get("I7"), fact(answers, ended)) is counts
    assert outcome(get("I7a"), fact(answers, ended)) is counts
    assert outcome(get("I7b"), fact(answers, ended)) is False


def test_an_advancement_of_none_is_a_valid_no():
    assert outcome(get("I7"), fact({"advancement": ["none"], "advancement_date": "2025-09-01"})) is False

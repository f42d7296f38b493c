"""Which mentors intake suggests for a mentee, in what order and why; and what a match must be."""
from itertools import product

import pytest
from marshmallow import ValidationError

from services.intake.mentoring import (
    LANGUAGE,
    OCCUPATION,
    SCORING,
    capacity,
    check_capacity_holder,
    check_planned_end,
    ended,
    fit,
    new_match,
    problems_with_pair,
    suggest,
)

MENTEE = {"id": "par_mentee", "role": "mentee", "occupation_noc": "21231", "preferred_language": "fr",
          "employer_id": None}


def mentor(mentor_id: str, noc: str = "21231", language: str = "fr", employer_id: str | None = None,
           **more) -> dict:
    return {"id": mentor_id, "role": "mentor", "occupation_noc": noc, "preferred_language": language,
            "employer_id": employer_id, **more}


def ranked_ids(mentors, active=None, mentee=MENTEE, limit=50) -> list[str]:
    return [s["mentor_id"] for s in suggest(mentee, mentors, active or {}, limit)]


def test_the_same_unit_group_beats_the_same_major_group_which_beats_the_same_broad_category():
    mentors = [mentor("m_none", "31102"), mentor("m_broad", "22310"), mentor("m_major", "21300"),
               mentor("m_unit", "21231")]
    assert ranked_ids(mentors) == ["m_unit", "m_major", "m_broad", "m_none"]


def test_a_shared_language_ranks_a_mentor_higher_within_one_occupation_level_but_never_above_the_next():
    mentors = [mentor("m_major_fr", "21300", "fr"), mentor("m_unit_en", "21231", "en"),
               mentor("m_unit_fr", "21231", "fr"), mentor("m_major_en", "21300", "en")]
    assert ranked_ids(mentors) == ["m_unit_fr", "m_unit_en", "m_major_fr", "m_major_en"]


def test_no_language_bonus_ever_lifts_a_mentor_over_one_closer_in_occupation():
    levels = [criterion.points for criterion in OCCUPATION] + [0]
    for closer, farther in zip(levels, levels[1:], strict=False):
        assert farther + LANGUAGE.points < closer
    scores = [occupation + language for occupation, language in product(levels, (LANGUAGE.points, 0))]
    assert scores == sorted(scores, reverse=True)  # lexicographic: occupation first, then language
    assert max(scores) == 100 and min(scores) == 0


def test_the_score_and_its_reasons_say_what_the_mentor_shares_with_the_mentee():
    assert fit(MENTEE, mentor("m", "21231", "fr")) == (100, [
        {"code": "same_noc_unit_group", "text": "Same occupation (NOC 21231)"},
        {"code": "same_language", "text": "Same preferred language (French)"}])
    assert fit(MENTEE, mentor("m", "21399", "en")) == (SCORING["same_noc_major_group"], [
        {"code": "same_noc_major_group", "text": "Same occupational major group (NOC 21)"}])
    assert fit(MENTEE, mentor("m", "20010", "en")) == (SCORING["same_noc_broad_category"], [
        {"code": "same_noc_broad_category", "text": "Same broad occupational category (NOC 2)"}])
    assert fit(MENTEE, mentor("m", "64100", "en")) == (0, [])


def test_a_suggestion_carries_the_mentors_id_score_and_reasons_only():
    [suggestion] = suggest(MENTEE, [mentor("m", given_name="Omar", email="o@example.org")], {}, 10)
    assert suggestion == {"mentor_id": "m", "score": 100, "reasons": fit(MENTEE, mentor("m"))[1]}


def test_mentors_at_capacity_are_not_suggested():
    mentors = [mentor("m_full"), mentor("m_two", mentor_capacity=2), mentor("m_free", "21300")]
    assert ranked_ids(mentors, {"m_full": 1, "m_two": 1}) == ["m_two", "m_free"]
    assert ranked_ids(mentors, {"m_full": 1, "m_two": 2}) == ["m_free"]


def test_a_mentor_takes_one_mentee_unless_they_said_more():
    assert capacity(mentor("m")) == 1
    assert capacity(mentor("m", mentor_capacity=3)) == 3


def test_mentors_from_the_mentees_own_employer_are_not_suggested():
    mentee = {**MENTEE, "employer_id": "emp_a"}
    mentors = [mentor("m_same", employer_id="emp_a"), mentor("m_other", employer_id="emp_b"),
               mentor("m_none")]
    assert ranked_ids(mentors, mentee=mentee) == ["m_none", "m_other"]


def test_a_mentee_without_an_employer_excludes_no_mentor_for_lacking_one_too():
    assert ranked_ids([mentor("m_none"), mentor("m_emp", employer_id="emp_a")]) == ["m_emp", "m_none"]


def test_equal_scores_go_to_the_mentor_with_fewest_active_mentees_then_by_id():
    mentors = [mentor(f"m_{name}", mentor_capacity=5) for name in ("c", "a", "d", "b")]
    assert ranked_ids(mentors, {"m_a": 2, "m_b": 1, "m_c": 1}) == ["m_d", "m_b", "m_c", "m_a"]
    assert ranked_ids(list(reversed(mentors)), {"m_a": 2, "m_b": 1, "m_c": 1}) == ["m_d", "m_b", "m_c", "m_a"]


def test_only_the_best_limit_mentors_are_suggested():
    mentors = [mentor("m_unit"), mentor("m_major", "21300"), mentor("m_broad", "22222")]
    assert ranked_ids(mentors, limit=2) == ["m_unit", "m_major"]


def test_a_match_is_scored_as_the_suggestions_score_it_and_is_about_the_mentees_occupation():
    match = new_match("mat_1", mentor("m", "21300", "en"), MENTEE, "2027-06-30", "2026-01-01T00:00:00.000Z")
    assert match == {"id": "mat_1", "mentor_id": "m", "mentee_id": "par_mentee", "occupation_noc": "21231",
                     "score": SCORING["same_noc_major_group"], "planned_end": "2027-06-30",
                     "status": "active", "created_at": "2026-01-01T00:00:00.000Z"}
    assert ended(match, "completed", True, "2027-07-01") == {
        **match, "status": "ended", "reason": "completed", "planned_end_reached": True,
        "ended_on": "2027-07-01"}


def test_only_a_mentor_and_a_mentee_can_be_matched():
    assert problems_with_pair(mentor("m"), MENTEE) == {}
    assert problems_with_pair(None, None) == {"mentor_id": ["Unknown participant."],
                                              "mentee_id": ["Unknown participant."]}
    assert problems_with_pair(MENTEE, mentor("m")) == {"mentor_id": ["Not a mentor of this council."],
                                                       "mentee_id": ["Not a mentee of this council."]}


def test_a_match_must_be_planned_to_end_after_today():
    check_planned_end("2026-03-02", "2026-03-01")
    for planned_end in ("2026-03-01", "2025-12-31"):
        with pytest.raises(ValidationError, match="Must be after today"):
            check_planned_end(planned_end, "2026-03-01")


def test_only_a_mentor_states_a_mentor_capacity():
    check_capacity_holder("mentor", 3)
    check_capacity_holder("newcomer", None)
    with pytest.raises(ValidationError) as refused:
        check_capacity_holder("mentee", 2)
    assert refused.value.messages == {"mentor_capacity": ["Only a mentor has a mentor capacity."]}

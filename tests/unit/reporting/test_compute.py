"""Computing published indicator rows from response and invitation facts, and cutting by breakdowns."""

import itertools

import pytest
from marshmallow import ValidationError

from services.reporting.compute import BreakdownSchema, compute, filter_facts, noc_category, years_band
from services.reporting.indicators import get

_ids = itertools.count(1)


def response(role="newcomer", wave="post", **overrides):
    """A response fact with its own ids; `answers` and any other field may be overridden."""
    n = next(_ids)
    fact = {
        "response_id": f"r{n}", "participant_id": f"p{n}", "cohort_id": "c1", "program_kind": "caip",
        "employer_id": "e1", "employer_size": "large", "role": role, "wave": wave, "answers": {},
        "submitted_at": "2024-07-01T12:00:00Z", "cohort_ended_on": "2024-06-30", "years_in_canada": 4,
        "occupation_noc": "21231", "preferred_language": "en",
    }
    return {**fact, **overrides}


def invitation(status="sent", role="newcomer", wave="post", **overrides):
    n = next(_ids)
    fact = {"invitation_id": f"i{n}", "participant_id": f"p{n}", "cohort_id": "c1", "program_kind": "caip",
            "employer_id": "e1", "employer_size": "large", "role": role, "wave": wave, "status": status}
    return {**fact, **overrides}


def answering(item, values, role="newcomer", wave="post", **overrides):
    """One response per value, each answering `item` with it (None: the item left out)."""
    return [response(role, wave, answers={} if value is None else {item: value}, **overrides)
            for value in values]


def advanced(kinds, on, ended="2024-06-30"):
    return response("newcomer", "fu12", cohort_ended_on=ended,
                    answers={"advancement": kinds, "advancement_date": on})


# --- rules ---------------------------------------------------------------------------------------------

def test_agree_counts_4_and_5_but_not_3():
    row = compute(get("I2"), answering("satisfaction", [5, 4, 3, 2]), [])
    assert (row["numerator"], row["denominator"], row["rate"]) == (2, 4, 0.5)


def test_na_and_blank_answers_are_not_in_the_denominator():
    row = compute(get("I2"), answering("satisfaction", [5, "na", None, "", 2]), [])
    assert (row["numerator"], row["denominator"]) == (1, 2)


def test_published_row_has_every_field_with_rate_and_interval_to_four_decimals():
    row = compute(get("I3"), answering("knowledge_increased", [5, 4, 5, 2, 1]),
                  [invitation() for _ in range(8)])
    assert row == {"id": "I3", "name": "Knowledge increased", "numerator": 3, "denominator": 5,
                   "rate": 0.6, "ci95": [0.2307, 0.8824], "invited": 8, "response_rate": 0.625,
                   "suppressed": False}


def test_a_managers_answer_does_not_count_for_newcomer_confidence():
    responses = (answering("confidence_navigating", [5, 2], wave="fu3")
                 + answering("confidence_navigating", [5, 5], role="manager", wave="fu3"))
    row = compute(get("I4"), responses, [])
    assert (row["numerator"], row["denominator"]) == (1, 2)


def test_an_answer_from_another_wave_does_not_count():
    row = compute(get("I4"), answering("confidence_navigating", [5], wave="fu12"), [])
    assert (row["numerator"], row["denominator"], row["rate"], row["ci95"]) == (0, 0, None, None)


def test_actions_count_when_anything_other_than_none_was_chosen():
    values = [["networking"], ["none"], ["none", "other"], [], "na"]
    row = compute(get("I5"), answering("actions_taken", values, role="manager", wave="fu3"), [])
    assert (row["numerator"], row["denominator"]) == (2, 3)


def test_managers_practices_count_only_managers():
    responses = (answering("manager_practices", [["sponsorship"], ["none"]], role="manager", wave="fu3")
                 + answering("manager_practices", [["sponsorship"]], role="hr_leader", wave="fu3"))
    row = compute(get("I10"), responses, [])
    assert (row["numerator"], row["denominator"]) == (1, 2)


def test_mentees_in_field_full_time_count_at_both_follow_ups():
    responses = (answering("employment_status", ["in_field_full_time", "outside_field", "na"],
                           role="mentee", wave="fu3")
                 + answering("employment_status", ["in_field_full_time"], role="mentee", wave="fu12"))
    row = compute(get("M3"), responses, [])
    assert (row["numerator"], row["denominator"]) == (2, 3)


# --- I7: advancement within a year of the cohort's end -------------------------------------------------

def test_advancement_dated_before_the_cohort_end_is_not_counted():
    row = compute(get("I7"), [advanced(["promotion"], "2024-06-01")], [])
    assert (row["numerator"], row["denominator"]) == (0, 1)


def test_advancement_365_days_after_the_end_is_counted_and_366_is_not():
    # 2024-06-30 + 365 days = 2025-06-30
    responses = [advanced(["promotion"], "2025-06-30"), advanced(["promotion"], "2025-07-01")]
    row = compute(get("I7"), responses, [])
    assert (row["numerator"], row["denominator"]) == (1, 2)


def test_advancement_on_the_day_the_cohort_ended_is_not_after_it():
    row = compute(get("I7"), [advanced(["new_role"], "2024-06-30")], [])
    assert row["numerator"] == 0


def test_none_or_a_missing_date_is_a_valid_answer_without_advancement():
    responses = [advanced(["none"], "2024-09-01"), advanced(["promotion"], None), advanced("na", None)]
    row = compute(get("I7"), responses, [])
    assert (row["numerator"], row["denominator"]) == (0, 2)


def test_each_advancement_kind_counts_only_its_own_kind():
    responses = [advanced(["promotion"], "2024-09-01"), advanced(["wage_increase"], "2024-09-01"),
                 advanced(["promotion", "new_role"], "2024-09-01")]
    counts = {indicator_id: compute(get(indicator_id), responses, [])["numerator"]
              for indicator_id in ("I7", "I7a", "I7b", "I7c")}
    assert counts == {"I7": 3, "I7a": 2, "I7b": 1, "I7c": 1}


# --- I8: median pay change -----------------------------------------------------------------------------

def test_pay_change_is_the_median_over_respondents_who_gave_a_number():
    responses = answering("base_pay_change_pct", [2, 10, 5, "na", None, True], wave="fu12")
    row = compute(get("I8"), responses, [invitation(wave="fu12") for _ in range(6)])
    assert (row["numerator"], row["denominator"], row["rate"], row["ci95"]) == (5, 3, None, None)
    assert row["response_rate"] == 1.0


def test_pay_change_without_numbers_has_no_median():
    row = compute(get("I8"), [], [])
    assert (row["numerator"], row["denominator"]) == (None, 0)


# --- I13 and the response rate of every indicator ------------------------------------------------------

def test_response_rate_counts_only_invitations_that_were_sent():
    invitations = [invitation(status) for status in
                   ("sent", "responded", "responded", "expired", "scheduled", "cancelled")]
    row = compute(get("I13"), answering("satisfaction", [5, 4]), invitations)
    assert (row["numerator"], row["denominator"], row["invited"], row["rate"]) == (2, 4, 4, 0.5)
    assert row["response_rate"] == 0.5


def test_response_rate_of_an_indicator_counts_its_own_wave_and_roles():
    invitations = [invitation(role="newcomer", wave="fu3"), invitation(role="newcomer", wave="fu3"),
                   invitation(role="manager", wave="fu3"), invitation(role="newcomer", wave="post")]
    row = compute(get("I4"), answering("confidence_navigating", [4], wave="fu3"), invitations)
    assert (row["invited"], row["response_rate"]) == (2, 0.5)


def test_nothing_invited_gives_no_response_rate():
    row = compute(get("I2"), [], [invitation("scheduled")])
    assert (row["invited"], row["response_rate"]) == (0, None)


def test_indicators_from_other_projections_are_refused():
    with pytest.raises(ValueError, match="I1"):
        compute(get("I1"), [], [])


# --- small-cell suppression ----------------------------------------------------------------------------

def test_denominator_below_the_threshold_is_suppressed():
    row = compute(get("I2"), answering("satisfaction", [5, 5, 4, 1]), [], suppress_below=5)
    assert (row["numerator"], row["denominator"], row["rate"], row["ci95"], row["suppressed"]) == (
        None, 4, None, None, True)


def test_denominator_at_the_threshold_is_published():
    row = compute(get("I2"), answering("satisfaction", [5, 5, 4, 1, 2]), [], suppress_below=5)
    assert (row["numerator"], row["denominator"], row["rate"], row["suppressed"]) == (3, 5, 0.6, False)
    assert row["ci95"] is not None


def test_suppressed_median_hides_the_median():
    row = compute(get("I8"), answering("base_pay_change_pct", [3, 4], wave="fu12"), [], suppress_below=5)
    assert (row["numerator"], row["suppressed"]) == (None, True)


def test_suppressed_response_rate_hides_the_rate_it_repeats():
    row = compute(get("I13"), answering("satisfaction", [5]), [invitation("sent")] * 3, suppress_below=5)
    hidden = (row["numerator"], row["rate"], row["response_rate"])
    assert hidden == (None, None, None) and row["suppressed"] is True


# --- breakdowns ----------------------------------------------------------------------------------------

def test_breakdowns_combine():
    wanted = response("manager", program_kind="caip_sme", employer_size="small")
    facts = [wanted,
             response("manager", program_kind="caip", employer_size="small"),
             response("newcomer", program_kind="caip_sme", employer_size="small"),
             response("manager", program_kind="caip_sme", employer_size="large")]
    breakdown = {"program_kind": "caip_sme", "role": "manager", "employer_size": "small"}
    assert filter_facts(facts, breakdown) == [wanted]


def test_leaders_covers_both_leader_roles():
    facts = [response(role) for role in ("hr_leader", "senior_leader", "manager", "newcomer")]
    leaders = filter_facts(facts, {"role": "leaders"})
    assert [fact["role"] for fact in leaders] == ["hr_leader", "senior_leader"]


def test_breakdowns_cut_invitations_too():
    facts = [invitation(wave="fu3", cohort_id="c2"), invitation(wave="fu3"), invitation(wave="post")]
    assert filter_facts(facts, {"wave": "fu3", "cohort_id": "c2"}) == facts[:1]


@pytest.mark.parametrize(("years", "band"), [(0, "0-2"), (2, "0-2"), (3, "3-5"), (6, "6-10"), (10, "6-10"),
                                             (11, "11+"), (40, "11+"), (None, None), (-1, None)])
def test_years_in_canada_bands(years, band):
    assert years_band(years) == band


def test_years_in_canada_breakdown_uses_the_band():
    facts = [response(years_in_canada=years) for years in (1, 4, 5, None)]
    assert [fact["years_in_canada"] for fact in filter_facts(facts, {"years_in_canada": "3-5"})] == [4, 5]


def test_occupation_breakdown_is_the_noc_broad_category():
    facts = [response(occupation_noc=noc) for noc in ("21231", "20012", "31301", None)]
    assert noc_category("21231") == "2"
    assert [f["occupation_noc"] for f in filter_facts(facts, {"occupation": "2"})] == ["21231", "20012"]


def test_language_and_program_breakdowns():
    facts = [response(preferred_language="fr", program_id="pr1"), response(preferred_language="en")]
    assert filter_facts(facts, {"preferred_language": "fr"}) == facts[:1]
    assert filter_facts(facts, {"program_id": "pr1"}) == facts[:1]


def test_period_includes_cohorts_ending_on_either_bound():
    facts = [response(cohort_ended_on=day) for day in
             ("2024-01-31", "2024-02-01", "2024-03-31", "2024-04-01", None)]
    breakdown = BreakdownSchema().load({"ended_from": "2024-02-01", "ended_to": "2024-03-31"})
    assert [f["cohort_ended_on"] for f in filter_facts(facts, breakdown)] == ["2024-02-01", "2024-03-31"]


def test_empty_breakdown_keeps_everything_and_suppress_below_is_not_a_cut():
    facts = [response(), invitation()]
    assert filter_facts(facts, {}) == facts
    assert filter_facts(facts, {"suppress_below": 5, "role": None}) == facts


def test_unknown_breakdown_is_refused():
    with pytest.raises(ValueError, match="colour"):
        filter_facts([], {"colour": "blue"})


def test_breakdown_then_compute_gives_the_cell():
    responses = (answering("satisfaction", [5, 4, 1], role="hr_leader", employer_size="small")
                 + answering("satisfaction", [5], role="senior_leader", employer_size="small")
                 + answering("satisfaction", [5, 5], role="manager", employer_size="small")
                 + answering("satisfaction", [1], role="hr_leader", employer_size="large"))
    invitations = [invitation(role="hr_leader", employer_size="small") for _ in range(5)]
    breakdown = {"role": "leaders", "employer_size": "small"}
    row = compute(get("I2"), filter_facts(responses, breakdown), filter_facts(invitations, breakdown))
    assert (row["numerator"], row["denominator"], row["invited"], row["response_rate"]) == (3, 4, 5, 0.8)


# --- the query string ----------------------------------------------------------------------------------

def test_query_string_loads_into_a_breakdown():
    query = {"program_kind": "caip_2", "role": "leaders", "wave": "fu12", "employer_size": "medium",
             "years_in_canada": "11+", "occupation": "0", "preferred_language": "fr", "suppress_below": "5",
             "ended_from": "2024-01-01", "ended_to": "2024-12-31", "cohort_id": "c9"}
    loaded = BreakdownSchema().load(query)
    assert loaded["suppress_below"] == 5
    assert loaded["ended_to"].isoformat() == "2024-12-31"


def test_every_field_is_optional():
    assert BreakdownSchema().load({}) == {}


def test_bad_query_values_are_named_field_by_field():
    query = {"program_kind": "yoga", "role": "boss", "wave": "fu6", "employer_size": "huge",
             "years_in_canada": "1-3", "occupation": "21", "preferred_language": "de",
             "suppress_below": "-1", "ended_from": "yesterday", "colour": "blue"}
    with pytest.raises(ValidationError) as raised:
        BreakdownSchema().load(query)
    assert set(raised.value.messages) == set(query)


def test_suppress_below_must_be_a_whole_number():
    with pytest.raises(ValidationError) as raised:
        BreakdownSchema().load({"suppress_below": "five"})
    assert set(raised.value.messages) == {"suppress_below"}


def test_period_must_not_end_before_it_starts():
    with pytest.raises(ValidationError) as raised:
        BreakdownSchema().load({"ended_from": "2024-06-01", "ended_to": "2024-05-31"})
    assert set(raised.value.messages) == {"ended_from", "ended_to"}

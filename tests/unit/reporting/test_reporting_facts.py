"""Joining the projections into the facts the indicators count, whatever has arrived so far."""

import pytest

from services.reporting.facts import (
    Snapshot,
    by_enrolment,
    by_id,
    invitation_facts,
    invitation_status,
    response_facts,
)


def snapshot(**overrides):
    """One newcomer of a completed CAIP cohort at a large employer, with a post response and invitation."""
    projections = {
        "employers": by_id([{"_id": "e1", "size_class": "large"}]),
        "programs": by_id([{"_id": "g1", "kind": "caip"}]),
        "cohorts": by_id([{"_id": "c1", "program_id": "g1", "program_kind": "caip",
                           "ended_on": "2025-06-30"}]),
        "participants": by_id([{"_id": "p1", "role": "newcomer", "employer_id": "e1", "years_in_canada": 4,
                                "occupation_noc": "21231", "preferred_language": "fr"}]),
        "enrolments": by_enrolment([{"_id": "c1:p1", "cohort_id": "c1", "participant_id": "p1",
                                     "role": "newcomer", "employer_id": "e1", "program_id": "g1"}]),
        "invitations": [{"_id": "i1", "participant_id": "p1", "cohort_id": "c1", "wave": "post",
                         "last_sent_at": "2025-07-01T00:00:00.000Z"}],
        "responses": [{"_id": "r1", "invitation_id": "i1", "participant_id": "p1", "cohort_id": "c1",
                       "role": "newcomer", "wave": "post", "answers": {"satisfaction": 5},
                       "submitted_at": "2025-07-02T00:00:00.000Z"}],
    }
    return Snapshot(**{**projections, **overrides})


CONTEXT = {"participant_id": "p1", "cohort_id": "c1", "program_id": "g1", "program_kind": "caip",
           "employer_id": "e1", "employer_size": "large", "role": "newcomer", "wave": "post",
           "cohort_ended_on": "2025-06-30", "years_in_canada": 4, "occupation_noc": "21231",
           "preferred_language": "fr"}


def test_a_response_fact_carries_its_answers_and_everything_a_breakdown_cuts_on():
    assert response_facts(snapshot()) == [{**CONTEXT, "response_id": "r1", "invitation_id": "i1",
                                           "answers": {"satisfaction": 5},
                                           "submitted_at": "2025-07-02T00:00:00.000Z"}]


def test_an_invitation_fact_has_the_same_context_and_its_status():
    assert invitation_facts(snapshot()) == [{**CONTEXT, "invitation_id": "i1", "status": "sent"}]


def test_a_response_that_arrived_alone_is_counted_with_what_it_says_and_nothing_else():
    [fact] = response_facts(Snapshot(responses=snapshot().responses))
    assert (fact["cohort_id"], fact["role"], fact["wave"]) == ("c1", "newcomer", "post")
    assert fact["employer_size"] is None and fact["cohort_ended_on"] is None and fact["program_kind"] is None


def test_the_enrolments_role_and_employer_win_over_the_participants():
    enrolments = by_enrolment([{"cohort_id": "c1", "participant_id": "p1", "role": "mentee",
                                "employer_id": "e2"}])
    invitations = [{"_id": "i1", "participant_id": "p1", "cohort_id": "c1", "wave": "post"}]
    employers = by_id([{"_id": "e2", "size_class": "small"}])
    [fact] = invitation_facts(snapshot(enrolments=enrolments, invitations=invitations, employers=employers))
    assert (fact["role"], fact["employer_id"], fact["employer_size"]) == ("mentee", "e2", "small")


def test_program_kind_comes_from_the_program_when_the_cohort_is_not_known_yet():
    [fact] = response_facts(snapshot(cohorts={}))
    assert (fact["program_id"], fact["program_kind"], fact["cohort_ended_on"]) == ("g1", "caip", None)


@pytest.mark.parametrize(("times", "status"), [
    ({}, "scheduled"),
    ({"scheduled_at": "t"}, "scheduled"),
    ({"scheduled_at": "t", "last_sent_at": "t"}, "sent"),
    ({"last_sent_at": "t", "expired_at": "t"}, "expired"),
    ({"last_sent_at": "t", "cancelled_at": "t"}, "cancelled"),
    ({"responded_at": "t"}, "responded"),
    ({"responded_at": "t", "cancelled_at": "t", "last_sent_at": "t"}, "responded"),
])
def test_invitation_status_follows_the_most_decisive_event_received(times, status):
    assert invitation_status({"_id": "i1", **times}) == status

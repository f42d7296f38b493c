"""The GET /v1/indicators answer: which rows, cut how, from a snapshot of the projections."""

import pytest
from marshmallow import ValidationError

from services.reporting.facts import Snapshot, by_enrolment
from services.reporting.figures import indicator_rows, indicators_answer
from services.reporting.indicators import survey_based
from services.reporting.schemas import IndicatorsQuerySchema


def cohort(cohort_id, members):
    """Projections of a cohort: members [(participant_id, role, satisfaction or None for no response)]."""
    invitations = [{"_id": f"i-{pid}", "participant_id": pid, "cohort_id": cohort_id, "wave": "post",
                    "role": role, "last_sent_at": "t"} for pid, role, _ in members]
    responses = [{"_id": f"r-{pid}", "participant_id": pid, "cohort_id": cohort_id, "wave": "post",
                  "role": role, "answers": {"satisfaction": score}}
                 for pid, role, score in members if score is not None]
    return invitations, responses


def snapshot():
    first = cohort("c1", [("p1", "newcomer", 5), ("p2", "newcomer", 4), ("p3", "manager", 2),
                          ("p4", "manager", None)])
    second = cohort("c2", [("p5", "newcomer", 1)])
    return Snapshot(invitations=first[0] + second[0], responses=first[1] + second[1],
                    enrolments=by_enrolment([]))


def query(**params):
    return IndicatorsQuerySchema().load(params)


def by_id(rows):
    return {row["id"]: row for row in rows}


def test_every_survey_based_indicator_has_a_row_in_catalogue_order():
    assert [row["id"] for row in indicator_rows(snapshot(), query())] == [d.id for d in survey_based()]


def test_rows_can_be_restricted_to_some_indicators():
    assert [row["id"] for row in indicator_rows(snapshot(), query(indicator="I13, I2"))] == ["I2", "I13"]


def test_the_breakdown_cuts_responses_and_invitations_alike():
    i2 = by_id(indicator_rows(snapshot(), query(cohort_id="c1", role="newcomer")))["I2"]
    assert (i2["numerator"], i2["denominator"], i2["invited"], i2["response_rate"]) == (2, 2, 2, 1.0)


def test_the_councils_own_view_suppresses_nothing_unless_asked():
    rows = by_id(indicator_rows(snapshot(), query(cohort_id="c2")))
    assert rows["I2"]["suppressed"] is False and rows["I2"]["numerator"] == 0
    suppressed = by_id(indicator_rows(snapshot(), query(cohort_id="c2", suppress_below="5")))["I2"]
    assert suppressed["suppressed"] is True and suppressed["numerator"] is None


def test_the_answer_says_as_of_when():
    answer = indicators_answer(Snapshot(), query(indicator="I2"), as_of="2026-01-01T00:00:00.000Z")
    assert answer["as_of"] == "2026-01-01T00:00:00.000Z"
    assert answer["indicators"][0]["denominator"] == 0


@pytest.mark.parametrize("value", ["I1", "I2,I99", "", " , "])
def test_an_indicator_that_is_unknown_or_not_computed_from_responses_is_refused(value):
    with pytest.raises(ValidationError) as refused:
        query(indicator=value)
    assert list(refused.value.messages) == ["indicator"]

"""GET /v1/indicators over event streams as intake and surveys publish them (real RabbitMQ and Mongo).

Each test makes its own tenant and ids. The standard cohort: 5 enrolments (3 newcomers, 2 managers),
5 post invitations sent, 3 responses: satisfaction 5, 4, 2 and knowledge 4, na, 5.
"""
from __future__ import annotations

import secrets

import pytest
from prometheus_client.parser import text_string_to_metric_families

from services.common.envelope import new_event
from services.common.tenancy import TenantRegistry, database_name
from tests.integration.reporting_support import STANDARD_COHORT, CohortStream
from tests.support.amqp import publish_event
from tests.support.http import Api
from tests.support.waiting import eventually

I2_OF_STANDARD = {"id": "I2", "name": "Satisfaction", "numerator": 2, "denominator": 3, "rate": 0.6667,
                  "ci95": [0.2077, 0.9385], "invited": 5, "response_rate": 0.6, "suppressed": False}
I3_OF_STANDARD = {"id": "I3", "name": "Knowledge increased", "numerator": 2, "denominator": 2, "rate": 1.0,
                  "ci95": [0.3424, 1.0], "invited": 5, "response_rate": 0.6, "suppressed": False}


@pytest.fixture
def publish(reporting, amqp_uri):
    """Publish (source, event) pairs as intake and surveys would. Each test then waits for the whole
    final state it asserts (the figures that need every event), not for events to reach a log."""
    def publish_all(events: list[tuple[str, dict]]) -> None:
        for source, event in events:
            publish_event(amqp_uri, source, event)
    return publish_all


def rows(api: Api, **query) -> dict[str, dict]:
    """The rows of the council's own view, every cell shown unless `suppress_below` is given."""
    answer = api.get("/v1/indicators", params={"suppress_below": "0", **query})
    assert answer.status_code == 200, answer.text
    return {row["id"]: row for row in answer.json()["indicators"]}


def settled(api: Api, expected: dict[str, dict], **query) -> dict[str, dict]:
    """The rows for `query` once those named in `expected` are as expected (events are asynchronous)."""
    def probe():
        current = rows(api, **query)
        return current if all(current[key] == row for key, row in expected.items()) else None
    return eventually(probe, timeout=60, what=f"indicators {sorted(expected)} for {query}")


I1_OF_STANDARD = {"id": "I1", "name": "Completion", "numerator": 5, "denominator": 5, "rate": 1.0,
                  "ci95": [0.5655, 1.0], "invited": None, "response_rate": None, "suppressed": False}


def settled_whole(api: Api) -> dict[str, dict]:
    """The standard cohort's final state: the figures that need every one of its events (the cuts by
    program kind and employer size need the cohort and the employer, I1 the completion)."""
    whole = {"I1": I1_OF_STANDARD, "I2": I2_OF_STANDARD, "I3": I3_OF_STANDARD}
    return settled(api, whole, program_kind="caip", employer_size="large", years_in_canada="3-5")


def figures(row: dict) -> tuple:
    return row["numerator"], row["denominator"], row["invited"], row["response_rate"]


def test_satisfaction_and_knowledge_of_a_cohort_with_wilson_intervals(reporting, publish, tenant):
    publish(CohortStream(tenant["id"], STANDARD_COHORT).all_events())
    found = settled_whole(reporting)
    assert figures(found["I13"]) == (3, 5, 5, 0.6)


def test_a_councils_own_view_shows_small_cells_and_suppresses_them_when_asked(reporting, publish, tenant):
    publish(CohortStream(tenant["id"], STANDARD_COHORT).all_events())
    settled_whole(reporting)
    shown = reporting.get("/v1/indicators", params={"indicator": "I2"}).json()["indicators"]
    assert shown == [I2_OF_STANDARD]
    answer = reporting.get("/v1/indicators", params={"indicator": "I2,I1", "suppress_below": "5"}).json()
    i1, i2 = answer["indicators"]
    assert i2 == {**I2_OF_STANDARD, "numerator": None, "rate": None, "ci95": None, "suppressed": True}
    assert (i1["numerator"], i1["denominator"], i1["suppressed"]) == (5, 5, False)


def test_a_breakdown_by_role_counts_only_that_roles_responses_and_invitations(reporting, publish, tenant):
    publish(CohortStream(tenant["id"], STANDARD_COHORT).all_events())
    settled_whole(reporting)
    newcomers, managers = rows(reporting, role="newcomer"), rows(reporting, role="manager")
    assert figures(newcomers["I2"]) == (2, 2, 3, 0.6667)
    assert figures(newcomers["I3"]) == (1, 1, 3, 0.6667)
    assert figures(managers["I2"]) == (0, 1, 2, 0.5)
    assert figures(managers["I3"]) == (1, 1, 2, 0.5)


def test_a_breakdown_by_cohort_keeps_each_cohorts_figures_apart(reporting, publish, tenant):
    first = CohortStream(tenant["id"], STANDARD_COHORT)
    second = CohortStream(tenant["id"], [("newcomer", {"satisfaction": 1, "knowledge_increased": 2}),
                                         ("newcomer", None)])
    publish(first.all_events() + second.all_events())
    settled(reporting, {"I2": {**I2_OF_STANDARD, "denominator": 4, "rate": 0.5, "ci95": [0.15, 0.85],
                               "invited": 7, "response_rate": 0.5714}})
    assert rows(reporting, cohort_id=first.cohort_id)["I2"] == I2_OF_STANDARD
    assert figures(rows(reporting, cohort_id=second.cohort_id)["I2"]) == (0, 1, 2, 0.5)


def test_responses_that_arrive_before_their_cohort_and_enrolments_count_once_these_arrive(
        reporting, publish, tenant):
    stream = CohortStream(tenant["id"], STANDARD_COHORT, size_class="medium")
    backwards = list(reversed(stream.all_events()))  # responses first, the employer last
    publish([pair for pair in backwards if pair[0] == "surveys"])
    settled(reporting, {"I2": I2_OF_STANDARD, "I3": I3_OF_STANDARD})
    # Not yet known: the employer's size and the cohort's end come from intake's events.
    assert rows(reporting, employer_size="medium")["I2"]["denominator"] == 0
    publish([pair for pair in backwards if pair[0] == "intake"])
    by_joins = {"employer_size": "medium", "program_kind": "caip", "ended_from": "2025-06-30",
                "years_in_canada": "3-5", "occupation": "2", "preferred_language": "en"}
    settled(reporting, {"I2": I2_OF_STANDARD, "I3": I3_OF_STANDARD}, **by_joins)


def _consumed(api: Api, event_type: str, outcome: str) -> float:
    for family in text_string_to_metric_families(api.with_key(None).get("/metrics").text):
        for sample in family.samples:
            labels = sample.labels
            if (sample.name == "iec_events_consumed_total" and labels.get("service") == "reporting"
                    and labels.get("event_type") == event_type and labels.get("outcome") == outcome):
                return sample.value
    return 0.0


def test_a_response_delivered_twice_counts_once(reporting, publish, tenant):
    stream = CohortStream(tenant["id"], STANDARD_COHORT)
    publish(stream.all_events())
    settled_whole(reporting)
    duplicates_before = _consumed(reporting, "response.submitted", "duplicate")
    publish([("surveys", stream.responses[0])])
    eventually(lambda: _consumed(reporting, "response.submitted", "duplicate") > duplicates_before,
               what="the redelivery to be recognised")
    found = rows(reporting)
    assert found["I2"] == I2_OF_STANDARD
    assert figures(found["I13"]) == (3, 5, 5, 0.6)


def test_a_cancelled_invitation_leaves_the_response_rate_and_an_expired_one_stays(reporting, publish, tenant):
    stream = CohortStream(tenant["id"], STANDARD_COHORT)
    unanswered = [pid for pid, _, answers in stream.members if answers is None]
    publish(stream.all_events() + [
        ("surveys", new_event("surveys", "invitation.cancelled", tenant["id"],
                              {"invitation_id": stream.invitation_id(unanswered[0]), "reason": "withdrawn"})),
        ("surveys", new_event("surveys", "invitation.expired", tenant["id"],
                              {"invitation_id": stream.invitation_id(unanswered[1])})),
    ])
    found = settled(reporting, {"I2": {**I2_OF_STANDARD, "invited": 4, "response_rate": 0.75}})
    assert figures(found["I13"]) == (3, 4, 4, 0.75)


def test_another_councils_key_sees_none_of_these_figures(reporting, publish, tenant, mongo_client):
    publish(CohortStream(tenant["id"], STANDARD_COHORT).all_events())
    settled_whole(reporting)
    registry = TenantRegistry(mongo_client)
    other = f"t{secrets.token_hex(5)}"
    registry.create_tenant(other, name="Other council", city="Halifax")
    _, other_key = registry.create_key(other, "analyst")
    theirs = rows(reporting.with_key(other_key))
    assert theirs["I2"]["denominator"] == 0
    assert all(row["denominator"] == 0 and not row["invited"] for row in theirs.values())


def test_rows_can_be_restricted_and_small_cells_suppressed(reporting, publish, tenant):
    publish(CohortStream(tenant["id"], STANDARD_COHORT).all_events())
    settled_whole(reporting)
    answer = reporting.get("/v1/indicators", params={"indicator": "I3,I2", "suppress_below": "3"}).json()
    assert [row["id"] for row in answer["indicators"]] == ["I2", "I3"]
    i2, i3 = answer["indicators"]
    assert i2 == I2_OF_STANDARD  # a denominator of 3 is at the threshold: shown
    assert i3 == {**I3_OF_STANDARD, "numerator": None, "rate": None, "ci95": None, "suppressed": True}
    assert answer["as_of"].endswith("Z")


def test_bad_query_parameters_are_a_400_naming_each(reporting):
    answer = reporting.get("/v1/indicators", params={
        "role": "boss", "ended_from": "yesterday", "suppress_below": "-1", "colour": "red",
        "indicator": "I0,I99"})
    assert answer.status_code == 400
    body = answer.json()
    assert body["error"] == "VALIDATION_ERROR"
    assert set(body["fields"]) == {"role", "ended_from", "suppress_below", "colour", "indicator"}
    assert "I0" in body["fields"]["indicator"][0] and "I99" in body["fields"]["indicator"][0]


def test_every_event_received_is_logged_once_without_the_respondents_link(
        reporting, publish, tenant, mongo_client):
    stream = CohortStream(tenant["id"], STANDARD_COHORT)
    events = stream.all_events()
    publish(events)
    log = mongo_client[database_name(tenant["id"], "reporting")]["event_log"]
    eventually(lambda: log.count_documents({}) == len(events), what="every event in the log")
    duplicates_before = _consumed(reporting, "response.submitted", "duplicate")
    publish([("surveys", stream.responses[0])])
    eventually(lambda: _consumed(reporting, "response.submitted", "duplicate") > duplicates_before)
    assert log.count_documents({}) == len(events)
    due = log.find_one({"type": "invitation.due"})
    assert due["data"]["invitation_id"] and "link" not in due["data"]
    response = log.find_one({"_id": stream.responses[0]["id"]})
    assert response["data"]["answers"] == stream.responses[0]["data"]["answers"]


def test_the_openapi_document_lists_every_query_parameter_the_endpoint_accepts(reporting):
    from services.reporting.schemas import IndicatorsQuerySchema

    document = reporting.with_key(None).get("/openapi.json").json()
    parameters = document["paths"]["/v1/indicators"]["get"]["parameters"]
    assert {p["name"] for p in parameters} == set(IndicatorsQuerySchema().fields)

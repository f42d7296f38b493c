"""GET /v1/reports/insights (JSON, CSV, HTML), and publishing it: a stored public snapshot announced by
`report.published` on `iec.outcomes`, received by a real subscriber (real RabbitMQ, Mongo, HTTP).

The events are those intake and surveys publish (`reporting_support.CohortStream`).
"""
from __future__ import annotations

import csv
import io

import pytest

from services.common.envelope import new_event
from services.common.tenancy import TenantRegistry
from services.reporting.subscriber import OutcomeSubscriber
from tests.integration.outcomes_support import MANAGEMENT, Received, Subscribers, running
from tests.integration.reporting_support import (
    STANDARD_COHORT,
    WIDE_COHORT,
    CohortStream,
    feed,
    figures_of,
    settled_report,
)
from tests.support.amqp import publish_event
from tests.support.openapi import DocumentedCalls
from tests.support.waiting import eventually

PUBLIC_URL = "http://reports.council.example:8443"


@pytest.fixture(autouse=True)
def public_url(service_env) -> None:
    """Every reporting of this module (the shared ``reporting`` fixture) names this public address."""
    service_env.setenv("REPORTING_PUBLIC_URL", PUBLIC_URL)


def test_the_report_gives_each_figure_with_its_base(reporting, amqp_uri, tenant):
    feed(amqp_uri, CohortStream(tenant["id"], WIDE_COHORT))
    report = settled_report(reporting, "I3", 4, 6, program_kind="caip")
    found = figures_of(report)
    assert (found["I2"]["numerator"], found["I2"]["denominator"], found["I2"]["rate"]) == (4, 5, 0.8)
    assert found["I2"]["label"] == "Satisfied with the program"
    assert found["I2"]["base"] == "participants who answered at the end of the program"
    assert (found["I2"]["invited"], found["I2"]["response_rate"]) == (6, 1.0)
    assert found["I2"]["ci95"] == pytest.approx([0.3755, 0.9638], abs=1e-4)
    assert report["scope"] == {"program_kind": "caip"}
    assert report["council"] == f"Council {tenant['id']}"
    assert [f["indicator_id"] for f in report["figures"]] == ["I2", "I3", "I5", "I4", "I6", "I7", "I9", "I11"]
    other_kind = reporting.get("/v1/reports/insights",
                               params={"program_kind": "mentoring", "suppress_below": 0})
    assert figures_of(other_kind.json())["I2"]["denominator"] == 0


def test_the_report_as_csv_has_a_header_and_a_row_a_figure(reporting, amqp_uri, tenant):
    feed(amqp_uri, CohortStream(tenant["id"], WIDE_COHORT))
    settled_report(reporting, "I3", 4, 6)
    answer = reporting.get("/v1/reports/insights", params={"format": "csv", "suppress_below": "0"})
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in answer.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [row["indicator_id"] for row in rows] == ["I2", "I3", "I5", "I4", "I6", "I7", "I9", "I11"]
    assert (rows[0]["numerator"], rows[0]["denominator"], rows[0]["rate"]) == ("4", "5", "0.8")


def test_a_browser_asking_for_html_gets_the_page_with_charts(reporting, amqp_uri, tenant):
    feed(amqp_uri, CohortStream(tenant["id"], WIDE_COHORT))
    settled_report(reporting, "I3", 4, 6)
    answer = reporting.get("/v1/reports/insights", params={"suppress_below": "0"},
                           headers={"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"})
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/html")
    assert answer.text.count('<svg class="bar" role="img"') == 8
    assert "80%" in answer.text and "4 of 5 participants who answered" in answer.text
    assert "<script" not in answer.text


def test_bad_report_queries_are_a_400_naming_each(reporting):
    answer = reporting.get("/v1/reports/insights", params={"format": "pdf", "program_kind": "yoga",
                                                            "indicator": "I2"})
    assert answer.status_code == 400
    assert set(answer.json()["fields"]) == {"format", "program_kind", "indicator"}


def test_a_published_report_is_a_suppressed_snapshot_announced_to_subscribers(
        reporting, amqp_uri, tenant, other_council):
    staff, admin = reporting.with_key(tenant["staff"]), reporting.with_key(tenant["admin"])
    subscribers = Subscribers(admin)
    try:
        made = subscribers.create("reports")
        received = Received()
        with running(OutcomeSubscriber(made["amqp_url"], tenant["id"], received)):
            feed(amqp_uri, CohortStream(tenant["id"], STANDARD_COHORT))  # I2 2 of 3: below 5
            settled_report(reporting, "I2", 2, 3)
            answer = staff.post("/v1/reports/insights/publish", json={"program_kind": "caip"})
            assert answer.status_code == 201, answer.text
            published = answer.json()
            eventually(lambda: [e for e in received.events if e["type"] == "report.published"],
                       what="report.published")
    finally:
        subscribers.remove_all()
    assert published["url"] == f"{PUBLIC_URL}/v1/reports/{published['report_id']}"
    assert (published["kind"], published["scope"]) == ("insights", {"program_kind": "caip"})
    announced = next(e for e in received.events if e["type"] == "report.published")
    assert announced["data"] == published
    assert (announced["tenantid"], announced["subject"]) == (tenant["id"], published["report_id"])
    # Every outcome event the subscriber got matches the AsyncAPI document, whoever emitted it
    # (the projections' indicator.updated too).
    assert received.invalid == []
    assert {e["type"] for e in received.events} == {"indicator.updated", "report.published"}

    stored = reporting.get(f"/v1/reports/{published['report_id']}")
    assert stored.status_code == 200
    satisfaction = figures_of(stored.json())["I2"]
    assert (satisfaction["numerator"], satisfaction["denominator"]) == (None, 3)
    assert satisfaction["suppressed"] is True
    assert stored.json()["report_id"] == published["report_id"]
    as_csv = reporting.get(f"/v1/reports/{published['report_id']}", params={"format": "csv"})
    assert as_csv.headers["Content-Type"].startswith("text/csv")
    as_page = reporting.get(f"/v1/reports/{published['report_id']}", headers={"Accept": "text/html"})
    assert f"Published report {published['report_id']}" in as_page.text
    elsewhere = reporting.with_key(other_council["analyst"]).get(f"/v1/reports/{published['report_id']}")
    assert elsewhere.status_code == 404


def test_only_staff_publish_and_a_bad_body_is_a_400_naming_each_field(reporting, tenant):
    assert reporting.post("/v1/reports/insights/publish", json={}).status_code == 403  # analyst
    staff = reporting.with_key(tenant["staff"])
    bad = staff.post("/v1/reports/insights/publish", json={"program_kind": "yoga", "colour": "red"})
    assert bad.status_code == 400
    assert set(bad.json()["fields"]) == {"program_kind", "colour"}
    assert reporting.get("/v1/reports/rpt-0000000000000000").status_code == 404


def test_the_outcome_events_of_the_projections_match_the_asyncapi_document(reporting, amqp_uri, tenant):
    """indicator.updated and advancement.reported, as the projections emit them, received for real."""
    stream = CohortStream(tenant["id"], STANDARD_COHORT)
    newcomer = stream.members[0][0]
    advanced = new_event("surveys", "response.submitted", tenant["id"], {
        "response_id": f"r-fu12-{newcomer}", "invitation_id": f"i-fu12-{newcomer}",
        "participant_id": newcomer, "cohort_id": stream.cohort_id, "role": "newcomer", "wave": "fu12",
        "instrument_key": "caip_fu12", "instrument_version": 1,
        "answers": {"advancement": ["promotion", "wage_increase"], "advancement_date": "2025-09-28"}})
    subscribers = Subscribers(reporting.with_key(tenant["admin"]))
    try:
        made = subscribers.create("stream")
        received = Received()
        with running(OutcomeSubscriber(made["amqp_url"], tenant["id"], received)):
            feed(amqp_uri, stream)
            publish_event(amqp_uri, "surveys", advanced)
            eventually(lambda: [e for e in received.events if e["type"] == "advancement.reported"],
                       timeout=30, what="advancement.reported")
    finally:
        subscribers.remove_all()
    assert received.invalid == []
    [report] = [e["data"] for e in received.events if e["type"] == "advancement.reported"]
    assert (report["participant_id"], report["cohort_id"]) == (newcomer, stream.cohort_id)
    assert sorted(report["kinds"]) == ["promotion", "wage_increase"] and report["days_after_end"] == 90
    assert any(e["type"] == "indicator.updated" for e in received.events)


def test_publishing_again_with_the_same_idempotency_key_gives_the_same_report(reporting, tenant):
    staff = reporting.with_key(tenant["staff"])
    headers = {"Idempotency-Key": f"publish-{tenant['id']}"}
    first = staff.post("/v1/reports/insights/publish", json={"role": "newcomer"}, headers=headers)
    again = staff.post("/v1/reports/insights/publish", json={"role": "newcomer"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert first.json()["scope"] == {"role": "newcomer"}


def test_the_indicator_and_outcome_endpoints_answer_as_the_openapi_document_says(
        reporting, amqp_uri, tenant, mongo_client):
    document = reporting.with_key(None).get("/openapi.json").json()
    calls = DocumentedCalls(reporting.base_url, document)
    analyst, staff, admin = tenant["analyst"], tenant["staff"], tenant["admin"]
    registry = TenantRegistry(mongo_client)
    funder = f"Funder {tenant['id']}"
    registry.grant_funder(tenant["id"], funder)
    _, funder_key = registry.create_funder_key(funder)
    feed(amqp_uri, CohortStream(tenant["id"], STANDARD_COHORT))
    settled_report(reporting, "I2", 2, 3)
    own = calls(analyst, "GET", "/v1/indicators", params={"suppress_below": "0"}).json()
    assert {row["id"]: row for row in own["indicators"]}["I2"] == {
        "id": "I2", "name": "Satisfaction", "numerator": 2, "denominator": 3, "rate": 0.6667,
        "ci95": [0.2077, 0.9385], "invited": 5, "response_rate": 0.6, "suppressed": False}
    small = calls(analyst, "GET", "/v1/indicators", params={"indicator": "I2,I8", "suppress_below": "5"})
    assert [(row["id"], row["numerator"], row["suppressed"]) for row in small.json()["indicators"]] == [
        ("I2", None, True), ("I8", None, True)]
    calls.fails(400, analyst, "GET", "/v1/indicators", params={"colour": "red"})
    summed = calls(funder_key, "GET", "/v1/funder/indicators", params={"indicator": "I2"}).json()
    assert (summed["tenants"], summed["indicators"][0]["denominator"]) == ([tenant["id"]], 3)
    calls.fails(403, analyst, "GET", "/v1/funder/indicators")
    calls(analyst, "GET", "/v1/reports/insights", params={"suppress_below": "0", "program_kind": "caip"})
    calls.fails(400, analyst, "GET", "/v1/reports/insights", params={"format": "pdf"})
    published = calls.created(staff, "POST", "/v1/reports/insights/publish", json={"program_kind": "caip"})
    calls.fails(403, analyst, "POST", "/v1/reports/insights/publish", json={})
    calls(analyst, "GET", "/v1/reports/{report_id}", report_id=published["report_id"])
    calls.fails(404, analyst, "GET", "/v1/reports/{report_id}", report_id="rpt-unknown")
    try:
        calls.created(admin, "POST", "/v1/subscribers", json={"name": "documented"})
        calls.fails(409, admin, "POST", "/v1/subscribers", json={"name": "documented"})
        calls.fails(400, admin, "POST", "/v1/subscribers", json={"name": "No"})
        assert calls(admin, "DELETE", "/v1/subscribers/{name}", name="documented").status_code == 204
        calls.fails(404, admin, "DELETE", "/v1/subscribers/{name}", name="documented")
    finally:
        MANAGEMENT.delete_user(f"iec-sub.{tenant['id']}.documented")
    # A success documented without a schema for its body would have passed the checks above unchecked.
    unchecked = {(method, template) for (method, template), statuses in calls.answered.items()
                 for status in statuses & {200, 201}
                 if "content" not in document["paths"][template][method]["responses"][str(status)]}
    assert unchecked == set()

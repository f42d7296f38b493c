"""Reporting's projections over the real broker and Mongo: a rich stream, rebuilt from the event log,
outcome events on iec.outcomes, a funder's aggregate view, erasure.

Every test waits for the whole final state it asserts (figures that need every event), never for
events to reach a log.
"""
from __future__ import annotations

import json
import secrets

import eventlet
import pytest
from kombu import Connection, Queue

from services.cli.main import main as iec
from services.common.outbox import OUTCOMES
from services.common.runtime import Runtime
from services.common.tenancy import TenantRegistry, database_name
from services.reporting.rebuild import rebuild
from services.reporting.storage import CELLS
from tests.support.amqp import publish_event
from tests.support.http import Api
from tests.support.waiting import eventually
from tests.unit.reporting.reporting_streams import EXPECTED, Council, rich_stream

CUTS = [{}, {"role": "leaders"}, {"employer_size": "medium", "program_kind": "caip"}, {"occupation": "1"},
        {"preferred_language": "fr"}, {"ended_from": "2025-07-01"}, {"wave": "fu12"}]


def publish(amqp_uri: str, council: Council) -> None:
    for source, event in council.events:
        publish_event(amqp_uri, source, event)


def rows(api: Api, **query) -> dict[str, dict]:
    answer = api.get("/v1/indicators", params={"suppress_below": "0", **query})
    assert answer.status_code == 200, answer.text
    return {row["id"]: row for row in answer.json()["indicators"]}


def numbers(found: dict[str, dict]) -> dict[str, tuple]:
    return {key: (row["numerator"], row["denominator"], row["invited"]) for key, row in found.items()}


def settled(api: Api, expected: dict[str, tuple], **query) -> dict[str, dict]:
    """The rows for `query` once the figures named in `expected` are as expected."""
    last: dict[str, tuple] = {}

    def probe():
        found = rows(api, **query)
        last.update({key: numbers(found)[key] for key in expected})
        return found if last == expected else None
    try:
        return eventually(probe, timeout=90, interval=0.2, what=f"the figures for {query}")
    except AssertionError:
        differing = [(key, last[key], want) for key, want in expected.items() if last[key] != want]
        raise AssertionError(f"still differ (id, found, expected): {differing}") from None


def test_a_rich_stream_gives_every_figure_and_a_rebuild_from_the_log_gives_the_same(
        reporting, amqp_uri, tenant, mongo_uri, monkeypatch):
    publish(amqp_uri, rich_stream(tenant["id"]))
    settled(reporting, EXPECTED)
    live = [rows(reporting, **cut) for cut in CUTS]
    monkeypatch.setenv("MONGO_URI", mongo_uri)
    assert iec(["reporting", "rebuild", tenant["id"]]) == 0
    assert [rows(reporting, **cut) for cut in CUTS] == live


def test_a_rebuild_writes_only_once_no_workers_transaction_is_open_on_its_database(
        mongo_client, mongo_uri, monkeypatch):
    monkeypatch.setenv("MONGO_URI", mongo_uri)  # the server the services (and `iec`) are configured with
    db = mongo_client[f"rebuild-{secrets.token_hex(4)}"]
    db[CELLS].insert_one({"_id": "stale", "dims": {}, "counts": {"I2_d": 1}})  # the log is empty
    worker = Runtime()  # what a reporting worker holds around its transaction on this database
    try:
        with worker.transaction_guard(db.name):
            rebuilding = eventlet.spawn(rebuild, db)
            eventlet.sleep(0.5)
            assert not rebuilding.dead
            assert db[CELLS].count_documents({}) == 1
        assert rebuilding.wait() == 0
        assert db[CELLS].count_documents({}) == 0
    finally:
        worker.stop()
        mongo_client.drop_database(db.name)


@pytest.fixture
def outcomes(amqp_uri, tenant):
    """A queue bound to this council's outcome events, read as a subscriber would."""
    with Connection(amqp_uri) as conn:
        queue = Queue(exclusive=True, exchange=OUTCOMES, routing_key=f"{tenant['id']}.#", auto_delete=True)
        bound = queue(conn.channel())
        OUTCOMES(conn.channel()).declare()
        bound.declare()
        received: list[tuple[str, dict]] = []

        def drain() -> list[tuple[str, dict]]:
            while (message := bound.get(no_ack=True)) is not None:
                received.append((message.delivery_info["routing_key"], json.loads(message.body)))
            return received
        yield drain


def test_outcome_events_reach_iec_outcomes_under_the_councils_routing_key(
        reporting, amqp_uri, tenant, outcomes):
    council = Council(tenant["id"])
    employer, program = council.employer(), council.program()
    cohort = council.cohort(program, "caip", [employer])
    advanced, early = council.participant("newcomer", employer), council.participant("newcomer", employer)
    for pid, when in ((advanced, "2025-09-01"), (early, "2025-06-01")):
        council.enrol(pid, cohort, "newcomer", "caip", employer, program)
        council.respond(council.invite(pid, cohort, "newcomer", "fu12"),
                        {"advancement": ["wage_increase"], "advancement_date": when})
    council.complete(cohort, "caip", [(advanced, "newcomer", True, False), (early, "newcomer", False, False)])
    publish(amqp_uri, council)
    settled(reporting, {"I1": (1, 2, None), "I7": (1, 2, 2)}, employer_size="large")

    def final_updates():
        got = outcomes()
        cohort_i1 = [e["data"] for key, e in got if e["type"] == "indicator.updated"
                     and e["data"]["indicator_id"] == "I1" and e["data"]["scope"]["cohort_id"] == cohort]
        reports = [e for key, e in got if e["type"] == "advancement.reported"]
        return (cohort_i1, reports) if cohort_i1 and reports else None
    cohort_i1, reports = eventually(final_updates, timeout=30, what="the outcome events")
    assert cohort_i1[-1] == {"scope": {"program_kind": "caip", "cohort_id": cohort, "employer_size": None,
                                       "role": None}, "indicator_id": "I1", "numerator": None,
                             "denominator": 2, "rate": None, "suppressed": True}
    [report] = reports
    assert report["data"] == {"participant_id": advanced, "cohort_id": cohort, "kinds": ["wage_increase"],
                              "days_after_end": 63}
    assert report["specversion"] == "1.0" and report["source"] == "/services/reporting"
    assert report["tenantid"] == tenant["id"]
    assert {key for key, _ in outcomes()} <= {f"{tenant['id']}.indicator.updated",
                                               f"{tenant['id']}.advancement.reported"}


def _cohort_of(council: Council, scores: list[int]) -> None:
    employer, program = council.employer(), council.program()
    cohort = council.cohort(program, "caip", [employer])
    for score in scores:
        pid = council.participant("newcomer", employer)
        council.enrol(pid, cohort, "newcomer", "caip", employer, program)
        council.respond(council.invite(pid, cohort, "newcomer", "post"), {"satisfaction": score})


def test_a_funder_sees_only_the_sum_over_the_councils_that_granted_it_suppressed_below_five(
        reporting, amqp_uri, tenant, other_council, mongo_client):
    registry = TenantRegistry(mongo_client)
    funder = f"Funder {tenant['id']}"
    registry.grant_funder(tenant["id"], funder)
    registry.grant_funder(other_council["id"], funder)
    _, funder_key = registry.create_funder_key(funder)
    ungranted = f"u{secrets.token_hex(5)}"  # a council of the registry that did not grant the funder
    registry.create_tenant(ungranted, name="Not granted", city="Regina")
    _, ungranted_key = registry.create_key(ungranted, "analyst")
    first, second, stranger = Council(tenant["id"]), Council(other_council["id"]), Council(ungranted)
    _cohort_of(first, [5, 5, 2])
    _cohort_of(second, [4, 1])
    _cohort_of(stranger, [5, 5, 5, 5, 1])
    for council in (first, second, stranger):
        publish(amqp_uri, council)
    settled(reporting, {"I2": (2, 3, 3)}, employer_size="large")
    settled(reporting.with_key(other_council["analyst"]), {"I2": (1, 2, 2)}, employer_size="large")
    settled(reporting.with_key(ungranted_key), {"I2": (4, 5, 5)}, employer_size="large")  # in, not summed
    as_funder = reporting.with_key(funder_key)
    answer = as_funder.get("/v1/funder/indicators").json()
    found = {row["id"]: row for row in answer["indicators"]}
    assert answer["tenants"] == sorted([tenant["id"], other_council["id"]])
    assert (found["I2"]["numerator"], found["I2"]["denominator"], found["I2"]["suppressed"]) == (3, 5, False)
    one = as_funder.get("/v1/funder/indicators", params={"tenants": tenant["id"]}).json()
    i2 = {row["id"]: row for row in one["indicators"]}["I2"]
    assert (i2["numerator"], i2["denominator"], i2["suppressed"]) == (None, 3, True)
    low = as_funder.get("/v1/funder/indicators", params={"suppress_below": "2", "role": "boss"})
    assert low.status_code == 400 and set(low.json()["fields"]) == {"suppress_below", "role"}
    assert as_funder.get("/v1/indicators").status_code == 403
    assert reporting.get("/v1/funder/indicators").status_code == 403


def test_an_erased_participant_stays_in_the_counts_without_their_quasi_identifiers(
        reporting, amqp_uri, tenant, mongo_client):
    council = Council(tenant["id"])
    _cohort_of(council, [5, 5, 4, 4, 2, 1])
    erased = council.events[3][1]["data"]["participant_id"]
    publish(amqp_uri, council)
    settled(reporting, {"I2": (4, 6, 6), "I1": (0, 0, None)}, preferred_language="en", employer_size="large")
    council.events.clear()
    council.erase(erased)
    publish(amqp_uri, council)
    settled(reporting, {"I2": (3, 5, 5)}, preferred_language="en")
    assert numbers(rows(reporting, employer_size="large"))["I2"] == (4, 6, 6)
    log = mongo_client[database_name(tenant["id"], "reporting")]["event_log"]
    [registered] = log.find({"type": "participant.registered", "data.participant_id": erased})
    assert not {"preferred_language", "occupation_noc", "years_in_canada"} & set(registered["data"])

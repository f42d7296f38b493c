"""docs/asyncapi/iec-outcomes.yaml: a valid AsyncAPI 3.0 document whose messages are the outcome events.

The document is checked against the official AsyncAPI 3.0.0 JSON Schema (docs/asyncapi/
asyncapi-3.0.0.schema.json, from the @asyncapi/specs package 6.11.1, Apache-2.0); events are checked
against their message's payload schema with the helper the integration tests use on every event a
real subscriber receives (tests/support/asyncapi.py). The events checked are built by reporting's own
code: the projections' outcome events from a rich stream of events, the report's announcement.
"""
from __future__ import annotations

import json
import re

import pytest
from jsonschema import Draft7Validator

from services.common.envelope import new_event
from services.reporting import insights, projector
from tests.support.asyncapi import ASYNCAPI, asyncapi_document, outcome_schema_errors
from tests.unit.reporting.reporting_fakes import FakeDb
from tests.unit.reporting.reporting_streams import rich_stream

OUTCOME_TYPES = ("indicator.updated", "advancement.reported", "report.published")


def emitted_by_the_projections() -> dict[str, dict]:
    """The data of the first outcome event of each type the projections emit for a rich stream."""
    db, emitted = FakeDb(), []
    for _, event in rich_stream().events:
        projector.apply(db, event, emit=lambda event_type, data: emitted.append((event_type, data)))
    return {event_type: data for event_type, data in reversed(emitted)}


EXAMPLES = {
    **emitted_by_the_projections(),
    "report.published": insights.announcement({"kind": "insights", "scope": {"program_kind": "caip"}},
                                              "rpt-1", "http://127.0.0.1:8003/v1/reports/rpt-1"),
}


def test_the_examples_are_of_every_outcome_type():
    assert set(EXAMPLES) == set(OUTCOME_TYPES)


def test_the_document_is_valid_asyncapi_3():
    schema = json.loads((ASYNCAPI / "asyncapi-3.0.0.schema.json").read_text(encoding="utf-8"))
    document = asyncapi_document()
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in Draft7Validator(schema).iter_errors(document)]
    assert errors == []
    assert document["asyncapi"] == "3.0.0"


def test_the_official_schema_catches_a_broken_document():
    schema = json.loads((ASYNCAPI / "asyncapi-3.0.0.schema.json").read_text(encoding="utf-8"))
    broken = json.loads(json.dumps(asyncapi_document()))
    broken["operations"]["receiveOutcomes"]["action"] = "listen"
    assert not Draft7Validator(schema).is_valid(broken)


def test_the_channel_is_iec_outcomes_addressed_by_tenant_and_type():
    channel = asyncapi_document()["channels"]["outcomes"]
    assert channel["address"] == "{tenant}.{type}"
    assert channel["bindings"]["amqp"]["exchange"] == {
        "name": "iec.outcomes", "type": "topic", "durable": True, "autoDelete": False, "vhost": "/"}
    assert set(channel["parameters"]["type"]["enum"]) == set(OUTCOME_TYPES)


def test_every_outcome_event_of_the_catalogue_has_a_message_with_its_data_fields():
    messages = asyncapi_document()["components"]["messages"].values()
    documented = {message["name"]: message for message in messages}
    assert set(documented) == set(OUTCOME_TYPES)
    schemas = asyncapi_document()["components"]["schemas"]
    events_md = {"indicator.updated": "IndicatorUpdated", "advancement.reported": "AdvancementReported",
                 "report.published": "ReportPublished"}
    for event_type, data_schema in events_md.items():
        assert set(schemas[data_schema]["required"]) == set(EXAMPLES[event_type]), event_type


def test_every_local_reference_resolves():
    text = (ASYNCAPI / "iec-outcomes.yaml").read_text(encoding="utf-8")
    document = asyncapi_document()
    for ref in re.findall(r'\$ref: "#/([^"]+)"', text):
        node = document
        for part in ref.split("/"):
            node = node[part]  # KeyError names a dangling reference


@pytest.mark.parametrize("event_type", OUTCOME_TYPES)
def test_an_event_as_reporting_builds_it_matches_its_message(event_type):
    event = new_event("reporting", event_type, "toronto", EXAMPLES[event_type], subject="s")
    assert outcome_schema_errors(event) == []


@pytest.mark.parametrize("event_type, change, where", [
    ("report.published", {"url": None}, "data/url"),
    ("report.published", {"kind": "gossip"}, "data/kind"),
    ("indicator.updated", {"rate": 1.5}, "data/rate"),
    ("indicator.updated", {"scope": {"program_kind": "caip"}}, "data/scope"),
    ("advancement.reported", {"kinds": ["lottery"]}, "data/kinds/0"),
    ("advancement.reported", {"days_after_end": "soon"}, "data/days_after_end"),
])
def test_an_event_with_bad_data_does_not_match(event_type, change, where):
    event = new_event("reporting", event_type, "toronto", {**EXAMPLES[event_type], **change})
    errors = outcome_schema_errors(event)
    assert any(error.startswith(where) for error in errors), errors


def test_an_event_with_another_type_or_a_broken_envelope_does_not_match():
    event = new_event("reporting", "report.published", "toronto", EXAMPLES["report.published"])
    assert outcome_schema_errors({**event, "type": "report.deleted"})
    assert outcome_schema_errors({**event, "specversion": "0.3"})
    assert outcome_schema_errors({**event, "id": "not-a-uuid"})
    missing = {key: value for key, value in event.items() if key != "tenantid"}
    assert outcome_schema_errors(missing)

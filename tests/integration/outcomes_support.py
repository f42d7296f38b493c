"""What the tests of reporting's outcomes for other systems share: the broker's management API,
subscribers made through the service (and removed afterwards), outcome events as the outbox
publishes them, and a real pika subscriber collecting what it receives."""
from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import yaml
from jsonschema import Draft7Validator
from kombu import Connection, Exchange
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from services.common.envelope import new_event
from services.reporting.subscriber import OutcomeSubscriber
from services.reporting.subscribers import ManagementApi
from tests.support.http import Api

MANAGEMENT = ManagementApi("http://guest:guest@127.0.0.1:15672")
OUTCOMES = Exchange("iec.outcomes", type="topic", durable=True)


class Subscribers:
    """Makes subscribers through POST /v1/subscribers and deletes their broker users at the end.

    Broker users are not per vhost: a test run must not leave them behind.
    """

    def __init__(self, admin: Api):
        self.admin, self.usernames = admin, []

    def create(self, name: str, admin: Api | None = None) -> dict:
        answer = (admin or self.admin).post("/v1/subscribers", json={"name": name})
        assert answer.status_code == 201, answer.text
        self.usernames.append(answer.json()["username"])
        return answer.json()

    def remove_all(self) -> None:
        for username in self.usernames:
            MANAGEMENT.delete_user(username)


def publish_outcome(amqp_uri: str, tenant_id: str, event_type: str, data: dict) -> dict:
    """Publish an outcome event as reporting's outbox relay does (`iec.outcomes`, `<tenant>.<type>`)."""
    event = new_event("reporting", event_type, tenant_id, data)
    with Connection(amqp_uri) as conn:
        conn.Producer().publish(event, exchange=OUTCOMES, routing_key=f"{tenant_id}.{event_type}",
                                serializer="json", declare=[OUTCOMES], delivery_mode=2,
                                message_id=event["id"])
    return event


def report_published(report_id: str) -> dict:
    """The data of a `report.published` event."""
    return {"report_id": report_id, "kind": "insights", "scope": {"program_kind": "caip"},
            "url": f"http://127.0.0.1:8003/v1/reports/{report_id}"}


class Received:
    """The events a handler got, in order, for bounded waiting in tests."""

    def __init__(self) -> None:
        self.events: list[dict] = []
        self.invalid: list[str] = []  # every event is checked against the AsyncAPI document
        self._lock = threading.Lock()

    def __call__(self, event: dict) -> None:
        with self._lock:
            self.events.append(json.loads(json.dumps(event)))
            self.invalid.extend(f"{event['id']} {error}" for error in outcome_schema_errors(event))

    def ids(self) -> list[str]:
        with self._lock:
            return [event["id"] for event in self.events]


@contextmanager
def running(subscriber: OutcomeSubscriber) -> Iterator[OutcomeSubscriber]:
    """Run `subscriber` in a thread until the block ends; its failure (if any) fails the block."""
    failure: list[BaseException] = []

    def target() -> None:
        try:
            subscriber.run()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            failure.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    try:
        assert subscriber.wait_until_consuming(timeout=15), f"the subscriber did not start: {failure}"
        yield subscriber
    finally:
        subscriber.stop()
        thread.join(timeout=15)
    assert not failure, f"the subscriber failed: {failure[0]!r}"


# --- the AsyncAPI document of iec.outcomes (docs/asyncapi/iec-outcomes.yaml) -----------------------

ASYNCAPI = Path(__file__).resolve().parents[2] / "docs" / "asyncapi"
DOCUMENT_URI = "urn:iec:outcomes"


@cache
def asyncapi_document() -> dict:
    """The AsyncAPI document of `iec.outcomes`, parsed."""
    return yaml.safe_load((ASYNCAPI / "iec-outcomes.yaml").read_text(encoding="utf-8"))


@cache
def _message_validators() -> dict[str, Draft7Validator]:
    document = asyncapi_document()
    registry = Registry().with_resource(DOCUMENT_URI, Resource.from_contents(
        document, default_specification=DRAFT7))
    validators = {}
    for key, message in document["components"]["messages"].items():
        schema = {"$ref": f"{DOCUMENT_URI}#/components/messages/{key}/payload"}
        validators[message["name"]] = Draft7Validator(schema, registry=registry,
                                                      format_checker=Draft7Validator.FORMAT_CHECKER)
    return validators


def outcome_schema_errors(event: dict) -> list[str]:
    """Why `event` does not match its message in the AsyncAPI document (empty when it does)."""
    validator = _message_validators().get(event.get("type"))
    if validator is None:
        return [f"no message {event.get('type')!r} in the AsyncAPI document"]
    return [f"{'/'.join(map(str, error.absolute_path)) or '(event)'}: {error.message}"
            for error in validator.iter_errors(event)]


def assert_valid_outcome(event: dict) -> None:
    """Fail naming every difference between `event` and its message schema."""
    errors = outcome_schema_errors(event)
    assert not errors, f"{event.get('type')} does not match docs/asyncapi/iec-outcomes.yaml: {errors}"

"""What the tests of reporting's outcomes for other systems share: the broker's management API,
subscribers made through the service (and removed afterwards), outcome events as the outbox
publishes them, and a real pika subscriber collecting what it receives."""
from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from kombu import Connection

from services.common.envelope import new_event
from services.common.outbox import OUTCOMES
from services.common.rabbitmq import ManagementApi
from services.reporting.subscriber import OutcomeSubscriber
from tests.support.asyncapi import outcome_schema_errors
from tests.support.http import Api


class BrokerInspector(ManagementApi):
    """The management API with what only tests ask of the broker: who listens, who is connected."""

    def bindings_from(self, vhost: str, exchange: str) -> list[tuple[str, str]]:
        """(queue, binding key) of every binding from `exchange`: who listens to what."""
        found = self.call("GET", ("exchanges", vhost, exchange, "bindings", "source"))[1]
        return [(binding["destination"], binding["routing_key"]) for binding in found]

    def connections_of(self, username: str) -> list[str]:
        """The names of the open AMQP connections of a user."""
        return [conn["name"] for conn in self.call("GET", ("connections",))[1]
                if conn.get("user") == username]

    def close_connection(self, name: str) -> None:
        """Close a client connection from the broker's side (the client sees CONNECTION_FORCED)."""
        self.call("DELETE", ("connections", name), ok=(204, 404))


MANAGEMENT = BrokerInspector("http://guest:guest@127.0.0.1:15672")


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

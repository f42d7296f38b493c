"""POST /v1/subscribers and the pika subscriber client, against the real RabbitMQ (and its management API).

A subscriber's broker user may bind only `<its council>.` keys on `iec.outcomes`: the broker itself
refuses anything else (ACCESS_REFUSED), whatever client the subscriber runs.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import uuid

import pika
import pika.exceptions
import pytest
from kombu import Connection

from services.cli.infra import free_port
from services.reporting.service import ReportingService
from services.reporting.subscriber import OutcomeSubscriber, SubscriptionRefused
from services.reporting.subscribers import vhost_of
from tests.integration.outcomes_support import (
    MANAGEMENT,
    OUTCOMES,
    Received,
    Subscribers,
    publish_outcome,
    report_published,
    running,
)
from tests.support.asyncapi import assert_valid_outcome
from tests.support.http import Api
from tests.support.nameko import start_service
from tests.support.waiting import eventually

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def reporting(reporting, tenant) -> Api:
    """The reporting service, called with the council's admin key."""
    return reporting.with_key(tenant["admin"])


@pytest.fixture
def subscribers(reporting) -> Subscribers:
    made = Subscribers(reporting)
    yield made
    made.remove_all()


def channel_of(url: str):
    connection = pika.BlockingConnection(pika.URLParameters(url))
    return connection, connection.channel()


def refusal(call) -> int:
    """The reply code the broker closes the channel with when `call` is refused."""
    with pytest.raises(pika.exceptions.ChannelClosedByBroker) as refused:
        call()
    return refused.value.reply_code


def test_a_new_subscriber_gets_credentials_for_its_councils_outcome_events(subscribers, tenant, amqp_uri):
    made = subscribers.create("hr-dashboard")
    vhost = vhost_of(amqp_uri)
    assert made["exchange"] == "iec.outcomes"
    assert made["binding_prefix"] == f"{tenant['id']}."
    assert made["username"] == f"iec-sub.{tenant['id']}.hr-dashboard"
    assert made["queue_prefix"] == f"iec-sub.{tenant['id']}.hr-dashboard."
    assert len(made["password"]) >= 32
    assert made["amqp_url"].startswith(f"amqp://iec-sub.{tenant['id']}.hr-dashboard:")
    assert made["amqp_url"].endswith(f"@127.0.0.1:5672/{vhost}")
    connection, _ = channel_of(made["amqp_url"])  # the credentials work on the service's vhost
    connection.close()


def test_a_subscriber_receives_its_councils_events_and_is_refused_another_councils(
        subscribers, tenant, other_council, amqp_uri):
    made = subscribers.create("warehouse")
    connection, channel = channel_of(made["amqp_url"])
    queue = made["queue_prefix"] + "mine"
    channel.queue_declare(queue, exclusive=True)
    channel.queue_bind(queue, "iec.outcomes", routing_key=f"{tenant['id']}.#")
    ours = publish_outcome(amqp_uri, tenant["id"], "report.published", report_published("r-ours"))
    publish_outcome(amqp_uri, other_council["id"], "report.published", report_published("r-theirs"))
    ours_too = publish_outcome(amqp_uri, tenant["id"], "report.published", report_published("r-ours-2"))

    def received():
        got = []
        while (message := channel.basic_get(queue, auto_ack=True))[0] is not None:
            got.append(json.loads(message[2]))
        return got
    got: list[dict] = []
    eventually(lambda: got.extend(received()) or len(got) >= 2, what="the council's two events")
    assert [event["id"] for event in got] == [ours["id"], ours_too["id"]]
    assert {event["tenantid"] for event in got} == {tenant["id"]}
    for event in got:
        assert_valid_outcome(event)

    assert refusal(lambda: channel.queue_bind(queue, "iec.outcomes",
                                              routing_key=f"{other_council['id']}.#")) == 403
    channel = connection.channel()
    assert refusal(lambda: channel.queue_bind(queue, "iec.outcomes", routing_key="#")) == 403
    connection.close()


def test_a_subscriber_may_not_publish_nor_touch_queues_or_exchanges_not_its_own(
        subscribers, tenant, amqp_uri):
    made = subscribers.create("auditor")
    connection, channel = channel_of(made["amqp_url"])
    channel.confirm_delivery()
    assert refusal(lambda: channel.basic_publish("iec.outcomes", f"{tenant['id']}.report.published",
                                                 b"{}")) == 403
    channel = connection.channel()
    assert refusal(lambda: channel.queue_declare("someone-elses-queue")) == 403
    channel = connection.channel()
    own = made["queue_prefix"] + "q"
    channel.queue_declare(own, exclusive=True)
    assert refusal(lambda: channel.queue_bind(own, "intake.events", routing_key="#")) == 403
    connection.close()


def test_the_subscriber_client_receives_parsed_events_acks_them_and_resumes_after_the_broker_drops_it(
        subscribers, tenant, amqp_uri):
    made = subscribers.create("resilient")
    received = Received()
    client = OutcomeSubscriber(made["amqp_url"], tenant["id"], received, queue="durable",
                               backoff_initial=0.1, backoff_max=1.0)
    with running(client):
        first = publish_outcome(amqp_uri, tenant["id"], "report.published", report_published("r-1"))
        eventually(lambda: received.ids() == [first["id"]], what="the first event")
        for name in eventually(lambda: MANAGEMENT.connections_of(made["username"]), what="its connection"):
            MANAGEMENT.close_connection(name)
        # Published while it is away: its durable queue keeps it.
        during = publish_outcome(amqp_uri, tenant["id"], "report.published", report_published("r-2"))
        eventually(lambda: client.connections >= 2, what="a reconnection")
        after = publish_outcome(amqp_uri, tenant["id"], "report.published", report_published("r-3"))
        eventually(lambda: received.ids() == [first["id"], during["id"], after["id"]],
                   what="the events during and after the outage")
    assert received.events[0]["data"] == report_published("r-1")
    assert received.invalid == []
    # Everything was acked: nothing waits in the queue once the client is gone.
    connection, channel = channel_of(made["amqp_url"])
    assert channel.queue_declare(client.queue, passive=True).method.message_count == 0
    channel.queue_delete(client.queue)
    connection.close()


def test_the_subscriber_client_binds_only_the_types_it_chose(subscribers, tenant, amqp_uri):
    made = subscribers.create("only-reports")
    received = Received()
    with running(OutcomeSubscriber(made["amqp_url"], tenant["id"], received, types=["report.published"])):
        publish_outcome(amqp_uri, tenant["id"], "advancement.reported", {
            "participant_id": "p-1", "cohort_id": "c-1", "kinds": ["promotion"], "days_after_end": 40})
        report = publish_outcome(amqp_uri, tenant["id"], "report.published", report_published("r-9"))
        eventually(lambda: received.ids() == [report["id"]], what="the report event only")
    assert received.invalid == []


def test_the_subscriber_client_reports_a_refused_binding_instead_of_retrying(
        subscribers, tenant, other_council):
    made = subscribers.create("nosy")
    outcome = ended_with(OutcomeSubscriber(made["amqp_url"], other_council["id"], Received()))
    assert [(type(exc), exc.reply_code) for exc in outcome] == [(SubscriptionRefused, 403)]


def test_iec_subscribe_prints_each_event_as_a_json_line(subscribers, tenant, amqp_uri):
    made = subscribers.create("cli")
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.cli.main", "subscribe", "--url", made["amqp_url"],
         "--tenant", tenant["id"], "--types", "report.published"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        eventually(lambda: [queue for queue, _ in MANAGEMENT.bindings_from(vhost_of(amqp_uri), "iec.outcomes")
                            if queue.startswith(made["queue_prefix"])], timeout=30, what="the CLI's binding")
        sent = publish_outcome(amqp_uri, tenant["id"], "report.published", report_published("r-cli"))
        line = proc.stdout.readline()
        assert json.loads(line)["id"] == sent["id"]
        assert json.loads(line)["data"]["report_id"] == "r-cli"
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 0, proc.stderr.read()


@pytest.mark.parametrize("body, field", [
    ({}, "name"),
    ({"name": ""}, "name"),
    ({"name": "Has Spaces"}, "name"),
    ({"name": "a.b"}, "name"),
    ({"name": "x" * 60}, "name"),
    ({"name": 7}, "name"),
    ({"name": "ok-name", "tenant": "other"}, "tenant"),
])
def test_a_bad_subscriber_name_is_a_400_naming_the_field_and_makes_no_user(reporting, tenant, body, field):
    answer = reporting.post("/v1/subscribers", json=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "VALIDATION_ERROR"
    assert field in answer.json()["fields"]
    if isinstance(body.get("name"), str):
        assert not MANAGEMENT.user_exists(f"iec-sub.{tenant['id']}.{body['name']}")


def test_a_second_subscriber_of_the_same_name_is_a_conflict(subscribers):
    first = subscribers.create("twice")
    again = subscribers.admin.post("/v1/subscribers", json={"name": "twice"})
    assert again.status_code == 409
    assert again.json()["error"] == "CONFLICT"
    connection, _ = channel_of(first["amqp_url"])  # the first one's password still works
    connection.close()


def test_only_an_admin_makes_subscribers(reporting, tenant):
    for role in ("staff", "analyst"):
        answer = reporting.with_key(tenant[role]).post("/v1/subscribers", json={"name": f"by-{role}"})
        assert answer.status_code == 403
        assert not MANAGEMENT.user_exists(f"iec-sub.{tenant['id']}.by-{role}")
    assert reporting.with_key(None).post("/v1/subscribers", json={"name": "anon"}).status_code == 401


def test_two_councils_may_use_the_same_subscriber_name(subscribers, other_council):
    ours = subscribers.create("dashboard")
    theirs = subscribers.create("dashboard", admin=subscribers.admin.with_key(other_council["admin"]))
    assert ours["username"] != theirs["username"]


def test_a_removed_subscriber_can_no_longer_connect(subscribers):
    made = subscribers.create("leaving")
    answer = subscribers.admin.delete("/v1/subscribers/leaving")
    assert answer.status_code == 204
    with pytest.raises(pika.exceptions.AMQPConnectionError):
        channel_of(made["amqp_url"])
    assert subscribers.admin.delete("/v1/subscribers/leaving").status_code == 404


def test_an_unknown_broker_user_name_in_the_url_is_refused(tenant):
    url = f"amqp://iec-sub.{tenant['id']}.ghost:{uuid.uuid4().hex}@127.0.0.1:5672/%2F"
    assert [type(exc) for exc in ended_with(OutcomeSubscriber(url, tenant["id"], Received()))] == [
        SubscriptionRefused]


def test_a_failing_handler_gets_the_event_once_more_and_a_bad_message_does_not_stop_the_stream(
        subscribers, tenant, amqp_uri):
    made = subscribers.create("flaky")
    received, attempts = Received(), []

    def handler(event: dict) -> None:
        attempts.append(event["data"]["report_id"])
        if event["data"]["report_id"] == "r-always-fails" or attempts.count(event["data"]["report_id"]) == 1:
            raise RuntimeError("the handler's own trouble")
        received(event)

    with running(OutcomeSubscriber(made["amqp_url"], tenant["id"], handler, queue="flaky")):
        flaky = publish_outcome(amqp_uri, tenant["id"], "report.published", report_published("r-flaky"))
        eventually(lambda: received.ids() == [flaky["id"]], what="the retried event")
        publish_outcome(amqp_uri, tenant["id"], "report.published", report_published("r-always-fails"))
        with Connection(amqp_uri) as conn:  # not a CloudEvent: rejected, not handled
            conn.Producer().publish({"hello": "world"}, exchange=OUTCOMES, serializer="json",
                                    routing_key=f"{tenant['id']}.report.published")
        last = publish_outcome(amqp_uri, tenant["id"], "report.published", report_published("r-last"))
        eventually(lambda: received.ids() == [flaky["id"], last["id"]], what="the events after the bad ones")
    assert attempts.count("r-flaky") == 2 and attempts.count("r-always-fails") == 2
    connection, channel = channel_of(made["amqp_url"])
    assert channel.queue_declare(made["queue_prefix"] + "flaky", passive=True).method.message_count == 0
    channel.queue_delete(made["queue_prefix"] + "flaky")
    connection.close()


@pytest.mark.parametrize("management_url", [
    "http://guest:guest@127.0.0.1:{closed_port}",   # nothing listens
    "http://guest:wrong@127.0.0.1:15672",           # the broker refuses the credentials
])
def test_a_broker_that_cannot_make_the_user_is_a_503_and_leaves_no_user(
        service_env, container_factory, amqp_uri, tenant, management_url):
    service_env.setenv("RABBITMQ_MANAGEMENT_URL", management_url.format(closed_port=free_port()))
    reporting = Api(start_service(container_factory, ReportingService, amqp_uri), tenant["admin"])
    answer = reporting.post("/v1/subscribers", json={"name": "unlucky"})
    assert answer.status_code == 503
    assert answer.json()["error"] == "UNAVAILABLE"
    assert not MANAGEMENT.user_exists(f"iec-sub.{tenant['id']}.unlucky")


def test_a_running_client_whose_subscriber_is_removed_stops_with_a_refusal(subscribers, tenant):
    made = subscribers.create("revoked")
    client = OutcomeSubscriber(made["amqp_url"], tenant["id"], Received(), backoff_initial=0.1)
    outcome: list[BaseException] = []
    thread = threading.Thread(target=lambda: _run_into(client, outcome), daemon=True)
    thread.start()
    assert client.wait_until_consuming(timeout=15)
    assert subscribers.admin.delete("/v1/subscribers/revoked").status_code == 204
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert [type(exc) for exc in outcome] == [SubscriptionRefused]


def ended_with(client: OutcomeSubscriber, timeout: float = 15) -> list[BaseException]:
    """Run `client` for at most `timeout` seconds; what it raised (a client that kept retrying is
    stopped and has raised nothing)."""
    outcome: list[BaseException] = []
    thread = threading.Thread(target=lambda: _run_into(client, outcome), daemon=True)
    thread.start()
    thread.join(timeout)
    client.stop()
    thread.join(5)
    return outcome


def _run_into(client: OutcomeSubscriber, outcome: list) -> None:
    try:
        client.run()
    except BaseException as exc:  # noqa: BLE001 - the test asserts what it was
        outcome.append(exc)

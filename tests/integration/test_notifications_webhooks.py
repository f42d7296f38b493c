"""Webhooks against a real local HTTP receiver that checks every signature.

Deliveries are CloudEvents JSON signed ``X-IEC-Signature: sha256=<HMAC-SHA256 of the body>``;
timeouts, 5xx, 408 and 429 are retried with backoff, other 4xx are not; after the last attempt a
delivery is dead-lettered, ``iec dlq`` lists it with its error, and ``iec dlq replay`` resends it.
Each test runs the sending pass itself as of instants it chooses.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from services.common import deadletter
from services.common.envelope import new_event
from tests.integration.notifications_support import DAY, deliver, invitation_due, participant, queued
from tests.support.http import Api
from tests.support.waiting import eventually

SECRET = "s3cret-" + "x" * 20


class Receiver:
    """An HTTP server that answers POSTs from a script (status codes, or ``"slow"``), then 200; a POST
    not signed with ``secret`` (SECRET unless the test sets another) gets a 401."""

    def __init__(self, script: list[str | int]) -> None:
        self.script, self.received, self.secret = list(script), [], SECRET
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                expected = "sha256=" + hmac.new(receiver.secret.encode(), body, hashlib.sha256).hexdigest()
                signed = hmac.compare_digest(self.headers.get("X-IEC-Signature", ""), expected)
                receiver.received.append({"body": body, "signed": signed,
                                          "type": self.headers.get("Content-Type")})
                reply = receiver.script.pop(0) if receiver.script else 200
                if reply == "slow":
                    time.sleep(1.0)
                    reply = 200
                try:
                    self.send_response(reply if signed else 401)
                    self.end_headers()
                    self.wfile.write(b"{}")
                except BrokenPipeError:
                    pass  # the sender gave up waiting (the "slow" answer)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"

    def __enter__(self) -> Receiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def notifications(start_notifications) -> Api:
    """Notifications retrying a failed delivery after seconds, four times; called with the admin key."""
    return start_notifications(role="admin", NOTIFICATIONS_RETRY_BASE_SECONDS="2",
                               NOTIFICATIONS_RETRY_CAP_SECONDS="8", NOTIFICATIONS_MAX_ATTEMPTS="4",
                               WEBHOOK_TIMEOUT_SECONDS="0.3")


@pytest.fixture
def receiver(request) -> Iterator[Receiver]:
    with Receiver(request.param) as server:
        yield server


def subscribe(api: Api, url: str, event_types: tuple[str, ...] = ("cohort.completed",)) -> dict:
    answer = api.post("/v1/webhooks", {"url": url, "event_types": list(event_types), "secret": SECRET})
    assert answer.status_code == 201, answer.text
    assert "secret" not in answer.json()  # the council chose it: it is not echoed
    return answer.json()


def completed(tenant: dict, amqp_uri: str) -> dict:
    event = new_event("intake", "cohort.completed", tenant["id"], {
        "cohort_id": f"c{secrets.token_hex(4)}", "program_kind": "caip", "ended_on": "2031-03-01",
        "enrolments": []})
    return deliver(amqp_uri, event, source="intake")


def deliveries(api: Api, subscription: dict) -> list[dict]:
    answer = api.get(f"/v1/webhooks/{subscription['id']}/deliveries")
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def run(api: Api, seconds: float = 0) -> dict:
    answer = api.post("/v1/notifications/run", {"as_of": (DAY + timedelta(seconds=seconds)).isoformat()})
    assert answer.status_code == 200, answer.text
    return answer.json()["webhook"]


@pytest.mark.parametrize("receiver", [[503, "slow", 429]], indirect=True)
def test_a_failing_receiver_is_retried_until_it_takes_the_signed_event(notifications, receiver, tenant,
                                                                       amqp_uri):
    subscription = subscribe(notifications, receiver.url)
    event = completed(tenant, amqp_uri)
    eventually(lambda: deliveries(notifications, subscription), what="the delivery queued")

    assert run(notifications) == {"retried": 1}  # 503
    assert run(notifications, 10) == {"retried": 1}  # no answer in time
    assert run(notifications, 20) == {"retried": 1}  # 429
    assert run(notifications, 30) == {"delivered": 1}
    assert run(notifications, 40) == {}

    assert len(receiver.received) == 4 and all(each["signed"] for each in receiver.received)
    assert {each["body"] for each in receiver.received} == {receiver.received[0]["body"]}  # the same bytes
    assert json.loads(receiver.received[0]["body"]) == event
    assert receiver.received[0]["type"] == "application/cloudevents+json"
    [delivery] = deliveries(notifications, subscription)
    assert (delivery["status"], delivery["attempts"], delivery["event_id"]) == ("delivered", 4, event["id"])


@pytest.mark.parametrize("receiver", [[410]], indirect=True)
def test_a_receiver_that_refuses_with_a_4xx_is_not_retried(notifications, receiver, tenant, amqp_uri):
    subscription = subscribe(notifications, receiver.url)
    completed(tenant, amqp_uri)
    eventually(lambda: deliveries(notifications, subscription), what="the delivery queued")

    assert run(notifications) == {"failed": 1}
    assert run(notifications, 100) == {}
    [delivery] = deliveries(notifications, subscription)
    assert (delivery["status"], delivery["last_status_code"]) == ("failed", 410)


def iec(amqp_uri: str, *args: str) -> str:
    command = [str(Path(sys.executable).with_name("iec")), *args]
    done = subprocess.run(command, env={**os.environ, "AMQP_URI": amqp_uri}, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def dead_letters_counted(api: Api) -> float:
    """iec_dead_letters_total of the webhook replay events, as /metrics shows it (0 before the first)."""
    series = ('iec_dead_letters_total{event_type="webhook.redelivery_requested",outcome="dead_lettered",'
              'service="notifications"} ')
    lines = [line for line in api.with_key(None).get("/metrics").text.splitlines() if line.startswith(series)]
    return float(lines[0].removeprefix(series)) if lines else 0.0


@pytest.mark.parametrize("receiver", [[500, 502, 504, 500]], indirect=True)
def test_a_dead_lettered_delivery_is_listed_with_its_error_and_replayed(notifications, receiver, tenant,
                                                                        amqp_uri):
    subscription = subscribe(notifications, receiver.url)
    completed(tenant, amqp_uri)
    eventually(lambda: deliveries(notifications, subscription), what="the delivery queued")
    counted = dead_letters_counted(notifications)
    assert run(notifications) == {"retried": 1}
    assert run(notifications, 10) == {"retried": 1}
    assert run(notifications, 20) == {"retried": 1}
    assert run(notifications, 30) == {"dead_lettered": 1}
    [dead] = deliveries(notifications, subscription)
    assert (dead["status"], dead["error"]) == ("dead_lettered", "HTTP 500: {}")
    assert dead_letters_counted(notifications) == counted + 1  # iec_dead_letters_total, as a handler's

    letters = [json.loads(line) for line in iec(amqp_uri, "dlq", "list", "--limit", "1000").splitlines()]
    [letter] = [each for each in letters if dead["delivery_id"] in each["body"]]
    assert letter["error"] == "webhook delivery failed: HTTP 500: {}" and letter["tenant_id"] == tenant["id"]
    assert iec(amqp_uri, "dlq", "replay", letter["id"]).strip() == "replayed 1"

    eventually(lambda: deliveries(notifications, subscription)[0]["status"] == "queued", what="queued again")
    assert run(notifications, 40) == {"delivered": 1}
    assert len(receiver.received) == 5 and all(each["signed"] for each in receiver.received)


@pytest.mark.parametrize("receiver", [[500]], indirect=True)
def test_a_broker_that_cannot_take_a_dead_letter_stops_neither_the_pass_nor_the_mail(
        start_notifications, notifications_stand_ins, mail_sink, receiver, tenant, amqp_uri, monkeypatch):
    api = start_notifications(mail_sink.port, role="admin", NOTIFICATIONS_MAX_ATTEMPTS="1")
    subscription = subscribe(api, receiver.url)
    completed(tenant, amqp_uri)
    amara = participant(tenant)
    deliver(amqp_uri, invitation_due(tenant, amara))
    eventually(lambda: deliveries(api, subscription), what="the delivery queued")
    queued(api, amara)
    counted = dead_letters_counted(api)

    def broker_away(*args: object, **kwargs: object) -> None:
        raise ConnectionRefusedError(111, "Connection refused")

    with monkeypatch.context() as broker:
        broker.setattr(deadletter, "dead_letter_event", broker_away)
        answer = api.post("/v1/notifications/run", {"as_of": DAY.isoformat()})
        assert answer.status_code == 200, answer.text
        assert (answer.json()["webhook"], answer.json()["email"]) == ({"dead_lettered": 1}, {"sent": 1})
        [mail] = mail_sink.wait_for(1)
        assert mail["To"].addresses[0].addr_spec == f"{amara}@example.org"
        assert [each["status"] for each in deliveries(api, subscription)] == ["dead_lettered"]
        assert dead_letters_counted(api) == counted
        assert run(api, 10) == {}  # still away: the delivery stays pending, the pass goes on

    assert run(api, 20) == {}  # the broker is back: the pending dead letter goes out
    assert dead_letters_counted(api) == counted + 1
    [dead] = deliveries(api, subscription)
    letters = [json.loads(line) for line in iec(amqp_uri, "dlq", "list", "--limit", "1000").splitlines()]
    [letter] = [each for each in letters if dead["delivery_id"] in each["body"]]
    assert letter["error"] == "webhook delivery failed: HTTP 500: {}" and letter["tenant_id"] == tenant["id"]


@pytest.mark.parametrize("receiver", [[]], indirect=True)
def test_a_generated_secret_is_shown_once_and_signs_the_deliveries(notifications, receiver, tenant,
                                                                   amqp_uri):
    answer = notifications.post("/v1/webhooks", {"url": receiver.url, "event_types": ["cohort.completed"]})
    assert answer.status_code == 201
    subscription, receiver.secret = answer.json(), answer.json()["secret"]
    assert len(receiver.secret) >= 32 and receiver.secret != SECRET
    listed = notifications.get("/v1/webhooks").json()["items"]
    assert [each["id"] for each in listed] == [subscription["id"]] and "secret" not in listed[0]

    event = completed(tenant, amqp_uri)
    eventually(lambda: deliveries(notifications, subscription), what="the delivery queued")
    assert run(notifications) == {"delivered": 1}  # the receiver answers 401 to a bad signature
    [delivery] = receiver.received
    assert delivery["signed"] and json.loads(delivery["body"]) == event


def test_a_bad_subscription_is_refused_naming_each_field_and_nothing_is_stored(notifications, tenant):
    answer = notifications.post("/v1/webhooks", {"url": "ftp://x", "event_types": ["invitation.due", "nope"],
                                                 "secret": "short"})
    assert answer.status_code == 400
    assert set(answer.json()["fields"]) == {"url", "event_types", "secret"}
    missing = notifications.post("/v1/webhooks", {"event_types": []}).json()["fields"]
    assert missing.keys() == {"url", "event_types"}
    assert notifications.get("/v1/webhooks").json()["items"] == []
    staff = notifications.with_key(tenant["staff"])
    assert staff.post("/v1/webhooks", {"url": "http://127.0.0.1:9/x", "event_types": ["cohort.completed"]}
                      ).status_code == 403
    assert notifications.get("/v1/webhooks/000000000000000000000000/deliveries").status_code == 404
